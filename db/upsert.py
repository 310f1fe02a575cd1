"""INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL: insert a row unless its unique key
is taken, in the caller's transaction, without a savepoint. (With the pysqlite driver a SAVEPOINT
issued before any write starts the transaction itself and its RELEASE commits it, so unique-key
races are settled with ON CONFLICT instead.) On PostgreSQL a concurrent insert of the same key
waits for the other transaction and then does nothing."""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model: Any, values: dict[str, Any], conflict: list[str]) -> int | None:
    """Insert `values` into `model`'s table; returns the new id, or None when the unique key in
    `conflict` already exists."""
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = builder(model).values(**values).on_conflict_do_nothing(index_elements=conflict).returning(model.id)
    return session.execute(statement).scalar()
