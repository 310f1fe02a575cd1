"""The entry script: login gate, role-based navigation, language switch, Home and Admin."""
from __future__ import annotations

import pytest

from core.navigation import PAGES, pages_for
from tests.conftest import ROOT


def _texts(at):
    return " ".join(
        [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success]
        + [i.value for i in at.info] + [t.value for t in at.title] + [h.value for h in at.subheader]
    )


def test_logged_out_visitor_sees_only_the_login_form(app_at, world_url):
    at = app_at(world_url)
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "Team summary" not in _texts(at)


def test_wrong_password_shows_a_clear_error(app_at, world_url):
    at = app_at(world_url)
    at.text_input(key="login_username").input("manager_a")
    at.text_input(key="login_password").input("not-the-password")
    at.button(key="login_submit").click().run()
    assert any("Wrong username or password" in e.value for e in at.error)
    assert at.session_state["authentication_status"] is not True


def test_right_password_signs_in_and_shows_home(app_at, world_url):
    at = app_at(world_url)
    at.text_input(key="login_username").input("manager_a")
    at.text_input(key="login_password").input("secret123")
    at.button(key="login_submit").click().run()
    assert not at.exception
    assert at.session_state["authentication_status"] is True
    assert "Team summary" in _texts(at)


def test_a_password_over_72_bytes_is_explained(app_at, world_url):
    at = app_at(world_url)
    at.text_input(key="login_username").input("manager_a")
    at.text_input(key="login_password").input("x" * 73)
    at.button(key="login_submit").click().run()
    assert any("at most 72 bytes" in e.value for e in at.error)


@pytest.mark.parametrize("username,role", [("admin", "admin"), ("manager_a", "manager"), ("member_a1", "member")])
def test_every_existing_page_renders_for_every_allowed_role(app_at, world_url, username, role):
    at = app_at(world_url, username)
    for spec in pages_for(role):
        at.switch_page(spec.file)
        at.run()
        assert not at.exception, (spec.key, [e.value for e in at.exception])


def _tab_labels(at) -> list[str]:
    return [tab.label for tab in at.tabs]


@pytest.mark.parametrize("username,role,lang", [
    ("admin", "admin", "en"), ("manager", "manager", "zh"), ("manager", "manager", "en"), ("member", "member", "zh"),
])
def test_every_tab_of_every_page_renders_on_the_demo_workspace(app_at, demo_url, username, role, lang):
    """Tabs are lazy (only the open one runs), so open each in turn: every tab of every page the
    role may use, in both languages, on the lively demo data."""
    at = app_at(demo_url, username, lang=lang)
    for spec in pages_for(role):
        at.switch_page(spec.file)
        at.run()
        assert not at.exception, (spec.key, [e.value for e in at.exception])
        for label in _tab_labels(at)[1:]:
            at.session_state[f"{spec.key}_tab"] = label
            at.run()
            assert not at.exception, (spec.key, label, [e.value for e in at.exception])
            opened = next(tab for tab in at.tabs if tab.label == label)
            assert len(opened.children) > 0, (spec.key, label, "the open tab drew nothing")


@pytest.mark.parametrize("username,forbidden", [("member_a1", "pages/admin.py"), ("manager_a", "pages/admin.py")])
def test_forbidden_pages_cannot_be_reached(app_at, world_url, username, forbidden):
    at = app_at(world_url, username)
    with pytest.raises(ValueError):
        at.switch_page(forbidden)


def test_chinese_is_the_language_when_asked(app_at, world_url):
    at = app_at(world_url, "manager_a", lang="zh")
    assert "团队概况" in _texts(at)


def test_member_home_shows_their_own_work(app_at, world_url):
    at = app_at(world_url, "member_a1")
    text = _texts(at)
    assert "Task of Alice A1" in text
    assert "Task of Bella B1" not in text


def test_every_page_in_the_navigation_has_its_file():
    assert [spec.file for spec in PAGES if not (ROOT / spec.file).exists()] == []


def test_navigation_lists_only_the_roles_pages():
    assert {p.key for p in pages_for("member")} == {"home", "my_tasks", "customers", "pipeline", "goals", "service", "evaluations", "feedback", "training"}
    assert "admin" in {p.key for p in pages_for("admin")}
    assert "admin" not in {p.key for p in pages_for("manager")}
    titles = {p.key for p in PAGES}
    assert len(titles) == 13
