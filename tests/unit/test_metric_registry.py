"""One registry of metric facts (issue 16 point 2): every measured metric is described there, the
older names read from it, and pages take display precision from it instead of their own lists."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core import evaluations, goals, metric_registry, metrics
from core.metric_registry import GOAL_ATTAINMENT, REGISTRY
import demo.goals
import demo.vocabulary
from db.models import GOAL_METRICS

ROOT = Path(__file__).resolve().parents[2]


def test_every_metric_core_measures_has_a_registry_entry():
    assert set(metrics._SPECS) <= set(REGISTRY)
    assert set(metrics.MEASURED_METRICS) <= set(REGISTRY)
    assert {m for m in GOAL_METRICS if m != metric_registry.MANUAL} == set(metrics._SPECS)


def test_every_registry_entry_is_a_measured_metric_or_the_evaluations_goal_attainment():
    assert set(REGISTRY) == set(metrics._SPECS) | {GOAL_ATTAINMENT}


def test_the_older_names_read_from_the_registry():
    assert metrics.LEVEL_METRICS == {m for m, i in REGISTRY.items() if i.level and m != GOAL_ATTAINMENT}
    assert metrics.LOWER_IS_BETTER == {"first_response_hours", "call_speed_of_answer", "call_handle_time"}
    assert metrics.METRIC_UNITS["csat_avg"] == "/5" and metrics.METRIC_UNITS["first_response_hours"] == "h"
    assert goals.MAX_VALUES is metric_registry.MAX_VALUES and goals.MIN_VALUES == {"nps": -100.0}
    assert evaluations.METRIC_UNITS == {**metrics.METRIC_UNITS, GOAL_ATTAINMENT: "%"}
    assert evaluations.GOAL_ATTAINMENT == GOAL_ATTAINMENT


@pytest.mark.parametrize("metric", sorted(REGISTRY))
def test_each_entry_is_consistent(metric):
    info = REGISTRY[metric]
    assert info.decimals in (0, 1, 2)
    assert info.high is None or info.high > info.low
    if info.money:
        assert not info.level and info.unit == ""  # money is shown by the money formatter
    if info.lower_is_better:
        assert info.level  # a duration: lower is better only for averages
    if info.default_scale is not None:
        scale = metric_registry.default_scale(metric)
        assert evaluations.validate_scale(scale) == []  # a starter scale the evaluations accept
        assert scale["higher_is_better"] is not info.lower_is_better


def test_a_measured_level_with_no_rows_is_no_data_and_a_count_is_zero(session, world):
    from datetime import date

    a1 = world.members["a1"].id
    assert metrics.measure_value(session, "csat_avg", member_ids=[a1], start=date(2000, 1, 1), end=date(2000, 1, 2)) is None
    assert metrics.measure_value(session, "deals_new", member_ids=[a1], start=date(2000, 1, 1), end=date(2000, 1, 2)) == 0.0


def test_split_targets_are_whole_for_counts_and_money_and_hundredths_for_levels():
    assert goals._decimals("deals_new", 7) == 0 and goals._decimals("pipeline_created", 7) == 0
    assert goals._decimals("csat_avg", 4.5) == 2 and goals._decimals("manual", 3) == 2


def test_target_bounds_come_from_the_registry():
    assert goals.MAX_VALUES["win_rate"] == 100.0 and goals.MAX_VALUES["call_csat"] == 5.0
    assert "sales_won" not in goals.MAX_VALUES


def test_display_precision_counts_whole_levels_one_decimal_unknown_one_decimal():
    assert metric_registry.decimals("deals_new") == 0 and metric_registry.decimals("new_customers") == 0
    assert metric_registry.decimals("csat_avg") == 1 and metric_registry.decimals("win_rate") == 1
    assert metric_registry.decimals("manual") == 1 and metric_registry.decimals(None) == 1
    assert metric_registry.is_money("sales_won") and metric_registry.is_money("pipeline_created")


def test_the_demo_generator_reads_units_and_levels_from_the_registry_instead_of_copying_them():
    # issue 16 point 2: the demo/ package may import core, so it keeps no copies of core's facts
    for name in ("METRIC_UNITS", "ADDITIVE", "DEFAULT_CADENCE", "DEFAULT_TARGETS"):
        assert not hasattr(demo.vocabulary, name)
    assert demo.goals.metric_registry is metric_registry and demo.goals.LEVEL_METRICS is metric_registry.LEVEL_METRICS


def _metric_lists(path: Path) -> list[tuple[int, list[str]]]:
    """Comparisons of a value against a literal tuple/list/set naming metrics (`m in ("a", "b")`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            for comp in node.comparators:
                if isinstance(comp, (ast.Tuple, ast.List, ast.Set)):
                    names = [e.value for e in comp.elts if isinstance(e, ast.Constant) and e.value in REGISTRY]
                    if names:
                        found.append((node.lineno, names))
    return found


@pytest.mark.parametrize("page", sorted(str(p.relative_to(ROOT)) for folder in ("pages", "ui") for p in (ROOT / folder).glob("*.py")))
def test_pages_hold_no_hand_written_lists_of_metrics(page):
    assert _metric_lists(ROOT / page) == []


def test_the_goals_and_meeting_pages_take_decimals_and_money_from_the_registry():
    # both pages read a goal's figure through the one formatter, which reads the registry
    for page in ("goals.py", "meeting.py"):
        source = (ROOT / "pages" / page).read_text(encoding="utf-8")
        assert "ui.fmt_metric(" in source
    assert metrics.MONEY_METRICS == {m for m, i in metric_registry.REGISTRY.items() if i.money}
    assert metrics.COUNT_METRICS == {"new_customers", "follow_ups_done", "tasks_on_time", "deals_new"}
    assert metrics.format_metric(1234.0, "sales_won", "en", "USD") == "$1,234"
    assert metrics.format_metric(3.0, "deals_new", "en", "USD") == "3"


def test_the_scanner_finds_a_hand_written_list(tmp_path):
    sample = tmp_path / "page.py"
    sample.write_text('d = 0 if metric in ("new_customers", "deals_new") else 1\n', encoding="utf-8")
    assert _metric_lists(sample) == [(1, ["new_customers", "deals_new"])]
