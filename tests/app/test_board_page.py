"""Board and My tasks pages through AppTest: a simulated streamlit-dnd drop moves the task in the
database, Move to… does the same, members cannot reach the Board, My tasks renders and saves."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from db.engine import make_engine
from db.models import AuditLog, Task, TaskNote
from db.session import unit_of_work
from tests.factories import build_world


@pytest.fixture
def world_db(sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        ids = {
            "a1": w.members["a1"].id, "a2": w.members["a2"].id, "b1": w.members["b1"].id,
            "task_a1": w.tasks["a1"].id, "task_a2": w.tasks["a2"].id, "task_b1": w.tasks["b1"].id,
            "team_A1": w.teams["A1"].id, "team_A": w.teams["A"].id,
        }
    yield sqlite_url, ids, engine
    engine.dispose()


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success]
    parts += [w.value for w in at.warning] + [i.value for i in at.info] + [c.value for c in at.caption]
    return "\n".join(parts)


def _task(engine, task_id) -> Task:
    with unit_of_work(engine) as s:
        return s.get(Task, task_id)


def test_a_simulated_drop_reassigns_the_task_in_the_database(app_at, world_db):
    url, ids, engine = world_db
    at = app_at(url, "manager_a", page="pages/board.py")
    assert not at.exception, at.exception
    assert "Task of Alice A1" in _texts(at)
    at.session_state["stdnd"] = {
        "event_id": "e1", "from_container": f"bcol-m-{ids['a1']}", "to_container": f"bcol-m-{ids['a2']}",
        "item_key": f"task-{ids['task_a1']}-v1", "from_index": 0, "to_index": 0,
    }
    at.run()
    assert not at.exception, at.exception
    assert _task(engine, ids["task_a1"]).assignee_id == ids["a2"]
    assert any("Moved “Task of Alice A1”" in s.value for s in at.success)
    with unit_of_work(engine) as s:
        assert s.scalars(select(AuditLog.action).where(AuditLog.entity_id == ids["task_a1"])).all() == ["task.move"]
    # The same event reported again (the component re-sends its value on every rerun) moves nothing.
    at.run()
    assert _task(engine, ids["task_a1"]).version == 2


def test_a_drop_from_a_stale_board_is_refused_with_a_message(app_at, world_db):
    url, ids, engine = world_db
    at = app_at(url, "manager_a", page="pages/board.py")
    with unit_of_work(engine) as s:  # someone else changes the task after the board was drawn
        s.get(Task, ids["task_a1"]).version = 2
    at.session_state["stdnd"] = {
        "event_id": "e2", "from_container": f"bcol-m-{ids['a1']}", "to_container": f"bcol-m-{ids['a2']}",
        "item_key": f"task-{ids['task_a1']}-v1", "from_index": 0, "to_index": 0,
    }
    at.run()
    assert not at.exception, at.exception
    assert any("changed by someone else first" in e.value for e in at.error)
    assert _task(engine, ids["task_a1"]).assignee_id == ids["a1"]


def test_a_drop_onto_a_full_member_moves_and_warns(app_at, world_db):
    url, ids, engine = world_db
    with unit_of_work(engine) as s:
        for n in range(2):
            s.add(Task(title=f"extra {n}", team_id=ids["team_A1"], assignee_id=ids["a2"]))
    at = app_at(url, "manager_a", page="pages/board.py")
    at.session_state["stdnd"] = {
        "event_id": "e3", "from_container": f"bcol-m-{ids['a1']}", "to_container": f"bcol-m-{ids['a2']}",
        "item_key": f"task-{ids['task_a1']}-v1", "from_index": 0, "to_index": 0,
    }
    at.run()
    assert any("over the limit of 3" in w.value for w in at.warning)
    assert _task(engine, ids["task_a1"]).assignee_id == ids["a2"]


def test_the_status_view_moves_a_card_between_states(app_at, world_db):
    url, ids, engine = world_db
    at = app_at(url, "manager_a", page="pages/board.py")
    at.segmented_control(key="board_view").set_value("status").run()
    assert not at.exception, at.exception
    assert [m.value for m in at.markdown if m.value.startswith("#### ")] == [
        "#### To do · 2", "#### In progress · 0", "#### Blocked · 0", "#### Done · 0"]
    at.session_state["stdnd"] = {
        "event_id": "e4", "from_container": "bcol-s-todo", "to_container": "bcol-s-blocked",
        "item_key": f"task-{ids['task_a2']}-v1", "from_index": 0, "to_index": 0,
    }
    at.run()
    assert _task(engine, ids["task_a2"]).status == "blocked"


def test_the_workload_view_renders(app_at, world_db):
    url, _ids, _engine = world_db
    at = app_at(url, "manager_a", page="pages/board.py")
    at.segmented_control(key="board_section").set_value("workload").run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1


def test_a_manager_creates_a_task_from_the_new_task_form(app_at, world_db):
    url, ids, engine = world_db
    at = app_at(url, "manager_a", page="pages/board.py")
    at.segmented_control(key="board_section").set_value("new").run()
    assert not at.exception, at.exception
    at.text_input(key="board_new_0_title").input("Prepare the QBR deck").run()
    at.button(key="board_new_0_create").click().run()
    assert not at.exception, at.exception
    with unit_of_work(engine) as s:
        assert s.scalar(select(Task.id).where(Task.title == "Prepare the QBR deck")) is not None


def test_members_cannot_open_the_board(app_at, world_db):
    url, _ids, _engine = world_db
    at = app_at(url, "member_a1")
    with pytest.raises(ValueError):
        at.switch_page("pages/board.py")


def test_my_tasks_renders_for_a_member_and_saves_an_update(app_at, world_db):
    url, ids, engine = world_db
    at = app_at(url, "member_a1", page="pages/my_tasks.py")
    assert not at.exception, at.exception
    text = _texts(at)
    assert "Task of Alice A1" in text and "Task of Bella B1" not in text and "Task of Aaron A2" not in text
    tid = ids["task_a1"]
    at.segmented_control(key=f"my-st-{tid}-1").set_value("in_progress")
    at.slider(key=f"my-pr-{tid}-1").set_value(40)
    at.text_input(key=f"my-nt-{tid}-1").input("Called the customer")
    at.button[0].click().run()
    assert not at.exception, at.exception
    task = _task(engine, tid)
    assert (task.status, task.progress) == ("in_progress", 40)
    with unit_of_work(engine) as s:
        assert s.scalar(select(TaskNote.body).where(TaskNote.task_id == tid)) == "Called the customer"


def test_a_member_drags_their_task_to_another_status_on_my_tasks(app_at, world_db):
    url, ids, engine = world_db
    at = app_at(url, "member_a1", page="pages/my_tasks.py")
    at.segmented_control(key="my_tasks_mode").set_value("board").run()
    at.session_state["my_tasks_dnd"] = {
        "event_id": "m1", "from_container": "mycol-todo", "to_container": "mycol-done",
        "item_key": f"task-{ids['task_a1']}-v1", "from_index": 0, "to_index": 0,
    }
    at.run()
    assert not at.exception, at.exception
    assert _task(engine, ids["task_a1"]).status == "done"


def test_move_to_menu_does_the_same_as_a_drop(app_at, world_db):
    url, ids, engine = world_db
    at = app_at(url, "manager_a", page="pages/board.py")
    at.selectbox(key="board_pick").set_value(ids["task_a1"]).run()
    assert not at.exception, at.exception
    at.selectbox(key="move_member").set_value(ids["a2"])
    at.selectbox(key="move_status").set_value("in_progress")
    at.button(key="move_submit").click().run()
    assert not at.exception, at.exception
    task = _task(engine, ids["task_a1"])
    assert (task.assignee_id, task.status) == (ids["a2"], "in_progress")
    assert any("Moved “Task of Alice A1”" in s.value for s in at.success)


def test_details_show_the_cards_history(app_at, world_db):
    url, ids, engine = world_db
    at = app_at(url, "manager_a", page="pages/board.py")
    at.session_state["stdnd"] = {
        "event_id": "h1", "from_container": f"bcol-m-{ids['a1']}", "to_container": f"bcol-m-{ids['a2']}",
        "item_key": f"task-{ids['task_a1']}-v1", "from_index": 0, "to_index": 0,
    }
    at.run()
    at.selectbox(key="board_pick").set_value(ids["task_a1"]).run()
    assert not at.exception, at.exception
    assert any("Manager A moved task" in c.value for c in at.caption)  # issue 12: history as sentences


def test_a_drop_within_a_column_reorders_it(app_at, world_db):
    url, ids, engine = world_db
    with unit_of_work(engine) as s:
        s.add_all([Task(title="second", team_id=ids["team_A1"], assignee_id=ids["a1"], position=1.0),
                   Task(title="third", team_id=ids["team_A1"], assignee_id=ids["a1"], position=2.0)])
    at = app_at(url, "manager_a", page="pages/board.py")
    column = f"bcol-m-{ids['a1']}"
    at.session_state["stdnd"] = {  # the first card dragged below the last one
        "event_id": "r1", "from_container": column, "to_container": column,
        "item_key": f"task-{ids['task_a1']}-v1", "from_index": 0, "to_index": 3,
    }
    at.run()
    assert not at.exception, at.exception
    assert any("Reordered “Task of Alice A1”" in s.value for s in at.success)
    with unit_of_work(engine) as s:
        order = s.scalars(select(Task.title).where(Task.assignee_id == ids["a1"]).order_by(Task.position, Task.id)).all()
    assert order == ["second", "third", "Task of Alice A1"]


def test_a_forged_drop_of_another_members_task_is_refused_with_a_message(app_at, world_db):
    """My tasks never draws a team-mate's task; a drop event naming one anyway is refused."""
    url, ids, engine = world_db
    at = app_at(url, "member_a1", page="pages/my_tasks.py")
    at.segmented_control(key="my_tasks_mode").set_value("board").run()
    at.session_state["my_tasks_dnd"] = {
        "event_id": "f1", "from_container": "mycol-todo", "to_container": "mycol-done",
        "item_key": f"task-{ids['task_a2']}-v1", "from_index": 0, "to_index": 0,
    }
    at.run()
    assert not at.exception, at.exception
    # refused before the move (core.drops: the card was never drawn here); the move itself would
    # also refuse it (permission)
    assert any("nothing was moved" in e.value and "cannot see it" in e.value for e in at.error)
    task = _task(engine, ids["task_a2"])
    assert (task.status, task.version) == ("todo", 1)


def test_the_picker_opens_the_card_picked_when_two_cards_read_the_same(app_at, world_db):
    """A select sends its chosen label back; two cards with the same title in one column must
    still be two distinct choices, or the first opens (and moves) the second."""
    url, ids, engine = world_db
    with unit_of_work(engine) as s:
        original = s.get(Task, ids["task_a1"])
        twin = Task(team_id=original.team_id, title=original.title, status=original.status,
                    assignee_id=original.assignee_id, customer_id=original.customer_id,
                    created_by=original.created_by, position=original.position + 1)
        s.add(twin)
        s.flush()
        twin_id = twin.id
    at = app_at(url, "manager_a", page="pages/board.py")
    picker = at.selectbox(key="board_pick")
    labels = list(picker.options)  # the labels the browser shows
    assert len(set(labels)) == len(labels), labels
    picker.set_value(ids["task_a1"]).run()
    assert not at.exception, at.exception
    at.selectbox(key="move_member").set_value(ids["a2"])
    at.button(key="move_submit").click().run()
    assert not at.exception, at.exception
    assert _task(engine, ids["task_a1"]).assignee_id == ids["a2"]
    assert _task(engine, twin_id).assignee_id == ids["a1"]
