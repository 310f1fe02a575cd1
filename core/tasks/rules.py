"""Task rules and value types without the database: quadrants, ordering positions, the board's shapes, field checks."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core import limits
from core.errors import FieldError
from db.models import (
    TASK_STATUSES,
    Task,
    TaskNote,
)

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


# ---------------------------------------------------------------------------------------------
# The board's shapes
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


def _card(r, today: date) -> Card:
    return Card(
        id=r.id, title=r.title, status=r.status, assignee_id=r.assignee_id, assignee=r.assignee,
        customer_id=r.customer_id, customer=r.customer, goal_id=r.goal_id, goal=r.goal, due_date=r.due_date,
        overdue=bool(r.due_date and r.due_date < today and r.status != "done"), importance=int(r.importance),
        urgency=int(r.urgency), quadrant=quadrant_of(r.importance, r.urgency), progress=int(r.progress),
        version=int(r.version), position=float(r.position),
    )


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


# ---------------------------------------------------------------------------------------------
# What a move or an edit returns; the fields an edit audits
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


def work_order(cards: Sequence[Card]) -> list[Card]:
    """A member's working order: overdue first, then by due date (no due date last), then by id."""
    return sorted(cards, key=lambda c: (not c.overdue, c.due_date is None, c.due_date or date.max, c.id))


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
