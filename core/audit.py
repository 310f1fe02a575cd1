"""The audit log: who changed what, when, with before/after snapshots. Written in the same
transaction as the change it describes, so the two never disagree."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from collections.abc import Iterable

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from core.permissions import Actor
from db.models import AuditLog, User


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def snapshot(record: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The record's column values (or just `fields`) as JSON-safe data."""
    columns = [c.key for c in inspect(record).mapper.column_attrs]
    wanted = [f for f in (fields or columns) if f in columns]
    return {name: _jsonable(getattr(record, name)) for name in wanted}


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit row (flushed with the caller's transaction)."""
    row = AuditLog(
        user_id=actor.user_id if actor else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before={k: _jsonable(v) for k, v in before.items()} if before else None,
        after={k: _jsonable(v) for k, v in after.items()} if after else None,
    )
    session.add(row)
    return row


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, for compact before/after rows."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def history(session: Session, entity: str, entity_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The audit rows of one record, newest first, with the actor's display name. Callers check
    that the actor may read the record first."""
    rows = session.execute(
        select(AuditLog, User.display_name)
        .outerjoin(User, User.id == AuditLog.user_id)
        .where(AuditLog.entity == entity, AuditLog.entity_id == entity_id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    ).all()
    return [
        {"at": log.at, "who": name, "action": log.action, "before": log.before, "after": log.after}
        for log, name in rows
    ]
