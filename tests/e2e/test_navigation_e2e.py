"""Issue 12: addresses. /home and the usual or old names of a page open it (never Streamlit's
English "Page not found"); a page the role may not use says so in the user's language; any other
address opens Home with a sentence saying so; every page of the menu shows (no "View N more")."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import login, wait_for_app


@pytest.fixture
def server(demo_url, live_server):
    return live_server(demo_url)


def _open(page, base: str, path: str, lang: str) -> None:
    page.goto(f"{base}/{path}?lang={lang}")
    wait_for_app(page)


def _no_page_not_found(page) -> None:
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_text("no corresponding file")).to_have_count(0)


def test_home_and_old_page_names_open_their_page(server, new_page):
    page = new_page()
    login(page, server, "manager")
    for path, heading in (("home", "首页"), ("my_tasks", "我的任务"), ("tasks", "我的任务"), ("kanban", "任务看板"),
                          ("Home", "首页"), ("index", "首页")):
        _open(page, server, path, "zh")
        _no_page_not_found(page)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    _open(page, server, "home", "en")
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    assert page.url.split("?")[0].rstrip("/") == server  # Home's own address


def test_a_page_the_role_may_not_use_says_so_in_the_users_language(server, new_page):
    page = new_page()
    login(page, server, "member")
    for path, name in (("admin", "系统管理"), ("roster", "团队花名册"), ("board", "任务看板"), ("settings", "系统管理")):
        _open(page, server, path, "zh")
        _no_page_not_found(page)
        expect(page.get_by_text(f"您的角色不能打开“{name}”页面")).to_be_visible()
        expect(page.get_by_role("heading", name=name, exact=True)).to_have_count(0)
    _open(page, server, "admin", "en")
    expect(page.get_by_text("Your role cannot open the Admin page")).to_be_visible()
    page.get_by_role("link", name="Go to Home").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()


def test_an_unknown_address_opens_home_with_a_sentence(server, new_page):
    page = new_page()
    login(page, server, "admin")
    _open(page, server, "no-such-page", "zh")
    _no_page_not_found(page)
    expect(page.get_by_role("heading", name="首页", exact=True)).to_be_visible()
    expect(page.get_by_text("没有地址为 /no-such-page 的页面")).to_be_visible()


def test_every_page_of_the_admin_menu_shows_without_view_more(server, new_page):
    page = new_page()
    login(page, server, "admin")
    _open(page, server, "", "zh")
    expect(page.locator('[data-testid="stSidebarNavViewButton"]')).to_have_count(0)
    expect(page.locator('[data-testid="stSidebarNav"] a')).to_have_count(13)
    expect(page.locator('[data-testid="stSidebarNav"] a').filter(has_text="系统管理")).to_be_visible()


def test_a_deep_link_by_an_old_name_survives_the_login(server, new_page):
    """The server's very first visitor is served by Streamlit's file-based page emulation (see
    ui/runtime.py: _enter_through_app), which answers an unknown name itself before app.py runs:
    a first visit ends it for the process, as in any running deployment."""
    first = new_page()
    _open(first, server, "", "en")
    page = new_page()
    login(page, server, "member", path="tasks")
    _no_page_not_found(page)
    expect(page.get_by_role("heading", name="My tasks", exact=True)).to_be_visible()


def test_an_at_risk_goal_on_home_opens_that_goal(server, new_page):
    page = new_page()
    login(page, server, "manager")
    link = page.locator('[data-testid="stMain"] a[href*="goal="]').first
    expect(link).to_be_visible()
    title = link.inner_text().strip().splitlines()[-1].split("·")[0].strip()  # (after the icon)
    link.click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Goals", exact=True)).to_be_visible()
    expect(page.get_by_role("tab", name="Goal detail", selected=True)).to_be_visible()
    picked = page.locator('[data-testid="stSelectbox"] input').first
    expect(picked).to_have_value(re.compile(re.escape(title)))
