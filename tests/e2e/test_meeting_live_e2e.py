"""The Meeting page is live: a check-in made in another browser context shows within 3 s without a
reload, also when it is written through a second app server on the same PostgreSQL database."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from db.engine import make_engine
from db.session import unit_of_work
from tests.conftest import _fresh_url
from tests.e2e.helpers import login, wait_for_app
from tests.factories import build_world

PASSWORD = "secret123"


def _seed(url: str) -> int:
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        world = build_world(s)
        team_id = world.teams["A"].id
    engine.dispose()
    return team_id


@pytest.fixture
def pg_url(tmp_path, sqlite_template, pg_admin, pg_template):
    """A fresh PostgreSQL database (skips locally without TEST_DATABASE_URL; fails in CI)."""
    return _fresh_url("postgresql", tmp_path, sqlite_template, pg_admin, pg_template)


def _go(page, name: str) -> None:
    """Open a page from the sidebar (a client-side switch in the same session)."""
    link = page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name, exact=True)
    phone = page.viewport_size["width"] < 600
    sidebar = page.locator('[data-testid="stSidebar"]')
    if phone:  # the sidebar starts collapsed on a phone: open it, navigate, close it again
        page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button').first.click()
        expect(sidebar).to_have_attribute("data-collapsed", "false")
    link.click()
    wait_for_app(page)
    if phone and sidebar.get_attribute("data-collapsed") == "false":
        page.locator('[data-testid="stSidebarCollapseButton"] button, [data-testid="stSidebarCollapseButton"]').first.click()
        expect(sidebar).to_have_attribute("data-collapsed", "true")


def _open_meeting(new_page, base_url: str, team_id: int):
    page = new_page()
    login(page, base_url, "manager_a", PASSWORD)
    _go(page, "Meeting")  # the first of manager_a's teams by name: Team A (id team_id)
    expect(page.get_by_role("heading", name="Team A · This month", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Team goals")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Goal of Alice A1")
    expect(row).to_contain_text("No data yet")
    return page, row


def _check_in(new_page, base_url: str, value: str) -> None:
    page = new_page(viewport={"width": 390, "height": 844})  # a phone
    login(page, base_url, "member_a1", PASSWORD)
    _go(page, "Goals")
    page.get_by_label("Value reached so far").first.fill(value)
    page.get_by_role("button", name="Submit check-in").first.click()
    wait_for_app(page)
    expect(page.get_by_text("Check-in saved.")).to_be_visible()


def test_a_check_in_shows_on_the_meeting_page_within_3_seconds(sqlite_url, live_server, new_page):
    team_id = _seed(sqlite_url)
    server = live_server(sqlite_url)
    meeting, row = _open_meeting(new_page, server, team_id)
    _check_in(new_page, server, "42")
    expect(row).to_contain_text("42%", timeout=3000)  # target 100 -> 42 %, no reload
    expect(row).not_to_contain_text("No data yet")


def test_a_write_through_one_server_shows_on_the_other_servers_meeting_page(pg_url, live_server, new_page):
    team_id = _seed(pg_url)
    writer, viewer = live_server(pg_url), live_server(pg_url)
    meeting, row = _open_meeting(new_page, viewer, team_id)
    _check_in(new_page, writer, "57")
    expect(row).to_contain_text("57%", timeout=3000)
