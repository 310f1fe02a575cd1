"""SMART goals: creation with a SMART check, decomposition on two axes (team -> members, long
period -> quarters/months), progress from the records (core.metrics) or from check-ins, pace,
forecast and status, charts, follow-up tasks for goals at risk, and export.

Progress model (one rule for every goal, shown to users as `STATUS_RULE`):

- A goal runs from `start_date` to `end_date` (both days included). Its *start value* is 0 for
  cumulative measured metrics (sums and counts restart with the period; `baseline` is kept as the
  last comparable period's value for reference) and `baseline` for everything else (averages and
  rates, which move from a level to a level, and manual goals, whose check-ins report the current
  value).
- `actual` = the metric measured for the goal's owner over start..min(today, end) (team goals
  include sub-teams), or the latest check-in value for manual goals; None without data.
- `attainment` = (actual - start value) / (target - start value): 1.0 means the target is reached
  (works for lower-is-better targets too, where target < baseline).
- `elapsed` = days passed / days in the period (today included, capped to 0..1).
- `expected` (the pace line) = start value + (target - start value) * elapsed.
- `forecast` at the end date: cumulative goals extrapolate the rate so far
  (start value + (actual - start value) / elapsed); level goals keep their current level.
- `status` from the forecast's attainment: on track >= 100 %, at risk 80-100 %, off track < 80 %
  ("no_data" when nothing is measured yet, "not_started" before the start date).
"""
from __future__ import annotations

import calendar
import copy
import functools
import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from collections.abc import Iterable, Sequence

import altair as alt
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import audit, limits, metric_registry, permissions, versions
from core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from core.metrics import (
    LEVEL_METRICS,
    LOWER_IS_BETTER,
    MEASURED_METRICS,
    measure_by_member,
    measure_value,
)
from core.permissions import (
    READ,
    WRITE,
    Actor,
    Scope,
    ensure,
    ensure_member,
    ensure_team,
    scope_clause,
    scope_for,
    subtree_team_ids,
)
from core.tasks import create_task
from db.models import GOAL_METRICS, CheckIn, Goal, Member, Team, User

ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA, NOT_STARTED = "on_track", "at_risk", "off_track", "no_data", "not_started"
STATUSES = (ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA, NOT_STARTED)
AT_RISK_FROM = 0.8  # forecast attainment below 100 % but at least this is "at risk"
STATUS_RULE = "goals.status_rule"  # translation key of the rule text shown beside every status
SPLIT_METHODS = ("even", "capacity", "last_share")
TIME_AXES = ("quarter", "month")
AMBITION_FACTOR = 1.5  # a target above 1.5x the owner's best past period is flagged as doubtful
MAX_VALUES = metric_registry.MAX_VALUES  # the range a target may take, per metric
MIN_VALUES = metric_registry.MIN_VALUES


# ---------------------------------------------------------------------------------------------
# Pace, forecast and status (pure: hand-computed tests)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Progress:
    actual: float | None
    start_value: float
    target: float
    expected: float  # where the pace line is today
    forecast: float | None  # value expected at the end date
    attainment: float | None  # actual vs target, 1.0 = reached
    forecast_attainment: float | None
    elapsed: float  # share of the period passed, 0..1
    status: str

    @property
    def percent(self) -> float | None:
        return None if self.attainment is None else self.attainment * 100.0


def is_cumulative(metric: str) -> bool:
    """Sums and counts accumulate over the period (manual goals are treated like them: the check-in
    reports the value reached so far)."""
    return metric not in LEVEL_METRICS


def start_value(metric: str, baseline: float) -> float:
    return 0.0 if metric in MEASURED_METRICS and is_cumulative(metric) else float(baseline or 0.0)


def elapsed_share(start: date, end: date, today: date) -> float:
    """Days passed (today included) / days in the period, within 0..1."""
    total = (end - start).days + 1
    passed = (min(today, end) - start).days + 1
    return max(0.0, min(1.0, passed / total))


def _attain(value: float | None, start: float, target: float) -> float | None:
    if value is None:
        return None
    gap = target - start
    if gap == 0:  # no change asked for (the SMART check flags it): reached when at or past it
        return 1.0 if value >= target else 0.0
    return (value - start) / gap


def status_for(forecast_attainment: float | None) -> str:
    if forecast_attainment is None:
        return NO_DATA
    if forecast_attainment >= 1.0 - 1e-9:
        return ON_TRACK
    if forecast_attainment >= AT_RISK_FROM:
        return AT_RISK
    return OFF_TRACK


def evaluate(metric: str, baseline: float, target: float, start: date, end: date, today: date,
             actual: float | None) -> Progress:
    """Pace, forecast and status of one goal on `today` (see the module docstring for the rule)."""
    origin = start_value(metric, baseline)
    elapsed = elapsed_share(start, end, today)
    expected = origin + (target - origin) * elapsed
    if today < start:
        return Progress(actual, origin, target, origin, None, _attain(actual, origin, target), None, 0.0, NOT_STARTED)
    if actual is None:
        return Progress(None, origin, target, expected, None, None, None, elapsed, NO_DATA)
    if is_cumulative(metric):
        forecast = origin + (actual - origin) / elapsed if elapsed > 0 else actual
    else:
        forecast = actual
    forecast_attainment = _attain(forecast, origin, target)
    return Progress(actual, origin, target, expected, forecast, _attain(actual, origin, target),
                    forecast_attainment, elapsed, status_for(forecast_attainment))


# ---------------------------------------------------------------------------------------------
# Drafts, validation and the SMART check
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GoalDraft:
    title: str
    metric: str
    target: float | None
    start_date: date | None
    end_date: date | None
    team_id: int | None = None
    member_id: int | None = None
    unit: str = ""
    baseline: float = 0.0
    importance: int = 1
    urgency: int = 0
    parent_id: int | None = None


@dataclass(frozen=True)
class SmartItem:
    """One letter of SMART: ok, or a problem (missing = must fix, doubtful = think again) + hint."""

    letter: str  # S M A R T
    level: str  # ok | missing | doubtful
    key: str  # translation key of the message
    params: dict[str, Any] = field(default_factory=dict)


def _validate(draft: GoalDraft) -> list[FieldError]:
    errors: list[FieldError] = []
    if not (draft.title or "").strip():
        errors.append(FieldError("error.required", {"field": "title"}, column="title"))
    elif len(draft.title) > 200:
        errors.append(FieldError("goals.error.title_long", column="title"))
    if draft.metric not in GOAL_METRICS:
        errors.append(FieldError("goals.error.metric", column="metric"))
    if draft.target is None or (isinstance(draft.target, float) and math.isnan(draft.target)):
        errors.append(FieldError("error.required", {"field": "target"}, column="target"))
    else:
        high, low = MAX_VALUES.get(draft.metric), MIN_VALUES.get(draft.metric, 0.0)
        if draft.target < low or (high is not None and draft.target > high):
            errors.append(FieldError("goals.error.target_range", {"low": low, "high": high if high is not None else "∞"}, column="target"))
    if draft.start_date is None:
        errors.append(FieldError("error.required", {"field": "start"}, column="start_date"))
    if draft.end_date is None:
        errors.append(FieldError("error.required", {"field": "end"}, column="end_date"))
    if draft.start_date and draft.end_date and draft.end_date < draft.start_date:
        errors.append(FieldError("goals.error.period", column="end_date"))
    if (draft.team_id is None) == (draft.member_id is None):
        errors.append(FieldError("goals.error.one_owner", column="owner"))
    if draft.importance not in (0, 1) or draft.urgency not in (0, 1):
        errors.append(FieldError("goals.error.flags", column="importance"))
    if len(draft.unit or "") > 20:
        errors.append(FieldError("goals.error.unit_long", column="unit"))
    return errors


def _previous_periods(start: date, end: date, count: int) -> list[tuple[date, date]]:
    length = (end - start).days + 1
    return [(start - timedelta(days=length * k), start - timedelta(days=length * (k - 1) + 1)) for k in range(1, count + 1)]


def best_past_value(session: Session, metric: str, start: date, end: date, *, member_id: int | None = None,
                    team_id: int | None = None, periods: int = 4) -> float | None:
    """The owner's best value over the `periods` periods of the same length just before `start`
    (the highest, or the lowest for lower-is-better metrics); None without data or for manual."""
    if metric not in MEASURED_METRICS:
        return None
    who = {"member_ids": [member_id]} if member_id is not None else {"team_ids": [team_id]}
    values = [measure_value(session, metric, start=a, end=b, **who) for a, b in _previous_periods(start, end, periods)]
    values = [v for v in values if v is not None]
    if not values:
        return None
    return min(values) if metric in LOWER_IS_BETTER else max(values)


def smart_check(session: Session, actor: Actor, draft: GoalDraft, today: date | None = None) -> list[SmartItem]:
    """Flag what is missing or doubtful before saving, with a hint per SMART letter."""
    today = today or date.today()
    items: list[SmartItem] = []
    title = (draft.title or "").strip()
    if not title:
        items.append(SmartItem("S", "missing", "goals.smart.no_title"))
    elif len(title) < 6:
        items.append(SmartItem("S", "doubtful", "goals.smart.vague_title"))
    else:
        items.append(SmartItem("S", "ok", "goals.smart.specific_ok"))

    if draft.target is None:
        items.append(SmartItem("M", "missing", "goals.smart.no_number"))
    elif draft.target == (start_value(draft.metric, draft.baseline) if draft.metric in GOAL_METRICS else 0):
        items.append(SmartItem("M", "doubtful", "goals.smart.no_change"))
    else:
        items.append(SmartItem("M", "ok", "goals.smart.measurable_ok" if draft.metric != "manual" else "goals.smart.manual_ok"))

    best = None
    if draft.target is not None and draft.start_date and draft.end_date and draft.end_date >= draft.start_date \
            and draft.metric in MEASURED_METRICS and (draft.member_id or draft.team_id):
        owner = session.get(Member, draft.member_id) if draft.member_id else session.get(Team, draft.team_id)
        if owner is None or not permissions.allowed(session, actor, READ, owner):
            raise PermissionDenied("error.permission_denied")  # no past figures of people out of reach
        best = best_past_value(session, draft.metric, draft.start_date, draft.end_date,
                               member_id=draft.member_id, team_id=draft.team_id)
    if best is None:
        items.append(SmartItem("A", "ok" if draft.metric in MEASURED_METRICS else "doubtful",
                               "goals.smart.no_history" if draft.metric in MEASURED_METRICS else "goals.smart.manual_history"))
    elif draft.metric in LOWER_IS_BETTER:
        limit = best / AMBITION_FACTOR
        level = "doubtful" if draft.target is not None and draft.target < limit else "ok"
        items.append(SmartItem("A", level, "goals.smart.too_low" if level == "doubtful" else "goals.smart.achievable_ok",
                               {"best": round(best, 2), "target": draft.target}))
    else:
        limit = best * AMBITION_FACTOR if best > 0 else None
        level = "doubtful" if limit is not None and draft.target is not None and draft.target > limit else "ok"
        items.append(SmartItem("A", level, "goals.smart.too_high" if level == "doubtful" else "goals.smart.achievable_ok",
                               {"best": round(best, 2), "target": draft.target, "factor": AMBITION_FACTOR}))

    if draft.team_id is None and draft.member_id is None:
        items.append(SmartItem("R", "missing", "goals.smart.no_owner"))
    elif draft.parent_id is None and draft.member_id is not None:
        items.append(SmartItem("R", "ok", "goals.smart.personal"))
    else:
        items.append(SmartItem("R", "ok", "goals.smart.relevant_ok"))

    if draft.end_date is None:
        items.append(SmartItem("T", "missing", "goals.smart.no_deadline"))
    elif draft.start_date and draft.end_date < draft.start_date:
        items.append(SmartItem("T", "missing", "goals.error.period"))
    elif draft.end_date < today:
        items.append(SmartItem("T", "doubtful", "goals.smart.past_deadline"))
    elif draft.start_date and (draft.end_date - draft.start_date).days > 400:
        items.append(SmartItem("T", "doubtful", "goals.smart.too_long"))
    else:
        items.append(SmartItem("T", "ok", "goals.smart.time_ok"))
    return items


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


def _load(session: Session, actor: Actor, goal_id: int, action: str) -> Goal:
    return permissions.load(session, actor, Goal, goal_id, action)


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


# ---------------------------------------------------------------------------------------------
# Progress of many goals (grouped: one query per metric and period for member goals)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GoalRow:
    id: int
    title: str
    metric: str
    unit: str
    target: float
    baseline: float
    start_date: date
    end_date: date
    team_id: int | None
    member_id: int | None
    owner: str
    parent_id: int | None
    importance: int
    urgency: int
    progress: Progress
    confidence: int | None = None
    last_comment: str | None = None
    version: int = 1  # what an edit form carries back (core.versions)

    @property
    def status(self) -> str:
        return self.progress.status

    @property
    def percent(self) -> float | None:
        return self.progress.percent


_GOAL_COLUMNS = (Goal.id, Goal.title, Goal.metric, Goal.unit, Goal.target, Goal.baseline, Goal.start_date, Goal.end_date,
                 Goal.team_id, Goal.member_id, Goal.parent_id, Goal.importance, Goal.urgency, Goal.version)


def _actuals(session: Session, rows: Sequence[Any], today: date) -> dict[int, float | None]:
    """Measured or checked-in value of each goal up to today."""
    result: dict[int, float | None] = {}
    manual = [r.id for r in rows if r.metric == "manual"]
    if manual:
        latest = (select(CheckIn.goal_id, func.max(CheckIn.id).label("last")).where(CheckIn.goal_id.in_(manual))
                  .group_by(CheckIn.goal_id).subquery())
        for goal_id, value in session.execute(select(CheckIn.goal_id, CheckIn.value).join(latest, CheckIn.id == latest.c.last)):
            result[goal_id] = float(value)
    groups: dict[tuple[str, date, date], list[Any]] = {}
    for r in rows:
        if r.metric == "manual" or today < r.start_date:
            continue
        upto = min(today, r.end_date)
        if r.member_id is not None:
            groups.setdefault((r.metric, r.start_date, upto), []).append(r)
        else:
            result[r.id] = measure_value(session, r.metric, team_ids=[r.team_id], start=r.start_date, end=upto)
    for (metric, start, upto), members in groups.items():
        values = measure_by_member(session, metric, [r.member_id for r in members], start, upto)
        for r in members:
            result[r.id] = values.get(r.member_id)
    return result


def _owner_names(session: Session, rows: Sequence[Any]) -> dict[tuple[str, int], str]:
    team_ids = {r.team_id for r in rows if r.team_id is not None}
    member_ids = {r.member_id for r in rows if r.member_id is not None}
    names: dict[tuple[str, int], str] = {}
    if team_ids:
        names.update({("team", i): n for i, n in session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids)))})
    if member_ids:
        names.update({("member", i): n for i, n in session.execute(select(Member.id, Member.name).where(Member.id.in_(member_ids)))})
    return names


def _confidence(session: Session, goal_ids: list[int]) -> dict[int, tuple[int, str | None]]:
    if not goal_ids:
        return {}
    latest = (select(CheckIn.goal_id, func.max(CheckIn.id).label("last")).where(CheckIn.goal_id.in_(goal_ids))
              .group_by(CheckIn.goal_id).subquery())
    return {g: (c, m) for g, c, m in session.execute(
        select(CheckIn.goal_id, CheckIn.confidence, CheckIn.comment).join(latest, CheckIn.id == latest.c.last))}


def _rows_to_goals(session: Session, rows: Sequence[Any], today: date) -> list[GoalRow]:
    actuals = _actuals(session, rows, today)
    names = _owner_names(session, rows)
    confidence = _confidence(session, [r.id for r in rows])
    out = []
    for r in rows:
        owner = names.get(("team", r.team_id) if r.team_id is not None else ("member", r.member_id), "—")
        conf = confidence.get(r.id, (None, None))
        out.append(GoalRow(
            id=r.id, title=r.title, metric=r.metric, unit=r.unit or "", target=float(r.target), baseline=float(r.baseline or 0),
            start_date=r.start_date, end_date=r.end_date, team_id=r.team_id, member_id=r.member_id, owner=owner,
            parent_id=r.parent_id, importance=r.importance, urgency=r.urgency,
            progress=evaluate(r.metric, r.baseline or 0.0, r.target, r.start_date, r.end_date, today, actuals.get(r.id)),
            confidence=conf[0], last_comment=conf[1], version=getattr(r, "version", None) or 1,
        ))
    return out


def _team_scope_clause(session: Session, team_id: int):
    teams = sorted(subtree_team_ids(session, {team_id}))
    members = select(Member.id).where(Member.team_id.in_(teams))
    return or_(Goal.team_id.in_(teams), Goal.member_id.in_(members))


def list_goals(session: Session, actor: Actor, *, team_id: int | None = None, member_id: int | None = None,
               mine: bool = False, include_archived: bool = False, current_only: bool = True,
               today: date | None = None, limit: int = 200, period: str = "current",
               fiscal_start: int = 1) -> list[GoalRow]:
    """Visible goals with their progress: of a team (its sub-teams and their members included), of
    one member, or the actor's own (`mine`). `period` (core.periods): "current" = not ended more
    than 30 days ago; a quarter or year code = goals overlapping it (archived ones included, so a
    past quarter can be reviewed); "all" = every goal."""
    from core import periods

    today = today or date.today()
    scope = scope_for(session, actor)
    query = select(*_GOAL_COLUMNS).where(scope_clause(scope, Goal))
    window = periods.bounds(period, fiscal_start) if period != periods.CURRENT else None
    if not include_archived and period == periods.CURRENT:
        query = query.where(Goal.status == "active")
    if window is not None:
        query = query.where(Goal.start_date <= window[1], Goal.end_date >= window[0])
    elif current_only and period == periods.CURRENT:
        query = query.where(Goal.end_date >= today - timedelta(days=30))
    if team_id is not None:
        query = query.where(_team_scope_clause(session, team_id))
    if member_id is not None:
        query = query.where(Goal.member_id == member_id)
    if mine:
        query = query.where(Goal.member_id == actor.member_id) if actor.member_id else query.where(Goal.id.is_(None))
    rows = session.execute(query.order_by(Goal.importance.desc(), Goal.urgency.desc(), Goal.end_date, Goal.id).limit(limit)).all()
    return _rows_to_goals(session, rows, today)


def get_goal(session: Session, actor: Actor, goal_id: int, today: date | None = None) -> GoalRow:
    today = today or date.today()
    _load(session, actor, goal_id, READ)
    rows = session.execute(select(*_GOAL_COLUMNS).where(Goal.id == goal_id)).all()
    return _rows_to_goals(session, rows, today)[0]


def goal_teams(session: Session, actor: Actor) -> list[dict]:
    """Teams whose goals the actor may look at (for pickers)."""

    scope = scope_for(session, actor)
    rows = session.execute(select(Team.id, Team.name, Team.parent_id).where(scope_clause(scope, Team)).order_by(Team.name)).all()
    return [{"id": r.id, "name": r.name, "parent_id": r.parent_id} for r in rows]


def goal_owners(session: Session, actor: Actor) -> dict[str, list[dict]]:
    """Teams and members the actor may set goals for."""

    scope = scope_for(session, actor)
    if actor.role == "member":
        if actor.member_id is None:
            return {"teams": [], "members": []}
        m = session.get(Member, actor.member_id)
        return {"teams": [], "members": [{"id": m.id, "name": m.name, "team_id": m.team_id}]}
    teams = session.execute(select(Team.id, Team.name).where(scope_clause(scope, Team)).order_by(Team.name)).all()
    members = session.execute(select(Member.id, Member.name, Member.team_id)
                              .where(scope_clause(scope, Member), Member.status != "left").order_by(Member.name)).all()
    return {"teams": [{"id": t.id, "name": t.name} for t in teams],
            "members": [{"id": m.id, "name": m.name, "team_id": m.team_id} for m in members]}


def check_ins(session: Session, actor: Actor, goal_id: int, limit: int = 20) -> list[dict]:
    _load(session, actor, goal_id, READ)
    rows = session.execute(
        select(CheckIn.id, CheckIn.value, CheckIn.confidence, CheckIn.comment, CheckIn.created_at, User.display_name)
        .outerjoin(User, User.id == CheckIn.user_id).where(CheckIn.goal_id == goal_id)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(limit)
    ).all()
    return [{"id": r.id, "value": r.value, "confidence": r.confidence, "comment": r.comment, "at": r.created_at,
             "who": r.display_name} for r in rows]


# ---------------------------------------------------------------------------------------------
# Decomposition: team -> members, long period -> quarters / months
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChildDraft:
    title: str
    target: float
    start_date: date
    end_date: date
    member_id: int | None = None
    team_id: int | None = None
    name: str = ""  # owner or period label, for display
    weight: float = 1.0  # what the split was proportional to (capacity, last share, days)


def split_amounts(total: float, weights: Sequence[float], decimals: int = 0) -> list[float]:
    """Split `total` in proportion to `weights`, rounded to `decimals`, so the parts add up exactly
    (largest remainder). Zero or missing weights everywhere mean an even split."""
    n = len(weights)
    if n == 0:
        return []
    weights = [max(0.0, float(w or 0.0)) for w in weights]
    if sum(weights) <= 0:
        weights = [1.0] * n
    unit = 10 ** decimals
    scaled_total = round(total * unit)
    raw = [scaled_total * w / sum(weights) for w in weights]
    floors = [math.floor(x) for x in raw]
    left = scaled_total - sum(floors)
    order = sorted(range(n), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [f / unit for f in floors]


def _decimals(metric: str, target: float) -> int:
    """Precision of a split target: whole numbers for counts and money, else hundredths."""
    return 0 if metric_registry.info(metric).whole else 2


def previous_period(start: date, end: date) -> tuple[date, date]:
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def propose_member_split(session: Session, actor: Actor, goal_id: int, method: str = "even") -> list[ChildDraft]:
    """Children of a team goal, one per active member of the team and its sub-teams: cumulative
    targets split evenly, by capacity (`Member.max_customers`) or by each member's share of the
    metric in the previous period of the same length; averages and rates are not additive, so every
    member gets the team's target. Editable before `save_children`."""
    if method not in SPLIT_METHODS:
        raise InvalidInput("error.invalid", [FieldError("goals.error.method", column="method")])
    goal = _load(session, actor, goal_id, WRITE)
    if goal.team_id is None:
        raise InvalidInput("goals.error.split_team_only")
    teams = sorted(subtree_team_ids(session, {goal.team_id}))
    members = session.execute(select(Member.id, Member.name, Member.max_customers)
                              .where(Member.team_id.in_(teams), Member.status == "active").order_by(Member.name)).all()
    if not members:
        return []
    if method == "capacity":
        weights = [float(m.max_customers or 0) for m in members]
    elif method == "last_share" and goal.metric in MEASURED_METRICS:
        a, b = previous_period(goal.start_date, goal.end_date)
        last = measure_by_member(session, goal.metric, [m.id for m in members], a, b)
        weights = [last.get(m.id) or 0.0 for m in members]
    else:
        weights = [1.0] * len(members)
    if is_cumulative(goal.metric):
        targets = split_amounts(goal.target, weights, _decimals(goal.metric, goal.target))
    else:
        targets = [goal.target] * len(members)
    return [ChildDraft(title=f"{goal.title} · {m.name}", target=t, start_date=goal.start_date, end_date=goal.end_date,
                       member_id=m.id, name=m.name, weight=w) for m, t, w in zip(members, targets, weights)]


def period_slices(start: date, end: date, axis: str) -> list[tuple[date, date]]:
    """Calendar quarters or months overlapping start..end, clipped to it."""
    if axis not in TIME_AXES:
        raise InvalidInput("error.invalid", [FieldError("goals.error.axis", column="axis")])
    step = 3 if axis == "quarter" else 1
    slices = []
    month0 = ((start.month - 1) // step) * step + 1
    cursor = date(start.year, month0, 1)
    while cursor <= end:
        month_end_m = cursor.month + step - 1
        last = date(cursor.year, month_end_m, calendar.monthrange(cursor.year, month_end_m)[1])
        slices.append((max(cursor, start), min(last, end)))
        nxt = month_end_m + 1
        cursor = date(cursor.year + (nxt > 12), (nxt - 1) % 12 + 1, 1)
    return slices


def propose_time_split(session: Session, actor: Actor, goal_id: int, axis: str = "quarter") -> list[ChildDraft]:
    """Children of a long goal, one per quarter or month, same owner: cumulative targets split in
    proportion to the days of each slice; averages and rates keep the target in every slice."""
    goal = _load(session, actor, goal_id, WRITE)
    slices = period_slices(goal.start_date, goal.end_date, axis)
    days = [(b - a).days + 1 for a, b in slices]
    targets = (split_amounts(goal.target, days, _decimals(goal.metric, goal.target)) if is_cumulative(goal.metric)
               else [goal.target] * len(slices))
    labels = [_slice_label(a, axis) for a, _ in slices]
    return [ChildDraft(title=f"{goal.title} · {label}", target=t, start_date=a, end_date=b, member_id=goal.member_id,
                       team_id=goal.team_id, name=label, weight=d)
            for (a, b), t, d, label in zip(slices, targets, days, labels)]


def _slice_label(start: date, axis: str) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}" if axis == "quarter" else f"{start.year}-{start.month:02d}"


def active_children_count(session: Session, actor: Actor, goal_id: int) -> int:
    """How many active children a goal has (a split goal offers a re-split, never a second split)."""
    _load(session, actor, goal_id, READ)
    return session.scalar(select(func.count()).select_from(Goal).where(Goal.parent_id == goal_id, Goal.status == "active")) or 0


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


@dataclass(frozen=True)
class Rollup:
    parent_target: float
    children: int
    children_target: float | None  # sum (cumulative) or average (levels) of the children's targets
    children_actual: float | None
    difference: float | None  # children_target - parent_target
    adds_up: bool
    rule: str  # "sum" or "average"


def rollup_of(metric: str, parent_target: float, targets: Sequence[float], actuals: Sequence[float | None]) -> Rollup:
    """How the children add up to their parent: sum for cumulative metrics, average for levels.
    Within 0.5 % of the parent's target (or 0.01) counts as adding up."""
    if not targets:
        return Rollup(parent_target, 0, None, None, None, True, "sum" if is_cumulative(metric) else "average")
    known = [a for a in actuals if a is not None]
    if is_cumulative(metric):
        total, actual, rule = sum(targets), (sum(known) if known else None), "sum"
    else:
        total = sum(targets) / len(targets)
        actual, rule = (sum(known) / len(known) if known else None), "average"
    diff = total - parent_target
    return Rollup(parent_target, len(targets), total, actual, diff, abs(diff) <= max(0.01, abs(parent_target) * 0.005), rule)


def goal_rollup(session: Session, actor: Actor, goal_id: int, today: date | None = None) -> tuple[Rollup, list[GoalRow]]:
    today = today or date.today()
    parent = _load(session, actor, goal_id, READ)
    scope = scope_for(session, actor)
    rows = session.execute(select(*_GOAL_COLUMNS).where(Goal.parent_id == goal_id, Goal.status == "active",
                                                        scope_clause(scope, Goal)).order_by(Goal.start_date, Goal.id)).all()
    children = _rows_to_goals(session, rows, today)
    return rollup_of(parent.metric, parent.target, [c.target for c in children],
                     [c.progress.actual for c in children]), children


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


# ---------------------------------------------------------------------------------------------
# Series, frames and charts
# ---------------------------------------------------------------------------------------------
def progress_series(session: Session, actor: Actor, goal_id: int, today: date | None = None, points: int = 12) -> pd.DataFrame:
    """Actual values over time for a goal's burn-up: check-ins for manual goals, otherwise the
    metric measured from the start to ~`points` evenly spaced days up to today."""
    today = today or date.today()
    goal = _load(session, actor, goal_id, READ)
    if goal.metric == "manual":
        rows = session.execute(select(CheckIn.created_at, CheckIn.value).where(CheckIn.goal_id == goal_id)
                               .order_by(CheckIn.created_at, CheckIn.id)).all()
        data = [{"date": goal.start_date, "value": float(goal.baseline or 0.0)}]
        data += [{"date": at.date(), "value": float(v)} for at, v in rows]
        return pd.DataFrame(data, columns=["date", "value"])
    if today < goal.start_date:
        return pd.DataFrame(columns=["date", "value"])
    upto = min(today, goal.end_date)
    span = (upto - goal.start_date).days
    days = sorted({goal.start_date + timedelta(days=round(span * k / max(1, points - 1))) for k in range(points)})
    who = {"member_ids": [goal.member_id]} if goal.member_id is not None else {"team_ids": [goal.team_id]}
    data = [{"date": d, "value": measure_value(session, goal.metric, start=goal.start_date, end=d, **who)} for d in days]
    return pd.DataFrame([r for r in data if r["value"] is not None], columns=["date", "value"])


STATUS_COLORS = {ON_TRACK: "#2e7d32", AT_RISK: "#f9a825", OFF_TRACK: "#c62828", NO_DATA: "#9e9e9e", NOT_STARTED: "#90a4ae"}


def burnup_chart(goal: GoalRow, series: pd.DataFrame, labels: dict[str, str], today: date | None = None) -> alt.LayerChart | alt.FacetChart:
    """Actual against the expected pace, with the forecast to the end date and the target line.
    `labels` (translated by the page): title, date, value, actual, expected, forecast, target."""
    today = today or date.today()
    p = goal.progress
    pace = pd.DataFrame({"date": [goal.start_date, goal.end_date], "value": [p.start_value, goal.target], "line": labels["expected"]})
    actual = series.assign(line=labels["actual"]) if not series.empty else pd.DataFrame(columns=["date", "value", "line"])
    parts = [pace, actual]
    if p.forecast is not None and p.actual is not None and today < goal.end_date:
        parts.append(pd.DataFrame({"date": [min(today, goal.end_date), goal.end_date], "value": [p.actual, p.forecast],
                                   "line": labels["forecast"]}))
    data = pd.concat([x for x in parts if not x.empty], ignore_index=True)
    data["date"] = pd.to_datetime(data["date"])
    data["value"] = data["value"].astype(float)
    domain = [labels["expected"], labels["actual"], labels["forecast"]]
    color = alt.Color("line:N", title=None, scale=alt.Scale(domain=domain, range=["#9e9e9e", "#1565c0", STATUS_COLORS[p.status]]),
                      legend=alt.Legend(orient="bottom"))
    unit = f" ({goal.unit})" if goal.unit else ""
    lines = alt.Chart(data).mark_line(point=True, strokeWidth=3).encode(
        x=alt.X("date:T", title=labels["date"], axis=alt.Axis(format="%Y-%m-%d", labelAngle=-30)),
        y=alt.Y("value:Q", title=labels["value"] + unit),
        color=color,
        strokeDash=alt.StrokeDash("line:N", scale=alt.Scale(domain=domain, range=[[6, 4], [1, 0], [2, 3]]), legend=None),
        tooltip=[alt.Tooltip("line:N", title=" "), alt.Tooltip("date:T", title=labels["date"], format="%Y-%m-%d"),
                 alt.Tooltip("value:Q", title=labels["value"], format=",.1~f")],
    )
    target = alt.Chart(pd.DataFrame({"value": [goal.target], "label": [labels["target"]]})).mark_rule(
        color="#c62828", strokeDash=[2, 2]).encode(y="value:Q", tooltip=[alt.Tooltip("value:Q", title=labels["target"])])
    return alt.layer(lines, target).properties(title=labels["title"], height=320)


def overview_frame(goals: Sequence[GoalRow]) -> pd.DataFrame:
    """One row per goal: owner, title, % of target, status (codes; the page translates labels)."""
    return pd.DataFrame([{
        "id": g.id, "title": g.title, "owner": g.owner, "metric": g.metric, "target": g.target, "unit": g.unit,
        "actual": g.progress.actual, "expected": g.progress.expected, "forecast": g.progress.forecast,
        "percent": None if g.percent is None else round(g.percent, 1), "status": g.status,
        "start_date": g.start_date, "end_date": g.end_date, "confidence": g.confidence,
    } for g in goals], columns=["id", "title", "owner", "metric", "target", "unit", "actual", "expected", "forecast",
                                "percent", "status", "start_date", "end_date", "confidence"])


def overview_chart(goals: Sequence[GoalRow], labels: dict[str, str], status_labels: dict[str, str],
                   big: bool = False) -> alt.LayerChart | alt.FacetChart:
    """Horizontal bars: % of target per goal, coloured by status, with the 100 % line.
    `labels`: title, percent, goal, status."""
    order = [status_labels[s] for s in STATUSES]
    bars = alt.Chart().mark_bar().encode(
        x=alt.X("percent:Q", title=labels["percent"], scale=alt.Scale(domain=[0, 150])),
        y=alt.Y("name:N", title=labels["goal"], sort="-x", axis=alt.Axis(labelLimit=320)),
        color=alt.Color("status_label:N", title=labels["status"],
                        scale=alt.Scale(domain=order, range=[STATUS_COLORS[s] for s in STATUSES]), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("name:N", title=labels["goal"]), alt.Tooltip("percent:Q", title=labels["percent"], format=".0f"),
                 alt.Tooltip("status_label:N", title=labels["status"])],
    )
    rule = alt.Chart().mark_rule(color="#424242", strokeDash=[4, 4]).encode(x=alt.datum(100))
    chart = alt.layer(bars, rule, data={"values": _overview_records(goals, status_labels)}).properties(
        title=labels["title"], height=alt.Step(40 if big else 30))
    if big:  # readable across a meeting room
        chart = (chart.configure_axis(labelFontSize=18, titleFontSize=18, labelLimit=480)
                 .configure_legend(labelFontSize=17, titleFontSize=17).configure_title(fontSize=22))
    return chart


def _overview_records(goals: Sequence[GoalRow], status_labels: dict[str, str]) -> list[dict]:
    return [{
        "name": f"{g.owner} · {g.title}",
        "percent": 0.0 if g.percent is None else min(max(round(g.percent, 1), 0.0), 150.0),
        "status_label": status_labels[g.status],
    } for g in goals]


def overview_spec(goals: Sequence[GoalRow], labels: dict[str, str], status_labels: dict[str, str],
                  big: bool = False) -> dict:
    """`overview_chart` as a Vega-Lite spec, for live pages. Building the Altair objects costs far
    more than the data (the Meeting page redraws this after every write), so the chart without
    rows is built once per language and size and the rows are put into a copy of it."""
    skeleton = _overview_skeleton(tuple(labels.items()), tuple(status_labels.items()), big)
    spec = copy.deepcopy(skeleton)
    spec["data"] = {"values": _overview_records(goals, status_labels)}
    return spec


@functools.lru_cache(maxsize=32)
def _overview_skeleton(labels: tuple, status_labels: tuple, big: bool) -> dict:
    spec = overview_chart([], dict(labels), dict(status_labels), big).to_dict(validate=False)
    spec.pop("datasets", None)
    spec.pop("data", None)
    return spec


def export_frames(session: Session, actor: Actor, team_id: int, today: date | None = None, period: str = "current",
                  fiscal_start: int = 1) -> dict[str, pd.DataFrame]:
    """A team's goal progress for Excel, for a period (core.periods): the goals sheet (with status
    and rule) and check-ins."""
    goals = list_goals(session, actor, team_id=team_id, today=today, limit=5000, period=period, fiscal_start=fiscal_start)
    frame = overview_frame(goals)
    ids = [g.id for g in goals]
    checkins = pd.DataFrame(columns=["goal_id", "value", "confidence", "comment", "at"])
    if ids:
        rows = session.execute(select(CheckIn.goal_id, CheckIn.value, CheckIn.confidence, CheckIn.comment, CheckIn.created_at)
                               .where(CheckIn.goal_id.in_(ids)).order_by(CheckIn.goal_id, CheckIn.created_at)).all()
        checkins = pd.DataFrame([dict(r._mapping) for r in rows], columns=["goal_id", "value", "confidence", "comment", "created_at"])
    return {"goals": frame, "check_ins": checkins}


def at_risk_goals(session: Session, actor: Actor, today: date | None = None, limit: int = 10) -> list[GoalRow]:
    """Current visible goals that are at risk or off track (Home for managers), worst first."""
    today = today or date.today()
    return falling_behind(g for g in list_goals(session, actor, today=today, limit=300) if g.end_date >= today)[:limit]


def falling_behind(goals: Iterable[GoalRow]) -> list[GoalRow]:
    """The goals at risk or off track, furthest behind first (lowest forecast share of target,
    the number their status is decided on; then the nearest deadline)."""
    return sorted((g for g in goals if g.status in (AT_RISK, OFF_TRACK)),
                  key=lambda g: (g.progress.forecast_attainment or 0.0, g.end_date, g.id))
