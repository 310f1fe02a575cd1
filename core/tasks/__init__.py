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

from core.tasks.commands import (
    add_note,
    create_task,
    move_task,
    quick_add_for_customer,
    report_progress,
    task_from_action_item,
    update_task,
)
from core.tasks.queries import (
    _due_clause as _due_clause,
)
from core.tasks.queries import (
    _load as _load,
)
from core.tasks.queries import (
    _quadrant_clause as _quadrant_clause,
)
from core.tasks.queries import (
    board,
    get_task,
    my_tasks,
    suggest_assignees,
    task_history,
    task_history_text,
)
from core.tasks.rules import (
    DEFAULT_CARDS_PER_COLUMN,
    DEFAULT_MEMBERS_PER_PAGE,
    DUE_WINDOWS,
    KEEP,
    MAX_CARDS_PER_COLUMN,
    NOTE_MAX,
    OPEN_STATUSES,
    QUADRANTS,
    TITLE_MAX,
    UNASSIGNED,
    VIEWS,
    Board,
    Card,
    Column,
    MoveResult,
    Suggestion,
    TaskDetail,
    drop_neighbours,
    position_between,
    quadrant_flags,
    quadrant_of,
    work_order,
)
from core.tasks.rules import (
    _validate as _validate,
)

__all__ = [
    "Board",
    "Card",
    "Column",
    "DEFAULT_CARDS_PER_COLUMN",
    "DEFAULT_MEMBERS_PER_PAGE",
    "DUE_WINDOWS",
    "KEEP",
    "MAX_CARDS_PER_COLUMN",
    "MoveResult",
    "NOTE_MAX",
    "OPEN_STATUSES",
    "QUADRANTS",
    "Suggestion",
    "TITLE_MAX",
    "TaskDetail",
    "UNASSIGNED",
    "VIEWS",
    "add_note",
    "board",
    "create_task",
    "drop_neighbours",
    "get_task",
    "move_task",
    "my_tasks",
    "position_between",
    "quadrant_flags",
    "quadrant_of",
    "quick_add_for_customer",
    "report_progress",
    "suggest_assignees",
    "task_from_action_item",
    "task_history",
    "task_history_text",
    "update_task",
    "work_order",
]
