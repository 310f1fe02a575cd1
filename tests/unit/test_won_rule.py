"""What "won" means is one rule (core.metrics.won_between): metrics, forecast, the Meeting page's
wins, the wall and automation all take it, and no other core module spells the condition."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from core import meeting, metrics
from db.models import Deal

ROOT = Path(__file__).resolve().parents[2]
TODAY = date.today()


def test_no_core_module_but_metrics_spells_the_won_stage():
    pattern = re.compile(r"""(stage\s*[!=]=\s*["'](won|lost)["'])|(["']won["']\s*,\s*["']lost["'])""")
    offenders = []
    for path in sorted((ROOT / "core").rglob("*.py")):  # modules and the packages split by concern
        if path.name == "metrics.py" or "i18n" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT / 'core')}:{n}: {line.strip()}")
    assert offenders == [], "use core.metrics.WON / won_between instead:\n" + "\n".join(offenders)


def test_the_checker_catches_a_spelled_out_won_condition():
    pattern = re.compile(r"""(stage\s*[!=]=\s*["'](won|lost)["'])""")
    assert pattern.search('.where(Deal.stage == "won", Deal.closed_on >= since)')


def test_meeting_wins_and_sales_won_count_the_same_deals(session, world):
    a1 = world.members["a1"]
    cust = world.customers["a1"]
    since = TODAY - timedelta(days=meeting.WINS_DAYS)
    for title, closed, stage in [("Edge", since, "won"), ("Today", TODAY, "won"), ("Before", since - timedelta(days=1), "won"),
                                 ("Lost", TODAY, "lost"), ("Open", None, "negotiation")]:
        session.add(Deal(customer_id=cust.id, owner_id=a1.id, title=title, value=Decimal(100), stage=stage,
                         closed_on=closed, currency="CNY"))
    session.commit()
    board = meeting.meeting_board(session, world.actors["manager_a"], world.teams["A"].id, today=TODAY)
    shown = sorted(w["what"].split(" · ")[-1] for w in board.wins if w["kind"] == "deal")
    measured = metrics.measure(session, "sales_won", member_ids=[a1.id], start=since, end=TODAY)
    by_metric = sorted(session.get(Deal, r.id).title for r in measured.records)
    assert shown == by_metric == ["Edge", "Today"]
