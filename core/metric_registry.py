"""The facts about every metric, in one place: unit, level or accumulation, direction, display
precision, the bounds a target may take and the starting scale of an evaluation criterion.

`core.metrics` holds how each metric is MEASURED (its query); this module holds what the number
means and how it is shown. Goals (pace, target bounds, splitting), evaluations (default scales,
units), the Meeting and Goals pages (decimals) all read from here, so a new metric is described
once: add its query to `core.metrics._SPECS`, its key to `db.models.GOAL_METRICS` and an entry
below (a test fails when one is missing).

Fields:
- `unit`: the suffix shown after a value ("%", "/5", "h", "s"; "" for counts, points and money);
- `money`: an amount in the workspace currency, shown by the one money formatter;
- `level`: an average or a rate describes a level over the period (no linear burn-up); sums and
  counts accumulate (`False`);
- `lower_is_better`: pace and status invert (response times, handle times);
- `decimals`: display precision of a value on screen;
- `low`, `high`: the range a goal target must lie in (`high` None: no upper bound);
- `default_scale`: starting thresholds [t2, t3, t4, t5] for a measured evaluation criterion (see
  core.evaluations for how a scale turns a value into a 1-5 score), the manager edits them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GOAL_ATTAINMENT = "goal_attainment"  # an evaluation measure (average % of target), not a core.metrics metric
MANUAL = "manual"  # goals reported by check-in, with a unit of the owner's choosing


@dataclass(frozen=True)
class MetricInfo:
    unit: str = ""
    money: bool = False
    level: bool = False
    lower_is_better: bool = False
    decimals: int = 0
    low: float = 0.0
    high: float | None = None
    default_scale: tuple[float, float, float, float] | None = None

    @property
    def whole(self) -> bool:
        """Counted in whole units (counts) or in money: a split target is rounded to whole numbers."""
        return not self.level and (self.money or self.decimals == 0)


def _count(scale: tuple[float, float, float, float] | None = None) -> MetricInfo:
    return MetricInfo(default_scale=scale)


def _money(scale: tuple[float, float, float, float] | None = None) -> MetricInfo:
    return MetricInfo(money=True, default_scale=scale)


def _percent(scale: tuple[float, float, float, float] | None = None) -> MetricInfo:
    return MetricInfo(unit="%", level=True, decimals=1, high=100.0, default_scale=scale)


def _score(scale: tuple[float, float, float, float] | None = None) -> MetricInfo:
    return MetricInfo(unit="/5", level=True, decimals=1, high=5.0, default_scale=scale)


def _duration(unit: str, scale: tuple[float, float, float, float] | None = None) -> MetricInfo:
    return MetricInfo(unit=unit, level=True, lower_is_better=True, decimals=1, default_scale=scale)


REGISTRY: dict[str, MetricInfo] = {
    "sales_won": _money((50_000, 100_000, 200_000, 400_000)),
    "new_customers": _count((1, 3, 5, 8)),
    "csat_avg": _score((3.0, 3.5, 4.0, 4.5)),
    "nps": MetricInfo(level=True, decimals=1, low=-100.0, high=100.0, default_scale=(0, 20, 40, 60)),
    "retention_rate": _percent((70, 80, 90, 95)),
    "first_response_hours": _duration("h", (48, 24, 8, 2)),
    "resolution_rate": _percent((60, 75, 85, 95)),
    "follow_ups_done": _count((5, 10, 20, 40)),
    "tasks_on_time": _count((2, 5, 10, 20)),
    "deals_new": _count(),
    "win_rate": _percent(),
    "pipeline_created": _money(),
    "call_answer_rate": _percent(),
    "call_first_contact_resolution": _percent(),
    "call_speed_of_answer": _duration("s"),
    "call_handle_time": _duration("s"),
    "call_csat": _score(),
    GOAL_ATTAINMENT: _percent((50, 75, 90, 100)),
}
# What a metric the registry does not know (manual goals) is shown with.
_UNKNOWN = MetricInfo(decimals=1)


def info(metric: str | None) -> MetricInfo:
    return REGISTRY.get(metric or "", _UNKNOWN)


def decimals(metric: str | None) -> int:
    """Display precision of a value of `metric` (manual goals: one decimal)."""
    return info(metric).decimals


def unit(metric: str | None) -> str:
    return info(metric).unit


def is_money(metric: str | None) -> bool:
    return info(metric).money


def default_scale(metric: str) -> dict[str, Any] | None:
    """The starting scale of a measured evaluation criterion on `metric`, in core.evaluations' shape."""
    found = info(metric)
    if found.default_scale is None:
        return None
    return {"thresholds": list(found.default_scale), "higher_is_better": not found.lower_is_better}


def _where(predicate) -> frozenset[str]:
    return frozenset(m for m, i in REGISTRY.items() if m != GOAL_ATTAINMENT and predicate(i))


# The views the older names read (core.metrics and core.goals keep them as aliases).
LEVEL_METRICS: frozenset[str] = _where(lambda i: i.level)
LOWER_IS_BETTER: frozenset[str] = _where(lambda i: i.lower_is_better)
METRIC_UNITS: dict[str, str] = {m: i.unit for m, i in REGISTRY.items() if m != GOAL_ATTAINMENT}
MAX_VALUES: dict[str, float] = {m: i.high for m, i in REGISTRY.items() if m != GOAL_ATTAINMENT and i.high is not None}
# How a value reads (core.metrics.format_metric): money in the currency, counts as whole numbers.
MONEY_METRICS: frozenset[str] = _where(lambda i: i.money)
COUNT_METRICS: frozenset[str] = _where(lambda i: not i.money and not i.level and not i.unit and i.decimals == 0)
MIN_VALUES: dict[str, float] = {m: i.low for m, i in REGISTRY.items() if m != GOAL_ATTAINMENT and i.low}
