"""The seven permission gaps found when the app was probed as an attacker (issue 17), each a named
case, plus linked records checked for scope when they are linked."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from core import goals, imports, pickers, service, tasks, training
from core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from core.goals import GoalDraft
from db.models import ActionItem, Interaction, OneOnOne, Task, TrainingAttendance


def _private_one_on_one_item(session, world) -> ActionItem:
    """manager_a's private 1:1 with Alice, with an action item."""
    one = OneOnOne(manager_user_id=world.users["manager_a"].id, member_id=world.members["a1"].id, held_on=date.today())
    session.add(one)
    session.flush()
    item = ActionItem(one_on_one_id=one.id, text="Private: talk about the pay rise", owner_member_id=world.members["a1"].id)
    session.add(item)
    session.flush()
    return item


def test_gap_task_from_action_item_refuses_someone_elses_private_item(session, world):
    item = _private_one_on_one_item(session, world)
    for outsider in ("manager_b", "member_b1", "admin"):  # not even admins read other people's 1:1s
        with pytest.raises(NotFound):
            tasks.task_from_action_item(session, world.actors[outsider], item.id)
    assert session.scalar(select(Task.id).where(Task.title == item.text)) is None
    assert tasks.task_from_action_item(session, world.actors["manager_a"], item.id)  # the holder still can


def test_gap_smart_check_gives_no_past_figures_of_people_out_of_reach(session, world):
    today = date.today()
    draft = GoalDraft(title="Close many deals this quarter", metric="new_customers", target=50, baseline=0,
                      start_date=today, end_date=today + timedelta(days=89), member_id=world.members["a1"].id)
    with pytest.raises(PermissionDenied):
        goals.smart_check(session, world.actors["manager_b"], draft)
    with pytest.raises(PermissionDenied):
        goals.smart_check(session, world.actors["member_b1"], draft)
    assert goals.smart_check(session, world.actors["manager_a"], draft)


def test_gap_praise_choices_do_not_show_team_mates_customers_and_goals(session, world):
    choices = pickers.praise_targets(session, world.actors["member_a1"])
    assert world.members["a2"].id in choices.members  # team-mates may be praised
    assert world.customers["a2"].id not in choices.customers
    assert world.goals["a2"].id not in choices.goals


def test_gap_attendance_rows_hide_scores_of_people_out_of_scope(session, world):
    admin = world.actors["admin"]
    org_wide = training.create_training(session, admin, team_id=None, topic="Org-wide onboarding", held_on=date.today(), hours=2)
    session.add(TrainingAttendance(training_id=org_wide, member_id=world.members["b1"].id, attended=True, pre_score=40, post_score=90))
    session.flush()
    rows = training.attendance_rows(session, world.actors["manager_a"], org_wide)
    assert world.members["b1"].id not in {r["member_id"] for r in rows}
    assert {r["member_id"] for r in training.attendance_rows(session, admin, org_wide)} >= {world.members["b1"].id}


def test_gap_move_task_neighbours_never_touch_other_teams_tasks(session, world):
    other = world.tasks["b1"]
    other.position = 5.0
    session.flush()
    manager = world.actors["manager_a"]
    task = world.tasks["a1"]
    tasks.move_task(session, manager, task.id, task.version, to_member_id=world.members["a2"].id,
                    neighbours=[other.id, world.tasks["a2"].id], to_index=1)
    session.flush()
    session.refresh(other)
    assert other.position == 5.0


def test_gap_log_complaint_refuses_another_teams_interaction(session, world):
    foreign = Interaction(customer_id=world.customers["b1"].id, member_id=world.members["b1"].id, channel="phone",
                          summary="Bella's call")
    session.add(foreign)
    session.flush()
    with pytest.raises(NotFound):
        service.log_complaint(session, world.actors["manager_a"], customer_id=world.customers["a1"].id, severity="low",
                              title="Complaint", interaction_id=foreign.id)
    own = Interaction(customer_id=world.customers["a2"].id, member_id=world.members["a2"].id, channel="phone", summary="x")
    session.add(own)
    session.flush()
    with pytest.raises(InvalidInput):  # visible, but on another customer
        service.log_complaint(session, world.actors["manager_a"], customer_id=world.customers["a1"].id, severity="low",
                              title="Complaint", interaction_id=own.id)


def test_gap_import_surveys_does_not_tell_whether_a_customer_name_exists(session, world):
    actor = world.actors["manager_a"]

    def errors_for(name: str):
        frame = pd.DataFrame({"customer": [name], "csat": [5], "nps": [9], "responded_at": ["2026-11-01"]})
        with pytest.raises(DomainError) as exc:
            imports.commit_import(session, actor, "surveys", frame, imports.guess_mapping(list(frame.columns), "surveys"))
        return [(e.key, e.row) for e in exc.value.errors]

    assert errors_for(world.customers["b1"].name) == errors_for("A customer that does not exist")
