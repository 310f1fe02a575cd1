"""A real organisation moves in (issue 11), in a real browser: an empty database -> the welcome
screen -> "Set up our organisation" -> the first admin signs in -> creates a team and gives a member
a login -> that member signs in with the one-time password, must choose their own, and sees My tasks.
The member row itself is added through core (the roster's editable grid is drawn on a canvas)."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from core.permissions import actor_for_user
from core.roster import save_members
from db.engine import make_engine
from db.models import Team, User
from db.session import unit_of_work
from tests.e2e.helpers import login, wait_for_app

expect.set_options(timeout=15_000)
ADMIN_PASSWORD = "first-admin-secret"


def test_empty_database_to_a_member_signed_in_on_my_tasks(sqlite_url, live_server, new_page):
    server = live_server(sqlite_url)
    page = new_page()
    page.goto(f"{server}/?lang=en")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Welcome to ClientCrew")).to_be_visible()
    page.get_by_label("Organisation name").fill("Acme Sales")
    page.get_by_label("Username", exact=True).fill("alice")
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_label("Repeat the password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Set up the organisation").click()
    wait_for_app(page)
    expect(page.get_by_text("Organisation set up. Sign in as alice.")).to_be_visible()

    login(page, server, "alice", ADMIN_PASSWORD, path="roster")
    page.get_by_role("tab", name="Team tree").click()
    wait_for_app(page)
    form = page.locator('[data-testid="stForm"]').filter(has_text="Create")
    form.get_by_label("Team name").fill("East Sales")
    form.get_by_role("button", name="Create").click()
    wait_for_app(page)

    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        team_id = s.scalar(select(Team.id).where(Team.name == "East Sales"))
        assert team_id is not None
        admin = actor_for_user(s, s.scalar(select(User).where(User.username == "alice")))
        save_members(s, admin, [{"id": None, "name": "Bob Member", "email": "bob@acme.example", "phone": None, "team_id": team_id,
                                 "role": "account_manager", "manager_id": None, "status": "active", "max_customers": 40,
                                 "max_open_tasks": 15, "specialties": []}])

    page.reload()
    wait_for_app(page)
    page.get_by_role("tab", name="Logins").click()
    wait_for_app(page)
    create = page.locator('[data-testid="stForm"]').filter(has_text="Create login")
    create.get_by_label("Username").fill("bob")
    create.get_by_label("One-time password (leave empty to generate)").fill("one-time-pass-123")
    create.get_by_role("button", name="Create login").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"Login bob created for Bob Member"))).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    wait_for_app(page)

    member_page = new_page()
    login(member_page, server, "bob", "one-time-pass-123")
    expect(member_page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    member_page.get_by_label("One-time password", exact=True).fill("one-time-pass-123")
    member_page.get_by_label("New password", exact=True).fill("bobs-own-password")
    member_page.get_by_label("Repeat the password", exact=True).fill("bobs-own-password")
    member_page.get_by_role("button", name="Save new password").click()
    wait_for_app(member_page)
    member_page.get_by_role("link", name="My tasks").click()
    wait_for_app(member_page)
    expect(member_page.get_by_role("heading", name="My tasks")).to_be_visible()
    expect(member_page.get_by_text("not linked to a member record")).to_have_count(0)
    with unit_of_work(engine) as s:
        bob = s.scalar(select(User).where(User.username == "bob"))
        assert not bob.must_change_password and bob.last_login_at is not None
    engine.dispose()


def test_demo_then_remove_demo_leaves_no_demo_rows_and_the_admin_signs_in(sqlite_url, live_server, new_page):
    """Explore the demo from the welcome screen, then the admin removes it in one confirmed step."""
    from core.workspace import row_counts

    server = live_server(sqlite_url)
    page = new_page()
    page.goto(f"{server}/?lang=en")
    wait_for_app(page)
    page.get_by_role("button", name="Explore the demo").click()
    wait_for_app(page, timeout=120)
    expect(page.get_by_text("Demo workspace is on")).to_be_visible(timeout=120_000)
    login(page, server, "admin", "demo1234", path="admin")
    page.get_by_role("tab", name="Workspace settings").click()
    wait_for_app(page)
    form = page.locator('[data-testid="stForm"]').filter(has_text="Remove demo workspace")
    form.get_by_role("button", name="Remove demo workspace").click()
    wait_for_app(page)
    expect(page.get_by_text("Type DEMO to confirm the removal.")).to_be_visible()
    form.get_by_label("Type DEMO to confirm").fill("DEMO")
    form.get_by_role("button", name="Remove demo workspace").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"Demo workspace removed \(.* rows\)"))).to_be_visible()

    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        counts = row_counts(s)
    engine.dispose()
    kept = {"users": 1, "audit_log": 1}
    for table, n in counts.items():
        if table in ("roles", "revision", "table_revisions", "settings", "deal_stages", "user_sessions"):  # configuration, sign-ins
            continue
        assert n == kept.get(table, 0), (table, n)

    again = new_page()
    again.goto(f"{server}/?lang=en")
    wait_for_app(again)
    expect(again.get_by_text("Demo workspace is on")).to_have_count(0)
    login(again, server, "admin", "demo1234", path="roster")
    expect(again.get_by_text("You have no teams to manage yet.")).to_be_visible()
