"""Forecast and pipeline review for a quarter, per member and per team, against the quota.

Definitions (a quarter Q = its first to last day; amounts in the workspace currency only - deals in
another currency are counted in `other_currency` and never added in):

- won: sum of deals won (stage `won`) with `closed_on` in Q
- commit: sum of open deals the owner marked as commit, expected to close in Q
- weighted pipeline: sum of amount x probability / 100 of open deals expected to close in Q
- best case: won + every open deal expected to close in Q
- quota: the `sales_won` goals of the member (or of the team) overlapping Q, prorated by the days
  of the goal's period inside Q; a team without its own goal uses the sum of its members' quotas
- win rate: won / (won + lost) among deals closed in Q (%)
- average deal size: won / number of deals won in Q
- sales-cycle length: average days from creation to `closed_on` of the deals won in Q
- pipeline coverage: open pipeline expected in Q / quota still to win (quota - won); None when
  there is no quota or it is already reached
- stuck: open deals (any close date) that have sat in their stage longer than `stuck_days`

Everything is computed with one grouped SQL query per call (GROUP BY owner), then summed per team
from those per-person aggregates: deals are never loaded row by row.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import altair as alt
import pandas as pd
from sqlalchemy import Date, Float, and_, case, cast, func, select
from sqlalchemy.orm import Session

from core import i18n
from core.deals import CLOSED, LOST, WON, list_stages, quarter_of, workspace_currency
from core.errors import NotFound, PermissionDenied
from core.metrics import lost_between, won_between
from core.permissions import Actor, scope_for, subtree_team_ids
from db.models import Deal, Goal, Member, Team

DEFAULT_STUCK_DAYS = 30


@dataclass(frozen=True)
class ForecastRow:
    key: str  # "member:<id>", "team:<id>" or "org"
    label: str
    kind: str  # member | team | org
    won: float = 0.0
    won_count: int = 0
    lost_count: int = 0
    cycle_days_sum: float = 0.0
    commit: float = 0.0
    weighted: float = 0.0
    open_pipeline: float = 0.0
    open_count: int = 0
    stuck: int = 0
    quota: float | None = None

    @property
    def best_case(self) -> float:
        return self.won + self.open_pipeline

    @property
    def win_rate(self) -> float | None:
        closed = self.won_count + self.lost_count
        return 100.0 * self.won_count / closed if closed else None

    @property
    def average_deal(self) -> float | None:
        return self.won / self.won_count if self.won_count else None

    @property
    def cycle_days(self) -> float | None:
        return self.cycle_days_sum / self.won_count if self.won_count else None

    @property
    def coverage(self) -> float | None:
        if self.quota is None or self.quota <= self.won:
            return None
        return self.open_pipeline / (self.quota - self.won)

    @property
    def attainment(self) -> float | None:
        return 100.0 * self.won / self.quota if self.quota else None

    def plus(self, other: ForecastRow) -> ForecastRow:
        return replace(
            self, won=self.won + other.won, won_count=self.won_count + other.won_count,
            lost_count=self.lost_count + other.lost_count, cycle_days_sum=self.cycle_days_sum + other.cycle_days_sum,
            commit=self.commit + other.commit, weighted=self.weighted + other.weighted,
            open_pipeline=self.open_pipeline + other.open_pipeline, open_count=self.open_count + other.open_count,
            stuck=self.stuck + other.stuck,
        )


@dataclass(frozen=True)
class Forecast:
    start: date
    end: date
    currency: str
    rows: tuple[ForecastRow, ...]  # members of a team, or the top teams of the organisation
    total: ForecastRow
    stuck_days: int
    other_currency: int = 0  # deals in another currency, left out of every sum
    total_key: str = "forecast.organisation"  # how an unnamed total reads: the organisation, or "my teams"


def _days(session: Session, later, earlier) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(func.date(earlier))
    return cast(later, Date) - cast(earlier, Date)


def _aggregates(session: Session, member_ids: Collection[int] | None, start: date, end: date, currency: str,
                stuck_days: int, today: date) -> dict[int, ForecastRow]:
    """Per owner, one grouped query. `member_ids` None: every owner (the whole organisation)."""
    won = won_between(start, end)
    lost = lost_between(start, end)
    open_ = Deal.stage.not_in(CLOSED)
    in_q = and_(open_, Deal.expected_close >= start, Deal.expected_close <= end)
    cutoff = datetime.combine(today, time.min) - timedelta(days=stuck_days)

    def total(cond, value) -> Any:
        return func.coalesce(func.sum(case((cond, value), else_=0)), 0)

    stmt = (
        select(
            Deal.owner_id,
            total(won, Deal.value), total(won, 1), total(lost, 1),
            total(won, cast(_days(session, Deal.closed_on, Deal.created_at), Float)),
            total(and_(in_q, Deal.in_commit.is_(True)), Deal.value),
            total(in_q, Deal.value * Deal.probability / 100.0),
            total(in_q, Deal.value), total(in_q, 1),
            total(and_(open_, Deal.stage_entered_at < cutoff), 1),
        )
        .where(Deal.owner_id.is_not(None), Deal.currency == currency,
               (Deal.closed_on >= start) & (Deal.closed_on <= end) | open_)
        .group_by(Deal.owner_id)
    )
    if member_ids is not None:
        stmt = stmt.where(Deal.owner_id.in_(sorted(member_ids)))
    found = {}
    for owner, *v in session.execute(stmt).all():
        found[int(owner)] = ForecastRow(
            f"member:{owner}", "", "member", float(v[0]), int(v[1]), int(v[2]), float(v[3]), float(v[4]),
            float(v[5]), float(v[6]), int(v[7]), int(v[8]),
        )
    return found


def _other_currency(session: Session, member_ids: Collection[int] | None, start: date, end: date, currency: str) -> int:
    stmt = select(func.count()).select_from(Deal).where(
        Deal.currency != currency,
        (Deal.closed_on >= start) & (Deal.closed_on <= end) | Deal.stage.not_in(CLOSED),
    )
    if member_ids is not None:
        stmt = stmt.where(Deal.owner_id.in_(sorted(member_ids)))
    return int(session.scalar(stmt) or 0)


def _quotas(session: Session, column, ids: Collection[int], start: date, end: date) -> dict[int, float]:
    """Prorated `sales_won` goal targets overlapping the quarter, per member or team id."""
    if not ids:
        return {}
    rows = session.execute(
        select(column, Goal.target, Goal.start_date, Goal.end_date)
        .where(column.in_(sorted(ids)), Goal.metric == "sales_won", Goal.status == "active",
               Goal.start_date <= end, Goal.end_date >= start)
    ).all()
    quotas: dict[int, float] = {}
    for owner, target, g0, g1 in rows:
        overlap = (min(g1, end) - max(g0, start)).days + 1
        quotas[owner] = quotas.get(owner, 0.0) + float(target) * overlap / ((g1 - g0).days + 1)
    return quotas


def _empty(key: str, label: str, kind: str) -> ForecastRow:
    return ForecastRow(key, label, kind)


def forecast(session: Session, actor: Actor, *, team_id: int | None = None, quarter: int = 0,
             stuck_days: int = DEFAULT_STUCK_DAYS, today: date | None = None) -> Forecast:
    """The quarter's forecast (`quarter` = 0 this quarter, -1 the last one, ...). With `team_id`:
    one row per member of the team and its sub-teams, total = the team. Without: admins get one row
    per top team and the organisation as total; managers one row per team they manage; members
    see themselves."""
    today = today or date.today()
    start, end = quarter_of(today, quarter)
    currency = workspace_currency(session)
    scope = scope_for(session, actor)
    teams = {t.id: t for t in session.scalars(select(Team))}

    def members_of(tid: int) -> list[tuple[int, str]]:
        sub = sorted(subtree_team_ids(session, {tid}))
        return list(session.execute(select(Member.id, Member.name).where(Member.team_id.in_(sub)).order_by(Member.name)).all())

    if actor.role == "member" and team_id is None:
        if actor.member_id is None:
            raise NotFound("error.not_found")
        name = session.scalar(select(Member.name).where(Member.id == actor.member_id))
        agg = _aggregates(session, [actor.member_id], start, end, currency, stuck_days, today)
        quota = _quotas(session, Goal.member_id, [actor.member_id], start, end).get(actor.member_id)
        row = replace(agg.get(actor.member_id, _empty("", "", "member")), key=f"member:{actor.member_id}",
                      label=name, quota=quota)
        return Forecast(start, end, currency, (row,), replace(row, kind="org"), stuck_days,
                        _other_currency(session, [actor.member_id], start, end, currency))

    if team_id is not None:
        if team_id not in teams:
            raise NotFound("error.not_found")
        if not scope.has_team(team_id):
            raise PermissionDenied("error.permission_denied")
        people = members_of(team_id)
        ids = [m for m, _ in people]
        agg = _aggregates(session, ids, start, end, currency, stuck_days, today)
        quotas = _quotas(session, Goal.member_id, ids, start, end)
        rows = tuple(replace(agg.get(m, _empty("", "", "member")), key=f"member:{m}", label=name, kind="member",
                             quota=quotas.get(m)) for m, name in people)
        total = _empty(f"team:{team_id}", teams[team_id].name, "team")
        for row in rows:
            total = total.plus(row)
        team_quota = _quotas(session, Goal.team_id, [team_id], start, end).get(team_id)
        member_quotas = [r.quota for r in rows if r.quota is not None]
        total = replace(total, quota=team_quota if team_quota is not None else (sum(member_quotas) if member_quotas else None))
        return Forecast(start, end, currency, rows, total, stuck_days, _other_currency(session, ids, start, end, currency))

    # the organisation (admins) or the teams a manager manages
    if scope.everything:
        roots = [t.id for t in teams.values() if t.parent_id is None]
    else:
        roots = [t.id for t in teams.values() if t.id in scope.team_ids
                 and (t.parent_id is None or t.parent_id not in scope.team_ids)]
    roots.sort(key=lambda tid: teams[tid].name)
    member_team = dict(session.execute(select(Member.id, Member.team_id)).all())
    agg = _aggregates(session, None if scope.everything else [m for m, t in member_team.items() if t in scope.team_ids],
                      start, end, currency, stuck_days, today)
    all_member_quotas = _quotas(session, Goal.member_id, list(member_team), start, end)
    team_quotas = _quotas(session, Goal.team_id, roots, start, end)
    team_rows: list[ForecastRow] = []
    for tid in roots:
        sub = subtree_team_ids(session, {tid})
        row = _empty(f"team:{tid}", teams[tid].name, "team")
        member_quotas_in_team: list[float] = []
        for member_id, member_team_id in member_team.items():
            if member_team_id in sub:
                if member_id in agg:
                    row = row.plus(agg[member_id])
                if member_id in all_member_quotas:
                    member_quotas_in_team.append(all_member_quotas[member_id])
        quota = team_quotas.get(tid, sum(member_quotas_in_team) if member_quotas_in_team else None)
        team_rows.append(replace(row, quota=quota))
    total = _empty("org", "", "org")
    for row in team_rows:
        total = total.plus(row)
    team_quota_values = [r.quota for r in team_rows if r.quota is not None]
    total = replace(total, quota=sum(team_quota_values) if team_quota_values else None)
    other = _other_currency(session, None if scope.everything else list(agg), start, end, currency)
    return Forecast(start, end, currency, tuple(team_rows), total, stuck_days, other,
                    "forecast.organisation" if scope.everything else "forecast.my_teams")


def stage_funnel(session: Session, actor: Actor, *, team_id: int | None = None, quarter: int = 0,
                 today: date | None = None) -> pd.DataFrame:
    """Open deals expected to close in the quarter, and the deals won in it, per stage (grouped in
    SQL): stage code, count, amount, weighted amount, in board order."""
    from core.deals import DealFilters, _clauses

    today = today or date.today()
    start, end = quarter_of(today, quarter)
    clauses = _clauses(session, actor, DealFilters(team_id=team_id, period="all"), today)
    in_q = ((Deal.stage.not_in(CLOSED)) & (Deal.expected_close >= start) & (Deal.expected_close <= end)) | (
        (Deal.stage == WON) & (Deal.closed_on >= start) & (Deal.closed_on <= end))
    from db.models import Customer

    grouped = select(Deal.stage, func.count(), func.sum(Deal.value), func.sum(Deal.value * Deal.probability / 100.0)).where(
        *clauses, in_q, Deal.currency == workspace_currency(session))
    if not scope_for(session, actor).everything:
        grouped = grouped.join(Customer, Customer.id == Deal.customer_id)
    rows = {stage: (int(n), float(a or 0), float(w or 0))
            for stage, n, a, w in session.execute(grouped.group_by(Deal.stage)).all()}
    stages = [s for s in list_stages(session) if s.kind != LOST]
    return pd.DataFrame(
        [(s.code, s.name, *rows.get(s.code, (0, 0.0, 0.0))) for s in stages],
        columns=["stage", "name", "count", "amount", "weighted"],
    )


# ---------------------------------------------------------------------------------------------
# Tables and charts
# ---------------------------------------------------------------------------------------------
def quarter_label(start: date, lang: str) -> str:
    q = (start.month - 1) // 3 + 1
    return i18n.t("forecast.quarter_label", lang, year=start.year, q=q)


def forecast_frame(result: Forecast, lang: str) -> pd.DataFrame:
    """The review table: one row per member or team, then the total (display labels, numbers kept
    numeric for sorting; the page formats them)."""
    def record(row: ForecastRow, label: str) -> dict:
        return {
            "name": label, "won": row.won, "commit": row.commit, "weighted": row.weighted, "best_case": row.best_case,
            "quota": row.quota, "attainment": row.attainment, "coverage": row.coverage, "win_rate": row.win_rate,
            "average_deal": row.average_deal, "cycle_days": row.cycle_days, "open_count": row.open_count,
            "stuck": row.stuck,
        }
    total_label = result.total.label or i18n.t(result.total_key, lang)
    records = [record(r, r.label) for r in result.rows]
    if len(result.rows) != 1 or result.total.kind != "org" or result.rows[0].kind != "member":
        records.append(record(result.total, i18n.t("forecast.total", lang, name=total_label)))
    return pd.DataFrame.from_records(records)


def forecast_chart(result: Forecast, lang: str, max_rows: int = 25) -> alt.LayerChart | alt.FacetChart:
    """Stacked bar per member or team (won, commit, rest of the pipeline expected in the quarter)
    with the quota as a tick: how far each is from the number."""
    rows = sorted(result.rows, key=lambda r: -r.best_case)[:max_rows]
    if len(rows) > 1 or result.total.kind != "org":
        rows = [*rows, replace(result.total, label=i18n.t("forecast.total", lang, name=result.total.label
                                                               or i18n.t(result.total_key, lang)))]
    parts = {"won": i18n.t("forecast.won", lang), "commit": i18n.t("forecast.commit", lang),
             "rest": i18n.t("forecast.rest", lang)}
    bars, ticks = [], []
    for order, row in enumerate(rows):
        for n, (part, value) in enumerate((("won", row.won), ("commit", row.commit),
                                           ("rest", max(0.0, row.open_pipeline - row.commit)))):
            bars.append({"who": row.label, "part": parts[part], "order": n, "amount": round(value, 2), "rank": order})
        if row.quota is not None:
            ticks.append({"who": row.label, "quota": round(row.quota, 2), "rank": order})
    unit = result.currency
    y = alt.Y("who:N", sort=alt.EncodingSortField("rank", order="ascending"), title=None)
    bar = alt.Chart(alt.Data(values=bars)).mark_bar().encode(
        y=y,
        x=alt.X("sum(amount):Q", title=i18n.t("forecast.amount_axis", lang, unit=unit), stack="zero"),
        color=alt.Color("part:N", title=None, sort=list(parts.values()),
                        scale=alt.Scale(domain=list(parts.values()), range=["#2e7d32", "#1565c0", "#90caf9"])),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("who:N", title=i18n.t("forecast.col.name", lang)),
                 alt.Tooltip("part:N", title=i18n.t("forecast.part", lang)),
                 alt.Tooltip("amount:Q", title=i18n.t("forecast.amount_axis", lang, unit=unit), format=",.0f")],
    )
    layers = [bar]
    if ticks:
        layers.append(alt.Chart(alt.Data(values=ticks)).mark_tick(color="#d32f2f", thickness=3, size=22).encode(
            y=y, x=alt.X("quota:Q"),
            tooltip=[alt.Tooltip("who:N", title=i18n.t("forecast.col.name", lang)),
                     alt.Tooltip("quota:Q", title=i18n.t("forecast.quota", lang), format=",.0f")],
        ))
    return alt.layer(*layers).properties(
        title=i18n.t("forecast.chart_title", lang, quarter=quarter_label(result.start, lang)),
        height=alt.Step(34),
    )


def funnel_chart(frame: pd.DataFrame, lang: str, quarter_start: date, currency: str) -> alt.Chart:
    """The stage funnel: amount per stage (open stages in order, then won), count in the tooltip."""
    data = [{"stage": name or i18n.choice_label("stage", code, lang), "rank": n, "amount": round(amount, 2),
             "count": int(count), "weighted": round(weighted, 2)}
            for n, (code, name, count, amount, weighted) in enumerate(frame.itertuples(index=False))]
    axis = i18n.t("forecast.amount_axis", lang, unit=currency)
    return alt.Chart(alt.Data(values=data)).mark_bar(color="#1565c0").encode(
        y=alt.Y("stage:N", sort=alt.EncodingSortField("rank", order="ascending"), title=None),
        x=alt.X("amount:Q", title=axis),
        tooltip=[alt.Tooltip("stage:N", title=i18n.t("pipeline.col.stage", lang)),
                 alt.Tooltip("count:Q", title=i18n.t("forecast.col.deals", lang)),
                 alt.Tooltip("amount:Q", title=axis, format=",.0f"),
                 alt.Tooltip("weighted:Q", title=i18n.t("forecast.weighted", lang), format=",.0f")],
    ).properties(title=i18n.t("forecast.funnel_title", lang, quarter=quarter_label(quarter_start, lang)),
                 height=alt.Step(30))


__all__ = ["DEFAULT_STUCK_DAYS", "ForecastRow", "Forecast", "forecast", "stage_funnel", "forecast_frame",
           "forecast_chart", "funnel_chart", "quarter_label"]
