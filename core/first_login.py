"""The forced password change after a one-time password (kept apart from core.auth on purpose:
issue 17 owns the password policy and "change own password"; this module only makes sure a
password a manager handed out is replaced by one only its owner knows, before anything else)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import FieldError, InvalidInput
from core.permissions import Actor
from db.models import User



def must_change_password(session: Session, user_id: int) -> bool:
    return bool(session.scalar(select(User.must_change_password).where(User.id == user_id)))


def new_password_problems(password: str, repeat: str) -> list[FieldError]:
    from core.auth import password_problems  # the one password policy (length, common passwords)

    problems = [FieldError(e.key, e.params, column="move.new_password") for e in password_problems(password)]
    if password != repeat:
        problems.append(FieldError("move.password_mismatch", column="move.repeat_password"))
    return problems


def replace_one_time_password(session: Session, actor: Actor, current: str, new: str, repeat: str,
                              keep_session: str | None = None) -> None:
    """The signed-in user replaces the one-time password they were given (which they must type
    again) by their own; the new one must differ and have at least 12 characters."""
    from core.auth import check_password, hash_password

    user = session.get(User, actor.user_id)
    if user is None or not user.active:
        raise InvalidInput("login.inactive")
    problems = new_password_problems(new, repeat)
    if not check_password(current or "", user.password_hash):
        problems.insert(0, FieldError("move.current_wrong", column="move.current_password"))
    elif new == current:
        problems.append(FieldError("move.password_same", column="move.new_password"))
    if problems:
        raise InvalidInput("error.invalid", problems)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    # whoever else signed in with the handed-out password is signed out (this browser stays)
    from core import sessions

    sessions.revoke_all(session, user.id, keep_token=keep_session)
    audit.record(session, actor, "user.first_password", "user", user.id)
