"""User text is data, never markup: escaping for Streamlit's markdown, and limits on what is stored.

`escape_markdown` backslash-escapes every ASCII punctuation character (CommonMark allows escaping
any of them, and an escaped character always renders as itself), so no markdown construct, HTML
tag, autolink (`http\\://…`), Streamlit directive (`:red[…]`, `:material/…:`) or LaTeX (`$…$`) can
form from user text; line breaks are kept as line breaks. ui.esc (ui/text.py) is the one entry point.

`clean_text` and `clean_number` are the limits every core write applies to text and numbers:
length, NUL bytes (PostgreSQL refuses them, SQLite stores them), finiteness and range.
"""
from __future__ import annotations

import math
import re
from typing import Any

from core.errors import FieldError, InvalidInput

WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(https?|ftp|www|mailto|xmpp)(?=[:.])|([^\s@])(?=@)")
_PUNCTUATION = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")

# Default limits (characters) by kind of field; the database columns are at least this wide.
NAME_MAX = 200
TITLE_MAX = 200
NOTE_MAX = 10_000
SHORT_MAX = 60
NUMBER_MAX = 1e12  # money and counts: far above any real value, far below float trouble


def escape_markdown(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).replace("\x00", "")
    # Streamlit turns bare URLs and e-mail addresses into live links AFTER parsing (escapes do not
    # stop it): an invisible word joiner breaks "http://", "www." and "@" for the link finder only.
    text = _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2)) + WORD_JOINER, text)
    text = _PUNCTUATION.sub(r"\\\1", text)
    # a line break inside one markdown element: two trailing spaces keep it a visible break
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "  \n")


def text_problems(value: Any, field: str, max_length: int, *, row: int | None = None) -> list[FieldError]:
    """What is wrong with a text value: a NUL byte, or too many characters."""
    if value is None or not isinstance(value, str):
        return []
    problems = []
    if "\x00" in value:
        problems.append(FieldError("sec.nul_refused", {"field": field}, row=row, column=field))
    if len(value) > max_length:
        problems.append(FieldError("sec.too_long", {"field": field, "n": max_length, "length": len(value)}, row=row, column=field))
    return problems


def clean_text(value: Any, field: str, max_length: int) -> Any:
    """`value` if it is within the limits, else InvalidInput saying which limit."""
    problems = text_problems(value, field, max_length)
    if problems:
        raise InvalidInput("error.invalid", problems)
    return value


def number_problems(value: Any, field: str, low: float = -NUMBER_MAX, high: float = NUMBER_MAX,
                    *, row: int | None = None) -> list[FieldError]:
    if value is None:
        return []
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return [FieldError("sec.number_not_finite", {"field": field}, row=row, column=field)]
    if not math.isfinite(number):
        return [FieldError("sec.number_not_finite", {"field": field}, row=row, column=field)]
    if number < low or number > high:
        return [FieldError("sec.number_out_of_range", {"field": field, "low": _fmt(low), "high": _fmt(high)}, row=row, column=field)]
    return []


def clean_number(value: Any, field: str, low: float = -NUMBER_MAX, high: float = NUMBER_MAX) -> Any:
    problems = number_problems(value, field, low, high)
    if problems:
        raise InvalidInput("error.invalid", problems)
    return value


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1 or value == 0 else f"{value:g}"


def parse_id(value: Any) -> int | None:
    """A record id from a URL or a widget: a positive integer that fits a 64-bit column, else None
    (`?customer=99999999999999999999` must not raise OverflowError in the database driver)."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:  # "²".isdigit() is True, int("²") raises
        return None
    number = int(text)
    return number if 0 < number < 2**63 else None
