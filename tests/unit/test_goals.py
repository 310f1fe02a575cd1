"""Goals: pace, forecast and status, decomposition sums, SMART check, check-in permissions,
progress from check-ins and records. Expected numbers are worked out by hand in the comments."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core import goals
from core.errors import InvalidInput, PermissionDenied
from core.goals import AT_RISK, NO_DATA, NOT_STARTED, OFF_TRACK, ON_TRACK, GoalDraft, evaluate
from db.models import AuditLog, CheckIn, Deal, Goal, Task
from tests.factories import make_goal

Q1 = (date(2024, 1, 1), date(2024, 3, 31))  # 91 days (2024 is a leap year)


# --- pace, forecast, status ------------------------------------------------------------------
@pytest.mark.parametrize("actual,forecast,status", [
    (45000, 91000.0, ON_TRACK),          # 45000 / (45/91) = 91000 -> 101 % of 90000
    (40000, 40000 * 91 / 45, AT_RISK),   # 80889 -> 89.9 %
    (30000, 30000 * 91 / 45, OFF_TRACK),  # 60667 -> 67.4 %
])
def test_a_cumulative_goal_forecasts_the_rate_so_far_to_the_end(actual, forecast, status):
    # Feb 14 is day 45 of 91 (31 days of January + 14)
    p = evaluate("sales_won", 0, 90000, *Q1, date(2024, 2, 14), actual)
    assert p.elapsed == pytest.approx(45 / 91)
    assert p.expected == pytest.approx(90000 * 45 / 91)  # 44505.49 on the pace line
    assert p.forecast == pytest.approx(forecast)
    assert p.status == status
    assert p.percent == pytest.approx(actual / 90000 * 100)


def test_a_cumulative_measured_goal_starts_from_zero_whatever_the_baseline():
    p = evaluate("follow_ups_done", 50, 100, *Q1, date(2024, 2, 14), 50)
    assert p.start_value == 0 and p.attainment == pytest.approx(0.5)


def test_a_manual_goal_moves_from_its_baseline_to_its_target():
    # 10 days, day 5: elapsed 0.5; 60 reached from 10 -> forecast 10 + 50 / 0.5 = 110 = target
    p = evaluate("manual", 10, 110, date(2024, 1, 1), date(2024, 1, 10), date(2024, 1, 5), 60)
    assert p.expected == pytest.approx(60)
    assert p.forecast == pytest.approx(110)
    assert p.attainment == pytest.approx(0.5)
    assert p.status == ON_TRACK


@pytest.mark.parametrize("actual,attainment,status", [(4.6, 1.2, ON_TRACK), (4.4, 0.8, AT_RISK), (4.2, 0.4, OFF_TRACK)])
def test_a_level_goal_keeps_its_current_level_as_the_forecast(actual, attainment, status):
    # CSAT from 4.0 to 4.5: (actual - 4.0) / 0.5
    p = evaluate("csat_avg", 4.0, 4.5, *Q1, date(2024, 2, 1), actual)
    assert p.forecast == actual
    assert p.forecast_attainment == pytest.approx(attainment)
    assert p.status == status


@pytest.mark.parametrize("actual,status", [(3.0, ON_TRACK), (5.0, AT_RISK), (8.0, OFF_TRACK)])
def test_a_lower_is_better_goal_is_on_track_when_below_target(actual, status):
    # first response from 10 h to 4 h: 5 h -> (5 - 10) / (4 - 10) = 0.83 at risk; 8 h -> 0.33
    assert evaluate("first_response_hours", 10, 4, *Q1, date(2024, 2, 1), actual).status == status


def test_before_the_start_a_goal_is_not_started_and_without_data_has_no_status():
    assert evaluate("sales_won", 0, 100, *Q1, date(2023, 12, 31), None).status == NOT_STARTED
    assert evaluate("csat_avg", 4, 5, *Q1, date(2024, 2, 1), None).status == NO_DATA


def test_after_the_end_the_forecast_is_the_final_value():
    p = evaluate("sales_won", 0, 100, *Q1, date(2024, 5, 1), 85)
    assert p.elapsed == 1.0 and p.forecast == 85 and p.status == AT_RISK


# --- decomposition ---------------------------------------------------------------------------
@pytest.mark.parametrize("total,weights,expected", [
    (100, [1, 1, 1], [34, 33, 33]),
    (100, [40, 40, 20], [40, 40, 20]),
    (10, [0, 0], [5, 5]),
    (1000, [1, 2], [333, 667]),
])
def test_split_parts_always_add_up_to_the_whole(total, weights, expected):
    parts = goals.split_amounts(total, weights)
    assert parts == expected and sum(parts) == total


def test_split_with_decimals_adds_up_to_the_cent():
    parts = goals.split_amounts(100, [1, 1, 1], decimals=2)
    assert parts == [33.34, 33.33, 33.33]


@pytest.mark.parametrize("start,end,axis,expected", [
    (date(2024, 2, 15), date(2024, 11, 10), "quarter",
     [(date(2024, 2, 15), date(2024, 3, 31)), (date(2024, 4, 1), date(2024, 6, 30)),
      (date(2024, 7, 1), date(2024, 9, 30)), (date(2024, 10, 1), date(2024, 11, 10))]),
    (date(2024, 1, 20), date(2024, 3, 5), "month",
     [(date(2024, 1, 20), date(2024, 1, 31)), (date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 3, 1), date(2024, 3, 5))]),
    (date(2024, 11, 1), date(2025, 2, 28), "quarter",
     [(date(2024, 11, 1), date(2024, 12, 31)), (date(2025, 1, 1), date(2025, 2, 28))]),
])
def test_a_long_period_splits_into_calendar_quarters_or_months(start, end, axis, expected):
    assert goals.period_slices(start, end, axis) == expected


def _team_goal(session, world, **kw):
    goal = make_goal(session, "Team A sales", team=world.teams["A"], metric=kw.pop("metric", "sales_won"),
                     target=kw.pop("target", 100.0), start_date=Q1[0], end_date=Q1[1], **kw)
    session.commit()
    return goal


def test_a_team_goal_splits_evenly_across_its_members_and_sub_team_members(session, world):
    goal = _team_goal(session, world)
    rows = goals.propose_member_split(session, world.actors["manager_a"], goal.id, "even")
    # active members of Team A and A1, by name: Aaron A2, Alice A1, Lead A
    assert [(r.name, r.target) for r in rows] == [("Aaron A2", 34), ("Alice A1", 33), ("Lead A", 33)]


def test_split_by_capacity_follows_max_customers(session, world):
    goal = _team_goal(session, world)
    rows = goals.propose_member_split(session, world.actors["manager_a"], goal.id, "capacity")
    # capacities 3, 3, 40 (sum 46): 6.52, 6.52, 86.96 -> largest remainders give 7, 6, 87
    assert [r.target for r in rows] == [7, 6, 87] and sum(r.target for r in rows) == 100


def test_split_by_last_share_follows_the_previous_period(session, world):
    goal = _team_goal(session, world)
    cust = world.customers["a1"]
    for owner, value in (("a1", 600), ("a2", 200)):  # previous 91 days: 2023-10-01 .. 2023-12-31
        session.add(Deal(customer_id=cust.id, owner_id=world.members[owner].id, title="x", value=Decimal(value),
                         stage="won", closed_on=date(2023, 11, 15)))
    session.commit()
    rows = goals.propose_member_split(session, world.actors["manager_a"], goal.id, "last_share")
    assert [(r.name, r.target) for r in rows] == [("Aaron A2", 25), ("Alice A1", 75), ("Lead A", 0)]


def test_a_rate_is_not_divided_each_member_gets_the_team_target(session, world):
    goal = _team_goal(session, world, metric="resolution_rate", target=90.0)
    rows = goals.propose_member_split(session, world.actors["manager_a"], goal.id, "even")
    assert {r.target for r in rows} == {90.0}


def test_a_quarter_goal_splits_into_months_by_days(session, world):
    goal = _team_goal(session, world, target=91.0)
    rows = goals.propose_time_split(session, world.actors["manager_a"], goal.id, "month")
    assert [(r.name, r.target) for r in rows] == [("2024-01", 31), ("2024-02", 29), ("2024-03", 31)]


def test_saved_children_roll_up_to_the_parent_and_a_shortfall_is_flagged(session, world):
    goal = _team_goal(session, world)
    manager = world.actors["manager_a"]
    rows = goals.propose_member_split(session, manager, goal.id, "even")
    rows[0] = goals.ChildDraft(**{**rows[0].__dict__, "target": 20})  # edited before saving: 20 + 33 + 33 = 86
    ids = goals.save_children(session, manager, goal.id, rows)
    session.commit()
    assert len(ids) == 3 and all(session.get(Goal, i).parent_id == goal.id for i in ids)
    rollup, children = goals.goal_rollup(session, manager, goal.id, today=date(2024, 2, 1))
    assert rollup.children_target == 86 and rollup.difference == -14 and not rollup.adds_up
    assert len(children) == 3


def test_rollup_sums_cumulative_children_and_averages_levels():
    r = goals.rollup_of("sales_won", 100, [34, 33, 33], [10, None, 5])
    assert r.adds_up and r.children_target == 100 and r.children_actual == 15
    r = goals.rollup_of("csat_avg", 4.5, [4.5, 4.4], [4.0, 5.0])
    assert r.children_target == pytest.approx(4.45) and not r.adds_up and r.children_actual == 4.5


def test_children_must_stay_within_the_parent_period(session, world):
    goal = _team_goal(session, world)
    child = goals.ChildDraft(title="x", target=10, start_date=date(2024, 3, 1), end_date=date(2024, 4, 30),
                             member_id=world.members["a1"].id)
    with pytest.raises(InvalidInput) as e:
        goals.save_children(session, world.actors["manager_a"], goal.id, [child])
    assert e.value.errors[0].row == 1 and e.value.errors[0].key == "goals.error.child_period"


# --- SMART check -----------------------------------------------------------------------------
def _draft(world, **kw):
    base = dict(title="Close more deals in Q2", metric="sales_won", target=1400.0, start_date=date(2024, 4, 1),
                end_date=date(2024, 6, 30), member_id=world.members["a1"].id)
    base.update(kw)
    return GoalDraft(**base)


def _levels(items):
    return {i.letter: (i.level, i.key) for i in items}


def test_smart_check_flags_a_missing_deadline_and_number(session, world):
    items = _levels(goals.smart_check(session, world.actors["manager_a"], _draft(world, end_date=None, target=None)))
    assert items["T"] == ("missing", "goals.smart.no_deadline")
    assert items["M"] == ("missing", "goals.smart.no_number")


def test_smart_check_flags_a_target_far_above_the_best_past_period(session, world):
    session.add(Deal(customer_id=world.customers["a1"].id, owner_id=world.members["a1"].id, title="x",
                     value=Decimal(1000), stage="won", closed_on=date(2024, 2, 1)))
    session.commit()
    actor, today = world.actors["manager_a"], date(2024, 3, 15)
    # best of the previous four 91-day periods = 1000; 1.5 x 1000 = 1500
    high = _levels(goals.smart_check(session, actor, _draft(world, target=2000.0), today))
    assert high["A"] == ("doubtful", "goals.smart.too_high")
    fine = goals.smart_check(session, actor, _draft(world, target=1400.0), today)
    assert all(i.level == "ok" for i in fine), fine


def test_smart_check_flags_a_vague_title_and_a_past_deadline(session, world):
    items = _levels(goals.smart_check(session, world.actors["manager_a"], _draft(world, title="Sell"), date(2024, 8, 1)))
    assert items["S"][0] == "doubtful" and items["T"] == ("doubtful", "goals.smart.past_deadline")


# --- creating goals and permissions ----------------------------------------------------------
def test_a_manager_creates_a_goal_for_a_member_in_scope_and_it_is_audited(session, world):
    goal_id = goals.create_goal(session, world.actors["manager_a"], _draft(world))
    session.commit()
    assert session.get(Goal, goal_id).member_id == world.members["a1"].id
    assert session.query(AuditLog).filter_by(entity="goal", entity_id=goal_id, action="goal.create").count() == 1


@pytest.mark.parametrize("actor,owner", [
    ("manager_b", {"member_id": "a1"}),
    ("member_a1", {"team_id": "A1"}),
    ("member_a1", {"member_id": "a2"}),
])
def test_goals_outside_the_actors_scope_are_refused(session, world, actor, owner):
    key, value = next(iter(owner.items()))
    ids = {"member_id": world.members, "team_id": world.teams}[key]
    draft = _draft(world, **{"member_id": None, key: ids[value].id})
    with pytest.raises(PermissionDenied):
        goals.create_goal(session, world.actors[actor], draft)


def test_a_member_may_set_a_personal_goal(session, world):
    goal_id = goals.create_goal(session, world.actors["member_a1"], _draft(world, metric="manual", target=10.0))
    assert session.get(Goal, goal_id).created_by == world.users["member_a1"].id


def test_invalid_goals_say_which_fields_to_fix(session, world):
    with pytest.raises(InvalidInput) as e:
        goals.create_goal(session, world.actors["manager_a"], _draft(world, title=" ", end_date=date(2024, 1, 1), target=120.0,
                                                                     metric="resolution_rate"))
    assert {err.column for err in e.value.errors} == {"title", "end_date", "target"}


# --- check-ins -------------------------------------------------------------------------------
def _manual_goal(session, world, member="a1", **kw):
    goal = make_goal(session, "Calls logged", member=world.members[member], metric="manual", target=kw.pop("target", 100.0),
                     baseline=kw.pop("baseline", 0.0), **kw)
    session.commit()
    return goal


def test_a_member_checks_in_on_their_own_goal_and_progress_follows(session, world):
    goal = _manual_goal(session, world, start_date=Q1[0], end_date=Q1[1])
    goals.record_check_in(session, world.actors["member_a1"], goal.id, 30.0, 4, "good week")
    goals.record_check_in(session, world.actors["member_a1"], goal.id, 45.0, 5, None)
    session.commit()
    row = goals.get_goal(session, world.actors["member_a1"], goal.id, today=date(2024, 2, 14))
    assert row.progress.actual == 45.0 and row.confidence == 5
    assert row.progress.forecast == pytest.approx(45 * 91 / 45)  # 91 -> 91 % of 100: at risk
    assert row.status == AT_RISK


@pytest.mark.parametrize("actor,goal_key", [("member_a1", "a2"), ("member_a1", "A"), ("member_b1", "a1"), ("manager_b", "a1")])
def test_check_ins_on_other_peoples_goals_are_refused(session, world, actor, goal_key):
    goal = world.goals[goal_key]  # world goals are manual
    with pytest.raises(PermissionDenied):
        goals.record_check_in(session, world.actors[actor], goal.id, 10.0, 3)
    assert session.query(CheckIn).count() == 0


def test_a_manager_may_check_in_for_a_member_of_their_team(session, world):
    goals.record_check_in(session, world.actors["manager_a"], world.goals["a1"].id, 10.0, 3)
    assert session.query(CheckIn).count() == 1


def test_measured_goals_take_no_check_ins_and_confidence_is_1_to_5(session, world):
    measured = make_goal(session, "Deals", member=world.members["a1"], metric="sales_won")
    with pytest.raises(InvalidInput):
        goals.record_check_in(session, world.actors["member_a1"], measured.id, 10.0, 3)
    with pytest.raises(InvalidInput):
        goals.record_check_in(session, world.actors["member_a1"], world.goals["a1"].id, 10.0, 6)


# --- lists and progress from records ---------------------------------------------------------
def test_a_team_list_holds_its_sub_teams_and_members_goals_only(session, world):
    titles = {g.title for g in goals.list_goals(session, world.actors["manager_a"], team_id=world.teams["A"].id)}
    assert titles == {"Goal of Team A", "Goal of Alice A1", "Goal of Aaron A2"}


def test_a_member_sees_their_own_and_their_teams_goals_not_a_colleagues(session, world):
    titles = {g.title for g in goals.list_goals(session, world.actors["member_a1"])}
    assert titles == {"Goal of Alice A1"}  # Alice's team is A1, which has no team goal
    titles_b = {g.title for g in goals.list_goals(session, world.actors["member_b1"])}
    assert titles_b == {"Goal of Bella B1", "Goal of Team B"}


def test_measured_progress_comes_from_the_records(session, world):
    goal = make_goal(session, "Q1 sales", member=world.members["a1"], metric="sales_won", target=1000.0,
                     start_date=Q1[0], end_date=Q1[1])
    session.add(Deal(customer_id=world.customers["a1"].id, owner_id=world.members["a1"].id, title="x",
                     value=Decimal(600), stage="won", closed_on=date(2024, 1, 20)))
    session.commit()
    row = goals.get_goal(session, world.actors["manager_a"], goal.id, today=date(2024, 2, 14))
    assert row.progress.actual == 600.0 and row.percent == pytest.approx(60.0)
    assert row.status == ON_TRACK  # 600 / (45/91) = 1213 -> 121 %


def test_an_at_risk_goal_gets_a_follow_up_task_on_the_board(session, world):
    goal = world.goals["a1"]
    task_id = goals.create_follow_up_task(session, world.actors["manager_a"], goal.id, today=date(2024, 2, 1))
    session.commit()
    task = session.get(Task, task_id)
    assert (task.goal_id, task.assignee_id, task.importance, task.urgency) == (goal.id, world.members["a1"].id, 1, 1)
    assert task.due_date == date(2024, 2, 8)
    with pytest.raises(PermissionDenied):
        goals.create_follow_up_task(session, world.actors["member_a1"], goal.id)


# --- charts ----------------------------------------------------------------------------------
LABELS = {"title": "Q1 sales: actual vs expected pace", "date": "Date", "value": "Sales won", "actual": "Actual",
          "expected": "Expected pace", "forecast": "Forecast", "target": "Target"}


def test_the_burn_up_shows_actual_pace_and_forecast_with_titled_axes(session, world):
    goal = make_goal(session, "Q1 sales", member=world.members["a1"], metric="sales_won", target=1000.0, unit="CNY",
                     start_date=Q1[0], end_date=Q1[1])
    session.add(Deal(customer_id=world.customers["a1"].id, owner_id=world.members["a1"].id, title="x",
                     value=Decimal(300), stage="won", closed_on=date(2024, 1, 20)))
    session.commit()
    today = date(2024, 2, 14)
    row = goals.get_goal(session, world.actors["manager_a"], goal.id, today=today)
    series = goals.progress_series(session, world.actors["manager_a"], goal.id, today=today, points=4)
    # 44 days in 3 steps: Jan 1, Jan 16, Jan 30, Feb 14; the deal closed on Jan 20
    assert list(series["value"]) == [0.0, 0.0, 300.0, 300.0]
    spec = goals.burnup_chart(row, series, LABELS, today).to_dict()
    lines = spec["layer"][0]
    assert spec["title"] == LABELS["title"]
    assert lines["encoding"]["x"]["title"] == "Date" and lines["encoding"]["y"]["title"] == "Sales won (CNY)"
    data = next(iter(spec["datasets"].values()))
    assert {d["line"] for d in data} == {"Actual", "Expected pace", "Forecast"}
    forecast = [d["value"] for d in data if d["line"] == "Forecast"]
    assert forecast == [300.0, pytest.approx(300 * 91 / 45)]


def test_the_team_overview_colours_each_goal_by_status(session, world):
    rows = goals.list_goals(session, world.actors["manager_a"], team_id=world.teams["A"].id)
    spec = goals.overview_chart(rows, {"title": "Attainment", "percent": "Attainment (%)", "goal": "Goal", "status": "Status"},
                                {s: s.upper() for s in goals.STATUSES}).to_dict()
    bars = spec["layer"][0]["encoding"]
    assert bars["x"]["title"] == "Attainment (%)" and bars["color"]["title"] == "Status"
    values = next(iter(spec["datasets"].values()))
    assert len(values) == 3
    assert {v["status_label"] for v in values} <= {s.upper() for s in goals.STATUSES}
    assert all(0.0 <= v["percent"] <= 150.0 for v in values)


def test_follow_up_tasks_for_several_goals_are_all_or_none(session, world):
    from sqlalchemy import func, select

    mine, foreign = world.goals["a1"], world.goals["B"]
    before = session.scalar(select(func.count()).select_from(Task))
    with pytest.raises(PermissionDenied):
        goals.create_follow_up_tasks(session, world.actors["manager_a"], {mine.id: "Call them", foreign.id: "Not mine"})
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Task)) == before
    ids = goals.create_follow_up_tasks(session, world.actors["manager_a"], {mine.id: "Call them"}, today=date(2024, 2, 1))
    assert [session.get(Task, i).title for i in ids] == ["Call them"]
    with pytest.raises(InvalidInput):
        goals.create_follow_up_tasks(session, world.actors["manager_a"], {})


@pytest.mark.parametrize("big", [False, True])
def test_the_overview_spec_is_the_overview_chart_with_its_rows(session, world, big):
    rows = goals.list_goals(session, world.actors["manager_a"], team_id=world.teams["A"].id)
    labels = {"title": "Attainment", "percent": "Attainment (%)", "goal": "Goal", "status": "Status"}
    statuses = {s: s.upper() for s in goals.STATUSES}
    chart = goals.overview_chart(rows, labels, statuses, big).to_dict()
    spec = goals.overview_spec(rows, labels, statuses, big)
    assert spec["data"]["values"] == next(iter(chart["datasets"].values()))
    assert {k: v for k, v in spec.items() if k != "data"} == {k: v for k, v in chart.items() if k not in ("data", "datasets")}
    spec["layer"][0]["encoding"]["x"]["title"] = "changed"  # each call gets its own copy
    assert goals.overview_spec(rows, labels, statuses, big)["layer"][0]["encoding"]["x"]["title"] == "Attainment (%)"
