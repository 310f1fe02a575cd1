"""History stays (issue 11): quarters and fiscal years, and goals of past periods stay reachable."""
from __future__ import annotations

from datetime import date

from core import goals, periods
from core.meeting import meeting_board
from tests.factories import make_goal


def test_quarters_and_years_follow_the_fiscal_year_start():
    assert periods.quarter_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 3, 31))
    assert periods.quarter_bounds(2026, 4, fiscal_start=4) == (date(2027, 1, 1), date(2027, 3, 31))
    assert periods.year_bounds(2025, fiscal_start=4) == (date(2025, 4, 1), date(2026, 3, 31))
    assert periods.fiscal_year_of(date(2026, 2, 1), 4) == 2025
    options = periods.options(date(2026, 5, 10), fiscal_start=1, years=2)
    assert options[0] == "current" and options[1] == "q:2026:2" and options[-1] == "all"
    assert "q:2026:3" not in options and "y:2025" in options


def test_a_goal_that_ended_months_ago_is_reachable_by_its_quarter_and_by_all(session, world):
    today = date.today()
    old = make_goal(session, "Last year's target", team=world.teams["A"], start_date=date(today.year - 1, 1, 1),
                    end_date=date(today.year - 1, 3, 31))
    session.commit()
    actor = world.actors["manager_a"]
    assert old.id not in [g.id for g in goals.list_goals(session, actor, team_id=world.teams["A"].id)]
    quarter = f"q:{today.year - 1}:1"
    assert [g.id for g in goals.list_goals(session, actor, team_id=world.teams["A"].id, period=quarter)] == [old.id]
    assert old.id in [g.id for g in goals.list_goals(session, actor, period="all")]
    assert old.id in [g.id for g in goals.list_goals(session, actor, period=f"y:{today.year - 1}")]
    frames = goals.export_frames(session, actor, world.teams["A"].id, period=quarter)
    assert list(frames["goals"]["id"]) == [old.id]
    board = meeting_board(session, actor, world.teams["A"].id, period=quarter)
    assert [g.id for g in board.goals] == [old.id]
