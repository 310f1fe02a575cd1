"""Work-in-progress limits of a team's board: at most N tasks in a status column.

A limit belongs to the board of one team (which shows the team and its sub-teams). It counts every
task of that board in the column, whatever filters the viewer has set, so everyone sees the same
warning. Managers set limits for teams in their scope; a limit of None removes it."""
from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import FieldError, InvalidInput
from core.permissions import Actor, ensure_role, ensure_team, scope_clause, scope_for
from db.models import TASK_STATUSES, BoardWipLimit, Task

MAX_LIMIT = 999


def limits_of(session: Session, team_id: int) -> dict[str, int]:
    """The team board's limits by status (the caller has checked the team is in scope)."""
    rows = session.execute(select(BoardWipLimit.status, BoardWipLimit.max_cards).where(BoardWipLimit.team_id == team_id))
    return {status: limit for status, limit in rows}


def counts_of(session: Session, scope, team_ids: list[int]) -> dict[str, int]:
    """Tasks per status on a board of `team_ids`, unfiltered (what a limit counts)."""
    rows = session.execute(
        select(Task.status, func.count()).where(scope_clause(scope, Task), Task.team_id.in_(team_ids)).group_by(Task.status)
    )
    return {status: int(n) for status, n in rows}


def over_limit(count: int, limit: int | None) -> bool:
    """A column is over its limit when it holds more tasks than allowed (exactly at the limit is full, not over)."""
    return limit is not None and count > limit


def set_wip_limits(session: Session, actor: Actor, team_id: int, limits: dict[str, int | None]) -> dict[str, int]:
    """Replace the limits of a team's board (status -> max cards, None or 0 = no limit). One
    transaction, audited; refused for a team outside the actor's scope or a bad number."""
    ensure_role(actor, "admin", "manager")
    ensure_team(scope_for(session, actor), team_id)
    errors: list[FieldError] = []
    clean: dict[str, int] = {}
    for status, value in limits.items():
        if status not in TASK_STATUSES:
            errors.append(FieldError("board.error.bad_status", {"value": status}))
            continue
        if value in (None, 0, ""):
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = -1
        if not 1 <= number <= MAX_LIMIT:
            errors.append(FieldError("wall.wip.error.range", {"max": MAX_LIMIT}, column=f"task_status.{status}"))
            continue
        clean[status] = number
    if errors:
        raise InvalidInput("error.invalid", errors)
    before = limits_of(session, team_id)
    session.execute(delete(BoardWipLimit).where(BoardWipLimit.team_id == team_id))
    session.add_all(BoardWipLimit(team_id=team_id, status=s, max_cards=n) for s, n in clean.items())
    session.flush()
    if before != clean:
        audit.record(session, actor, "board.wip_limits", "team", team_id, before or None, clean or None)
    return clean


def wip_limits(session: Session, actor: Actor, team_id: int) -> dict[str, int]:
    """The limits of a team's board, for anyone who may see that board."""
    ensure_role(actor, "admin", "manager")
    ensure_team(scope_for(session, actor), team_id)
    return limits_of(session, team_id)


__all__ = ["MAX_LIMIT", "counts_of", "limits_of", "over_limit", "set_wip_limits", "wip_limits"]
