"""Measured metrics: the ONE place that turns records into numbers (goals, evaluations, training
effects and the Meeting page all import it).

Every metric is measured for a set of people (`member_ids`, and/or `team_ids` meaning every member
of those teams and of all their sub-teams) over a period `start..end` (dates, both inclusive; a
datetime column is in the period when `start 00:00 <= value < (end + 1 day) 00:00`). Records are
attributed to people, never to teams directly:

==========================  =====================================================================
metric                      definition (unit)
==========================  =====================================================================
sales_won                   sum of `Deal.value` with stage 'won' and `closed_on` in the period,
                            by `Deal.owner_id`, in the workspace currency only: amounts in
                            different currencies are never added up (`other_currencies` lists
                            what was left out, for the screens to say so) (money)
new_customers               customers whose `created_at` is in the period, by current
                            `Customer.owner_id` (count)
csat_avg                    average `Survey.csat` (1-5) of surveys responded in the period, by
                            `Survey.member_id` (score 1-5)
nps                         over surveys with an `nps` answer responded in the period:
                            (% promoters 9-10) - (% detractors 0-6), i.e. -100..100 (points)
retention_rate              cohort = customers currently owned by the people that were created
                            before the period starts and are customers (status 'active' or
                            'churned'; prospects never were customers); retained = the cohort
                            minus those with status 'churned'; value = 100 * retained / cohort
                            (%). Customers carry no churn date, so the status is read as of now:
                            for a period in the past this counts a churn that happened after it.
first_response_hours        average hours from `Complaint.opened_at` to `first_response_at`, over
                            complaints opened in the period that have a first response, by
                            `Complaint.assignee_id` (hours; lower is better)
resolution_rate             complaints opened in the period (by assignee): 100 * those with
                            `resolved_at` before the end of the period / all of them (%)
follow_ups_done             interactions logged (`occurred_at`) in the period, by
                            `Interaction.member_id` (count)
tasks_on_time               tasks with status 'done', `completed_at` in the period and the date of
                            `completed_at` <= `due_date`, by `Task.assignee_id` (count; tasks
                            without a due date are not "on time")
deals_new                   deals whose `created_at` is in the period, by `Deal.owner_id` (count)
win_rate                    over deals closed in the period (`closed_on` in it, stage 'won' or
                            'lost'): 100 * won / closed, by `Deal.owner_id` (%)
pipeline_created            sum of `Deal.value` of deals created in the period, whatever their stage
                            now, by `Deal.owner_id` (money, in the workspace currency)
call_answer_rate            calls (`Call.occurred_at` in the period) by `Call.member_id` (the
                            agent): 100 * answered / all calls offered to the agent (%)
call_first_contact_resolution  answered calls: 100 * those resolved in that call / answered (%)
call_speed_of_answer        average `speed_of_answer_seconds` of answered calls (seconds; lower
                            is better)
call_handle_time            average `talk_seconds` of answered calls (seconds; lower is better;
                            call-centre sheets carry talk time, so hold and wrap-up are not in it)
call_csat                   average `Call.csat` (1-5) of calls with a rating (score 1-5)
==========================  =====================================================================

Missing data is `None`, never 0: an average or a rate with an empty denominator (no surveys, no
complaints, no cohort) is None; an empty set of people is None for every metric. Sums and counts
over people who exist are 0 when nothing happened (no deal won is a real zero).

`measure` also returns the exact rows each number was computed from (`RecordRef(kind, id)`), so
every figure on screen can be traced; `measure_value` is the same aggregate without collecting
them; `measure_by_member` computes one value per person in a single grouped query.

Metrics do NOT check permissions: callers (core.goals, core.evaluations, ...) decide who may see a
measurement of whom, through core.permissions, before calling these functions.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from collections.abc import Callable

from sqlalchemy import Float, and_, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core import metric_registry
from core.permissions import subtree_team_ids
from db.models import GOAL_METRICS, Call, Complaint, Customer, Deal, Interaction, Member, Survey, Task

# What "won" and "closed" mean, once: every module that counts won deals (metrics, forecast, the
# Meeting page's wins, core.deals' stage kinds) takes these instead of repeating the condition.
WON, LOST = "won", "lost"
CLOSED = (WON, LOST)


def won_between(start: date, end: date | None) -> ColumnElement[bool]:
    """A deal won in the period: stage 'won' and `closed_on` in `start..end` (both inclusive;
    `end` None: won on or after `start`)."""
    if end is None:
        return and_(Deal.stage == WON, Deal.closed_on >= start)
    return and_(Deal.stage == WON, Deal.closed_on >= start, Deal.closed_on <= end)


def lost_between(start: date, end: date) -> ColumnElement[bool]:
    """A deal lost in the period: stage 'lost' and `closed_on` in `start..end` (both inclusive)."""
    return and_(Deal.stage == LOST, Deal.closed_on >= start, Deal.closed_on <= end)


def closed_between(start: date, end: date) -> ColumnElement[bool]:
    """A deal closed (won or lost) in the period."""
    return and_(Deal.stage.in_(CLOSED), Deal.closed_on >= start, Deal.closed_on <= end)


def workspace_currency(session: Session) -> str:
    """The currency money metrics are summed in: the workspace's (core.workspace)."""
    from core import workspace  # settings live there; imported here to keep metrics importable alone

    return workspace.currency(session).strip().upper()


def other_currencies(session: Session, *, member_ids: Collection[int] | None = None,
                     team_ids: Collection[int] | None = None, start: date, end: date) -> dict[str, tuple[int, float]]:
    """Won deals of the period in currencies other than the workspace's: currency -> (deals,
    amount in that currency). `sales_won` leaves them out; screens flag them beside it."""
    ids = people(session, member_ids, team_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Deal.currency, func.count(), func.sum(Deal.value))
        .where(Deal.owner_id.in_(ids), won_between(start, end), Deal.currency != workspace_currency(session))
        .group_by(Deal.currency)
    ).all()
    return {currency: (int(n), float(total or 0)) for currency, n, total in rows}


MEASURED_METRICS: tuple[str, ...] = tuple(m for m in GOAL_METRICS if m != "manual")
# Direction, level and unit of each metric live in core.metric_registry; these names are kept for
# their many readers.
LOWER_IS_BETTER: frozenset[str] = metric_registry.LOWER_IS_BETTER
# Averages and rates: the period's value is a level, not an accumulation (no linear burn-up).
LEVEL_METRICS: frozenset[str] = metric_registry.LEVEL_METRICS
METRIC_UNITS: dict[str, str] = metric_registry.METRIC_UNITS  # money has "": shown by the money formatter


MONEY_METRICS: frozenset[str] = metric_registry.MONEY_METRICS
COUNT_METRICS: frozenset[str] = metric_registry.COUNT_METRICS


def format_metric(value: float | None, metric: str | None, lang: str, currency: str, unit: str | None = None) -> str:
    """The one way a measured value reads on every screen and in every report: money in the
    currency, counts as whole numbers, rates as whole percentages, scores with one decimal,
    hours and seconds with their unit; "—" when there is no value. `unit` overrides the metric's
    own (a manual goal's free unit, an evaluation's goal attainment in %)."""
    from core import i18n  # formatting lives in core.i18n; metrics stays importable without it

    if value is None or value != value:
        return "—"
    metric = metric or ""
    unit = METRIC_UNITS.get(metric, "") if unit is None else unit
    if metric in MONEY_METRICS:
        return i18n.format_money(value, lang, currency)
    if metric in COUNT_METRICS:
        return i18n.format_number(value, lang, 0)
    if unit == "%":
        return i18n.format_points(value, lang, 0)
    if unit == "/5":
        return i18n.format_decimal(value, lang, 1) + "/5"
    if unit in ("h", "s"):
        shown = i18n.format_decimal(value, lang, 1) if unit == "h" else i18n.format_number(value, lang, 0)
        return i18n.t(f"service.unit.{unit}", lang, n=shown)
    decimals = 0 if float(value).is_integer() else 1
    number = i18n.format_number(value, lang, decimals)
    return f"{number} {unit}".strip() if unit else number


@dataclass(frozen=True)
class RecordRef:
    """One row a number was computed from: kind is the table's singular name ('deal', 'customer',
    'survey', 'complaint', 'interaction', 'task')."""

    kind: str
    id: int


@dataclass(frozen=True)
class Measure:
    """A measured value (None = no data) and the rows it was computed from."""

    value: float | None
    records: tuple[RecordRef, ...] = ()


# ---------------------------------------------------------------------------------------------
# Period and people
# ---------------------------------------------------------------------------------------------
def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    return datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min)


def people(session: Session, member_ids: Collection[int] | None = None, team_ids: Collection[int] | None = None) -> list[int]:
    """The member ids measured: the given members plus every member of the given teams and of
    their sub-teams (whatever the member's status: past records still count)."""
    if member_ids is None and team_ids is None:
        raise ValueError("measure whom? pass member_ids and/or team_ids")
    result = set(member_ids or ())
    if team_ids:
        teams = subtree_team_ids(session, set(team_ids))
        result.update(session.scalars(select(Member.id).where(Member.team_id.in_(sorted(teams)))))
    return sorted(result)


def _hours(session: Session, later, earlier) -> ColumnElement[Any]:
    """Hours between two timestamp columns, in SQL, on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 24.0
    return func.extract("epoch", later - earlier) / 3600.0


# ---------------------------------------------------------------------------------------------
# One definition per metric
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    kind: str
    id_col: Any
    member_col: Any
    where: Callable[[Session, datetime, datetime, date, date], list[ColumnElement[bool]]]
    value: Callable[[Session, datetime], ColumnElement[Any]]  # aggregate over the rows; gets `hi`
    # Levels (averages, rates: metric_registry) are None when no rows; sums and counts are 0.


def _pct(numerator, denominator) -> ColumnElement[Any]:
    return cast(numerator, Float) * 100.0 / func.nullif(denominator, 0)


_SPECS: dict[str, _Spec] = {
    "sales_won": _Spec(
        "deal", Deal.id, Deal.owner_id,
        lambda s, lo, hi, d0, d1: [won_between(d0, d1), Deal.currency == workspace_currency(s)],
        lambda s, hi: func.coalesce(func.sum(Deal.value), 0),
    ),
    "new_customers": _Spec(
        "customer", Customer.id, Customer.owner_id,
        lambda s, lo, hi, d0, d1: [Customer.created_at >= lo, Customer.created_at < hi],
        lambda s, hi: func.count(Customer.id),
    ),
    "csat_avg": _Spec(
        "survey", Survey.id, Survey.member_id,
        lambda s, lo, hi, d0, d1: [Survey.csat.is_not(None), Survey.responded_at >= lo, Survey.responded_at < hi],
        lambda s, hi: func.avg(cast(Survey.csat, Float)),
    ),
    "nps": _Spec(
        "survey", Survey.id, Survey.member_id,
        lambda s, lo, hi, d0, d1: [Survey.nps.is_not(None), Survey.responded_at >= lo, Survey.responded_at < hi],
        lambda s, hi: _pct(
            func.sum(case((Survey.nps >= 9, 1), else_=0)) - func.sum(case((Survey.nps <= 6, 1), else_=0)),
            func.count(Survey.id),
        ),
    ),
    "retention_rate": _Spec(
        "customer", Customer.id, Customer.owner_id,
        lambda s, lo, hi, d0, d1: [Customer.created_at < lo, Customer.status.in_(("active", "churned"))],
        lambda s, hi: _pct(func.sum(case((Customer.status != "churned", 1), else_=0)), func.count(Customer.id)),
    ),
    "first_response_hours": _Spec(
        "complaint", Complaint.id, Complaint.assignee_id,
        lambda s, lo, hi, d0, d1: [
            Complaint.first_response_at.is_not(None), Complaint.opened_at >= lo, Complaint.opened_at < hi,
        ],
        lambda s, hi: func.avg(_hours(s, Complaint.first_response_at, Complaint.opened_at)),
    ),
    "resolution_rate": _Spec(
        "complaint", Complaint.id, Complaint.assignee_id,
        lambda s, lo, hi, d0, d1: [Complaint.opened_at >= lo, Complaint.opened_at < hi],
        lambda s, hi: _pct(
            func.sum(case((Complaint.resolved_at.is_not(None) & (Complaint.resolved_at < hi), 1), else_=0)),
            func.count(Complaint.id),
        ),
    ),
    "follow_ups_done": _Spec(
        "interaction", Interaction.id, Interaction.member_id,
        lambda s, lo, hi, d0, d1: [Interaction.occurred_at >= lo, Interaction.occurred_at < hi],
        lambda s, hi: func.count(Interaction.id),
    ),
    "tasks_on_time": _Spec(
        "task", Task.id, Task.assignee_id,
        lambda s, lo, hi, d0, d1: [
            Task.status == "done", Task.completed_at >= lo, Task.completed_at < hi, Task.due_date.is_not(None),
            func.date(Task.completed_at) <= func.date(Task.due_date),
        ],
        lambda s, hi: func.count(Task.id),
    ),
    "deals_new": _Spec(
        "deal", Deal.id, Deal.owner_id,
        lambda s, lo, hi, d0, d1: [Deal.created_at >= lo, Deal.created_at < hi],
        lambda s, hi: func.count(Deal.id),
    ),
    "win_rate": _Spec(
        "deal", Deal.id, Deal.owner_id,
        lambda s, lo, hi, d0, d1: [closed_between(d0, d1)],
        lambda s, hi: _pct(func.sum(case((Deal.stage == WON, 1), else_=0)), func.count(Deal.id)),
    ),
    "pipeline_created": _Spec(
        "deal", Deal.id, Deal.owner_id,
        lambda s, lo, hi, d0, d1: [Deal.created_at >= lo, Deal.created_at < hi],
        lambda s, hi: func.coalesce(func.sum(Deal.value), 0),
    ),
    "call_answer_rate": _Spec(
        "call", Call.id, Call.member_id,
        lambda s, lo, hi, d0, d1: [Call.occurred_at >= lo, Call.occurred_at < hi],
        lambda s, hi: _pct(func.sum(case((Call.answered.is_(True), 1), else_=0)), func.count(Call.id)),
    ),
    "call_first_contact_resolution": _Spec(
        "call", Call.id, Call.member_id,
        lambda s, lo, hi, d0, d1: [Call.answered.is_(True), Call.occurred_at >= lo, Call.occurred_at < hi],
        lambda s, hi: _pct(func.sum(case((Call.resolved.is_(True), 1), else_=0)), func.count(Call.id)),
    ),
    "call_speed_of_answer": _Spec(
        "call", Call.id, Call.member_id,
        lambda s, lo, hi, d0, d1: [Call.answered.is_(True), Call.speed_of_answer_seconds.is_not(None),
                                   Call.occurred_at >= lo, Call.occurred_at < hi],
        lambda s, hi: func.avg(cast(Call.speed_of_answer_seconds, Float)),
    ),
    "call_handle_time": _Spec(
        "call", Call.id, Call.member_id,
        lambda s, lo, hi, d0, d1: [Call.answered.is_(True), Call.talk_seconds.is_not(None),
                                   Call.occurred_at >= lo, Call.occurred_at < hi],
        lambda s, hi: func.avg(cast(Call.talk_seconds, Float)),
    ),
    "call_csat": _Spec(
        "call", Call.id, Call.member_id,
        lambda s, lo, hi, d0, d1: [Call.csat.is_not(None), Call.occurred_at >= lo, Call.occurred_at < hi],
        lambda s, hi: func.avg(cast(Call.csat, Float)),
    ),
}


def _value_expr(session: Session, metric: str, hi: datetime) -> ColumnElement[Any]:
    return _SPECS[metric].value(session, hi)


def _spec(metric: str) -> _Spec:
    try:
        return _SPECS[metric]
    except KeyError:
        raise ValueError(f"not a measured metric: {metric!r} (measured: {', '.join(MEASURED_METRICS)})") from None


def _as_value(raw: Any, metric: str) -> float | None:
    if raw is None:
        return None if is_level(metric) else 0.0
    return float(raw)


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def measure_value(
    session: Session,
    metric: str,
    *,
    member_ids: Collection[int] | None = None,
    team_ids: Collection[int] | None = None,
    start: date,
    end: date,
) -> float | None:
    """The metric's value for these people and period (one aggregate query, no records)."""
    spec = _spec(metric)
    ids = people(session, member_ids, team_ids)
    if not ids:
        return None
    lo, hi = _bounds(start, end)
    raw = session.scalar(
        select(_value_expr(session, metric, hi)).where(spec.member_col.in_(ids), *spec.where(session, lo, hi, start, end))
    )
    return _as_value(raw, metric)


def measure(
    session: Session,
    metric: str,
    *,
    member_ids: Collection[int] | None = None,
    team_ids: Collection[int] | None = None,
    start: date,
    end: date,
) -> Measure:
    """The metric's value and the exact rows it was computed from (same filter as the value)."""
    spec = _spec(metric)
    ids = people(session, member_ids, team_ids)
    if not ids:
        return Measure(None, ())
    lo, hi = _bounds(start, end)
    where = [spec.member_col.in_(ids), *spec.where(session, lo, hi, start, end)]
    raw = session.scalar(select(_value_expr(session, metric, hi)).where(*where))
    rows = session.scalars(select(spec.id_col).where(*where).order_by(spec.id_col)).all()
    return Measure(_as_value(raw, metric), tuple(RecordRef(spec.kind, int(r)) for r in rows))


def measure_by_member(
    session: Session, metric: str, member_ids: Collection[int], start: date, end: date
) -> dict[int, float | None]:
    """One value per member (same definitions as `measure_value`) in one grouped query. Every
    requested member has a key: 0.0 for sums/counts with no rows, None for averages/rates."""
    spec = _spec(metric)
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    lo, hi = _bounds(start, end)
    rows = session.execute(
        select(spec.member_col, _value_expr(session, metric, hi))
        .where(spec.member_col.in_(ids), *spec.where(session, lo, hi, start, end))
        .group_by(spec.member_col)
    ).all()
    found = {int(member): _as_value(raw, metric) for member, raw in rows}
    return {m: found.get(m, _as_value(None, metric)) for m in ids}


def is_lower_better(metric: str) -> bool:
    return metric in LOWER_IS_BETTER


def is_level(metric: str) -> bool:
    """Averages and rates describe a level over the period; sums and counts accumulate."""
    return metric in LEVEL_METRICS


__all__ = [
    "MEASURED_METRICS",
    "LOWER_IS_BETTER",
    "LEVEL_METRICS",
    "METRIC_UNITS",
    "MONEY_METRICS",
    "COUNT_METRICS",
    "format_metric",
    "WON",
    "LOST",
    "CLOSED",
    "won_between",
    "lost_between",
    "closed_between",
    "RecordRef",
    "Measure",
    "people",
    "measure",
    "measure_value",
    "measure_by_member",
    "is_lower_better",
    "is_level",
]
