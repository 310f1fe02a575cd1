"""Meeting board: who may open it, leaderboard order, overdue follow-ups and recent wins."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core import goals, meeting
from core.errors import NotFound, PermissionDenied
from db.models import CheckIn, Deal, Recognition

TODAY = date.today()


def test_a_member_may_not_open_the_meeting_board(session, world):
    with pytest.raises(PermissionDenied):
        meeting.meeting_board(session, world.actors["member_a1"], world.teams["A1"].id)


def test_a_manager_may_not_open_another_managers_team(session, world):
    with pytest.raises(PermissionDenied):
        meeting.meeting_board(session, world.actors["manager_a"], world.teams["B"].id)
    with pytest.raises(NotFound):
        meeting.meeting_board(session, world.actors["manager_a"], 9999)


def test_the_board_ranks_members_by_attainment_and_lists_risks_and_wins(session, world):
    # a1 checked in 80 of 100, a2 30 of 100 (world goals: manual, day 31 of 91 -> pace 34 %)
    session.add_all([CheckIn(goal_id=world.goals["a1"].id, value=80.0, confidence=4),
                     CheckIn(goal_id=world.goals["a2"].id, value=30.0, confidence=2)])
    cust = world.customers["a1"]
    cust.next_follow_up = TODAY - timedelta(days=3)
    session.add(Deal(customer_id=cust.id, owner_id=world.members["a1"].id, title="Big one", value=Decimal(5000),
                     stage="won", closed_on=TODAY - timedelta(days=2)))
    session.add(Deal(customer_id=cust.id, owner_id=world.members["a1"].id, title="Old one", value=Decimal(9000),
                     stage="won", closed_on=TODAY - timedelta(days=40)))
    session.add(Recognition(to_member_id=world.members["a2"].id, message="Calmed an angry customer"))
    session.commit()
    board = meeting.meeting_board(session, world.actors["manager_a"], world.teams["A"].id, today=TODAY)
    assert [(r["member"], round(r["attainment"], 2)) for r in board.leaderboard] == [("Alice A1", 0.8), ("Aaron A2", 0.3)]
    # a2: 30 / (31/91) = 88 -> at risk; a1: 80 / (31/91) = 235 -> on track
    assert [g.title for g in board.at_risk] == ["Goal of Aaron A2"]
    assert board.overdue_total == 1 and board.overdue[0] == {"customer": "Customer of Alice A1", "owner": "Alice A1", "days": 3}
    assert {(w["kind"], w["who"]) for w in board.wins} == {("deal", "Alice A1"), ("recognition", "Aaron A2")}
    assert {g.title for g in board.goals} == {"Goal of Team A", "Goal of Alice A1", "Goal of Aaron A2"}


def test_the_leaderboard_caps_a_runaway_goal_at_150_percent():
    p = goals.evaluate("manual", 0, 10, date(2024, 1, 1), date(2024, 1, 10), date(2024, 1, 10), 50)
    row = goals.GoalRow(1, "x", "manual", "", 10, 0, date(2024, 1, 1), date(2024, 1, 10), None, 7, "Zoe", None, 1, 0, p)
    assert meeting.leaderboard([row])[0]["attainment"] == 1.5


def test_at_risk_goals_come_furthest_behind_first(session, world):
    # day 31 of 91 -> expected 34 %: a1 at 30 is at risk (forecast 88 %), a2 at 5 and Team A at
    # 10 are off track; ordered by the forecast share of target (15 %, 29 %, 88 %)
    session.add_all([CheckIn(goal_id=world.goals["a1"].id, value=30.0), CheckIn(goal_id=world.goals["a2"].id, value=5.0),
                     CheckIn(goal_id=world.goals["A"].id, value=10.0)])
    session.commit()
    board = meeting.meeting_board(session, world.actors["manager_a"], world.teams["A"].id, today=TODAY)
    assert [(g.title, g.status) for g in board.at_risk] == [
        ("Goal of Aaron A2", goals.OFF_TRACK), ("Goal of Team A", goals.OFF_TRACK), ("Goal of Alice A1", goals.AT_RISK)]
