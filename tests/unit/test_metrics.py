"""Measured metrics on a small hand-built fixture; every expected number is worked out by hand in
the comments. Period: 2024 Q1 (2024-01-01 .. 2024-03-31, both days included)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from core.metrics import MEASURED_METRICS, RecordRef, measure, measure_by_member, measure_value
from db.models import GOAL_METRICS, Complaint, Deal, Interaction, Survey, Task
from tests.factories import make_customer, make_team

START, END = date(2024, 1, 1), date(2024, 3, 31)


@pytest.fixture
def fx(session, world):
    """Records of a1 (Team A1), a2 (Team A1), b1 (Team B) in and around 2024 Q1."""
    m = world.members
    a1, a2, b1 = m["a1"], m["a2"], m["b1"]
    cust_a1 = world.customers["a1"]
    ids: dict[str, list[int]] = {}

    def add(kind, *rows):
        session.add_all(rows)
        session.flush()
        ids.setdefault(kind, []).extend(r.id for r in rows)
        return rows

    # sales_won: a1 = 1000 + 500 = 1500 (700 closes after the period, 300 before, 999 was lost)
    add("deal_a1_in",
        Deal(customer_id=cust_a1.id, owner_id=a1.id, title="d1", value=Decimal("1000"), stage="won", closed_on=date(2024, 1, 15)),
        Deal(customer_id=cust_a1.id, owner_id=a1.id, title="d2", value=Decimal("500"), stage="won", closed_on=date(2024, 3, 31)))
    add("deal_other",
        Deal(customer_id=cust_a1.id, owner_id=a1.id, title="d3", value=Decimal("700"), stage="won", closed_on=date(2024, 4, 1)),
        Deal(customer_id=cust_a1.id, owner_id=a1.id, title="d4", value=Decimal("300"), stage="won", closed_on=date(2023, 12, 31)),
        Deal(customer_id=cust_a1.id, owner_id=a1.id, title="d5", value=Decimal("999"), stage="lost", closed_on=date(2024, 2, 1)),
        Deal(customer_id=cust_a1.id, owner_id=a2.id, title="d6", value=Decimal("200"), stage="won", closed_on=date(2024, 2, 10)),
        Deal(customer_id=cust_a1.id, owner_id=b1.id, title="d7", value=Decimal("5000"), stage="won", closed_on=date(2024, 2, 1)))

    # deals_new: a1 = 2 created in the period (Jan 20, Mar 31 23:00; Apr 1 is out) - the deals above
    # were created today, outside it; pipeline_created: a1 = 4000 + 600 = 4600.
    # win_rate: a1 closed d1 won, d2 won, d5 lost in the period (d3, d4 outside) -> 2/3 = 66.67 %.
    add("deal_a1_created",
        Deal(customer_id=cust_a1.id, owner_id=a1.id, title="n1", value=Decimal("4000"), stage="lead",
             created_at=datetime(2024, 1, 20, 10)),
        Deal(customer_id=cust_a1.id, owner_id=a1.id, title="n2", value=Decimal("600"), stage="proposal",
             created_at=datetime(2024, 3, 31, 23)))
    add("deal_other",
        Deal(customer_id=cust_a1.id, owner_id=a1.id, title="n3", value=Decimal("900"), stage="lead",
             created_at=datetime(2024, 4, 1)))

    # new_customers: a1 = 2 (Jan 10 and Mar 31 23:59; Apr 1 00:00 is out), a2 = 1
    ids["new_a1"] = [make_customer(session, "n1", a1, created_at=datetime(2024, 1, 10, 9)).id,
                     make_customer(session, "n2", a1, created_at=datetime(2024, 3, 31, 23, 59)).id]
    make_customer(session, "n3", a1, created_at=datetime(2024, 4, 1, 0, 0))
    make_customer(session, "n4", a2, created_at=datetime(2024, 2, 1, 12))

    # retention_rate cohort of a1 (created before 2024-01-01, active or churned): r1 active, r2 churned,
    # r3 active -> 2 of 3 retained = 66.67 %; r4 is a prospect (never a customer), not in the cohort.
    cohort = [make_customer(session, n, a1, created_at=datetime(2023, mo, 1), status=st).id
              for n, mo, st in [("r1", 6, "active"), ("r2", 7, "churned"), ("r3", 8, "active")]]
    make_customer(session, "r4", a1, created_at=datetime(2023, 9, 1), status="prospect")
    ids["cohort_a1"] = cohort

    # surveys of a1: csat 5, 4, 2 in the period -> 11/3; nps 10, 9, 9, 7, 3 -> promoters 3/5 = 60 %,
    # detractors 1/5 = 20 % -> NPS 40. The April survey (csat 1, nps 0) is out of the period.
    rows = add("survey_a1",
               Survey(customer_id=cust_a1.id, member_id=a1.id, csat=5, nps=10, responded_at=datetime(2024, 1, 5)),
               Survey(customer_id=cust_a1.id, member_id=a1.id, csat=4, nps=9, responded_at=datetime(2024, 2, 5)),
               Survey(customer_id=cust_a1.id, member_id=a1.id, csat=2, nps=9, responded_at=datetime(2024, 3, 31, 12)),
               Survey(customer_id=cust_a1.id, member_id=a1.id, csat=None, nps=7, responded_at=datetime(2024, 2, 20)),
               Survey(customer_id=cust_a1.id, member_id=a1.id, csat=None, nps=3, responded_at=datetime(2024, 3, 1)))
    ids["csat_a1"] = [r.id for r in rows[:3]]
    add("survey_out", Survey(customer_id=cust_a1.id, member_id=a1.id, csat=1, nps=0, responded_at=datetime(2024, 4, 1)))

    # complaints assigned to a1 opened in the period: first responses after 2 h, 6.5 h, none, 1 h
    # -> 9.5 / 3 = 3.1667 h; resolved before the end of the period: c1 and c4 of 4 -> 50 %.
    rows = add("complaint_a1",
               Complaint(customer_id=cust_a1.id, assignee_id=a1.id, title="c1", opened_at=datetime(2024, 1, 10, 9),
                         first_response_at=datetime(2024, 1, 10, 11), resolved_at=datetime(2024, 1, 11), status="resolved"),
               Complaint(customer_id=cust_a1.id, assignee_id=a1.id, title="c2", opened_at=datetime(2024, 2, 1, 8),
                         first_response_at=datetime(2024, 2, 1, 14, 30), resolved_at=datetime(2024, 4, 5), status="resolved"),
               Complaint(customer_id=cust_a1.id, assignee_id=a1.id, title="c3", opened_at=datetime(2024, 3, 1, 8)),
               Complaint(customer_id=cust_a1.id, assignee_id=a1.id, title="c4", opened_at=datetime(2024, 3, 15, 9),
                         first_response_at=datetime(2024, 3, 15, 10), resolved_at=datetime(2024, 3, 31, 23), status="resolved"))
    ids["responded_a1"] = [rows[0].id, rows[1].id, rows[3].id]
    add("complaint_out",
        Complaint(customer_id=cust_a1.id, assignee_id=a1.id, title="c5", opened_at=datetime(2023, 12, 31, 23),
                  first_response_at=datetime(2024, 1, 1, 1), resolved_at=datetime(2024, 1, 2), status="resolved"))

    # follow_ups_done: a1 = 2 (Jan 1 00:00 and Mar 31 23:59:59 are in; Apr 1 00:00 and Dec 31 are out), a2 = 1
    add("interaction_a1_in",
        Interaction(customer_id=cust_a1.id, member_id=a1.id, channel="phone", summary="x", occurred_at=datetime(2024, 1, 1)),
        Interaction(customer_id=cust_a1.id, member_id=a1.id, channel="email", summary="x", occurred_at=datetime(2024, 3, 31, 23, 59, 59)))
    add("interaction_other",
        Interaction(customer_id=cust_a1.id, member_id=a1.id, channel="phone", summary="x", occurred_at=datetime(2024, 4, 1)),
        Interaction(customer_id=cust_a1.id, member_id=a1.id, channel="phone", summary="x", occurred_at=datetime(2023, 12, 31, 23, 59)),
        Interaction(customer_id=cust_a1.id, member_id=a2.id, channel="visit", summary="x", occurred_at=datetime(2024, 2, 2)))

    # tasks_on_time: a1 = 2 (done on the due day; done before the due date). Late, no due date,
    # completed after the period, and not done do not count.
    team_a1 = world.teams["A1"]
    rows = add("task_a1",
               Task(title="t1", team_id=team_a1.id, assignee_id=a1.id, status="done", due_date=date(2024, 1, 10), completed_at=datetime(2024, 1, 10, 15)),
               Task(title="t2", team_id=team_a1.id, assignee_id=a1.id, status="done", due_date=date(2024, 1, 10), completed_at=datetime(2024, 1, 11, 9)),
               Task(title="t3", team_id=team_a1.id, assignee_id=a1.id, status="done", due_date=None, completed_at=datetime(2024, 2, 1)),
               Task(title="t4", team_id=team_a1.id, assignee_id=a1.id, status="done", due_date=date(2024, 5, 1), completed_at=datetime(2024, 4, 1)),
               Task(title="t5", team_id=team_a1.id, assignee_id=a1.id, status="done", due_date=date(2024, 3, 5), completed_at=datetime(2024, 3, 1)),
               Task(title="t6", team_id=team_a1.id, assignee_id=a1.id, status="in_progress", due_date=date(2024, 3, 5)))
    ids["on_time_a1"] = [rows[0].id, rows[4].id]
    session.commit()
    return ids


def value(session, metric, **who):
    return measure_value(session, metric, start=START, end=END, **who)


# hand-computed values for a1 (see the fixture comments)
A1_EXPECTED = {
    "sales_won": 1500.0,
    "new_customers": 2.0,
    "csat_avg": 11 / 3,
    "nps": 40.0,
    "retention_rate": 200 / 3,
    "first_response_hours": 9.5 / 3,
    "resolution_rate": 50.0,
    "follow_ups_done": 2.0,
    "tasks_on_time": 2.0,
    "deals_new": 2.0,
    "win_rate": 200 / 3,
    "pipeline_created": 4600.0,
}


def test_every_measured_metric_has_a_hand_computed_case():
    from core.calls import CALL_METRICS  # hand-computed in tests/unit/test_calls.py, one test each

    assert set(A1_EXPECTED) | set(CALL_METRICS) == set(GOAL_METRICS) - {"manual"} == set(MEASURED_METRICS)


@pytest.mark.parametrize("metric", sorted(A1_EXPECTED))
def test_each_metric_for_one_member_matches_the_hand_computed_value(session, world, fx, metric):
    assert value(session, metric, member_ids=[world.members["a1"].id]) == pytest.approx(A1_EXPECTED[metric])


@pytest.mark.parametrize("metric", sorted(A1_EXPECTED))
def test_measure_and_measure_value_agree(session, world, fx, metric):
    result = measure(session, metric, member_ids=[world.members["a1"].id], start=START, end=END)
    assert result.value == pytest.approx(A1_EXPECTED[metric])


@pytest.mark.parametrize("metric,kind,key", [
    ("sales_won", "deal", "deal_a1_in"),
    ("csat_avg", "survey", "csat_a1"),
    ("nps", "survey", "survey_a1"),
    ("retention_rate", "customer", "cohort_a1"),
    ("first_response_hours", "complaint", "responded_a1"),
    ("resolution_rate", "complaint", "complaint_a1"),
    ("follow_ups_done", "interaction", "interaction_a1_in"),
    ("tasks_on_time", "task", "on_time_a1"),
    ("new_customers", "customer", "new_a1"),
])
def test_measure_lists_exactly_the_rows_the_value_came_from(session, world, fx, metric, kind, key):
    result = measure(session, metric, member_ids=[world.members["a1"].id], start=START, end=END)
    assert result.records == tuple(RecordRef(kind, i) for i in sorted(fx[key]))


def test_new_customers_excludes_one_created_at_midnight_after_the_period(session, world, fx):
    # n3 was created 2024-04-01 00:00: a one-day-longer period counts it
    assert measure_value(session, "new_customers", member_ids=[world.members["a1"].id], start=START, end=date(2024, 4, 1)) == 3.0


def test_a_team_measures_its_members_and_its_sub_teams_members(session, world, fx):
    # Team A = lead_a (nothing) + sub-team A1: a1 (1500) and a2 (200)
    assert value(session, "sales_won", team_ids=[world.teams["A"].id]) == 1700.0
    assert value(session, "follow_ups_done", team_ids=[world.teams["A"].id]) == 3.0
    assert value(session, "new_customers", team_ids=[world.teams["A1"].id]) == 3.0
    assert value(session, "sales_won", team_ids=[world.teams["B"].id]) == 5000.0


def test_member_ids_and_team_ids_together_measure_the_union(session, world, fx):
    assert value(session, "sales_won", member_ids=[world.members["b1"].id], team_ids=[world.teams["A1"].id]) == 6700.0


@pytest.mark.parametrize("metric", ["csat_avg", "nps", "retention_rate", "first_response_hours", "resolution_rate"])
def test_an_average_or_rate_without_data_is_none_not_zero(session, world, fx, metric):
    assert value(session, metric, member_ids=[world.members["a2"].id]) is None


@pytest.mark.parametrize("metric", ["sales_won", "new_customers", "follow_ups_done", "tasks_on_time"])
def test_a_sum_or_count_with_nothing_done_is_a_real_zero(session, world, fx, metric):
    assert value(session, metric, member_ids=[world.members["lead_a"].id]) == 0.0


@pytest.mark.parametrize("metric", sorted(A1_EXPECTED))
def test_a_team_without_members_has_no_data(session, world, fx, metric):
    empty = make_team(session, "Empty team")
    session.commit()
    assert value(session, metric, team_ids=[empty.id]) is None
    assert measure(session, metric, team_ids=[empty.id], start=START, end=END).records == ()


def test_measure_by_member_gives_every_member_a_value_in_one_call(session, world, fx):
    a1, a2, b1 = (world.members[k].id for k in ("a1", "a2", "b1"))
    assert measure_by_member(session, "follow_ups_done", [a1, a2, b1], START, END) == {a1: 2.0, a2: 1.0, b1: 0.0}
    assert measure_by_member(session, "sales_won", [a1, a2, b1], START, END) == {a1: 1500.0, a2: 200.0, b1: 5000.0}
    by_member = measure_by_member(session, "csat_avg", [a1, a2], START, END)
    assert by_member[a1] == pytest.approx(11 / 3) and by_member[a2] is None


@pytest.mark.parametrize("metric", sorted(A1_EXPECTED))
def test_measure_by_member_agrees_with_measure_value(session, world, fx, metric):
    a1 = world.members["a1"].id
    assert measure_by_member(session, metric, [a1], START, END)[a1] == pytest.approx(A1_EXPECTED[metric])


def test_manual_and_unknown_metrics_are_refused(session, world):
    with pytest.raises(ValueError):
        measure_value(session, "manual", member_ids=[world.members["a1"].id], start=START, end=END)
    with pytest.raises(ValueError):
        measure(session, "revenue", member_ids=[world.members["a1"].id], start=START, end=END)


def test_a_period_ending_before_it_starts_is_refused(session, world):
    with pytest.raises(ValueError):
        measure_value(session, "sales_won", member_ids=[world.members["a1"].id], start=END, end=START)


def test_measuring_nobody_is_a_programming_error(session, world):
    with pytest.raises(ValueError):
        measure_value(session, "sales_won", start=START, end=END)
