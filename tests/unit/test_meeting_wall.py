"""The wall Meeting screen's rules: periods, which goals count, the roll-up by sub-team."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core import goals, meeting_wall
from core.errors import PermissionDenied
from tests.factories import make_goal


@pytest.mark.parametrize("period, today, expected", [
    ("month", date(2026, 12, 1), (date(2026, 12, 1), date(2026, 12, 31))),
    ("month", date(2027, 2, 14), (date(2027, 2, 1), date(2027, 2, 28))),
    ("quarter", date(2026, 11, 5), (date(2026, 10, 1), date(2026, 12, 31))),
    ("quarter", date(2026, 4, 1), (date(2026, 4, 1), date(2026, 6, 30))),
    ("year", date(2026, 7, 9), (date(2026, 1, 1), date(2026, 12, 31))),
])
def test_period_bounds(period, today, expected):
    assert meeting_wall.period_bounds(period, today) == expected


def test_goals_not_started_are_left_out_unless_asked_for(session, world):
    today = date.today()
    make_goal(session, "Starts next week", team=world.teams["A"], start_date=today + timedelta(days=7),
              end_date=today + timedelta(days=20))
    session.commit()
    manager, team = world.actors["manager_a"], world.teams["A"].id
    shown = meeting_wall.meeting_wall(session, manager, team, "year")
    assert shown.goals == 3  # Team A's own goal and the goals of Alice and Aaron (Team A1)
    assert meeting_wall.meeting_wall(session, manager, team, "year", include_not_started=True).goals == 4


def test_goals_roll_up_to_the_sub_team_that_holds_them(session, world):
    manager = world.actors["manager_a"]
    goals.record_check_in(session, world.actors["member_a1"], world.goals["a1"].id, 40)
    goals.record_check_in(session, manager, world.goals["a2"].id, 80)
    session.commit()
    wall = meeting_wall.meeting_wall(session, manager, world.teams["A"].id, "quarter")
    rollup = {r.team: (r.goals, r.attainment) for r in wall.by_team}
    assert rollup["Team A"] == (1, None)  # no data on the team's own goal
    assert rollup["Team A1"][0] == 2 and rollup["Team A1"][1] == pytest.approx(0.6)
    assert {m.name: m.attainment for m in wall.members} == {"Alice A1": pytest.approx(0.4), "Aaron A2": pytest.approx(0.8)}
    assert wall.attainment == pytest.approx(0.6)
    assert wall.service == {"open": 0, "breached": 0, "resolved": 0}
    assert wall.pipeline is None  # no deals: the section is left out


def test_only_leads_open_the_wall_of_their_own_teams(session, world):
    with pytest.raises(PermissionDenied):
        meeting_wall.meeting_wall(session, world.actors["manager_b"], world.teams["A"].id)
    with pytest.raises(PermissionDenied):
        meeting_wall.meeting_wall(session, world.actors["member_a1"], world.teams["A"].id)
