"""Task writes: move, create, update, notes, progress reports, quick add, tasks from action items."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from core.permissions import (
    READ,
    WRITE,
    Actor,
    Scope,
    allowed,
    ensure_member,
    scope_for,
    scoped,
)
from core.tasks.queries import _load
from core.tasks.rules import _AUDIT_FIELDS, KEEP, NOTE_MAX, MoveResult, _validate, position_between
from db.base import utcnow
from db.models import (
    TASK_STATUSES,
    ActionItem,
    Customer,
    Goal,
    Meeting,
    Member,
    OneOnOne,
    Task,
    TaskNote,
    Team,
)
from db.session import rowcount


def _capacity_warning(session: Session, member_id: int | None, task_id: int) -> tuple[str | None, dict]:
    if member_id is None:
        return None, {}
    member = session.get(Member, member_id)
    open_ = session.scalar(
        select(func.count()).select_from(Task).where(Task.assignee_id == member_id, Task.status != "done", Task.id != task_id)
    ) or 0
    if open_ + 1 > member.max_open_tasks:
        return "board.warn.over_capacity", {"name": member.name, "open": open_ + 1, "capacity": member.max_open_tasks}
    return None, {}


def _guarded_update(session: Session, task: Task, expected_version: int, values: dict) -> int:
    """UPDATE ... SET values, version = version + 1 WHERE id AND version = expected; Conflict when
    nothing matched (someone changed the task after it was drawn). Returns the new version."""
    result = session.execute(
        update(Task)
        .where(Task.id == task.id, Task.version == expected_version)
        .values(**values, version=Task.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise Conflict("board.error.conflict", title=task.title)
    session.expire(task)
    return expected_version + 1


def _neighbour_position(session: Session, others: Sequence[int], index: int, scope=None) -> float | None:
    if not others:
        return None
    query = select(Task.id, Task.position).where(Task.id.in_([i for i in others if isinstance(i, int)]))
    if scope is not None:  # neighbours a client sent: only tasks the actor reaches are read or renumbered
        query = scoped(query, Task, scope)
    positions = dict(session.execute(query).all())
    ordered = [i for i in others if i in positions]
    if not ordered:
        return None
    index = max(0, min(index, len(ordered)))
    before = positions[ordered[index - 1]] if index > 0 else None
    after = positions[ordered[index]] if index < len(ordered) else None
    if before is not None and after is not None and not before < after:
        # Neighbours out of order or tied: renumber the drawn column (positions only, no versions).
        for n, tid in enumerate(ordered):
            session.execute(update(Task).where(Task.id == tid).values(position=float(n * 2)).execution_options(synchronize_session=False))
        before = float((index - 1) * 2) if index > 0 else None
        after = float(index * 2) if index < len(ordered) else None
    return position_between(before, after)


def move_task(
    session: Session,
    actor: Actor,
    task_id: int,
    expected_version: int,
    *,
    to_member_id: Any = KEEP,
    to_status: str | None = None,
    to_index: int | None = None,
    neighbours: Sequence[int] | None = None,
) -> MoveResult:
    """Move a task on the board: to another member (None = Unassigned), another status, and/or a
    place in the column (`to_index` into `neighbours`, the destination's cards as drawn without the
    moved one). One transaction; refused when the actor may not move this task or to that member;
    warns when the new assignee goes over capacity; `Conflict` when the task changed since drawn."""
    task = _load(session, actor, task_id, WRITE)
    scope = scope_for(session, actor)
    values: dict[str, Any] = {}
    before = audit.snapshot(task, ("assignee_id", "team_id", "status", "position", "progress", "version"))

    if to_member_id is not KEEP and to_member_id != task.assignee_id:
        if actor.role == "member":
            raise PermissionDenied("board.error.member_reassign")
        if to_member_id is not None:
            target = session.get(Member, to_member_id)
            if target is None:
                raise NotFound("error.not_found")
            ensure_member(scope, to_member_id)
            if target.status == "left":
                raise InvalidInput("board.error.member_left", name=target.name)
            values["team_id"] = target.team_id
        values["assignee_id"] = to_member_id
    if to_status is not None and to_status != task.status:
        if to_status not in TASK_STATUSES:
            raise InvalidInput("error.invalid", [FieldError("board.error.bad_status", {"value": to_status})])
        values["status"] = to_status
        if to_status == "done":
            values["progress"] = 100
            values["completed_at"] = utcnow()
        elif task.status == "done":
            values["completed_at"] = None
    if to_index is not None and neighbours is not None:
        position = _neighbour_position(session, neighbours, to_index, scope_for(session, actor))
        if position is not None and position != task.position:
            values["position"] = position

    if task.version != expected_version:
        raise Conflict("board.error.conflict", title=task.title)
    if not values:
        return MoveResult(task.id, task.version, changed=False, title=task.title)

    title = task.title
    warning: str | None = None
    params: dict[str, Any] = {}
    new_assignee = values.get("assignee_id", task.assignee_id)
    new_status = values.get("status", task.status)
    if ("assignee_id" in values or ("status" in values and task.status == "done")) and new_status != "done":
        warning, params = _capacity_warning(session, new_assignee, task.id)
    version = _guarded_update(session, task, expected_version, values)
    after = {**before, **{k: v for k, v in values.items() if k in before}, "version": version}
    audit.record(session, actor, "task.move", "task", task.id, *audit.changed(before, after))
    return MoveResult(task.id, version, changed=True, warning=warning, params=params, title=title)


def _check_links(session: Session, actor: Actor, scope: Scope, fields: dict) -> None:
    if fields.get("customer_id") is not None:
        customer = session.get(Customer, fields["customer_id"])
        if customer is None or not allowed(session, actor, READ, customer, scope):
            raise NotFound("error.not_found")
    if fields.get("goal_id") is not None:
        goal = session.get(Goal, fields["goal_id"])
        if goal is None or not allowed(session, actor, READ, goal, scope):
            raise NotFound("error.not_found")


def create_task(
    session: Session,
    actor: Actor,
    *,
    title: str,
    team_id: int | None = None,
    assignee_id: int | None = None,
    description: str | None = None,
    customer_id: int | None = None,
    goal_id: int | None = None,
    due_date: date | None = None,
    importance: int | bool = 0,
    urgency: int | bool = 0,
    status: str = "todo",
    progress: int = 0,
) -> int:
    """Create a task. Managers create for teams and members in their scope; a member creates tasks
    for themselves only. The team defaults to the assignee's team. New tasks go to the top."""
    scope = scope_for(session, actor)
    fields = dict(title=title, description=description, status=status, progress=progress, importance=importance,
                  urgency=urgency, due_date=due_date, customer_id=customer_id, goal_id=goal_id)
    errors: list[FieldError] = []
    _validate(fields, errors)
    if errors:
        raise InvalidInput("error.invalid", errors)
    if actor.role == "member":
        if actor.member_id is None or assignee_id not in (None, actor.member_id):
            raise PermissionDenied("board.error.member_reassign")
        assignee_id = actor.member_id
    if assignee_id is not None:
        member = session.get(Member, assignee_id)
        if member is None:
            raise NotFound("error.not_found")
        ensure_member(scope, assignee_id)
        if member.status != "active":
            raise InvalidInput("error.invalid", [FieldError("screens.error.assignee_leaving", {"name": member.name},
                                                            column="board.field.assignee")])
        team_id = team_id if team_id is not None and actor.role != "member" else member.team_id
    if team_id is None:
        raise InvalidInput("error.invalid", [FieldError("error.required", {"field": "team"}, column="team")])
    if actor.role != "member" and not scope.has_team(team_id):
        raise PermissionDenied("error.permission_denied")
    _check_links(session, actor, scope, fields)
    column = Task.assignee_id == assignee_id if assignee_id is not None else and_(Task.assignee_id.is_(None), Task.team_id == team_id)
    top = session.scalar(select(func.min(Task.position)).where(column))
    task = Task(team_id=team_id, assignee_id=assignee_id, created_by=actor.user_id,
                position=(top - 1.0) if top is not None else 0.0, **fields)
    if task.status == "done":
        task.progress = 100
        task.completed_at = utcnow()
    session.add(task)
    session.flush()
    audit.record(session, actor, "task.create", "task", task.id, None, audit.snapshot(task, _AUDIT_FIELDS))
    return task.id


def update_task(session: Session, actor: Actor, task_id: int, expected_version: int, **changes: Any) -> MoveResult:
    """Edit a task's fields (title, description, customer_id, goal_id, assignee_id, due_date,
    importance, urgency, status, progress). Members edit their own tasks but cannot reassign them.
    Refused with Conflict when the task changed since the form was opened."""
    allowed_fields = {"title", "description", "customer_id", "goal_id", "assignee_id", "due_date", "importance",
                      "urgency", "status", "progress"}
    unknown = set(changes) - allowed_fields
    if unknown:
        raise InvalidInput("error.invalid", [FieldError("board.error.bad_field", {"value": sorted(unknown)[0]})])
    task = _load(session, actor, task_id, WRITE)
    scope = scope_for(session, actor)
    errors: list[FieldError] = []
    _validate(changes, errors)
    if errors:
        raise InvalidInput("error.invalid", errors)
    values = {k: v for k, v in changes.items() if getattr(task, k) != v}
    if "assignee_id" in values:
        if actor.role == "member":
            raise PermissionDenied("board.error.member_reassign")
        if values["assignee_id"] is not None:
            target = session.get(Member, values["assignee_id"])
            if target is None:
                raise NotFound("error.not_found")
            ensure_member(scope, target.id)
            values["team_id"] = target.team_id
    _check_links(session, actor, scope, values)
    if "status" in values:
        if values["status"] == "done":
            values["completed_at"] = utcnow()
            values.setdefault("progress", 100)
        elif task.status == "done":
            values["completed_at"] = None
    if task.version != expected_version:
        raise Conflict("board.error.conflict", title=task.title)
    if not values:
        return MoveResult(task.id, task.version, changed=False)
    before = audit.snapshot(task, _AUDIT_FIELDS)
    warning: str | None = None
    params: dict[str, Any] = {}
    if "assignee_id" in values and values.get("status", task.status) != "done":
        warning, params = _capacity_warning(session, values["assignee_id"], task.id)
    version = _guarded_update(session, task, expected_version, values)
    after = {**before, **{k: v for k, v in values.items() if k in before}, "version": version}
    audit.record(session, actor, "task.update", "task", task.id, *audit.changed(before, after))
    return MoveResult(task.id, version, changed=True, warning=warning, params=params)


def add_note(session: Session, actor: Actor, task_id: int, body: str) -> int:
    """A progress note on a task (anyone who may change the task)."""
    body = (body or "").strip()
    if not body:
        raise InvalidInput("error.invalid", [FieldError("error.required", {"field": "note"}, column="note")])
    if len(body) > NOTE_MAX:
        raise InvalidInput("error.invalid", [FieldError("board.error.too_long", {"max": NOTE_MAX}, column="note")])
    task = _load(session, actor, task_id, WRITE)
    note = TaskNote(task_id=task.id, user_id=actor.user_id, body=body)
    session.add(note)
    session.flush()
    audit.record(session, actor, "task.note", "task", task.id, None, {"note": body})
    return note.id


def report_progress(
    session: Session, actor: Actor, task_id: int, expected_version: int, *, status: str | None = None,
    progress: int | None = None, note: str | None = None,
) -> MoveResult:
    """A member's quick update from My tasks: status, progress and an optional note, together."""
    changes: dict[str, Any] = {}
    if status is not None:
        changes["status"] = status
    if progress is not None:
        changes["progress"] = progress
    result = update_task(session, actor, task_id, expected_version, **changes) if changes else None
    if note and note.strip():
        add_note(session, actor, task_id, note)
    if result is None:
        task = _load(session, actor, task_id, READ)
        result = MoveResult(task.id, task.version, changed=bool(note and note.strip()))
    elif note and note.strip() and not result.changed:
        result = MoveResult(result.task_id, result.version, changed=True)
    return result


def quick_add_for_customer(
    session: Session, actor: Actor, customer_id: int, title: str, *, due_date: date | None = None,
    importance: int | bool = 0, urgency: int | bool = 0, assignee_id: int | None = None, description: str | None = None,
) -> int:
    """A task about a customer, from the customer's page: assigned to the customer's owner unless
    told otherwise (a member: to themselves), in the customer's team (else the assignee's)."""
    customer = session.get(Customer, customer_id)
    if customer is None or not allowed(session, actor, READ, customer):
        raise NotFound("error.not_found")
    if assignee_id is None:
        assignee_id = actor.member_id if actor.role == "member" else customer.owner_id
    team_id = None
    if actor.role != "member":
        team_id = customer.team_id
        scope = scope_for(session, actor)
        if team_id is None or not scope.has_team(team_id):
            team_id = None  # fall back to the assignee's team
    return create_task(session, actor, title=title, description=description, team_id=team_id, assignee_id=assignee_id,
                       customer_id=customer_id, due_date=due_date, importance=importance, urgency=urgency)


def _may_read_action_item(session: Session, actor: Actor, item: ActionItem) -> bool:
    """A 1:1 item: only the 1:1's manager and member; a meeting item: whoever reaches the meeting's team."""
    if item.one_on_one_id is not None:
        one = session.get(OneOnOne, item.one_on_one_id)
        # private even from admins (see permissions.one_on_one_filter)
        return one is not None and (one.manager_user_id == actor.user_id
                                    or (actor.member_id is not None and one.member_id == actor.member_id))
    team_id = session.scalar(select(Meeting.team_id).where(Meeting.id == item.meeting_id)) if item.meeting_id else None
    team = session.get(Team, team_id) if team_id is not None else None
    return team is not None and allowed(session, actor, READ, team)


def task_from_action_item(
    session: Session, actor: Actor, action_item_id: int, *, assignee_id: Any = KEEP, importance: int | bool = 1,
    urgency: int | bool = 0,
) -> int:
    """Turn a meeting (or 1:1) action item into a board task: title from the item's text, owner as
    assignee, due date carried over, the item linked to the task. Idempotent: an item already on the
    board returns its task."""
    item = session.get(ActionItem, action_item_id)
    if item is None or not _may_read_action_item(session, actor, item):
        raise NotFound("error.not_found")  # someone else's private 1:1 item does not exist for the actor
    if item.task_id is not None and session.get(Task, item.task_id) is not None:
        _load(session, actor, item.task_id, READ)
        return item.task_id
    team_id = None
    if item.meeting_id is not None:
        team_id = session.scalar(select(Meeting.team_id).where(Meeting.id == item.meeting_id))
    else:
        one = session.get(OneOnOne, item.one_on_one_id)
        if one is not None:
            team_id = session.scalar(select(Member.team_id).where(Member.id == one.member_id))
    owner = item.owner_member_id if assignee_id is KEEP else assignee_id
    if actor.role == "member":
        team_id = None
    task_id = create_task(session, actor, title=item.text, team_id=team_id if owner is None or actor.role != "member" else None,
                          assignee_id=owner, due_date=item.due_date, importance=importance, urgency=urgency)
    item.task_id = task_id
    audit.record(session, actor, "action_item.to_task", "action_item", item.id, None, {"task_id": task_id})
    return task_id
