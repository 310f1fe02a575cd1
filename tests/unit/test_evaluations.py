"""Evaluations: scaling rules at their boundaries, weighted totals, missing data, traceability,
release and lock, and who sees which result. Expected numbers are worked out by hand in comments."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from core import evaluations as ev
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.permissions import actor_for_user
from db.models import Evaluation, Survey
from tests.factories import make_goal, make_member, make_user

HIGHER = {"thresholds": [60, 70, 80, 90], "higher_is_better": True}
LOWER = {"thresholds": [48, 24, 8, 2], "higher_is_better": False}
CSAT = {"thresholds": [3.0, 3.5, 4.0, 4.5], "higher_is_better": True}
MAY = date(2026, 5, 1)


# ---------------------------------------------------------------------------------------------
# Pure rules
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value,score", [(0, 1), (59.99, 1), (60, 2), (69.9, 2), (70, 3), (80, 4), (89.99, 4), (90, 5), (500, 5)])
def test_higher_is_better_scale_reaches_a_score_exactly_on_its_threshold(value, score):
    assert ev.scale_score(value, HIGHER) == score


@pytest.mark.parametrize("value,score", [(100, 1), (48.01, 1), (48, 2), (24.5, 2), (24, 3), (8, 4), (2.01, 4), (2, 5), (0, 5)])
def test_lower_is_better_scale_rewards_values_at_or_under_each_threshold(value, score):
    assert ev.scale_score(value, LOWER) == score


def test_a_missing_measured_value_is_never_scored():
    assert ev.scale_score(None, HIGHER) is None


def test_scale_thresholds_must_run_in_the_direction_of_better():
    assert ev.validate_scale(HIGHER) == []
    assert ev.validate_scale(LOWER) == []
    assert ev.validate_scale({"thresholds": [90, 80, 70, 60], "higher_is_better": True}) == ["evaluations.error.scale_order"]
    assert ev.validate_scale({"thresholds": [1, 2, 3]}) == ["evaluations.error.scale_shape"]


def test_the_scale_is_described_as_steps_for_the_card():
    assert ev.scale_steps(HIGHER) == [(5, ">=", 90.0), (4, ">=", 80.0), (3, ">=", 70.0), (2, ">=", 60.0)]
    assert ev.scale_steps(LOWER)[0] == (5, "<=", 2.0)


def test_weighted_total_weighs_each_score_by_its_criterion():
    # 40% x 5 + 60% x 3 = 2.0 + 1.8 = 3.8
    assert ev.weighted_total([(40, 5), (60, 3)]) == (3.8, 1.0)


def test_missing_criteria_are_left_out_and_the_weights_renormalised():
    # only the 40-weight line is present: total = 5, coverage 40%
    assert ev.weighted_total([(40, 5), (60, None)]) == (5.0, 0.4)
    # 20 x 2 + 30 x 4 = 160 over 50 present weight = 3.2; coverage 50 / 100
    assert ev.weighted_total([(20, 2), (30, 4), (50, None)]) == (3.2, 0.5)


def test_no_present_criterion_means_no_total_not_zero():
    assert ev.weighted_total([(40, None), (60, None)]) == (None, 0.0)


def test_month_and_quarter_cycles_cover_the_whole_period():
    assert ev.cycle_period("month", date(2026, 2, 14)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert ev.cycle_period("quarter", date(2026, 5, 20)) == (date(2026, 4, 1), date(2026, 6, 30))


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------
def _criteria():
    return [
        ev.CriterionInput("CSAT", "measured", 50, "csat_avg", CSAT),
        ev.CriterionInput("Teamwork", "rated", 50),
    ]


def test_template_weights_must_sum_to_100(session, world):
    bad = [ev.CriterionInput("CSAT", "measured", 50, "csat_avg", CSAT), ev.CriterionInput("Teamwork", "rated", 40)]
    with pytest.raises(InvalidInput) as caught:
        ev.create_template(session, world.actors["manager_a"], world.teams["A"].id, "Quarterly", bad)
    assert any(e.key == "evaluations.error.weights_sum" and e.params == {"total": 90} for e in caught.value.errors)


def test_measured_criteria_need_a_known_metric_and_a_valid_scale(session, world):
    bad = [ev.CriterionInput("Magic", "measured", 60, "happiness", None), ev.CriterionInput("Teamwork", "rated", 40)]
    with pytest.raises(InvalidInput) as caught:
        ev.create_template(session, world.actors["manager_a"], world.teams["A"].id, "Quarterly", bad)
    keys = {(e.key, e.row) for e in caught.value.errors}
    assert ("evaluations.error.metric", 1) in keys and ("evaluations.error.scale_shape", 1) in keys


def test_a_manager_cannot_make_a_template_for_another_managers_team(session, world):
    with pytest.raises(PermissionDenied):
        ev.create_template(session, world.actors["manager_a"], world.teams["B"].id, "Quarterly", _criteria())


# ---------------------------------------------------------------------------------------------
# A cycle for Team A (members a1, a2 and a3 of sub-team A1; the manager's own record is not rated)
# ---------------------------------------------------------------------------------------------
def _survey(session, customer, member, csat, when):
    row = Survey(customer_id=customer.id, member_id=member.id, csat=csat, responded_at=when)
    session.add(row)
    session.flush()
    return row.id


@pytest.fixture
def cycle(session, world):
    a3_user = make_user(session, "member_a3", "member")
    world.members["a3"] = make_member(session, "Andy A3", world.teams["A1"], user=a3_user)
    world.actors["member_a3"] = actor_for_user(session, a3_user)
    c1, a1 = world.customers["a1"], world.members["a1"]
    world.survey_ids = [
        _survey(session, c1, a1, 4, datetime(2026, 5, 3, 9)),
        _survey(session, c1, a1, 5, datetime(2026, 5, 31, 23, 59)),
    ]
    _survey(session, c1, a1, 1, datetime(2026, 6, 1, 0, 0))  # June: outside the May cycle
    _survey(session, world.customers["b1"], world.members["b1"], 1, datetime(2026, 5, 10))  # someone else
    manager = world.actors["manager_a"]
    template_id = ev.create_template(session, manager, world.teams["A"].id, "Monthly", _criteria())
    cycle_id = ev.create_cycle(session, manager, world.teams["A"].id, template_id, "May 2026", "month", MAY)
    session.commit()
    criteria = {c["name"]: c["id"] for c in ev.list_templates(session, manager)[0]["criteria"]}
    evaluations = {e["member"]: e["evaluation_id"] for e in ev.evaluation_members(session, manager, cycle_id)}
    return {"id": cycle_id, "criteria": criteria, "evals": evaluations}


def test_a_cycle_rates_the_teams_members_but_not_its_manager(session, world, cycle):
    assert sorted(cycle["evals"]) == ["Aaron A2", "Alice A1", "Andy A3"]


def test_measured_and_rated_criteria_combine_into_the_weighted_total(session, world, cycle):
    manager = world.actors["manager_a"]
    ev.rate(session, manager, cycle["evals"]["Alice A1"], cycle["criteria"]["Teamwork"], 3, "Helps others")
    card = ev.get_scorecard(session, manager, cycle["evals"]["Alice A1"])
    csat, teamwork = card.lines
    # May surveys of Alice: 4 and 5 -> average 4.5 -> reaches 4.5 -> score 5
    assert csat.value == 4.5 and csat.score == 5
    assert teamwork.score == 3 and teamwork.manager_comment == "Helps others"
    # 50% x 5 + 50% x 3 = 4.0
    assert card.total == 4.0 and card.coverage == 1.0


def test_the_records_listed_for_a_measured_score_are_exactly_those_it_was_computed_from(session, world, cycle):
    manager = world.actors["manager_a"]
    evaluation_id = cycle["evals"]["Alice A1"]
    card = ev.get_scorecard(session, manager, evaluation_id)
    assert set(card.lines[0].records) == {("survey", i) for i in world.survey_ids}
    frame = ev.records_frame(session, manager, evaluation_id, cycle["criteria"]["CSAT"])
    assert sorted(frame["id"].tolist()) == sorted(world.survey_ids)
    assert sorted(frame["csat"].tolist()) == [4, 5]
    assert set(frame["kind"]) == {"survey"}


def test_missing_data_is_shown_as_missing_and_the_total_uses_the_rest(session, world, cycle):
    manager = world.actors["manager_a"]
    ev.rate(session, manager, cycle["evals"]["Aaron A2"], cycle["criteria"]["Teamwork"], 4)
    card = ev.get_scorecard(session, manager, cycle["evals"]["Aaron A2"])
    csat = card.lines[0]
    assert csat.value is None and csat.score is None and csat.records == ()
    # only Teamwork (weight 50) is present: total 4.0 over half of the weight
    assert card.total == 4.0 and card.coverage == 0.5


def test_a_scorecard_with_nothing_present_has_no_total(session, world, cycle):
    card = ev.get_scorecard(session, world.actors["manager_a"], cycle["evals"]["Andy A3"])
    assert card.total is None and card.coverage == 0.0


def test_self_and_peer_ratings_are_shown_but_the_manager_rating_is_the_score(session, world, cycle):
    evaluation_id = cycle["evals"]["Alice A1"]
    teamwork = cycle["criteria"]["Teamwork"]
    ev.set_peers(session, world.actors["manager_a"], evaluation_id, [world.members["a3"].id])
    ev.rate(session, world.actors["manager_a"], evaluation_id, teamwork, 2)
    ev.rate(session, world.actors["member_a1"], evaluation_id, teamwork, 5, "I did a lot")
    ev.rate(session, world.actors["member_a3"], evaluation_id, teamwork, 4)
    line = ev.get_scorecard(session, world.actors["manager_a"], evaluation_id).lines[1]
    assert (line.score, line.self_score, line.peer_avg, line.peer_count) == (2, 5, 4.0, 1)
    gaps = ev.calibration(session, world.actors["manager_a"], cycle["id"]).gaps
    row = gaps[gaps["member"] == "Alice A1"].iloc[0]
    assert row["gap"] == 3 and bool(row["flagged"]) is True


def test_only_the_member_the_manager_and_chosen_peers_may_rate(session, world, cycle):
    evaluation_id = cycle["evals"]["Alice A1"]
    with pytest.raises(PermissionDenied):
        ev.rate(session, world.actors["member_a3"], evaluation_id, cycle["criteria"]["Teamwork"], 4)  # not chosen
    with pytest.raises(PermissionDenied):
        ev.rate(session, world.actors["manager_b"], evaluation_id, cycle["criteria"]["Teamwork"], 4)


def test_ratings_must_be_whole_numbers_from_1_to_5_on_rated_criteria(session, world, cycle):
    manager = world.actors["manager_a"]
    with pytest.raises(InvalidInput):
        ev.rate(session, manager, cycle["evals"]["Alice A1"], cycle["criteria"]["Teamwork"], 6)
    with pytest.raises(InvalidInput):
        ev.rate(session, manager, cycle["evals"]["Alice A1"], cycle["criteria"]["CSAT"], 3)


def test_release_stores_totals_and_locks_the_ratings(session, world, cycle):
    manager = world.actors["manager_a"]
    ev.rate(session, manager, cycle["evals"]["Alice A1"], cycle["criteria"]["Teamwork"], 3)
    assert ev.release_cycle(session, manager, cycle["id"], confirmed=ev.RELEASE_GAPS) == 3
    stored = session.get(Evaluation, cycle["evals"]["Alice A1"])
    assert stored.total == 4.0 and stored.computed_at is not None
    with pytest.raises(Conflict):
        ev.rate(session, manager, cycle["evals"]["Alice A1"], cycle["criteria"]["Teamwork"], 5)
    with pytest.raises(Conflict):
        ev.rate(session, world.actors["member_a1"], cycle["evals"]["Alice A1"], cycle["criteria"]["Teamwork"], 5)
    with pytest.raises(Conflict):
        ev.release_cycle(session, manager, cycle["id"], confirmed=ev.RELEASE_GAPS)


def test_goal_attainment_reads_the_same_metrics_as_the_goals(session, world, cycle):
    a1 = world.members["a1"]
    goal = make_goal(session, "CSAT 5", member=a1, metric="csat_avg", target=5.0, baseline=0.0,
                     start_date=date(2026, 5, 1), end_date=date(2026, 5, 31))
    measured = ev.goal_attainment(session, a1.id, date(2026, 5, 1), date(2026, 5, 31))
    # average CSAT 4.5 of target 5 from baseline 0 -> 90%
    assert measured.value == 90.0
    assert set((r.kind, r.id) for r in measured.records) == {("goal", goal.id)} | {("survey", i) for i in world.survey_ids}


def test_goal_attainment_without_goals_is_missing(session, world):
    assert ev.goal_attainment(session, world.members["a2"].id, date(2026, 5, 1), date(2026, 5, 31)).value is None


def test_calibration_finds_outliers_beyond_one_and_a_half_deviations(session, world, cycle):
    manager = world.actors["manager_a"]
    teamwork = cycle["criteria"]["Teamwork"]
    for name, score in [("Aaron A2", 1), ("Andy A3", 1)]:
        ev.rate(session, manager, cycle["evals"][name], teamwork, score)
    ev.rate(session, manager, cycle["evals"]["Alice A1"], teamwork, 5)
    cal = ev.calibration(session, manager, cycle["id"])
    # totals: Alice 5.0 (CSAT 5, Teamwork 5), Aaron 1.0, Andy 1.0: mean 2.33, pstdev 1.89; z(Alice) = 1.41
    assert cal.mean == 2.33 and cal.stdev == 1.89
    assert not cal.results["outlier"].any()
    assert sorted(cal.results["total"].tolist()) == [1.0, 1.0, 5.0]
    assert set(cal.heatmap["criterion"]) == {"CSAT", "Teamwork"}


# ---------------------------------------------------------------------------------------------
# Visibility
# ---------------------------------------------------------------------------------------------
def test_unreleased_results_are_hidden_from_the_member(session, world, cycle):
    member = world.actors["member_a1"]
    with pytest.raises(PermissionDenied):
        ev.get_scorecard(session, member, cycle["evals"]["Alice A1"])
    assert ev.list_results(session, member, cycle["id"]).empty
    assert ev.member_trend(session, member, world.members["a1"].id).empty


def test_after_release_a_member_sees_only_their_own_result(session, world, cycle):
    manager = world.actors["manager_a"]
    ev.rate(session, manager, cycle["evals"]["Alice A1"], cycle["criteria"]["Teamwork"], 3)
    ev.release_cycle(session, manager, cycle["id"], confirmed=ev.RELEASE_GAPS)
    member = world.actors["member_a1"]
    assert ev.get_scorecard(session, member, cycle["evals"]["Alice A1"]).total == 4.0
    results = ev.list_results(session, member, cycle["id"])
    assert results["member"].tolist() == ["Alice A1"]
    trend = ev.member_trend(session, member, world.members["a1"].id)
    assert trend[["cycle", "total"]].values.tolist() == [["May 2026", 4.0]]
    with pytest.raises(PermissionDenied):
        ev.get_scorecard(session, member, cycle["evals"]["Aaron A2"])


def test_peers_see_nothing_of_the_scores_they_help_with(session, world, cycle):
    manager = world.actors["manager_a"]
    evaluation_id = cycle["evals"]["Alice A1"]
    ev.set_peers(session, manager, evaluation_id, [world.members["a3"].id])
    ev.rate(session, manager, evaluation_id, cycle["criteria"]["Teamwork"], 2, "private note")
    peer = world.actors["member_a3"]
    form = ev.review_form(session, peer, evaluation_id)
    assert form["rater_kind"] == "peer" and all(c["score"] is None for c in form["criteria"])
    assert "private note" not in str(form)
    ev.release_cycle(session, manager, cycle["id"], confirmed=ev.RELEASE_GAPS)
    with pytest.raises(PermissionDenied):
        ev.get_scorecard(session, peer, evaluation_id)
    with pytest.raises(PermissionDenied):
        ev.member_trend(session, peer, world.members["a1"].id)
    assert ev.list_results(session, peer, cycle["id"])["member"].tolist() == ["Andy A3"]


def test_another_teams_manager_sees_no_scorecard(session, world, cycle):
    with pytest.raises(PermissionDenied):
        ev.get_scorecard(session, world.actors["manager_b"], cycle["evals"]["Alice A1"])
    with pytest.raises(PermissionDenied):
        ev.calibration(session, world.actors["manager_b"], cycle["id"])
    assert ev.list_cycles(session, world.actors["manager_b"]) == []


def test_charts_have_titles_and_axis_titles(session, world, cycle):
    manager = world.actors["manager_a"]
    ev.rate(session, manager, cycle["evals"]["Alice A1"], cycle["criteria"]["Teamwork"], 3)
    cal = ev.calibration(session, manager, cycle["id"])
    spec = ev.distribution_chart(cal.results, "Distribution", "Total (1-5)", "Members").to_dict()
    assert spec["title"] == "Distribution" and spec["encoding"]["x"]["title"] == "Total (1-5)"
    trend = ev.member_trend(session, manager, world.members["a1"].id)
    spec = ev.trend_chart(trend, "Score over cycles", "Cycle", "Total (1-5)").to_dict()
    assert spec["title"] == "Score over cycles" and spec["layer"][0]["encoding"]["y"]["title"] == "Total (1-5)"
    versus = ev.team_average_by_criterion(session, manager, cycle["id"], world.members["a1"].id)
    # Teamwork: only Alice rated (3) -> team average 3; CSAT: only Alice has data (5)
    assert sorted(versus.values.tolist()) == sorted([["CSAT", "member", 5.0], ["Teamwork", "member", 3.0],
                                                     ["CSAT", "team", 5.0], ["Teamwork", "team", 3.0]])
    assert session.scalar(select(Evaluation.total).where(Evaluation.id == cycle["evals"]["Alice A1"])) is None


# Issue 12 (4, 5): a released card is frozen; release lists its gaps and needs each confirmed ----
def test_a_released_scorecard_does_not_change_when_new_records_arrive(session, world, cycle):
    manager = world.actors["manager_a"]
    evaluation_id = cycle["evals"]["Alice A1"]
    ev.rate(session, manager, evaluation_id, cycle["criteria"]["Teamwork"], 3)
    ev.release_cycle(session, manager, cycle["id"], confirmed=ev.RELEASE_GAPS)
    before = ev.get_scorecard(session, manager, evaluation_id)
    _survey(session, world.customers["a1"], world.members["a1"], 1, datetime(2026, 5, 20, 10))  # late survey in May
    session.flush()
    after = ev.get_scorecard(session, manager, evaluation_id)
    assert after.lines == before.lines and after.total == before.total
    assert len(after.lines[0].records) == 2


def test_an_admin_reopens_a_released_cycle_with_an_audit_row(session, world, cycle):
    from sqlalchemy import select as _select

    from db.models import AuditLog, EvaluationCycle

    ev.release_cycle(session, world.actors["manager_a"], cycle["id"], confirmed=ev.RELEASE_GAPS)
    with pytest.raises(PermissionDenied):
        ev.reopen_cycle(session, world.actors["manager_a"], cycle["id"])
    ev.reopen_cycle(session, world.actors["admin"], cycle["id"])
    assert session.get(EvaluationCycle, cycle["id"]).status == "open"
    assert session.scalar(_select(AuditLog).where(AuditLog.action == "cycle.reopen")) is not None


def test_release_lists_its_gaps_and_refuses_until_each_is_confirmed(session, world, cycle):
    manager = world.actors["manager_a"]
    checklist = ev.release_checklist(session, manager, cycle["id"], today=date(2026, 5, 20))
    assert checklist["early"] == 11 and checklist["missing_ratings"] == 3 and checklist["pending_self"] == 3
    with pytest.raises(Conflict):
        ev.release_cycle(session, manager, cycle["id"], today=date(2026, 5, 20))
    with pytest.raises(Conflict):
        ev.release_cycle(session, manager, cycle["id"], confirmed=["early"], today=date(2026, 5, 20))
    assert ev.release_cycle(session, manager, cycle["id"], confirmed=["early", "missing_ratings", "pending_self"],
                            today=date(2026, 5, 20)) == 3


def _value(v):
    return None if v is None or v != v else v  # a frame shows a missing total as NaN


def test_the_cycle_lists_compute_every_total_as_its_own_scorecard_does(session, world, cycle):
    """list_results and calibration compute a cycle's scorecards at once (grouped queries); each
    total, coverage and line score is the one the member's own scorecard shows."""
    manager = world.actors["manager_a"]
    template_id = ev.create_template(session, manager, world.teams["A"].id, "With goals", [
        ev.CriterionInput("CSAT", "measured", 40, "csat_avg", CSAT),
        ev.CriterionInput("Goals", "measured", 30, ev.GOAL_ATTAINMENT, {"thresholds": [50, 75, 90, 100], "higher_is_better": True}),
        ev.CriterionInput("Teamwork", "rated", 30),
    ])
    make_goal(session, "CSAT 5", member=world.members["a1"], metric="csat_avg", target=5.0, baseline=0.0,
              start_date=date(2026, 5, 1), end_date=date(2026, 5, 31))
    cycle_id = ev.create_cycle(session, manager, world.teams["A"].id, template_id, "May goals", "month", MAY)
    evaluations = {e["member"]: e["evaluation_id"] for e in ev.evaluation_members(session, manager, cycle_id)}
    teamwork = next(c["id"] for t in ev.list_templates(session, manager) if t["name"] == "With goals"
                    for c in t["criteria"] if c["name"] == "Teamwork")
    ev.rate(session, manager, evaluations["Alice A1"], teamwork, 4)
    ev.rate(session, manager, evaluations["Aaron A2"], teamwork, 2)
    for cid in (cycle["id"], cycle_id):
        results = ev.list_results(session, manager, cid)
        cal = ev.calibration(session, manager, cid)
        assert len(results) == 3
        for row in results.itertuples():
            card = ev.get_scorecard(session, manager, row.evaluation_id)
            assert (_value(row.total), row.coverage) == (card.total, card.coverage)
            assert _value(cal.results.set_index("member_id").loc[row.member_id, "total"]) == card.total
            shown = cal.heatmap[cal.heatmap["member"] == row.member]
            assert [_value(s) for s in shown["score"].tolist()] == [line.score for line in card.lines]
    alice = ev.get_scorecard(session, manager, evaluations["Alice A1"])
    assert [line.score for line in alice.lines] == [5, 4, 4.0]  # CSAT 4.5, goals 90 %, Teamwork 4
