"""Evaluations: cycles, weighted scorecards that blend measured results with ratings, release and lock.

Rules (stated once, shown on the card):

- **Template.** A scorecard template holds weighted criteria; weights are whole numbers that sum to
  exactly 100. A criterion is *measured* (a metric read from the records through `core.metrics`, the
  same numbers the goals use, or `goal_attainment`) or *rated* (1-5 with a comment).
- **Scaling.** A measured value becomes a 1-5 score by the criterion's `scale`
  `{"thresholds": [t2, t3, t4, t5], "higher_is_better": bool}`: when higher is better the score is 1
  plus the number of thresholds the value reaches (value >= t); when lower is better the thresholds
  descend and the score is 1 plus the number of thresholds the value is at or under (value <= t).
  A value exactly on a threshold earns that threshold's score.
- **Rated criteria.** The manager's rating is the score; the self-review and peer ratings are shown
  beside it (and in calibration) but do not change it. No manager rating = missing.
- **Missing data.** A criterion without data (no surveys for CSAT, no complaints for a rate, no
  manager rating yet) is missing: shown as "—", never as 0. The weighted total is
  sum(weight x score) / sum(weight) over the criteria that have a score, so the weights are
  re-normalised over the present criteria; `coverage` says how much weight was present. With no
  criterion present there is no total.
- **Traceability.** Each measured line carries the exact rows its value was computed from
  (`core.metrics.Measure.records`), and `records_frame` lists those rows.
- **Release and lock.** The manager releases a cycle: totals are computed and stored, the cycle is
  locked (no rating changes) and each member sees their own result. Before release members see only
  their own self-review; peers only ever see the form for their own peer ratings, never a score.
"""
from __future__ import annotations

from core.evaluations.charts import (
    distribution_chart,
    heatmap_chart,
    trend_chart,
    versus_chart,
)
from core.evaluations.commands import (
    create_cycle,
    create_template,
    rate,
    rate_many,
    release_cycle,
    reopen_cycle,
    set_peers,
)
from core.evaluations.queries import (
    evaluation_members,
    list_cycles,
    list_templates,
    my_evaluations,
    peer_candidates,
    peer_requests,
    rater_kind,
    release_checklist,
    review_form,
)
from core.evaluations.records import (
    RECORD_COLUMNS,
    records_frame,
    records_table,
)
from core.evaluations.rules import (
    GAP_FLAG,
    GOAL_ATTAINMENT,
    MEASURABLE,
    METRIC_UNITS,
    OUTLIER_Z,
    RELEASE_GAPS,
    SCORE_MAX,
    SCORE_MIN,
    STARTER_CRITERIA,
    WEIGHT_TOTAL,
    Calibration,
    CriterionInput,
    Line,
    Scorecard,
    cycle_period,
    scale_score,
    scale_steps,
    starter_template,
    validate_scale,
    weighted_total,
)
from core.evaluations.scoring import (
    calibration,
    get_scorecard,
    goal_attainment,
    list_results,
    may_see_result,
    measure_criterion,
    member_trend,
    other_currency_sales,
    team_average_by_criterion,
)

__all__ = [
    "Calibration",
    "CriterionInput",
    "GAP_FLAG",
    "GOAL_ATTAINMENT",
    "Line",
    "MEASURABLE",
    "METRIC_UNITS",
    "OUTLIER_Z",
    "RECORD_COLUMNS",
    "RELEASE_GAPS",
    "SCORE_MAX",
    "SCORE_MIN",
    "STARTER_CRITERIA",
    "WEIGHT_TOTAL",
    "Scorecard",
    "calibration",
    "create_cycle",
    "create_template",
    "cycle_period",
    "distribution_chart",
    "evaluation_members",
    "get_scorecard",
    "goal_attainment",
    "heatmap_chart",
    "list_cycles",
    "list_results",
    "list_templates",
    "may_see_result",
    "measure_criterion",
    "member_trend",
    "my_evaluations",
    "other_currency_sales",
    "peer_candidates",
    "peer_requests",
    "rate",
    "rate_many",
    "rater_kind",
    "records_frame",
    "records_table",
    "release_checklist",
    "release_cycle",
    "reopen_cycle",
    "review_form",
    "scale_score",
    "scale_steps",
    "set_peers",
    "team_average_by_criterion",
    "trend_chart",
    "starter_template",
    "validate_scale",
    "versus_chart",
    "weighted_total",
]
