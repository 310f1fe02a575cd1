"""Issue 12: Home's notifications and at-risk goals and the 1:1 agenda's items open the record
they name (a link with query parameters; the page selects the record once per visit), and a task
is quick-added from a customer's page."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import i18n, navigation
from db.engine import make_engine
from db.models import Task
from db.session import unit_of_work
from tests.factories import build_world


@pytest.fixture
def world(sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        ids = {"goal_a1": w.goals["a1"].id, "customer_a1": w.customers["a1"].id, "member_a1": w.members["a1"].id}
    engine.dispose()
    return sqlite_url, ids


@pytest.mark.parametrize("ref,record", [
    ("complaint:12", ("complaint", 12)), ("follow_ups:2026-11-30", ("follow_ups", None)),
    ("feedback:3:team:2026-11", ("feedback", None)), ("cycle:4", ("cycle", 4)), ("scorecard:9", ("evaluation", 9)),
    ("rule:2:customer:77:2026-11-02", ("customer", 77)), ("rule:2:task:8:2026-11-02", ("task", 8)),
    ("rule:2:deal:5:won", ("deal", 5)), ("something:else", None), ("", None),
])
def test_every_notification_ref_names_its_record(ref, record):
    assert navigation.record_of(ref) == record


def test_targets_follow_the_role():
    assert navigation.record_target("goal", 3, "member") == ("goals", {"goal": "3"})
    assert navigation.record_target("complaint", 5, "manager") == ("service", {"complaint": "5"})
    assert navigation.record_target("follow_ups", None, "member") == ("customers", {"tab": "follow_ups"})
    assert navigation.record_target("task", 8, "member") == ("my_tasks", {})
    assert navigation.record_target("task", 8, "manager") == ("board", {})
    assert navigation.record_target("customer", None, "member") is None  # an old agenda without ids: text


def _arrive(app_at, url, username, page, **params):
    """Signed in, then `page` opened from a link carrying `params` (as a record link does)."""
    at = app_at(url, username, run=False)
    at.run()
    at.switch_page(page)
    for name, value in params.items():
        at.query_params[name] = str(value)
    at.run()
    assert not at.exception
    return at


def test_the_goal_link_opens_the_goal_in_its_detail_tab(app_at, world):
    url, ids = world
    at = _arrive(app_at, url, "member_a1", "pages/goals.py", goal=ids["goal_a1"])
    assert at.session_state["goals_tab"] == i18n.t("goals.tab.detail", "en")
    assert at.selectbox(key="detail_goal").value == ids["goal_a1"]


def test_the_1_1_agenda_links_its_goals_and_customers(app_at, world):
    url, ids = world
    from datetime import date, timedelta

    from db.models import Customer

    engine = make_engine(url)
    with unit_of_work(engine) as s:
        s.get(Customer, ids["customer_a1"]).next_follow_up = date.today() - timedelta(days=3)
    engine.dispose()
    at = app_at(url, "manager_a", "pages/feedback.py", run=True)
    at.selectbox(key="oo_member").set_value(ids["member_a1"]).run()
    assert not at.exception
    links = {p.proto.query_string for p in at.page_link}
    assert f"customer={ids['customer_a1']}" in links


def test_a_task_is_quick_added_from_the_customers_page(app_at, world):
    url, ids = world
    at = _arrive(app_at, url, "manager_a", "pages/customers.py", customer=ids["customer_a1"])
    at.text_input(key="cust_quick_task_title").input("Send the renewal quote")
    [b for b in at.button if b.label == "Create"][0].click().run()
    assert not at.exception
    assert any("Send the renewal quote" in s.value for s in at.success)
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        task = s.scalar(select(Task).where(Task.title == "Send the renewal quote"))
        assert task is not None and task.customer_id == ids["customer_a1"] and task.assignee_id == ids["member_a1"]
    engine.dispose()
