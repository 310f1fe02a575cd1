"""Forged and malformed drop events on the Board, My tasks and Pipeline pages: a clear message,
nothing moved, no traceback (the parsing lives in core.drops, tested in tests/unit/test_drops.py)."""
from __future__ import annotations

from datetime import date

import pytest

from core.deals import quarter_of
from db.engine import make_engine
from db.models import Deal, Task
from db.session import unit_of_work
from tests.factories import build_world, make_deal


@pytest.fixture
def world_db(sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        deal = make_deal(s, "Alice big deal", w.customers["a1"], w.members["a1"], value=50_000,
                         expected_close=quarter_of(date.today())[1])
        other = make_deal(s, "Bella small deal", w.customers["b1"], w.members["b1"], value=900)
        ids = {"a1": w.members["a1"].id, "a2": w.members["a2"].id, "b1": w.members["b1"].id,
               "task_a1": w.tasks["a1"].id, "task_b1": w.tasks["b1"].id, "deal": deal.id, "deal_b": other.id}
    yield sqlite_url, ids, engine
    engine.dispose()


def _snapshot(engine):
    with unit_of_work(engine) as s:
        tasks = {t.id: (t.assignee_id, t.status, t.position, t.version) for t in s.query(Task)}
        deals = {d.id: (d.stage, d.version) for d in s.query(Deal)}
    return tasks, deals


def _board_events(ids):
    good = {"from_container": f"bcol-m-{ids['a1']}", "to_container": f"bcol-m-{ids['a2']}",
            "item_key": f"task-{ids['task_a1']}-v1", "from_index": 0, "to_index": 0}
    return [
        {"event_id": "x1", "from_container": 5},  # missing keys, wrong type
        {**good, "event_id": "x2", "item_key": ["task", ids["task_a1"]]},
        {**good, "event_id": "x3", "item_key": f"task-{ids['task_b1']}-v1"},  # another team's task (out of scope)
        {**good, "event_id": "x4", "item_key": "task-999999-v1"},  # unknown id
        {**good, "event_id": "x5", "to_container": f"bcol-m-{ids['b1']}"},  # a column of another team
        {**good, "event_id": "x6", "to_container": "bcol-m-99999999999999999999999"},
        {**good, "event_id": "x7", "to_index": "lots"},
        {**good, "event_id": "x8", "from_index": None, "to_index": 1e300},
        "not a dict",
        ["x9"],
    ]


def _each_refused(at, engine, dnd_key: str, events) -> None:
    """Each drop event, sent as the component would, shows the refusal and changes nothing."""
    before = _snapshot(engine)
    for event in events:
        at.session_state[dnd_key] = event
        at.run()
        assert not at.exception, (event, at.exception)
        assert any("nothing was moved" in e.value for e in at.error), event
        assert _snapshot(engine) == before, event


def test_malformed_board_drops_show_a_message_and_move_nothing(app_at, world_db):
    url, ids, engine = world_db
    at = app_at(url, "manager_a", page="pages/board.py")
    assert not at.exception, at.exception
    _each_refused(at, engine, "stdnd", _board_events(ids))


def test_malformed_my_tasks_drops_move_nothing(app_at, world_db):
    url, ids, engine = world_db
    at = app_at(url, "member_a1", page="pages/my_tasks.py")
    at.segmented_control(key="my_tasks_mode").set_value("board").run()
    assert not at.exception, at.exception
    _each_refused(at, engine, "my_tasks_dnd", [
        {"event_id": "m1", "from_container": "mycol-todo", "to_container": "mycol-nonsense",
         "item_key": f"task-{ids['task_a1']}-v1", "from_index": 0, "to_index": 0},
        {"event_id": "m2", "from_container": "mycol-todo", "to_container": "mycol-done",
         "item_key": f"task-{ids['task_b1']}-v1", "from_index": 0, "to_index": 0},
        {"event_id": "m3"},
    ])


def test_malformed_pipeline_drops_show_a_message_and_move_nothing(app_at, world_db):
    url, ids, engine = world_db
    at = app_at(url, "manager_a", page="pages/pipeline.py")
    assert not at.exception, at.exception
    good = {"from_container": "pcol-lead", "to_container": "pcol-qualified", "item_key": f"deal-{ids['deal']}-v1",
            "from_index": 0, "to_index": 0}
    _each_refused(at, engine, "pipe_dnd", [
        {"event_id": "p1", "to_container": "pcol-qualified"},
        {**good, "event_id": "p2", "item_key": f"deal-{ids['deal_b']}-v1"},  # out of scope
        {**good, "event_id": "p3", "item_key": "deal-123456789-v1"},
        {**good, "event_id": "p4", "to_container": "pcol-nowhere"},
        {**good, "event_id": "p5", "item_key": f"task-{ids['deal']}-v1"},
        {**good, "event_id": "p6", "to_index": -3},
        12345,
    ])
