"""A real organisation's files, in a real browser (issue 11): a member file shaped like another
CRM's export (name, manager, office; no team, no role) builds the team tree with leaders; an
accounts file with foreign headers, a misspelt industry and a head-count column imports after one
band question; both re-imported in "create and update" change nothing."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from db.engine import make_engine
from db.models import AuditLog, Customer, Member, Team
from db.session import read_session, unit_of_work
from tests.e2e.helpers import login, wait_for_app
from tests.factories import build_world

expect.set_options(timeout=20_000)
MEMBERS = """Full Name,E-Mail,Reports To,Office
Wang Lei,wang@corp.example,,Shanghai
Li Mei,li@corp.example,Wang Lei,Shanghai
Zhao Jun,zhao@corp.example,Wang Lei,Shanghai
Chen Yu,chen@corp.example,,Shenzhen
Sun Li,sun@corp.example,Chen Yu,Shenzhen
"""
ACCOUNTS = """Account ID,Account Name,Industry,Employees,Territory
ACC-1,Acme Retail,retail,12,华东
ACC-2,Beta Clinic,helthcare,480,华东
ACC-3,Gamma Works,manufacturing,5200,华南
"""


@pytest.fixture
def setup(sqlite_url, live_server):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        build_world(s)
    yield live_server(sqlite_url), engine
    engine.dispose()


def counts(engine) -> tuple[int, int, int, int]:
    with read_session(engine) as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Member, Team, Customer, AuditLog))


def open_import(page) -> None:
    tab = page.get_by_role("tab", name="Import")
    tab.click()
    wait_for_app(page)
    expect(page.locator('[data-testid="stFileUploader"]')).to_be_visible()


def upload(page, name: str, text: str) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}])
    wait_for_app(page)
    open_import(page)  # a message above the tabs may have reset them to the first one


def choose_kind(page, label: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text="What to import").locator("input").click()
    page.get_by_role("option", name=label, exact=True).click()
    wait_for_app(page)


def check_and_import(page, plan: str, rows: int, done: str) -> None:
    page.get_by_role("button", name="Check").click()
    wait_for_app(page)
    expect(page.get_by_text(plan)).to_be_visible()
    page.get_by_role("button", name=f"Import {rows} rows").click()
    wait_for_app(page)
    expect(page.get_by_text(done)).to_be_visible()


def test_a_real_export_builds_the_tree_and_re_imports_change_nothing(setup, new_page):
    server, engine = setup
    page = new_page()
    login(page, server, "admin", "secret123", path="customers")
    open_import(page)
    choose_kind(page, "Members")
    upload(page, "agents.csv", MEMBERS)
    expect(page.get_by_text("The file has no role column: default role for members")).to_be_visible()
    check_and_import(page, "New 5 · updated 0 · unchanged 0 · refused 0", 5, "Import done: 5 new, 0 updated, 0 unchanged, 0 not imported.")
    with read_session(engine) as s:
        wang = s.scalar(select(Member).where(Member.email == "wang@corp.example"))
        li = s.scalar(select(Member).where(Member.email == "li@corp.example"))
        team = s.get(Team, wang.team_id)
        office = s.get(Team, team.parent_id)
        assert (office.name, office.parent_id) == ("Shanghai", None)
        assert team.leader_id == wang.id and li.team_id == team.id and li.manager_id == wang.id

    open_import(page)
    choose_kind(page, "Customers")
    upload(page, "accounts.csv", ACCOUNTS)
    expect(page.get_by_text("“Employees” holds numbers")).to_be_visible()  # one band question
    industry_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="helthcare (1 row)").locator("input")
    expect(industry_box).to_have_value("healthcare")  # a misspelling: the known value is suggested
    check_and_import(page, "New 3 · updated 0 · unchanged 0 · refused 0", 3, "Import done: 3 new, 0 updated, 0 unchanged, 0 not imported.")
    with read_session(engine) as s:
        beta = s.scalar(select(Customer).where(Customer.external_id == "ACC-2"))
        assert (beta.industry, beta.size) == ("healthcare", "large")

    before = counts(engine)
    open_import(page)
    choose_kind(page, "Members")
    upload(page, "agents.csv", MEMBERS)
    check_and_import(page, "New 0 · updated 0 · unchanged 5 · refused 0", 5, "Import done: 0 new, 0 updated, 5 unchanged, 0 not imported.")
    open_import(page)
    choose_kind(page, "Customers")
    upload(page, "accounts.csv", ACCOUNTS)
    check_and_import(page, "New 0 · updated 0 · unchanged 3 · refused 0", 3, "Import done: 0 new, 0 updated, 3 unchanged, 0 not imported.")
    after = counts(engine)
    assert after[:3] == before[:3]  # zero new members, teams, customers
    assert after[3] == before[3] + 2  # and no change audited: only the two imports' own entries
