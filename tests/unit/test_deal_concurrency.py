"""Two people move the same deal at the same moment from the same drawn pipeline: exactly one move
wins, the other is told (Conflict), and the database is consistent - on SQLite and PostgreSQL.

Each side has its own engine (its own connection pool) on the same fresh database and its own
unit of work, as two app servers would; a barrier releases both moves together."""
from __future__ import annotations

from sqlalchemy import select

from core import deals
from db.engine import make_engine
from db.models import AuditLog, Deal
from db.session import unit_of_work
from tests.concurrency import race
from tests.factories import build_world, make_deal


def test_two_simultaneous_moves_of_one_deal_exactly_one_wins(db_url):
    setup = make_engine(db_url)
    with unit_of_work(setup) as s:
        world = build_world(s)
        deal_id = make_deal(s, "Contested", world.customers["a1"], world.members["a1"]).id
        manager = world.actors["manager_a"]
    targets = {"manager": ("proposal", manager), "member": ("negotiation", world.actors["member_a1"])}

    def move(name: str):
        stage, actor = targets[name]

        def side(s, ready):
            s.get(Deal, deal_id)  # both sides have read the deal at version 1
            ready()
            return deals.move_stage(s, actor, deal_id, 1, stage)
        return side

    winner, refusal = race(db_url, {name: move(name) for name in targets}).one_winner(
        lambda r: isinstance(r, deals.DealResult))
    assert refusal.key == "pipeline.error.conflict"
    assert refusal.params == {"title": "Contested"}

    with unit_of_work(setup) as s:
        deal = s.get(Deal, deal_id)
        stage = targets[winner][0]
        assert (deal.version, deal.stage, deal.probability) == (2, stage, {"proposal": 50, "negotiation": 75}[stage])
        moves = s.scalars(select(AuditLog).where(AuditLog.entity == "deal", AuditLog.entity_id == deal_id)).all()
        assert len(moves) == 1 and moves[0].after["stage"] == stage
    setup.dispose()
