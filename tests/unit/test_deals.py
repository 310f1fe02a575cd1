"""Deals: creating, editing, moving through stages and closing, under optimistic concurrency and
with an audit row per change; the pipeline board's grouped totals; stages and products."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import deals
from core.errors import Conflict, InvalidInput, PermissionDenied
from db.models import AuditLog, Deal, DealLine, DealStage, Product
from tests.factories import make_deal


def _audit(session, deal_id):
    return session.scalars(select(AuditLog).where(AuditLog.entity == "deal", AuditLog.entity_id == deal_id)
                           .order_by(AuditLog.id)).all()


def test_a_member_creates_a_deal_on_their_customer_with_the_stages_probability(session, world):
    member = world.actors["member_a1"]
    deal_id = deals.create_deal(session, member, customer_id=world.customers["a1"].id, title="  Pilot  ",
                                stage="proposal", amount="12000.5", expected_close=date.today() + timedelta(days=20))
    session.commit()
    deal = session.get(Deal, deal_id)
    assert (deal.title, deal.owner_id, deal.stage, deal.probability, deal.value, deal.version) == (
        "Pilot", world.members["a1"].id, "proposal", 50, Decimal("12000.50"), 1)
    assert [a.action for a in _audit(session, deal_id)] == ["deal.create"]


def test_a_member_cannot_give_a_new_deal_to_a_colleague(session, world):
    with pytest.raises(PermissionDenied):
        deals.create_deal(session, world.actors["member_a1"], customer_id=world.customers["a1"].id, title="x",
                          owner_id=world.members["a2"].id)


def test_bad_input_says_what_to_fix_and_saves_nothing(session, world):
    with pytest.raises(InvalidInput) as bad:
        deals.create_deal(session, world.actors["manager_a"], customer_id=world.customers["a1"].id, title=" ",
                          amount="-5", probability=120)
    columns = {e.column for e in bad.value.errors}
    assert {"pipeline.col.title", "pipeline.col.amount", "pipeline.col.probability"} <= columns
    session.rollback()
    assert session.scalar(select(Deal.id)) is None


def test_the_amount_of_a_deal_with_product_lines_is_their_sum(session, world):
    p1 = Product(name="Licence", unit_price=Decimal("1000"), currency="CNY")
    p2 = Product(name="Training day", unit_price=Decimal("3000"), currency="CNY")
    session.add_all([p1, p2])
    session.flush()
    deal_id = deals.create_deal(session, world.actors["manager_a"], customer_id=world.customers["a1"].id,
                                title="Bundle", owner_id=world.members["a1"].id, amount="1",
                                lines=[{"product_id": p1.id, "quantity": 10}, {"product_id": p2.id, "quantity": "2",
                                                                               "unit_price": "2500"}])
    session.commit()
    assert session.get(Deal, deal_id).value == Decimal("15000.00")
    result = deals.update_deal(session, world.actors["manager_a"], deal_id, 1, lines=[{"product_id": p2.id, "quantity": 1}])
    session.commit()
    assert result.version == 2 and session.get(Deal, deal_id).value == Decimal("3000.00")
    assert len(session.scalars(select(DealLine).where(DealLine.deal_id == deal_id)).all()) == 1


def test_moving_a_deal_sets_stage_probability_stage_time_and_writes_an_audit_row(session, world):
    deal = make_deal(session, "Move me", world.customers["a1"], world.members["a1"])
    session.commit()
    entered = deal.stage_entered_at
    result = deals.move_stage(session, world.actors["manager_a"], deal.id, 1, "negotiation")
    session.commit()
    session.refresh(deal)
    assert (result.changed, result.version, deal.stage, deal.probability, deal.version) == (True, 2, "negotiation", 75, 2)
    assert deal.stage_entered_at >= entered
    move = _audit(session, deal.id)[-1]
    assert move.action == "deal.move" and move.before["stage"] == "lead" and move.after["stage"] == "negotiation"


def test_a_stale_version_is_refused_with_conflict(session, world):
    deal = make_deal(session, "Stale", world.customers["a1"], world.members["a1"])
    session.commit()
    deals.move_stage(session, world.actors["manager_a"], deal.id, 1, "qualified")
    session.commit()
    with pytest.raises(Conflict) as stale:
        deals.move_stage(session, world.actors["manager_a"], deal.id, 1, "proposal")
    assert stale.value.key == "pipeline.error.conflict"


def test_closing_lost_needs_a_reason_won_closes_today_and_reopening_clears_the_outcome(session, world):
    manager = world.actors["manager_a"]
    deal = make_deal(session, "Close me", world.customers["a1"], world.members["a1"], in_commit=True)
    session.commit()
    with pytest.raises(InvalidInput):
        deals.close_lost(session, manager, deal.id, 1, reason="  ")
    session.rollback()
    deals.close_won(session, manager, deal.id, 1, reason="Best price")
    session.commit()
    session.refresh(deal)
    assert (deal.stage, deal.probability, deal.closed_on, deal.close_reason, deal.in_commit) == (
        "won", 100, date.today(), "Best price", False)
    deals.move_stage(session, manager, deal.id, 2, "proposal")
    session.commit()
    session.refresh(deal)
    assert (deal.stage, deal.closed_on, deal.close_reason, deal.probability) == ("proposal", None, None, 50)
    deals.close_lost(session, manager, deal.id, 3, reason="Budget cut")
    session.commit()
    assert [a.action for a in _audit(session, deal.id)] == ["deal.won", "deal.move", "deal.lost"]


def test_the_board_groups_counts_amounts_and_weighted_amounts_per_stage(session, world):
    today = date.today()
    close = deals.quarter_of(today)[1]
    for value, stage in ((1000, "lead"), (3000, "lead"), (2000, "proposal")):
        make_deal(session, f"{stage} {value}", world.customers["a1"], world.members["a1"], value=value, stage=stage,
                  expected_close=close)
    make_deal(session, "won", world.customers["a1"], world.members["a1"], value=500, stage="won", closed_on=today)
    make_deal(session, "later", world.customers["a1"], world.members["a1"], value=9000, stage="lead",
              expected_close=close + timedelta(days=1))  # next quarter: outside the default filter
    make_deal(session, "team B", world.customers["b1"], world.members["b1"], value=7000, stage="lead", expected_close=close)
    session.commit()
    board = deals.pipeline(session, world.actors["manager_a"], deals.DealFilters(), limit=1)
    lead, proposal, won = board.column("lead"), board.column("proposal"), board.column("won")
    assert (lead.count, lead.amount, lead.weighted) == (2, Decimal(4000), Decimal(400))
    assert [c.title for c in lead.cards] == ["lead 3000"] and lead.hidden == 1
    assert (proposal.count, proposal.weighted) == (1, Decimal(1000))
    assert (won.count, won.amount) == (1, Decimal(500))
    assert [c.stage.code for c in board.columns] == ["lead", "qualified", "proposal", "negotiation", "won", "lost"]
    everything = deals.pipeline(session, world.actors["admin"], deals.DealFilters(period="all"))
    assert everything.total == 6


def test_the_list_sorts_and_pages_in_the_database(session, world):
    for value in (5, 50, 500):
        make_deal(session, f"D{value}", world.customers["a1"], world.members["a1"], value=value)
    session.commit()
    page = deals.list_deals(session, world.actors["member_a1"], deals.DealFilters(period="all"), "value", True, 0, 2)
    assert page.total == 3 and list(page.rows["title"]) == ["D500", "D50"]
    assert list(page.rows["weighted"].astype(float)) == [50.0, 5.0]


def test_admins_add_stages_and_a_stage_holding_deals_cannot_be_retired(session, world):
    admin = world.actors["admin"]
    code = deals.save_stage(session, admin, None, name="Demo", probability=40, position=3)
    session.commit()
    assert code.startswith("s") and [s.code for s in deals.list_stages(session)][:4] == ["lead", "qualified", "proposal", code]
    make_deal(session, "in demo", world.customers["a1"], world.members["a1"], stage=code)
    session.commit()
    with pytest.raises(InvalidInput):
        deals.save_stage(session, admin, code, name="Demo", probability=40, position=3, active=False)
    session.rollback()
    deals.save_stage(session, admin, "won", name="Signed", probability=5, position=9, active=False)
    session.commit()
    won = session.scalar(select(DealStage).where(DealStage.code == "won"))
    assert (won.name, won.probability, won.active) == ("Signed", 100, True)
    with pytest.raises(PermissionDenied):
        deals.save_stage(session, world.actors["manager_a"], None, name="X", probability=1, position=1)
