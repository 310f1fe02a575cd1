"""Evaluations: cycles, weighted scorecards that blend measured results with ratings, release and lock.

Rules (stated once, shown on the card):

- **Template.** A scorecard template holds weighted criteria; weights are whole numbers that sum to
  exactly 100. A criterion is *measured* (a metric read from the records through `core.metrics`, the
  same numbers the goals use, or `goal_attainment`) or *rated* (1-5 with a comment).
- **Scaling.** A measured value becomes a 1-5 score by the criterion's `scale`
  `{"thresholds": [t2, t3, t4, t5], "higher_is_better": bool}`: when higher is better the score is 1
  plus the number of thresholds the value reaches (value >= t); when lower is better the thresholds
  descend and the score is 1 plus the number of thresholds the value is at or under (value <= t).
  A value exactly on a threshold earns that threshold's score.
- **Rated criteria.** The manager's rating is the score; the self-review and peer ratings are shown
  beside it (and in calibration) but do not change it. No manager rating = missing.
- **Missing data.** A criterion without data (no surveys for CSAT, no complaints for a rate, no
  manager rating yet) is missing: shown as "—", never as 0. The weighted total is
  sum(weight x score) / sum(weight) over the criteria that have a score, so the weights are
  re-normalised over the present criteria; `coverage` says how much weight was present. With no
  criterion present there is no total.
- **Traceability.** Each measured line carries the exact rows its value was computed from
  (`core.metrics.Measure.records`), and `records_frame` lists those rows.
- **Release and lock.** The manager releases a cycle: totals are computed and stored, the cycle is
  locked (no rating changes) and each member sees their own result. Before release members see only
  their own self-review; peers only ever see the form for their own peer ratings, never a score.
"""
from __future__ import annotations

import calendar
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import altair as alt
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, metric_registry, metrics, versions
from core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from core.permissions import Actor, ensure_member, ensure_team, scope_clause, scope_for
from db.base import Base, utcnow
from db.models import (
    CRITERION_KINDS,
    Call,
    Complaint,
    Customer,
    Deal,
    DealStage,
    Interaction,
    Survey,
    Task,
    CYCLE_KINDS,
    CheckIn,
    Criterion,
    Evaluation,
    EvaluationCycle,
    Goal,
    Member,
    PeerReviewer,
    Rating,
    ScorecardSnapshot,
    ScorecardTemplate,
    Team,
)

GOAL_ATTAINMENT = metric_registry.GOAL_ATTAINMENT
MEASURABLE = (*metrics.MEASURED_METRICS, GOAL_ATTAINMENT)
SCORE_MIN, SCORE_MAX = 1, 5
OUTLIER_Z = 1.5  # calibration: a total more than 1.5 standard deviations from the cycle mean
GAP_FLAG = 2  # calibration: self and manager ratings 2 or more points apart
# Units of every measurable criterion; starting scales are metric_registry.default_scale(metric).
METRIC_UNITS = {m: metric_registry.unit(m) for m in MEASURABLE}


# ---------------------------------------------------------------------------------------------
# Scaling (pure)
# ---------------------------------------------------------------------------------------------
def validate_scale(scale: Any) -> list[str]:
    """Translation keys of what is wrong with a scale (empty when it is fine)."""
    if not isinstance(scale, dict) or "thresholds" not in scale:
        return ["evaluations.error.scale_shape"]
    thresholds = scale.get("thresholds")
    if not isinstance(thresholds, (list, tuple)) or len(thresholds) != 4:
        return ["evaluations.error.scale_shape"]
    try:
        values = [float(t) for t in thresholds]
    except (TypeError, ValueError):
        return ["evaluations.error.scale_shape"]
    higher = bool(scale.get("higher_is_better", True))
    ordered = all(a < b for a, b in zip(values, values[1:])) if higher else all(a > b for a, b in zip(values, values[1:]))
    return [] if ordered else ["evaluations.error.scale_order"]


def scale_score(value: float | None, scale: dict[str, Any]) -> int | None:
    """The 1-5 score of a measured value (None stays None: missing is never scored)."""
    if value is None:
        return None
    thresholds = [float(t) for t in scale["thresholds"]]
    if scale.get("higher_is_better", True):
        return SCORE_MIN + sum(1 for t in thresholds if value >= t)
    return SCORE_MIN + sum(1 for t in thresholds if value <= t)


def scale_steps(scale: dict[str, Any]) -> list[tuple[int, str, float]]:
    """The rule as steps to show on the card: [(5, '>=', 90), (4, '>=', 80), ...]; below the last
    step the score is 1."""
    op = ">=" if scale.get("higher_is_better", True) else "<="
    thresholds = [float(t) for t in scale["thresholds"]]
    return [(SCORE_MIN + i + 1, op, t) for i, t in reversed(list(enumerate(thresholds)))]


def weighted_total(lines: list[tuple[int, float | None]]) -> tuple[float | None, float]:
    """(total, coverage) from (weight, score) pairs: missing scores are left out and the weights
    re-normalised over the present ones; coverage is the present share of the weight (0-1)."""
    present = [(w, s) for w, s in lines if s is not None and w > 0]
    all_weight = sum(w for w, _ in lines if w > 0)
    weight = sum(w for w, _ in present)
    if not present or weight == 0:
        return None, 0.0
    total = sum(w * s for w, s in present) / weight
    return round(total, 2), (weight / all_weight if all_weight else 0.0)


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------
def cycle_period(kind: str, anchor: date) -> tuple[date, date]:
    """The month or quarter containing `anchor`."""
    if kind == "month":
        return anchor.replace(day=1), anchor.replace(day=calendar.monthrange(anchor.year, anchor.month)[1])
    if kind == "quarter":
        first_month = 3 * ((anchor.month - 1) // 3) + 1
        last_month = first_month + 2
        return date(anchor.year, first_month, 1), date(anchor.year, last_month, calendar.monthrange(anchor.year, last_month)[1])
    raise ValueError(kind)


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CriterionInput:
    name: str
    kind: str  # measured | rated
    weight: int
    metric: str | None = None
    scale: dict[str, Any] | None = None


def _validate_criteria(criteria: list[CriterionInput]) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for row, c in enumerate(criteria, start=1):
        name = (c.name or "").strip()
        if not name:
            errors.append(FieldError("evaluations.error.criterion_name", row=row, column="name"))
        elif name.lower() in seen:
            errors.append(FieldError("evaluations.error.criterion_duplicate", {"name": name}, row=row, column="name"))
        seen.add(name.lower())
        if c.kind not in CRITERION_KINDS:
            errors.append(FieldError("evaluations.error.criterion_kind", row=row, column="kind"))
        if not isinstance(c.weight, int) or isinstance(c.weight, bool) or not 0 < c.weight <= 100:
            errors.append(FieldError("evaluations.error.weight_range", row=row, column="weight"))
        if c.kind == "measured":
            if c.metric not in MEASURABLE:
                errors.append(FieldError("evaluations.error.metric", row=row, column="metric"))
            for key in validate_scale(c.scale):
                errors.append(FieldError(key, row=row, column="scale"))
    if not criteria:
        errors.append(FieldError("evaluations.error.no_criteria"))
    else:
        total = sum(c.weight for c in criteria if isinstance(c.weight, int))
        if total != 100:
            errors.append(FieldError("evaluations.error.weights_sum", {"total": total}))
    return errors


def create_template(
    session: Session, actor: Actor, team_id: int | None, name: str, criteria: list[CriterionInput]
) -> int:
    """A scorecard template for a team (admins may also make one for everyone: team None)."""
    scope = scope_for(session, actor)
    if team_id is None:
        if not actor.is_admin:
            raise PermissionDenied("error.permission_denied")
    else:
        ensure_team(scope, team_id)
    name = (name or "").strip()
    errors = _validate_criteria(criteria)
    if not name:
        errors.insert(0, FieldError("evaluations.error.template_name"))
    elif session.scalar(select(ScorecardTemplate.id).where(ScorecardTemplate.team_id == team_id, ScorecardTemplate.name == name)):
        errors.insert(0, FieldError("evaluations.error.template_exists", {"name": name}))
    if errors:
        raise InvalidInput("evaluations.error.template_invalid", errors=errors)
    template = ScorecardTemplate(team_id=team_id, name=name)
    for position, c in enumerate(criteria):
        template.criteria.append(
            Criterion(
                name=c.name.strip(), kind=c.kind, weight=c.weight, position=position,
                metric=c.metric if c.kind == "measured" else None,
                scale={"thresholds": [float(t) for t in c.scale["thresholds"]], "higher_is_better": bool(c.scale.get("higher_is_better", True))}
                if c.kind == "measured" else None,
            )
        )
    session.add(template)
    session.flush()
    audit.record(session, actor, "template.create", "scorecard_template", template.id, None,
                 {"team_id": team_id, "name": name, "criteria": [c.__dict__ for c in criteria]})
    return template.id


def list_templates(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Templates usable by the actor: their teams' and the shared ones, with criteria."""
    scope = scope_for(session, actor)
    if not (scope.everything or actor.is_manager):
        return []
    query = select(ScorecardTemplate).order_by(ScorecardTemplate.name)
    if not scope.everything:
        query = query.where((ScorecardTemplate.team_id.is_(None)) | ScorecardTemplate.team_id.in_(sorted(scope.team_ids)))
    result = []
    for template in session.scalars(query):
        result.append({
            "id": template.id, "name": template.name, "team_id": template.team_id,
            "criteria": [
                {"id": c.id, "name": c.name, "kind": c.kind, "metric": c.metric, "weight": c.weight, "scale": c.scale}
                for c in template.criteria
            ],
        })
    return result


# ---------------------------------------------------------------------------------------------
# Cycles
# ---------------------------------------------------------------------------------------------
def _team_members(session: Session, team: Team) -> list[Member]:
    """Members evaluated in a team's cycle: active members of the team and its sub-teams, except
    the team's own manager."""
    from core.permissions import subtree_team_ids

    teams = subtree_team_ids(session, {team.id})
    query = select(Member).where(Member.team_id.in_(sorted(teams)), Member.status != "left").order_by(Member.name)
    if team.manager_user_id is not None:
        query = query.where((Member.user_id.is_(None)) | (Member.user_id != team.manager_user_id))
    return list(session.scalars(query))


def create_cycle(
    session: Session, actor: Actor, team_id: int, template_id: int, name: str, kind: str,
    start: date | None = None, end: date | None = None,
) -> int:
    """Open an evaluation cycle for a team: one scorecard per member, ready for ratings. Month and
    quarter cycles take their period from `start` (any day in it); custom ones need both dates."""
    scope = scope_for(session, actor)
    ensure_team(scope, team_id)
    errors: list[FieldError] = []
    name = (name or "").strip()
    if not name:
        errors.append(FieldError("evaluations.error.cycle_name"))
    if kind not in CYCLE_KINDS:
        errors.append(FieldError("evaluations.error.cycle_kind"))
    template = session.get(ScorecardTemplate, template_id)
    if template is None or (template.team_id is not None and not scope.has_team(template.team_id)):
        errors.append(FieldError("evaluations.error.template_missing"))
    if start is None:
        errors.append(FieldError("evaluations.error.period"))
    elif kind in ("month", "quarter"):
        start, end = cycle_period(kind, start)
    elif end is None or end < start:
        errors.append(FieldError("evaluations.error.period"))
    if errors:
        raise InvalidInput("evaluations.error.cycle_invalid", errors=errors)
    team = session.get(Team, team_id)
    cycle = EvaluationCycle(team_id=team_id, template_id=template_id, name=name, kind=kind,
                            start_date=start, end_date=end, status="open")
    session.add(cycle)
    session.flush()
    for member in _team_members(session, team):
        session.add(Evaluation(cycle_id=cycle.id, member_id=member.id))
    session.flush()
    audit.record(session, actor, "cycle.create", "evaluation_cycle", cycle.id, None, audit.snapshot(cycle))
    return cycle.id


def _cycle(session: Session, actor: Actor, cycle_id: int) -> EvaluationCycle:
    cycle = session.get(EvaluationCycle, cycle_id)
    if cycle is None:
        raise NotFound("error.not_found")
    return cycle


def _ensure_manages_cycle(session: Session, actor: Actor, cycle: EvaluationCycle) -> None:
    ensure_team(scope_for(session, actor), cycle.team_id)


def list_cycles(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Cycles the actor may see: managers their teams' cycles; members the cycles that evaluate
    them or in which they are a chosen peer."""
    scope = scope_for(session, actor)
    query = select(EvaluationCycle, Team.name).join(Team, Team.id == EvaluationCycle.team_id)
    if not scope.everything:
        if actor.is_manager:
            query = query.where(scope_clause(scope, Team))
        else:
            mine = select(Evaluation.cycle_id).where(Evaluation.member_id == actor.member_id)
            peer = (
                select(Evaluation.cycle_id).join(PeerReviewer, PeerReviewer.evaluation_id == Evaluation.id)
                .where(PeerReviewer.reviewer_member_id == actor.member_id)
            )
            query = query.where(EvaluationCycle.id.in_(mine) | EvaluationCycle.id.in_(peer))
    rows = session.execute(query.order_by(EvaluationCycle.start_date.desc(), EvaluationCycle.id.desc())).all()
    return [
        {"id": c.id, "name": c.name, "team_id": c.team_id, "team": team, "kind": c.kind, "start": c.start_date,
         "end": c.end_date, "status": c.status, "released_at": c.released_at, "template_id": c.template_id}
        for c, team in rows
    ]


RELEASE_GAPS = ("early", "missing_ratings", "pending_self", "pending_peer")


def release_checklist(session: Session, actor: Actor, cycle_id: int, today: date | None = None) -> dict[str, int]:
    """What a release would leave out: days left before the cycle ends, scorecards lacking a
    manager rating on a rated criterion, self-reviews not done and peer reviews pending. Each
    gap above zero must be confirmed by `release_cycle`."""
    cycle = _cycle(session, actor, cycle_id)
    _ensure_manages_cycle(session, actor, cycle)
    today = today or date.today()
    rated = set(session.scalars(select(Criterion.id).where(Criterion.template_id == cycle.template_id,
                                                            Criterion.kind == "rated")))
    evaluations = list(session.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id)))
    ids = [e.id for e in evaluations]
    ratings = session.execute(select(Rating.evaluation_id, Rating.criterion_id, Rating.rater_kind, Rating.rater_user_id)
                              .where(Rating.evaluation_id.in_(ids))).all() if ids else []
    manager_done: dict[int, set[int]] = {}
    self_done: set[int] = set()
    peer_done: set[tuple[int, int | None]] = set()
    for evaluation_id, criterion_id, kind, user_id in ratings:
        if kind == "manager":
            manager_done.setdefault(evaluation_id, set()).add(criterion_id)
        elif kind == "self":
            self_done.add(evaluation_id)
        else:
            peer_done.add((evaluation_id, user_id))
    reviewers = session.execute(select(PeerReviewer.evaluation_id, Member.user_id)
                                .join(Member, Member.id == PeerReviewer.reviewer_member_id)
                                .where(PeerReviewer.evaluation_id.in_(ids))).all() if ids else []
    return {
        "early": max(0, (cycle.end_date - today).days),
        "missing_ratings": sum(1 for e in evaluations if rated and not rated <= manager_done.get(e.id, set())),
        "pending_self": sum(1 for e in evaluations if rated and e.id not in self_done),
        "pending_peer": sum(1 for evaluation_id, user_id in reviewers if (evaluation_id, user_id) not in peer_done),
        "scorecards": len(evaluations),
    }


def _line_data(line: Line) -> dict[str, Any]:
    data = dict(line.__dict__)
    data["records"] = [list(r) for r in line.records]
    return data


def _line_from(data: dict[str, Any]) -> Line:
    return Line(**{**data, "records": tuple((str(k), int(i)) for k, i in data.get("records") or ())})


def release_cycle(session: Session, actor: Actor, cycle_id: int, confirmed: Any = (), today: date | None = None) -> int:
    """Compute and store every member's total, freeze each scorecard's lines (values, scores and
    the records behind them), then lock the cycle: ratings can no longer change and each member
    sees their own result. Every gap of `release_checklist` (released early, ratings missing,
    reviews pending) must be in `confirmed`, else nothing is released. Returns how many
    scorecards were released."""
    cycle = _cycle(session, actor, cycle_id)
    _ensure_manages_cycle(session, actor, cycle)
    if cycle.status == "released":
        raise Conflict("evaluations.error.already_released")
    checklist = release_checklist(session, actor, cycle_id, today)
    unconfirmed = [gap for gap in RELEASE_GAPS if checklist[gap] and gap not in set(confirmed or ())]
    if unconfirmed:
        raise Conflict("screens.release.unconfirmed", n=len(unconfirmed))
    evaluations = list(session.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id)))
    now = utcnow()
    for evaluation in evaluations:
        card = _compute(session, cycle, evaluation)
        versions.claim(session, evaluation)
        evaluation.total = card.total
        evaluation.computed_at = now
        session.merge(ScorecardSnapshot(evaluation_id=evaluation.id, lines=[_line_data(line) for line in card.lines],
                                        frozen_at=now))
    cycle.status = "released"
    cycle.released_at = now
    session.flush()
    audit.record(session, actor, "cycle.release", "evaluation_cycle", cycle.id, {"status": "open"},
                 {"status": "released", "totals": {e.member_id: e.total for e in evaluations},
                  "confirmed": [g for g in RELEASE_GAPS if checklist[g]]})
    return len(evaluations)


def reopen_cycle(session: Session, actor: Actor, cycle_id: int) -> None:
    """An admin reopens a released cycle: the frozen scorecards and stored totals are dropped
    (they are computed afresh at the next release), with an audit row."""
    if not actor.is_admin:
        raise PermissionDenied("error.permission_denied")
    cycle = _cycle(session, actor, cycle_id)
    if cycle.status != "released":
        raise Conflict("screens.release.not_released")
    evaluations = list(session.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id)))
    totals = {e.member_id: e.total for e in evaluations}
    for evaluation in evaluations:
        snapshot = session.get(ScorecardSnapshot, evaluation.id)
        if snapshot is not None:
            session.delete(snapshot)
        evaluation.total = None
        evaluation.computed_at = None
    cycle.status = "open"
    cycle.released_at = None
    session.flush()
    audit.record(session, actor, "cycle.reopen", "evaluation_cycle", cycle.id, {"status": "released", "totals": totals},
                 {"status": "open"})


# ---------------------------------------------------------------------------------------------
# Ratings and peers
# ---------------------------------------------------------------------------------------------
def _evaluation(session: Session, evaluation_id: int) -> tuple[Evaluation, EvaluationCycle]:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound("error.not_found")
    return evaluation, session.get(EvaluationCycle, evaluation.cycle_id)


def _is_peer(session: Session, actor: Actor, evaluation_id: int) -> bool:
    return actor.member_id is not None and session.scalar(
        select(PeerReviewer.id).where(PeerReviewer.evaluation_id == evaluation_id, PeerReviewer.reviewer_member_id == actor.member_id)
    ) is not None


def rater_kind(session: Session, actor: Actor, evaluation: Evaluation, cycle: EvaluationCycle) -> str | None:
    """How the actor rates this scorecard: 'self', 'manager' (manager of the cycle's team, or an
    admin), 'peer' (chosen by the manager), or None (may not rate it)."""
    if actor.member_id is not None and actor.member_id == evaluation.member_id:
        return "self"
    scope = scope_for(session, actor)
    if scope.everything or (actor.is_manager and cycle.team_id in scope.team_ids):
        return "manager"
    if _is_peer(session, actor, evaluation.id):
        return "peer"
    return None


def rate(session: Session, actor: Actor, evaluation_id: int, criterion_id: int, score: int, comment: str | None = None) -> None:
    """Rate one rated criterion 1-5 with a comment (again to change it) while the cycle is open."""
    evaluation, cycle = _evaluation(session, evaluation_id)
    kind = rater_kind(session, actor, evaluation, cycle)
    if kind is None:
        raise PermissionDenied("error.permission_denied")
    if cycle.status == "released":
        raise Conflict("evaluations.error.locked")
    criterion = session.get(Criterion, criterion_id)
    if criterion is None or criterion.template_id != cycle.template_id or criterion.kind != "rated":
        raise InvalidInput("evaluations.error.not_rated_criterion")
    if not isinstance(score, int) or isinstance(score, bool) or not SCORE_MIN <= score <= SCORE_MAX:
        raise InvalidInput("evaluations.error.score_range", errors=[FieldError("evaluations.error.score_range", column=criterion.name)])
    comment = (comment or "").strip() or None
    rating = session.scalar(select(Rating).where(
        Rating.evaluation_id == evaluation.id, Rating.criterion_id == criterion.id, Rating.rater_user_id == actor.user_id))
    before = audit.snapshot(rating, ["score", "comment"]) if rating else None
    if rating is None:
        rating = Rating(evaluation_id=evaluation.id, criterion_id=criterion.id, rater_user_id=actor.user_id, rater_kind=kind)
        session.add(rating)
    rating.score, rating.comment, rating.rater_kind = score, comment, kind
    session.flush()
    audit.record(session, actor, "rating.save", "rating", rating.id, before,
                 {"evaluation_id": evaluation.id, "criterion_id": criterion.id, "rater_kind": kind, "score": score, "comment": comment})


def rate_many(session: Session, actor: Actor, evaluation_id: int, scores: dict[int, tuple[int, str | None]],
              expected_version: int | None = None) -> int:
    """Save several ratings of one scorecard at once (one form, one transaction). With
    `expected_version` (the scorecard's version the form was loaded with) the save claims the
    scorecard: of two simultaneous saves from forms of the same version, one is refused."""
    if expected_version is not None:
        evaluation, _cycle = _evaluation(session, evaluation_id)
        if rater_kind(session, actor, evaluation, _cycle) is None:
            raise PermissionDenied("error.permission_denied")
        versions.claim(session, evaluation, expected_version)
    for criterion_id, (score, comment) in scores.items():
        rate(session, actor, evaluation_id, criterion_id, score, comment)
    return len(scores)


def set_peers(session: Session, actor: Actor, evaluation_id: int, peer_member_ids: list[int],
              expected_version: int | None = None) -> None:
    """The manager chooses which peers rate a member (members with a login, not the member)."""
    evaluation, cycle = _evaluation(session, evaluation_id)
    _ensure_manages_cycle(session, actor, cycle)
    if cycle.status == "released":
        raise Conflict("evaluations.error.locked")
    versions.claim(session, evaluation, expected_version)
    scope = scope_for(session, actor)
    wanted = set(peer_member_ids) - {evaluation.member_id}
    for member_id in wanted:
        ensure_member(scope, member_id)
    current = {p.reviewer_member_id: p for p in session.scalars(select(PeerReviewer).where(PeerReviewer.evaluation_id == evaluation.id))}
    for member_id, row in current.items():
        if member_id not in wanted:
            session.delete(row)
    for member_id in wanted - set(current):
        session.add(PeerReviewer(evaluation_id=evaluation.id, reviewer_member_id=member_id))
    session.flush()
    audit.record(session, actor, "peers.set", "evaluation", evaluation.id, {"peers": sorted(current)}, {"peers": sorted(wanted)})


# ---------------------------------------------------------------------------------------------
# Scorecards
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    criterion_id: int
    name: str
    kind: str
    weight: int
    metric: str | None
    scale: dict[str, Any] | None
    value: float | None  # measured value (None = no data)
    score: float | None  # 1-5 (None = missing)
    records: tuple[tuple[str, int], ...] = ()
    manager_comment: str | None = None
    self_score: int | None = None
    self_comment: str | None = None
    peer_avg: float | None = None
    peer_count: int = 0


@dataclass(frozen=True)
class Scorecard:
    evaluation_id: int
    cycle_id: int
    cycle_name: str
    member_id: int
    member_name: str
    start: date
    end: date
    status: str
    lines: tuple[Line, ...]
    total: float | None
    coverage: float


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


def _card(cycle: EvaluationCycle, evaluation: Evaluation, member: Member, criteria: list[Criterion],
          ratings: list[Rating], measured: dict[int, metrics.Measure]) -> Scorecard:
    """One scorecard from its criteria, its ratings and the measured criteria's values
    (criterion id -> Measure): the one rule behind `_compute` and `_compute_many`."""
    by_criterion: dict[int, list[Rating]] = {}
    for r in ratings:
        by_criterion.setdefault(r.criterion_id, []).append(r)
    lines: list[Line] = []
    for c in criteria:
        if c.kind == "measured":
            value = measured[c.id]
            lines.append(Line(c.id, c.name, c.kind, c.weight, c.metric, c.scale, value.value,
                              scale_score(value.value, c.scale),
                              tuple((r.kind, r.id) for r in value.records)))
        else:
            rs = by_criterion.get(c.id, [])
            manager = next((r for r in sorted(rs, key=lambda r: r.created_at or utcnow(), reverse=True) if r.rater_kind == "manager"), None)
            own = next((r for r in rs if r.rater_kind == "self"), None)
            peers = [r.score for r in rs if r.rater_kind == "peer"]
            lines.append(Line(
                c.id, c.name, c.kind, c.weight, None, None, None,
                float(manager.score) if manager else None, (),
                manager.comment if manager else None,
                own.score if own else None, own.comment if own else None,
                round(statistics.mean(peers), 2) if peers else None, len(peers),
            ))
    total, coverage = weighted_total([(line.weight, line.score) for line in lines])
    return Scorecard(evaluation.id, cycle.id, cycle.name, member.id, member.name, cycle.start_date, cycle.end_date,
                     cycle.status, tuple(lines), total, coverage)


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


def my_evaluations(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The actor's own scorecards: released ones (with the total) and open ones (self-review)."""
    if actor.member_id is None:
        return []
    rows = session.execute(
        select(Evaluation, EvaluationCycle).join(EvaluationCycle, EvaluationCycle.id == Evaluation.cycle_id)
        .where(Evaluation.member_id == actor.member_id).order_by(EvaluationCycle.start_date.desc())
    ).all()
    return [
        {"evaluation_id": e.id, "cycle_id": c.id, "cycle": c.name, "status": c.status, "start": c.start_date,
         "end": c.end_date, "total": e.total if c.status == "released" else None}
        for e, c in rows
    ]


def peer_requests(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Scorecards of open cycles the actor was chosen to rate as a peer (names only, no scores)."""
    if actor.member_id is None:
        return []
    rows = session.execute(
        select(Evaluation.id, Member.name, EvaluationCycle.name)
        .join(PeerReviewer, PeerReviewer.evaluation_id == Evaluation.id)
        .join(Member, Member.id == Evaluation.member_id)
        .join(EvaluationCycle, EvaluationCycle.id == Evaluation.cycle_id)
        .where(PeerReviewer.reviewer_member_id == actor.member_id, EvaluationCycle.status == "open")
        .order_by(EvaluationCycle.start_date.desc(), Member.name)
    ).all()
    return [{"evaluation_id": eid, "member": member, "cycle": cycle} for eid, member, cycle in rows]


def review_form(session: Session, actor: Actor, evaluation_id: int) -> dict[str, Any]:
    """What the actor needs to rate a scorecard: the rated criteria and the actor's OWN ratings
    (never anyone else's, never a total)."""
    evaluation, cycle = _evaluation(session, evaluation_id)
    kind = rater_kind(session, actor, evaluation, cycle)
    if kind is None:
        raise PermissionDenied("error.permission_denied")
    criteria = session.scalars(select(Criterion).where(Criterion.template_id == cycle.template_id, Criterion.kind == "rated")
                               .order_by(Criterion.position)).all()
    mine = {r.criterion_id: r for r in session.scalars(select(Rating).where(
        Rating.evaluation_id == evaluation.id, Rating.rater_user_id == actor.user_id))}
    member = session.get(Member, evaluation.member_id)
    peers = session.execute(select(PeerReviewer.reviewer_member_id).where(PeerReviewer.evaluation_id == evaluation.id)).scalars().all()
    return {
        "evaluation_id": evaluation.id, "member": member.name, "member_id": member.id, "cycle": cycle.name,
        "locked": cycle.status == "released", "rater_kind": kind, "version": evaluation.version,
        "peers": sorted(peers) if kind == "manager" else [],
        "criteria": [
            {"id": c.id, "name": c.name, "weight": c.weight,
             "score": mine[c.id].score if c.id in mine else None, "comment": mine[c.id].comment if c.id in mine else None}
            for c in criteria
        ],
    }


# ---------------------------------------------------------------------------------------------
# Traceability
# ---------------------------------------------------------------------------------------------
_SHOW_COLUMNS = ("title", "name", "customer_id", "stage", "value", "csat", "nps", "status", "severity", "channel",
                 "summary", "closed_on", "due_date", "completed_at", "occurred_at", "responded_at", "opened_at",
                 "first_response_at", "resolved_at", "created_at", "target", "metric", "start_date", "end_date")


def _model_for(kind: str):
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if cls.__tablename__ in (kind, kind + "s") or cls.__name__.lower() == kind.replace("_", ""):
            return cls
    raise ValueError(kind)


def _line_records(session: Session, actor: Actor, evaluation_id: int, criterion_id: int) -> dict[str, list[int]]:
    """The ids of the records a measured line was computed from, by kind (the card's read rules apply)."""
    card = get_scorecard(session, actor, evaluation_id)
    line = next((line for line in card.lines if line.criterion_id == criterion_id), None)
    if line is None or line.kind != "measured":
        raise NotFound("error.not_found")
    by_kind: dict[str, list[int]] = {}
    for kind, rid in line.records:
        by_kind.setdefault(kind, []).append(rid)
    return by_kind


def records_frame(session: Session, actor: Actor, evaluation_id: int, criterion_id: int) -> pd.DataFrame:
    """The exact rows a measured line was computed from, one row each (kind, id and key fields)."""
    by_kind = _line_records(session, actor, evaluation_id, criterion_id)
    frames = []
    for kind, ids in by_kind.items():
        model = _model_for(kind)
        cols = [model.id] + [getattr(model, c) for c in _SHOW_COLUMNS if hasattr(model, c)]
        data = session.execute(select(*cols).where(model.id.in_(ids)).order_by(model.id)).all()
        frame = pd.DataFrame([row._asdict() for row in data])
        frame.insert(0, "kind", kind)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["kind", "id"])
    return pd.concat(frames, ignore_index=True)


RECORD_COLUMNS = ("what", "record", "customer", "member", "date", "detail", "link")


def _short(text: str | None, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def records_table(session: Session, actor: Actor, evaluation_id: int, criterion_id: int, lang: str) -> list[dict]:  # noqa: C901 - issue 16 point 3: to be split
    """The rows behind a measured line as a reader sees them: what the record is (a deal, a
    survey ...), its name, the customer, the person, the date that put it in the period and one
    detail, all in `lang` (no ids, no field names or codes); `link` is the page that opens it
    (`customers?customer=<id>`, `service?complaint=<id>`, `pipeline?deal=<id>`), None when no page
    shows that record (a call)."""
    from core.i18n import choice_label, format_date, format_money, t

    ids = _line_records(session, actor, evaluation_id, criterion_id)
    owners = {m.id: m.name for m in session.execute(select(Member.id, Member.name)).all()}
    customers = {}
    customer_ids = set(ids.get("customer", []))
    for kind, model in (("deal", Deal), ("survey", Survey), ("complaint", Complaint), ("interaction", Interaction), ("task", Task)):
        if ids.get(kind):
            customer_ids |= set(session.scalars(select(model.customer_id).where(model.id.in_(ids[kind]))).all())
    customer_ids.discard(None)
    if customer_ids:
        customers = dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))).all())
    stage_names = dict(session.execute(select(DealStage.code, DealStage.name)).all())

    def row(kind, record, customer_id, member_id, when, detail, link) -> dict:
        return {"what": t(f"reports.kind.{kind}", lang), "record": record or "—",
                "customer": customers.get(customer_id, "—"), "member": owners.get(member_id, "—"),
                "date": format_date(when, lang), "detail": detail or "—", "link": link, "sort": when}

    def to_customer(customer_id):
        return f"customers?customer={customer_id}" if customer_id else None

    rows: list[dict] = []
    if ids.get("deal"):
        for d in session.scalars(select(Deal).where(Deal.id.in_(ids["deal"]))):
            stage = stage_names.get(d.stage) or choice_label("stage", d.stage, lang)
            rows.append(row("deal", d.title, d.customer_id, d.owner_id, d.closed_on or d.created_at,
                            f"{format_money(d.value, lang, d.currency)} · {stage}", f"pipeline?deal={d.id}"))
    if ids.get("customer"):
        for cust in session.scalars(select(Customer).where(Customer.id.in_(ids["customer"]))):
            rows.append(row("customer", cust.name, cust.id, cust.owner_id, cust.created_at,
                            choice_label("customer_status", cust.status, lang), to_customer(cust.id)))
    if ids.get("survey"):
        for v in session.scalars(select(Survey).where(Survey.id.in_(ids["survey"]))):
            parts = ([f"{t('reports.record.csat', lang)} {v.csat}/5"] if v.csat is not None else []) + \
                    ([f"{t('reports.record.nps', lang)} {v.nps}"] if v.nps is not None else [])
            rows.append(row("survey", " · ".join(parts), v.customer_id, v.member_id, v.responded_at,
                            _short(v.comment), to_customer(v.customer_id)))
    if ids.get("complaint"):
        for cp in session.scalars(select(Complaint).where(Complaint.id.in_(ids["complaint"]))):
            detail = f"{choice_label('severity', cp.severity, lang)} · {choice_label('complaint_status', cp.status, lang)}"
            link = f"service?complaint={cp.id}" if cp.status != "resolved" else to_customer(cp.customer_id)
            rows.append(row("complaint", cp.title, cp.customer_id, cp.assignee_id, cp.opened_at, detail, link))
    if ids.get("interaction"):
        for i in session.scalars(select(Interaction).where(Interaction.id.in_(ids["interaction"]))):
            rows.append(row("interaction", _short(i.summary), i.customer_id, i.member_id, i.occurred_at,
                            choice_label("channel", i.channel, lang), to_customer(i.customer_id)))
    if ids.get("task"):
        for k in session.scalars(select(Task).where(Task.id.in_(ids["task"]))):
            detail = t("reports.record.due", lang, date=format_date(k.due_date, lang)) if k.due_date else None
            rows.append(row("task", k.title, k.customer_id, k.assignee_id, k.completed_at, detail, to_customer(k.customer_id)))
    if ids.get("call"):
        for call_ in session.scalars(select(Call).where(Call.id.in_(ids["call"]))):
            detail = t("reports.record.answered" if call_.answered else "reports.record.missed", lang)
            rows.append(row("call", call_.topic, None, call_.member_id, call_.occurred_at, detail, None))
    goal_ids = set(ids.get("goal", []))
    check_ins = {}
    if ids.get("check_in"):
        check_ins = {ci.id: ci for ci in session.scalars(select(CheckIn).where(CheckIn.id.in_(ids["check_in"])))}
        goal_ids |= {ci.goal_id for ci in check_ins.values()}
    goals_by_id = {g.id: g for g in session.scalars(select(Goal).where(Goal.id.in_(goal_ids)))} if goal_ids else {}
    for gid in ids.get("goal", []):
        g = goals_by_id.get(gid)
        if g is not None:
            rows.append(row("goal", g.title, None, g.member_id, g.end_date, choice_label("metric", g.metric, lang), "goals"))
    for ci in check_ins.values():
        g = goals_by_id.get(ci.goal_id)
        rows.append(row("check_in", g.title if g else None, None, g.member_id if g else None, ci.created_at,
                        metrics.format_metric(ci.value, "manual", lang, "", g.unit if g else ""), "goals"))
    rows.sort(key=lambda r: (r["what"], str(r["sort"] or "")))
    for r in rows:
        del r["sort"]
    return rows


# ---------------------------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------------------------
@dataclass
class Calibration:
    results: pd.DataFrame  # member, total, coverage, z, outlier
    gaps: pd.DataFrame  # member, criterion, self, manager, gap, flagged
    mean: float | None = None
    stdev: float | None = None
    heatmap: pd.DataFrame = field(default_factory=pd.DataFrame)  # member, criterion, score


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
# Trends and charts
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


def trend_chart(frame: pd.DataFrame, title: str, x_title: str, y_title: str) -> alt.Chart:
    """A member's total (1-5) per cycle; provisional points (open cycles) hollow."""
    base = alt.Chart(frame).encode(
        x=alt.X("cycle:N", sort=None, title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("total:Q", title=y_title, scale=alt.Scale(domain=[1, 5])),
        tooltip=[alt.Tooltip("cycle:N", title=x_title), alt.Tooltip("total:Q", title=y_title, format=".2f")],
    )
    return (base.mark_line(point=False) + base.mark_point(size=80, filled=True)).properties(title=title, height=260)


def distribution_chart(frame: pd.DataFrame, title: str, x_title: str, y_title: str) -> alt.Chart:
    """How many members fall in each half-point band of the total (1-5)."""
    data = frame.dropna(subset=["total"])
    return (
        alt.Chart(data).mark_bar()
        .encode(
            x=alt.X("total:Q", bin=alt.Bin(extent=[1, 5], step=0.5), title=x_title),
            y=alt.Y("count():Q", title=y_title, axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("count():Q", title=y_title)],
        )
        .properties(title=title, height=240)
    )


def heatmap_chart(frame: pd.DataFrame, title: str, x_title: str, y_title: str, score_title: str) -> alt.Chart:
    """Member x criterion scores (1-5); missing cells stay blank."""
    data = frame.dropna(subset=["score"])
    base = alt.Chart(data).encode(
        x=alt.X("criterion:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=-30, labelOverlap=False, labelLimit=160)),
        y=alt.Y("member:N", title=y_title, axis=alt.Axis(labelOverlap=False)),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("score:Q", title=score_title, scale=alt.Scale(domain=[1, 5], scheme="blues")),
        tooltip=[alt.Tooltip("member:N", title=y_title), alt.Tooltip("criterion:N", title=x_title),
                 alt.Tooltip("score:Q", format=".1f", title=score_title)],
    )
    text = base.mark_text(fontSize=12).encode(text=alt.Text("score:Q", format=".1f"))
    return (rect + text).properties(title=title, height=alt.Step(28))


def versus_chart(frame: pd.DataFrame, title: str, x_title: str, y_title: str, legend: str, labels: dict[str, str]) -> alt.Chart:
    """A member's score per criterion beside the team average (1-5)."""
    data = frame.dropna(subset=["score"]).assign(who=lambda f: f["who"].map(labels))  # no bar, no "NaN" tooltip
    return (
        alt.Chart(data).mark_bar()
        .encode(
            x=alt.X("criterion:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=-30)),
            xOffset=alt.XOffset("who:N"),
            y=alt.Y("score:Q", title=y_title, scale=alt.Scale(domain=[0, 5])),
            color=alt.Color("who:N", title=legend),
            tooltip=[alt.Tooltip("criterion:N", title=x_title), alt.Tooltip("who:N", title=legend),
                     alt.Tooltip("score:Q", title=y_title, format=".1f")],
        )
        .properties(title=title, height=260)
    )


def evaluation_members(session: Session, actor: Actor, cycle_id: int) -> list[dict[str, Any]]:
    """Scorecards of a cycle for the manager's pickers (id, member)."""
    cycle = _cycle(session, actor, cycle_id)
    _ensure_manages_cycle(session, actor, cycle)
    rows = session.execute(
        select(Evaluation.id, Member.id, Member.name).join(Member, Member.id == Evaluation.member_id)
        .where(Evaluation.cycle_id == cycle.id).order_by(Member.name)
    ).all()
    return [{"evaluation_id": e, "member_id": m, "member": n} for e, m, n in rows]


def peer_candidates(session: Session, actor: Actor, evaluation_id: int) -> list[dict[str, Any]]:
    """Members with a login in the cycle's team tree who could rate this member as peers."""
    evaluation, cycle = _evaluation(session, evaluation_id)
    _ensure_manages_cycle(session, actor, cycle)
    team = session.get(Team, cycle.team_id)
    return [{"member_id": m.id, "member": m.name} for m in _team_members(session, team)
            if m.id != evaluation.member_id and m.user_id is not None]


def team_options(session: Session, actor: Actor) -> list[dict[str, Any]]:
    scope = scope_for(session, actor)
    if not (scope.everything or actor.is_manager):
        return []
    rows = session.execute(select(Team.id, Team.name).where(scope_clause(scope, Team)).order_by(Team.name)).all()
    return [{"id": i, "name": n} for i, n in rows]

