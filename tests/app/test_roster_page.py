"""The Roster page through the real app: who can open it, editing members in the data editor
(saved, or refused with the row's error and nothing saved), handover and the RACI table."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from db.engine import make_engine
from db.models import Customer, Member, Responsibility, Role
from db.session import read_session, unit_of_work
from tests.app.conftest import open_tab
from tests.factories import build_world

PAGE = "pages/roster.py"
TEAMS_TAB = ("roster_tab", "roster.tab_teams")
MEMBERS_EDITOR = "roster_members_all_0"  # all teams, members who left hidden


@pytest.fixture
def world_url(sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        ids = {key: m.id for key, m in w.members.items()} | {f"team_{k}": t.id for k, t in w.teams.items()}
        ids["customer_a1"] = w.customers["a1"].id
    engine.dispose()
    return sqlite_url, ids


def _member(url, member_id) -> Member:
    engine = make_engine(url)
    with read_session(engine) as s:
        member = s.get(Member, member_id)
        s.expunge(member)
    engine.dispose()
    return member


def _texts(at) -> str:
    return " ".join(
        [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success]
        + [i.value for i in at.info] + [t.value for t in at.title] + [w.value for w in at.warning]
        + [c.value for c in at.caption]
    )


def _row_of(name) -> int:
    """0-based position of a member in manager_a's editor (ordered by team, then name)."""
    return ["Lead A", "Aaron A2", "Alice A1"].index(name)


@pytest.mark.parametrize("username", ["admin", "manager_a"])
@pytest.mark.parametrize("lang,title", [("en", "Roster"), ("zh", "团队花名册")])
def test_the_page_renders_for_admins_and_managers_in_both_languages(app_at, world_url, username, lang, title):
    url, _ = world_url
    at = app_at(url, username, page=PAGE, lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title
    assert len(at.tabs) == 5  # members, teams, handover, RACI and (issue 11) logins
    if username == "manager_a":
        assert "Bella B1" not in _texts(at)


def test_a_member_cannot_reach_the_roster(app_at, world_url):
    url, _ = world_url
    at = app_at(url, "member_a1")
    with pytest.raises(ValueError):
        at.switch_page(PAGE)


def test_editing_capacity_in_the_data_editor_saves_it(app_at, world_url):
    url, ids = world_url
    at = app_at(url, "manager_a", page=PAGE)
    at.session_state[MEMBERS_EDITOR] = {
        "edited_rows": {_row_of("Alice A1"): {"max_customers": 7}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="roster_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("1 updated" in s.value for s in at.success)
    assert _member(url, ids["a1"]).max_customers == 7
    at.selectbox(key="roster_history_member").set_value(ids["a1"]).run()
    assert "Max customers: 3 → 7" in _texts(at)  # the member's history shows the change


def test_an_invalid_row_shows_its_error_and_nothing_is_saved(app_at, world_url):
    url, ids = world_url
    at = app_at(url, "manager_a", page=PAGE)
    at.session_state[MEMBERS_EDITOR] = {
        "edited_rows": {_row_of("Alice A1"): {"max_customers": 8}, _row_of("Aaron A2"): {"max_open_tasks": -2}},
        "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="roster_save").click().run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "nothing was saved" in message
    assert "Row 2, Max open tasks: Capacity cannot be negative (got -2)" in message
    assert _member(url, ids["a1"]).max_customers == 3
    assert _member(url, ids["a2"]).max_open_tasks == 3


def test_an_error_row_is_shown_in_chinese_too(app_at, world_url):
    url, ids = world_url
    at = app_at(url, "manager_a", page=PAGE, lang="zh")
    at.session_state[MEMBERS_EDITOR] = {
        "edited_rows": {_row_of("Aaron A2"): {"team_id": ids["team_B"]}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="roster_save").click().run()
    assert "第 2 行，团队：该团队不在您的管理范围内" in " ".join(e.value for e in at.error)
    assert _member(url, ids["a2"]).team_id == ids["team_A1"]


def test_adding_a_member_in_the_last_row_creates_them(app_at, world_url):
    url, ids = world_url
    at = app_at(url, "manager_a", page=PAGE)
    at.session_state[MEMBERS_EDITOR] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"name": "Nina New", "team_id": ids["team_A1"], "role": "cs_specialist", "status": "active",
         "max_customers": 20, "max_open_tasks": 5, "email": "nina@example.com"}]}
    at.run()
    at.button(key="roster_save").click().run()
    assert any("1 added" in s.value for s in at.success), [e.value for e in at.error]
    engine = make_engine(url)
    with read_session(engine) as s:
        nina = s.scalars(select(Member).where(Member.name == "Nina New")).one()
        assert (nina.team_id, nina.max_customers) == (ids["team_A1"], 20)
    engine.dispose()


def test_a_leaving_member_is_handed_over_from_the_page(app_at, world_url):
    url, ids = world_url
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        s.get(Member, ids["a1"]).status = "leaving"
    at = app_at(url, "manager_a", page=PAGE)
    assert "Alice A1 leaving" in _texts(at)  # the members tab points to the handover
    open_tab(at, "roster_tab", "roster.tab_handover")
    at.button(key="handover_apply").click().run()
    assert not at.exception
    assert any("Handover done: 1 customer, 1 task." in s.value for s in at.success), [e.value for e in at.error]
    with read_session(engine) as s:
        assert s.get(Customer, ids["customer_a1"]).owner_id == ids["a2"]
    engine.dispose()


def test_the_raci_table_is_saved_only_with_exactly_one_accountable(app_at, world_url):
    url, ids = world_url
    at = app_at(url, "manager_a", page=PAGE, tab=("roster_tab", "roster.tab_raci"))
    key = f"raci_editor_{ids['team_A']}_"
    at.session_state[key] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"name": "Renewals", "role:account_manager": "R"}]}
    at.run()
    at.button(key="raci_save").click().run()
    assert "“Renewals” has no Accountable (A)" in " ".join(e.value for e in at.error)
    at.session_state[key] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"name": "Renewals", "role:account_manager": "R", "role:team_lead": "A"}]}
    at.run()
    at.button(key="raci_save").click().run()
    assert any("1 added" in s.value for s in at.success), [e.value for e in at.error]
    engine = make_engine(url)
    with read_session(engine) as s:
        assert s.scalars(select(Responsibility.name).where(Responsibility.team_id == ids["team_A"])).all() == ["Renewals"]
    engine.dispose()


def test_an_admin_adds_a_role_in_the_roles_table(app_at, world_url):
    url, _ = world_url
    at = app_at(url, "admin", page=PAGE, tab=TEAMS_TAB)
    at.session_state["roster_roles_editor"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"code": "key_account", "name_zh": "大客户经理", "name_en": "Key account manager", "active": True}]}
    at.run()
    at.button(key="roster_roles_save").click().run()
    assert any("Roles saved: 1 added" in s.value for s in at.success), [e.value for e in at.error]
    engine = make_engine(url)
    with read_session(engine) as s:
        assert s.scalars(select(Role.name_en).where(Role.code == "key_account")).one() == "Key account manager"
    engine.dispose()
    manager = app_at(url, "manager_a", page=PAGE)
    assert not [b for b in manager.button if b.key == "roster_roles_save"]  # managers read the list only


def test_moving_a_team_under_its_own_sub_team_is_refused_on_the_page(app_at, world_url):
    url, ids = world_url
    at = app_at(url, "admin", page=PAGE, tab=TEAMS_TAB)
    at.selectbox(key="roster_edit_team").set_value(ids["team_A"]).run()
    at.selectbox(key=f"team_parent_{ids['team_A']}").set_value(ids["team_A1"])
    at.button(key="team_form_save").click().run()
    assert "Cannot move “Team A” under itself or one of its own sub-teams" in " ".join(e.value for e in at.error)
    at.selectbox(key="roster_edit_team").set_value(ids["team_A1"]).run()
    at.text_input(key=f"team_name_{ids['team_A1']}").input("Team A-one")
    at.button(key="team_form_save").click().run()
    assert any("Team “Team A\\-one” saved." in s.value for s in at.success), [e.value for e in at.error]  # escaped
    assert "Team A / Team A-one" in [o for o in at.selectbox(key="roster_edit_team").options]
