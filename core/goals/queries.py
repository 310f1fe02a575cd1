"""Goal reads: lists, one goal, owners, check-ins, the SMART check, split proposals, roll-ups and progress series."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import permissions
from core.errors import FieldError, InvalidInput, PermissionDenied
from core.goals.rules import (
    AMBITION_FACTOR,
    SPLIT_METHODS,
    ChildDraft,
    GoalDraft,
    GoalRow,
    Rollup,
    SmartItem,
    _decimals,
    _previous_periods,
    _slice_label,
    evaluate,
    falling_behind,
    is_cumulative,
    period_slices,
    previous_period,
    rollup_of,
    split_amounts,
    start_value,
)
from core.metrics import (
    LOWER_IS_BETTER,
    MEASURED_METRICS,
    measure_by_member,
    measure_value,
)
from core.permissions import (
    READ,
    WRITE,
    Actor,
    scope_clause,
    scope_for,
    subtree_team_ids,
)
from db.models import GOAL_METRICS, CheckIn, Goal, Member, Team, User


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


def _load(session: Session, actor: Actor, goal_id: int, action: str) -> Goal:
    return permissions.load(session, actor, Goal, goal_id, action)


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


def check_ins(session: Session, actor: Actor, goal_id: int, limit: int = 20) -> list[dict]:
    _load(session, actor, goal_id, READ)
    rows = session.execute(
        select(CheckIn.id, CheckIn.value, CheckIn.confidence, CheckIn.comment, CheckIn.created_at, User.display_name)
        .outerjoin(User, User.id == CheckIn.user_id).where(CheckIn.goal_id == goal_id)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(limit)
    ).all()
    return [{"id": r.id, "value": r.value, "confidence": r.confidence, "comment": r.comment, "at": r.created_at,
             "who": r.display_name} for r in rows]


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


def active_children_count(session: Session, actor: Actor, goal_id: int) -> int:
    """How many active children a goal has (a split goal offers a re-split, never a second split)."""
    _load(session, actor, goal_id, READ)
    return session.scalar(select(func.count()).select_from(Goal).where(Goal.parent_id == goal_id, Goal.status == "active")) or 0


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
# Progress series (the burn-up's data)
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


def at_risk_goals(session: Session, actor: Actor, today: date | None = None, limit: int = 10) -> list[GoalRow]:
    """Current visible goals that are at risk or off track (Home for managers), worst first."""
    today = today or date.today()
    return falling_behind(g for g in list_goals(session, actor, today=today, limit=300) if g.end_date >= today)[:limit]
