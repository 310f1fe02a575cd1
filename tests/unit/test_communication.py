"""Communication log, follow-up cadence and the due/overdue lists (hand-checked dates)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core import communication
from core.errors import InvalidInput, NotFound, PermissionDenied
from db.models import Customer
from tests.factories import make_customer


def test_default_cadence_is_weekly_monthly_quarterly(session, world):
    assert communication.cadence_for(session, world.teams["A"].id) == {"A": 7, "B": 30, "C": 90}


def test_a_team_cadence_is_inherited_by_its_sub_teams_tier_by_tier(session, world):
    communication.set_cadence(session, world.actors["manager_a"], world.teams["A"].id, {"A": 5})
    session.commit()
    assert communication.cadence_for(session, world.teams["A1"].id) == {"A": 5, "B": 30, "C": 90}
    assert communication.cadence_for(session, world.teams["B"].id) == {"A": 7, "B": 30, "C": 90}


def test_cadence_must_be_positive_and_in_scope(session, world):
    with pytest.raises(InvalidInput):
        communication.set_cadence(session, world.actors["manager_a"], world.teams["A"].id, {"B": 0})
    with pytest.raises(PermissionDenied):
        communication.set_cadence(session, world.actors["manager_a"], world.teams["B"].id, {"B": 10})


def test_next_follow_up_is_last_contact_plus_the_tier_cadence():
    assert communication.next_follow_up_date(datetime(2025, 1, 30, 15, 0), "B") == date(2025, 3, 1)
    assert communication.next_follow_up_date(date(2025, 1, 1), "A") == date(2025, 1, 8)
    assert communication.next_follow_up_date(date(2025, 1, 1), "C", {"A": 7, "B": 30, "C": 60}) == date(2025, 3, 2)


def test_logging_a_contact_updates_last_contact_and_next_follow_up(session, world):
    cid = world.customers["a1"].id
    when = datetime(2025, 2, 1, 10, 0)
    communication.log_interaction(session, world.actors["member_a1"], cid, "phone", "Called about renewal", occurred_at=when)
    session.commit()
    customer = session.get(Customer, cid)
    assert customer.last_contact_at == when
    assert customer.next_follow_up == date(2025, 3, 3)  # tier B: 30 days


def test_an_explicit_follow_up_date_wins(session, world):
    cid = world.customers["a1"].id
    communication.log_interaction(session, world.actors["member_a1"], cid, "visit", "Visited", next_follow_up=date.today() + timedelta(days=3))
    session.commit()
    assert session.get(Customer, cid).next_follow_up == date.today() + timedelta(days=3)


def test_a_late_logged_older_contact_does_not_move_last_contact_backwards(session, world):
    cid = world.customers["a1"].id
    communication.log_interaction(session, world.actors["manager_a"], cid, "email", "Recent", occurred_at=datetime(2025, 3, 1, 9))
    communication.log_interaction(session, world.actors["manager_a"], cid, "email", "Old one", occurred_at=datetime(2025, 1, 1, 9))
    session.commit()
    customer = session.get(Customer, cid)
    assert customer.last_contact_at == datetime(2025, 3, 1, 9) and customer.next_follow_up == date(2025, 3, 31)


def test_invalid_contacts_are_refused_field_by_field(session, world):
    cid = world.customers["a1"].id
    with pytest.raises(InvalidInput) as caught:
        communication.log_interaction(session, world.actors["member_a1"], cid, "pigeon", " ",
                                      occurred_at=datetime(2025, 1, 10), next_follow_up=date(2025, 1, 5))
    assert {e.column for e in caught.value.errors} == {"channel", "summary", "next_follow_up"}
    with pytest.raises(InvalidInput) as caught:
        communication.log_interaction(session, world.actors["member_a1"], cid, "phone", "x", occurred_at=datetime.now() + timedelta(days=2))
    assert caught.value.errors[0].key == "comm.future_contact"


def test_members_log_only_on_their_own_customers_and_managers_only_in_scope(session, world):
    with pytest.raises(NotFound):
        communication.log_interaction(session, world.actors["member_a1"], world.customers["a2"].id, "phone", "x")
    with pytest.raises(NotFound):
        communication.log_interaction(session, world.actors["manager_a"], world.customers["b1"].id, "phone", "x")


@pytest.fixture
def dated(session, world):
    today = date(2025, 6, 10)
    a1, a2 = world.members["a1"], world.members["a2"]
    make_customer(session, "Three days late", a1, next_follow_up=today - timedelta(days=3), tier="A")
    make_customer(session, "Due today", a1, next_follow_up=today)
    make_customer(session, "In two days", a1, next_follow_up=today + timedelta(days=2))
    make_customer(session, "In ten days", a1, next_follow_up=today + timedelta(days=10))
    make_customer(session, "Churned and late", a1, next_follow_up=today - timedelta(days=9), status="churned")
    make_customer(session, "a2 late", a2, next_follow_up=today - timedelta(days=1))
    make_customer(session, "b1 late", world.members["b1"], next_follow_up=today - timedelta(days=1))
    session.commit()
    return today


def test_due_list_shows_overdue_then_due_today_for_the_member(session, world, dated):
    result = communication.due_follow_ups(session, world.actors["member_a1"], today=dated)
    assert list(result.rows["name"]) == ["Three days late", "Due today"]
    assert list(result.rows["days_overdue"]) == [3, 0]
    assert list(result.rows["state"]) == ["overdue", "due_today"]
    assert (result.total, result.overdue, result.due_today) == (2, 1, 1)


def test_a_horizon_adds_upcoming_follow_ups(session, world, dated):
    result = communication.due_follow_ups(session, world.actors["member_a1"], today=dated, horizon_days=7)
    assert list(result.rows["name"]) == ["Three days late", "Due today", "In two days"]
    assert result.rows["state"].iloc[-1] == "upcoming"


def test_the_manager_roll_up_counts_per_owner_in_scope(session, world, dated):
    frame = communication.follow_up_rollup(session, world.actors["manager_a"], today=dated)
    rows = {r["owner"]: (r["overdue"], r["due_today"], r["due_this_week"]) for r in frame.to_dict("records")}
    assert rows == {"Alice A1": (1, 1, 1), "Aaron A2": (1, 0, 0)}
    manager_list = communication.due_follow_ups(session, world.actors["manager_a"], today=dated)
    assert "b1 late" not in set(manager_list.rows["name"])
    assert manager_list.overdue == 2


def test_follow_up_state_boundaries():
    today = date(2025, 6, 10)
    assert communication.follow_up_state(date(2025, 6, 9), today) == "overdue"
    assert communication.follow_up_state(today, today) == "due_today"
    assert communication.follow_up_state(date(2025, 6, 11), today) == "upcoming"
    assert communication.follow_up_state(None, today) is None
