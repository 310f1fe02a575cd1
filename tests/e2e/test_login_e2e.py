"""Login in a real browser: sign in, wrong password, deep-link reload, logout, URL guarding."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import DEMO_PASSWORD as PASSWORD
from tests.e2e.helpers import login, wait_for_app, wait_for_session_cookie


@pytest.fixture
def server(demo_url, live_server):
    """A fresh server on a copy of the demo workspace (logins admin, manager, member)."""
    return live_server(demo_url)


def test_demo_manager_logs_in_and_sees_the_team_summary(server, new_page):
    page = new_page()
    page.goto(f"{server}/?lang=en")
    wait_for_app(page)
    expect(page.get_by_text("Demo workspace is on")).to_be_visible()
    login(page, server, "manager", PASSWORD)
    expect(page.get_by_text("Team summary")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible()


def test_wrong_password_shows_the_error_and_stays_logged_out(server, new_page):
    page = new_page()
    page.goto(f"{server}/?lang=en")
    wait_for_app(page)
    page.get_by_label("Username", exact=True).fill("manager")
    page.get_by_label("Password", exact=True).fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    wait_for_app(page)
    expect(page.get_by_text("Wrong username or password")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_reload_on_a_deep_link_keeps_the_session_and_the_page(server, new_page):
    """Also the first request of a fresh server, which Streamlit runs in its file-based page
    emulation (see ui/runtime.py: _enter_through_app)."""
    page = new_page()
    login(page, server, "admin", PASSWORD, path="admin")
    expect(page.get_by_role("heading", name="Admin")).to_be_visible()
    page.reload()
    wait_for_app(page)
    assert page.url.split("?")[0].endswith("/admin")
    expect(page.get_by_role("heading", name="Admin")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_logout_clears_the_menu_and_shows_the_login_form(server, new_page):
    page = new_page()
    login(page, server, "manager", PASSWORD)
    page.get_by_role("button", name="Log out").click()
    wait_for_app(page)
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
    wait_for_session_cookie(page, present=False)  # the cookie deletion is done by JavaScript
    page.reload()
    wait_for_app(page)
    expect(page.get_by_label("Password", exact=True)).to_be_visible()


def test_member_cannot_reach_a_manager_page_by_url(server, new_page):
    page = new_page()
    login(page, server, "member", PASSWORD)
    for path, heading in (("roster", "Roster"), ("board", "Board"), ("admin", "Admin")):
        page.goto(f"{server}/{path}?lang=en")
        wait_for_app(page)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_have_count(0)
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
