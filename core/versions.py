"""Optimistic locking for records two people can edit at once (customers, goals, complaints,
evaluations; tasks have their own in core.tasks). An edit states the version it was based on; the
version is claimed with one `UPDATE ... SET version = version + 1 WHERE id = :id AND version =
:seen`, which the database serialises, so of two simultaneous edits exactly one matches and the
other is refused with a clear message instead of silently overwriting the first."""
from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core.errors import Conflict


def claim(session: Session, record: Any, seen_version: Any = None) -> int:
    """Bump `record`'s version before changing it. With `seen_version` (what the editor saw) a
    newer version in the database refuses the edit (Conflict "sec.stale_edit"); without it the
    bump still makes every other open editor's copy stale. Returns the new version."""
    model = type(record)
    statement = update(model).where(model.id == record.id)
    if seen_version is not None:
        try:
            seen = int(seen_version)
        except (TypeError, ValueError):
            raise Conflict("sec.stale_edit") from None
        statement = statement.where(model.version == seen)
    result = session.execute(
        statement.values(version=model.version + 1).returning(model.version).execution_options(synchronize_session=False)
    ).first()
    if result is None:
        raise Conflict("sec.stale_edit")
    set_committed_value(record, "version", result[0])
    return result[0]
