"""Tasks: the board (by member or by status), moves under optimistic concurrency, creating and
editing tasks, members' quick updates, and links from customers and meeting action items.

Every write is one transaction owned by the caller (a unit of work) and writes an audit row. A move
or an edit states the version of the task it saw; the UPDATE only touches the row when that version
is still current (`... WHERE id = :id AND version = :expected`), so of two people acting on the same
drawn board exactly one wins and the other gets `Conflict` - on SQLite and on PostgreSQL alike.

The board never loads a team's whole backlog: counts are grouped in SQL and cards are fetched per
column with a window function (`row_number() OVER (PARTITION BY column ORDER BY position, id)`)
up to the number of cards shown.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from core import audit, limits
from core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from core.permissions import (
    READ,
    WRITE,
    Actor,
    Scope,
    allowed,
    ensure_member,
    ensure_role,
    load,
    scope_clause,
    scope_for,
    scoped,
    subtree_team_ids,
)
from db.base import utcnow
from db.models import (
    TASK_STATUSES,
    ActionItem,
    Customer,
    Goal,
    Meeting,
    Member,
    MemberSpecialty,
    OneOnOne,
    Task,
    TaskNote,
    Team,
)
from db.session import rowcount

OPEN_STATUSES = ("todo", "in_progress", "blocked")
VIEWS = ("member", "status")
QUADRANTS = ("do", "schedule", "delegate", "eliminate")  # Eisenhower: (1,1) (1,0) (0,1) (0,0)
DUE_WINDOWS = ("overdue", "today", "week", "month", "none")
UNASSIGNED = "none"  # column id of the Unassigned column in the member view
DEFAULT_CARDS_PER_COLUMN = 6
DEFAULT_MEMBERS_PER_PAGE = 20  # columns side by side in one scrolling row: a whole normal-sized team (bigger: pages of 20)
MAX_CARDS_PER_COLUMN = 200
TITLE_MAX = limits.max_length(Task, "title")  # 200, from core.limits
NOTE_MAX = limits.max_length(TaskNote, "body")  # 2,000


class _Keep:
    """Marker for 'leave the assignee as it is' (None means 'unassign')."""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "KEEP"


KEEP: Any = _Keep()


# ---------------------------------------------------------------------------------------------
# Small rules
# ---------------------------------------------------------------------------------------------
def quadrant_of(importance: int | bool, urgency: int | bool) -> str:
    """The Eisenhower quadrant: important and urgent -> do; important only -> schedule; urgent
    only -> delegate; neither -> eliminate."""
    if importance and urgency:
        return "do"
    if importance:
        return "schedule"
    if urgency:
        return "delegate"
    return "eliminate"


def quadrant_flags(quadrant: str) -> tuple[int, int]:
    """(importance, urgency) of a quadrant."""
    return {"do": (1, 1), "schedule": (1, 0), "delegate": (0, 1), "eliminate": (0, 0)}[quadrant]


def position_between(before: float | None, after: float | None) -> float:
    """A position that sorts between two neighbours (None = no neighbour on that side)."""
    if before is None and after is None:
        return 0.0
    if before is None:
        return after - 1.0
    if after is None:
        return before + 1.0
    return (before + after) / 2.0


def drop_neighbours(drawn: Sequence[int], task_id: int, same_column: bool, from_index: int, to_index: int) -> tuple[list[int], int]:
    """Turn a drop (indices among the cards as drawn) into (the destination's cards without the
    moved one, insertion index into that list). For a move inside one column the drop index counts
    the dragged card itself, so an item moved down lands one slot earlier once it is removed."""
    others = [i for i in drawn if i != task_id]
    index = to_index
    if same_column and task_id in drawn and from_index < to_index:
        index -= 1
    return others, max(0, min(index, len(others)))


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


# ---------------------------------------------------------------------------------------------
# Reads: the board
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Card:
    id: int
    title: str
    status: str
    assignee_id: int | None
    assignee: str | None
    customer_id: int | None
    customer: str | None
    goal_id: int | None
    goal: str | None
    due_date: date | None
    overdue: bool
    importance: int
    urgency: int
    quadrant: str
    progress: int
    version: int
    position: float


@dataclass(frozen=True)
class Column:
    """One board column. `id` is a member id (as text), "none" for Unassigned, or a status."""

    id: str
    title: str | None  # member name; None for Unassigned and status columns (the page translates)
    total: int  # cards matching the filters in this column
    cards: tuple[Card, ...]
    member_id: int | None = None
    open_tasks: int = 0  # all open tasks of the member (capacity view), whatever the filters
    capacity: int | None = None
    team: str | None = None
    wip_limit: int | None = None  # status columns: the board's work-in-progress limit
    wip_count: int = 0  # status columns: every task of the board in this status, unfiltered

    @property
    def over_wip_limit(self) -> bool:
        from core.wip_limits import over_limit

        return over_limit(self.wip_count, self.wip_limit)

    @property
    def hidden(self) -> int:
        return max(0, self.total - len(self.cards))

    @property
    def over_capacity(self) -> bool:
        return self.capacity is not None and self.open_tasks > self.capacity


@dataclass(frozen=True)
class Board:
    team_id: int
    view: str
    columns: tuple[Column, ...]
    today: date
    members_total: int = 0  # members of the team (the member view shows a page of them)
    member_offset: int = 0
    members: tuple[dict, ...] = ()  # every member who can take work: the Move to… menu offers them all

    @property
    def shown(self) -> int:
        return sum(len(c.cards) for c in self.columns)

    @property
    def total(self) -> int:
        return sum(c.total for c in self.columns)


def board_teams(session: Session, actor: Actor) -> list[dict]:
    """Teams the actor can put on the board (id, name, parent name), parents first."""
    scope = scope_for(session, actor)
    rows = session.execute(select(Team.id, Team.name, Team.parent_id).where(scope_clause(scope, Team)).order_by(Team.name)).all()
    names = {r.id: r.name for r in rows}
    return [
        {"id": r.id, "name": r.name if r.parent_id is None else f"{names.get(r.parent_id, '…')} / {r.name}"}
        for r in sorted(rows, key=lambda r: (names.get(r.parent_id, r.name), r.parent_id is not None, r.name))
    ]


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


def _card(r, today: date) -> Card:
    return Card(
        id=r.id, title=r.title, status=r.status, assignee_id=r.assignee_id, assignee=r.assignee,
        customer_id=r.customer_id, customer=r.customer, goal_id=r.goal_id, goal=r.goal, due_date=r.due_date,
        overdue=bool(r.due_date and r.due_date < today and r.status != "done"), importance=int(r.importance),
        urgency=int(r.urgency), quadrant=quadrant_of(r.importance, r.urgency), progress=int(r.progress),
        version=int(r.version), position=float(r.position),
    )



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


@dataclass(frozen=True)
class TaskDetail:
    id: int
    title: str
    description: str | None
    team_id: int
    assignee_id: int | None
    customer_id: int | None
    customer: str | None
    goal_id: int | None
    goal: str | None
    status: str
    importance: int
    urgency: int
    quadrant: str
    due_date: date | None
    progress: int
    version: int
    notes: tuple[dict, ...] = field(default_factory=tuple)
    can_reassign: bool = False


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


def find_customers(session: Session, actor: Actor, query: str = "", limit: int = 20, include_id: int | None = None) -> list[dict]:
    """Customers in the actor's scope whose name contains `query` (for pickers over 100,000 rows)."""

    scope = scope_for(session, actor)
    stmt = select(Customer.id, Customer.name).where(scope_clause(scope, Customer, collaborating=True))
    if query.strip():
        stmt = stmt.where(Customer.name.ilike(f"%{query.strip()}%"))
    rows = [{"id": r.id, "name": r.name} for r in session.execute(stmt.order_by(Customer.name).limit(limit)).all()]
    if include_id is not None and include_id not in {r["id"] for r in rows}:
        c = session.get(Customer, include_id)
        if c is not None and allowed(session, actor, READ, c, scope):
            rows.insert(0, {"id": c.id, "name": c.name})
    return rows


def goal_choices(session: Session, actor: Actor, team_id: int | None = None, limit: int = 100) -> list[dict]:
    """Active goals the actor can see (optionally of one team and its members)."""

    scope = scope_for(session, actor)
    stmt = select(Goal.id, Goal.title).where(scope_clause(scope, Goal), Goal.status == "active")
    if team_id is not None:
        team_ids = subtree_team_ids(session, {team_id})
        stmt = stmt.where(or_(Goal.team_id.in_(team_ids), Goal.member_id.in_(select(Member.id).where(Member.team_id.in_(team_ids)))))
    return [{"id": r.id, "title": r.title} for r in session.execute(stmt.order_by(Goal.end_date, Goal.title).limit(limit)).all()]


def assignee_choices(session: Session, actor: Actor, team_id: int | None = None) -> list[dict]:
    """Members the actor may assign new work to (a member: only themselves). Members who are
    leaving or have left are never offered: work given to them would be lost at their exit."""
    if actor.role == "member":
        if actor.member_id is None:
            return []
        m = session.get(Member, actor.member_id)
        return [{"id": m.id, "name": m.name, "team_id": m.team_id}]
    scope = scope_for(session, actor)
    stmt = select(Member.id, Member.name, Member.team_id).where(Member.status == "active")
    if team_id is not None:
        stmt = stmt.where(Member.team_id.in_(subtree_team_ids(session, {team_id})))
    rows = session.execute(stmt.order_by(Member.name)).all()
    return [{"id": r.id, "name": r.name, "team_id": r.team_id} for r in rows if scope.has_member(r.id)]


# ---------------------------------------------------------------------------------------------
# Suggestions: who should take a task
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    member_id: int
    name: str
    score: float
    matches: tuple[str, ...]  # specialty values matching the customer
    open_tasks: int
    capacity: int


def suggest_assignees(session: Session, actor: Actor, team_id: int, customer_id: int | None = None, limit: int = 5) -> list[Suggestion]:
    """Rank the team's members for a task: +1 per specialty matching the customer (industry, region,
    size), minus the member's load (open tasks / capacity, so a full member loses one point); members
    at or over capacity come last. Ties go to the lighter load, then the name."""
    scope = scope_for(session, actor)
    if not scope.has_team(team_id) and actor.team_id != team_id:
        raise PermissionDenied("error.permission_denied")
    candidates = assignee_choices(session, actor, team_id)
    if not candidates:
        return []
    ids = [c["id"] for c in candidates]
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
    for c in candidates:
        matches = tuple(sorted(v for k, v in (specialties.get(c["id"], set()) & wanted)))
        capacity = caps.get(c["id"]) or 0
        open_ = load.get(c["id"], 0)
        ratio = open_ / capacity if capacity else 1.0
        score = len(matches) - ratio - (10 if open_ >= capacity else 0)
        result.append(Suggestion(c["id"], c["name"], round(score, 3), matches, open_, capacity))
    result.sort(key=lambda s: (-s.score, s.open_tasks, s.name))
    return result[:limit]


# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MoveResult:
    task_id: int
    version: int
    changed: bool
    warning: str | None = None  # translation key, e.g. board.warn.over_capacity
    params: dict = field(default_factory=dict)
    title: str = ""


_AUDIT_FIELDS = ("title", "description", "team_id", "assignee_id", "customer_id", "goal_id", "status", "importance",
                 "urgency", "due_date", "progress", "position", "version")


def _load(session: Session, actor: Actor, task_id: int, action: str) -> Task:
    if action == WRITE:
        return load(session, actor, Task, task_id, WRITE)  # PermissionDenied: the drop or edit is refused
    task = session.get(Task, task_id)
    if task is None or not allowed(session, actor, READ, task):
        raise NotFound("error.not_found")  # do not reveal tasks outside the scope
    return task


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


def _validate(fields: dict, errors: list[FieldError]) -> None:
    if "title" in fields:
        title = (fields["title"] or "").strip()
        fields["title"] = title
        if not title:
            errors.append(FieldError("error.required", {"field": "title"}, column="title"))
        elif len(title) > TITLE_MAX:
            errors.append(FieldError("board.error.too_long", {"max": TITLE_MAX}, column="title"))
    if "description" in fields:
        fields["description"] = (fields["description"] or "").strip() or None
    if "status" in fields and fields["status"] not in TASK_STATUSES:
        errors.append(FieldError("board.error.bad_status", {"value": fields["status"]}, column="status"))
    if "progress" in fields:
        try:
            fields["progress"] = int(fields["progress"])
        except (TypeError, ValueError):
            fields["progress"] = -1
        if not 0 <= fields["progress"] <= 100:
            errors.append(FieldError("board.error.progress", {}, column="progress"))
    for flag in ("importance", "urgency"):
        if flag in fields:
            fields[flag] = 1 if fields[flag] else 0
    if "due_date" in fields and fields["due_date"] is not None and not isinstance(fields["due_date"], date):
        errors.append(FieldError("board.error.bad_date", {}, column="due_date"))


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


__all__ = [
    "KEEP", "OPEN_STATUSES", "QUADRANTS", "DUE_WINDOWS", "VIEWS", "UNASSIGNED", "Board", "Card", "Column", "MoveResult",
    "Suggestion", "TaskDetail", "add_note", "assignee_choices", "board", "board_teams", "create_task",
    "drop_neighbours", "find_customers", "get_task", "goal_choices", "move_task", "my_tasks", "position_between",
    "quadrant_flags", "quadrant_of", "quick_add_for_customer", "report_progress", "suggest_assignees",
    "task_from_action_item", "task_history", "update_task",
]
