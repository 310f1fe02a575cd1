"""Preparing an upload: each row checked, converted and classified as new, changed, unchanged or rejected; the preview."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import FieldError, InvalidInput
from core.imports.convert import _Upload, convert_row
from core.imports.fields import CHUNK, PREVIEW_ROWS, FieldSpec, _enum_lookup, fields_for, mapping_problems
from core.imports.refs import _add, _load_interactions, _load_refs
from core.imports.rules import (
    _KEYED_EXTRA,
    _MODELS,
    COMPARED,
    KEY_FIELDS,
    KEYS,
    MODES,
    ImportPreview,
    Prepared,
    _row_key,
    _same,
    check_buckets,
    default_key,
    importer_roles,
    key_needs,
)
from core.permissions import (
    Actor,
    ensure_role,
    scope_clause,
    scope_for,
)
from db.models import (
    Customer,
    Deal,
    Interaction,
    Member,
)


def _existing_records(session: Session, actor: Actor, kind: str) -> list[dict]:
    """The records an import may match (inside the actor's scope), with the compared columns."""
    scope = scope_for(session, actor)
    if kind == "customers":
        query = select(Customer.id, *[getattr(Customer, c) for c in COMPARED[kind]]).where(scope_clause(scope, Customer))
    elif kind == "members":
        query = select(Member.id, *[getattr(Member, c) for c in COMPARED[kind]]).where(scope_clause(scope, Member), Member.status != "left")
    elif kind == "deals":
        query = (select(Deal.id, *[getattr(Deal, c) for c in COMPARED[kind]])
                 .join(Customer, Customer.id == Deal.customer_id).where(scope_clause(scope, Customer)))
    elif kind == "interactions":
        query = (select(Interaction.id, Interaction.customer_id, Interaction.occurred_at, Interaction.channel,
                        *[getattr(Interaction, c) for c in COMPARED[kind]])
                 .join(Customer, Customer.id == Interaction.customer_id).where(scope_clause(scope, Customer)))
    else:
        model = _MODELS[kind]
        wanted = dict.fromkeys([*_KEYED_EXTRA[kind], *COMPARED[kind]])
        query = (select(model.id, *[getattr(model, c) for c in wanted])
                 .join(Customer, Customer.id == model.customer_id).where(scope_clause(scope, Customer)))
    return [dict(r._mapping) for r in session.execute(query)]


def _match(session: Session, actor: Actor, kind: str, rows: list[dict], key: str, key_column: str,
           errors_of: Callable[[dict], list[FieldError]]) -> dict[int, int]:
    """Each row's existing record by `key` under "_match" / "_existing" (a key twice in the file or
    matching two records is an error); returns file reference -(i+1) -> matched member id (members'
    managers)."""
    index: dict[tuple, list[dict]] = {}
    for record in _existing_records(session, actor, kind):
        found = _row_key(record, key)
        if found is not None:
            index.setdefault(found, []).append(record)
    seen: dict[tuple, int] = {}
    matched_ids: dict[int, int] = {}
    for row in rows:
        found = _row_key(row, key)
        hits = index.get(found, []) if found is not None else []
        if found is not None and found in seen:
            errors_of(row).append(FieldError("imports.duplicate_in_file", {"value": row.get(KEY_FIELDS[key][0]), "first": seen[found]},
                                             row=row["_line"], column=key_column))
            continue
        if found is not None:
            seen[found] = row["_line"]
        if len(hits) > 1:
            errors_of(row).append(FieldError("imports.ambiguous", {"value": row.get(KEY_FIELDS[key][0])}, row=row["_line"], column=key_column))
            continue
        if hits:
            row["_match"] = hits[0]["id"]
            row["_existing"] = hits[0]
            matched_ids[-(row["_line"] - 1)] = hits[0]["id"]
    return matched_ids


def _changes(row: dict, existing: dict, compared: list[str], matched_ids: dict[int, int]) -> dict[str, Any]:
    """The compared fields the row would change on its record (an empty cell keeps what the record has)."""
    changes = {}
    for field_name in compared:
        if field_name not in row or row[field_name] is None:
            continue
        value = row[field_name]
        if field_name == "manager_id" and isinstance(value, int) and value < 0:
            value = matched_ids.get(value, value)
            if value < 0:
                changes[field_name] = row[field_name]  # a new row of this file: resolved after the insert
                continue
        if not _same(value, existing.get(field_name)):
            changes[field_name] = value
    return changes


def _classify(session: Session, actor: Actor, kind: str, rows: list[dict], columns, mode: str, key: str,
              errors_of: Callable[[dict], list[FieldError]]) -> tuple[int, int, int]:
    """Match every valid row with an existing record by `key`; note what would change. Adds the
    row errors that follow from the mode (a match in "create only", none in "update existing")."""
    mapped = {s.name for _, s in columns}
    if not key_needs(key) <= mapped:
        if mode != "create":
            raise InvalidInput("imports.mapping_incomplete", [FieldError("move.key_not_mapped")])
        for row in rows:  # nothing to match by: every row is new (unique columns still checked)
            for _, column, value, _owner in row.pop("_unique_hits", []):
                errors_of(row).append(FieldError("imports.duplicate_existing", {"value": value}, row=row["_line"], column=column))
        return sum(1 for r in rows if not errors_of(r)), 0, 0
    key_column = next(c for c, s in columns if s.name == KEY_FIELDS[key][0])
    matched_ids = _match(session, actor, kind, rows, key, key_column, errors_of)
    compared = list(COMPARED[kind])
    new = updated = unchanged = 0
    for row in rows:
        for _field, column, value, owner in row.pop("_unique_hits", []):
            if row.get("_match") != owner:
                errors_of(row).append(FieldError("imports.duplicate_existing", {"value": value}, row=row["_line"], column=column))
        if errors_of(row):
            continue
        existing = row.get("_existing")
        if existing is None:
            if mode == "update":
                errors_of(row).append(FieldError("move.not_found", row=row["_line"], column=key_column))
            else:
                new += 1
            continue
        if mode == "create":
            errors_of(row).append(FieldError("move.exists", row=row["_line"], column=key_column))
            continue
        row["_changes"] = _changes(row, existing, compared, matched_ids)
        if row["_changes"]:
            updated += 1
        else:
            unchanged += 1
    return new, updated, unchanged


def _check_request(actor: Actor, kind: str, mapping: dict[str, str | None], mode: str, key: str | None,
                   default_role: str | None) -> str:
    """The match key, once the actor may import and the mode, key and mapping make sense."""
    ensure_role(actor, *importer_roles(kind))
    if mode not in MODES:
        raise InvalidInput("error.invalid")
    match_key = key or default_key(kind, mapping)
    if match_key not in KEYS[kind]:
        raise InvalidInput("error.invalid")
    problems = mapping_problems(mapping, kind, default_role=default_role)
    if problems:
        raise InvalidInput("imports.mapping_incomplete", problems)
    return match_key


def _file_keys(kind: str, frame: pd.DataFrame, columns: list[tuple[str, FieldSpec]]) -> dict[str, list[int]]:
    """Members: each row's external id, e-mail and name -> -(index + 1), since managers may be other
    rows of this file."""
    file_keys: dict[str, list[int]] = {}
    if kind != "members":
        return file_keys
    for i, (name, email, ext) in enumerate(zip(*[
        frame[c] if c else [""] * len(frame)
        for c in [next((c for c, s in columns if s.name == f), None) for f in ("name", "email", "external_id")]
    ])):
        for key in (ext, email, name):
            _add(file_keys, key, -(i + 1))
    return file_keys


def _upload(session: Session, actor: Actor, kind: str, frame: pd.DataFrame, mapping: dict[str, str | None],
            value_map: dict[str, dict[str, str]], buckets: dict[str, list[float]], default_role: str | None) -> _Upload:
    """What converting the rows needs: the mapped columns, the existing records they refer to,
    the value tables and the buckets (checked)."""
    specs = {s.name: s for s in fields_for(kind)}
    refs = _load_refs(session, actor, kind)
    columns = [(c, specs[f]) for c, f in mapping.items() if f and c in frame.columns]
    for column, spec in columns:
        if spec.kind == "interaction":
            _load_interactions(session, actor, refs, [str(v) for v in frame[column]])
    file_keys = _file_keys(kind, frame, columns)
    existing_unique = _existing_unique(session, kind, frame, columns)
    for field_name, limits in buckets.items():
        check_buckets(limits, specs[field_name].choices)
    default_role_id = refs.roles.get(str(default_role).lower()) if default_role else None
    if kind == "members" and "role" not in set(mapping.values()) and default_role_id is None:
        raise InvalidInput("imports.mapping_incomplete", [FieldError("imports.missing_field", {"field": "role"})])
    return _Upload(kind=kind, columns=columns, value_map=value_map, refs=refs,
                   enum_tables={s.name: _enum_lookup(s) for _, s in columns if s.kind == "enum"},
                   team_map={k.lower(): v for k, v in value_map.get("team", {}).items()}, file_keys=file_keys,
                   buckets=buckets, default_role_id=default_role_id, existing_unique=existing_unique,
                   seen_unique={"external_id": {}, "email": {}})


def prepare(session: Session, actor: Actor, kind: str, frame: pd.DataFrame, mapping: dict[str, str | None],
            value_map: dict[str, dict[str, str]] | None = None,
            progress: Callable[[float, str], None] | None = None, *, mode: str = "create", key: str | None = None,
            buckets: dict[str, list[float]] | None = None, default_role: str | None = None) -> Prepared:
    """Every row converted to our fields, with every problem located (spreadsheet row = index + 2,
    the header being row 1; column = the file's own header), matched with the existing records by
    `key` and classified as new / updated / unchanged (or refused, with its errors; all of them)."""
    match_key = _check_request(actor, kind, mapping, mode, key, default_role)
    up = _upload(session, actor, kind, frame, mapping, value_map or {},
                 {k: list(v) for k, v in (buckets or {}).items()}, default_role)
    records = frame.to_dict("records")
    total = len(records)
    rows: list[dict[str, Any]] = []
    for index, raw in enumerate(records):
        if progress and index % CHUNK == 0:
            progress(index / max(total, 1), "validate")
        rows.append(convert_row(up, index, raw))
    new, updated, unchanged = _classify(session, actor, kind, [r for r in rows if not r["_errors"]], up.columns, mode,
                                        match_key, lambda r: r["_errors"])
    refused = [row for row in rows if row["_errors"]]
    errors = [error for row in refused for error in row["_errors"]]
    if progress:
        progress(1.0, "validate")
    return Prepared(rows, errors, len(refused), total, new, updated, unchanged)


def _existing_unique(session: Session, kind: str, frame: pd.DataFrame, columns) -> dict[str, dict[str, int]]:
    """Existing external ids / e-mails (all records, whatever the scope: they must stay unique)."""
    model: Any = {"customers": Customer, "members": Member, "deals": Deal}.get(kind)
    result: dict[str, dict[str, int]] = {}
    if model is None:
        return result
    for column, spec in columns:
        if spec.name in ("external_id", "email") and hasattr(model, spec.name):
            values = {v for v in frame[column] if v}
            col = getattr(model, spec.name)
            found: dict[str, int] = {}
            ordered = sorted(values)
            for start in range(0, len(ordered), 900):
                found.update({str(v).lower(): i for i, v in session.execute(
                    select(model.id, col).where(col.in_(ordered[start:start + 900])))})
            result[spec.name] = found
    return result


def preview(session: Session, actor: Actor, kind: str, frame: pd.DataFrame, mapping: dict[str, str | None],
            value_map: dict[str, dict[str, str]] | None = None, limit: int = PREVIEW_ROWS, **options: Any) -> ImportPreview:
    """Nothing is written: `options` are commit_import's mode, key, buckets and default_role."""
    prepared = prepare(session, actor, kind, frame, mapping, value_map, **options)
    shown = []
    names = [s.name for s in fields_for(kind) if s.name in set(mapping.values())]
    bad_lines = {e.row for e in prepared.errors}
    for row in prepared.rows[:limit]:
        line = row["_line"]
        record = {"row": line, "ok": line not in bad_lines}
        source = frame.iloc[line - 2]
        for column, target in mapping.items():
            if target:
                record[target] = source[column]
        shown.append(record)
    return ImportPreview(pd.DataFrame.from_records(shown, columns=["row", "ok", *names]), tuple(prepared.errors),
                         prepared.error_count, prepared.total, prepared.new, prepared.updated, prepared.unchanged)
