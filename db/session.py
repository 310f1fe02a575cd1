"""Short-lived sessions: one per user action. Nothing here is cached or kept between actions.

Every transaction that writes also bumps the single `revision` counter, in the same transaction.
Read caches key on the counter and the Meeting page polls it: a write through any app server on
the same database invalidates every server's cached views, with no in-process state."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result, event, select, update
from sqlalchemy.orm import Session

from db.models import Revision

_WROTE = "clientcrew_wrote"


class AppSession(Session):
    """Session that remembers whether it flushed any change, to bump the revision on commit."""


@event.listens_for(AppSession, "after_flush")
def _remember_write(session: Session, _flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(AppSession, "after_bulk_update")
@event.listens_for(AppSession, "after_bulk_delete")
def _remember_bulk_write(update_context) -> None:
    update_context.session.info[_WROTE] = True


@event.listens_for(AppSession, "do_orm_execute")
def _remember_dml(orm_execute_state) -> None:
    if orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete:
        orm_execute_state.session.info[_WROTE] = True


@event.listens_for(AppSession, "before_commit")
def _bump_revision(session: Session) -> None:
    session.flush()  # before_commit runs before the final flush; flush now so pending adds count
    if session.info.pop(_WROTE, False):
        session.execute(update(Revision).where(Revision.id == 1).values(value=Revision.value + 1))
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
