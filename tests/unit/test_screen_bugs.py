"""Issue 12: bugs that left wrong data behind. Each test names the rule it protects and failed
before its fix. World: see tests/factories.py."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core import tasks
from core.errors import DomainError, InvalidInput
from db.models import AuditLog, Customer, Member, Task


# 1. New task goes to the wrong person --------------------------------------------------------
def test_members_who_are_leaving_are_never_offered_as_assignees(session, world):
    world.members["a2"].status = "leaving"
    session.flush()
    actor = world.actors["manager_a"]
    offered = {m["id"] for m in tasks.assignee_choices(session, actor, world.teams["A"].id)}
    assert world.members["a2"].id not in offered and world.members["a1"].id in offered
    ranked = {s.member_id for s in tasks.suggest_assignees(session, actor, world.teams["A"].id, world.customers["a1"].id, 10)}
    assert world.members["a2"].id not in ranked and ranked


def test_a_new_task_cannot_be_given_to_a_member_who_is_leaving(session, world):
    world.members["a2"].status = "leaving"
    session.flush()
    with pytest.raises(InvalidInput):
        tasks.create_task(session, world.actors["manager_a"], title="Call back", team_id=world.teams["A"].id,
                          assignee_id=world.members["a2"].id)


# 2. Decomposing an already split goal -------------------------------------------------------
def _split(session, world, target=100.0):
    from core import goals
    from tests.factories import make_goal

    parent = make_goal(session, "Team A calls", team=world.teams["A"], metric="new_customers", target=target)
    actor = world.actors["manager_a"]
    drafts = goals.propose_member_split(session, actor, parent.id)
    goals.save_children(session, actor, parent.id, drafts)
    return parent, actor, drafts


def test_a_goal_that_has_children_is_not_split_a_second_time(session, world):
    from core import goals
    from core.errors import Conflict

    parent, actor, drafts = _split(session, world)
    with pytest.raises(Conflict):
        goals.save_children(session, actor, parent.id, drafts)
    rollup, children = goals.goal_rollup(session, actor, parent.id)
    assert rollup.children == len(drafts) and rollup.adds_up


def test_re_split_replaces_the_children_in_one_go(session, world):
    from core import goals

    parent, actor, drafts = _split(session, world)
    again = goals.propose_member_split(session, actor, parent.id, "capacity")
    goals.save_children(session, actor, parent.id, again, replace_existing=True)
    rollup, children = goals.goal_rollup(session, actor, parent.id)
    assert rollup.children == len(again) and rollup.adds_up
    assert rollup.children_target == pytest.approx(parent.target)
