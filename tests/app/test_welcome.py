"""The welcome screen of an empty database, the workspace settings tab and the roster's logins tab."""
from __future__ import annotations

from sqlalchemy import select

from db.engine import make_engine
from db.models import User
from db.session import unit_of_work


def test_an_empty_database_opens_the_welcome_screen_and_sets_up_the_organisation(app_at, sqlite_url):
    at = app_at(sqlite_url)
    assert not at.exception
    assert at.title[0].value == "Welcome to ClientCrew"
    assert [b.label for b in at.button] == ["Explore the demo", "Set up the organisation"]
    at.text_input(key="setup_name").input("Acme Sales")
    at.text_input(key="setup_username").input("alice")
    at.text_input(key="setup_password").input("a-long-secret-1")
    at.text_input(key="setup_repeat").input("a-long-secret-1")
    at.selectbox(key="setup_currency").select("USD")
    at.button[1].click().run()
    assert not at.exception
    assert at.success[0].value == "Organisation set up. Sign in as alice."
    assert at.text_input(key="login_username")  # the login form now
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        assert [(u.username, u.role) for u in s.scalars(select(User))] == [("alice", "admin")]
    engine.dispose()


def test_setup_with_differing_passwords_is_refused_and_keeps_the_input(app_at, sqlite_url):
    at = app_at(sqlite_url)
    at.text_input(key="setup_name").input("Acme Sales")
    at.text_input(key="setup_username").input("alice")
    at.text_input(key="setup_password").input("a-long-secret-1")
    at.text_input(key="setup_repeat").input("a-long-secret-2")
    at.button[1].click().run()
    assert at.error[0].value == "The two passwords differ."
    assert at.text_input(key="setup_name").value == "Acme Sales"


def test_admin_sees_workspace_settings_and_the_manager_sees_the_logins_tab(app_at, world_url):
    at = app_at(world_url, "admin", page="pages/admin.py", tab=("admin_tab", "move.settings_title"))
    assert not at.exception
    assert at.text_input(key="ws_name") is not None
    at = app_at(world_url, "manager_a", page="pages/roster.py", tab=("roster_tab", "move.logins_title"))
    assert not at.exception
    assert any("Not signed in yet" in str(df.value.to_dict()) or "No login" in str(df.value.to_dict()) for df in at.dataframe)
