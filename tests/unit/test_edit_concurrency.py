"""Two people edit the same goal, complaint or scorecard at the same moment, from forms loaded at
the same version: exactly one edit is saved, the other is refused with the stale-edit message, and
nothing of the refused edit remains - on SQLite and PostgreSQL (tests/concurrency.py: one engine
and one unit of work per side, as two app servers)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core import evaluations as ev
from core import goals, service
from core.errors import Conflict
from db.engine import make_engine
from db.models import AuditLog, Complaint, ComplaintNote, Evaluation, Goal, PeerReviewer, Rating
from db.session import unit_of_work
from tests.concurrency import race
from tests.factories import build_world


@pytest.fixture
def setup(db_url):
    engine = make_engine(db_url)
    with unit_of_work(engine) as s:
        world = build_world(s)
    yield engine, world
    engine.dispose()


def _audit_count(engine, action: str, entity_id: int) -> int:
    with unit_of_work(engine) as s:
        return s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == action, AuditLog.entity_id == entity_id))


def test_two_simultaneous_splits_of_one_goal_one_is_refused(db_url, setup):
    engine, world = setup
    manager, admin = world.actors["manager_a"], world.actors["admin"]
    parent_id = world.goals["A"].id
    with unit_of_work(engine) as s:
        proposal = goals.propose_member_split(s, manager, parent_id)
    assert proposal

    def split(actor):
        def side(s, ready):
            seen = goals.get_goal(s, actor, parent_id).version
            ready()
            return goals.save_children(s, actor, parent_id, proposal, expected_version=seen)
        return side

    winner, refusal = race(db_url, {"manager": split(manager), "admin": split(admin)}).one_winner()
    assert refusal.key == "sec.stale_edit"
    with unit_of_work(engine) as s:
        children = s.scalar(select(func.count()).select_from(Goal).where(Goal.parent_id == parent_id))
        assert children == len(proposal)  # one set of children, not two
        assert s.get(Goal, parent_id).version == 2


def test_two_simultaneous_archives_of_one_goal_one_is_refused(db_url, setup):
    engine, world = setup
    goal_id = world.goals["a1"].id

    def archive(actor):
        def side(s, ready):
            seen = goals.get_goal(s, actor, goal_id).version
            ready()
            return goals.archive_goal(s, actor, goal_id, expected_version=seen)
        return side

    _winner, refusal = race(db_url, {"manager": archive(world.actors["manager_a"]),
                                     "admin": archive(world.actors["admin"])}).one_winner()
    assert refusal.key == "sec.stale_edit"
    assert _audit_count(engine, "goal.archive", goal_id) == 1


@pytest.mark.parametrize("second", ["resolve", "reassign", "wait"])
def test_two_simultaneous_complaint_edits_one_is_refused(db_url, setup, second):
    engine, world = setup
    with unit_of_work(engine) as s:
        customer = world.customers["a1"]
        complaint_id = service.log_complaint(s, world.actors["manager_a"], customer_id=customer.id, severity="high",
                                             title="Late delivery")
    a2 = world.members["a2"].id

    def edit(actor, action):
        def side(s, ready):
            seen = service.get_complaint(s, actor, complaint_id)["version"]
            ready()
            if action == "respond":
                return service.respond_to_complaint(s, actor, complaint_id, note="On it", expected_version=seen)
            if action == "resolve":
                return service.resolve_complaint(s, actor, complaint_id, note="Refunded", expected_version=seen)
            if action == "reassign":
                return service.reassign_complaint(s, actor, complaint_id, a2, expected_version=seen)
            return service.wait_on_customer(s, actor, complaint_id, note="Asked for the order number", expected_version=seen)
        return side

    winner, refusal = race(db_url, {"respond": edit(world.actors["manager_a"], "respond"),
                                    second: edit(world.actors["admin"], second)}).one_winner()
    assert refusal.key == "sec.stale_edit"
    with unit_of_work(engine) as s:
        complaint = s.get(Complaint, complaint_id)
        assert complaint.version == 2
        notes = s.scalars(select(ComplaintNote.body).where(ComplaintNote.complaint_id == complaint_id)).all()
        expected = {"respond": "On it", "resolve": "Refunded", "reassign": None, "wait": "Asked for the order number"}[winner]
        assert notes == ([expected] if expected else [])  # the refused edit left no note behind
        if winner == "reassign":
            assert complaint.assignee_id == a2 and complaint.first_response_at is None


@pytest.fixture
def scorecard(setup):
    engine, world = setup
    manager = world.actors["manager_a"]
    with unit_of_work(engine) as s:
        template_id = ev.create_template(s, manager, world.teams["A"].id, "Monthly",
                                         [ev.CriterionInput("Teamwork", "rated", 100)])
        cycle_id = ev.create_cycle(s, manager, world.teams["A"].id, template_id, "May", "month", date(2026, 5, 1))
        evaluation_id = next(e["evaluation_id"] for e in ev.evaluation_members(s, manager, cycle_id) if e["member"] == "Alice A1")
        criterion_id = ev.review_form(s, manager, evaluation_id)["criteria"][0]["id"]
    return engine, world, evaluation_id, criterion_id


def test_two_simultaneous_scorecard_saves_one_is_refused(db_url, scorecard):
    engine, world, evaluation_id, criterion_id = scorecard

    def rate(actor, score):
        def side(s, ready):
            seen = ev.review_form(s, actor, evaluation_id)["version"]
            ready()
            return ev.rate_many(s, actor, evaluation_id, {criterion_id: (score, f"score {score}")}, expected_version=seen)
        return side

    winner, refusal = race(db_url, {"manager": rate(world.actors["manager_a"], 2),
                                    "admin": rate(world.actors["admin"], 5)}).one_winner()
    assert refusal.key == "sec.stale_edit"
    with unit_of_work(engine) as s:
        scores = s.scalars(select(Rating.score).where(Rating.evaluation_id == evaluation_id)).all()
        assert scores == [{"manager": 2, "admin": 5}[winner]]
        assert s.get(Evaluation, evaluation_id).version == 2


def test_peers_chosen_on_a_stale_scorecard_are_refused(db_url, scorecard):
    engine, world, evaluation_id, criterion_id = scorecard
    manager, admin = world.actors["manager_a"], world.actors["admin"]
    a2 = world.members["a2"].id

    def choose(actor, peers):
        def side(s, ready):
            seen = ev.review_form(s, actor, evaluation_id)["version"]
            ready()
            return ev.set_peers(s, actor, evaluation_id, peers, expected_version=seen)
        return side

    def rate(s, ready):
        seen = ev.review_form(s, admin, evaluation_id)["version"]
        ready()
        return ev.rate_many(s, admin, evaluation_id, {criterion_id: (4, None)}, expected_version=seen)

    winner, refusal = race(db_url, {"peers": choose(manager, [a2]), "rate": rate}).one_winner()
    assert refusal.key == "sec.stale_edit"
    with unit_of_work(engine) as s:
        peers = s.scalars(select(PeerReviewer.reviewer_member_id).where(PeerReviewer.evaluation_id == evaluation_id)).all()
        ratings = s.scalars(select(Rating.score).where(Rating.evaluation_id == evaluation_id)).all()
        assert (peers, ratings) == (([a2], []) if winner == "peers" else ([], [4]))


def test_a_stale_scorecard_save_is_refused_and_a_fresh_one_saves(session, world):
    manager = world.actors["manager_a"]
    template_id = ev.create_template(session, manager, world.teams["A"].id, "Monthly", [ev.CriterionInput("Teamwork", "rated", 100)])
    cycle_id = ev.create_cycle(session, manager, world.teams["A"].id, template_id, "May", "month", date(2026, 5, 1))
    evaluation_id = ev.evaluation_members(session, manager, cycle_id)[0]["evaluation_id"]
    form = ev.review_form(session, manager, evaluation_id)
    criterion_id = form["criteria"][0]["id"]
    ev.rate_many(session, manager, evaluation_id, {criterion_id: (3, None)}, expected_version=form["version"])
    with pytest.raises(Conflict) as exc:
        ev.rate_many(session, manager, evaluation_id, {criterion_id: (1, None)}, expected_version=form["version"])
    assert exc.value.key == "sec.stale_edit"
    ev.rate_many(session, manager, evaluation_id, {criterion_id: (1, None)},
                 expected_version=ev.review_form(session, manager, evaluation_id)["version"])
