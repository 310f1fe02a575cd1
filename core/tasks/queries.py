"""Task reads: the board, my tasks, one task and its history, pickers and assignee suggestions."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core import audit, pickers
from core.errors import FieldError, InvalidInput, NotFound, PermissionDenied
from core.permissions import (
    READ,
    WRITE,
    Actor,
    Scope,
    allowed,
    ensure_role,
    load,
    scope_clause,
    scope_for,
    subtree_team_ids,
)
from core.tasks.rules import (
    DEFAULT_CARDS_PER_COLUMN,
    DEFAULT_MEMBERS_PER_PAGE,
    MAX_CARDS_PER_COLUMN,
    QUADRANTS,
    UNASSIGNED,
    VIEWS,
    Board,
    Card,
    Column,
    Suggestion,
    TaskDetail,
    _card,
    quadrant_flags,
    quadrant_of,
)
from db.base import utcnow
from db.models import (
    TASK_STATUSES,
    Customer,
    Goal,
    Member,
    MemberSpecialty,
    Task,
    TaskNote,
    Team,
)


def _due_clause(due: str | None, today: date):
    if not due:
        return None
    if due == "overdue":
        return and_(Task.due_date < today, Task.status != "done")
    if due == "today":
        return Task.due_date == today
    if due == "week":
        return and_(Task.due_date >= today, Task.due_date <= today + timedelta(days=7))
    if due == "month":
        return and_(Task.due_date >= today, Task.due_date <= today + timedelta(days=30))
    if due == "none":
        return Task.due_date.is_(None)
    raise InvalidInput("error.invalid", [FieldError("board.error.bad_filter", {"value": due})])


def _quadrant_clause(quadrant: str | None):
    if not quadrant:
        return None
    if quadrant not in QUADRANTS:
        raise InvalidInput("error.invalid", [FieldError("board.error.bad_filter", {"value": quadrant})])
    importance, urgency = quadrant_flags(quadrant)
    return and_(Task.importance == importance, Task.urgency == urgency)


def _board_scope(session: Session, actor: Actor, team_id: int) -> tuple[Scope, list[int]]:
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("error.not_found")
    if not scope.has_team(team_id):
        raise PermissionDenied("error.permission_denied")
    return scope, sorted(subtree_team_ids(session, {team_id}))


def _members_of(session: Session, scope: Scope, team_id: int, team_ids: list[int]) -> list[dict]:
    rows = session.execute(
        select(Member.id, Member.name, Member.max_open_tasks, Team.name.label("team"))
        .join(Team, Team.id == Member.team_id)
        .where(Member.team_id.in_(team_ids), Member.status != "left")
        .order_by(Member.team_id != team_id, Team.name, Member.name)
    ).all()
    return [{"id": r.id, "name": r.name, "capacity": r.max_open_tasks, "team": r.team} for r in rows if scope.has_member(r.id)]


def board(
    session: Session,
    actor: Actor,
    team_id: int,
    view: str = "member",
    *,
    limit: int = DEFAULT_CARDS_PER_COLUMN,
    limits: tuple[tuple[str, int], ...] = (),
    customer_query: str | None = None,
    quadrant: str | None = None,
    due: str | None = None,
    include_done: bool = False,
    member_offset: int = 0,
    member_limit: int = DEFAULT_MEMBERS_PER_PAGE,
    today: date | None = None,
) -> Board:
    """The board of one team (and its sub-teams): columns by member (plus Unassigned; a page of
    `member_limit` members from `member_offset`) or by status. Only the shown cards are fetched;
    `limits` raises the number shown for single columns."""
    if view not in VIEWS:
        raise InvalidInput("error.invalid", [FieldError("board.error.bad_filter", {"value": view})])
    today = today or date.today()
    scope, team_ids = _board_scope(session, actor, team_id)
    all_members = _members_of(session, scope, team_id, team_ids)
    members = all_members[member_offset:member_offset + member_limit] if view == "member" else all_members
    member_ids = [m["id"] for m in members]

    where = [scope_clause(scope, Task), Task.archived_at.is_(None)]
    if view == "member":
        where.append(or_(Task.assignee_id.in_(member_ids), and_(Task.assignee_id.is_(None), Task.team_id.in_(team_ids))))
        if not include_done:
            where.append(Task.status != "done")
        partition: Any = Task.assignee_id
    else:
        where.append(Task.team_id.in_(team_ids))
        partition = Task.status
    for clause in (_due_clause(due, today), _quadrant_clause(quadrant)):
        if clause is not None:
            where.append(clause)
    query = (customer_query or "").strip()
    if query:
        where.append(Task.customer_id.in_(select(Customer.id).where(Customer.name.ilike(f"%{query}%"))))

    limit_of = dict(limits)
    fetch = min(MAX_CARDS_PER_COLUMN, max([limit, *limit_of.values()]))
    rn = func.row_number().over(partition_by=partition, order_by=(Task.position, Task.id)).label("rn")
    inner = select(Task.id, rn).where(*where).subquery()
    rows = session.execute(
        _card_query().join(inner, inner.c.id == Task.id).where(inner.c.rn <= fetch)
        .order_by(Task.position, Task.id)
    ).all()
    counts: dict[Any, int] = dict(session.execute(select(partition, func.count()).where(*where).group_by(partition)).all())

    cards: dict[Any, list[Card]] = {}
    for r in rows:
        cards.setdefault(r.assignee_id if view == "member" else r.status, []).append(_card(r, today))

    def take(column_id: str, key: Any) -> tuple[Card, ...]:
        wanted = min(MAX_CARDS_PER_COLUMN, limit_of.get(column_id, limit))
        return tuple(cards.get(key, [])[:wanted])

    columns: list[Column] = []
    if view == "member":
        open_counts = dict(session.execute(
            select(Task.assignee_id, func.count())
            .where(Task.assignee_id.in_(member_ids), Task.status != "done")
            .group_by(Task.assignee_id)
        ).all()) if member_ids else {}
        columns.append(Column(UNASSIGNED, None, counts.get(None, 0), take(UNASSIGNED, None)))
        for m in members:
            cid = str(m["id"])
            columns.append(Column(
                cid, m["name"], counts.get(m["id"], 0), take(cid, m["id"]), member_id=m["id"],
                open_tasks=open_counts.get(m["id"], 0), capacity=m["capacity"], team=m["team"],
            ))
    else:
        from core import wip_limits

        column_limits = wip_limits.limits_of(session, team_id)
        filtered = len(where) > 2  # beyond the scope and the team: a filter is set
        wip = wip_limits.counts_of(session, scope, team_ids) if filtered else counts
        for status in TASK_STATUSES:
            columns.append(Column(status, None, counts.get(status, 0), take(status, status),
                                  wip_limit=column_limits.get(status), wip_count=wip.get(status, 0)))
    return Board(team_id, view, tuple(columns), today, members_total=len(all_members), member_offset=member_offset,
                 members=tuple(all_members))



def _card_query():
    return (
        select(
            Task.id, Task.title, Task.status, Task.assignee_id, Member.name.label("assignee"), Task.customer_id,
            Customer.name.label("customer"), Task.goal_id, Goal.title.label("goal"), Task.due_date, Task.importance,
            Task.urgency, Task.progress, Task.version, Task.position,
        )
        .outerjoin(Member, Member.id == Task.assignee_id)
        .outerjoin(Customer, Customer.id == Task.customer_id)
        .outerjoin(Goal, Goal.id == Task.goal_id)
    )


def my_tasks(session: Session, actor: Actor, done_days: int = 14, today: date | None = None, limit: int = 200) -> list[Card]:
    """The actor's own tasks: everything open, plus what they finished in the last `done_days`."""
    if actor.member_id is None:
        return []
    today = today or date.today()
    since = utcnow() - timedelta(days=done_days)
    rows = session.execute(
        _card_query()
        .where(Task.assignee_id == actor.member_id, or_(Task.status != "done", Task.completed_at >= since),
               Task.archived_at.is_(None))
        .order_by(Task.position, Task.id)
        .limit(limit)
    ).all()
    return [_card(r, today) for r in rows]


def get_task(session: Session, actor: Actor, task_id: int) -> TaskDetail:
    task = _load(session, actor, task_id, READ)
    customer = session.get(Customer, task.customer_id) if task.customer_id else None
    goal = session.get(Goal, task.goal_id) if task.goal_id else None
    notes = session.execute(
        select(TaskNote.body, TaskNote.created_at, TaskNote.user_id).where(TaskNote.task_id == task.id)
        .order_by(TaskNote.created_at.desc(), TaskNote.id.desc()).limit(20)
    ).all()
    from db.models import User

    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_({n.user_id for n in notes} - {None}))).all())
    return TaskDetail(
        id=task.id, title=task.title, description=task.description, team_id=task.team_id, assignee_id=task.assignee_id,
        customer_id=task.customer_id, customer=customer.name if customer else None, goal_id=task.goal_id,
        goal=goal.title if goal else None, status=task.status, importance=task.importance, urgency=task.urgency,
        quadrant=quadrant_of(task.importance, task.urgency), due_date=task.due_date, progress=task.progress,
        version=task.version,
        notes=tuple({"body": n.body, "at": n.created_at, "who": names.get(n.user_id)} for n in notes),
        can_reassign=actor.role in ("admin", "manager"),
    )


def task_history(session: Session, actor: Actor, task_id: int, limit: int = 30) -> list[dict]:
    """The audit trail of one task (newest first) for anyone who may read the task."""
    _load(session, actor, task_id, READ)
    return audit.history(session, "task", task_id, limit)


def task_history_text(session: Session, actor: Actor, task_id: int, lang: str, limit: int = 30) -> list[dict]:
    """The task's history as sentences ("陈静 moved task “X”") with the changed fields readable
    ("Assignee: 刘洋 → 陈静"), newest first."""
    from core import audit_text

    rows = [{**r, "entity": "task", "entity_id": task_id} for r in task_history(session, actor, task_id, limit)]
    return audit_text.describe(session, rows, lang)


def suggest_assignees(session: Session, actor: Actor, team_id: int, customer_id: int | None = None, limit: int = 5) -> list[Suggestion]:
    """Rank the team's members for a task: +1 per specialty matching the customer (industry, region,
    size), minus the member's load (open tasks / capacity, so a full member loses one point); members
    at or over capacity come last. Ties go to the lighter load, then the name."""
    scope = scope_for(session, actor)
    if not scope.has_team(team_id) and actor.team_id != team_id:
        raise PermissionDenied("error.permission_denied")
    candidates = pickers.assignees(session, actor, team_id)
    if not candidates:
        return []
    ids = list(candidates)
    customer = session.get(Customer, customer_id) if customer_id else None
    wanted = {("industry", customer.industry), ("region", customer.region), ("size", customer.size)} if customer else set()
    specialties: dict[int, set[tuple[str, str]]] = {}
    for member_id, kind, value in session.execute(
        select(MemberSpecialty.member_id, MemberSpecialty.kind, MemberSpecialty.value).where(MemberSpecialty.member_id.in_(ids))
    ).all():
        specialties.setdefault(member_id, set()).add((kind, value))
    load = dict(session.execute(
        select(Task.assignee_id, func.count()).where(Task.assignee_id.in_(ids), Task.status != "done").group_by(Task.assignee_id)
    ).all())
    caps = dict(session.execute(select(Member.id, Member.max_open_tasks).where(Member.id.in_(ids))).all())
    result = []
    for member_id, name in candidates.items():
        matches = tuple(sorted(v for k, v in (specialties.get(member_id, set()) & wanted)))
        capacity = caps.get(member_id) or 0
        open_ = load.get(member_id, 0)
        ratio = open_ / capacity if capacity else 1.0
        score = len(matches) - ratio - (10 if open_ >= capacity else 0)
        result.append(Suggestion(member_id, name, round(score, 3), matches, open_, capacity))
    result.sort(key=lambda s: (-s.score, s.open_tasks, s.name))
    return result[:limit]


def _load(session: Session, actor: Actor, task_id: int, action: str) -> Task:
    if action == WRITE:
        return load(session, actor, Task, task_id, WRITE)  # PermissionDenied: the drop or edit is refused
    task = session.get(Task, task_id)
    if task is None or not allowed(session, actor, READ, task):
        raise NotFound("error.not_found")  # do not reveal tasks outside the scope
    return task
