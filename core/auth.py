"""Accounts and login: password rules, bcrypt, lockout after repeated failures, and the admin's
user management. streamlit-authenticator keeps the session cookie; deciding whether a password is
right, and whether the account may log in at all, happens here."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import bcrypt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, FieldError, InvalidInput, NotFound
from core.permissions import Actor, actor_for_user, ensure_role
from db.base import utcnow
from db.models import LANGUAGES, USER_ROLES, User

MAX_PASSWORD_BYTES = 72  # bcrypt ignores everything after 72 bytes; refuse rather than truncate
MIN_PASSWORD_LENGTH = 8
MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _rounds() -> int:
    # Tests lower the cost through the environment; production keeps bcrypt's default of 12.
    return int(os.environ.get("CLIENTCREW_BCRYPT_ROUNDS", "12"))


def normalise_username(username: str) -> str:
    """The authenticator lower-cases and trims usernames; so do we, everywhere."""
    return (username or "").strip().lower()


def password_problems(password: str) -> list[FieldError]:
    problems = []
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        problems.append(FieldError("login.too_long", column="password"))
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(FieldError("auth.password_short", {"n": MIN_PASSWORD_LENGTH}, column="password"))
    return problems


def hash_password(password: str) -> str:
    problems = password_problems(password)
    if problems:
        raise InvalidInput("error.invalid", problems)
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


def authenticate(session: Session, username: str, password: str, now: datetime | None = None) -> LoginResult:
    now = now or utcnow()
    username = normalise_username(username)
    if not username or not password:
        return LoginResult(False, error_key="login.empty")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return LoginResult(False, error_key="login.too_long")
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None:
        # Same message as a wrong password: do not reveal which usernames exist.
        return LoginResult(False, error_key="login.wrong_password")
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(False, error_key="login.locked", params={"until": user.locked_until})
    if not check_password(password, user.password_hash):
        if user.locked_until is not None and user.locked_until <= now:
            user.failed_logins = 0  # an expired lock starts a fresh count
            user.locked_until = None
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCK_DURATION
            audit.record(session, None, "account_locked", "user", user.id, after={"until": user.locked_until})
            return LoginResult(False, error_key="login.locked", params={"until": user.locked_until})
        return LoginResult(
            False, error_key="login.wrong_password", params={"left": MAX_FAILED_LOGINS - user.failed_logins}
        )
    if not user.active:
        return LoginResult(False, error_key="login.inactive")
    user.failed_logins = 0
    user.locked_until = None
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
    errors.extend(password_problems(password))
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
        password_hash=hash_password(password),
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
    """Admin sets a new password; this also lifts a lockout."""
    ensure_role(actor, "admin")
    user = _get_user(session, user_id)
    user.password_hash = hash_password(new_password)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor, "reset_password", "user", user.id)


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> None:
    ensure_role(actor, "admin")
    user = _get_user(session, user_id)
    if user.id == actor.user_id and not active:
        raise InvalidInput("auth.cannot_deactivate_self")
    before = user.active
    user.active = active
    audit.record(session, actor, "activate" if active else "deactivate", "user", user.id, {"active": before}, {"active": active})


def set_role(session: Session, actor: Actor, user_id: int, role: str) -> None:
    ensure_role(actor, "admin")
    if role not in USER_ROLES:
        raise InvalidInput("auth.role_invalid")
    user = _get_user(session, user_id)
    if user.id == actor.user_id and role != "admin":
        raise InvalidInput("auth.cannot_demote_self")
    before = user.role
    user.role = role
    audit.record(session, actor, "set_role", "user", user.id, {"role": before}, {"role": role})


def set_language(session: Session, actor: Actor, language: str) -> None:
    """Every user picks their own UI language."""
    if language not in LANGUAGES:
        raise InvalidInput("auth.language_invalid")
    user = _get_user(session, actor.user_id)
    user.language = language
