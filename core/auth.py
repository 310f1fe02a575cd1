"""Accounts and login: password rules, bcrypt, lockout after repeated failures, and the admin's
user management. streamlit-authenticator keeps the session cookie; deciding whether a password is
right, and whether the account may log in at all, happens here."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import bcrypt
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import audit, login_throttle, sessions
from core.errors import Conflict, FieldError, InvalidInput, NotFound
from core.permissions import Actor, actor_for_user, ensure_role
from db.base import utcnow
from db.models import LANGUAGES, USER_ROLES, User

MAX_PASSWORD_BYTES = 72  # bcrypt ignores everything after 72 bytes; refuse rather than truncate
MIN_PASSWORD_LENGTH = 12  # OWASP ASVS V2.1.1; no composition rules (V2.1.9)
MAX_FAILED_LOGINS = login_throttle.PAIR_LIMIT
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COMMON_PASSWORDS_PATH = Path(__file__).resolve().parent / "common_passwords.txt"
# Checked when a wrong username is given, so an unknown name costs as much time as a known one.
_DUMMY_HASH = bcrypt.hashpw(b"clientcrew-no-such-user", bcrypt.gensalt(rounds=4)).decode("ascii")


def _rounds() -> int:
    # Tests lower the cost through the environment; production keeps bcrypt's default of 12.
    return int(os.environ.get("CLIENTCREW_BCRYPT_ROUNDS", "12"))


def normalise_username(username: str) -> str:
    """The authenticator lower-cases and trims usernames; so do we, everywhere."""
    return (username or "").strip().lower()


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (core/common_passwords.txt), lower-cased."""
    lines = COMMON_PASSWORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(password: str, *, username: str | None = None) -> list[FieldError]:
    """The password policy for a NEW password (existing logins keep working): at least 12
    characters, at most 72 bytes, not a common password and not the username."""
    problems = []
    password = password or ""
    if "\x00" in password:
        problems.append(FieldError("sec.nul_refused", column="password"))
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        problems.append(FieldError("login.too_long", column="password"))
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(FieldError("sec.password_short", {"n": MIN_PASSWORD_LENGTH}, column="password"))
    elif password.lower() in common_passwords() or (username and password.lower() == username.lower()):
        problems.append(FieldError("sec.password_common", column="password"))
    return problems


def _checked_new_password(password: str, username: str | None = None) -> str:
    problems = password_problems(password, username=username)
    if problems:
        raise InvalidInput("error.invalid", problems)
    return hash_password(password)


def hash_password(password: str) -> str:
    """bcrypt hash of any password up to 72 bytes (the policy is applied where passwords are set)."""
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise InvalidInput("error.invalid", [FieldError("login.too_long", column="password")])
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=_rounds())).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


@dataclass
class LoginResult:
    """Outcome of a login attempt. A refusal is a result, not an exception, because the failed
    attempt must still be committed (it counts towards the lockout)."""

    ok: bool
    user: User | None = None
    error_key: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def authenticate(
    session: Session, username: str, password: str, now: datetime | None = None, address: str | None = None
) -> LoginResult:
    """Check a login. The try is first reserved on the throttle counters (core.login_throttle) and
    COMMITTED, before the password is checked, so parallel guesses count exactly and a slow bcrypt
    check never holds the database's write lock. Unknown and known usernames get the same answers
    (same counters, same messages, a bcrypt check either way). The outcome is audited in the
    caller's transaction."""
    now = now or utcnow()
    username = normalise_username(username)
    if not username or not password:
        return LoginResult(False, error_key="login.empty")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return LoginResult(False, error_key="login.too_long")
    if len(username) > 64 or "\x00" in username or "\x00" in password:
        return LoginResult(False, error_key="login.wrong_password")
    session.commit()  # start the reservation in a transaction of its own
    keys = login_throttle.keys_for(username, address)
    reservations = []
    for key, limit in keys:
        reservation = login_throttle.reserve(session, key, limit, now)
        if not reservation.ok:
            session.commit()
            audit.record(session, None, "login_throttled", "user", None, after={"username": username, "key": key.split(":")[0]})
            return LoginResult(False, error_key="sec.login_locked", params={"until": reservation.locked_until})
        reservations.append(reservation)
    session.commit()

    user = session.scalar(select(User).where(User.username == username))
    right = check_password(password, user.password_hash if user else _DUMMY_HASH) and user is not None
    if not right:
        if user is not None:
            session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
        audit.record(session, None, "login_failed", "user", user.id if user else None, after={"username": username, "address": address})
        locked = [r for r in reservations if r.locked_until is not None]
        if locked:
            until = max(r.locked_until for r in locked)
            if user is not None:
                user.locked_until = until
            audit.record(session, None, "account_locked", "user", user.id if user else None,
                         after={"username": username, "until": until})
            return LoginResult(False, error_key="sec.login_locked", params={"until": until})
        pair = reservations[0]
        return LoginResult(False, error_key="login.wrong_password", params={"left": pair.limit - pair.failures})
    if not user.active:
        audit.record(session, None, "login_failed", "user", user.id, after={"username": username, "reason": "inactive"})
        return LoginResult(False, error_key="login.inactive")
    login_throttle.clear(session, keys[0][0], keys[1][0])
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor_for_user(session, user), "login", "user", user.id, after={"address": address})
    user.last_login_at = now  # issue 11: managers see who has not signed in yet
    return LoginResult(True, user=user)


def credentials(session: Session) -> dict[str, Any]:
    """The authenticator's credentials dict, built from active users (bcrypt hashes)."""
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    result: dict[str, Any] = {"usernames": {}}
    for user in users:
        first, _, last = user.display_name.partition(" ")
        result["usernames"][user.username] = {
            "email": user.email,
            "first_name": first or user.display_name,
            "last_name": last,
            "password": user.password_hash,
            "roles": [user.role],
        }
    return result


def actor_for_username(session: Session, username: str) -> Actor | None:
    """The acting user for a signed-in username, or None when the account is gone or inactive."""
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None or not user.active:
        return None
    return actor_for_user(session, user)


# ---------------------------------------------------------------------------------------------
# Admin: user management
# ---------------------------------------------------------------------------------------------
def list_users(session: Session, actor: Actor) -> list[User]:
    ensure_role(actor, "admin")
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    email: str,
    password: str,
    role: str,
    language: str = "zh",
) -> User:
    ensure_role(actor, "admin")
    username = normalise_username(username)
    email = (email or "").strip().lower()
    display_name = (display_name or "").strip()
    errors: list[FieldError] = []
    if not USERNAME_RE.match(username):
        errors.append(FieldError("auth.username_invalid", column="username"))
    if not display_name:
        errors.append(FieldError("error.required", {"field": "display_name"}, column="display_name"))
    if not EMAIL_RE.match(email):
        errors.append(FieldError("auth.email_invalid", column="email"))
    if role not in USER_ROLES:
        errors.append(FieldError("auth.role_invalid", column="role"))
    if language not in LANGUAGES:
        errors.append(FieldError("auth.language_invalid", column="language"))
    errors.extend(password_problems(password, username=username))
    if errors:
        raise InvalidInput("error.invalid", errors)
    if session.scalar(select(func.count()).select_from(User).where(User.username == username)):
        raise Conflict("auth.username_taken", username=username)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Conflict("auth.email_taken", email=email)
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        password_hash=_checked_new_password(password, username),
        role=role,
        language=language,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "create", "user", user.id, after=audit.snapshot(user, ["username", "display_name", "email", "role"]))
    return user


def _get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("error.not_found")
    return user


def reset_password(session: Session, actor: Actor, user_id: int, new_password: str) -> None:
    """Admin sets a new password; this also lifts every lockout on the username and signs the
    user out everywhere (a cookie copied before the reset no longer works)."""
    ensure_role(actor, "admin")
    user = _get_user(session, user_id)
    user.password_hash = _checked_new_password(new_password, user.username)
    user.failed_logins = 0
    user.locked_until = None
    login_throttle.clear_username(session, user.username)
    sessions.revoke_all(session, user.id)
    audit.record(session, actor, "reset_password", "user", user.id)


def change_own_password(
    session: Session, actor: Actor, current_password: str, new_password: str, keep_session: str | None = None
) -> None:
    """A user changes their own password: the current one is required. Every other session of the
    user is signed out (`keep_session`, the token of the browser doing the change, stays)."""
    user = _get_user(session, actor.user_id)
    if not check_password(current_password or "", user.password_hash):
        raise InvalidInput("error.invalid", [FieldError("sec.current_password_wrong", column="current_password")])
    if new_password == current_password:
        raise InvalidInput("error.invalid", [FieldError("sec.password_unchanged", column="password")])
    user.password_hash = _checked_new_password(new_password, user.username)
    sessions.revoke_all(session, user.id, keep_token=keep_session)
    audit.record(session, actor, "change_password", "user", user.id)


def sign_out_everywhere(session: Session, actor: Actor, user_id: int) -> int:
    """Admin (or the user themselves) ends every session of a user, on every server. Returns how
    many sessions were ended."""
    if user_id != actor.user_id:
        ensure_role(actor, "admin")
    user = _get_user(session, user_id)
    count = sessions.revoke_all(session, user.id)
    audit.record(session, actor, "sign_out_everywhere", "user", user.id, after={"sessions": count})
    return count


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> None:
    ensure_role(actor, "admin")
    user = _get_user(session, user_id)
    if user.id == actor.user_id and not active:
        raise InvalidInput("auth.cannot_deactivate_self")
    before = user.active
    user.active = active
    if not active:
        sessions.revoke_all(session, user.id)
    audit.record(session, actor, "activate" if active else "deactivate", "user", user.id, {"active": before}, {"active": active})


def set_language(session: Session, actor: Actor, language: str) -> None:
    """Every user picks their own UI language."""
    if language not in LANGUAGES:
        raise InvalidInput("auth.language_invalid")
    user = _get_user(session, actor.user_id)
    user.language = language
