"""Evaluation rules without the database: scales, weighted totals, cycle periods, criteria checks, a scorecard's shape."""
from __future__ import annotations

import calendar
import statistics
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from core import metric_registry, metrics
from core.errors import FieldError
from db.base import utcnow
from db.models import (
    CRITERION_KINDS,
    Criterion,
    Evaluation,
    EvaluationCycle,
    Member,
    Rating,
)

GOAL_ATTAINMENT = metric_registry.GOAL_ATTAINMENT
MEASURABLE = (*metrics.MEASURED_METRICS, GOAL_ATTAINMENT)
SCORE_MIN, SCORE_MAX = 1, 5
WEIGHT_TOTAL = 100  # a template's criterion weights are whole numbers summing to exactly this
OUTLIER_Z = 1.5  # calibration: a total more than 1.5 standard deviations from the cycle mean
GAP_FLAG = 2  # calibration: self and manager ratings 2 or more points apart
# Units of every measurable criterion; starting scales are metric_registry.default_scale(metric).
METRIC_UNITS = {m: metric_registry.unit(m) for m in MEASURABLE}


# ---------------------------------------------------------------------------------------------
# Scaling (pure)
# ---------------------------------------------------------------------------------------------
# The criteria a new template starts with: (name key, kind, metric, weight). Weights sum to WEIGHT_TOTAL;
# measured criteria start on their metric's default scale from the registry.
STARTER_CRITERIA: tuple[tuple[str, str, str | None, int], ...] = (
    ("sales", "measured", "sales_won", 20),
    ("csat", "measured", "csat_avg", 20),
    ("goals", "measured", GOAL_ATTAINMENT, 20),
    ("attitude", "rated", None, 15),
    ("teamwork", "rated", None, 15),
    ("innovation", "rated", None, 10),
)


def starter_template() -> list[dict[str, Any]]:
    """The rows a new template's editor starts with, as plain data: `name_key` names the criterion
    (the page shows `evaluations.default.<name_key>`), `thresholds` is the scale's list (empty for
    rated criteria or a metric without a default scale) and `higher_is_better` its direction."""
    rows = []
    for name_key, kind, metric, weight in STARTER_CRITERIA:
        scale = (metric_registry.default_scale(metric) if metric else None) or {"thresholds": [], "higher_is_better": True}
        rows.append({"name_key": name_key, "kind": kind, "metric": metric, "weight": weight,
                     "thresholds": list(scale["thresholds"]), "higher_is_better": scale["higher_is_better"]})
    return rows


def validate_scale(scale: Any) -> list[str]:
    """Translation keys of what is wrong with a scale (empty when it is fine)."""
    if not isinstance(scale, dict) or "thresholds" not in scale:
        return ["evaluations.error.scale_shape"]
    thresholds = scale.get("thresholds")
    if not isinstance(thresholds, (list, tuple)) or len(thresholds) != 4:
        return ["evaluations.error.scale_shape"]
    try:
        values = [float(t) for t in thresholds]
    except (TypeError, ValueError):
        return ["evaluations.error.scale_shape"]
    higher = bool(scale.get("higher_is_better", True))
    ordered = all(a < b for a, b in zip(values, values[1:])) if higher else all(a > b for a, b in zip(values, values[1:]))
    return [] if ordered else ["evaluations.error.scale_order"]


def scale_score(value: float | None, scale: dict[str, Any]) -> int | None:
    """The 1-5 score of a measured value (None stays None: missing is never scored)."""
    if value is None:
        return None
    thresholds = [float(t) for t in scale["thresholds"]]
    if scale.get("higher_is_better", True):
        return SCORE_MIN + sum(1 for t in thresholds if value >= t)
    return SCORE_MIN + sum(1 for t in thresholds if value <= t)


def scale_steps(scale: dict[str, Any]) -> list[tuple[int, str, float]]:
    """The rule as steps to show on the card: [(5, '>=', 90), (4, '>=', 80), ...]; below the last
    step the score is 1."""
    op = ">=" if scale.get("higher_is_better", True) else "<="
    thresholds = [float(t) for t in scale["thresholds"]]
    return [(SCORE_MIN + i + 1, op, t) for i, t in reversed(list(enumerate(thresholds)))]


def weighted_total(lines: list[tuple[int, float | None]]) -> tuple[float | None, float]:
    """(total, coverage) from (weight, score) pairs: missing scores are left out and the weights
    re-normalised over the present ones; coverage is the present share of the weight (0-1)."""
    present = [(w, s) for w, s in lines if s is not None and w > 0]
    all_weight = sum(w for w, _ in lines if w > 0)
    weight = sum(w for w, _ in present)
    if not present or weight == 0:
        return None, 0.0
    total = sum(w * s for w, s in present) / weight
    return round(total, 2), (weight / all_weight if all_weight else 0.0)


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------
def cycle_period(kind: str, anchor: date) -> tuple[date, date]:
    """The month or quarter containing `anchor`."""
    if kind == "month":
        return anchor.replace(day=1), anchor.replace(day=calendar.monthrange(anchor.year, anchor.month)[1])
    if kind == "quarter":
        first_month = 3 * ((anchor.month - 1) // 3) + 1
        last_month = first_month + 2
        return date(anchor.year, first_month, 1), date(anchor.year, last_month, calendar.monthrange(anchor.year, last_month)[1])
    raise ValueError(kind)


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CriterionInput:
    name: str
    kind: str  # measured | rated
    weight: int
    metric: str | None = None
    scale: dict[str, Any] | None = None


def _validate_criteria(criteria: list[CriterionInput]) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    for row, c in enumerate(criteria, start=1):
        name = (c.name or "").strip()
        if not name:
            errors.append(FieldError("evaluations.error.criterion_name", row=row, column="name"))
        elif name.lower() in seen:
            errors.append(FieldError("evaluations.error.criterion_duplicate", {"name": name}, row=row, column="name"))
        seen.add(name.lower())
        if c.kind not in CRITERION_KINDS:
            errors.append(FieldError("evaluations.error.criterion_kind", row=row, column="kind"))
        if not isinstance(c.weight, int) or isinstance(c.weight, bool) or not 0 < c.weight <= WEIGHT_TOTAL:
            errors.append(FieldError("evaluations.error.weight_range", row=row, column="weight"))
        if c.kind == "measured":
            if c.metric not in MEASURABLE:
                errors.append(FieldError("evaluations.error.metric", row=row, column="metric"))
            for key in validate_scale(c.scale):
                errors.append(FieldError(key, row=row, column="scale"))
    if not criteria:
        errors.append(FieldError("evaluations.error.no_criteria"))
    else:
        total = sum(c.weight for c in criteria if isinstance(c.weight, int))
        if total != WEIGHT_TOTAL:
            errors.append(FieldError("evaluations.error.weights_sum", {"total": total}))
    return errors


RELEASE_GAPS = ("early", "missing_ratings", "pending_self", "pending_peer")


def _line_data(line: Line) -> dict[str, Any]:
    data = dict(line.__dict__)
    data["records"] = [list(r) for r in line.records]
    return data


def _line_from(data: dict[str, Any]) -> Line:
    return Line(**{**data, "records": tuple((str(k), int(i)) for k, i in data.get("records") or ())})


# ---------------------------------------------------------------------------------------------
# Scorecards
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    criterion_id: int
    name: str
    kind: str
    weight: int
    metric: str | None
    scale: dict[str, Any] | None
    value: float | None  # measured value (None = no data)
    score: float | None  # 1-5 (None = missing)
    records: tuple[tuple[str, int], ...] = ()
    manager_comment: str | None = None
    self_score: int | None = None
    self_comment: str | None = None
    peer_avg: float | None = None
    peer_count: int = 0


@dataclass(frozen=True)
class Scorecard:
    evaluation_id: int
    cycle_id: int
    cycle_name: str
    member_id: int
    member_name: str
    start: date
    end: date
    status: str
    lines: tuple[Line, ...]
    total: float | None
    coverage: float


def _card(cycle: EvaluationCycle, evaluation: Evaluation, member: Member, criteria: list[Criterion],
          ratings: list[Rating], measured: dict[int, metrics.Measure]) -> Scorecard:
    """One scorecard from its criteria, its ratings and the measured criteria's values
    (criterion id -> Measure): the one rule behind `_compute` and `_compute_many`."""
    by_criterion: dict[int, list[Rating]] = {}
    for r in ratings:
        by_criterion.setdefault(r.criterion_id, []).append(r)
    lines: list[Line] = []
    for c in criteria:
        if c.kind == "measured":
            value = measured[c.id]
            lines.append(Line(c.id, c.name, c.kind, c.weight, c.metric, c.scale, value.value,
                              scale_score(value.value, c.scale),
                              tuple((r.kind, r.id) for r in value.records)))
        else:
            rs = by_criterion.get(c.id, [])
            manager = next((r for r in sorted(rs, key=lambda r: r.created_at or utcnow(), reverse=True) if r.rater_kind == "manager"), None)
            own = next((r for r in rs if r.rater_kind == "self"), None)
            peers = [r.score for r in rs if r.rater_kind == "peer"]
            lines.append(Line(
                c.id, c.name, c.kind, c.weight, None, None, None,
                float(manager.score) if manager else None, (),
                manager.comment if manager else None,
                own.score if own else None, own.comment if own else None,
                round(statistics.mean(peers), 2) if peers else None, len(peers),
            ))
    total, coverage = weighted_total([(line.weight, line.score) for line in lines])
    return Scorecard(evaluation.id, cycle.id, cycle.name, member.id, member.name, cycle.start_date, cycle.end_date,
                     cycle.status, tuple(lines), total, coverage)


# ---------------------------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------------------------
@dataclass
class Calibration:
    results: pd.DataFrame  # member, total, coverage, z, outlier
    gaps: pd.DataFrame  # member, criterion, self, manager, gap, flagged
    mean: float | None = None
    stdev: float | None = None
    heatmap: pd.DataFrame = field(default_factory=pd.DataFrame)  # member, criterion, score
