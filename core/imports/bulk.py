"""Chunked bulk inserts and updates (one statement per chunk, ids back where the database gives them)."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import Conflict
from core.imports.fields import CHUNK


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield start, items[start:start + size]


def _insert_returning_ids(session: Session, model, rows: list[dict], report: Callable[[float], None],
                          share: float = 0.6) -> list[int]:
    """Bulk-insert `rows` (all stamped with the same `created_at`) and return their ids in order.
    RETURNING with a guaranteed order degrades to one statement per row on SQLite, so the rows
    are inserted with a plain executemany and their ids read back: this transaction's rows are
    the ones above the previous maximum id carrying this exact timestamp, in id order."""
    if not rows:
        return []
    stamp = rows[0]["created_at"]
    floor = session.scalar(select(func.max(model.id))) or 0
    table = model.__table__
    for start, chunk in _chunks(rows):
        session.execute(table.insert(), chunk)
        report(share * (start + len(chunk)) / len(rows))
    ids = list(session.scalars(select(model.id).where(model.id > floor, model.created_at == stamp).order_by(model.id)))
    if len(ids) != len(rows):  # someone else inserted with the very same timestamp: refuse, all rolls back
        raise Conflict("error.conflict")
    return ids


def _bulk(session: Session, model, rows: list[dict]) -> None:
    table = model.__table__
    for _, chunk in _chunks(rows):
        session.execute(table.insert(), chunk)
