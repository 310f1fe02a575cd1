"""Evaluation reads: templates, cycles, the release checklist, who rates whom, review forms and pickers."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, PermissionDenied
from core.permissions import Actor, ensure_team, scope_clause, scope_for
from db.models import (
    Criterion,
    Evaluation,
    EvaluationCycle,
    Member,
    PeerReviewer,
    Rating,
    ScorecardTemplate,
    Team,
)


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
