"""Trainings, attendance and the before/after effect against a comparison group.

Effect rule under test: W-day windows before (held_on - W .. held_on - 1) and after (held_on + 1 ..
held_on + W); group value = mean of members' values; effect = attendees' change - comparison's change.
"""
from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from core import training
from core.errors import InvalidInput, PermissionDenied
from db.models import AuditLog, Interaction, TrainingAttendance
from tests.factories import make_member

HELD = date(2025, 3, 1)  # W = 30: before 30 Jan - 28 Feb, after 2 - 31 Mar


def follow_ups(session, world, member, day: date, n: int):
    for i in range(n):
        session.add(Interaction(customer_id=world.customers["a1"].id, member_id=member.id, channel="phone",
                                occurred_at=datetime.combine(day, time(10, i)), summary="call"))
    session.flush()


@pytest.fixture
def org(session, world):
    """Team A1 account managers: a1, x1, x2 attend; c1, c2, c3 do not (c3 was invited, absent).
    a2 (cs_specialist) and b1 (Team B) are not comparable and must be ignored."""
    a1 = world.members["a1"]
    m = {"a1": a1}
    for key in ("x1", "x2", "c1", "c2", "c3"):
        m[key] = make_member(session, key.upper(), world.teams["A1"])
    tid = training.create_training(session, world.actors["manager_a"], team_id=world.teams["A1"].id,
                                   topic="Handling objections", held_on=HELD, hours=3, trainer="Ms Wang",
                                   skill="negotiation", effect_metric="follow_ups_done")
    training.save_attendance(session, world.actors["manager_a"], tid, [
        {"member_id": m[k].id, "attended": True, "pre_score": 50, "post_score": 80} for k in ("a1", "x1", "x2")
    ] + [{"member_id": m["c3"].id, "attended": False}])
    counts = {"a1": (2, 5), "x1": (1, 3), "x2": (0, 4), "c1": (2, 3), "c2": (1, 1), "c3": (3, 5)}
    for key, (before, after) in counts.items():
        follow_ups(session, world, m[key], date(2025, 2, 10), before)
        follow_ups(session, world, m[key], date(2025, 3, 20), after)
    # outside both windows: the training day itself and the day before the before-window
    follow_ups(session, world, a1, HELD, 7)
    follow_ups(session, world, a1, date(2025, 1, 29), 7)
    follow_ups(session, world, world.members["a2"], date(2025, 3, 20), 9)
    follow_ups(session, world, world.members["b1"], date(2025, 3, 20), 9)
    return tid, m


def test_the_windows_are_equal_and_exclude_the_training_day():
    before, after = training.windows(HELD, 30)
    assert before == (date(2025, 1, 30), date(2025, 2, 28))
    assert after == (date(2025, 3, 2), date(2025, 3, 31))


def test_the_effect_is_the_attendees_change_minus_the_comparison_groups(session, world, org):
    tid, m = org
    effect = training.training_effect(session, world.actors["manager_a"], tid, today=date(2025, 6, 1))
    # attendees: before (2+1+0)/3 = 1, after (5+3+4)/3 = 4, change +3
    assert (effect.attendees.n, effect.attendees.before, effect.attendees.after, effect.attendees.change) == (3, 1.0, 4.0, 3.0)
    # comparison c1, c2, c3: before (2+1+3)/3 = 2, after (3+1+5)/3 = 3, change +1
    assert (effect.comparison.n, effect.comparison.before, effect.comparison.after, effect.comparison.change) == (3, 2.0, 3.0, 1.0)
    assert effect.effect == 2.0
    assert effect.caveats == []
    assert {p["name"] for p in effect.comparison.people} == {"C1", "C2", "C3"}


def test_groups_under_three_people_carry_the_too_small_caveat(session, world, org):
    tid, m = org
    training.save_attendance(session, world.actors["manager_a"], tid, [{"member_id": m["x2"].id, "attended": False}])
    effect = training.training_effect(session, world.actors["manager_a"], tid, today=date(2025, 6, 1))
    assert effect.attendees.n == 2
    assert effect.comparison.n == 4  # x2 joins the comparison group
    assert effect.too_small
    # still computed: attendees (2+1)/2=1.5 -> (5+3)/2=4, +2.5; comparison (0+2+1+3)/4=1.5 -> (4+3+1+5)/4=3.25, +1.75
    assert effect.effect == pytest.approx(0.75)


def test_an_after_window_not_over_yet_is_flagged(session, world, org):
    tid, _ = org
    effect = training.training_effect(session, world.actors["manager_a"], tid, today=date(2025, 3, 15))
    assert "after_incomplete" in effect.caveats


def test_a_training_without_metric_says_so(session, world):
    tid = training.create_training(session, world.actors["manager_a"], team_id=world.teams["A"].id,
                                   topic="Product basics", held_on=HELD, hours=1)
    assert training.training_effect(session, world.actors["manager_a"], tid).caveats == ["no_metric"]


def test_a_member_sees_the_group_figures_but_not_colleagues_numbers(session, world, org):
    tid, _ = org
    effect = training.training_effect(session, world.actors["member_a1"], tid, today=date(2025, 6, 1))
    assert effect.effect == 2.0
    assert all(p["name"] == "" and p["before"] is None for p in effect.comparison.people)


def test_the_effect_chart_has_a_title_axis_units_and_value_labels(session, world, org):
    tid, _ = org
    effect = training.training_effect(session, world.actors["manager_a"], tid, today=date(2025, 6, 1))
    spec = training.effect_chart(effect, "en").to_dict()
    assert spec["title"] == "Before and after the training"
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Follow-ups done"
    assert spec["layer"][1]["mark"]["type"] == "text"


def test_attendance_scores_outside_0_to_100_refuse_the_whole_table(session, world, org):
    tid, m = org
    with pytest.raises(InvalidInput) as info:
        training.save_attendance(session, world.actors["manager_a"], tid, [
            {"member_id": m["c1"].id, "attended": True, "pre_score": 40, "post_score": 70},
            {"member_id": m["c2"].id, "attended": True, "pre_score": 140},
        ])
    assert [(e.row, e.column) for e in info.value.errors] == [(2, "pre_score")]
    assert session.scalar(select(func.count()).select_from(TrainingAttendance).where(
        TrainingAttendance.member_id == m["c1"].id, TrainingAttendance.attended.is_(True))) == 0


def test_the_list_shows_attendees_and_average_scores(session, world, org):
    frame = training.list_trainings(session, world.actors["manager_a"])
    row = frame.to_dict("records")[0]
    assert (row["topic"], row["attendees"], row["avg_pre"], row["avg_post"]) == ("Handling objections", 3, 50.0, 80.0)


def test_creating_a_training_is_audited_and_validated(session, world):
    with pytest.raises(InvalidInput) as info:
        training.create_training(session, world.actors["manager_a"], team_id=world.teams["A"].id, topic="",
                                 held_on=HELD, hours=0)
    assert {e.column for e in info.value.errors} == {"topic", "hours"}
    tid = training.create_training(session, world.actors["manager_a"], team_id=world.teams["A"].id, topic="CRM",
                                   held_on=HELD, hours=1.5)
    assert session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity == "training", AuditLog.entity_id == tid)) == 1


@pytest.mark.parametrize("who", ["member_a1", "manager_b"])
def test_only_the_teams_manager_or_admin_creates_its_trainings(session, world, who):
    with pytest.raises(PermissionDenied):
        training.create_training(session, world.actors[who], team_id=world.teams["A"].id, topic="CRM",
                                 held_on=HELD, hours=1)


@pytest.mark.parametrize("who,sees", [("member_a1", True), ("member_b1", False), ("manager_a", True),
                                      ("manager_b", False), ("admin", True)])
def test_trainings_are_visible_to_their_team_and_managers(session, world, org, who, sees):
    assert (not training.list_trainings(session, world.actors[who]).empty) is sees


@pytest.mark.parametrize("who", ["member_a1", "member_b1", "manager_a", "manager_b"])
def test_whoever_sees_a_training_in_the_list_may_open_its_effect(session, world, who):
    """One rule for readers: an org-wide training, and another team's training a member attended,
    are listed, so their effect opens too; a training not listed is refused."""
    org_wide = training.create_training(session, world.actors["admin"], team_id=None, topic="Company values",
                                        held_on=HELD, hours=1, effect_metric="follow_ups_done")
    team_b = training.create_training(session, world.actors["manager_b"], team_id=world.teams["B"].id,
                                      topic="Team B onboarding", held_on=HELD, hours=1, effect_metric="follow_ups_done")
    training.save_attendance(session, world.actors["admin"], team_b, [
        {"member_id": world.members["a1"].id, "attended": True}])  # a guest from team A
    actor = world.actors[who]
    listed = set(training.list_trainings(session, actor)["id"])
    for tid in (org_wide, team_b):
        if tid in listed:
            assert training.training_effect(session, actor, tid).training_id == tid
        else:
            with pytest.raises(PermissionDenied):
                training.training_effect(session, actor, tid)
    assert org_wide in listed
    assert (team_b in listed) is (who in ("member_a1", "member_b1", "manager_b"))
