"""Goal writes: create, archive, check in, save a split, follow-up tasks."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, limits, versions
from core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from core.goals.queries import _load
from core.goals.rules import ChildDraft, GoalDraft, _validate
from core.permissions import (
    READ,
    WRITE,
    Actor,
    Scope,
    ensure,
    ensure_member,
    ensure_team,
    scope_for,
)
from core.tasks import create_task
from db.models import CheckIn, Goal, Member, Team


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
def _ensure_owner(session: Session, scope: Scope, actor: Actor, team_id: int | None, member_id: int | None) -> None:
    if team_id is not None:
        if session.get(Team, team_id) is None:
            raise NotFound("error.not_found")
        ensure_team(scope, team_id)  # members never own team goals
    if member_id is not None:
        if session.get(Member, member_id) is None:
            raise NotFound("error.not_found")
        if actor.role == "member" and member_id != actor.member_id:
            raise PermissionDenied("goals.error.member_own_only")
        ensure_member(scope, member_id)


def create_goal(session: Session, actor: Actor, draft: GoalDraft) -> int:
    """Save a goal. Managers set goals for teams and members in their scope; members may set
    personal goals for themselves only."""
    errors = _validate(draft)
    if errors:
        raise InvalidInput("error.invalid", errors)
    scope = scope_for(session, actor)
    _ensure_owner(session, scope, actor, draft.team_id, draft.member_id)
    if draft.parent_id is not None:
        parent = _load(session, actor, draft.parent_id, READ)
        _check_child(parent, draft.metric, draft.start_date, draft.end_date)
    goal = Goal(
        title=draft.title.strip(), team_id=draft.team_id, member_id=draft.member_id, metric=draft.metric,
        target=float(draft.target), unit=(draft.unit or "").strip(), baseline=float(draft.baseline or 0.0),
        start_date=draft.start_date, end_date=draft.end_date, parent_id=draft.parent_id,
        importance=int(draft.importance), urgency=int(draft.urgency), created_by=actor.user_id,
    )
    session.add(goal)
    session.flush()
    audit.record(session, actor, "goal.create", "goal", goal.id, after=audit.snapshot(goal))
    return goal.id


def _check_child(parent: Goal, metric: str, start: date | None, end: date | None) -> None:
    errors = []
    if metric != parent.metric:
        errors.append(FieldError("goals.error.child_metric", column="metric"))
    if start and end and (start < parent.start_date or end > parent.end_date):
        errors.append(FieldError("goals.error.child_period", {"start": parent.start_date.isoformat(),
                                                              "end": parent.end_date.isoformat()}, column="period"))
    if errors:
        raise InvalidInput("error.invalid", errors)


def archive_goal(session: Session, actor: Actor, goal_id: int, expected_version: int | None = None) -> None:
    goal = _load(session, actor, goal_id, WRITE)
    if actor.role == "member" and goal.created_by != actor.user_id:
        raise PermissionDenied("goals.error.member_archive")
    versions.claim(session, goal, expected_version)
    before = audit.snapshot(goal, ["status"])
    goal.status = "archived"
    audit.record(session, actor, "goal.archive", "goal", goal.id, before, {"status": "archived"})


def record_check_in(session: Session, actor: Actor, goal_id: int, value: float | None,
                    confidence: int = 3, comment: str | None = None) -> int:
    """A check-in: the value reached so far, how confident the owner is (1-5) and a comment.
    Members check in on their own goals only; managers on goals in their scope. Only manual goals
    take check-ins (measured ones are computed from the records)."""
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise NotFound("error.not_found")
    if actor.role == "member" and goal.member_id != actor.member_id:
        raise PermissionDenied("goals.error.check_in_own")
    ensure(session, actor, WRITE, goal)
    errors = []
    if goal.metric != "manual":
        errors.append(FieldError("goals.error.check_in_measured", column="goals.check_in_value"))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        errors.append(FieldError("error.required", {"field": "goals.check_in_value"}, column="goals.check_in_value"))
    if not isinstance(confidence, int) or not 1 <= confidence <= 5:
        errors.append(FieldError("goals.error.confidence", column="confidence"))
    if comment and len(comment) > limits.max_length(CheckIn, "comment"):  # 2,000, from core.limits
        errors.append(FieldError("goals.error.comment_long", column="comment"))
    if goal.status != "active":
        errors.append(FieldError("goals.error.archived", column="goal"))
    if errors:
        raise InvalidInput("error.invalid", errors)
    row = CheckIn(goal_id=goal.id, value=float(value), confidence=confidence,
                  comment=(comment or "").strip() or None, user_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "goal.check_in", "goal", goal.id,
                 after={"check_in_id": row.id, "value": row.value, "confidence": confidence})
    return row.id


def save_children(session: Session, actor: Actor, parent_id: int, children: Sequence[ChildDraft],
                  replace_existing: bool = False, expected_version: int | None = None) -> list[int]:
    """Create the (possibly edited) children of a goal in one transaction. Every child must be
    valid, owned within the actor's scope, use the parent's metric and lie within its period.
    A goal that already has children is refused (a second set would double its roll-up) unless
    `replace_existing`: then the old children are archived in the same transaction (a re-split).
    `expected_version` is the parent's version the split was proposed from; a newer one refuses."""
    parent = _load(session, actor, parent_id, WRITE)
    if actor.role == "member":
        raise PermissionDenied("error.permission_denied")
    if not children:
        raise InvalidInput("goals.error.no_children")
    existing = session.scalars(select(Goal).where(Goal.parent_id == parent.id, Goal.status == "active")).all()
    if existing and not replace_existing:
        raise Conflict("screens.goal.already_split", n=len(existing))
    errors: list[FieldError] = []
    for row, child in enumerate(children, start=1):
        draft = GoalDraft(title=child.title, metric=parent.metric, target=child.target, start_date=child.start_date,
                          end_date=child.end_date, team_id=child.team_id, member_id=child.member_id, unit=parent.unit,
                          baseline=parent.baseline, importance=parent.importance, urgency=parent.urgency, parent_id=parent.id)
        for e in _validate(draft):
            errors.append(replace(e, row=row))
        if child.start_date and child.end_date and (child.start_date < parent.start_date or child.end_date > parent.end_date):
            errors.append(FieldError("goals.error.child_period", {"start": parent.start_date.isoformat(),
                                                                  "end": parent.end_date.isoformat()}, row=row, column="period"))
    if errors:
        raise InvalidInput("error.invalid", errors)
    # two managers splitting the same goal at once: one split wins, the other is told (no double set)
    versions.claim(session, parent, expected_version)
    for old in existing:
        _load(session, actor, old.id, WRITE)
        old.status = "archived"
        audit.record(session, actor, "goal.archive", "goal", old.id, {"status": "active"}, {"status": "archived"})
    return [create_goal(session, actor, GoalDraft(
        title=c.title, metric=parent.metric, target=c.target, start_date=c.start_date, end_date=c.end_date,
        team_id=c.team_id, member_id=c.member_id, unit=parent.unit, baseline=parent.baseline,
        importance=parent.importance, urgency=parent.urgency, parent_id=parent.id)) for c in children]


# ---------------------------------------------------------------------------------------------
# Follow-up tasks for goals at risk
# ---------------------------------------------------------------------------------------------
def create_follow_up_task(session: Session, actor: Actor, goal_id: int, *, title: str | None = None,
                          assignee_id: int | None = None, due_date: date | None = None, today: date | None = None) -> int:
    """A board task linked to the goal (important and urgent, due in 7 days unless given), for the
    goal's member, or for `assignee_id` / unassigned on a team goal. Managers and admins only."""
    if actor.role == "member":
        raise PermissionDenied("error.permission_denied")
    goal = _load(session, actor, goal_id, WRITE)
    today = today or date.today()
    assignee = goal.member_id if goal.member_id is not None else assignee_id
    team_id = goal.team_id
    if team_id is None:
        team_id = session.scalar(select(Member.team_id).where(Member.id == goal.member_id))
    title = (title or "").strip() or f"Follow up: {goal.title}"
    due = due_date or today + timedelta(days=7)
    task_id = create_task(session, actor, title=title[:200], team_id=team_id, assignee_id=assignee,
                          goal_id=goal.id, due_date=due, importance=1, urgency=1)
    audit.record(session, actor, "goal.follow_up_task", "goal", goal.id, after={"task_id": task_id})
    return task_id


def create_follow_up_tasks(session: Session, actor: Actor, titles: dict[int, str], *, today: date | None = None) -> list[int]:
    """One follow-up task per goal (`titles`: goal id -> task title), all or none: a goal the
    actor may not change refuses the whole batch."""
    if not titles:
        raise InvalidInput("goals.error.none_selected")
    return [create_follow_up_task(session, actor, goal_id, title=title, today=today) for goal_id, title in titles.items()]
