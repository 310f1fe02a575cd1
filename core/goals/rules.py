"""Goal rules without the database: statuses, the progress model, validation, splits and roll-ups."""
from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from core import metric_registry
from core.errors import FieldError, InvalidInput
from core.metrics import (
    LEVEL_METRICS,
    MEASURED_METRICS,
)
from db.models import GOAL_METRICS

ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA, NOT_STARTED = "on_track", "at_risk", "off_track", "no_data", "not_started"
STATUSES = (ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA, NOT_STARTED)
AT_RISK_FROM = 0.8  # forecast attainment below 100 % but at least this is "at risk"
STATUS_RULE = "goals.status_rule"  # translation key of the rule text shown beside every status
SPLIT_METHODS = ("even", "capacity", "last_share")
TIME_AXES = ("quarter", "month")
AMBITION_FACTOR = 1.5  # a target above 1.5x the owner's best past period is flagged as doubtful
MAX_VALUES = metric_registry.MAX_VALUES  # the range a target may take, per metric
MIN_VALUES = metric_registry.MIN_VALUES


# ---------------------------------------------------------------------------------------------
# Pace, forecast and status (pure: hand-computed tests)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Progress:
    actual: float | None
    start_value: float
    target: float
    expected: float  # where the pace line is today
    forecast: float | None  # value expected at the end date
    attainment: float | None  # actual vs target, 1.0 = reached
    forecast_attainment: float | None
    elapsed: float  # share of the period passed, 0..1
    status: str

    @property
    def percent(self) -> float | None:
        return None if self.attainment is None else self.attainment * 100.0


def is_cumulative(metric: str) -> bool:
    """Sums and counts accumulate over the period (manual goals are treated like them: the check-in
    reports the value reached so far)."""
    return metric not in LEVEL_METRICS


def start_value(metric: str, baseline: float) -> float:
    return 0.0 if metric in MEASURED_METRICS and is_cumulative(metric) else float(baseline or 0.0)


def elapsed_share(start: date, end: date, today: date) -> float:
    """Days passed (today included) / days in the period, within 0..1."""
    total = (end - start).days + 1
    passed = (min(today, end) - start).days + 1
    return max(0.0, min(1.0, passed / total))


def _attain(value: float | None, start: float, target: float) -> float | None:
    if value is None:
        return None
    gap = target - start
    if gap == 0:  # no change asked for (the SMART check flags it): reached when at or past it
        return 1.0 if value >= target else 0.0
    return (value - start) / gap


def status_for(forecast_attainment: float | None) -> str:
    if forecast_attainment is None:
        return NO_DATA
    if forecast_attainment >= 1.0 - 1e-9:
        return ON_TRACK
    if forecast_attainment >= AT_RISK_FROM:
        return AT_RISK
    return OFF_TRACK


def evaluate(metric: str, baseline: float, target: float, start: date, end: date, today: date,
             actual: float | None) -> Progress:
    """Pace, forecast and status of one goal on `today` (see the module docstring for the rule)."""
    origin = start_value(metric, baseline)
    elapsed = elapsed_share(start, end, today)
    expected = origin + (target - origin) * elapsed
    if today < start:
        return Progress(actual, origin, target, origin, None, _attain(actual, origin, target), None, 0.0, NOT_STARTED)
    if actual is None:
        return Progress(None, origin, target, expected, None, None, None, elapsed, NO_DATA)
    if is_cumulative(metric):
        forecast = origin + (actual - origin) / elapsed if elapsed > 0 else actual
    else:
        forecast = actual
    forecast_attainment = _attain(forecast, origin, target)
    return Progress(actual, origin, target, expected, forecast, _attain(actual, origin, target),
                    forecast_attainment, elapsed, status_for(forecast_attainment))


# ---------------------------------------------------------------------------------------------
# Drafts, validation and the SMART check
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GoalDraft:
    title: str
    metric: str
    target: float | None
    start_date: date | None
    end_date: date | None
    team_id: int | None = None
    member_id: int | None = None
    unit: str = ""
    baseline: float = 0.0
    importance: int = 1
    urgency: int = 0
    parent_id: int | None = None


@dataclass(frozen=True)
class SmartItem:
    """One letter of SMART: ok, or a problem (missing = must fix, doubtful = think again) + hint."""

    letter: str  # S M A R T
    level: str  # ok | missing | doubtful
    key: str  # translation key of the message
    params: dict[str, Any] = field(default_factory=dict)


def _validate(draft: GoalDraft) -> list[FieldError]:
    errors: list[FieldError] = []
    if not (draft.title or "").strip():
        errors.append(FieldError("error.required", {"field": "title"}, column="title"))
    elif len(draft.title) > 200:
        errors.append(FieldError("goals.error.title_long", column="title"))
    if draft.metric not in GOAL_METRICS:
        errors.append(FieldError("goals.error.metric", column="metric"))
    if draft.target is None or (isinstance(draft.target, float) and math.isnan(draft.target)):
        errors.append(FieldError("error.required", {"field": "target"}, column="target"))
    else:
        high, low = MAX_VALUES.get(draft.metric), MIN_VALUES.get(draft.metric, 0.0)
        if draft.target < low or (high is not None and draft.target > high):
            errors.append(FieldError("goals.error.target_range", {"low": low, "high": high if high is not None else "∞"}, column="target"))
    if draft.start_date is None:
        errors.append(FieldError("error.required", {"field": "start"}, column="start_date"))
    if draft.end_date is None:
        errors.append(FieldError("error.required", {"field": "end"}, column="end_date"))
    if draft.start_date and draft.end_date and draft.end_date < draft.start_date:
        errors.append(FieldError("goals.error.period", column="end_date"))
    if (draft.team_id is None) == (draft.member_id is None):
        errors.append(FieldError("goals.error.one_owner", column="owner"))
    if draft.importance not in (0, 1) or draft.urgency not in (0, 1):
        errors.append(FieldError("goals.error.flags", column="importance"))
    if len(draft.unit or "") > 20:
        errors.append(FieldError("goals.error.unit_long", column="unit"))
    return errors


def _previous_periods(start: date, end: date, count: int) -> list[tuple[date, date]]:
    length = (end - start).days + 1
    return [(start - timedelta(days=length * k), start - timedelta(days=length * (k - 1) + 1)) for k in range(1, count + 1)]


# ---------------------------------------------------------------------------------------------
# A goal as lists show it
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GoalRow:
    id: int
    title: str
    metric: str
    unit: str
    target: float
    baseline: float
    start_date: date
    end_date: date
    team_id: int | None
    member_id: int | None
    owner: str
    parent_id: int | None
    importance: int
    urgency: int
    progress: Progress
    confidence: int | None = None
    last_comment: str | None = None
    version: int = 1  # what an edit form carries back (core.versions)

    @property
    def status(self) -> str:
        return self.progress.status

    @property
    def percent(self) -> float | None:
        return self.progress.percent


# ---------------------------------------------------------------------------------------------
# Decomposition: team -> members, long period -> quarters / months
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChildDraft:
    title: str
    target: float
    start_date: date
    end_date: date
    member_id: int | None = None
    team_id: int | None = None
    name: str = ""  # owner or period label, for display
    weight: float = 1.0  # what the split was proportional to (capacity, last share, days)


def split_amounts(total: float, weights: Sequence[float], decimals: int = 0) -> list[float]:
    """Split `total` in proportion to `weights`, rounded to `decimals`, so the parts add up exactly
    (largest remainder). Zero or missing weights everywhere mean an even split."""
    n = len(weights)
    if n == 0:
        return []
    weights = [max(0.0, float(w or 0.0)) for w in weights]
    if sum(weights) <= 0:
        weights = [1.0] * n
    unit = 10 ** decimals
    scaled_total = round(total * unit)
    raw = [scaled_total * w / sum(weights) for w in weights]
    floors = [math.floor(x) for x in raw]
    left = scaled_total - sum(floors)
    order = sorted(range(n), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [f / unit for f in floors]


def _decimals(metric: str, target: float) -> int:
    """Precision of a split target: whole numbers for counts and money, else hundredths."""
    return 0 if metric_registry.info(metric).whole else 2


def previous_period(start: date, end: date) -> tuple[date, date]:
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def period_slices(start: date, end: date, axis: str) -> list[tuple[date, date]]:
    """Calendar quarters or months overlapping start..end, clipped to it."""
    if axis not in TIME_AXES:
        raise InvalidInput("error.invalid", [FieldError("goals.error.axis", column="axis")])
    step = 3 if axis == "quarter" else 1
    slices = []
    month0 = ((start.month - 1) // step) * step + 1
    cursor = date(start.year, month0, 1)
    while cursor <= end:
        month_end_m = cursor.month + step - 1
        last = date(cursor.year, month_end_m, calendar.monthrange(cursor.year, month_end_m)[1])
        slices.append((max(cursor, start), min(last, end)))
        nxt = month_end_m + 1
        cursor = date(cursor.year + (nxt > 12), (nxt - 1) % 12 + 1, 1)
    return slices


def _slice_label(start: date, axis: str) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}" if axis == "quarter" else f"{start.year}-{start.month:02d}"


@dataclass(frozen=True)
class Rollup:
    parent_target: float
    children: int
    children_target: float | None  # sum (cumulative) or average (levels) of the children's targets
    children_actual: float | None
    difference: float | None  # children_target - parent_target
    adds_up: bool
    rule: str  # "sum" or "average"


def rollup_of(metric: str, parent_target: float, targets: Sequence[float], actuals: Sequence[float | None]) -> Rollup:
    """How the children add up to their parent: sum for cumulative metrics, average for levels.
    Within 0.5 % of the parent's target (or 0.01) counts as adding up."""
    if not targets:
        return Rollup(parent_target, 0, None, None, None, True, "sum" if is_cumulative(metric) else "average")
    known = [a for a in actuals if a is not None]
    if is_cumulative(metric):
        total, actual, rule = sum(targets), (sum(known) if known else None), "sum"
    else:
        total = sum(targets) / len(targets)
        actual, rule = (sum(known) / len(known) if known else None), "average"
    diff = total - parent_target
    return Rollup(parent_target, len(targets), total, actual, diff, abs(diff) <= max(0.01, abs(parent_target) * 0.005), rule)


def falling_behind(goals: Iterable[GoalRow]) -> list[GoalRow]:
    """The goals at risk or off track, furthest behind first (lowest forecast share of target,
    the number their status is decided on; then the nearest deadline)."""
    return sorted((g for g in goals if g.status in (AT_RISK, OFF_TRACK)),
                  key=lambda g: (g.progress.forecast_attainment or 0.0, g.end_date, g.id))
