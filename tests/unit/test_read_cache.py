"""The in-process read cache: keys, LRU bound, and copies that callers may change freely."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pytest

from ui.read_cache import ReadCache, fresh_copy, freeze


@dataclass(frozen=True)
class Card:
    id: int
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Detail:
    name: str
    frame: pd.DataFrame
    rows: list[dict] = field(default_factory=list)


def test_a_second_get_is_a_hit_and_does_not_compute_again():
    cache, calls = ReadCache(), []
    compute = lambda: calls.append(1) or 42  # noqa: E731
    assert cache.get(("k", 1), compute) == 42
    assert cache.get(("k", 1), compute) == 42
    assert len(calls) == 1 and cache.hits == 1 and cache.misses == 1


def test_a_new_revision_is_a_new_key():
    cache = ReadCache()
    assert cache.get(("rows", 1), lambda: "old") == "old"
    assert cache.get(("rows", 2), lambda: "new") == "new"


def test_the_least_recently_used_entry_goes_first():
    cache = ReadCache(max_entries=2)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("a", lambda: 1)  # a is now the most recent
    cache.get("c", lambda: 3)
    assert len(cache) == 2
    assert cache.get("b", lambda: "recomputed") == "recomputed"
    assert cache.get("a", lambda: "recomputed") == "recomputed"  # a fell out when b came back


def test_relabelling_a_returned_frame_does_not_change_the_cached_one():
    cache = ReadCache()
    frame = pd.DataFrame({"tier": ["A", "B"]})
    first = cache.get("f", lambda: frame)
    first["tier"] = ["A级", "B级"]
    first["extra"] = 1
    again = cache.get("f", lambda: None)
    assert list(again["tier"]) == ["A", "B"] and "extra" not in again.columns


def test_rows_of_a_list_and_frames_in_a_dict_are_copied_too():
    cache = ReadCache()
    got = cache.get("d", lambda: {"frame": pd.DataFrame({"status": ["open"]}), "rows": [{"n": 1}]})
    got["frame"]["status"] = ["已解决"]
    got["rows"].append({"n": 2})
    again = cache.get("d", lambda: None)
    assert list(again["frame"]["status"]) == ["open"] and again["rows"] == [{"n": 1}]
    rows = cache.get("r", lambda: [{"n": 1}])
    rows[0]["n"] = 99
    assert cache.get("r", lambda: None) == [{"n": 1}]


def test_mutable_dataclasses_are_copied_with_fresh_fields():
    @dataclass
    class Board:
        cards: list

    cache = ReadCache()
    got = cache.get("b", lambda: Board([1, 2]))
    got.cards.append(3)
    got.cards = []
    assert cache.get("b", lambda: None).cards == [1, 2]


def test_tuples_and_frozen_dataclasses_are_values_shared_not_copied():
    card = Card(1, ("vip",))
    detail = Detail("x", pd.DataFrame({"status": ["open"]}))
    assert fresh_copy(card) is card and fresh_copy(detail) is detail
    pair = ("a", [1])
    assert fresh_copy(pair) is pair
    assert fresh_copy([card])[0] is card


def test_freeze_makes_lists_and_dicts_usable_as_keys_and_refuses_frames():
    assert freeze([1, [2, 3]]) == (1, (2, 3))
    assert freeze({"b": [1], "a": 2}) == freeze({"a": 2, "b": [1]})
    assert freeze({1, 2}) == frozenset({1, 2})
    with pytest.raises(TypeError):
        freeze(pd.DataFrame({"a": [1]}))


def test_an_entry_expires_after_its_time_to_live():
    """Keys carry the data revision, but some reads depend on the clock: on an idle database an
    entry must still be recomputed after a while."""
    now = [1000.0]
    cache = ReadCache(ttl=600, clock=lambda: now[0])
    assert cache.get("overdue", lambda: "Monday's list") == "Monday's list"
    now[0] += 599
    assert cache.get("overdue", lambda: "recomputed") == "Monday's list"
    now[0] += 2
    assert cache.get("overdue", lambda: "recomputed") == "recomputed"


# Views (ui.view): keyed by the read and the builder, never by a key written by hand ------------
PAGE_TEAM = 7  # a page variable, as a widget's value read at the top of a page would be


def _rows_table(rows):
    return tuple(rows)


def _labelled(prefix, rows):
    return tuple(f"{prefix}{r}" for r in rows)


def _reads_page_variable(rows):
    return (PAGE_TEAM, *rows)


def _calls_a_bad_helper(rows):
    return _reads_page_variable(rows)


def test_a_builder_is_named_by_where_it_is_defined_and_what_is_bound_to_it():
    from functools import partial

    from ui.read_cache import builder_key

    assert builder_key(_rows_table) == builder_key(_rows_table)
    assert builder_key(_rows_table) != builder_key(_labelled)
    assert builder_key(partial(_labelled, "a")) != builder_key(partial(_labelled, "b"))
    assert builder_key(partial(_labelled, "a")) == builder_key(partial(_labelled, "a"))
    # a page's functions are new objects on every run of its script: the same code gives the same key
    namespace: dict = {}
    source = "def table(rows):\n    return tuple(rows)\n"
    exec(compile(source, "pages/example.py", "exec"), namespace)
    first = namespace["table"]
    exec(compile(source, "pages/example.py", "exec"), namespace)
    assert namespace["table"] is not first and builder_key(namespace["table"]) == builder_key(first)


def test_a_builder_that_could_see_what_its_key_does_not_name_is_refused():
    from functools import partial

    from ui.read_cache import check_builder

    check_builder(_rows_table)
    check_builder(partial(_labelled, "a"))
    team = 3
    with pytest.raises(TypeError, match="named module-level function"):
        check_builder(lambda rows: rows)
    with pytest.raises(TypeError, match="named module-level function"):
        check_builder(lambda rows: (team, *rows))
    with pytest.raises(TypeError, match="PAGE_TEAM"):
        check_builder(_reads_page_variable)
    with pytest.raises(TypeError, match="PAGE_TEAM"):
        check_builder(_calls_a_bad_helper)  # a helper of the same file is checked too
    with pytest.raises(TypeError, match="PAGE_TEAM"):
        check_builder(partial(_labelled, _reads_page_variable))
