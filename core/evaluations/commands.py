"""Evaluation writes: templates, cycles, release and reopen, ratings and peers."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, versions
from core.errors import Conflict, FieldError, InvalidInput, PermissionDenied
from core.evaluations.queries import _cycle, _ensure_manages_cycle, _evaluation, _team_members, rater_kind, release_checklist
from core.evaluations.rules import (
    RELEASE_GAPS,
    SCORE_MAX,
    SCORE_MIN,
    CriterionInput,
    _line_data,
    _validate_criteria,
    cycle_period,
)
from core.evaluations.scoring import _compute
from core.permissions import Actor, ensure_member, ensure_team, scope_for
from db.base import utcnow
from db.models import (
    CYCLE_KINDS,
    Criterion,
    Evaluation,
    EvaluationCycle,
    PeerReviewer,
    Rating,
    ScorecardSnapshot,
    ScorecardTemplate,
    Team,
)


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
