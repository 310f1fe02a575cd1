"""Read models for the Admin page (admins only)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit_text
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


def audit_log(session: Session, actor: Actor, lang: str, *, user_id: int | None = None, entity: str | None = None,
              entity_id: int | None = None, since: date | None = None, until: date | None = None,
              limit: int = 500) -> list[dict]:
    """The audit log for admins, newest first, filtered by who did it, which kind of record (and
    which one) and a date range; each row carries its sentence and the before/after it stores."""
    ensure_role(actor, "admin")
    stmt = select(AuditLog, User.display_name).outerjoin(User, User.id == AuditLog.user_id)
    if user_id is not None:
        stmt = stmt.where(AuditLog.user_id == user_id)
    if entity:
        stmt = stmt.where(AuditLog.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    if since is not None:
        stmt = stmt.where(AuditLog.at >= datetime.combine(since, time.min))
    if until is not None:
        stmt = stmt.where(AuditLog.at < datetime.combine(until + timedelta(days=1), time.min))
    rows = session.execute(stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(max(1, min(limit, 5000)))).all()
    plain = [{"id": a.id, "at": a.at, "who": name, "action": a.action, "entity": a.entity, "entity_id": a.entity_id,
              "before": a.before, "after": a.after} for a, name in rows]
    return audit_text.describe(session, plain, lang)


def audit_entities(session: Session, actor: Actor) -> list[str]:
    """The kinds of record the log holds (for its filter)."""
    ensure_role(actor, "admin")
    return sorted(session.scalars(select(AuditLog.entity).distinct()).all())


def audit_report(rows: list[dict], lang: str):
    """The filtered log as a report: translated headers, sentences, before → after."""
    import pandas as pd

    from core import i18n

    return pd.DataFrame({
        i18n.t("admin.audit_when", lang): [i18n.format_date(r["at"], lang) for r in rows],
        i18n.t("admin.audit_who", lang): [r["who"] or i18n.t("screens.audit.system", lang) for r in rows],
        i18n.t("admin.audit_action", lang): [r["text"] for r in rows],
        i18n.t("screens.audit.details", lang): [r["details"] or "—" for r in rows],
    })
