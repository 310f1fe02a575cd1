"""SMART goals: creation with a SMART check, decomposition on two axes (team -> members, long
period -> quarters/months), progress from the records (core.metrics) or from check-ins, pace,
forecast and status, charts, follow-up tasks for goals at risk, and export.

Progress model (one rule for every goal, shown to users as `STATUS_RULE`):

- A goal runs from `start_date` to `end_date` (both days included). Its *start value* is 0 for
  cumulative measured metrics (sums and counts restart with the period; `baseline` is kept as the
  last comparable period's value for reference) and `baseline` for everything else (averages and
  rates, which move from a level to a level, and manual goals, whose check-ins report the current
  value).
- `actual` = the metric measured for the goal's owner over start..min(today, end) (team goals
  include sub-teams), or the latest check-in value for manual goals; None without data.
- `attainment` = (actual - start value) / (target - start value): 1.0 means the target is reached
  (works for lower-is-better targets too, where target < baseline).
- `elapsed` = days passed / days in the period (today included, capped to 0..1).
- `expected` (the pace line) = start value + (target - start value) * elapsed.
- `forecast` at the end date: cumulative goals extrapolate the rate so far
  (start value + (actual - start value) / elapsed); level goals keep their current level.
- `status` from the forecast's attainment: on track >= 100 %, at risk 80-100 %, off track < 80 %
  ("no_data" when nothing is measured yet, "not_started" before the start date).
"""
from __future__ import annotations

from core.goals.charts import (
    STATUS_COLORS,
    burnup_chart,
    overview_chart,
    overview_frame,
    overview_spec,
)
from core.goals.commands import (
    archive_goal,
    create_follow_up_task,
    create_follow_up_tasks,
    create_goal,
    record_check_in,
    save_children,
)
from core.goals.export import (
    export_frames,
)
from core.goals.queries import (
    active_children_count,
    at_risk_goals,
    best_past_value,
    check_ins,
    get_goal,
    goal_rollup,
    list_goals,
    progress_series,
    propose_member_split,
    propose_time_split,
    smart_check,
)
from core.goals.rules import (
    AMBITION_FACTOR,
    AT_RISK,
    AT_RISK_FROM,
    MAX_VALUES,
    MIN_VALUES,
    NO_DATA,
    NOT_STARTED,
    OFF_TRACK,
    ON_TRACK,
    SPLIT_METHODS,
    STATUS_RULE,
    STATUSES,
    TIME_AXES,
    ChildDraft,
    GoalDraft,
    GoalRow,
    Progress,
    Rollup,
    SmartItem,
    elapsed_share,
    evaluate,
    falling_behind,
    is_cumulative,
    period_slices,
    previous_period,
    rollup_of,
    split_amounts,
    start_value,
    status_for,
)
from core.goals.rules import (
    _decimals as _decimals,
)
from core.goals.rules import (
    _validate as _validate,
)

__all__ = [
    "AMBITION_FACTOR",
    "AT_RISK",
    "AT_RISK_FROM",
    "ChildDraft",
    "GoalDraft",
    "GoalRow",
    "MAX_VALUES",
    "MIN_VALUES",
    "NOT_STARTED",
    "NO_DATA",
    "OFF_TRACK",
    "ON_TRACK",
    "Progress",
    "Rollup",
    "SPLIT_METHODS",
    "STATUSES",
    "STATUS_COLORS",
    "STATUS_RULE",
    "SmartItem",
    "TIME_AXES",
    "active_children_count",
    "archive_goal",
    "at_risk_goals",
    "best_past_value",
    "burnup_chart",
    "check_ins",
    "create_follow_up_task",
    "create_follow_up_tasks",
    "create_goal",
    "elapsed_share",
    "evaluate",
    "export_frames",
    "falling_behind",
    "get_goal",
    "goal_rollup",
    "is_cumulative",
    "list_goals",
    "overview_chart",
    "overview_frame",
    "overview_spec",
    "period_slices",
    "previous_period",
    "progress_series",
    "propose_member_split",
    "propose_time_split",
    "record_check_in",
    "rollup_of",
    "save_children",
    "smart_check",
    "split_amounts",
    "start_value",
    "status_for",
]
