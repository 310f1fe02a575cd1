"""Task rules: who may move what where, capacity warnings, optimistic concurrency, ordering,
creating and editing, quick-adds, the board's columns and the audit trail.

World (tests/factories.py): manager_a manages Team A and sub-team A1 (members lead_a, a1, a2);
manager_b manages Team B (member b1); a1, a2 and b1 each have one open task and a limit of 3."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core import tasks
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.workload import workload_chart, workload_frame
from db.models import ActionItem, AuditLog, Meeting, MemberSpecialty, Task, TaskNote
from tests.factories import make_task


def _task(session, task_id) -> Task:
    session.expire_all()
    return session.get(Task, task_id)


def _audit(session, task_id, action="task.move"):
    return session.scalars(
        select(AuditLog).where(AuditLog.entity == "task", AuditLog.entity_id == task_id, AuditLog.action == action)
    ).all()


# ---------------------------------------------------------------------------------------------
# Permission matrix for moves
# ---------------------------------------------------------------------------------------------
# (actor, task owner key, target member key or None for Unassigned or "keep", to_status) -> allowed?
MOVES = [
    ("admin", "b1", "a1", None, True),
    ("manager_a", "a1", "a2", None, True),  # within the manager's sub-team
    ("manager_a", "a1", "lead_a", None, True),  # from the sub-team up to Team A
    ("manager_a", "a1", None, None, True),  # to Unassigned
    ("manager_a", "a1", "b1", None, False),  # target outside the manager's scope
    ("manager_a", "b1", "a1", None, False),  # task outside the manager's scope
    ("manager_b", "a1", "b1", None, False),
    ("manager_b", "b1", "keep", "blocked", True),
    ("member_a1", "a1", "keep", "in_progress", True),  # own task, own status columns
    ("member_a1", "a1", "a2", None, False),  # members never reassign
    ("member_a1", "a1", None, None, False),
    ("member_a1", "a2", "keep", "done", False),  # a team-mate's task
    ("member_b1", "a1", "keep", "done", False),
]


@pytest.mark.parametrize("actor,owner,target,status,ok", MOVES)
def test_move_permission_matrix(session, world, actor, owner, target, status, ok):
    task = world.tasks[owner]
    before = (task.assignee_id, task.status, task.version)
    kwargs = {"to_status": status}
    if target != "keep":
        kwargs["to_member_id"] = world.members[target].id if target else None
    if ok:
        result = tasks.move_task(session, world.actors[actor], task.id, task.version, **kwargs)
        session.commit()
        moved = _task(session, task.id)
        assert result.changed and moved.version == before[2] + 1
        if target != "keep":
            assert moved.assignee_id == (world.members[target].id if target else None)
        if status:
            assert moved.status == status
    else:
        with pytest.raises(PermissionDenied):
            tasks.move_task(session, world.actors[actor], task.id, task.version, **kwargs)
        session.rollback()
        unchanged = _task(session, task.id)
        assert (unchanged.assignee_id, unchanged.status, unchanged.version) == before
        assert _audit(session, task.id) == []


def test_reassigning_moves_the_task_to_the_new_assignees_team(session, world):
    task = world.tasks["a1"]
    tasks.move_task(session, world.actors["manager_a"], task.id, 1, to_member_id=world.members["lead_a"].id)
    session.commit()
    assert _task(session, task.id).team_id == world.teams["A"].id


# ---------------------------------------------------------------------------------------------
# Capacity
# ---------------------------------------------------------------------------------------------
def test_moving_onto_a_full_member_warns_but_moves(session, world):
    a2 = world.members["a2"]  # limit 3, has 1 open task
    for n in range(2):
        make_task(session, f"extra {n}", world.teams["A1"], a2)
    session.commit()  # a2 now at 3 of 3
    result = tasks.move_task(session, world.actors["manager_a"], world.tasks["a1"].id, 1, to_member_id=a2.id)
    session.commit()
    assert result.warning == "board.warn.over_capacity"
    assert result.params == {"name": a2.name, "open": 4, "capacity": 3}
    assert _task(session, world.tasks["a1"].id).assignee_id == a2.id


def test_moving_onto_a_member_with_room_gives_no_warning(session, world):
    result = tasks.move_task(session, world.actors["manager_a"], world.tasks["a1"].id, 1, to_member_id=world.members["a2"].id)
    assert result.warning is None  # a2: 1 open + this one = 2 of 3


def test_a_done_task_does_not_count_against_capacity(session, world):
    a2 = world.members["a2"]
    for n in range(2):
        make_task(session, f"extra {n}", world.teams["A1"], a2)
    make_task(session, "finished", world.teams["A1"], world.members["a1"], status="done")
    session.commit()
    finished = session.scalar(select(Task).where(Task.title == "finished"))
    result = tasks.move_task(session, world.actors["manager_a"], finished.id, 1, to_member_id=a2.id)
    assert result.warning is None


# ---------------------------------------------------------------------------------------------
# Versions, ordering, status side effects
# ---------------------------------------------------------------------------------------------
def test_a_move_from_a_stale_version_is_a_conflict_and_changes_nothing(session, world):
    task = world.tasks["a1"]
    tasks.move_task(session, world.actors["manager_a"], task.id, 1, to_status="in_progress")
    session.commit()
    with pytest.raises(Conflict) as caught:
        tasks.move_task(session, world.actors["manager_a"], task.id, 1, to_member_id=world.members["a2"].id)
    session.rollback()
    assert caught.value.key == "board.error.conflict"
    moved = _task(session, task.id)
    assert (moved.assignee_id, moved.status, moved.version) == (world.members["a1"].id, "in_progress", 2)
    assert len(_audit(session, task.id)) == 1


def test_moving_to_done_completes_the_task_and_back_reopens_it(session, world):
    task = world.tasks["a1"]
    r = tasks.move_task(session, world.actors["member_a1"], task.id, 1, to_status="done")
    session.commit()
    done = _task(session, task.id)
    assert (done.status, done.progress, done.completed_at is not None) == ("done", 100, True)
    tasks.move_task(session, world.actors["member_a1"], task.id, r.version, to_status="todo")
    session.commit()
    assert _task(session, task.id).completed_at is None


def test_dropping_between_two_cards_places_the_task_between_them(session, world):
    a1 = world.members["a1"]
    first = make_task(session, "first", world.teams["A1"], a1, position=1.0)
    second = make_task(session, "second", world.teams["A1"], a1, position=2.0)
    moving = world.tasks["a2"]
    session.commit()
    tasks.move_task(session, world.actors["manager_a"], moving.id, 1, to_member_id=a1.id, to_index=1,
                    neighbours=[first.id, second.id])
    session.commit()
    assert _task(session, moving.id).position == 1.5


def test_reordering_tied_positions_renumbers_the_column(session, world):
    a1 = world.members["a1"]
    x = make_task(session, "x", world.teams["A1"], a1, position=5.0)
    y = make_task(session, "y", world.teams["A1"], a1, position=5.0)
    z = make_task(session, "z", world.teams["A1"], a1, position=5.0)
    session.commit()
    # drawn order x, y, z (ties broken by id); drag z between x and y
    others, index = tasks.drop_neighbours([x.id, y.id, z.id], z.id, True, 2, 1)
    assert (others, index) == ([x.id, y.id], 1)
    tasks.move_task(session, world.actors["manager_a"], z.id, 1, to_index=index, neighbours=others)
    session.commit()
    order = session.scalars(select(Task.title).where(Task.title.in_(["x", "y", "z"])).order_by(Task.position, Task.id)).all()
    assert order == ["x", "z", "y"]


def test_a_drop_further_down_the_same_column_counts_the_card_itself():
    # drawn [1, 2, 3]; card 1 dropped at index 2 (before card 3) -> after removal, index 1
    assert tasks.drop_neighbours([1, 2, 3], 1, True, 0, 2) == ([2, 3], 1)
    # into another column: the index is taken as is
    assert tasks.drop_neighbours([7, 8], 1, False, 0, 2) == ([7, 8], 2)


def test_position_between_neighbours():
    assert tasks.position_between(None, None) == 0.0
    assert tasks.position_between(None, 3.0) == 2.0
    assert tasks.position_between(3.0, None) == 4.0
    assert tasks.position_between(1.0, 2.0) == 1.5


@pytest.mark.parametrize("importance,urgency,quadrant", [(1, 1, "do"), (1, 0, "schedule"), (0, 1, "delegate"), (0, 0, "eliminate")])
def test_eisenhower_quadrant(importance, urgency, quadrant):
    assert tasks.quadrant_of(importance, urgency) == quadrant
    assert tasks.quadrant_flags(quadrant) == (importance, urgency)


# ---------------------------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------------------------
def test_a_move_writes_one_audit_row_with_before_and_after(session, world):
    task = world.tasks["a1"]
    tasks.move_task(session, world.actors["manager_a"], task.id, 1, to_member_id=world.members["a2"].id, to_status="blocked")
    session.commit()
    rows = _audit(session, task.id)
    assert len(rows) == 1
    row = rows[0]
    assert row.user_id == world.users["manager_a"].id
    assert row.before["assignee_id"] == world.members["a1"].id and row.after["assignee_id"] == world.members["a2"].id
    assert (row.before["status"], row.after["status"]) == ("todo", "blocked")
    assert (row.before["version"], row.after["version"]) == (1, 2)


def test_history_shows_moves_and_edits_newest_first(session, world):
    task = world.tasks["a1"]
    r = tasks.move_task(session, world.actors["manager_a"], task.id, 1, to_status="in_progress")
    tasks.update_task(session, world.actors["manager_a"], task.id, r.version, title="Renamed")
    session.commit()
    history = tasks.task_history(session, world.actors["member_a1"], task.id)
    assert [h["action"] for h in history][:2] == ["task.update", "task.move"]
    assert history[0]["after"] == {"title": "Renamed", "version": 3}


def test_a_member_cannot_read_the_history_of_anothers_task(session, world):
    with pytest.raises(NotFound):
        tasks.task_history(session, world.actors["member_a1"], world.tasks["b1"].id)


# ---------------------------------------------------------------------------------------------
# Create, edit, report
# ---------------------------------------------------------------------------------------------
def test_creating_a_task_requires_a_title(session, world):
    with pytest.raises(InvalidInput) as caught:
        tasks.create_task(session, world.actors["manager_a"], title="  ", assignee_id=world.members["a1"].id)
    assert caught.value.errors[0].key == "error.required"


def test_a_manager_creates_a_task_for_a_member_with_an_audit_row(session, world):
    task_id = tasks.create_task(session, world.actors["manager_a"], title="Call back", assignee_id=world.members["a2"].id,
                                customer_id=world.customers["a2"].id, importance=1, urgency=1,
                                due_date=date.today() + timedelta(days=2))
    session.commit()
    task = _task(session, task_id)
    assert (task.team_id, task.assignee_id, task.importance, task.urgency) == (world.teams["A1"].id, world.members["a2"].id, 1, 1)
    assert len(_audit(session, task_id, "task.create")) == 1


def test_a_manager_cannot_create_a_task_for_another_teams_member(session, world):
    with pytest.raises(PermissionDenied):
        tasks.create_task(session, world.actors["manager_a"], title="x", assignee_id=world.members["b1"].id)


def test_a_member_creates_tasks_only_for_themselves(session, world):
    with pytest.raises(PermissionDenied):
        tasks.create_task(session, world.actors["member_a1"], title="x", assignee_id=world.members["a2"].id)
    task_id = tasks.create_task(session, world.actors["member_a1"], title="mine")
    assert _task(session, task_id).assignee_id == world.members["a1"].id


def test_linking_a_customer_outside_the_scope_is_refused(session, world):
    with pytest.raises(NotFound):
        tasks.create_task(session, world.actors["manager_a"], title="x", assignee_id=world.members["a1"].id,
                          customer_id=world.customers["b1"].id)


def test_an_edit_from_a_stale_form_is_a_conflict(session, world):
    task = world.tasks["a1"]
    tasks.update_task(session, world.actors["manager_a"], task.id, 1, progress=40)
    session.commit()
    with pytest.raises(Conflict):
        tasks.update_task(session, world.actors["member_a1"], task.id, 1, progress=60)
    session.rollback()
    assert _task(session, task.id).progress == 40


def test_a_member_cannot_reassign_through_an_edit(session, world):
    with pytest.raises(PermissionDenied):
        tasks.update_task(session, world.actors["member_a1"], world.tasks["a1"].id, 1, assignee_id=world.members["a2"].id)


def test_progress_outside_0_to_100_is_refused(session, world):
    with pytest.raises(InvalidInput) as caught:
        tasks.update_task(session, world.actors["member_a1"], world.tasks["a1"].id, 1, progress=120)
    assert caught.value.errors[0].key == "board.error.progress"


def test_a_member_reports_status_progress_and_a_note_in_one_step(session, world):
    task = world.tasks["a1"]
    result = tasks.report_progress(session, world.actors["member_a1"], task.id, 1, status="in_progress", progress=30,
                                   note="Called, waiting for reply")
    session.commit()
    saved = _task(session, task.id)
    assert (saved.status, saved.progress, saved.version, result.version) == ("in_progress", 30, 2, 2)
    assert session.scalar(select(TaskNote.body).where(TaskNote.task_id == task.id)) == "Called, waiting for reply"
    assert len(_audit(session, task.id, "task.note")) == 1


# ---------------------------------------------------------------------------------------------
# Quick-adds and suggestions
# ---------------------------------------------------------------------------------------------
def test_quick_add_from_a_customer_assigns_the_owner_in_the_customers_team(session, world):
    task_id = tasks.quick_add_for_customer(session, world.actors["manager_a"], world.customers["a2"].id, "Send quote")
    session.commit()
    task = _task(session, task_id)
    assert (task.assignee_id, task.team_id, task.customer_id) == (world.members["a2"].id, world.teams["A1"].id, world.customers["a2"].id)


def test_task_from_an_action_item_links_both_ways_once(session, world):
    meeting = Meeting(team_id=world.teams["A1"].id, title="Weekly")
    session.add(meeting)
    session.flush()
    item = ActionItem(meeting_id=meeting.id, text="Prepare renewal offer", owner_member_id=world.members["a1"].id,
                      due_date=date(2030, 1, 15))
    session.add(item)
    session.commit()
    task_id = tasks.task_from_action_item(session, world.actors["manager_a"], item.id)
    again = tasks.task_from_action_item(session, world.actors["manager_a"], item.id)
    session.commit()
    task = _task(session, task_id)
    assert again == task_id
    assert (task.title, task.assignee_id, task.due_date) == ("Prepare renewal offer", world.members["a1"].id, date(2030, 1, 15))
    assert session.get(ActionItem, item.id).task_id == task_id


def test_suggestions_prefer_specialty_match_then_lighter_load(session, world):
    a1, a2 = world.members["a1"], world.members["a2"]
    customer = world.customers["a1"]  # industry retail, region 华东, size medium
    session.add(MemberSpecialty(member_id=a2.id, kind="industry", value="retail"))
    session.commit()
    ranked = tasks.suggest_assignees(session, world.actors["manager_a"], world.teams["A1"].id, customer.id)
    # a2: 1 match - 1/3 load = 0.667; a1: 0 - 1/3 = -0.333
    assert [(s.member_id, s.score, s.matches) for s in ranked] == [(a2.id, 0.667, ("retail",)), (a1.id, -0.333, ())]


# ---------------------------------------------------------------------------------------------
# Board and workload reads
# ---------------------------------------------------------------------------------------------
def test_the_member_board_has_unassigned_then_each_member(session, world):
    make_task(session, "nobody's", world.teams["A1"])
    session.commit()
    b = tasks.board(session, world.actors["manager_a"], world.teams["A"].id, "member")
    assert [c.id for c in b.columns] == ["none", str(world.members["lead_a"].id), str(world.members["a2"].id), str(world.members["a1"].id)]
    by_id = {c.id: [card.title for card in c.cards] for c in b.columns}
    assert by_id["none"] == ["nobody's"]
    assert by_id[str(world.members["a1"].id)] == ["Task of Alice A1"]


def test_the_board_shows_only_the_limit_per_column_and_counts_the_rest(session, world):
    for n in range(5):
        make_task(session, f"t{n}", world.teams["A1"], world.members["a1"], position=float(n))
    session.commit()
    b = tasks.board(session, world.actors["manager_a"], world.teams["A1"].id, "member", limit=2,
                    limits=((str(world.members["a2"].id), 1),))
    col = next(c for c in b.columns if c.member_id == world.members["a1"].id)
    assert (len(col.cards), col.total, col.hidden) == (2, 6, 4)
    assert [c.title for c in col.cards] == ["Task of Alice A1", "t0"]  # position 0.0 ties broken by id


def test_a_big_team_is_shown_a_page_of_members_at_a_time(session, world):
    actor, team = world.actors["manager_a"], world.teams["A"].id
    first = tasks.board(session, actor, team, "member", member_offset=0, member_limit=2)
    second = tasks.board(session, actor, team, "member", member_offset=2, member_limit=2)
    assert [c.id for c in first.columns] == ["none", str(world.members["lead_a"].id), str(world.members["a2"].id)]
    assert [c.id for c in second.columns] == ["none", str(world.members["a1"].id)]
    assert first.members_total == second.members_total == 3


def test_board_filters_by_priority_due_and_customer(session, world):
    a1 = world.members["a1"]
    today = date(2030, 6, 1)
    make_task(session, "urgent overdue", world.teams["A1"], a1, importance=1, urgency=1, due_date=date(2030, 5, 1),
              customer_id=world.customers["a1"].id)
    make_task(session, "later", world.teams["A1"], a1, importance=1, due_date=date(2030, 6, 20))
    session.commit()
    actor = world.actors["manager_a"]
    team = world.teams["A1"].id

    def titles(**kw):
        b = tasks.board(session, actor, team, "status", today=today, **kw)
        return sorted(card.title for c in b.columns for card in c.cards)

    assert titles(quadrant="do") == ["urgent overdue"]
    assert titles(due="overdue") == ["urgent overdue"]
    assert titles(due="month") == ["later"]
    assert titles(customer_query="customer of alice") == ["urgent overdue"]
    overdue_card = next(card for c in tasks.board(session, actor, team, "status", today=today).columns for card in c.cards
                        if card.title == "urgent overdue")
    assert overdue_card.overdue and overdue_card.quadrant == "do"


def test_members_cannot_open_the_board(session, world):
    with pytest.raises(PermissionDenied):
        tasks.board(session, world.actors["member_a1"], world.teams["A1"].id)


def test_a_manager_cannot_open_another_managers_board(session, world):
    with pytest.raises(PermissionDenied):
        tasks.board(session, world.actors["manager_a"], world.teams["B"].id)


def test_my_tasks_lists_only_the_members_own_tasks(session, world):
    mine = tasks.my_tasks(session, world.actors["member_a1"])
    assert [c.id for c in mine] == [world.tasks["a1"].id]


def test_workload_counts_open_and_overdue_against_the_limit(session, world):
    a1 = world.members["a1"]
    today = date(2030, 6, 1)
    make_task(session, "late", world.teams["A1"], a1, due_date=date(2030, 5, 1))
    make_task(session, "late 2", world.teams["A1"], a1, due_date=date(2030, 5, 2))
    make_task(session, "late done", world.teams["A1"], a1, due_date=date(2030, 5, 2), status="done")
    session.commit()
    frame = workload_frame(session, world.actors["manager_a"], world.teams["A1"].id, today=today)
    row = frame.set_index("member").loc["Alice A1"]
    assert (row.open_tasks, row.capacity, row.overdue, bool(row.over_capacity)) == (3, 3, 2, False)
    assert set(frame["member"]) == {"Alice A1", "Aaron A2"}
    only_overdue = workload_frame(session, world.actors["manager_a"], world.teams["A1"].id, due="overdue", today=today)
    assert only_overdue.set_index("member").loc["Aaron A2"].open_tasks == 0


def test_workload_chart_has_bars_a_capacity_mark_and_titles(session, world):
    frame = workload_frame(session, world.actors["manager_a"], world.teams["A"].id)
    spec = workload_chart(frame, "en").to_dict()
    assert spec["title"] == "Workload per member"
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["bar", "tick"]
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Open tasks (count)"
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Member"
