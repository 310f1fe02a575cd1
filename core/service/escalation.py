"""Breach escalation (run by the worker) and the notifications it sends."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import audit, notifications
from core.business_time import add_business_seconds
from core.permissions import (
    Actor,
)
from core.service.rules import (
    ESCALATE_RESOLUTION,
    ESCALATE_RESPONSE,
    ESCALATION_LOOKBACK,
    NOTIFY_RESOLUTION,
    NOTIFY_RESPONSE,
    WARN_RESOLUTION,
    WARN_RESPONSE,
    WARN_SHARE,
    TargetBook,
)
from db.base import utcnow
from db.models import (
    Complaint,
    Customer,
    Member,
    Notification,
    Team,
)


# ---------------------------------------------------------------------------------------------
# Escalation and notifications
# ---------------------------------------------------------------------------------------------
class ManagerResolver:
    """Finds the user to notify about a member's work (see the module rules), loading the team
    tree once and each member once, however many complaints are escalated in one pass."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._teams = {r.id: (r.parent_id, r.manager_user_id)
                       for r in session.execute(select(Team.id, Team.parent_id, Team.manager_user_id))}
        self._members: dict[int, tuple[int | None, int | None, int | None]] = {}

    def _member(self, member_id: int) -> tuple[int | None, int | None, int | None] | None:
        if member_id not in self._members:
            row = self._session.execute(
                select(Member.user_id, Member.manager_id, Member.team_id).where(Member.id == member_id)
            ).first()
            self._members[member_id] = (row.user_id, row.manager_id, row.team_id) if row else (None, None, None)
        return self._members[member_id]

    def preload(self, member_ids: set[int]) -> None:
        missing = sorted(m for m in member_ids if m not in self._members)
        for start in range(0, len(missing), 500):
            for r in self._session.execute(
                select(Member.id, Member.user_id, Member.manager_id, Member.team_id).where(Member.id.in_(missing[start:start + 500]))
            ):
                self._members[r.id] = (r.user_id, r.manager_id, r.team_id)

    def __call__(self, member_id: int | None, team_id: int | None = None) -> int | None:
        own_user = None
        if member_id is not None:
            own_user, manager_member, member_team = self._member(member_id)
            team_id = member_team if member_team is not None else team_id
            if manager_member is not None:
                manager_user = self._member(manager_member)[0]
                if manager_user is not None and manager_user != own_user:
                    return manager_user
        seen: set[int] = set()
        while team_id is not None and team_id not in seen:
            seen.add(team_id)
            parent_id, manager_user = self._teams.get(team_id, (None, None))
            if manager_user is not None and manager_user != own_user:
                return manager_user
            team_id = parent_id
        return None


def manager_user_for(session: Session, member_id: int | None, team_id: int | None = None) -> int | None:
    """The user to notify about a member's work (see the module rules)."""
    return ManagerResolver(session)(member_id, team_id)


def manager_above(session: Session, resolve: ManagerResolver, user_id: int) -> int | None:
    """The next manager up from a user (the lead's manager): through the user's member record
    when they have one, else above the teams they manage."""
    member = session.execute(select(Member.id, Member.team_id).where(Member.user_id == user_id)).first()
    if member is not None:
        found = resolve(member.id, member.team_id)
        if found is not None and found != user_id:
            return found
    for _team_id, parent_id in session.execute(select(Team.id, Team.parent_id).where(Team.manager_user_id == user_id)):
        found = resolve(None, parent_id)
        if found is not None and found != user_id:
            return found
    return None


def _stage_notices(session: Session, resolve: ManagerResolver, book: TargetBook, caches: tuple[dict, dict],
                   r: Any, stage: tuple, now: datetime) -> list[tuple[int, str]]:
    """(user id, kind) of each level one clock (response or resolution) of complaint `r` has
    reached by `now`: the owner's warning, the team lead at the breach, the lead's manager after
    the delay. `caches` keeps the lead of each (assignee, team) and the manager above each lead."""
    elapsed, target, running, due, stopped_at, warn_kind, lead_kind, manager_kind = stage
    found: list[tuple[int, str]] = []
    if running and elapsed >= WARN_SHARE * target and r.assignee_id is not None:
        owner = resolve._member(r.assignee_id)[0]
        if owner is not None:
            found.append((owner, warn_kind))
    if elapsed <= target:
        return found
    policy = book.policy(r.team_id)
    managers, above = caches
    key = (r.assignee_id, r.team_id)
    if key not in managers:
        managers[key] = resolve(r.assignee_id, r.team_id)
    lead = managers[key]
    if lead is None:
        return found
    lead_at = add_business_seconds(due, policy.lead_delay_seconds, policy.calendar)
    if lead_at <= now and (stopped_at is None or stopped_at > lead_at):
        found.append((lead, lead_kind))
    manager_at = add_business_seconds(due, policy.manager_delay_seconds, policy.calendar)
    if manager_at <= now and (stopped_at is None or stopped_at > manager_at):
        if lead not in above:
            above[lead] = manager_above(session, resolve, lead)
        if above[lead] is not None:
            found.append((above[lead], manager_kind))
    return found


def _notify_new(session: Session, now: datetime, wanted: list[tuple[int, str, str, str]]) -> int:
    """Sends each wanted notification that was not sent before; the number sent."""
    notifier = notifications.Notifier(session, now)
    existing = notifier.existing(w[2] for w in wanted)
    created = 0
    for user_id, kind, ref, message in wanted:
        if (user_id, kind, ref) in existing:
            continue
        existing.add((user_id, kind, ref))
        if notifier.notify(user_id, kind, ref, message):
            created += 1
    return created


def escalate_breaches(session: Session, now: datetime | None = None) -> int:
    """The escalation levels of every open (or recently resolved) complaint as of `now` (see the
    module rules): owner warning, team lead at the breach, the lead's manager after the delay.
    Each level notifies once, however often and from however many workers this runs. Returns the
    number of new notifications."""
    now = now or utcnow()
    rows = session.execute(
        select(Complaint.id, Complaint.title, Complaint.severity, Complaint.team_id, Complaint.assignee_id,
               Complaint.opened_at, Complaint.first_response_at, Complaint.resolved_at, Customer.name.label("customer"))
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(or_(Complaint.resolved_at.is_(None), Complaint.resolved_at >= now - ESCALATION_LOOKBACK))
    ).all()
    if not rows:
        return 0
    book = TargetBook(session)
    book.load_pauses(session, [r.id for r in rows])
    wanted: list[tuple[int, str, str, str]] = []
    caches: tuple[dict, dict] = ({}, {})
    resolve = ManagerResolver(session)
    resolve.preload({r.assignee_id for r in rows if r.assignee_id is not None})
    for r in rows:
        tm = book.timing(r.id, r.team_id, r.severity, r.opened_at, r.first_response_at, r.resolved_at, now)
        message = f"{r.customer} · {r.title}"[:300]
        ref = f"complaint:{r.id}"
        stages = (
            (tm.response_elapsed, tm.response_target, tm.response_seconds is None, tm.response_due,
             r.first_response_at or r.resolved_at, WARN_RESPONSE, NOTIFY_RESPONSE, ESCALATE_RESPONSE),
            (tm.resolution_elapsed, tm.resolution_target, tm.resolution_seconds is None, tm.resolution_due,
             r.resolved_at, WARN_RESOLUTION, NOTIFY_RESOLUTION, ESCALATE_RESOLUTION),
        )
        for stage in stages:
            wanted.extend((user_id, kind, ref, message)
                          for user_id, kind in _stage_notices(session, resolve, book, caches, r, stage, now))
    if not wanted:
        return 0
    return _notify_new(session, now, wanted)


def list_notifications(session: Session, actor: Actor, *, unread_only: bool = False, limit: int = 20) -> dict[str, Any]:
    """The actor's own notifications, newest first, with the unread count (the Home badge)."""
    unread = session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
    ) or 0
    query = select(Notification).where(Notification.user_id == actor.user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    items = [
        {"id": n.id, "kind": n.kind, "ref": n.ref, "message": n.message, "created_at": n.created_at, "read": n.read_at is not None}
        for n in session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    ]
    return {"unread": unread, "items": items}


def mark_notifications_read(session: Session, actor: Actor, now: datetime | None = None) -> int:
    """Mark all of the actor's notifications read; returns how many changed."""
    items = list(session.scalars(
        select(Notification).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
    ))
    for n in items:
        n.read_at = now or utcnow()
    if items:
        session.flush()
        audit.record(session, actor, "notification.read", "notification", None, None, {"count": len(items)})
    return len(items)
