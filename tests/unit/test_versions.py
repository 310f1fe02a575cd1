"""Stale edits are refused: two simultaneous customer edits, one wins and one is told, on both
databases (each side its own engine, as two app servers); goals, complaints and evaluations carry
versions too."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import customers, goals, service, versions
from core.errors import Conflict
from db.engine import make_engine
from db.models import AuditLog, Complaint, Customer, Goal
from db.session import unit_of_work
from tests.concurrency import race
from tests.factories import build_world


def test_two_simultaneous_customer_edits_one_is_refused(db_url):
    setup = make_engine(db_url)
    with unit_of_work(setup) as s:
        world = build_world(s)
        customer_id = world.customers["a1"].id
        manager = world.actors["manager_a"]
    def edit(name: str):
        def side(s, ready):
            seen = customers.get_customer(s, manager, customer_id).info
            ready()  # both editors opened the same version
            customers.update_customer(s, manager, customer_id, {"notes": f"edited by {name}"},
                                      {"notes": seen.get("notes"), "version": seen["version"]})
            return "saved"
        return side

    winner, refusal = race(db_url, {name: edit(name) for name in ("first", "second")}).one_winner(lambda r: r == "saved")
    assert refusal.key == "sec.stale_edit"
    with unit_of_work(setup) as s:
        customer = s.get(Customer, customer_id)
        assert customer.notes == f"edited by {winner}" and customer.version == 2
        updates = s.scalars(select(AuditLog).where(AuditLog.action == "customer.update", AuditLog.entity_id == customer_id)).all()
        assert len(updates) == 1  # the refused edit left nothing behind
    setup.dispose()


def test_an_edit_based_on_an_old_version_is_refused(session, world):
    manager = world.actors["manager_a"]
    cid = world.customers["a1"].id
    customers.update_customer(session, manager, cid, {"notes": "first"}, {"version": 1})
    with pytest.raises(Conflict) as exc:
        customers.update_customer(session, manager, cid, {"notes": "second"}, {"version": 1})
    assert exc.value.key == "sec.stale_edit"
    assert session.get(Customer, cid).notes == "first"


def test_goal_and_complaint_edits_claim_their_version(session, world):
    manager = world.actors["manager_a"]
    goal = world.goals["a1"]
    with pytest.raises(Conflict):
        goals.archive_goal(session, manager, goal.id, expected_version=goal.version + 5)
    goals.archive_goal(session, manager, goal.id, expected_version=goal.version)
    assert session.get(Goal, goal.id).version == 2
    complaint = Complaint(customer_id=world.customers["a1"].id, title="Late delivery", team_id=world.customers["a1"].team_id)
    session.add(complaint)
    session.flush()
    service.respond_to_complaint(session, manager, complaint.id, expected_version=1)
    with pytest.raises(Conflict):
        service.resolve_complaint(session, manager, complaint.id, note="Fixed", expected_version=1)
    service.resolve_complaint(session, manager, complaint.id, note="Fixed", expected_version=2)
    assert session.get(Complaint, complaint.id).status == "resolved"


def test_a_malformed_version_is_a_stale_edit_not_a_crash(session, world):
    with pytest.raises(Conflict):
        versions.claim(session, world.customers["a1"], "not-a-number")
