"""Sessions in real browsers against two real servers on one database: a copied cookie stops
working on the second server after logout, a password reset or deactivation; tampered cookies land
on the login form, never a traceback."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from core import auth
from core.config import COOKIE_NAME
from core.permissions import actor_for_user
from db.engine import make_engine
from db.models import User
from db.session import unit_of_work
from tests.e2e.helpers import login, wait_for_app


@pytest.fixture
def servers(demo_url, live_server):
    return live_server(demo_url), live_server(demo_url), demo_url


def _session_cookie(context, timeout: float = 15.0) -> dict:
    """Wait until the browser holds the session cookie (written by JavaScript after login)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for cookie in context.cookies():
            if cookie["name"] == COOKIE_NAME and cookie["value"]:
                return cookie
        context.pages[0].wait_for_timeout(100)
    raise AssertionError("the session cookie was never written")


def _open_with_cookie(new_page, base_url: str, value: str, path: str = ""):
    page = new_page()
    page.context.add_cookies([{"name": COOKIE_NAME, "value": value, "url": base_url}])
    page.goto(f"{base_url}/{path}?lang=en")
    wait_for_app(page)
    return page


def _signed_in(page) -> None:
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _on_login_form(page) -> None:
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def _admin_does(url: str, action) -> None:
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as s:
            admin = actor_for_user(s, s.query(User).filter_by(username="admin").one())
            member = s.query(User).filter_by(username="member").one()
            action(s, admin, member.id)
    finally:
        engine.dispose()


def test_a_cookie_copied_before_logout_is_refused_on_a_second_server(servers, new_page):
    server_a, server_b, _url = servers
    page = new_page()
    login(page, server_a, "member")
    copied = _session_cookie(page.context)["value"]
    thief = _open_with_cookie(new_page, server_b, copied)
    _signed_in(thief)  # the copy works while the session lives...
    page.get_by_role("button", name="Log out").click()
    wait_for_app(page)
    _on_login_form(page)
    thief.reload()
    wait_for_app(thief)
    _on_login_form(thief)  # ...and not after logout, on the other server


@pytest.mark.parametrize("admin_action", ["reset_password", "deactivate"])
def test_a_cookie_copied_before_an_admin_action_is_refused_on_a_second_server(servers, new_page, admin_action):
    server_a, server_b, url = servers
    page = new_page()
    login(page, server_a, "member")
    copied = _session_cookie(page.context)["value"]
    if admin_action == "reset_password":
        _admin_does(url, lambda s, admin, uid: auth.reset_password(s, admin, uid, "a new long passphrase"))
    else:
        _admin_does(url, lambda s, admin, uid: auth.set_active(s, admin, uid, False))
    thief = _open_with_cookie(new_page, server_b, copied)
    _on_login_form(thief)
    page.reload()  # the signed-in browser on the first server is out too
    wait_for_app(page)
    _on_login_form(page)


TAMPERED = {
    "alg_none": "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ1c2VybmFtZSI6ImFkbWluIiwiZXhwX2RhdGUiOjQxMDI0NDQ4MDB9.",
    "alg_hs512": "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6ImFkbWluIiwiZXhwX2RhdGUiOjQxMDI0NDQ4MDB9.c2ln",
    "past_exp": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6ImFkbWluIiwiZXhwX2RhdGUiOjF9.c2lnbmF0dXJl",
    "no_exp": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6ImFkbWluIn0.c2lnbmF0dXJl",
    "garbage": "%%%not-a-token%%%",
    "unknown_token": "A" * 43,
}


def test_tampered_cookies_land_on_the_login_form(demo_url, live_server, new_page):
    server = live_server(demo_url)
    for value in TAMPERED.values():
        page = _open_with_cookie(new_page, server, value, path="board")
        _on_login_form(page)
        page.context.close()
    assert "Traceback" not in live_server.servers[0].log()


def test_a_deactivated_users_cookie_lands_on_the_login_form(demo_url, live_server, new_page):
    server = live_server(demo_url)
    page = new_page()
    login(page, server, "member")
    copied = _session_cookie(page.context)["value"]
    _admin_does(demo_url, lambda s, admin, uid: auth.set_active(s, admin, uid, False))
    other = _open_with_cookie(new_page, server, copied)
    _on_login_form(other)
    assert "Traceback" not in live_server.servers[0].log()
