"""Writing a prepared upload: inserts and updates per kind, in chunks, with teams and logins for members."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from sqlalchemy import update
from sqlalchemy.orm import Session

from core import audit
from core.assignment import (
    encode_reason,
)
from core.errors import InvalidInput
from core.imports.bulk import _bulk, _chunks
from core.imports.prepare import prepare
from core.imports.rules import _ENTITY, _MODELS, ImportResult, _jsonable
from core.imports.writers import _write_customers, _write_deals, _write_interactions, _write_members, _write_simple
from core.permissions import (
    Actor,
)
from db.base import utcnow
from db.models import (
    AssignmentHistory,
    AuditLog,
)


def commit_import(session: Session, actor: Actor, kind: str, frame: pd.DataFrame, mapping: dict[str, str | None],
                  value_map: dict[str, dict[str, str]] | None = None,
                  progress: Callable[[float, str], None] | None = None, filename: str = "", *, mode: str = "create",
                  key: str | None = None, partial: bool = False, buckets: dict[str, list[float]] | None = None,
                  default_role: str | None = None, create_logins: bool = False) -> ImportResult:
    """Validate everything, then write, in the caller's one transaction. Without `partial` a single
    bad row refuses the file and nothing is written; with it the valid rows are written and the
    result lists the errors of the others (`error_frame` / `rejected_rows` give them back as files).
    `mode`: create only / update existing / create and update, matched by `key`.
    `progress(fraction, phase)` is called as it goes."""
    def report(fraction: float, phase: str) -> None:
        if progress:
            progress(min(max(fraction, 0.0), 1.0), phase)

    prepared = prepare(session, actor, kind, frame, mapping, value_map, lambda f, p: report(f * 0.3, p), mode=mode, key=key,
                       buckets=buckets, default_role=default_role)
    if prepared.errors and not partial:
        raise InvalidInput("imports.has_errors", prepared.errors, rows=prepared.error_count, total=prepared.total)
    valid = [r for r in prepared.rows if not r["_errors"]]
    fresh = [r for r in valid if r.get("_match") is None]
    changed = [r for r in valid if r.get("_match") is not None and r.get("_changes")]
    writers: dict[str, Callable[..., ImportResult]] = {
        "customers": _write_customers, "members": _write_members, "deals": _write_deals, "interactions": _write_interactions,
        "contacts": _write_simple, "surveys": _write_simple, "complaints": _write_simple}
    writer = writers[kind]
    if writer is _write_simple:
        writer = lambda s_, a_, rows_, report_: _write_simple(s_, a_, kind, rows_, report_)  # noqa: E731
    extra: dict[str, Any] = {}
    if kind == "members":
        result = _write_members(session, actor, fresh, lambda f: report(0.3 + f * 0.5, "write"),
                                matched=[r for r in valid if r.get("_match") is not None], create_logins=create_logins)
        extra = {"logins": result.logins, "teams": result.teams}
    else:
        result = writer(session, actor, fresh, lambda f: report(0.3 + f * 0.5, "write")) if fresh else ImportResult(kind, 0)
    _apply_updates(session, actor, kind, changed)
    report(0.95, "write")
    session.expire_all()  # bulk statements bypass the identity map: reload what callers read next
    audit.record(session, actor, f"import.{kind}", "import", None, None,
                 {"file": filename, "rows": result.created, "assigned": result.assigned, "queued": result.queued,
                  "mode": mode, "updated": len(changed), "refused": prepared.error_count})
    report(1.0, "done")
    return ImportResult(kind, result.created, result.assigned, result.queued, len(changed), prepared.unchanged,
                        prepared.error_count, tuple(prepared.errors), **extra)


def _apply_updates(session: Session, actor: Actor, kind: str, rows: list[dict]) -> None:
    """Write what changed on matched records (grouped by the set of changed columns, by primary
    key), each change audited with before and after; a customer's new owner enters its history."""
    if not rows:
        return
    model = _MODELS[kind]
    now = utcnow()
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        changes = dict(row["_changes"])
        if kind == "members" and isinstance(changes.get("manager_id"), int) and changes["manager_id"] < 0:
            changes["manager_id"] = row.get("_manager_resolved")
            if changes["manager_id"] is None or changes["manager_id"] == row["_match"]:
                changes.pop("manager_id")
        if changes:
            groups.setdefault(tuple(sorted(changes)), []).append({"id": row["_match"], **changes})
    for _, items in groups.items():
        for _, chunk in _chunks(items):
            session.execute(update(model), chunk)
    logs, history = [], []
    for row in rows:
        before = {k: _jsonable(row["_existing"].get(k)) for k in row["_changes"]}
        after = {k: _jsonable(v) for k, v in row["_changes"].items()}
        logs.append({"at": now, "user_id": actor.user_id, "action": f"{_ENTITY[kind]}.import_update", "entity": _ENTITY[kind],
                     "entity_id": row["_match"], "before": before, "after": after})
        if kind == "customers" and "owner_id" in row["_changes"]:
            history.append({"customer_id": row["_match"], "from_member_id": row["_existing"].get("owner_id"),
                            "to_member_id": row["_changes"]["owner_id"], "changed_by": actor.user_id, "changed_at": now,
                            "reason": encode_reason("assignment.reason_import")})
    _bulk(session, AssignmentHistory, history)
    _bulk(session, AuditLog, logs)
