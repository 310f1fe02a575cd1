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
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import assignment, audit, i18n
from core.errors import Conflict, FieldError, InvalidInput
from core.permissions import WRITE, Actor, ensure_role, load, scope_for
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


def apply_handover(session: Session, actor: Actor, member_id: int, moves: list[dict]) -> dict[str, int]:  # noqa: C901 - issue 16 point 3: to be split
    """Apply accepted moves: each {"kind": "customer"|"task", "item_id": id, "to_member_id": id or
    None}. All or nothing: any move that is no longer valid (the item changed hands meanwhile, the
    new owner is out of scope or gone) refuses the whole handover with the offending line.
    Every customer move is written to the assignment history; everything is audited."""
    member = _leaving_member(session, actor, member_id)
    scope = scope_for(session, actor)
    errors: list[FieldError] = []
    plan: list[tuple[str, Any, Member | None]] = []
    item: Any  # a Customer or a Task
    for position, move in enumerate(moves, start=1):
        kind, item_id, to_id = move.get("kind"), move.get("item_id"), move.get("to_member_id")
        target = None
        if to_id is not None:
            target = session.get(Member, int(to_id))
            if target is None or not scope.has_member(target.id):
                errors.append(FieldError("handover.target_out_of_scope", row=position, column="handover.col_to"))
                continue
            if target.id == member.id or target.status != "active":
                errors.append(FieldError("handover.target_not_active", {"name": target.name}, row=position, column="handover.col_to"))
                continue
        if kind == CUSTOMER:
            item = session.get(Customer, item_id)
            if item is None or item.owner_id != member.id:
                errors.append(FieldError("handover.item_moved", row=position, column="handover.col_item"))
                continue
        elif kind == TASK:
            item = session.get(Task, item_id)
            if item is None or item.assignee_id != member.id or item.status == "done":
                errors.append(FieldError("handover.item_moved", row=position, column="handover.col_item"))
                continue
            if target is None:
                errors.append(FieldError("handover.task_needs_owner", row=position, column="handover.col_to"))
                continue
        else:
            errors.append(FieldError("handover.item_moved", row=position, column="handover.col_item"))
            continue
        plan.append((kind, item, target))
    if errors:
        raise InvalidInput("handover.invalid", errors)
    if not plan:
        raise Conflict("handover.nothing")
    reason = f"handover: {member.name} leaving"
    now = utcnow()
    counts = {"customers": 0, "tasks": 0}
    everything = list(plan)
    customer_moves = [  # the assignment engine moves customers (history, audit, capacity checks)
        {"customer_id": item.id, "customer_name": item.name, "from_member_id": member.id,
         "to_member_id": target.id if target else None, "to_name": target.name if target else None,
         "reason_key": "assignment.reason_handover" if target else "assignment.reason_handover_queue",
         "reason_params": (("name", member.name), ("why", ()))}
        for kind, item, target in plan if kind == CUSTOMER
    ]
    if customer_moves:
        counts["customers"] = assignment.apply_moves(session, actor, customer_moves)
    for kind, item, target in plan:
        if kind != TASK:
            continue
        to_id = target.id if target else None
        before = audit.snapshot(item, ("assignee_id",))
        item.assignee_id = to_id
        item.version += 1
        item.updated_at = now
        audit.record(session, actor, "task.reassign", "task", item.id, before, {"assignee_id": to_id, "reason": reason})
        counts["tasks"] += 1
    audit.record(session, actor, "member.handover", "member", member.id, None,
                 {**counts, "moves": [{"kind": k, "id": i.id, "to": t.id if t else None} for k, i, t in everything]})
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
