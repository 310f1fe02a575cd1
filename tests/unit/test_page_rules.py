"""Rules the pages used to hold, now in core (issue 16 point 3), checked directly: the starter
scorecard template, the service-target editor's hours-to-seconds diff, the my-tasks order and the
pipeline's long-in-stage flag."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from core import evaluations, service, tasks
from core.deals import LONG_IN_STAGE_DAYS, DealCard
from core.i18n.evaluations import MESSAGES as EVALUATION_STRINGS
from core.tasks import Card


# --- the starter scorecard template ------------------------------------------------------------

def test_starter_template_rows_criteria_kinds_metrics_and_weights():
    rows = evaluations.starter_template()
    assert [(r["name_key"], r["kind"], r["metric"], r["weight"]) for r in rows] == [
        ("sales", "measured", "sales_won", 20),
        ("csat", "measured", "csat_avg", 20),
        ("goals", "measured", "goal_attainment", 20),
        ("attitude", "rated", None, 15),
        ("teamwork", "rated", None, 15),
        ("innovation", "rated", None, 10),
    ]
    assert sum(r["weight"] for r in rows) == evaluations.WEIGHT_TOTAL == 100


def test_starter_template_thresholds_come_from_the_metric_registry():
    rows = {r["name_key"]: r for r in evaluations.starter_template()}
    assert rows["sales"]["thresholds"] == [50_000, 100_000, 200_000, 400_000]
    assert rows["csat"]["thresholds"] == [3.0, 3.5, 4.0, 4.5]
    assert rows["goals"]["thresholds"] == [50, 75, 90, 100]
    assert all(r["higher_is_better"] for r in rows.values())
    for key in ("attitude", "teamwork", "innovation"):
        assert rows[key]["thresholds"] == []


def test_starter_template_measured_scales_are_valid_and_every_name_is_translated():
    for row in evaluations.starter_template():
        if row["kind"] == "measured":
            assert evaluations.validate_scale({"thresholds": row["thresholds"], "higher_is_better": row["higher_is_better"]}) == []
        assert "evaluations.default." + row["name_key"] in EVALUATION_STRINGS


def test_starter_template_rows_are_fresh_copies():
    first = evaluations.starter_template()
    first[0]["thresholds"].append(1)
    assert evaluations.starter_template()[0]["thresholds"] == [50_000, 100_000, 200_000, 400_000]


# --- service targets: hours in the editor, seconds in the store -----------------------------------

def test_hours_to_seconds_rounds_to_whole_seconds_and_treats_empty_as_zero():
    assert service.hours_to_seconds(1) == 3600
    assert service.hours_to_seconds(0.25) == 900
    assert service.hours_to_seconds(1 / 7200) == 0  # half a second rounds to even
    assert service.hours_to_seconds(0.0004) == 1  # 1.44 s
    assert service.hours_to_seconds(None) == 0
    assert service.hours_to_seconds(0) == 0


CURRENT = [
    {"severity": "critical", "response_seconds": 3600, "resolution_seconds": 8 * 3600},
    {"severity": "high", "response_seconds": 4 * 3600, "resolution_seconds": 24 * 3600},
]


def test_changed_targets_unchanged_rows_give_nothing():
    rows = [{"severity": "critical", "response": 1.0, "resolution": 8.0},
            {"severity": "high", "response": 4.0, "resolution": 24.0}]
    assert service.changed_targets(rows, CURRENT) == {}


def test_changed_targets_returns_only_the_changed_rows_in_seconds():
    rows = [{"severity": "critical", "response": 1.0, "resolution": 8.0},
            {"severity": "high", "response": 2.5, "resolution": 24.0}]
    assert service.changed_targets(rows, CURRENT) == {"high": (9000, 24 * 3600)}


def test_changed_targets_a_cleared_cell_is_zero_hours():
    rows = [{"severity": "critical", "response": None, "resolution": 8.0},
            {"severity": "high", "response": 4.0, "resolution": 24.0}]
    assert service.changed_targets(rows, CURRENT) == {"critical": (0, 8 * 3600)}


def test_changed_targets_a_change_smaller_than_half_a_second_is_no_change():
    rows = [{"severity": "critical", "response": 1.0 + 0.4 / 3600, "resolution": 8.0},
            {"severity": "high", "response": 4.0, "resolution": 24.0}]
    assert service.changed_targets(rows, CURRENT) == {}


# --- my tasks: the working order ----------------------------------------------------------------

BASE = Card(id=0, title="t", status="todo", assignee_id=1, assignee="A", customer_id=None, customer=None,
            goal_id=None, goal=None, due_date=None, overdue=False, importance=0, urgency=0, quadrant="eliminate",
            progress=0, version=1, position=1.0)


def _card(id_: int, due: date | None, overdue: bool = False) -> Card:
    return replace(BASE, id=id_, due_date=due, overdue=overdue)


def test_work_order_overdue_first_then_due_date_then_no_date_then_id():
    cards = [
        _card(1, None),
        _card(2, date(2026, 3, 1)),
        _card(3, date(2026, 1, 5), overdue=True),
        _card(4, date(2026, 2, 1)),
        _card(5, date(2026, 1, 1), overdue=True),
        _card(6, None),
        _card(7, date(2026, 2, 1)),
    ]
    assert [c.id for c in tasks.work_order(cards)] == [5, 3, 4, 7, 2, 1, 6]


def test_work_order_does_not_change_its_input():
    cards = [_card(2, None), _card(1, None)]
    assert [c.id for c in tasks.work_order(cards)] == [1, 2]
    assert [c.id for c in cards] == [2, 1]
    assert tasks.work_order([]) == []


# --- pipeline: a deal long in its stage ---------------------------------------------------------

def test_a_deal_is_long_in_stage_from_thirty_days():
    def deal(days: int | None) -> DealCard:
        return DealCard(id=1, version=1, title="d", customer_id=1, customer="c", owner_id=None, owner=None,
                        value=Decimal("1"), currency="CNY", probability=10, stage="lead", expected_close=None,
                        closed_on=None, in_commit=False, next_step=None, days_in_stage=days, overdue=False)

    assert LONG_IN_STAGE_DAYS == 30
    assert [deal(d).long_in_stage for d in (None, 0, 29, 30, 31)] == [False, False, False, True, True]
