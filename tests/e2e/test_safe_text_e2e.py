"""User text is shown as text: a member's task and goal titles holding a markdown image and link
show literally on Board, Home and Meeting, and the browser never asks the image's host for anything."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from db.engine import make_engine
from db.models import Goal, Member, Task, Team, User
from db.session import unit_of_work
from tests.e2e.helpers import login, wait_for_app

HOST = "evil-images.test"
PAYLOAD = f"![tracker](http://{HOST}/pixel.png) [Reset your password](http://{HOST}/reset) <b>bold</b>"


@pytest.fixture
def planted(demo_url, live_server):
    """The demo member's open tasks and goals all carry the payload as their title."""
    engine = make_engine(demo_url)
    with unit_of_work(engine) as s:
        member = s.scalar(select(Member).join(User, User.id == Member.user_id).where(User.username == "member"))
        s.execute(update(Task).where(Task.assignee_id == member.id, Task.status != "done").values(title=PAYLOAD))
        s.execute(update(Goal).where(Goal.member_id == member.id).values(title=PAYLOAD))
        team_id = member.team_id
        team_name = s.get(Team, team_id).name
    engine.dispose()
    return live_server(demo_url), team_id, team_name


def _watch(page) -> list[str]:
    """The host of every request the page makes (the image's host must never appear)."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(urlparse(request.url).hostname))
    return requested


def _shown_as_text(page) -> None:
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("[Reset your password]", exact=False).first).to_be_visible()
    expect(main.locator(f'img[src*="{HOST}"]')).to_have_count(0)
    expect(main.locator(f'a[href*="{HOST}"]')).to_have_count(0)
    expect(main.locator("b", has_text="bold")).to_have_count(0)


def test_member_home_shows_the_title_as_text(planted, new_page):
    server, _team_id, _name = planted
    page = new_page()
    requested = _watch(page)
    login(page, server, "member")
    wait_for_app(page)
    _shown_as_text(page)
    assert HOST not in requested


def test_board_and_meeting_show_the_title_as_text(planted, new_page):
    server, team_id, _name = planted
    page = new_page()
    requested = _watch(page)
    login(page, server, "manager")
    page.goto(f"{server}/board?lang=en")
    wait_for_app(page)
    page.screenshot(path="/tmp/issue17_board.png", full_page=True)
    _shown_as_text(page)
    page.goto(f"{server}/meeting?team={team_id}&lang=en")
    wait_for_app(page)
    page.screenshot(path="/tmp/issue17_meeting.png", full_page=True)
    _shown_as_text(page)
    assert HOST not in requested


def test_a_url_value_is_never_rendered_as_markdown(planted, new_page):
    server, _team_id, _name = planted
    page = new_page()
    requested = _watch(page)
    login(page, server, "manager")
    page.goto(f"{server}/meeting?team=[Session%20expired%20-%20click%20to%20sign%20in](http://{HOST}/login)&lang=en")
    wait_for_app(page)
    alert = page.locator('[data-testid="stAlert"]').first
    expect(alert).to_be_visible()
    expect(page.locator(f'a[href*="{HOST}"]')).to_have_count(0)
    page.goto(f"{server}/customers?customer=99999999999999999999999&lang=en")
    wait_for_app(page)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.locator('[data-testid="stAlert"]').first).to_be_visible()
    assert HOST not in requested
