"""Complaints, service targets, breaches, escalation and the service reports.

Breach rule under test: a target of T seconds is met when the clock stops (or `now` is) at most T
seconds after opening; exactly T is on time, T + 1 s is a breach.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import service
from core.errors import Conflict, InvalidInput, PermissionDenied
from db.models import AuditLog, Complaint, Notification

T0 = datetime(2025, 1, 6, 9, 0, 0)  # a Monday


def log(session, world, who="admin", customer="a1", severity="medium", opened_at=T0, **kw):
    cid = service.log_complaint(
        session, world.actors[who], customer_id=world.customers[customer].id, severity=severity,
        title=kw.pop("title", f"Problem of {customer}"), opened_at=opened_at, **kw,
    )
    session.flush()
    return cid


# ---------------------------------------------------------------------------------------------
# Logging, suggestion, audit
# ---------------------------------------------------------------------------------------------
def test_the_suggested_assignee_is_the_customers_owner_and_their_team(session, world):
    s = service.suggest_assignee(session, world.actors["manager_a"], world.customers["a1"].id)
    assert (s["assignee_id"], s["team_id"]) == (world.members["a1"].id, world.teams["A1"].id)


def test_a_customer_without_owner_suggests_its_team_leader(session, world):
    from tests.factories import make_customer

    orphan = make_customer(session, "Orphan", None, team=world.teams["A"])
    s = service.suggest_assignee(session, world.actors["manager_a"], orphan.id)
    assert s["assignee_id"] == world.members["lead_a"].id


def test_logging_a_complaint_assigns_the_owner_opens_it_and_writes_the_audit_log(session, world):
    cid = log(session, world, who="member_a1")
    c = session.get(Complaint, cid)
    assert (c.assignee_id, c.team_id, c.status, c.created_by) == (
        world.members["a1"].id, world.teams["A1"].id, "open", world.users["member_a1"].id)
    assert session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity == "complaint", AuditLog.entity_id == cid, AuditLog.action == "complaint.log")) == 1


def test_a_member_cannot_log_a_complaint_on_someone_elses_customer(session, world):
    with pytest.raises(PermissionDenied):
        log(session, world, who="member_a1", customer="b1")


def test_a_member_cannot_assign_a_complaint_to_a_colleague(session, world):
    with pytest.raises(PermissionDenied):
        log(session, world, who="member_a1", assignee_id=world.members["a2"].id)


def test_a_complaint_needs_a_title_and_a_known_severity(session, world):
    with pytest.raises(InvalidInput) as info:
        service.log_complaint(session, world.actors["admin"], customer_id=world.customers["a1"].id,
                              severity="urgent", title="  ")
    assert {e.column for e in info.value.errors} == {"title", "severity"}


# ---------------------------------------------------------------------------------------------
# Response and resolution times
# ---------------------------------------------------------------------------------------------
def test_response_and_resolution_times_are_measured_from_opening(session, world):
    cid = log(session, world)
    service.respond_to_complaint(session, world.actors["member_a1"], cid, at=T0 + timedelta(hours=1, minutes=30))
    service.resolve_complaint(session, world.actors["member_a1"], cid, note="Fixed", at=T0 + timedelta(hours=24))
    row = service.get_complaint(session, world.actors["admin"], cid, now=T0 + timedelta(days=5))
    assert row["response_hours"] == 1.5
    assert row["resolution_hours"] == 24.0
    assert row["status"] == "resolved"
    # medium: 8 h to respond, 72 h to resolve -> both met
    assert (row["response_breached"], row["resolution_breached"]) == (False, False)


def test_resolving_without_a_response_counts_as_the_first_response(session, world):
    cid = log(session, world)
    service.resolve_complaint(session, world.actors["admin"], cid, note="Fixed", at=T0 + timedelta(hours=2))
    c = session.get(Complaint, cid)
    assert c.first_response_at == T0 + timedelta(hours=2)


def test_a_second_response_is_refused(session, world):
    cid = log(session, world)
    service.respond_to_complaint(session, world.actors["admin"], cid, at=T0 + timedelta(minutes=5))
    with pytest.raises(Conflict):
        service.respond_to_complaint(session, world.actors["admin"], cid, at=T0 + timedelta(minutes=6))


def test_a_response_before_the_complaint_was_opened_is_refused(session, world):
    cid = log(session, world)
    with pytest.raises(InvalidInput):
        service.respond_to_complaint(session, world.actors["admin"], cid, at=T0 - timedelta(seconds=1))


# ---------------------------------------------------------------------------------------------
# Breaches at the boundaries
# ---------------------------------------------------------------------------------------------
CRITICAL = service.Target(3600, 8 * 3600, "default")


@pytest.mark.parametrize("seconds,breached", [(3599, False), (3600, False), (3601, True)])
def test_a_response_exactly_at_the_target_is_on_time_and_one_second_later_is_a_breach(seconds, breached):
    tm = service.timing(T0, T0 + timedelta(seconds=seconds), None, CRITICAL, now=T0 + timedelta(days=1))
    assert tm.response_breached is breached
    assert tm.resolution_breached is True  # still open a day later: 24 h > 8 h


@pytest.mark.parametrize("seconds,breached", [(3600, False), (3601, True)])
def test_a_waiting_complaint_breaches_one_second_after_the_target(seconds, breached):
    tm = service.timing(T0, None, None, CRITICAL, now=T0 + timedelta(seconds=seconds))
    assert tm.response_breached is breached
    assert tm.response_left == 3600 - seconds


@pytest.mark.parametrize("seconds,breached", [(8 * 3600, False), (8 * 3600 + 1, True)])
def test_resolution_exactly_at_the_target_is_on_time(seconds, breached):
    tm = service.timing(T0, T0 + timedelta(minutes=1), T0 + timedelta(seconds=seconds), CRITICAL, now=T0 + timedelta(days=3))
    assert tm.resolution_breached is breached
    assert tm.response_breached is False


def test_default_targets_apply_when_a_team_has_none(session, world):
    book = service.TargetBook(session)
    assert book.get(world.teams["B"].id, "critical") == service.Target(3600, 8 * 3600, "default")
    assert book.get(world.teams["B"].id, "low") == service.Target(24 * 3600, 168 * 3600, "default")


def test_a_team_target_overrides_the_default_and_sub_teams_inherit_it(session, world):
    service.set_service_target(session, world.actors["manager_a"], world.teams["A"].id, "high", 60, 600)
    book = service.TargetBook(session)
    assert book.get(world.teams["A"].id, "high") == service.Target(60, 600, "team")
    assert book.get(world.teams["A1"].id, "high") == service.Target(60, 600, "inherited")
    assert book.get(world.teams["A1"].id, "medium").source == "default"


def test_a_manager_cannot_set_another_teams_targets(session, world):
    with pytest.raises(PermissionDenied):
        service.set_service_target(session, world.actors["manager_a"], world.teams["B"].id, "high", 60, 600)


def test_a_resolution_target_shorter_than_the_response_target_is_refused(session, world):
    with pytest.raises(InvalidInput):
        service.set_service_target(session, world.actors["admin"], world.teams["B"].id, "high", 600, 60)


def test_the_list_flags_a_breach_against_the_teams_own_target(session, world):
    service.set_service_target(session, world.actors["admin"], world.teams["A1"].id, "high", 5, 50)
    cid = log(session, world, severity="high")
    on_time = service.list_complaints(session, world.actors["manager_a"], now=T0 + timedelta(seconds=5)).rows
    late = service.list_complaints(session, world.actors["manager_a"], now=T0 + timedelta(seconds=6)).rows
    assert [(r["id"], r["response_breached"]) for r in on_time] == [(cid, False)]
    assert [(r["id"], r["response_breached"]) for r in late] == [(cid, True)]
    only = service.list_complaints(session, world.actors["manager_a"], now=T0 + timedelta(seconds=6), breached_only=True)
    assert only.total == 1


# ---------------------------------------------------------------------------------------------
# Escalation
# ---------------------------------------------------------------------------------------------
def test_a_breach_notifies_the_manager_of_the_assignees_team_or_nearest_ancestor(session, world):
    log(session, world, severity="critical")  # a1 in Team A1 (no manager) -> Team A -> manager_a
    created = service.escalate_breaches(session, now=T0 + timedelta(seconds=3601))
    notes = set(session.execute(select(Notification.user_id, Notification.kind)).all())
    # the owner's warning (level 0, at 80 % of the target) and the team lead at the breach
    assert created == 2
    assert notes == {(world.users["member_a1"].id, service.WARN_RESPONSE), (world.users["manager_a"].id, service.NOTIFY_RESPONSE)}


def test_escalation_is_idempotent(session, world):
    log(session, world, severity="critical")
    now = T0 + timedelta(hours=2)
    assert service.escalate_breaches(session, now) == 2  # the owner's response warning, the lead
    assert service.escalate_breaches(session, now) == 0
    session.commit()
    assert service.escalate_breaches(session, now + timedelta(minutes=1)) == 0
    assert session.scalar(select(func.count()).select_from(Notification)) == 2


def test_a_later_resolution_breach_adds_its_own_notification(session, world):
    log(session, world, severity="critical")
    service.escalate_breaches(session, T0 + timedelta(hours=2))
    assert service.escalate_breaches(session, T0 + timedelta(hours=9)) == 2  # resolution: owner warning, lead
    kinds = set(session.scalars(select(Notification.kind).where(Notification.user_id == world.users["manager_a"].id)))
    assert kinds == {service.NOTIFY_RESPONSE, service.NOTIFY_RESOLUTION}


def test_no_notification_before_the_target_passes(session, world):
    log(session, world, severity="critical")
    service.escalate_breaches(session, T0 + timedelta(seconds=3600))
    assert session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == world.users["manager_a"].id)) == 0


def test_the_members_own_manager_link_comes_before_the_team_manager(session, world):
    world.members["a1"].manager_id = world.members["b1"].id  # b1 is linked to user member_b1
    session.flush()
    assert service.manager_user_for(session, world.members["a1"].id) == world.users["member_b1"].id


def test_a_team_manager_assigned_a_complaint_escalates_to_the_next_manager_up(session, world):
    from tests.factories import make_team, make_user

    boss = make_user(session, "boss", "manager")
    world.teams["A"].parent_id = make_team(session, "Org", manager=boss).id
    session.flush()
    assert service.manager_user_for(session, world.members["lead_a"].id) == boss.id


def test_notifications_list_only_the_actors_own_and_can_be_marked_read(session, world):
    log(session, world, severity="critical")
    service.escalate_breaches(session, T0 + timedelta(hours=2))
    mine = service.list_notifications(session, world.actors["manager_a"])
    assert mine["unread"] == 1 and len(mine["items"]) == 1  # the lead level; the warnings went to the owner
    assert service.list_notifications(session, world.actors["manager_b"])["unread"] == 0
    assert service.mark_notifications_read(session, world.actors["manager_a"]) == 1
    assert service.list_notifications(session, world.actors["manager_a"])["unread"] == 0


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------
def _report_world(session, world):
    """a1: three complaints (responses after 1 h and 3 h, one unanswered; two resolved);
    a2: one complaint answered after 2 h and resolved. All medium (8 h / 72 h)."""
    a2 = world.members["a2"].id
    c1 = log(session, world, opened_at=T0)
    c2 = log(session, world, opened_at=T0 + timedelta(days=1))
    log(session, world, opened_at=T0 + timedelta(days=2))  # never answered
    c4 = log(session, world, opened_at=T0 + timedelta(days=3), assignee_id=a2)
    admin = world.actors["admin"]
    service.respond_to_complaint(session, admin, c1, at=T0 + timedelta(hours=1))
    service.resolve_complaint(session, admin, c1, note="Fixed", at=T0 + timedelta(hours=5))
    service.respond_to_complaint(session, admin, c2, at=T0 + timedelta(days=1, hours=3))
    service.resolve_complaint(session, admin, c2, note="Fixed", at=T0 + timedelta(days=1, hours=80))  # 80 h > 72 h
    service.respond_to_complaint(session, admin, c4, at=T0 + timedelta(days=3, hours=2))
    service.resolve_complaint(session, admin, c4, note="Fixed", at=T0 + timedelta(days=3, hours=4))


def test_the_report_by_member_has_hand_computed_response_times_and_resolution_rates(session, world):
    _report_world(session, world)
    now = T0 + timedelta(days=10)
    report = service.service_report(session, world.actors["manager_a"], start=date(2025, 1, 1), end=date(2025, 1, 31),
                                    group="member", now=now)
    rows = {r["group"]: r for r in report.to_dict("records")}
    a1, a2 = rows["Alice A1"], rows["Aaron A2"]
    assert (a1["complaints"], a1["responded"], a1["resolved"]) == (3, 2, 2)
    assert a1["avg_response_hours"] == pytest.approx(2.0)  # (1 + 3) / 2
    assert a1["resolution_rate"] == pytest.approx(200 / 3)  # 2 of 3, in %
    # unanswered complaint breaches both targets by day 10; c2 resolved after 80 h breaches resolution
    assert (a1["response_breaches"], a1["resolution_breaches"]) == (1, 2)
    assert a2["avg_response_hours"] == pytest.approx(2.0)
    assert (a2["resolution_rate"], a2["response_breaches"]) == (100.0, 0)


def test_the_report_by_team_and_by_period(session, world):
    _report_world(session, world)
    now = T0 + timedelta(days=10)
    by_team = service.service_report(session, world.actors["admin"], start=date(2025, 1, 1), end=date(2025, 1, 31),
                                     group="team", now=now)
    teams = {r["group"]: r for r in by_team.to_dict("records")}
    assert set(teams) == {"Team A", "Team A1"}  # Team A counts its sub-team A1; Team B had none
    assert teams["Team A1"]["resolution_rate"] == 75.0  # 3 of 4
    assert teams["Team A1"]["avg_response_hours"] == pytest.approx(2.0)  # (1 + 3 + 2) / 3
    assert teams["Team A"]["complaints"] == 4
    by_month = service.service_report(session, world.actors["admin"], start=date(2025, 1, 1), end=date(2025, 1, 31),
                                      group="period", now=now)
    assert by_month["group"].tolist() == ["2025-01"]
    # inclusive dates: only c1 and c2 (opened 6-7 Jan); c2 was resolved on 10 Jan, after the
    # period, so only c1 counts as resolved in it
    part = service.service_report(session, world.actors["admin"], start=date(2025, 1, 6), end=date(2025, 1, 7),
                                  group="period", period="week", now=now)
    (row,) = part.to_dict("records")
    assert row["avg_response_hours"] == pytest.approx(2.0)  # (1 + 3) / 2
    assert row["avg_response_business_hours"] == pytest.approx(2.0)  # no calendar: round the clock
    assert {k: v for k, v in row.items() if k not in ("avg_response_hours", "avg_response_business_hours")} == {
        "group": "2025-01-06", "complaints": 2, "responded": 2, "resolved": 1,
        "resolution_rate": 50.0, "response_breaches": 0, "resolution_breaches": 1,
    }


def test_breaches_lists_the_breached_complaints_only(session, world):
    _report_world(session, world)
    frame = service.breaches(session, world.actors["admin"], start=date(2025, 1, 1), end=date(2025, 1, 31),
                             now=T0 + timedelta(days=10))
    assert sorted(frame["title"].tolist()) == ["Problem of a1", "Problem of a1"]
    assert len(frame) == 2


def test_a_member_sees_a_report_of_their_own_complaints_only(session, world):
    _report_world(session, world)
    report = service.service_report(session, world.actors["member_a1"], start=date(2025, 1, 1), end=date(2025, 1, 31),
                                    group="member", now=T0 + timedelta(days=10))
    assert report["group"].tolist() == ["Alice A1"]


def test_the_charts_have_titles_and_axis_units(session, world):
    _report_world(session, world)
    report = service.service_report(session, world.actors["admin"], start=date(2025, 1, 1), end=date(2025, 1, 31),
                                    group="member", now=T0 + timedelta(days=10))
    chart = service.response_time_chart(report, "member", "en").to_dict()
    assert chart["title"] == "Average first response time"
    assert chart["encoding"]["y"]["title"] == "Hours"
    rate = service.resolution_rate_chart(report, "member", "zh").to_dict()
    assert rate["encoding"]["y"]["title"] == "百分比 (%)"


# ---------------------------------------------------------------------------------------------
# Visibility
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def visibility(session, world):
    """on_a1: a1's customer, assigned a1. on_b1: b1's customer, assigned b1.
    b1_for_a1: b1's customer, assigned to a1 (e.g. a product expert)."""
    return {
        "on_a1": log(session, world, customer="a1", title="on_a1"),
        "on_b1": log(session, world, customer="b1", title="on_b1"),
        "b1_for_a1": log(session, world, customer="b1", title="b1_for_a1", assignee_id=world.members["a1"].id),
    }


@pytest.mark.parametrize("who,expected", [
    ("member_a1", {"on_a1", "b1_for_a1"}),  # own customer, and assigned to them
    ("member_b1", {"on_b1", "b1_for_a1"}),  # own customers
    ("manager_a", {"on_a1", "b1_for_a1"}),  # Team A subtree's customers and assignees
    ("manager_b", {"on_b1", "b1_for_a1"}),  # Team B's customers
    ("admin", {"on_a1", "on_b1", "b1_for_a1"}),
])
def test_each_role_sees_the_complaints_in_its_scope(session, world, visibility, who, expected):
    rows = service.list_complaints(session, world.actors[who], now=T0).rows
    assert {r["title"] for r in rows} == expected


def test_a_member_cannot_open_a_complaint_outside_their_scope(session, world, visibility):
    with pytest.raises(PermissionDenied):
        service.get_complaint(session, world.actors["member_b1"], visibility["on_a1"])


def test_a_member_can_respond_to_a_complaint_assigned_to_them(session, world, visibility):
    service.respond_to_complaint(session, world.actors["member_a1"], visibility["b1_for_a1"], at=T0 + timedelta(minutes=3))
    assert session.get(Complaint, visibility["b1_for_a1"]).status == "responded"


def test_a_member_cannot_resolve_someone_elses_complaint(session, world, visibility):
    with pytest.raises(PermissionDenied):
        service.resolve_complaint(session, world.actors["member_a1"], visibility["on_b1"], note="Fixed", at=T0 + timedelta(minutes=3))
