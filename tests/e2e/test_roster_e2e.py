"""The manager edits a member's capacity in the roster's data editor, in a real browser, and the
database holds the new value."""
from __future__ import annotations

from playwright.sync_api import expect

from core import roster
from core.auth import actor_for_username
from db.engine import make_engine
from db.models import Member
from db.session import read_session
from tests.e2e.helpers import login, wait_for_app

MAX_CUSTOMERS_COLUMN = 4  # name, team, role, status, max customers (the editor's column order)
HEADER_HEIGHT, ROW_HEIGHT = 36, 35


def _first_row(url: str) -> tuple[int, str, int]:
    """(id, name, max_customers) of the first member in the manager's roster."""
    engine = make_engine(url)
    with read_session(engine) as s:
        frame = roster.roster_frame(s, actor_for_username(s, "manager"))
    engine.dispose()
    first = frame.iloc[0]
    return int(first["id"]), str(first["name"]), int(first["max_customers"])


def _max_customers(url: str, member_id: int) -> int:
    engine = make_engine(url)
    with read_session(engine) as s:
        value = s.get(Member, member_id).max_customers
    engine.dispose()
    return value


def test_the_manager_edits_a_capacity_in_the_data_editor_and_it_is_saved(demo_url, live_server, new_page):
    member_id, name, before = _first_row(demo_url)
    wanted = before + 7
    base_url = live_server(demo_url)
    page = new_page()
    login(page, base_url, "manager")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Roster", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Roster")).to_be_visible()

    grid = page.locator('[data-testid="stDataFrame"]').first
    expect(grid).to_be_visible()
    # The grid takes keys once its rows are drawn (its accessible table holds the first row's cell)
    # and its canvas has the keyboard focus: wait for both instead of retrying key presses.
    expect(grid.get_by_test_id(f"glide-cell-{MAX_CUSTOMERS_COLUMN}-0")).to_be_attached()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 30, box["y"] + HEADER_HEIGHT + ROW_HEIGHT / 2)  # first row, name cell
    expect(grid.get_by_test_id("data-grid-canvas")).to_be_focused()
    for _ in range(MAX_CUSTOMERS_COLUMN):
        page.keyboard.press("ArrowRight")
    editor = page.locator(".gdg-input").first  # the grid's overlay cell editor
    page.keyboard.press("Enter")  # open the cell editor
    expect(editor).to_be_visible()
    editor.fill(str(wanted))
    page.keyboard.press("Enter")  # commit the cell
    expect(editor).to_have_count(0)
    wait_for_app(page)

    page.get_by_role("button", name="Save member changes").click()
    wait_for_app(page)
    expect(page.get_by_text("Saved: 0 added, 1 updated.")).to_be_visible()
    assert _max_customers(demo_url, member_id) == wanted, f"{name}: expected {wanted}"
