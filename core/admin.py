"""Read models for the Admin page (admins only)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import list_users
from core.permissions import Actor, ensure_role
from db.models import AuditLog, User


def user_rows(session: Session, actor: Actor) -> list[dict]:
    return [
        {
            "id": u.id, "username": u.username, "display_name": u.display_name, "email": u.email,
            "role": u.role, "active": u.active, "failed_logins": u.failed_logins, "locked_until": u.locked_until,
        }
        for u in list_users(session, actor)
    ]


def recent_audit(session: Session, actor: Actor, limit: int = 200) -> list[dict]:
    ensure_role(actor, "admin")
    rows = session.execute(
        select(AuditLog, User.display_name).outerjoin(User, User.id == AuditLog.user_id)
        .order_by(AuditLog.id.desc()).limit(limit)
    ).all()
    return [{"at": a.at, "who": name, "action": a.action, "entity": a.entity, "entity_id": a.entity_id} for a, name in rows]
