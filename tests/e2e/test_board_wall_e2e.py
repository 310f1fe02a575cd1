"""The board as Trello users expect it, in Chromium: columns side by side in one row that scrolls
sideways, a card dragged to a column that starts off screen (the board scrolls while the card nears
its edge), WIP limits that warn, quick-add at the top of a column, and on touch screens the tap
"Move to…" sheet and a finger drag from To do to Done on a phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from db.engine import make_engine
from db.models import BoardWipLimit, Task
from db.session import unit_of_work
from tests.e2e.helpers import login, wait_for_app, wait_for_drop_line
from tests.factories import PASSWORD, build_world, make_member, make_task

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(sqlite_url):
    """The test world plus eight more members in Team A1, so the member view has twelve columns."""
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        extra = [make_member(s, f"Zed {i:02d}", w.teams["A1"], max_open_tasks=5) for i in range(1, 9)]
        far_task = make_task(s, "Far away task", w.teams["A1"], extra[2])
        ids = {"a1": w.members["a1"].id, "a2": w.members["a2"].id, "task_a1": w.tasks["a1"].id,
               "task_a2": w.tasks["a2"].id, "team_A": w.teams["A"].id, "far_task": far_task.id,
               "zed03": extra[2].id, "zed07": extra[6].id}
    yield sqlite_url, ids, engine
    engine.dispose()


@pytest.fixture
def touch_page(browser):
    """A phone with a touch screen (Playwright's has_touch); closed at teardown."""
    contexts = []

    def make(viewport=PHONE):
        context = browser.new_context(viewport=viewport, has_touch=True, is_mobile=True, locale="en-US")
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _task(engine, task_id) -> Task:
    with unit_of_work(engine) as s:
        return s.get(Task, task_id)


def _grip(page, task_id):
    return page.locator(f'.stdnd-has-handle:has(> [class*="st-key-task-{task_id}-"]) > .stdnd-handle')


def _in_view(page, selector: str, margin: int = 0) -> bool:
    """Whether the element lies wholly inside the board row's visible part (and the window)."""
    return page.evaluate(
        """([sel, margin]) => {
            const el = document.querySelector(sel), row = document.querySelector('.st-key-board-row');
            if (!el || !row) return false;
            const b = el.getBoundingClientRect(), r = row.getBoundingClientRect();
            return b.left >= Math.max(r.left, 0) - 1 && b.right <= Math.min(r.right, innerWidth) - margin + 1;
        }""", [selector, margin])


def _wait_in_view(page, selector: str, margin: int) -> None:
    page.wait_for_function(
        """([sel, margin]) => {
            const el = document.querySelector(sel), row = document.querySelector('.st-key-board-row');
            if (!el || !row) return false;
            const b = el.getBoundingClientRect(), r = row.getBoundingClientRect();
            return b.left >= Math.max(r.left, 0) - 1 && b.right <= Math.min(r.right, innerWidth) - margin + 1;
        }""", arg=[selector, margin], timeout=15000)


def _wait_row_still(page) -> None:
    """Until the board row has not scrolled for three polls in a row (auto-scroll has stopped)."""
    page.wait_for_function(
        """() => {
            const row = document.querySelector('.st-key-board-row');
            const seen = window.__rowStill || {left: -1, same: 0};
            seen.same = row && row.scrollLeft === seen.left ? seen.same + 1 : 0;
            seen.left = row ? row.scrollLeft : -1;
            window.__rowStill = seen;
            return seen.same >= 3;
        }""", polling=100, timeout=15000)


def _status_view(page) -> None:
    page.locator(".st-key-board_view").get_by_text("By status", exact=True).click()
    wait_for_app(page)


def test_the_columns_sit_side_by_side_in_one_row_that_scrolls_sideways(world, live_server, new_page):
    url, ids, engine = world
    page = new_page()
    login(page, live_server(url), "manager_a", password=PASSWORD, path="board")
    row = page.locator(".st-key-board-row")
    expect(row).to_be_visible()
    boxes = [page.locator(f".st-key-bcol-m-{ids[k]}").bounding_box() for k in ("a2", "a1", "zed03", "zed07")]
    assert len({round(b["y"]) for b in boxes}) == 1, boxes  # one row: no wrapping into rows of four
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"] < boxes[3]["x"]
    assert page.evaluate("() => { const r = document.querySelector('.st-key-board-row'); return r.scrollWidth > r.clientWidth; }")
    # Every member of the team has a column: no paging at this size.
    assert page.locator('[class*="st-key-bcol-m-"]').count() == 1 + 1 + 2 + 8
    assert page.get_by_role("button", name="Next").count() == 0
    # Cards carry the assignee's initials.
    expect(page.locator(f'[class*="st-key-task-{ids["task_a1"]}-"]')).to_contain_text("AA")


def test_a_card_dragged_to_a_column_that_starts_off_screen_lands_there(world, live_server, new_page):
    url, ids, engine = world
    page = new_page()
    login(page, live_server(url), "manager_a", password=PASSWORD, path="board")
    source, target = f".st-key-bcol-m-{ids['zed03']}", f".st-key-bcol-m-{ids['zed07']}"
    page.locator(source).wait_for()
    assert not _in_view(page, source) and not _in_view(page, target)  # both start off screen

    grip = _grip(page, ids["far_task"])
    grip.scroll_into_view_if_needed()  # the user scrolls the row to the card...
    assert _in_view(page, source) and not _in_view(page, target)
    box = grip.bounding_box()
    row = page.locator(".st-key-board-row").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y + 5)
    edge = min(row["x"] + row["width"], 1400) - 10
    page.mouse.move(edge, y, steps=10)  # ...and holds the card at the board's right edge
    _wait_in_view(page, target, margin=90)  # the board scrolls by itself until the column shows
    page.mouse.move(edge - 200, y, steps=4)  # out of the edge band: the board stops scrolling...
    _wait_row_still(page)  # ...(on a loaded machine some frames later), so the column stays put
    dst = page.locator(target).bounding_box()
    page.mouse.move(dst["x"] + dst["width"] / 2, dst["y"] + min(dst["height"] / 2, 40), steps=8)
    wait_for_drop_line(page, page.locator(target))  # the drop indicator shows the card would land there
    page.mouse.up()
    wait_for_app(page)

    expect(page.locator(target).locator(f'[class*="st-key-task-{ids["far_task"]}-v2"]')).to_have_count(1)
    assert _task(engine, ids["far_task"]).assignee_id == ids["zed07"]


def test_a_status_column_over_its_wip_limit_warns(world, live_server, new_page):
    url, ids, engine = world
    page = new_page()
    login(page, live_server(url), "manager_a", password=PASSWORD, path="board")
    _status_view(page)
    page.get_by_role("button", name="WIP limits").click()
    wait_for_app(page)
    page.get_by_label("To do", exact=True).fill("1")
    page.get_by_label("To do", exact=True).press("Tab")
    wait_for_app(page)
    page.get_by_role("button", name="Save limits").click()
    wait_for_app(page)
    expect(page.get_by_text("“To do” holds 3 tasks, over its limit of 1")).to_be_visible()
    expect(page.locator(".st-key-bwrap-s-todo")).to_contain_text("3 / limit 1")
    with unit_of_work(engine) as s:
        stored = s.scalars(select(BoardWipLimit).where(BoardWipLimit.team_id == ids["team_A"])).all()
        assert [(b.status, b.max_cards) for b in stored] == [("todo", 1)]


def test_quick_add_puts_a_task_at_the_top_of_a_members_column(world, live_server, new_page):
    url, ids, engine = world
    page = new_page()
    login(page, live_server(url), "manager_a", password=PASSWORD, path="board")
    column = page.locator(f".st-key-bwrap-m-{ids['a2']}")
    column.get_by_role("button", name="Add a task").click()
    wait_for_app(page)
    field = column.get_by_placeholder("Type a title, press Enter to add")
    field.fill("Call back about the renewal")
    field.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("Added “Call back about the renewal” to Aaron A2.")).to_be_visible()
    first = page.locator(f".st-key-bcol-m-{ids['a2']} .stdnd-has-handle").first
    expect(first).to_contain_text("Call back about the renewal")
    with unit_of_work(engine) as s:
        task = s.scalars(select(Task).where(Task.title == "Call back about the renewal")).one()
        assert (task.assignee_id, task.status) == (ids["a2"], "todo")


def test_on_a_touch_screen_move_to_is_one_tap_per_column(world, live_server, touch_page):
    url, ids, engine = world
    page = touch_page()
    login(page, live_server(url), "manager_a", password=PASSWORD, path="board")
    picker = page.locator(".st-key-board_pick input")  # the board's one Move to… picker (was a button per card)
    picker.scroll_into_view_if_needed()
    picker.tap()
    page.get_by_role("option", name="Task of Alice A1").tap()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Tap a column to move the task there.")).to_be_visible()
    dialog.get_by_role("button", name="Aaron A2").tap()
    wait_for_app(page)
    expect(page.get_by_text("Moved “Task of Alice A1”")).to_be_visible()
    assert _task(engine, ids["task_a1"]).assignee_id == ids["a2"]


def test_on_a_phone_a_finger_drags_a_card_from_to_do_to_done(world, live_server, touch_page):
    url, ids, engine = world
    page = touch_page()
    login(page, live_server(url), "manager_a", password=PASSWORD, path="board")
    _status_view(page)
    done = ".st-key-bcol-s-done"
    page.locator(done).wait_for(state="attached")
    assert not _in_view(page, done)  # Done is three columns to the right, off the phone's screen
    grip = _grip(page, ids["task_a1"])
    grip.scroll_into_view_if_needed()
    box = grip.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 30)
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, px: float, py: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": px, "y": py}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x, y)
    for i in range(1, 11):  # the finger slides to the right edge of the screen
        touch("touchMove", x + (PHONE["width"] - 12 - x) * i / 10, y)
    _wait_in_view(page, done, margin=0)  # and rests there while the board scrolls to its end
    dst = page.locator(done).bounding_box()
    tx, ty = dst["x"] + dst["width"] / 2, dst["y"] + min(dst["height"] / 2, 30)
    for i in range(1, 6):
        touch("touchMove", PHONE["width"] - 12 + (tx - PHONE["width"] + 12) * i / 5, y + (ty - y) * i / 5)
    touch("touchEnd", tx, ty)
    wait_for_app(page)
    expect(page.locator(done).locator(f'[class*="st-key-task-{ids["task_a1"]}-v2"]')).to_have_count(1)
    assert _task(engine, ids["task_a1"]).status == "done"
