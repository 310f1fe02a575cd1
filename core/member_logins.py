"""Logins for the people on the roster: a manager or admin creates a member's login (username and a
one-time password the member must replace at the first sign-in) or links an existing one. The login's
role follows the roster: whoever leads a team is a manager, everyone else a member; only an admin
may choose another role. A login whose member's handover completed is deactivated."""
from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from core.permissions import Actor, ensure_role, scope_clause, scope_for
from db.models import USER_ROLES, Customer, Member, Task, Team, User

PASSWORD_ALPHABET = string.ascii_letters + string.digits


def one_time_password(length: int = 14) -> str:
    """A random one-time password (letters and digits, easy to read out)."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def _member_in_scope(session: Session, actor: Actor, member_id: int) -> Member:
    ensure_role(actor, "admin", "manager")
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("error.not_found")
    if not scope_for(session, actor).has_member(member.id):
        raise PermissionDenied("error.permission_denied")
    return member


def roster_role(session: Session, member: Member) -> str:
    """Team leaders are managers; everyone else is a member."""
    leads = session.scalar(select(func.count()).select_from(Team).where(Team.leader_id == member.id))
    return "manager" if leads else "member"


def _chosen_role(session: Session, actor: Actor, member: Member, role: str | None) -> str:
    if role is None or role == "":
        return roster_role(session, member)
    if role not in USER_ROLES:
        raise InvalidInput("auth.role_invalid")
    if role != roster_role(session, member) and not actor.is_admin:
        raise PermissionDenied("move.role_admin_only")
    return role


def _link_led_teams(session: Session, member: Member, user: User) -> None:
    """A leader's login manages the teams they lead that have no managing login yet."""
    if user.role != "manager":
        return
    for team in session.scalars(select(Team).where(Team.leader_id == member.id, Team.manager_user_id.is_(None))):
        team.manager_user_id = user.id


def create_login(session: Session, actor: Actor, member_id: int, username: str, password: str | None = None,
                 role: str | None = None, language: str = "zh") -> tuple[User, str]:
    """Create and link a login for a roster member; returns it with its one-time password (given,
    or generated). The member must replace the password at the first sign-in."""
    from core.auth import (
        USERNAME_RE,
        hash_password,
        normalise_username,
        password_problems,
    )

    member = _member_in_scope(session, actor, member_id)
    if member.user_id is not None:
        raise Conflict("move.has_login", name=member.name)
    if member.status == "left":
        raise Conflict("move.member_left", name=member.name)
    username = normalise_username(username)
    errors = []
    if not USERNAME_RE.match(username):
        errors.append(FieldError("auth.username_invalid", column="admin.username"))
    password = password or one_time_password()
    errors += [FieldError(e.key, e.params, column="admin.password") for e in password_problems(password, username=username)]
    if errors:
        raise InvalidInput("error.invalid", errors)
    chosen = _chosen_role(session, actor, member, role)
    if session.scalar(select(func.count()).select_from(User).where(User.username == username)):
        raise Conflict("auth.username_taken", username=username)
    email = (member.email or "").strip().lower() or f"{username}@users.invalid"
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        email = f"{username}@users.invalid"
    user = User(username=username, display_name=member.name, email=email, password_hash=hash_password(password),
                role=chosen, language=language, must_change_password=True)
    session.add(user)
    session.flush()
    member.user_id = user.id
    _link_led_teams(session, member, user)
    audit.record(session, actor, "member.login_created", "member", member.id, None,
                 {"username": username, "role": chosen, "user_id": user.id})
    return user, password


def link_login(session: Session, actor: Actor, member_id: int, user_id: int, role: str | None = None) -> None:
    """Link an existing login (not linked to anyone yet) to a roster member. Managers may link
    member and manager logins only; the role follows the roster unless an admin sets it."""
    member = _member_in_scope(session, actor, member_id)
    if member.user_id is not None:
        raise Conflict("move.has_login", name=member.name)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("error.not_found")
    if user.role == "admin" and not actor.is_admin:
        raise PermissionDenied("error.permission_denied")
    if session.scalar(select(func.count()).select_from(Member).where(Member.user_id == user.id)):
        raise Conflict("move.login_taken", username=user.username)
    before = {"role": user.role}
    if user.role != "admin":
        user.role = _chosen_role(session, actor, member, role)
    member.user_id = user.id
    _link_led_teams(session, member, user)
    audit.record(session, actor, "member.login_linked", "member", member.id, before,
                 {"username": user.username, "role": user.role, "user_id": user.id})


def unlinked_logins(session: Session, actor: Actor) -> list[dict]:
    """Logins no member is linked to (what "link an existing login" offers)."""
    ensure_role(actor, "admin", "manager")
    linked = select(Member.user_id).where(Member.user_id.is_not(None))
    query = select(User).where(User.active.is_(True), User.id.not_in(linked)).order_by(User.username)
    if not actor.is_admin:
        query = query.where(User.role != "admin")
    return [{"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role} for u in session.scalars(query)]


@dataclass(frozen=True)
class LoginStatus:
    member_id: int
    name: str
    username: str | None
    role: str | None
    active: bool
    signed_in: bool
    last_login_at: datetime | None
    must_change_password: bool


def login_status(session: Session, actor: Actor) -> list[LoginStatus]:
    """Who of the visible roster has a login, and who has not signed in yet."""
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    rows = session.execute(
        select(Member.id, Member.name, User.username, User.role, User.active, User.last_login_at, User.must_change_password)
        .outerjoin(User, User.id == Member.user_id)
        .where(scope_clause(scope, Member), Member.status != "left").order_by(Member.name)
    ).all()
    return [LoginStatus(r[0], r[1], r[2], r[3], bool(r[4]) if r[2] else False, r[5] is not None, r[5], bool(r[6]))
            for r in rows]


def deactivate_after_handover(session: Session, actor: Actor, member: Member) -> bool:
    """When a leaving member holds no customers and no open tasks any more, the handover is
    complete: their login is deactivated (its cookie stops working at the next run)."""
    if member.user_id is None or member.status == "active":
        return False
    customers = session.scalar(select(func.count()).select_from(Customer).where(Customer.owner_id == member.id))
    tasks = session.scalar(select(func.count()).select_from(Task).where(Task.assignee_id == member.id, Task.status != "done"))
    if customers or tasks:
        return False
    user = session.get(User, member.user_id)
    if user is None or not user.active or user.id == actor.user_id:
        return False
    user.active = False
    audit.record(session, actor, "deactivate", "user", user.id, {"active": True}, {"active": False, "reason": "handover"})
    return True


__all__ = ["create_login", "link_login", "unlinked_logins", "login_status", "LoginStatus", "roster_role",
           "one_time_password", "deactivate_after_handover"]
