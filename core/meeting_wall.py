"""The Meeting screen for the wall (issue 15): what a whole team reads from across the room in one
1920×1080 screen. Headline numbers, goals rolled up by sub-team (not one bar per goal), the ten
goals furthest behind, each member's attainment (with a link to their 1:1 agenda), a service
summary and, when the workspace has deals, a pipeline summary.

Goals count when they run during the chosen period (this month, quarter or year); goals that have
not started yet are left out unless asked for. Read-only, managers and admins."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import goals as goals_core
from core import periods
from core.i18n import format_percent
from core.errors import InvalidInput, NotFound
from core.metrics import CLOSED, WON, won_between
from core.permissions import Actor, ensure_role, ensure_team, scope_for, subtree_team_ids
from core.service import TargetBook, timing
from db.base import utcnow
from db.models import Complaint, Customer, Deal, Member, Team

PERIODS = ("month", "quarter", "year")
FURTHEST_BEHIND = 10
ATTAINMENT_CAP = 1.5  # as the leaderboard: one runaway goal does not carry a team
RESOLVED_DAYS = 30


def goals_period(period: str) -> str:
    """The core.periods code whose goals a wall period reads: this month/quarter/year read the
    current goals; a past quarter, year or "all" reads that history (issue 11)."""
    return periods.CURRENT if period in PERIODS else period


def period_bounds(period: str, today: date, fiscal_start: int = 1) -> tuple[date, date]:
    """First and last day of this calendar month, quarter or year, or of a core.periods code."""
    if period == periods.ALL:
        return date.min, date.max
    if period not in PERIODS:
        window = periods.bounds(period, fiscal_start)  # InvalidInput for a code that is not one
        if window is None:
            raise InvalidInput("error.invalid")
        return window
    if period == "month":
        start = today.replace(day=1)
        end = (start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1))
    elif period == "quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        start = today.replace(month=first_month, day=1)
        end = start.replace(year=start.year + 1, month=1) if first_month == 10 else start.replace(month=first_month + 3)
    else:
        start = today.replace(month=1, day=1)
        end = start.replace(year=start.year + 1)
    return start, end - timedelta(days=1)


def in_period(goal: goals_core.GoalRow, start: date, end: date, include_not_started: bool, today: date) -> bool:
    """A goal counts when it runs during the period; one that starts after today only when asked."""
    if goal.start_date > end or goal.end_date < start:
        return False
    return include_not_started or goal.start_date <= today


def _capped(value: float | None) -> float | None:
    return None if value is None else max(0.0, min(ATTAINMENT_CAP, value))


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class TeamRollup:
    team_id: int
    team: str
    goals: int
    attainment: float | None  # mean attainment of goals with data, capped at 150 %
    behind: int  # at risk or off track


@dataclass(frozen=True)
class MemberRow:
    member_id: int
    name: str
    goals: int
    attainment: float | None


@dataclass
class MeetingWall:
    team_id: int
    team: str
    today: date
    period: str
    period_start: date
    period_end: date
    goals: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # by goal status
    attainment: float | None = None
    overdue_follow_ups: int = 0
    by_team: list[TeamRollup] = field(default_factory=list)
    behind: list[goals_core.GoalRow] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)
    service: dict[str, Any] | None = None
    pipeline: dict[str, Any] | None = None


def _rollup_team(parents: dict[int, int | None], root: int) -> Callable[[int | None], int]:
    """Map a team of the subtree to the root's direct child containing it (the root for itself)."""
    def up(team_id: int | None) -> int:
        current = team_id
        while current is not None and parents.get(current) not in (root, None) and current != root:
            current = parents.get(current)
        return current if current is not None and parents.get(current) == root else root
    return up


def service_summary(session: Session, team_ids: list[int], now: datetime) -> dict[str, Any]:
    """Open complaints, how many of them are past a target, resolved in the last 30 days."""
    rows = session.execute(
        select(Complaint.team_id, Complaint.severity, Complaint.opened_at, Complaint.first_response_at)
        .where(Complaint.team_id.in_(team_ids), Complaint.status != "resolved")
    ).all()
    book = TargetBook(session)
    breached = sum(1 for r in rows if timing(r.opened_at, r.first_response_at, None, book.get(r.team_id, r.severity), now).breached)
    resolved = session.scalar(select(func.count()).select_from(Complaint).where(
        Complaint.team_id.in_(team_ids), Complaint.status == "resolved",
        Complaint.resolved_at >= now - timedelta(days=RESOLVED_DAYS))) or 0
    return {"open": len(rows), "breached": breached, "resolved": int(resolved)}


def default_pipeline_summary(session: Session, team_ids: list[int], start: date, end: date) -> dict[str, Any] | None:
    """Open deals and their value, and deals won in the period, of the team's members; None when
    the team has no deals at all (the section is then left out)."""
    members = select(Member.id).where(Member.team_id.in_(team_ids))
    rows = session.execute(
        select(Deal.stage, Deal.currency, func.count(), func.coalesce(func.sum(Deal.value), 0))
        .where(Deal.owner_id.in_(members))
        .where(Deal.stage.notin_(CLOSED) | won_between(start, end))
        .group_by(Deal.stage, Deal.currency)
    ).all()
    if not rows:
        return None
    open_count = sum(n for stage, _, n, _ in rows if stage != WON)
    won_count = sum(n for stage, _, n, _ in rows if stage == WON)
    # amounts per currency: never summed across currencies
    open_value: dict[str, float] = {}
    won_value: dict[str, float] = {}
    for stage, currency, _, value in rows:
        target = won_value if stage == WON else open_value
        target[currency] = target.get(currency, 0.0) + float(value)
    return {"open": open_count, "open_value": open_value, "won": won_count, "won_value": won_value}


# Hook for the sales pipeline (issue 13): replace with a function of the same signature that reads
# the pipeline's own stages; returning None leaves the section out.
PIPELINE_SUMMARY: Callable[[Session, list[int], date, date], dict[str, Any] | None] = default_pipeline_summary


def meeting_wall(session: Session, actor: Actor, team_id: int, period: str = "month", include_not_started: bool = False,
                 today: date | None = None, now: datetime | None = None, fiscal_start: int = 1) -> MeetingWall:
    ensure_role(actor, "admin", "manager")
    today = today or date.today()
    now = now or utcnow()
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("meeting.error.no_team")
    ensure_team(scope_for(session, actor), team_id)
    start, end = period_bounds(period, today, fiscal_start)
    team_ids = sorted(subtree_team_ids(session, {team_id}))
    teams = {r.id: (r.name, r.parent_id) for r in session.execute(select(Team.id, Team.name, Team.parent_id).where(Team.id.in_(team_ids)))}
    parents = {tid: parent for tid, (_, parent) in teams.items()}
    up = _rollup_team(parents, team_id)

    rows = [g for g in goals_core.list_goals(session, actor, team_id=team_id, today=today, limit=2000,
                                                  period=goals_period(period), fiscal_start=fiscal_start)
            if in_period(g, start, end, include_not_started, today)]
    member_teams = dict(session.execute(select(Member.id, Member.team_id).where(Member.team_id.in_(team_ids))).all())
    grouped: dict[int, list[goals_core.GoalRow]] = {}
    per_member: dict[int, list[goals_core.GoalRow]] = {}
    for g in rows:
        owner_team = g.team_id if g.team_id is not None else member_teams.get(g.member_id)
        grouped.setdefault(up(owner_team), []).append(g)
        if g.member_id is not None:
            per_member.setdefault(g.member_id, []).append(g)

    def rollup(tid: int, items: list[goals_core.GoalRow]) -> TeamRollup:
        values = [_capped(g.progress.attainment) for g in items if g.progress.attainment is not None]
        return TeamRollup(tid, teams[tid][0], len(items), _mean(values),
                          sum(1 for g in items if g.status in (goals_core.AT_RISK, goals_core.OFF_TRACK)))

    by_team = sorted((rollup(tid, items) for tid, items in grouped.items()), key=lambda r: (r.team_id != team_id, r.team))
    names = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(list(per_member)))).all()) if per_member else {}
    members = sorted(
        (MemberRow(mid, names.get(mid, "—"), len(items),
                   _mean([_capped(g.progress.attainment) for g in items if g.progress.attainment is not None]))
         for mid, items in per_member.items()),
        key=lambda m: (m.attainment is None, -(m.attainment or 0.0), m.name))
    counts = {s: sum(1 for g in rows if g.status == s) for s in goals_core.STATUSES}
    overdue = session.scalar(select(func.count()).select_from(Customer).where(
        Customer.team_id.in_(team_ids), Customer.next_follow_up < today, Customer.status != "churned")) or 0
    return MeetingWall(
        team_id=team_id, team=team.name, today=today, period=period, period_start=start, period_end=end,
        goals=len(rows), counts=counts,
        attainment=_mean([_capped(g.progress.attainment) for g in rows if g.progress.attainment is not None]),
        overdue_follow_ups=int(overdue), by_team=by_team, behind=goals_core.falling_behind(rows)[:FURTHEST_BEHIND],
        members=members, service=service_summary(session, team_ids, now),
        pipeline=PIPELINE_SUMMARY(session, team_ids, start, end),
    )


def rollup_spec(rows: list[TeamRollup], labels: dict[str, str], big: bool = True) -> dict:
    """Vega-Lite bars: average attainment per sub-team (%), a 100 % rule, the goal count as a label.
    A plain dict: the wall redraws it after every write, and Altair's objects cost more than the rows."""
    size = 22 if big else 13
    values = [{"team": r.team, "percent": round((r.attainment or 0.0) * 100, 1), "goals": r.goals, "behind": r.behind,
               "label": format_percent(r.attainment, "en") + f" · {r.goals}"} for r in rows]
    axis = {"labelFontSize": size, "titleFontSize": size, "labelLimit": 360}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": labels["title"], "fontSize": size + 4},
        "data": {"values": values},
        "height": {"step": 56 if big else 28},
        "layer": [
            {"mark": {"type": "bar", "cornerRadiusEnd": 4},
             "encoding": {
                 "y": {"field": "team", "type": "nominal", "sort": None, "title": labels["team"], "axis": axis},
                 "x": {"field": "percent", "type": "quantitative", "title": labels["percent"], "axis": axis,
                       "scale": {"domain": [0, 150]}},
                 "color": {"condition": {"test": "datum.percent < 80", "value": "#e45756"}, "value": "#4c78a8"},
                 "tooltip": [{"field": "team", "title": labels["team"]}, {"field": "percent", "title": labels["percent"]},
                             {"field": "goals", "title": labels["goals"]}, {"field": "behind", "title": labels["behind"]}],
             }},
            {"mark": {"type": "text", "align": "left", "dx": 6, "fontSize": size},
             "encoding": {"y": {"field": "team", "type": "nominal", "sort": None}, "x": {"field": "percent", "type": "quantitative"},
                          "text": {"field": "label"}}},
            {"mark": {"type": "rule", "strokeDash": [6, 4]}, "encoding": {"x": {"datum": 100}}},
        ],
    }
