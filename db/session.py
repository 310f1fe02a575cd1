"""Short-lived sessions: one per user action. Nothing here is cached or kept between actions.

Every transaction that writes data also bumps the single `revision` counter, in the same transaction
(writes to bookkeeping tables alone do not: see BOOKKEEPING_TABLES), and records that revision for
each table it wrote (`table_revisions`). A cached read stays valid until a table it read is written
(ui.read_cache, db.read_tracking), so a write through any app server on the same database
invalidates exactly the cached views that depend on it, on every server, with no in-process state."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result, event, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Revision, TableRevision

_WROTE = "clientcrew_wrote"  # session.info: the names of the tables this transaction wrote

# Bookkeeping: rows the app and the worker keep about themselves, which no page shows and no cached
# read depends on. A transaction that writes only these does not move the data revision, so it
# invalidates no cache: the worker claims a job slot (job_runs) every minute, sign-ins and their
# activity stamps (user_sessions), failed-login counters (login_throttles) and mail delivery
# (email_outbox: leases, sent stamps) would otherwise make every cached view cold again.
BOOKKEEPING_TABLES = frozenset({"job_runs", "user_sessions", "login_throttles", "email_outbox"})


class AppSession(Session):
    """Session that remembers which tables it wrote, to bump the revision on commit."""


def _wrote(session: Session, *tables) -> None:
    written = session.info.setdefault(_WROTE, set())
    for table in tables:
        # a table we cannot name (a statement on an unusual target) counts as data
        written.add(getattr(table, "name", None) or "?")


def _tables_of(objects) -> list:
    return [table for obj in objects for table in inspect(obj).mapper.tables]


@event.listens_for(AppSession, "after_flush")
def _remember_write(session: Session, _flush_context) -> None:
    # after_flush still sees the flush's new, dirty and deleted objects
    dirty = [obj for obj in session.dirty if session.is_modified(obj)]
    _wrote(session, *_tables_of(session.new), *_tables_of(dirty), *_tables_of(session.deleted))


@event.listens_for(AppSession, "after_bulk_update")
@event.listens_for(AppSession, "after_bulk_delete")
def _remember_bulk_write(update_context) -> None:
    _wrote(update_context.session, update_context.mapper.local_table)


@event.listens_for(AppSession, "do_orm_execute")
def _remember_dml(orm_execute_state) -> None:
    if orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete:
        _wrote(orm_execute_state.session, getattr(orm_execute_state.statement, "table", None))


EVERY_TABLE = "*"  # a write whose table could not be named: every cached read depends on it


def data_tables(tables) -> set[str]:
    """The tables of a transaction's writes that hold data a page may show."""
    return {EVERY_TABLE if t == "?" else t for t in tables} - BOOKKEEPING_TABLES - {"revision", "table_revisions"}


def wrote_data(tables) -> bool:
    """Whether a transaction that wrote `tables` changed data a page may show."""
    return bool(data_tables(tables))


@event.listens_for(AppSession, "before_commit")
def _bump_revision(session: Session) -> None:
    session.flush()  # before_commit runs before the final flush; flush now so pending adds count
    written = data_tables(session.info.pop(_WROTE, ()))
    if written:
        session.execute(update(Revision).where(Revision.id == 1).values(value=Revision.value + 1))
        value = session.scalar(_REVISION_QUERY) or 0
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        for name in sorted(written):  # one order for every writer: no lock-order deadlock on PostgreSQL
            statement = insert(TableRevision).values(name=name, revision=value)
            session.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"revision": value}))
    session.info.pop(_WROTE, None)


@event.listens_for(AppSession, "after_rollback")
def _forget_writes(session: Session) -> None:
    session.info.pop(_WROTE, None)


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched. `Session.execute` is typed as returning a plain Result;
    for a DML statement it is a CursorResult, which has the count."""
    return cast(CursorResult[Any], result).rowcount or 0


_REVISION_QUERY = select(Revision.value).where(Revision.id == 1)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: commits when the block ends normally, rolls back on any exception, so a
    failed write leaves nothing half-done."""
    session = AppSession(bind=engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reads only: always rolled back, never commits."""
    session = AppSession(bind=engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def table_stamps(connection: Session | Connection) -> dict[str, int]:
    """The revision at which each table was last written ("*": a write to unnamed tables), read in
    one query once per script run; a table never written since the schema was created is absent."""
    return {name: value for name, value in connection.execute(select(TableRevision.name, TableRevision.revision))}


def current_revision(session: Session | Connection) -> int:
    """The data revision: changes whenever any committed transaction wrote anything. Takes a
    session or, cheaper for the once-per-run poll, a plain connection."""
    return session.scalar(_REVISION_QUERY) or 0
