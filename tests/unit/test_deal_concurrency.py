"""Two people move the same deal at the same moment from the same drawn pipeline: exactly one move
wins, the other is told (Conflict), and the database is consistent - on SQLite and PostgreSQL.

Each side has its own engine (its own connection pool) on the same fresh database and its own
unit of work, as two app servers would; a barrier releases both moves together."""
from __future__ import annotations

import threading

from sqlalchemy import select

from core import deals
from core.errors import Conflict
from db.engine import make_engine
from db.models import AuditLog, Deal
from db.session import unit_of_work
from tests.factories import build_world, make_deal


def test_two_simultaneous_moves_of_one_deal_exactly_one_wins(db_url):
    setup = make_engine(db_url)
    with unit_of_work(setup) as s:
        world = build_world(s)
        deal_id = make_deal(s, "Contested", world.customers["a1"], world.members["a1"]).id
        manager = world.actors["manager_a"]
    targets = {"manager": ("proposal", manager), "member": ("negotiation", world.actors["member_a1"])}

    barrier = threading.Barrier(2, timeout=30)
    outcomes: dict[str, object] = {}
    engines = {name: make_engine(db_url) for name in targets}

    def move(name: str) -> None:
        stage, actor = targets[name]
        try:
            with unit_of_work(engines[name]) as s:
                s.get(Deal, deal_id)  # both sides have read the deal at version 1
                barrier.wait()
                outcomes[name] = deals.move_stage(s, actor, deal_id, 1, stage)
        except Exception as error:  # noqa: BLE001 - recorded and asserted below
            outcomes[name] = error

    threads = [threading.Thread(target=move, args=(name,)) for name in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for engine in engines.values():
        engine.dispose()

    winners = [n for n, r in outcomes.items() if isinstance(r, deals.DealResult)]
    losers = [n for n, r in outcomes.items() if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert outcomes[losers[0]].key == "pipeline.error.conflict"
    assert outcomes[losers[0]].params == {"title": "Contested"}

    with unit_of_work(setup) as s:
        deal = s.get(Deal, deal_id)
        stage = targets[winners[0]][0]
        assert (deal.version, deal.stage, deal.probability) == (2, stage, {"proposal": 50, "negotiation": 75}[stage])
        moves = s.scalars(select(AuditLog).where(AuditLog.entity == "deal", AuditLog.entity_id == deal_id)).all()
        assert len(moves) == 1 and moves[0].after["stage"] == stage
    setup.dispose()
