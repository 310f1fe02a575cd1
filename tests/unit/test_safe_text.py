"""User text in markdown shows as typed; limits on stored text and numbers; ids from URLs."""
from __future__ import annotations

import math

import pytest

from core import safe_text
from core.errors import InvalidInput


@pytest.mark.parametrize("text", [
    "![x](http://h.test/i.png)", "[Reset your password](https://h.test)", "<img src=x onerror=alert(1)>",
    ":red[alarm] :material/home:", "$x^2$", "# Heading", "1. list", "**bold** _it_ `code`", "www.h.test", "a@b.test",
])
def test_escaped_text_contains_no_unescaped_markdown_punctuation(text):
    escaped = safe_text.escape_markdown(text)
    visible = escaped.replace("\\", "").replace(safe_text.WORD_JOINER, "")
    assert visible == text  # shows exactly what was typed
    for i, ch in enumerate(escaped):
        if ch in "![]()<>:$#*_`" and (i == 0 or escaped[i - 1] != "\\"):
            pytest.fail(f"unescaped {ch!r} in {escaped!r}")
    assert "http://" not in escaped.lower() and "www." not in escaped


def test_line_breaks_stay_line_breaks_and_none_is_empty():
    assert safe_text.escape_markdown("a\nb") == "a  \nb"
    assert safe_text.escape_markdown(None) == ""


def test_text_limits_name_the_field_and_the_limit():
    with pytest.raises(InvalidInput) as exc:
        safe_text.clean_text("x" * 201, "title", safe_text.TITLE_MAX)
    assert exc.value.errors[0].key == "sec.too_long" and exc.value.errors[0].params["n"] == 200
    with pytest.raises(InvalidInput) as exc:
        safe_text.clean_text("a\x00b", "title", 200)
    assert exc.value.errors[0].key == "sec.nul_refused"


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, "1e400", "abc", 1e30])
def test_numbers_must_be_finite_and_bounded(value):
    assert safe_text.number_problems(value, "amount")


@pytest.mark.parametrize("raw,expected", [
    ("12", 12), (" 7 ", 7), ("0", None), ("-3", None), ("1e3", None), ("99999999999999999999999", None),
    ("", None), (None, None), ("[x](http://h)", None), (True, None),
])
def test_ids_from_urls(raw, expected):
    assert safe_text.parse_id(raw) == expected


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999", "1e5", "-1", "0", "", " ", "1.0", True, None, [1]])
def test_parse_id_returns_none_for_anything_but_a_plain_id(value):
    from core.safe_text import parse_id

    assert parse_id(value) is None


def test_parse_id_reads_a_plain_id():
    from core.safe_text import parse_id

    assert parse_id(" 42 ") == 42
