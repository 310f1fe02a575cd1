"""Forecast figures against answers computed by hand (quarter Q4 2026, "today" 15 Nov 2026).

    a1: won 10,000 (created 1 Oct, closed 11 Oct: 10 days) and 30,000 (1 Sep -> 21 Oct: 50 days);
        lost 5,000 (1 Nov); open proposal 50 % 20,000 due 1 Dec, commit; open lead 10 % 40,000
        due 15 Dec; open negotiation 8,000 due 10 Jan 2027 (next quarter); won 99,000 on 30 Sep
        (last quarter). Quota: a goal of 120,000 for exactly Q4.
    a2: open qualified 25 % 4,000 due 30 Oct, commit, in its stage since 1 Sep (stuck > 30 days).
    b1 (Team B): won 7,000 on 2 Nov; one USD deal (never added to CNY sums).
    Team A: a sales goal of 200,000 for the whole of 2026 -> 200,000 x 92 / 365 in Q4.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest

from core import forecast as fc
from core.errors import PermissionDenied
from tests.factories import make_deal, make_goal

TODAY = date(2026, 11, 15)


@pytest.fixture
def book(session, world):
    c, m = world.customers, world.members
    at = datetime(2026, 11, 10, 9, 0)

    def deal(title, who, **kw):
        kw.setdefault("stage_entered_at", at)
        return make_deal(session, title, c[who], m[who], **kw)

    deal("W1", "a1", stage="won", value=10_000, created_at=datetime(2026, 10, 1, 9), closed_on=date(2026, 10, 11))
    deal("W2", "a1", stage="won", value=30_000, created_at=datetime(2026, 9, 1, 15), closed_on=date(2026, 10, 21))
    deal("L1", "a1", stage="lost", value=5_000, created_at=datetime(2026, 9, 20), closed_on=date(2026, 11, 1))
    deal("O1", "a1", stage="proposal", value=20_000, expected_close=date(2026, 12, 1), in_commit=True)
    deal("O2", "a1", stage="lead", value=40_000, expected_close=date(2026, 12, 15))
    deal("O3", "a1", stage="negotiation", value=8_000, expected_close=date(2027, 1, 10))
    deal("W0", "a1", stage="won", value=99_000, created_at=datetime(2026, 8, 1), closed_on=date(2026, 9, 30))
    deal("O4", "a2", stage="qualified", value=4_000, expected_close=date(2026, 10, 30), in_commit=True,
         stage_entered_at=datetime(2026, 9, 1))
    deal("B1", "b1", stage="won", value=7_000, created_at=datetime(2026, 10, 20), closed_on=date(2026, 11, 2))
    deal("B2", "b1", stage="lead", value=1_000_000, currency="USD", expected_close=date(2026, 12, 1))
    make_goal(session, "a1 quota", member=m["a1"], metric="sales_won", target=120_000,
              start_date=date(2026, 10, 1), end_date=date(2026, 12, 31))
    make_goal(session, "Team A quota", team=world.teams["A"], metric="sales_won", target=200_000,
              start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    session.commit()
    return world


def test_a_members_quarter_against_hand_computed_figures(session, book):
    result = fc.forecast(session, book.actors["manager_a"], team_id=book.teams["A"].id, today=TODAY)
    assert (result.start, result.end) == (date(2026, 10, 1), date(2026, 12, 31))
    a1 = next(r for r in result.rows if r.label == "Alice A1")
    assert a1.won == 40_000 and a1.won_count == 2 and a1.lost_count == 1
    assert a1.commit == 20_000
    assert a1.weighted == pytest.approx(20_000 * 0.5 + 40_000 * 0.1)  # 14,000
    assert a1.best_case == 40_000 + 60_000
    assert a1.quota == pytest.approx(120_000)
    assert a1.win_rate == pytest.approx(200 / 3)
    assert a1.average_deal == 20_000
    assert a1.cycle_days == pytest.approx(30)  # (10 + 50) / 2
    assert a1.coverage == pytest.approx(60_000 / 80_000)
    assert a1.stuck == 0
    a2 = next(r for r in result.rows if r.label == "Aaron A2")
    assert (a2.commit, a2.weighted, a2.open_pipeline, a2.stuck, a2.quota, a2.win_rate) == (4_000, 1_000, 4_000, 1, None, None)
    lead = next(r for r in result.rows if r.label == "Lead A")
    assert lead.won == 0 and lead.best_case == 0


def test_a_team_total_sums_its_people_and_uses_the_teams_prorated_quota(session, book):
    total = fc.forecast(session, book.actors["manager_a"], team_id=book.teams["A"].id, today=TODAY).total
    assert (total.won, total.commit, total.best_case, total.stuck) == (40_000, 24_000, 104_000, 1)
    assert total.weighted == pytest.approx(15_000)
    assert total.quota == pytest.approx(200_000 * 92 / 365)
    assert total.coverage == pytest.approx(64_000 / (200_000 * 92 / 365 - 40_000))
    assert total.win_rate == pytest.approx(200 / 3)


def test_the_organisation_has_a_row_per_top_team_and_keeps_other_currencies_out(session, book):
    result = fc.forecast(session, book.actors["admin"], today=TODAY)
    rows = {r.label: r for r in result.rows}
    assert set(rows) == {"Team A", "Team B"}
    assert rows["Team B"].won == 7_000 and rows["Team B"].best_case == 7_000 and rows["Team B"].quota is None
    assert result.total.won == 47_000 and result.total.win_rate == pytest.approx(75.0)  # 3 won, 1 lost
    assert result.total.quota == pytest.approx(200_000 * 92 / 365)
    assert result.other_currency == 1


def test_past_quarters_are_reachable(session, book):
    last = fc.forecast(session, book.actors["manager_a"], team_id=book.teams["A"].id, quarter=-1, today=TODAY)
    assert (last.start, last.end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert last.total.won == 99_000 and last.total.cycle_days == pytest.approx(60)


def test_members_see_their_own_forecast_only(session, book):
    mine = fc.forecast(session, book.actors["member_a1"], today=TODAY)
    assert [r.label for r in mine.rows] == ["Alice A1"] and mine.total.won == 40_000
    with pytest.raises(PermissionDenied):
        fc.forecast(session, book.actors["manager_b"], team_id=book.teams["A"].id, today=TODAY)


def test_the_funnel_groups_the_quarters_deals_per_stage(session, book):
    frame = fc.stage_funnel(session, book.actors["manager_a"], team_id=book.teams["A"].id, today=TODAY)
    got = {r.stage: (r.count, r.amount) for r in frame.itertuples()}
    assert got == {"lead": (1, 40_000), "qualified": (1, 4_000), "proposal": (1, 20_000), "negotiation": (0, 0),
                   "won": (2, 40_000)}


def test_charts_have_titles_units_and_the_quota_rule(session, book):
    result = fc.forecast(session, book.actors["manager_a"], team_id=book.teams["A"].id, today=TODAY)
    spec = fc.forecast_chart(result, "en").to_dict()
    assert spec["title"] == "Forecast against quota · Q4 2026"
    assert len(spec["layer"]) == 2 and spec["layer"][1]["mark"]["type"] == "tick"
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Amount (CNY)"
    funnel = fc.funnel_chart(fc.stage_funnel(session, book.actors["manager_a"], today=TODAY), "zh", result.start, "CNY").to_dict()
    assert funnel["title"].startswith("销售漏斗")
    frame = fc.forecast_frame(result, "en")
    assert list(frame["name"])[-1] == "Total: Team A"
