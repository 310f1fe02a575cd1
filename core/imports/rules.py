"""Import rules without the database: reading values (numbers, money, dates, buckets), record keys and comparisons, result shapes."""
from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from core import i18n
from core.errors import FieldError, InvalidInput
from core.imports.fields import fields_for
from db.models import (
    Complaint,
    Contact,
    Customer,
    Deal,
    Interaction,
    Member,
    Survey,
)


# ---------------------------------------------------------------------------------------------
# Unknown values
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnknownValue:
    field: str
    column: str
    value: str
    count: int
    suggestion: str | None
    options: tuple[str, ...]
    may_create: bool  # a new industry/region may be kept as new; an enum or team must be mapped


SUGGEST_RATIO = 0.8  # difflib ratio of a misspelling ("helthcare" ~ healthcare 0.95; "medical" ~ education 0.5 is not one)


def _close_enough(value: str, option: str, ratio: float) -> bool:
    """A misspelling of the option: similar by ratio, or for a short word (two or three characters,
    as Chinese region names are) the same length with one character different."""
    if ratio >= SUGGEST_RATIO:
        return True
    if len(value) == len(option) and 2 <= len(value) <= 3:
        return sum(a != b for a, b in zip(value, option)) == 1
    return False


def _similar(value: str, options: list[str], weights: Counter[str] | None = None) -> str | None:
    """The closest option that is a likely misspelling of it (see `_close_enough`), else None (the
    value is then proposed as a new one); ties go to the most used option."""
    best, best_key = None, None
    v = value.strip().lower()
    for option in options:
        ratio = difflib.SequenceMatcher(None, v, option.strip().lower()).ratio()
        if not _close_enough(v, option.strip().lower(), ratio):
            continue
        key = (ratio, weights.get(option, 0) if weights else 0)
        if best_key is None or key > best_key:
            best, best_key = option, key
    return best


def _number(text: str) -> float | None:
    try:
        value = float(str(text).replace(",", "").strip())
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def numeric_category_columns(kind: str, frame: pd.DataFrame, mapping: dict[str, str | None]) -> list[tuple[str, str]]:
    """(column, field) of every column holding only numbers mapped to a category (a head count
    mapped to the company size): the page asks for the band limits once."""
    specs = {s.name: s for s in fields_for(kind)}
    found = []
    for column, target in mapping.items():
        if target and column in frame.columns and specs[target].kind == "enum":
            values = [v for v in frame[column] if v]
            if values and all(_number(v) is not None for v in values):
                found.append((column, target))
    return found


DEFAULT_BUCKETS = {"size": (50.0, 250.0, 1000.0)}  # head count: < 50 small, < 250 medium, < 1000 large, else enterprise


def bucket_of(value: float, limits: tuple[float, ...] | list[float], choices: tuple[str, ...]) -> str:
    """The category of a number: the first band whose upper limit it stays under (limits ascending,
    one fewer than the categories; the last category takes everything above)."""
    for limit, code in zip(limits, choices):
        if value < limit:
            return code
    return choices[len(limits)] if len(limits) < len(choices) else choices[-1]


def check_buckets(limits: list[float], choices: tuple[str, ...]) -> None:
    if len(limits) != len(choices) - 1 or any(b <= a for a, b in zip(limits, limits[1:])) or any(x <= 0 for x in limits):
        raise InvalidInput("move.buckets_invalid", [FieldError("move.buckets_invalid")])


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
_MONEY_MARKS = tuple(sorted({*i18n.CURRENCY_SYMBOLS.values(), *i18n.CURRENCY_SYMBOLS, "\uffe5", ","}, key=len, reverse=True))


def _strip_currency(text: str) -> str:
    """An amount as written in a file: thousands separators and any currency sign or code dropped."""
    for mark in _MONEY_MARKS:
        text = text.replace(mark, "")
    return text.strip()


def _parse_date(text: str) -> date | None:
    text = text.strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _parse_datetime(text: str) -> datetime | None:
    clean = text.strip().replace("年", "-").replace("月", "-").replace("日", " ").replace("/", "-").replace("T", " ").strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(clean, fmt)
        except ValueError:
            continue
    return None


@dataclass
class Prepared:
    rows: list[dict[str, Any]]
    errors: list[FieldError]
    error_count: int
    total: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0


MODES = ("create", "update", "upsert")
KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("external_id", "name_region", "name"),
    "members": ("external_id", "email", "name"),
    "deals": ("external_id", "customer_title"),
    "interactions": ("customer_time",),
    "contacts": ("customer_name", "email"),
    "surveys": ("customer_time_scores",),
    "complaints": ("customer_title_time",),
}
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id",), "name_region": ("name", "region"), "name": ("name",), "email": ("email",),
    "customer_title": ("customer", "title"), "customer_time": ("customer", "occurred_at", "channel"),
    "customer_name": ("customer", "name"), "customer_time_scores": ("customer", "responded_at", "csat", "nps"),
    "customer_title_time": ("customer", "title", "opened_at"),
}
# Key fields that may be blank: a survey answering only CSAT is matched by its empty NPS too (the
# same customer, time and scores are the same response).
KEY_BLANK_OK: dict[str, frozenset[str]] = {"customer_time_scores": frozenset({"csat", "nps"})}
_ROW_KEY = {"customer": "customer_id"}  # a reference field's value in a prepared row
# Fields compared with the existing record in "update" modes (the row's name -> the column).
COMPARED: dict[str, tuple[str, ...]] = {
    "customers": ("external_id", "name", "industry", "size", "region", "tier", "status", "notes", "last_contact_at",
                  "owner_id", "team_id"),
    "members": ("external_id", "name", "email", "phone", "team_id", "role_id", "manager_id", "max_customers",
                "max_open_tasks", "joined_on"),
    "deals": ("external_id", "title", "customer_id", "owner_id", "value", "currency", "stage", "expected_close", "closed_on"),
    "interactions": ("member_id", "summary", "outcome", "next_follow_up"),
    "contacts": ("name", "title", "phone", "email", "is_primary"),
    "surveys": ("member_id", "comment", "interaction_id"),
    "complaints": ("title", "description", "severity", "status", "assignee_id", "first_response_at", "resolved_at"),
}
_KEYED_EXTRA = {"contacts": ("customer_id",), "surveys": ("customer_id", "responded_at", "csat", "nps"),
                "complaints": ("customer_id", "opened_at")}


# Who may import each kind (default: admins and managers). Anyone may import the survey answers
# of the customers they see, as they may record one by hand.
IMPORTERS: dict[str, tuple[str, ...]] = {"surveys": ("admin", "manager", "member")}


def importer_roles(kind: str) -> tuple[str, ...]:
    return IMPORTERS.get(kind, ("admin", "manager"))


def key_needs(key: str) -> set[str]:
    """The fields a file must map for rows to be matched by `key`."""
    return set(KEY_FIELDS[key]) - KEY_BLANK_OK.get(key, frozenset())


def default_key(kind: str, mapping: dict[str, str | None]) -> str:
    """External id when the file has one, else the first natural key whose fields are mapped."""
    mapped = set(mapping.values())
    for key in KEYS[kind]:
        if key_needs(key) <= mapped:
            return key
    return KEYS[kind][0]


def default_mode(kind: str, mapping: dict[str, str | None]) -> str:
    """Create and update when the file can be matched with existing records by some key; else
    create only (a survey file without a time column: every row is a new response)."""
    mapped = set(mapping.values())
    return "upsert" if any(key_needs(key) <= mapped for key in KEYS[kind]) else "create"


def _key_part(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, datetime):
        return value.replace(second=0, microsecond=0)
    return value


def _row_key(row: dict, key: str) -> tuple | None:
    """The row's (or record's) value of `key`, None when a part it needs is blank (nothing to match by)."""
    blank_ok = KEY_BLANK_OK.get(key, frozenset())
    parts = tuple(_key_part(row.get(_ROW_KEY.get(f, f))) for f in KEY_FIELDS[key])
    return None if any(p is None and f not in blank_ok for f, p in zip(KEY_FIELDS[key], parts)) else parts


def _same(new: Any, old: Any) -> bool:
    if isinstance(new, Decimal) or isinstance(old, Decimal):
        try:
            return Decimal(str(new)) == Decimal(str(old))
        except InvalidOperation:
            return False
    if isinstance(new, datetime) and isinstance(old, datetime):
        return new.replace(microsecond=0) == old.replace(microsecond=0)
    return new == old


@dataclass(frozen=True)
class ImportPreview:
    """The dry run: the first rows as they will be saved, every error, and what would happen."""
    rows: pd.DataFrame
    errors: tuple[FieldError, ...]
    error_rows: int
    total: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0


# ---------------------------------------------------------------------------------------------
# What a commit reports; the tables and audit names per kind
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    kind: str
    created: int
    assigned: int = 0
    queued: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    errors: tuple[FieldError, ...] = ()
    logins: tuple[tuple[str, str, str], ...] = ()  # (member, username, one-time password)
    teams: int = 0


_MODELS: dict[str, Any] = {"customers": Customer, "members": Member, "deals": Deal, "interactions": Interaction, "contacts": Contact,
           "surveys": Survey, "complaints": Complaint}
_ENTITY = {"customers": "customer", "members": "member", "deals": "deal", "interactions": "interaction", "contacts": "contact",
           "surveys": "survey", "complaints": "complaint"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
