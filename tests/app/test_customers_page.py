"""The Customers page for each role, in English and Chinese."""
from __future__ import annotations

import pytest

from db.engine import make_engine
from db.session import unit_of_work
from tests.factories import build_world

PAGE = "pages/customers.py"


@pytest.fixture
def world_url(sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        ids = {k: c.id for k, c in w.customers.items()}
    engine.dispose()
    return sqlite_url, ids


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success]
    parts += [i.value for i in at.info] + [w.value for w in at.warning] + [t.value for t in at.title] + [h.value for h in at.subheader]
    parts += [c.value for c in at.caption]
    return " ".join(parts)


def _table_names(at) -> set[str]:
    """Names in the customer list (its raw columns; headers come from column_config), not in the
    other tabs' tables."""
    names = set()
    for frame in at.dataframe:
        if {"name", "tier", "overdue"} <= set(frame.value.columns):
            names |= set(frame.value["name"])
    return names


@pytest.mark.parametrize("lang,title,tabs", [("en", "Customers", ["Customers", "Follow-ups", "Assignment", "Import"]),
                                             ("zh", "客户", ["客户列表", "待跟进", "分配", "导入"])])
def test_manager_sees_the_list_and_all_four_tabs(app_at, world_url, lang, title, tabs):
    url, _ = world_url
    at = app_at(url, "manager_a", PAGE, lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title
    assert [t.label for t in at.tabs][:4] == tabs
    names = _table_names(at)
    assert {"Customer of Alice A1", "Customer of Aaron A2"} <= names
    assert "Customer of Bella B1" not in names


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_member_sees_only_their_customers_and_no_manager_tabs(app_at, world_url, lang):
    url, _ = world_url
    at = app_at(url, "member_a1", PAGE, lang=lang)
    assert not at.exception
    assert len(at.tabs) == 2
    assert _table_names(at) == {"Customer of Alice A1"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_admin_sees_every_customer(app_at, world_url, lang):
    url, _ = world_url
    at = app_at(url, "admin", PAGE, lang=lang)
    assert not at.exception
    assert {"Customer of Alice A1", "Customer of Aaron A2", "Customer of Bella B1"} <= _table_names(at)


def test_search_filters_the_list(app_at, world_url):
    url, _ = world_url
    at = app_at(url, "manager_a", PAGE)
    at.text_input(key="f_search").input("aaron").run()
    assert not at.exception
    assert _table_names(at) == {"Customer of Aaron A2"}


def test_a_customer_link_opens_its_detail(app_at, world_url):
    url, ids = world_url
    at = app_at(url, "member_a1", run=False)
    at.query_params["customer"] = str(ids["a1"])
    at.run()
    at.switch_page(PAGE)
    at.query_params["customer"] = str(ids["a1"])
    at.run()
    assert not at.exception
    assert "Customer of Alice A1" in _texts(at)
    assert any(b.label == "Back to the list" for b in at.button)


@pytest.mark.parametrize("bad", ["abc", "999999"])
def test_a_bad_or_foreign_customer_link_says_so_without_a_traceback(app_at, world_url, bad):
    url, ids = world_url
    at = app_at(url, "member_a1", PAGE)
    for value in (bad, str(ids["b1"])):
        at.query_params["customer"] = value
        at.run()
        assert not at.exception
        assert "was not found" in " ".join(e.value for e in at.error)


def test_a_member_logs_a_contact_from_the_detail_view(app_at, world_url):
    url, ids = world_url
    at = app_at(url, "member_a1", PAGE)
    at.query_params["customer"] = str(ids["a1"])
    at.run()
    at.text_area[0].input("Called about the renewal")
    at.button(key="FormSubmitter:log_contact-Save contact").click().run()
    assert not at.exception
    assert "Contact logged" in _texts(at)
    assert "Called about the renewal" in " ".join(
        " ".join(map(str, f.value.get("Summary", []))) for f in at.dataframe)


def test_manager_creates_a_customer_and_is_told_who_owns_it(app_at, world_url):
    url, _ = world_url
    at = app_at(url, "manager_a", PAGE)
    at.button(key="cust_new").click().run()
    at.text_input(key="new_name").input("Fresh Co")
    at.text_input(key="new_industry").input("retail")
    at.text_input(key="new_region").input("华东")
    at.button(key="FormSubmitter:new_customer-Create").click().run()
    assert not at.exception
    assert "Customer created and assigned to" in _texts(at)
    assert "Fresh Co" in _table_names(at)


def test_manager_creating_an_invalid_customer_sees_what_to_fix(app_at, world_url):
    url, _ = world_url
    at = app_at(url, "manager_a", PAGE)
    at.button(key="cust_new").click().run()
    at.button(key="FormSubmitter:new_customer-Create").click().run()
    assert not at.exception
    assert "is required" in " ".join(e.value for e in at.error)
    assert at.text_input(key="new_name").value == ""  # the dialog stays open to fix it


def test_follow_ups_tab_shows_the_rollup_for_managers_in_chinese(app_at, world_url):
    url, _ = world_url
    at = app_at(url, "manager_a", PAGE, lang="zh", tab=("customers_tab", "customers.tab_follow_ups"))
    assert "团队汇总（按负责人）" in _texts(at)
    assert "跟进周期（天）" in _texts(at)


def test_rebalance_proposal_is_shown_as_a_reviewable_diff(app_at, world_url):
    url, _ = world_url
    at = app_at(url, "manager_a", PAGE, tab=("customers_tab", "customers.tab_assignment"))
    at.button(key="rebalance_propose").click().run()
    assert not at.exception
    # Lead A has 0/40 and the sub-team members 1/3 each: spread 1, nothing to move
    assert "Load is already even" in _texts(at)


def test_filters_keep_applying_after_the_filter_panel_is_closed(app_at, world_url):
    url, ids = world_url
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        from db.models import Customer

        s.get(Customer, ids["a1"]).tier = "A"  # the only tier-A customer manager A sees
    engine.dispose()
    at = app_at(url, "manager_a", PAGE)
    everyone = _table_names(at)
    assert len(everyone) > 1 and not at.multiselect  # the panel is closed: no filter widgets drawn
    at.session_state["f_panel"] = True
    at.run()
    at.multiselect(key="f_tier").set_value(["A"]).run()
    assert _table_names(at) == {"Customer of Alice A1"}
    at.session_state["f_panel"] = False
    at.run()
    assert not at.multiselect
    assert _table_names(at) == {"Customer of Alice A1"}
    assert "Matching customers: 1 · filters on: 1" in _texts(at)
    at.session_state["f_panel"] = True
    at.run()
    assert at.multiselect(key="f_tier").value == ["A"]  # reopened with the kept choice
