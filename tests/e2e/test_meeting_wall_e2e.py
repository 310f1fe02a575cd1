"""The Meeting screen on the wall: ?kiosk=1 at 1920×1080 hides the sidebar, fits one screen without
vertical scrolling, and keeps updating when another session checks in (a core write from this
test process), within 3 s and without a reload."""
from __future__ import annotations

from playwright.sync_api import expect

from core import goals
from db.engine import make_engine
from db.session import unit_of_work
from tests.e2e.helpers import login, wait_for_app
from tests.factories import PASSWORD, build_world

WALL = {"width": 1920, "height": 1080}
NO_SCROLL = """() => {
    const page = document.scrollingElement, main = document.querySelector('[data-testid="stMain"]');
    return [page.scrollHeight, innerHeight, main.scrollHeight, main.clientHeight];
}"""


def test_the_wall_screen_fits_without_scrolling_and_updates_after_a_check_in(sqlite_url, live_server, new_page):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        team_id, goal_id, member = w.teams["A"].id, w.goals["a1"].id, w.actors["member_a1"]
    base = live_server(sqlite_url)
    page = new_page(viewport=WALL)
    login(page, base, "manager_a", password=PASSWORD)
    page.goto(f"{base}/meeting?team={team_id}&kiosk=1&lang=en")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Team A · This month")).to_be_visible()
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    attainment = page.locator('[data-testid="stMetric"]').filter(has_text="Average attainment")
    expect(attainment).to_contain_text("—")  # no goal has data yet

    page_height, inner, main_height, main_inner = page.evaluate(NO_SCROLL)
    assert page_height <= inner and main_height <= main_inner, (page_height, inner, main_height, main_inner)
    page.screenshot(path="/tmp/meeting_wall_e2e.png")

    with unit_of_work(engine) as s:  # another session checks in
        goals.record_check_in(s, member, goal_id, 42)
    expect(attainment).to_contain_text("42%", timeout=3000)
    page_height, inner, main_height, main_inner = page.evaluate(NO_SCROLL)
    assert page_height <= inner and main_height <= main_inner
    engine.dispose()


def test_the_desk_view_offers_the_period_and_links_members_to_their_one_on_one(sqlite_url, live_server, new_page):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        a1 = w.members["a1"].id
        goals.record_check_in(s, w.actors["member_a1"], w.goals["a1"].id, 42)
    engine.dispose()
    base = live_server(sqlite_url)
    page = new_page()
    login(page, base, "manager_a", password=PASSWORD, path="meeting")
    page.locator(".st-key-meeting_period").get_by_text("This quarter", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Team A · This quarter")).to_be_visible()
    link = page.get_by_role("link", name="Alice A1", exact=True)
    assert link.get_attribute("href") == f"feedback?member={a1}"
    with page.context.expect_page() as opened:  # markdown links open a new tab, signed in by the cookie
        link.click()
    agenda = opened.value
    wait_for_app(agenda)
    expect(agenda.get_by_role("heading", name="Feedback")).to_be_visible(timeout=15000)
    chosen = agenda.locator(".st-key-oo_member input")  # the selectbox shows its choice in its input
    expect(chosen).to_have_value("Alice A1", timeout=15000)
