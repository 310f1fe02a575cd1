"""Two (or more) people acting on the same record at the same moment, as two app servers would:
each side has its own engine (its own connection pool) on the same database and its own unit of
work; a barrier releases them together once every side has read what it acts on."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.errors import Conflict
from db.engine import make_engine
from db.session import unit_of_work

TIMEOUT = 30


@dataclass
class Race:
    outcomes: dict[str, object]  # each side's result, or the exception it raised

    def split(self, won: Callable[[object], bool] = lambda r: not isinstance(r, BaseException)) -> tuple[list[str], list[str]]:
        """(winners, losers): losers were refused with Conflict; anything else fails loudly."""
        winners = [n for n, r in self.outcomes.items() if won(r)]
        losers = [n for n, r in self.outcomes.items() if isinstance(r, Conflict)]
        assert len(winners) + len(losers) == len(self.outcomes), self.outcomes
        return winners, losers

    def one_winner(self, won: Callable[[object], bool] = lambda r: not isinstance(r, BaseException)) -> tuple[str, Conflict]:
        """The one side that won, and the Conflict the other was told."""
        winners, losers = self.split(won)
        assert len(winners) == 1 and len(losers) == len(self.outcomes) - 1, self.outcomes
        return winners[0], self.outcomes[losers[0]]


def race(db_url: str, sides: dict[str, Callable[[Session, Callable[[], None]], Any]]) -> Race:
    """Run every `side(session, ready)` in its own thread; each calls `ready()` after reading what
    it acts on (the barrier) and returns its result. Returns every side's outcome."""
    barrier = threading.Barrier(len(sides), timeout=TIMEOUT)
    outcomes: dict[str, object] = {}
    engines = {name: make_engine(db_url) for name in sides}

    def run(name: str) -> None:
        try:
            with unit_of_work(engines[name]) as s:
                outcomes[name] = sides[name](s, barrier.wait)
        except Exception as error:  # noqa: BLE001 - recorded and asserted by the test
            outcomes[name] = error

    threads = [threading.Thread(target=run, args=(name,)) for name in sides]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(2 * TIMEOUT)
    for engine in engines.values():
        engine.dispose()
    return Race(outcomes)
