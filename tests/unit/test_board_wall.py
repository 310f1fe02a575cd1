"""Issue 15's board rules: WIP limits per status column (stored per team board, counted over every
task of the board whatever the filters, warned when exceeded) and initials on cards."""
from __future__ import annotations

import pytest

from core import avatars, tasks, wip_limits
from core.errors import InvalidInput, PermissionDenied
from db.models import AuditLog
from tests.factories import build_world, make_task


@pytest.fixture
def w(session):
    world = build_world(session)
    session.commit()
    return world


def test_a_limit_is_stored_per_team_board_and_shown_on_its_status_column(session, w):
    manager, team = w.actors["manager_a"], w.teams["A"].id
    assert wip_limits.set_wip_limits(session, manager, team, {"todo": 5, "in_progress": 0, "done": None}) == {"todo": 5}
    board = tasks.board(session, manager, team, "status")
    todo = next(c for c in board.columns if c.id == "todo")
    assert (todo.wip_limit, todo.wip_count, todo.over_wip_limit) == (5, 2, False)
    assert next(c for c in board.columns if c.id == "in_progress").wip_limit is None
    assert session.query(AuditLog).filter_by(action="board.wip_limits").count() == 1


def test_a_column_holding_more_than_its_limit_is_over_it_and_exactly_at_it_is_not():
    assert wip_limits.over_limit(3, 2) and not wip_limits.over_limit(2, 2) and not wip_limits.over_limit(9, None)


def test_the_limit_counts_every_task_of_the_board_whatever_the_filters(session, w):
    manager, team = w.actors["manager_a"], w.teams["A"].id
    make_task(session, "Urgent one", w.teams["A1"], w.members["a1"], importance=1, urgency=1)
    wip_limits.set_wip_limits(session, manager, team, {"todo": 2})
    board = tasks.board(session, manager, team, "status", quadrant="do")
    todo = next(c for c in board.columns if c.id == "todo")
    assert todo.total == 1  # what the filter shows
    assert (todo.wip_count, todo.over_wip_limit) == (3, True)  # what the limit counts


def test_limits_are_refused_outside_the_managers_scope_and_for_bad_numbers(session, w):
    with pytest.raises(PermissionDenied):
        wip_limits.set_wip_limits(session, w.actors["manager_b"], w.teams["A"].id, {"todo": 3})
    with pytest.raises(PermissionDenied):
        wip_limits.set_wip_limits(session, w.actors["member_a1"], w.teams["A"].id, {"todo": 3})
    with pytest.raises(InvalidInput) as bad:
        wip_limits.set_wip_limits(session, w.actors["manager_a"], w.teams["A"].id, {"todo": -2, "archived": 1})
    assert {e.key for e in bad.value.errors} == {"wall.wip.error.range", "board.error.bad_status"}
    assert wip_limits.wip_limits(session, w.actors["manager_a"], w.teams["A"].id) == {}


def test_setting_limits_again_replaces_them(session, w):
    manager, team = w.actors["manager_a"], w.teams["A"].id
    wip_limits.set_wip_limits(session, manager, team, {"todo": 4, "blocked": 1})
    wip_limits.set_wip_limits(session, manager, team, {"blocked": 2})
    assert wip_limits.wip_limits(session, manager, team) == {"blocked": 2}


@pytest.mark.parametrize("name, expected", [
    ("Alice Wong", "AW"), ("alice", "AL"), ("Jean-Paul Sartre", "JS"), ("张伟", "张伟"), ("欧阳明华", "明华"),
    ("", "?"), (None, "?"), ("**[x](http://e)**", "XH"),
])
def test_initials_are_letters_only(name, expected):
    assert avatars.initials(name) == expected


def test_a_person_keeps_the_same_avatar_colour():
    assert avatars.colour(17) == avatars.colour(17) and avatars.colour(17) in avatars.COLOURS
