"""One upload row converted to our fields: each cell read by its field's kind, then the checks
that look at the whole row (limits, uniqueness, each kind's own rules). Problems are located by
spreadsheet row (index + 2, the header being row 1) and by the file's own column header."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from core import limits as value_limits
from core.errors import FieldError
from core.imports.fields import KEEP, MODELS, FieldSpec
from core.imports.refs import _Refs
from core.imports.rules import _number, _parse_date, _parse_datetime, _strip_currency, bucket_of
from core.imports.tables import _cell_text
from core.metrics import CLOSED
from db.base import utcnow

_Error = tuple[str, dict[str, Any]] | None  # an error key and its parameters, or none
_Bad = Callable[..., None]  # bad(column, key, **params) records a problem of this row


@dataclass
class _Upload:
    """What converting the rows of one upload needs to know, loaded once."""
    kind: str
    columns: list[tuple[str, FieldSpec]]  # (the file's column, our field)
    value_map: dict[str, dict[str, str]]
    refs: _Refs
    enum_tables: dict[str, dict[str, str]]
    team_map: dict[str, str]
    file_keys: dict[str, list[int]]  # members named by rows of this file (managers): key -> [-(index + 1)]
    buckets: dict[str, list[float]]
    default_role_id: int | None
    existing_unique: dict[str, dict[str, int]]
    seen_unique: dict[str, dict[str, int]]

    def column(self, name: str) -> str:
        return next(c for c, s in self.columns if s.name == name)


def _one(ids: list[int], unknown: str, text: str) -> tuple[int | None, _Error]:
    if len(ids) != 1:
        return None, ("imports.ambiguous" if ids else unknown, {"value": text})
    return ids[0], None


def _as_text(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    return {spec.name: text}, None


def _as_enum(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    code = up.enum_tables[spec.name].get(text.lower())
    number = _number(text) if code is None and spec.name in up.buckets else None
    if number is not None:
        code = bucket_of(number, up.buckets[spec.name], spec.choices)
    error = ("imports.bad_choice", {"value": text, "allowed": ", ".join(spec.choices)}) if code is None else None
    return {spec.name: code}, error


def _as_bool(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    lowered = text.lower()
    if lowered in ("1", "yes", "y", "true", "x", "是", "√", "✓"):
        return {spec.name: True}, None
    if lowered in ("0", "no", "n", "false", "否"):
        return {spec.name: False}, None
    return {}, ("imports.bad_choice", {"value": text, "allowed": "yes, no"})


def _as_int(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    try:
        number = int(float(text))  # "inf" raises OverflowError, "nan" ValueError
        if number < 0:
            raise ValueError
        return {spec.name: number}, None
    except (ValueError, OverflowError):
        return {}, ("imports.bad_count", {"value": text})


def _as_score(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    """A whole number within the field's bounds ("4" and "4.0"; not "3.5", "11" or "good")."""
    low, high = spec.bounds or (0, 2**31 - 1)
    number = _number(text)
    if number is None or number != int(number) or not low <= number <= high:
        return {}, ("imports.bad_score", {"value": text, "low": low, "high": high})
    return {spec.name: int(number)}, None


def _as_money(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    try:
        amount = Decimal(_strip_currency(text))
        if amount < 0 or not amount.is_finite():
            raise InvalidOperation
        return {spec.name: amount}, None
    except InvalidOperation:
        return {}, ("imports.bad_money", {"value": text})


def _as_date(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    parsed = _parse_date(text)
    return {spec.name: parsed}, ("imports.bad_date", {"value": text}) if parsed is None else None


def _as_datetime(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    parsed = _parse_datetime(text)
    return {spec.name: parsed}, ("imports.bad_date", {"value": text}) if parsed is None else None


def _as_team(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    team_id, error = _one(up.refs.teams.get(up.team_map.get(text.lower(), text).lower(), []), "imports.unknown_team", text)
    return {"team_id": team_id}, error


def _as_member(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    # a person named by a row of this same file is that row (re-imports name them twice)
    ids = up.file_keys.get(text.lower()) or up.refs.members.get(text.lower(), [])
    member_id, error = _one(ids, "imports.unknown_member", text)
    return {spec.name + "_id": member_id}, error


# The words for a customer the actor cannot see (or that does not exist: the same answer), per kind.
_UNKNOWN_CUSTOMER = {"surveys": "surveys.error.unknown_customer"}


def _as_customer(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    """The one customer in scope with this external id, else with this name."""
    key = text.lower()
    ids = up.refs.customer_codes.get(key) or up.refs.customers.get(key, [])
    customer_id, error = _one(ids, _UNKNOWN_CUSTOMER.get(up.kind, "imports.unknown_customer"), text)
    return {"customer_id": customer_id, spec.name: text}, error  # the text names the row in errors (a key twice in the file)


def _as_interaction(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    """An interaction by id, among those of the customers in scope (which customer: `_check_surveys`)."""
    iid = int(text) if text.isdecimal() and int(text) < 2**31 else None
    if iid is None or iid not in up.refs.interactions:
        return {}, ("surveys.error.interaction", {})
    return {spec.name: iid}, None


def _as_role(up: _Upload, spec: FieldSpec, text: str) -> tuple[dict[str, Any], _Error]:
    rid = up.refs.roles.get(text.lower())
    return {"role_id": rid}, ("imports.unknown_role", {"value": text}) if rid is None else None


_CONVERTERS: dict[str, Callable[[_Upload, FieldSpec, str], tuple[dict[str, Any], _Error]]] = {
    "text": _as_text, "free": _as_text, "enum": _as_enum, "bool": _as_bool, "int": _as_int, "score": _as_score,
    "money": _as_money, "date": _as_date, "datetime": _as_datetime, "team": _as_team, "member": _as_member,
    "customer": _as_customer, "role": _as_role, "interaction": _as_interaction,
}


def _read_cells(up: _Upload, raw: dict[str, Any], row: dict[str, Any], bad: _Bad) -> None:
    """Each mapped cell into `row` under our field's name (after the user's value mapping). A frame
    not read by `read_table` (numbers, NaN, dates as cells) is read as that text."""
    for column, spec in up.columns:
        text = raw.get(column, "")
        if not isinstance(text, str):
            text = _cell_text(text)
        mapped = up.value_map.get(spec.name, {})
        if text in mapped and mapped[text] != KEEP:
            text = mapped[text]
        if not text:
            if spec.required:
                bad(column, "imports.required")
            row[spec.name] = None
            continue
        if spec.max_len and len(text) > spec.max_len:
            bad(column, "customers.too_long", max=spec.max_len)
            continue
        converter = _CONVERTERS.get(spec.kind)
        if converter is None:
            continue
        values, error = converter(up, spec, text)
        if error is not None:
            bad(column, error[0], **error[1])
        row.update(values)


def _derive(up: _Upload, row: dict[str, Any]) -> None:
    """Fields the row implies without naming them."""
    if up.kind == "customers" and row.get("owner_id") is not None:  # the owner's team, as the writer does
        row["team_id"] = up.refs.member_team.get(row["owner_id"], row.get("team_id"))
    if up.default_role_id is not None and "role_id" not in row and up.kind == "members":
        row["role_id"] = up.default_role_id
    if up.kind == "surveys" and row.get("member_id") is None and row.get("interaction_id") is not None:
        row["member_id"] = up.refs.interactions[row["interaction_id"]][1]  # who handled it (else the owner, when written)
    if up.kind == "deals" and row.get("stage") in CLOSED and not row.get("closed_on") and row.get("expected_close"):
        row["closed_on"] = row["expected_close"]  # a closed deal's date is when it closed


def _check_unique(up: _Upload, row: dict[str, Any], line: int, bad: _Bad) -> None:
    """External ids and e-mails: once in the file; a hit on an existing record is noted for the
    classifier (fine when it is the record this row updates)."""
    for unique in ("external_id", "email"):
        value = row.get(unique)
        if value and unique in up.existing_unique:
            column = up.column(unique)
            low = value.lower()
            if low in up.existing_unique[unique]:
                row.setdefault("_unique_hits", []).append((unique, column, value, up.existing_unique[unique][low]))
            if low in up.seen_unique[unique]:
                bad(column, "imports.duplicate_in_file", value=value, first=up.seen_unique[unique][low])
            else:
                up.seen_unique[unique][low] = line


def _check_members(up: _Upload, row: dict[str, Any], index: int, row_errors: list[FieldError], bad: _Bad) -> None:
    if row.get("email") and "@" not in row["email"]:
        bad(up.column("email"), "customers.bad_email")
    if row.get("manager_id") == -(index + 1):
        bad(up.column("manager"), "imports.own_manager")


def _check_surveys(up: _Upload, row: dict[str, Any], index: int, row_errors: list[FieldError], bad: _Bad) -> None:
    """At least one score (the scales are the fields' bounds); the interaction is with this customer."""
    if row.get("csat") is None and row.get("nps") is None and not row_errors:
        bad(next((c for c, s in up.columns if s.name in ("csat", "nps")), ""), "surveys.error.no_score")
    iid = row.get("interaction_id")
    if iid is not None and row.get("customer_id") is not None and up.refs.interactions[iid][0] != row["customer_id"]:
        bad(up.column("interaction_id"), "surveys.error.interaction")


def _check_complaints(up: _Upload, row: dict[str, Any], index: int, row_errors: list[FieldError], bad: _Bad) -> None:
    for name in ("first_response_at", "resolved_at"):
        if row.get(name) and row.get("opened_at") and row[name] < row["opened_at"]:
            bad(up.column(name), "imports.bad_date", value=row[name].isoformat(sep=" "))


def _check_interactions(up: _Upload, row: dict[str, Any], index: int, row_errors: list[FieldError], bad: _Bad) -> None:
    if row.get("occurred_at") and row["occurred_at"] > utcnow() + timedelta(days=1):
        bad(up.column("occurred_at"), "comm.future_contact")


_KIND_CHECKS: dict[str, Callable[[_Upload, dict[str, Any], int, list[FieldError], _Bad], None]] = {
    "members": _check_members, "surveys": _check_surveys, "complaints": _check_complaints,
    "interactions": _check_interactions,
}


def convert_row(up: _Upload, index: int, raw: dict[str, Any]) -> dict[str, Any]:
    """The row as our fields, with its problems under "_errors" (all of them, in column order
    first, then the whole-row checks)."""
    line = index + 2
    row: dict[str, Any] = {"_line": line}
    row_errors: list[FieldError] = []

    def bad(column: str, key: str, **params: Any) -> None:
        row_errors.append(FieldError(key, params, row=line, column=column))

    _read_cells(up, raw, row, bad)
    # the same limits as every other write (NUL bytes, lengths, finite and bounded numbers),
    # named by the file's own column
    headers = {spec.name: column for column, spec in up.columns if spec.kind in ("text", "free", "int", "score", "money")}
    row_errors.extend(value_limits.problems(MODELS[up.kind], {n: row[n] for n in headers if n in row}, row=line, columns=headers))
    _derive(up, row)
    _check_unique(up, row, line, bad)
    check = _KIND_CHECKS.get(up.kind)
    if check is not None:
        check(up, row, index, row_errors, bad)
    row["_errors"] = row_errors
    return row
