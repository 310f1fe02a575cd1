"""Removing records created by mistake: customers, teams and tasks.

Archiving hides a record from the lists and the board but keeps it, and its history, for the
audit trail; it is undone by `restore`. Deleting (admins only) removes a record for good, and only
when nothing refers to it (no contacts logged, no deals, no members, ...): otherwise the refusal
says what still refers to it, so the admin archives instead. Every change is audited in the same
transaction.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, NotFound, PermissionDenied
from core.permissions import READ, WRITE, Actor, allowed, ensure_role, load, scope_for
from db.base import utcnow
from db.models import (
    ActionItem,
    Complaint,
    Contact,
    Customer,
    Deal,
    Goal,
    Interaction,
    Member,
    Survey,
    Task,
    Team,
)

KINDS = ("customer", "team", "task")


def _record(session: Session, actor: Actor, kind: str, record_id: int):
    if kind not in KINDS:
        raise NotFound("error.not_found")
    if kind == "team":
        ensure_role(actor, "admin", "manager")
        team = session.get(Team, record_id)
        if team is None or not scope_for(session, actor).has_team(team.id):
            raise NotFound("error.not_found")
        if not actor.is_admin and team.manager_user_id == actor.user_id and team.parent_id is None:
            raise PermissionDenied("screens.remove.own_team")
        return team
    if kind == "customer":
        ensure_role(actor, "admin", "manager")
        customer = session.get(Customer, record_id)
        if customer is None or not allowed(session, actor, READ, customer):
            raise NotFound("error.not_found")
        return load(session, actor, Customer, record_id, WRITE)
    return load(session, actor, Task, record_id, WRITE)


def references(session: Session, actor: Actor, kind: str, record_id: int) -> dict[str, int]:
    """What still refers to a record: {what: how many} (empty: it may be deleted)."""
    _record(session, actor, kind, record_id)
    def count(model, column) -> int:
        return session.scalar(select(func.count()).select_from(model).where(column == record_id)) or 0

    if kind == "customer":
        found = {"interactions": count(Interaction, Interaction.customer_id), "deals": count(Deal, Deal.customer_id),
                 "complaints": count(Complaint, Complaint.customer_id), "surveys": count(Survey, Survey.customer_id),
                 "tasks": count(Task, Task.customer_id), "contacts": count(Contact, Contact.customer_id)}
    elif kind == "team":
        found = {"members": count(Member, Member.team_id), "teams": count(Team, Team.parent_id),
                 "customers": count(Customer, Customer.team_id), "tasks": count(Task, Task.team_id),
                 "goals": count(Goal, Goal.team_id)}
    else:
        found = {"action_items": count(ActionItem, ActionItem.task_id)}
    return {k: n for k, n in found.items() if n}


def archive(session: Session, actor: Actor, kind: str, record_id: int) -> None:
    """Hide a record from the lists (kept with its history). A team must have no active members
    and no sub-teams still in use first."""
    record = _record(session, actor, kind, record_id)
    if record.archived_at is not None:
        raise Conflict("screens.remove.already_archived")
    if kind == "team":
        busy = session.scalar(select(func.count()).select_from(Member)
                              .where(Member.team_id == record.id, Member.status != "left")) or 0
        children = session.scalar(select(func.count()).select_from(Team)
                                  .where(Team.parent_id == record.id, Team.archived_at.is_(None))) or 0
        if busy or children:
            raise Conflict("screens.remove.team_in_use", members=busy, teams=children)
    record.archived_at = utcnow()
    session.flush()
    audit.record(session, actor, f"{kind}.archive", kind, record.id, {"archived_at": None},
                 {"archived_at": record.archived_at})


def restore(session: Session, actor: Actor, kind: str, record_id: int) -> None:
    record = _record(session, actor, kind, record_id)
    if record.archived_at is None:
        raise Conflict("screens.remove.not_archived")
    before = record.archived_at
    record.archived_at = None
    session.flush()
    audit.record(session, actor, f"{kind}.restore", kind, record.id, {"archived_at": before}, {"archived_at": None})


def delete(session: Session, actor: Actor, kind: str, record_id: int) -> None:
    """An admin deletes a record nothing refers to; otherwise says what refers to it."""
    if not actor.is_admin:
        raise PermissionDenied("screens.remove.admin_only")
    record = _record(session, actor, kind, record_id)
    found = references(session, actor, kind, record.id)
    if found:
        raise Conflict("screens.remove.referenced")  # the page lists `references(...)` in words
    name = getattr(record, "name", None) or getattr(record, "title", None)
    audit.record(session, actor, f"{kind}.delete", kind, record.id, {"name": name}, None)
    session.delete(record)
    session.flush()
