"""Server-side login sessions: the cookie carries only a random token; the database decides.

A session row holds the keyed hash (HMAC-SHA256 with the cookie key) of the token, the user, when
it was created and last seen, when it expires at the latest, and when it was revoked. Every run of
the app checks the row (one primary-key read), so logout, a password change or reset, deactivation
and "sign out everywhere" end the session at once, on every server sharing the database. A token
that is malformed, unknown, expired, idle for too long, revoked, signed for another key, or whose
user is deactivated simply is not a session: the visitor sees the login form.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.orm import Session

from core import config
from db.base import utcnow
from db.models import User, UserSession
from db.session import rowcount

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{40,64}$")  # secrets.token_urlsafe(32) gives 43 characters
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often per session


@lru_cache(maxsize=8)
def _configured_key(_env_key: str, _key_file: str) -> bytes:
    return config.cookie_key().encode("utf-8")


def _secret() -> bytes:
    """The configured key, read once per setting (not from disk on every click)."""
    return _configured_key(os.environ.get("CLIENTCREW_COOKIE_KEY", ""), os.environ.get("CLIENTCREW_COOKIE_KEY_FILE", ""))


def session_id(token: str, key: str | None = None) -> str:
    """The stored id of a cookie token: a copy of the sessions table signs nobody in, and a token
    minted under another key (another deployment) matches nothing."""
    secret = key.encode("utf-8") if key else _secret()
    return hmac.new(secret, token.encode("utf-8"), hashlib.sha256).hexdigest()


def well_formed(token: object) -> bool:
    return isinstance(token, str) and TOKEN_RE.match(token) is not None


@dataclass(frozen=True)
class SessionInfo:
    """A live session: who is signed in and when this server last recorded them as active."""

    user_id: int
    username: str
    last_seen_at: datetime
    expires_at: datetime


def start(session: Session, user_id: int, *, client: str | None = None, now: datetime | None = None) -> str:
    """Open a session for `user_id`; returns the token for the cookie (never stored as is)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(UserSession(
        id=session_id(token), user_id=user_id, created_at=now, last_seen_at=now,
        expires_at=now + config.session_lifetime(), client=(client or None) and client[:64],
    ))
    session.flush()
    return token


def start_for_username(engine: Engine, username: str) -> str:
    """A session for an existing username (tests and benches that start signed in)."""
    from db.session import unit_of_work

    with unit_of_work(engine) as s:
        user_id = s.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise LookupError(username)
        return start(s, user_id)


def check(connection: Connection | Session, token: object, now: datetime | None = None) -> SessionInfo | None:
    """The live session behind a cookie token, or None: malformed, unknown, revoked, past its
    absolute lifetime, idle longer than the idle timeout, or the user is deactivated."""
    if not well_formed(token):
        return None
    now = now or utcnow()
    row = connection.execute(
        select(UserSession.user_id, User.username, UserSession.last_seen_at, UserSession.expires_at,
               UserSession.revoked_at, User.active)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == session_id(token))  # type: ignore[arg-type]
    ).first()
    if row is None or row.revoked_at is not None or not row.active:
        return None
    if row.expires_at <= now or row.last_seen_at + config.session_idle_timeout() <= now:
        return None
    return SessionInfo(row.user_id, row.username, row.last_seen_at, row.expires_at)


def touch(connection: Connection, token: str, now: datetime | None = None) -> None:
    """Record activity (for the idle timeout). A plain connection write: it does not bump the data
    revision, so it invalidates no cache. Callers do it at most once per TOUCH_EVERY."""
    now = now or utcnow()
    connection.execute(
        update(UserSession).where(UserSession.id == session_id(token), UserSession.revoked_at.is_(None))
        .values(last_seen_at=now)
    )


def revoke(session: Session, token: object, now: datetime | None = None) -> None:
    """Logout: this browser's session ends (a copy of its cookie stops working everywhere)."""
    if not well_formed(token):
        return
    session.execute(
        update(UserSession).where(UserSession.id == session_id(token), UserSession.revoked_at.is_(None))  # type: ignore[arg-type]
        .values(revoked_at=now or utcnow())
    )


def revoke_all(session: Session, user_id: int, *, keep_token: str | None = None, now: datetime | None = None) -> int:
    """End every live session of a user (password change or reset, deactivation, "sign out
    everywhere"); `keep_token` spares the browser that asked. Returns how many were ended."""
    statement = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep_token and well_formed(keep_token):
        statement = statement.where(UserSession.id != session_id(keep_token))
    result = session.execute(statement.values(revoked_at=now or utcnow()).execution_options(synchronize_session=False))
    return rowcount(result)


def live_count(session: Session, user_id: int, now: datetime | None = None) -> int:
    now = now or utcnow()
    from sqlalchemy import func

    return session.scalar(
        select(func.count()).select_from(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > now)
    ) or 0
