"""Short-lived sessions: one per user action. Nothing here is cached or kept between actions.

Every transaction that writes data also bumps the single `revision` counter, in the same transaction
(writes to bookkeeping tables alone do not: see BOOKKEEPING_TABLES).
Read caches key on the counter and the Meeting page polls it: a write through any app server on
the same database invalidates every server's cached views, with no in-process state."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result, event, inspect, select, update
from sqlalchemy.orm import Session

from db.models import Revision

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


def wrote_data(tables) -> bool:
    """Whether a transaction that wrote `tables` changed data a page may show."""
    return bool(set(tables) - BOOKKEEPING_TABLES - {"revision"})


@event.listens_for(AppSession, "before_commit")
def _bump_revision(session: Session) -> None:
    session.flush()  # before_commit runs before the final flush; flush now so pending adds count
    if wrote_data(session.info.pop(_WROTE, ())):
        session.execute(update(Revision).where(Revision.id == 1).values(value=Revision.value + 1))
    session.info.pop(_WROTE, None)


@event.listens_for(AppSession, "after_rollback")
def _forget_writes(session: Session) -> None:
    session.info.pop(_WROTE, None)


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched. `Session.execute` is typed as returning a plain Result;
    for a DML statement it is a CursorResult, which has the count."""
    return cast(CursorResult[Any], result).rowcount or 0


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


_REVISION_QUERY = select(Revision.value).where(Revision.id == 1)


def current_revision(session: Session | Connection) -> int:
    """The data revision: changes whenever any committed transaction wrote anything. Takes a
    session or, cheaper for the once-per-run poll, a plain connection."""
    return session.scalar(_REVISION_QUERY) or 0
