"""Login throttling that holds under parallel guesses, on SQLite and PostgreSQL.

Every attempt first *reserves* a try on three counters, each in one UPDATE statement (no read-then-
write, so 20 parallel guesses count 20, not 1):

- `pair:<username>|<address>`: five tries per username from one client address, then a lock;
- `user:<username>`: many tries from anywhere (distributed guessing), then a lock;
- `addr:<address>`: many tries on any usernames from one address (password spraying), then a lock.

A lock lasts `BASE_LOCK * 2**lockouts` (capped): back-off instead of a fixed 15-minute lock, and
because the tight limit is per client address, a stranger guessing an admin's password from their
machine locks only themselves out, not the admin. Unknown usernames get counters too, so the
answers for existing and non-existing names are the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, case, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import LoginThrottle

PAIR_LIMIT = 5  # "the account locks after five wrong passwords" (from one client)
USER_LIMIT = 20  # one username from any number of addresses
ADDRESS_LIMIT = 30  # any usernames from one address
BASE_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(minutes=30)
UNKNOWN_ADDRESS = "-"

_table = cast(Table, LoginThrottle.__table__)  # a declarative model's table is a Table


def lock_duration(lockouts: int) -> timedelta:
    """1, 2, 4, 8, 16, 30, 30 ... minutes: each lock in a row doubles the next one."""
    return min(BASE_LOCK * (2 ** min(lockouts, 20)), MAX_LOCK)


def keys_for(username: str, address: str | None) -> list[tuple[str, int]]:
    """The counters an attempt reserves, tightest first, with their limits."""
    address = (address or UNKNOWN_ADDRESS)[:64]
    username = username[:64]
    return [(f"pair:{username}|{address}", PAIR_LIMIT), (f"user:{username}", USER_LIMIT), (f"addr:{address}", ADDRESS_LIMIT)]


@dataclass(frozen=True)
class Reservation:
    """The outcome of reserving one try: `ok` False means the key is locked until `locked_until`."""

    ok: bool
    failures: int = 0
    limit: int = 0
    locked_until: datetime | None = None


def _ensure_row(session: Session, key: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.connection().execute(
        insert(_table).values(key=key, failures=0, lockouts=0).on_conflict_do_nothing(index_elements=["key"])
    )


def reserve(session: Session, key: str, limit: int, now: datetime) -> Reservation:
    """Count one try on `key` in a single UPDATE, unless the key is locked. The try that reaches the
    limit sets the lock in the same statement, so no parallel try slips past it; a lock that has run
    out starts a fresh count."""
    _ensure_row(session, key)  # write first: on SQLite this takes the write lock before any read
    lockouts = session.connection().execute(select(_table.c.lockouts).where(_table.c.key == key)).scalar() or 0
    expired = and_(_table.c.locked_until.is_not(None), _table.c.locked_until <= now)
    new_failures = case((expired, 1), else_=_table.c.failures + 1)
    reaches = new_failures >= limit
    lock_until = now + lock_duration(lockouts)
    row = session.connection().execute(
        update(_table)
        .where(_table.c.key == key, or_(_table.c.locked_until.is_(None), _table.c.locked_until <= now))
        .values(
            failures=new_failures,
            last_failure_at=now,
            locked_until=case((reaches, lock_until), else_=None),
            lockouts=case((reaches, _table.c.lockouts + 1), else_=_table.c.lockouts),
        )
        .returning(_table.c.failures, _table.c.locked_until)
    ).first()
    if row is None:
        until = session.connection().execute(select(_table.c.locked_until).where(_table.c.key == key)).scalar()
        return Reservation(False, limit=limit, locked_until=until)
    return Reservation(True, failures=row.failures, limit=limit, locked_until=row.locked_until)


def clear(session: Session, *keys: str) -> None:
    """A successful login (or an admin's password reset) forgets the counters and the back-off."""
    if keys:
        session.connection().execute(
            update(_table).where(_table.c.key.in_(keys)).values(failures=0, lockouts=0, locked_until=None)
        )


def clear_username(session: Session, username: str) -> None:
    """Lift every lock on a username (all client addresses): the admin's reset does this."""
    session.connection().execute(
        update(_table)
        .where(or_(_table.c.key == f"user:{username}", _table.c.key.startswith(f"pair:{username}|", autoescape=True)))
        .values(failures=0, lockouts=0, locked_until=None)
    )


def counters(session: Session, key: str) -> tuple[int, datetime | None]:
    """(failures, locked_until) of one key, for tests and the admin view."""
    row = session.connection().execute(select(_table.c.failures, _table.c.locked_until).where(_table.c.key == key)).first()
    return (row.failures, row.locked_until) if row else (0, None)
