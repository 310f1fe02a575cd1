"""Limits on what users store, in one place: text length per kind of field, NUL bytes, and numbers
that are finite and within a range that both databases can hold.

Every core write goes through the ORM, so one `before_flush` check on every session refuses a
record whose new values break a limit, whichever core function wrote it (a write that forgot to
validate cannot store a million-character note or `inf`). Imports write in bulk and report per
row, so `row_problems` is called for each imported row with the same rules, naming the file's
column. Messages name the field in the user's words (`limits.field.*` translation keys), never
the raw column name.

Kinds of text: a name or title is a line (200), a reason a sentence (300), a comment a paragraph
(4,000), notes and descriptions a page (10,000); a column is never allowed more than its width.
Numbers: money at most 10^12 (and what its NUMERIC column holds), capacities 0-100,000,
probabilities 0-100 %, ratings -100..100, every other integer within PostgreSQL's 32-bit range
and every other decimal within +-10^12.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Float, Integer, Numeric, String, Text, event, inspect
from sqlalchemy.orm import Session

from core.errors import FieldError, InvalidInput

TEXT_KINDS: dict[str, int] = {"name": 200, "title": 200, "reason": 300, "comment": 4_000, "note": 10_000}
INT32 = 2**31 - 1
NUMBER_MAX = 1e12
NUMBER_KINDS: dict[str, tuple[float, float]] = {
    "money": (-NUMBER_MAX, NUMBER_MAX),
    "quantity": (0, 1e9),
    "capacity": (0, 100_000),
    "probability": (0, 100),
    "rating": (-100, 100),
    "hours": (0, 10_000),
    "count": (-INT32 - 1, INT32),
    "decimal": (-NUMBER_MAX, NUMBER_MAX),
}

_TEXT_KIND_OF = {
    "name": "name", "display_name": "name", "trainer": "name", "name_zh": "name", "name_en": "name",
    "title": "title", "topic": "title", "next_step": "title", "skill": "title",
    "reason": "reason", "close_reason": "reason", "outcome": "reason", "text": "reason",
    "comment": "comment", "message": "comment",
    "notes": "note", "description": "note", "agenda": "note", "body": "note", "summary": "note",
    "resolution_note": "note",
}
_NUMBER_KIND_OF = {
    "probability": "probability", "max_customers": "capacity", "max_open_tasks": "capacity",
    "max_cards": "capacity", "quantity": "quantity", "csat": "rating", "nps": "rating", "score": "rating",
    "confidence": "rating", "hours": "hours",
}
# Fields whose own rule is tighter than their kind (a praise is a short message, a check-in comment
# or a resolution note a paragraph): the modules read these maxima from here (`max_length`).
FIELD_MAX: dict[tuple[str, str], int] = {
    ("recognitions", "message"): 500, ("feedback", "body"): 2_000, ("check_ins", "comment"): 2_000,
    ("interactions", "summary"): 2_000, ("complaints", "resolution_note"): 2_000, ("task_notes", "body"): 2_000,
}
# Written by the system, not typed by users: only NUL bytes and non-finite numbers are refused there.
SYSTEM_TABLES = frozenset({
    "audit_log", "settings", "revision", "table_revisions", "user_sessions", "login_throttles", "scorecard_snapshots",
    "job_runs", "email_outbox", "automation_runs", "notifications", "feedback_senders",
})
LABEL_PREFIX = "limits.field."


def label(table: str, column: str) -> str:
    """The translation key naming this field to users ("Customer name", "Notes")."""
    from core import i18n

    for key in (f"{LABEL_PREFIX}{table}.{column}", f"{LABEL_PREFIX}{column}"):
        if i18n.has_key(key):
            return key
    return f"{LABEL_PREFIX}value"  # an id or a link to another record


def text_limit(table: str, column: Any) -> int | None:
    """Characters allowed in this column, or None for a column that is not text."""
    if not isinstance(column.type, (String, Text)):
        return None
    width = getattr(column.type, "length", None)
    if table in SYSTEM_TABLES:
        return width
    kind = _TEXT_KIND_OF.get(column.name)
    limit = FIELD_MAX.get((table, column.name), TEXT_KINDS[kind] if kind else None)
    if width and (limit is None or width < limit):
        limit = width
    return limit if limit is not None else TEXT_KINDS["note"]


def max_length(model: Any, column: str) -> int:
    """Characters allowed in `model`.`column` (what a module's own check and its form say)."""
    table = model.__table__
    limit = text_limit(table.name, table.columns[column])
    if limit is None:
        raise TypeError(f"{table.name}.{column} is not text")
    return limit


def number_range(table: str, column: Any) -> tuple[float, float] | None:
    """(low, high) allowed in this column, or None for a column that is not a number."""
    kind_type = column.type
    if isinstance(kind_type, Numeric) and not isinstance(kind_type, Float):
        low, high = NUMBER_KINDS[_NUMBER_KIND_OF.get(column.name, "money")]
        if kind_type.precision is not None:  # NUMERIC(p, s) holds less than 10^(p-s)
            cap = 10.0 ** (kind_type.precision - (kind_type.scale or 0)) - 1
            low, high = max(low, -cap), min(high, cap)
        return low, high
    if isinstance(kind_type, Float):
        return NUMBER_KINDS[_NUMBER_KIND_OF.get(column.name, "decimal")]
    if isinstance(kind_type, Integer):
        if table in SYSTEM_TABLES or column.primary_key or column.foreign_keys:
            return NUMBER_KINDS["count"]
        return NUMBER_KINDS[_NUMBER_KIND_OF.get(column.name, "count")]
    return None


def value_problems(table: str, column: Any, value: Any, *, row: int | None = None,
                   where: str | None = None) -> list[FieldError]:
    """What is wrong with `value` for this column. `where` is the column to name in the error (an
    imported file's own header); by default the field's label."""
    if value is None:
        return []
    place = where or label(table, column.name)
    if isinstance(value, str):
        problems = []
        if "\x00" in value:
            problems.append(FieldError("sec.nul_refused", {}, row=row, column=place))
        limit = text_limit(table, column)
        if limit is not None and len(value) > limit:
            problems.append(FieldError("limits.too_long", {"n": limit, "length": len(value)}, row=row, column=place))
        return problems
    bounds = number_range(table, column)
    if bounds is None or isinstance(value, bool):
        return []
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return [FieldError("limits.not_a_number", {}, row=row, column=place)]
    if not math.isfinite(number):
        return [FieldError("limits.not_a_number", {}, row=row, column=place)]
    low, high = bounds
    if not low <= number <= high:
        return [FieldError("limits.out_of_range", {"low": _fmt(low), "high": _fmt(high)}, row=row, column=place)]
    return []


def problems(model: Any, values: Mapping[str, Any], *, row: int | None = None,
             columns: Mapping[str, str] | None = None) -> list[FieldError]:
    """Every limit `values` (column name -> value) breaks for `model`. `columns` maps a field to
    the name to show for it (an import's file header)."""
    table = model.__table__
    found: list[FieldError] = []
    for name, value in values.items():
        column = table.columns.get(name)
        if column is not None:
            found.extend(value_problems(table.name, column, value, row=row, where=(columns or {}).get(name)))
    return found


def check(model: Any, values: Mapping[str, Any]) -> None:
    """Raise InvalidInput naming every field of `values` that breaks a limit."""
    found = problems(model, values)
    if found:
        raise InvalidInput("error.invalid", found)


def record_problems(record: Any) -> list[FieldError]:
    """The limits broken by the values set on `record` since it was loaded (all of them when new)."""
    state = inspect(record)
    table = state.mapper.local_table
    found: list[FieldError] = []
    for attr in state.mapper.column_attrs:
        column = attr.columns[0]
        if column.table is not table:
            continue
        for value in state.attrs[attr.key].history.added:
            found.extend(value_problems(table.name, column, value))
    return found


@event.listens_for(Session, "before_flush")
def _check_before_flush(session: Session, _flush_context, _instances) -> None:
    found: list[FieldError] = []
    for record in (*session.new, *session.dirty):
        found.extend(record_problems(record))
    if found:
        raise InvalidInput("error.invalid", found)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1 or value == 0 else f"{value:g}"
