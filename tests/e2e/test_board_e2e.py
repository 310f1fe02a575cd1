"""Real mouse drags on the Board in Chromium: the manager drags a task from one member's column to
another's; after the rerun the card is under the new member, the database says so and an audit row
exists. The member-side refusal is tested below at core level: a member's UI (My tasks) never shows
another member's task, so there is nothing of theirs to drag (a forged drop event through the page
is refused with a message in tests/app/test_board_page.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import tasks
from core.errors import PermissionDenied
from db.engine import make_engine
from db.models import AuditLog, Task
from db.session import unit_of_work
from tests.e2e.helpers import login, wait_for_app, wait_for_drop_line
from tests.factories import PASSWORD, build_world


def _drag(page, source, target) -> None:
    """Press on the card's grip, move a little, glide to the target, release (HTML5 drag needs steps)."""
    src = source.bounding_box()
    dst = target.bounding_box()
    x, y = src["x"] + src["width"] / 2, src["y"] + src["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y + 5)
    page.mouse.move(dst["x"] + dst["width"] / 2, dst["y"] + dst["height"] / 2, steps=25)
    wait_for_drop_line(page, target)
    page.mouse.up()


def test_manager_drags_a_task_from_one_member_to_another(live_server, new_page, sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        task_id, a1, a2 = w.tasks["a1"].id, w.members["a1"].id, w.members["a2"].id
    base = live_server(sqlite_url)
    page = new_page()
    login(page, base, "manager_a", password=PASSWORD)
    page.get_by_role("link", name="Board").first.click()
    wait_for_app(page)

    card = page.locator(f'[class*="st-key-task-{task_id}-v1"]')
    assert card.count() == 1
    assert page.locator(f".st-key-bcol-m-{a1}").locator(f'[class*="st-key-task-{task_id}-"]').count() == 1
    grip = page.locator(f'.stdnd-has-handle:has(> [class*="st-key-task-{task_id}-v1"]) > .stdnd-handle')
    grip.wait_for()
    _drag(page, grip, page.locator(f".st-key-bcol-m-{a2}"))
    wait_for_app(page)

    page.get_by_text("Moved “Task of Alice A1”").wait_for()
    assert page.locator(f".st-key-bcol-m-{a2}").locator(f'[class*="st-key-task-{task_id}-v2"]').count() == 1
    assert page.locator(f".st-key-bcol-m-{a1}").locator(f'[class*="st-key-task-{task_id}-"]').count() == 0
    with unit_of_work(engine) as s:
        assert s.get(Task, task_id).assignee_id == a2
        moves = s.scalars(select(AuditLog).where(AuditLog.entity == "task", AuditLog.entity_id == task_id,
                                                 AuditLog.action == "task.move")).all()
        assert len(moves) == 1 and moves[0].after["assignee_id"] == a2
    engine.dispose()


def test_move_to_menu_reassigns_without_dragging(live_server, new_page, sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        task_id, a2 = w.tasks["a1"].id, w.members["a2"].id
    base = live_server(sqlite_url)
    page = new_page()
    login(page, base, "manager_a", password=PASSWORD)
    page.get_by_role("link", name="Board").first.click()
    wait_for_app(page)
    page.locator(".st-key-board_pick input").click()  # the board's one Move to… picker (was a button per card)
    page.get_by_role("option", name="Task of Alice A1").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    dialog.get_by_label("Move to member").click()
    page.get_by_role("option", name="Aaron A2").click()
    wait_for_app(page)
    dialog.get_by_role("button", name="Move", exact=True).click()
    wait_for_app(page)
    page.get_by_text("Moved “Task of Alice A1”").wait_for()
    assert page.locator(f".st-key-bcol-m-{a2}").locator(f'[class*="st-key-task-{task_id}-v2"]').count() == 1
    with unit_of_work(engine) as s:
        assert s.get(Task, task_id).assignee_id == a2
    engine.dispose()


def test_a_member_cannot_move_another_members_task(sqlite_url):
    """Core-level: even a forged drop event from a member for a team-mate's task is refused and
    leaves the database unchanged (the member's UI never shows others' tasks)."""
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        member, task_id = w.actors["member_a1"], w.tasks["a2"].id
    with pytest.raises(PermissionDenied) as refused:
        with unit_of_work(engine) as s:
            tasks.move_task(s, member, task_id, 1, to_status="done")
    assert refused.value.key == "error.permission_denied"
    with unit_of_work(engine) as s:
        task = s.get(Task, task_id)
        assert (task.status, task.version) == ("todo", 1)
        assert s.scalars(select(AuditLog).where(AuditLog.entity_id == task_id, AuditLog.entity == "task")).all() == []
    engine.dispose()
