"""1:1s between a manager and a member: private notes, an agenda filled from the records, and action
items that become tasks on the board.

Privacy: a 1:1 is read only by the manager who holds it and the member (`one_on_one_filter`; not
even admins read other people's 1:1s) and written only by that manager. Notes never go into the
audit log (only that a 1:1 was held, and when).

The agenda is built from: the member's customers whose next follow-up is overdue
(`Customer.next_follow_up < today`), their goals at risk or off track (core.goals' status rule), their
open complaints, and their last evaluation (released total; managers also see an open cycle's
provisional one). A snapshot is stored with the 1:1 as JSON, so the record shows what was discussed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import FieldError, InvalidInput, NotFound, PermissionDenied
from core.permissions import READ, WRITE, Actor, allowed, scope_clause, scope_for
from db.models import (
    ActionItem,
    Complaint,
    Customer,
    Evaluation,
    EvaluationCycle,
    Member,
    OneOnOne,
    Task,
)

AGENDA_LIMIT = 10


def _ensure_may_hold(session: Session, actor: Actor, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("error.not_found")
    scope = scope_for(session, actor)
    if not (scope.everything or (actor.is_manager and member_id in scope.member_ids)) or member_id == actor.member_id:
        raise PermissionDenied("error.permission_denied")
    return member


def _may_read_agenda(session: Session, actor: Actor, member_id: int) -> bool:
    if actor.member_id is not None and actor.member_id == member_id:
        return True
    scope = scope_for(session, actor)
    return scope.everything or (actor.is_manager and member_id in scope.member_ids)


def agenda(session: Session, actor: Actor, member_id: int, today: date | None = None) -> dict[str, Any]:
    """The automatic agenda for a 1:1 with `member_id` (the manager's or the member's own view)."""
    today = today or date.today()
    if not _may_read_agenda(session, actor, member_id):
        raise PermissionDenied("error.permission_denied")
    follow_ups = session.execute(
        select(Customer.id, Customer.name, Customer.next_follow_up)
        .where(Customer.owner_id == member_id, Customer.next_follow_up < today)
        .order_by(Customer.next_follow_up, Customer.name).limit(AGENDA_LIMIT)
    ).all()
    from core import goals as goals_core

    at_risk = [
        {"id": g.id, "title": g.title, "status": g.status, "percent": g.percent}
        for g in goals_core.list_goals(session, actor, member_id=member_id, today=today)
        if g.status in (goals_core.AT_RISK, goals_core.OFF_TRACK) and g.start_date <= today <= g.end_date
    ][:AGENDA_LIMIT]
    complaints = session.execute(
        select(Complaint.id, Complaint.title, Complaint.severity, Complaint.opened_at)
        .where(Complaint.assignee_id == member_id, Complaint.status != "resolved")
        .order_by(Complaint.opened_at).limit(AGENDA_LIMIT)
    ).all()
    scope = scope_for(session, actor)
    manager_view = scope.everything or (actor.is_manager and member_id in scope.member_ids)
    query = (
        select(EvaluationCycle.name, EvaluationCycle.status, Evaluation.total, Evaluation.id)
        .join(EvaluationCycle, EvaluationCycle.id == Evaluation.cycle_id)
        .where(Evaluation.member_id == member_id)
        .order_by(EvaluationCycle.end_date.desc(), EvaluationCycle.id.desc())
    )
    if not manager_view:
        query = query.where(EvaluationCycle.status == "released")
    last = session.execute(query.limit(1)).first()
    last_evaluation = None
    if last is not None:
        total = last.total
        if last.status != "released":
            from core.evaluations import get_scorecard

            total = get_scorecard(session, actor, last.id).total
        last_evaluation = {"cycle": last.name, "status": last.status, "total": total}
    return {
        "overdue_follow_ups": [{"id": r.id, "name": r.name, "due": r.next_follow_up.isoformat()} for r in follow_ups],
        "at_risk_goals": at_risk,
        "open_complaints": [{"id": r.id, "title": r.title, "severity": r.severity, "opened": r.opened_at.date().isoformat()} for r in complaints],
        "last_evaluation": last_evaluation,
    }


def create_one_on_one(session: Session, actor: Actor, member_id: int, held_on: date, notes: str | None = None,
                      today: date | None = None) -> int:
    """Record a 1:1 with a member of the manager's teams, with the agenda as of now."""
    _ensure_may_hold(session, actor, member_id)
    if held_on is None:
        raise InvalidInput("error.invalid", errors=[FieldError("error.required", {"field": "date"}, column="held_on")])
    snapshot = agenda(session, actor, member_id, today)
    row = OneOnOne(manager_user_id=actor.user_id, member_id=member_id, held_on=held_on,
                   agenda=json.dumps(snapshot, ensure_ascii=False), notes=(notes or "").strip() or None)
    session.add(row)
    session.flush()
    audit.record(session, actor, "one_on_one.create", "one_on_one", row.id, None, {"member_id": member_id, "held_on": held_on})
    return row.id


def _load(session: Session, actor: Actor, one_on_one_id: int, action: str) -> OneOnOne:
    row = session.get(OneOnOne, one_on_one_id)
    if row is None or not (row.manager_user_id == actor.user_id or (action == READ and row.member_id == actor.member_id)):
        raise NotFound("error.not_found")
    if not allowed(session, actor, action, row):
        raise PermissionDenied("error.permission_denied")
    return row


def update_notes(session: Session, actor: Actor, one_on_one_id: int, notes: str) -> None:
    """Only the manager who holds the 1:1 edits its notes (not audited in full: they are private)."""
    row = _load(session, actor, one_on_one_id, WRITE)
    row.notes = (notes or "").strip() or None
    audit.record(session, actor, "one_on_one.notes", "one_on_one", row.id, None, {"notes_length": len(row.notes or "")})


@dataclass(frozen=True)
class OneOnOneView:
    id: int
    member_id: int
    member: str
    held_on: date
    agenda: dict[str, Any]
    notes: str | None
    mine_to_edit: bool
    action_items: tuple[dict[str, Any], ...]


def _parse_agenda(text: str | None) -> dict[str, Any]:
    """The stored agenda: the JSON snapshot written by `create_one_on_one`, or free text (older or
    imported 1:1s) kept as {"text": ...}."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"text": text}


def list_one_on_ones(session: Session, actor: Actor, member_id: int | None = None, limit: int = 20) -> list[OneOnOneView]:
    """1:1s the actor takes part in (as the manager or the member), newest first."""
    query = (
        select(OneOnOne, Member.name).join(Member, Member.id == OneOnOne.member_id)
        .where(scope_clause(scope_for(session, actor), OneOnOne))
        .order_by(OneOnOne.held_on.desc(), OneOnOne.id.desc()).limit(limit)
    )
    if member_id is not None:
        query = query.where(OneOnOne.member_id == member_id)
    rows = session.execute(query).all()
    ids = [row.id for row, _ in rows]
    items: dict[int, list[dict[str, Any]]] = {}
    if ids:
        for item, status in session.execute(
            select(ActionItem, Task.status).outerjoin(Task, Task.id == ActionItem.task_id)
            .where(ActionItem.one_on_one_id.in_(ids)).order_by(ActionItem.id)
        ).all():
            items.setdefault(item.one_on_one_id, []).append(
                {"id": item.id, "text": item.text, "owner_member_id": item.owner_member_id, "due_date": item.due_date,
                 "task_id": item.task_id, "task_status": status, "done": item.done or status == "done"}
            )
    return [
        OneOnOneView(row.id, row.member_id, name, row.held_on, _parse_agenda(row.agenda), row.notes,
                     row.manager_user_id == actor.user_id, tuple(items.get(row.id, [])))
        for row, name in rows
    ]


def add_action_item(session: Session, actor: Actor, one_on_one_id: int, text: str, owner_member_id: int | None = None,
                    due_date: date | None = None) -> int:
    """Add an action item to a 1:1; it becomes a task on the board at once (owner = assignee,
    default the member). Returns the task id."""
    row = _load(session, actor, one_on_one_id, WRITE)
    text = (text or "").strip()
    if not text or len(text) > 300:
        raise InvalidInput("error.invalid", errors=[FieldError("one_on_one.error.item_text", column="text")])
    owner = owner_member_id if owner_member_id is not None else row.member_id
    item = ActionItem(one_on_one_id=row.id, text=text, owner_member_id=owner, due_date=due_date)
    session.add(item)
    session.flush()
    audit.record(session, actor, "action_item.create", "action_item", item.id, None, {"one_on_one_id": row.id, "text": text})
    from core import tasks

    return tasks.task_from_action_item(session, actor, item.id)
