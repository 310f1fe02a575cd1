"""Drop events from the browser are checked in core before anything moves: wrong types, missing
keys, cards or columns the board did not draw, and positions out of range are refused."""
from __future__ import annotations

import pytest

from core import drops
from core.errors import InvalidInput

DRAWN = {"bcol-m-1": [10, 11], "bcol-m-2": [12], "bcol-m-none": []}
GOOD = {"event_id": "e1", "from_container": "bcol-m-1", "to_container": "bcol-m-2", "item_key": "task-10-v3",
        "from_index": 0, "to_index": 1}


def _reason(raw, drawn=DRAWN, prefix="task") -> str:
    with pytest.raises(InvalidInput) as exc:
        drops.parse_drop(raw, drawn, prefix)
    assert exc.value.key == "drop.refused"
    return exc.value.errors[0].key


def test_a_well_formed_drop_names_the_card_its_version_and_where_it_lands():
    drop = drops.parse_drop(GOOD, DRAWN, "task")
    assert (drop.record_id, drop.version, drop.neighbours, drop.index) == (10, 3, (12,), 1)
    assert drops.board_destination(drop, "m") == {"to_member_id": 2}


def test_a_card_moved_down_inside_its_column_lands_one_slot_earlier():
    drop = drops.parse_drop({**GOOD, "to_container": "bcol-m-1", "to_index": 2}, DRAWN, "task")
    assert drop.same and drop.neighbours == (11,) and drop.index == 1
    assert drops.board_destination(drop, "m") == {}


@pytest.mark.parametrize("raw", [
    None, "task-10-v3", ["bcol-m-1"], 42,
    {k: v for k, v in GOOD.items() if k != "from_container"},
    {k: v for k, v in GOOD.items() if k != "item_key"},
    {**GOOD, "to_container": None}, {**GOOD, "from_container": 1}, {**GOOD, "item_key": {"id": 10}},
    {**GOOD, "to_container": ""},
])
def test_a_malformed_drop_is_refused(raw):
    assert _reason(raw) == "drop.error.malformed"


@pytest.mark.parametrize("item", ["task-99-v1", "deal-10-v3", "task-10", "task-x-v1", "task-10-vx",
                                  "task-99999999999999999999999-v1", "task--1-v1"])
def test_a_card_the_column_did_not_show_is_refused(item):
    assert _reason({**GOOD, "item_key": item}) == "drop.error.unknown_card"


@pytest.mark.parametrize("source,target", [("bcol-m-1", "bcol-m-3"), ("bcol-m-9", "bcol-m-2"), ("bcol-m-1", "elsewhere")])
def test_a_column_the_board_did_not_draw_is_refused(source, target):
    assert _reason({**GOOD, "from_container": source, "to_container": target}) == "drop.error.unknown_column"


@pytest.mark.parametrize("index", [-1, "-1", 1.5, "abc", None, True, [0], 10**12, "1e3"])
def test_a_position_that_is_not_a_small_whole_number_is_refused(index):
    assert _reason({**GOOD, "to_index": index}) == "drop.error.bad_index"


def test_a_card_of_another_board_is_refused_even_with_a_real_id():
    # the id exists (another team's task) but this board never drew it
    assert _reason({**GOOD, "item_key": "task-12-v1"}) == "drop.error.unknown_card"


@pytest.mark.parametrize("target,expected", [("bcol-s-blocked", {"to_status": "blocked"}), ("bcol-m-none", {"to_member_id": None})])
def test_board_destinations(target, expected):
    drawn = {"bcol-m-1": [10], "bcol-s-todo": [10], "bcol-s-blocked": [], "bcol-m-none": []}
    source = "bcol-s-todo" if "-s-" in target else "bcol-m-1"
    drop = drops.parse_drop({**GOOD, "from_container": source, "to_container": target}, drawn, "task")
    assert drops.board_destination(drop, "s" if "-s-" in target else "m") == expected


@pytest.mark.parametrize("target,prefix", [("bcol-s-nonsense", "s"), ("bcol-m-abc", "m"), ("bcol-m-99999999999999999999999", "m"),
                                           ("bcol-s-todo", "m")])
def test_a_drawn_but_meaningless_destination_is_refused(target, prefix):
    drawn = {"bcol-m-1": [10], target: []}
    drop = drops.parse_drop({**GOOD, "to_container": target}, drawn, "task")
    with pytest.raises(InvalidInput) as exc:
        drops.board_destination(drop, prefix)
    assert exc.value.errors[0].key == "drop.error.unknown_column"


def test_pipeline_destinations():
    drawn = {"pcol-lead": [5], "pcol-won": [], "pcol-bogus": []}
    good = {"from_container": "pcol-lead", "to_container": "pcol-won", "item_key": "deal-5-v2", "from_index": 0, "to_index": 0}
    assert drops.pipeline_destination(drops.parse_drop(good, drawn, "deal"), ["lead", "won"]) == "won"
    with pytest.raises(InvalidInput):
        drops.pipeline_destination(drops.parse_drop({**good, "to_container": "pcol-bogus"}, drawn, "deal"), ["lead", "won"])
    assert _reason({**good, "item_key": "task-5-v2"}, drawn, "deal") == "drop.error.unknown_card"


def test_my_tasks_status_columns():
    drawn = {"mycol-todo": [7], "mycol-done": [], "mycol-nope": []}
    good = {"from_container": "mycol-todo", "to_container": "mycol-done", "item_key": "task-7-v1", "from_index": 0, "to_index": 0}
    assert drops.task_status(drops.parse_drop(good, drawn, "task"), "mycol-") == "done"
    with pytest.raises(InvalidInput):
        drops.task_status(drops.parse_drop({**good, "to_container": "mycol-nope"}, drawn, "task"), "mycol-")


@pytest.mark.parametrize("index", ["²", "١", "99999999999999999999"])
def test_unicode_digits_and_huge_positions_are_refused_not_raised(index):
    assert _reason({**GOOD, "from_index": index}) == "drop.error.bad_index"
