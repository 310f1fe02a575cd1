"""In a real browser: the manager rates a member and releases the cycle; the member logs in and sees
their result and the trend chart (and nobody else's)."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from playwright.sync_api import expect

from core import evaluations as ev
from db.engine import make_engine
from db.models import Survey
from db.session import unit_of_work
from tests.e2e.helpers import login, wait_for_app
from tests.factories import build_world

PASSWORD = "secret123"


@pytest.fixture
def server(sqlite_url, live_server):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        manager = w.actors["manager_a"]
        s.add(Survey(customer_id=w.customers["a1"].id, member_id=w.members["a1"].id, csat=5, responded_at=datetime(2026, 5, 10, 9)))
        template_id = ev.create_template(s, manager, w.teams["A"].id, "Monthly", [
            ev.CriterionInput("CSAT", "measured", 40, "csat_avg", {"thresholds": [3, 3.5, 4, 4.5], "higher_is_better": True}),
            ev.CriterionInput("Teamwork", "rated", 60),
        ])
        ev.create_cycle(s, manager, w.teams["A"].id, template_id, "May 2026", "month", date(2026, 5, 1))
    engine.dispose()
    return live_server(sqlite_url)


def open_evaluations(page) -> None:
    page.get_by_role("link", name="Evaluations").click()
    wait_for_app(page)


def test_manager_rates_and_releases_then_the_member_sees_result_and_trend(server, new_page):
    manager = new_page()
    login(manager, server, "manager_a", PASSWORD)
    open_evaluations(manager)
    main = manager.get_by_role("tabpanel", name="Scorecards")
    main.locator('[data-testid="stSelectbox"]').filter(has_text="Member").click()
    manager.get_by_role("option", name="Alice A1").click()
    wait_for_app(manager)
    form = manager.locator('[data-testid="stForm"]').filter(has_text="Manager rating")
    expect(form).to_contain_text("Alice A1")
    form.get_by_text("4", exact=True).click()
    form.get_by_role("button", name="Save ratings").click()
    wait_for_app(manager)
    expect(manager.get_by_text("Saved 1 rating.")).to_be_visible()
    manager.get_by_text("I have finished rating; release the cycle").click()
    wait_for_app(manager)
    # issue 12: each gap the release checklist shows (days left, missing ratings, pending reviews)
    # must be confirmed on purpose before the cycle can be released
    gaps = manager.locator('[data-testid="stCheckbox"]').filter(
        has_text=re.compile(r"release now anyway|lack manager ratings|will be dropped"))
    for i in range(gaps.count()):
        gaps.nth(i).locator("label").click()
        wait_for_app(manager)
    manager.get_by_role("button", name="Release cycle").click()
    wait_for_app(manager)
    expect(manager.get_by_text("Released: 2 scorecards locked")).to_be_visible()

    member = new_page()
    login(member, server, "member_a1", PASSWORD)
    open_evaluations(member)
    # CSAT 5 -> score 5 (40%), Teamwork 4 (60%): 2.0 + 2.4 = 4.40
    expect(member.locator('[data-testid="stMetric"]').filter(has_text="Weighted total")).to_contain_text("4.40")
    expect(member.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=15000)
    expect(member.get_by_text("Aaron A2")).to_have_count(0)
