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
