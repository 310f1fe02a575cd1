"""Handover when a member leaves: propose a new owner for each of their customers and open tasks
(with the reason), then apply the accepted moves in one transaction.

Customers are the assignment module's business: when core.assignment is present, its
`propose_handover` and `apply_moves` (scoring, capacity, assignment history) are used; the fallback
here only runs without it (most specialty matches, then lowest load, nobody pushed over capacity,
overflow proposed to the visible unassigned queue). Open tasks are handed over here: each goes to
the colleague with the lowest open-task load against capacity, own team first. Loads count the
moves already proposed, so one person does not receive everything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import assignment, audit, i18n
from core.errors import Conflict, FieldError, InvalidInput
from core.permissions import WRITE, Actor, Scope, ensure_role, load, scope_for
from core.roster import member_load
from db.base import utcnow
from db.models import Customer, Member, Task


CUSTOMER = "customer"
TASK = "task"


@dataclass(frozen=True)
class Move:
    kind: str  # customer | task
    item_id: int
    label: str  # customer name or task title
    to_member_id: int | None  # None: the unassigned queue
    to_name: str | None
    reason_key: str
    reason_params: dict = field(default_factory=dict)
    source: Any = None  # the assignment module's move, when it proposed this one

    def reason(self, lang: str) -> str:
        if self.source is not None and hasattr(self.source, "reason"):
            return self.source.reason(lang)
        return i18n.t(self.reason_key, lang, **self.reason_params)


@dataclass
class HandoverProposal:
    member_id: int
    member_name: str
    moves: list[Move] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)  # id, name, team_id for the override picker

    @property
    def customers(self) -> list[Move]:
        return [m for m in self.moves if m.kind == CUSTOMER]

    @property
    def tasks(self) -> list[Move]:
        return [m for m in self.moves if m.kind == TASK]


def _leaving_member(session: Session, actor: Actor, member_id: int) -> Member:
    ensure_role(actor, "admin", "manager")
    return load(session, actor, Member, member_id, WRITE)


def _candidates(session: Session, actor: Actor, member: Member) -> list[Member]:
    """Active members in scope who could take over: the member's own team first."""
    scope = scope_for(session, actor)
    rows = [m for m in session.scalars(
        select(Member).where(Member.status == "active", Member.id != member.id).order_by(Member.name, Member.id)
    ) if scope.has_member(m.id)]
    return [m for m in rows if m.team_id == member.team_id] + [m for m in rows if m.team_id != member.team_id]


def propose_handover(session: Session, actor: Actor, member_id: int) -> HandoverProposal:
    """Who should take over each customer and open task of `member_id` (see module doc)."""
    member = _leaving_member(session, actor, member_id)
    candidates = _candidates(session, actor, member)
    load = member_load(session, [c.id for c in candidates])
    proposal = HandoverProposal(member.id, member.name,
                                candidates=[{"id": c.id, "name": c.name, "team_id": c.team_id} for c in candidates])
    for m in assignment.propose_handover(session, actor, member.id):  # the assignment engine owns customer moves
        proposal.moves.append(Move(CUSTOMER, m.customer_id, m.customer_name, m.to_member_id, m.to_name,
                                   m.reason_key, {}, source=m))

    tasks_load = {c.id: load[c.id][1] for c in candidates}
    own_team = [c for c in candidates if c.team_id == member.team_id] or candidates
    for task in session.scalars(
        select(Task).where(Task.assignee_id == member.id, Task.status != "done").order_by(Task.due_date, Task.id)
    ):
        pool = [c for c in own_team if tasks_load[c.id] < c.max_open_tasks] \
            or [c for c in candidates if tasks_load[c.id] < c.max_open_tasks] or own_team
        if not pool:
            proposal.moves.append(Move(TASK, task.id, task.title, None, None, "handover.reason_no_one"))
            continue
        best = min(pool, key=lambda c: (tasks_load[c.id] / max(c.max_open_tasks, 1), c.name, c.id))
        tasks_load[best.id] += 1
        over = tasks_load[best.id] > best.max_open_tasks
        proposal.moves.append(Move(
            TASK, task.id, task.title, best.id, best.name,
            "handover.reason_task_over" if over else "handover.reason_task_load",
            {"load": tasks_load[best.id], "max": best.max_open_tasks},
        ))
    return proposal


_Planned = tuple[str, Any, "Member | None"]  # kind, the Customer or Task, the new owner (None: the queue)


def _handover_target(session: Session, scope: Scope, member: Member, to_id: Any,
                     position: int) -> tuple[Member | None, FieldError | None]:
    """The new owner of a move's line, or the error why it cannot be: out of the actor's scope,
    the leaving member themself, or not active. No owner (None) is the unassigned queue."""
    if to_id is None:
        return None, None
    target = session.get(Member, int(to_id))
    if target is None or not scope.has_member(target.id):
        return None, FieldError("handover.target_out_of_scope", row=position, column="handover.col_to")
    if target.id == member.id or target.status != "active":
        return None, FieldError("handover.target_not_active", {"name": target.name}, row=position, column="handover.col_to")
    return target, None


def _handover_item(session: Session, member: Member, kind: Any, item_id: Any, target: Member | None,
                   position: int) -> tuple[Any, FieldError | None]:
    """The customer or open task a line moves, or the error: it changed hands (or is done) since the
    proposal, or it is a task without a new owner (tasks do not go to a queue)."""
    moved = FieldError("handover.item_moved", row=position, column="handover.col_item")
    if kind == CUSTOMER:
        customer = session.get(Customer, item_id)
        if customer is None or customer.owner_id != member.id:
            return None, moved
        return customer, None
    if kind == TASK:
        task = session.get(Task, item_id)
        if task is None or task.assignee_id != member.id or task.status == "done":
            return None, moved
        if target is None:
            return None, FieldError("handover.task_needs_owner", row=position, column="handover.col_to")
        return task, None
    return None, moved


def _handover_plan(session: Session, actor: Actor, member: Member, moves: list[dict]) -> list[_Planned]:
    """Every accepted line checked; any error refuses the whole handover, listing all of them."""
    scope = scope_for(session, actor)
    errors: list[FieldError] = []
    plan: list[_Planned] = []
    for position, move in enumerate(moves, start=1):
        kind, item_id, to_id = move.get("kind"), move.get("item_id"), move.get("to_member_id")
        target, error = _handover_target(session, scope, member, to_id, position)
        if error is None:
            item, error = _handover_item(session, member, kind, item_id, target, position)
        if error is not None:
            errors.append(error)
            continue
        plan.append((str(kind), item, target))  # CUSTOMER or TASK: any other kind is an error above
    if errors:
        raise InvalidInput("handover.invalid", errors)
    if not plan:
        raise Conflict("handover.nothing")
    return plan


def _hand_over_customers(session: Session, actor: Actor, member: Member, plan: list[_Planned]) -> int:
    """The assignment engine moves customers (history, audit, capacity checks)."""
    customer_moves = [
        {"customer_id": item.id, "customer_name": item.name, "from_member_id": member.id,
         "to_member_id": target.id if target else None, "to_name": target.name if target else None,
         "reason_key": "assignment.reason_handover" if target else "assignment.reason_handover_queue",
         "reason_params": (("name", member.name), ("why", ()))}
        for kind, item, target in plan if kind == CUSTOMER
    ]
    return assignment.apply_moves(session, actor, customer_moves) if customer_moves else 0


def _hand_over_tasks(session: Session, actor: Actor, member: Member, plan: list[_Planned], now: datetime) -> int:
    reason = f"handover: {member.name} leaving"
    count = 0
    for kind, item, target in plan:
        if kind != TASK:
            continue
        to_id = target.id if target else None
        before = audit.snapshot(item, ("assignee_id",))
        item.assignee_id = to_id
        item.version += 1
        item.updated_at = now
        audit.record(session, actor, "task.reassign", "task", item.id, before, {"assignee_id": to_id, "reason": reason})
        count += 1
    return count


def apply_handover(session: Session, actor: Actor, member_id: int, moves: list[dict]) -> dict[str, int]:
    """Apply accepted moves: each {"kind": "customer"|"task", "item_id": id, "to_member_id": id or
    None}. All or nothing: any move that is no longer valid (the item changed hands meanwhile, the
    new owner is out of scope or gone) refuses the whole handover with the offending line.
    Every customer move is written to the assignment history; everything is audited."""
    member = _leaving_member(session, actor, member_id)
    plan = _handover_plan(session, actor, member, moves)
    now = utcnow()
    counts = {"customers": 0, "tasks": 0}
    counts["customers"] = _hand_over_customers(session, actor, member, plan)
    counts["tasks"] = _hand_over_tasks(session, actor, member, plan, now)
    audit.record(session, actor, "member.handover", "member", member.id, None,
                 {**counts, "moves": [{"kind": k, "id": i.id, "to": t.id if t else None} for k, i, t in plan]})
    session.flush()
    from core.member_logins import deactivate_after_handover  # issue 11: the login ends with the handover

    deactivate_after_handover(session, actor, member)
    return counts


def leaving_members(session: Session, actor: Actor) -> list[dict]:
    """Visible members marked as leaving, with what they still hold."""
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    rows = [m for m in session.scalars(select(Member).where(Member.status == "leaving").order_by(Member.name))
            if scope.has_member(m.id)]
    load = member_load(session, [m.id for m in rows])
    return [{"id": m.id, "name": m.name, "customers": load[m.id][0], "open_tasks": load[m.id][1]} for m in rows]


__all__ = ["Move", "HandoverProposal", "propose_handover", "apply_handover", "leaving_members"]
