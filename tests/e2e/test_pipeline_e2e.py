"""Real mouse drags on the Pipeline in Chromium: a manager drags a deal from one stage to the next;
after the rerun the card is in the new column and the database holds the stage, its probability and
an audit row. A member on the customer's account team sees a colleague's deal but may not move it:
the drag is refused with a message and nothing changes; once they collaborate on the deal, they can.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.deals import quarter_of
from db.engine import make_engine
from db.models import AuditLog, CustomerCollaborator, Deal, DealCollaborator
from db.session import unit_of_work
from tests.e2e.helpers import login, wait_for_app
from tests.e2e.test_board_e2e import _drag
from tests.factories import PASSWORD, build_world, make_deal


def _world(sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        deal = make_deal(s, "Alice renewal", w.customers["a1"], w.members["a1"], value=80_000,
                         expected_close=quarter_of(date.today())[1])
        s.add(CustomerCollaborator(customer_id=w.customers["a1"].id, member_id=w.members["b1"].id, role="sales"))
        ids = {"deal": deal.id, "b1": w.members["b1"].id}
    return engine, ids


def _grip(page, deal_id: int, version: int):
    grip = page.locator(f'.stdnd-has-handle:has(> [class*="st-key-deal-{deal_id}-v{version}"]) > .stdnd-handle')
    grip.wait_for()
    return grip


def _open_pipeline(page, base: str, username: str) -> None:
    login(page, base, username, password=PASSWORD)
    page.get_by_role("link", name="Pipeline").first.click()
    wait_for_app(page)


def test_manager_drags_a_deal_to_the_next_stage(live_server, new_page, sqlite_url):
    engine, ids = _world(sqlite_url)
    deal_id = ids["deal"]
    page = new_page()
    _open_pipeline(page, live_server(sqlite_url), "manager_a")
    assert page.locator(".st-key-pcol-lead").locator(f'[class*="st-key-deal-{deal_id}-v1"]').count() == 1
    _drag(page, _grip(page, deal_id, 1), page.locator(".st-key-pcol-qualified"))
    wait_for_app(page)

    page.get_by_text("Moved “Alice renewal” to “Qualified”").wait_for()
    assert page.locator(".st-key-pcol-qualified").locator(f'[class*="st-key-deal-{deal_id}-v2"]').count() == 1
    assert page.locator(".st-key-pcol-lead").locator(f'[class*="st-key-deal-{deal_id}-"]').count() == 0
    with unit_of_work(engine) as s:
        deal = s.get(Deal, deal_id)
        assert (deal.stage, deal.probability, deal.version) == ("qualified", 25, 2)
        moves = s.scalars(select(AuditLog).where(AuditLog.entity == "deal", AuditLog.entity_id == deal_id)).all()
        assert [(m.action, m.before["stage"], m.after["stage"]) for m in moves] == [("deal.move", "lead", "qualified")]
    engine.dispose()


def test_a_member_cannot_drag_a_colleagues_deal_unless_collaborating(live_server, new_page, sqlite_url):
    engine, ids = _world(sqlite_url)
    deal_id = ids["deal"]
    base = live_server(sqlite_url)
    page = new_page()
    _open_pipeline(page, base, "member_b1")  # on the customer's account team: sees the deal
    _drag(page, _grip(page, deal_id, 1), page.locator(".st-key-pcol-qualified"))
    wait_for_app(page)
    page.get_by_text("is not your deal and you do not collaborate on it").wait_for()
    assert page.locator(".st-key-pcol-lead").locator(f'[class*="st-key-deal-{deal_id}-v1"]').count() == 1
    with unit_of_work(engine) as s:
        assert (s.get(Deal, deal_id).stage, s.get(Deal, deal_id).version) == ("lead", 1)
        assert s.scalars(select(AuditLog).where(AuditLog.entity == "deal")).all() == []
        s.add(DealCollaborator(deal_id=deal_id, member_id=ids["b1"]))

    page.reload()
    wait_for_app(page)
    _drag(page, _grip(page, deal_id, 1), page.locator(".st-key-pcol-qualified"))
    wait_for_app(page)
    page.get_by_text("Moved “Alice renewal” to “Qualified”").wait_for()
    with unit_of_work(engine) as s:
        assert s.get(Deal, deal_id).stage == "qualified"
    engine.dispose()
