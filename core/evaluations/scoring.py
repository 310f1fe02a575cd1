"""Scorecards: measuring each criterion, results, calibration and trends."""
from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import metrics
from core.errors import PermissionDenied
from core.evaluations.queries import _cycle, _ensure_manages_cycle, _evaluation
from core.evaluations.rules import GAP_FLAG, GOAL_ATTAINMENT, OUTLIER_Z, Calibration, Scorecard, _card, _line_from, weighted_total
from core.permissions import Actor, scope_clause, scope_for
from db.models import (
    CheckIn,
    Criterion,
    Evaluation,
    EvaluationCycle,
    Goal,
    Member,
    Rating,
    ScorecardSnapshot,
)


def goal_attainment(session: Session, member_id: int, start: date, end: date) -> metrics.Measure:
    """Average attainment (%) of the member's own goals that overlap the period, each by the goals'
    own rule (core.goals.evaluate: progress from the start value to the target, 100 = reached) as of
    the period's end or the goal's end, whichever is first; measured goals read core.metrics from the
    goal's start, manual goals their latest check-in by then. Records: the goals and every row their
    values came from. No goal with data = missing."""
    from core import goals as goals_core

    rows = session.scalars(
        select(Goal).where(Goal.member_id == member_id, Goal.status == "active",
                           Goal.start_date <= end, Goal.end_date >= start).order_by(Goal.id)
    ).all()
    shares: list[float] = []
    refs: list[metrics.RecordRef] = []
    for goal in rows:
        day = min(goal.end_date, end)
        if goal.metric == "manual":
            check_in = session.execute(
                select(CheckIn.id, CheckIn.value).where(CheckIn.goal_id == goal.id, CheckIn.created_at < datetime.combine(day + timedelta(days=1), time.min))
                .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(1)
            ).first()
            found: tuple[metrics.RecordRef, ...]
            value, found = (check_in.value, (metrics.RecordRef("check_in", check_in.id),)) if check_in else (None, ())
        else:
            measured = metrics.measure(session, goal.metric, member_ids=[member_id], start=goal.start_date, end=day)
            value, found = measured.value, measured.records
        progress = goals_core.evaluate(goal.metric, goal.baseline, goal.target, goal.start_date, goal.end_date, day, value)
        if progress.attainment is None:
            continue
        shares.append(progress.attainment * 100.0)
        refs.append(metrics.RecordRef("goal", goal.id))
        refs.extend(found)
    if not shares:
        return metrics.Measure(None, tuple(refs))
    return metrics.Measure(round(sum(shares) / len(shares), 1), tuple(refs))


def measure_criterion(session: Session, metric: str, member_id: int, start: date, end: date) -> metrics.Measure:
    if metric == GOAL_ATTAINMENT:
        return goal_attainment(session, member_id, start, end)
    return metrics.measure(session, metric, member_ids=[member_id], start=start, end=end)


def _criteria(session: Session, cycle: EvaluationCycle) -> list[Criterion]:
    return list(session.scalars(select(Criterion).where(Criterion.template_id == cycle.template_id).order_by(Criterion.position)).all())


def _compute(session: Session, cycle: EvaluationCycle, evaluation: Evaluation) -> Scorecard:
    criteria = _criteria(session, cycle)
    ratings = list(session.scalars(select(Rating).where(Rating.evaluation_id == evaluation.id)).all())
    measured = {c.id: measure_criterion(session, c.metric, evaluation.member_id, cycle.start_date, cycle.end_date)
                for c in criteria if c.kind == "measured"}
    return _card(cycle, evaluation, session.get(Member, evaluation.member_id), criteria, ratings, measured)


def _compute_many(session: Session, cycle: EvaluationCycle, evaluations: list[Evaluation]) -> dict[int, Scorecard]:
    """Every scorecard of a cycle's list at once, by the same rule as `_compute`, without the
    record lists (totals and lines only): one grouped query per measured criterion and one for
    all ratings, instead of a few queries per criterion and member (a 189-member cycle took
    seconds per list). Goal attainment, measured goal by goal, is still read member by member."""
    if not evaluations:
        return {}
    criteria = _criteria(session, cycle)
    member_ids = sorted({e.member_id for e in evaluations})
    values: dict[int, dict[int, float | None]] = {}
    for c in criteria:
        if c.kind != "measured":
            continue
        if c.metric == GOAL_ATTAINMENT:
            values[c.id] = {m: goal_attainment(session, m, cycle.start_date, cycle.end_date).value for m in member_ids}
        else:
            values[c.id] = metrics.measure_by_member(session, c.metric, member_ids, cycle.start_date, cycle.end_date)
    ratings: dict[int, list[Rating]] = {}
    ids = [e.id for e in evaluations]
    for chunk in range(0, len(ids), 500):
        for r in session.scalars(select(Rating).where(Rating.evaluation_id.in_(ids[chunk:chunk + 500]))):
            ratings.setdefault(r.evaluation_id, []).append(r)
    members = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(member_ids)))}
    return {
        e.id: _card(cycle, e, members[e.member_id], criteria, ratings.get(e.id, []),
                    {cid: metrics.Measure(by_member[e.member_id], ()) for cid, by_member in values.items()})
        for e in evaluations
    }


def may_see_result(session: Session, actor: Actor, evaluation: Evaluation, cycle: EvaluationCycle) -> bool:
    """Managers (of the cycle's team) and admins: always. The member: their own, once released.
    Nobody else, peers included."""
    scope = scope_for(session, actor)
    if scope.everything or (actor.is_manager and cycle.team_id in scope.team_ids):
        return True
    return cycle.status == "released" and actor.member_id is not None and actor.member_id == evaluation.member_id


def get_scorecard(session: Session, actor: Actor, evaluation_id: int) -> Scorecard:
    """A member's full scorecard, if the actor may see it (see `may_see_result`)."""
    evaluation, cycle = _evaluation(session, evaluation_id)
    if not may_see_result(session, actor, evaluation, cycle):
        raise PermissionDenied("evaluations.error.not_visible")
    snapshot = session.get(ScorecardSnapshot, evaluation.id) if cycle.status == "released" else None
    if snapshot is not None:  # released: the card as it was at release, whatever came in since
        member = session.get(Member, evaluation.member_id)
        lines = tuple(_line_from(d) for d in snapshot.lines)
        coverage = weighted_total([(line.weight, line.score) for line in lines])[1]
        return Scorecard(evaluation.id, cycle.id, cycle.name, member.id, member.name, cycle.start_date, cycle.end_date,
                         cycle.status, lines, evaluation.total, coverage)
    card = _compute(session, cycle, evaluation)
    if cycle.status == "released" and evaluation.total is not None:
        card = Scorecard(**{**card.__dict__, "total": evaluation.total})
    return card


def other_currency_sales(session: Session, actor: Actor, evaluation_id: int) -> dict[str, tuple[int, float]]:
    """Won deals of the scorecard's member and period in other currencies than the workspace's:
    left out of 'sales won' (never summed across currencies), listed so the card says so."""
    evaluation, cycle = _evaluation(session, evaluation_id)
    if not may_see_result(session, actor, evaluation, cycle):
        raise PermissionDenied("evaluations.error.not_visible")
    return metrics.other_currencies(session, member_ids=[evaluation.member_id], start=cycle.start_date, end=cycle.end_date)


def list_results(session: Session, actor: Actor, cycle_id: int) -> pd.DataFrame:
    """One row per visible scorecard of a cycle: member, total, coverage. Managers see their team;
    a member sees only their own row, and only once the cycle is released."""
    cycle = _cycle(session, actor, cycle_id)
    scope = scope_for(session, actor)
    manages = scope.everything or (actor.is_manager and cycle.team_id in scope.team_ids)
    query = (
        select(Evaluation, Member.name).join(Member, Member.id == Evaluation.member_id)
        .where(Evaluation.cycle_id == cycle.id).order_by(Member.name)
    )
    if not manages:
        if cycle.status != "released" or actor.member_id is None:
            return pd.DataFrame(columns=["evaluation_id", "member_id", "member", "total", "coverage"])
        query = query.where(Evaluation.member_id == actor.member_id)
    else:
        query = query.where(scope_clause(scope, Evaluation))
    rows = []
    found = session.execute(query).all()
    cards = _compute_many(session, cycle, [evaluation for evaluation, _ in found])
    for evaluation, name in found:
        card = cards[evaluation.id]
        total = evaluation.total if cycle.status == "released" and evaluation.total is not None else card.total
        coverage = card.coverage
        rows.append({"evaluation_id": evaluation.id, "member_id": evaluation.member_id, "member": name,
                     "total": total, "coverage": coverage})
    return pd.DataFrame(rows, columns=["evaluation_id", "member_id", "member", "total", "coverage"])


def calibration(session: Session, actor: Actor, cycle_id: int) -> Calibration:
    """For the manager: the distribution of totals, outliers (more than 1.5 standard deviations
    from the mean, with at least 3 totals), self-vs-manager gaps (2+ points flagged) and a
    member x criterion score grid."""
    cycle = _cycle(session, actor, cycle_id)
    _ensure_manages_cycle(session, actor, cycle)
    evaluations = session.execute(
        select(Evaluation, Member.name).join(Member, Member.id == Evaluation.member_id)
        .where(Evaluation.cycle_id == cycle.id).order_by(Member.name)
    ).all()
    results, gaps, cells = [], [], []
    cards = _compute_many(session, cycle, [evaluation for evaluation, _ in evaluations])
    for evaluation, name in evaluations:
        card = cards[evaluation.id]
        total = evaluation.total if cycle.status == "released" and evaluation.total is not None else card.total
        results.append({"member": name, "member_id": evaluation.member_id, "total": total, "coverage": card.coverage})
        for line in card.lines:
            cells.append({"member": name, "criterion": line.name, "score": line.score})
            if line.kind == "rated" and (line.self_score is not None or line.score is not None):
                gap = line.self_score - line.score if line.self_score is not None and line.score is not None else None
                gaps.append({"member": name, "criterion": line.name, "self": line.self_score, "manager": line.score,
                             "peer_avg": line.peer_avg, "gap": gap, "flagged": gap is not None and abs(gap) >= GAP_FLAG})
    frame = pd.DataFrame(results, columns=["member", "member_id", "total", "coverage"])
    totals = [t for t in frame["total"].tolist() if t is not None and not pd.isna(t)]
    mean = round(statistics.mean(totals), 2) if totals else None
    stdev = round(statistics.pstdev(totals), 2) if len(totals) >= 2 else None
    def z(value):
        if value is None or pd.isna(value) or not stdev:
            return None
        return round((value - mean) / stdev, 2)
    frame["z"] = [z(v) for v in frame["total"]]
    frame["outlier"] = [len(totals) >= 3 and v is not None and abs(v) > OUTLIER_Z for v in frame["z"]]
    return Calibration(frame, pd.DataFrame(gaps, columns=["member", "criterion", "self", "manager", "peer_avg", "gap", "flagged"]),
                       mean, stdev, pd.DataFrame(cells, columns=["member", "criterion", "score"]))


# ---------------------------------------------------------------------------------------------
# Trends
# ---------------------------------------------------------------------------------------------
def member_trend(session: Session, actor: Actor, member_id: int) -> pd.DataFrame:
    """A member's total per cycle, oldest first. The member and peers: released cycles only (peers
    get nothing: the member must be themselves). Managers: also open cycles (provisional)."""
    scope = scope_for(session, actor)
    is_self = actor.member_id is not None and actor.member_id == member_id
    manages = scope.everything or (actor.is_manager and member_id in scope.member_ids)
    if not (is_self or manages):
        raise PermissionDenied("evaluations.error.not_visible")
    rows = session.execute(
        select(Evaluation, EvaluationCycle).join(EvaluationCycle, EvaluationCycle.id == Evaluation.cycle_id)
        .where(Evaluation.member_id == member_id).order_by(EvaluationCycle.end_date, EvaluationCycle.id)
    ).all()
    data = []
    for evaluation, cycle in rows:
        released = cycle.status == "released"
        if manages and not (scope.everything or cycle.team_id in scope.team_ids):
            continue
        if not released and not manages:
            continue
        total = evaluation.total if released else _compute(session, cycle, evaluation).total
        if total is None:
            continue
        data.append({"cycle": cycle.name, "end": cycle.end_date, "total": total, "released": released})
    return pd.DataFrame(data, columns=["cycle", "end", "total", "released"])


def team_average_by_criterion(session: Session, actor: Actor, cycle_id: int, member_id: int) -> pd.DataFrame:
    """Member vs team average per criterion (managers only: an average of a small team reveals
    peers' scores)."""
    cal = calibration(session, actor, cycle_id)
    grid = cal.heatmap.dropna(subset=["score"])
    if grid.empty:
        return pd.DataFrame(columns=["criterion", "who", "score"])
    member_name = session.get(Member, member_id).name
    team = grid.groupby("criterion", sort=False)["score"].mean().reset_index().assign(who="team")
    mine = grid[grid["member"] == member_name][["criterion", "score"]].assign(who="member")
    return pd.concat([mine, team], ignore_index=True)[["criterion", "who", "score"]]
