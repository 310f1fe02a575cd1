"""Satisfaction surveys: CSAT (1-5) and NPS (0-10) responses per customer and interaction, recorded
by hand, listed, and their trends by member and team.

Files of responses are an import kind of core.imports ("surveys": its fields, converters, row
errors, error file and re-import rule are the pipeline's, see core/imports/fields.py).

The numbers (average CSAT, NPS = % promoters 9-10 minus % detractors 0-6) are core.metrics'
`csat_avg` and `nps`: this module never computes them itself.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import altair as alt
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit, metrics
from core.errors import FieldError, InvalidInput
from core.i18n import t
from core.permissions import (
    READ,
    Actor,
    load,
    scope_clause,
    scope_for,
)
from core.service import period_buckets, subtree_members
from db.base import utcnow
from db.models import Customer, Interaction, Member, Survey, Team

def _score(value: Any, low: int, high: int) -> tuple[int | None, bool]:
    """(score, ok): blank is (None, True); a whole number in range is (n, True); else (None, False)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or (isinstance(value, str) and not value.strip()):
        return None, True
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, False
    if number != int(number) or not low <= number <= high:
        return None, False
    return int(number), True


def _validate_scores(csat: Any, nps: Any, row: int | None = None) -> tuple[int | None, int | None, list[FieldError]]:
    errors = []
    csat_value, ok = _score(csat, 1, 5)
    if not ok:
        errors.append(FieldError("surveys.error.csat_range", row=row, column="csat"))
    nps_value, ok2 = _score(nps, 0, 10)
    if not ok2:
        errors.append(FieldError("surveys.error.nps_range", row=row, column="nps"))
    if ok and ok2 and csat_value is None and nps_value is None:
        errors.append(FieldError("surveys.error.no_score", row=row, column="csat"))
    return csat_value, nps_value, errors


def _add(session: Session, actor: Actor, customer: Customer, csat: int | None, nps: int | None, *,
         interaction: Interaction | None, comment: str | None, responded_at: datetime | None) -> Survey:
    survey = Survey(
        customer_id=customer.id,
        interaction_id=interaction.id if interaction else None,
        member_id=(interaction.member_id if interaction and interaction.member_id else customer.owner_id),
        csat=csat,
        nps=nps,
        comment=(comment or "").strip() or None,
        responded_at=responded_at or utcnow(),
    )
    session.add(survey)
    return survey


def record_survey(
    session: Session,
    actor: Actor,
    *,
    customer_id: int | None,
    csat: int | None = None,
    nps: int | None = None,
    interaction_id: int | None = None,
    comment: str | None = None,
    responded_at: datetime | None = None,
) -> int:
    """Record one response for a visible customer. The survey counts for the member who handled
    the interaction, else the customer's owner."""
    csat, nps, errors = _validate_scores(csat, nps)
    if customer_id is None:
        errors.append(FieldError("error.required", {"field": "customer"}, column="customer"))
    if errors:
        raise InvalidInput("error.invalid", errors=errors)
    assert customer_id is not None  # a missing customer is one of the errors above
    customer = load(session, actor, Customer, customer_id, READ)
    interaction = None
    if interaction_id is not None:
        interaction = session.get(Interaction, interaction_id)
        if interaction is None or interaction.customer_id != customer.id:
            raise InvalidInput("error.invalid", errors=[FieldError("surveys.error.interaction", column="interaction_id")])
    survey = _add(session, actor, customer, csat, nps, interaction=interaction, comment=comment, responded_at=responded_at)
    session.flush()
    audit.record(session, actor, "survey.record", "survey", survey.id, None, audit.snapshot(survey))
    return survey.id


def recent_interactions(session: Session, actor: Actor, customer_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The customer's latest interactions, to link a survey to one."""
    load(session, actor, Customer, customer_id, READ)
    rows = session.execute(
        select(Interaction.id, Interaction.occurred_at, Interaction.channel, Interaction.summary)
        .where(Interaction.customer_id == customer_id)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit)
    ).all()
    return [{"id": r.id, "occurred_at": r.occurred_at, "channel": r.channel, "summary": r.summary} for r in rows]


# ---------------------------------------------------------------------------------------------
# Lists and trends
# ---------------------------------------------------------------------------------------------
def list_surveys(
    session: Session, actor: Actor, *, start: date, end: date, limit: int = 50, offset: int = 0,
) -> tuple[int, pd.DataFrame]:
    """Visible responses in [start, end], newest first, paginated in SQL."""
    scope = scope_for(session, actor)
    lo = datetime.combine(start, datetime.min.time())
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time())
    query = (
        select(Survey.id, Survey.responded_at, Customer.name.label("customer"), Member.name.label("member"),
               Survey.csat, Survey.nps, Survey.comment, Survey.interaction_id)
        .join(Customer, Customer.id == Survey.customer_id)
        .outerjoin(Member, Member.id == Survey.member_id)
        .where(scope_clause(scope, Survey), Survey.responded_at >= lo, Survey.responded_at < hi)
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Survey.responded_at.desc(), Survey.id.desc()).limit(limit).offset(offset)).all()
    columns = ["id", "responded_at", "customer", "member", "csat", "nps", "comment", "interaction_id"]
    return total, pd.DataFrame([dict(r._mapping) for r in rows], columns=columns)


def survey_trends(
    session: Session, actor: Actor, *, start: date, end: date, group: str = "team", period: str = "month",
) -> pd.DataFrame:
    """CSAT average and NPS per period for each visible team (with its sub-teams) or member, in
    long form: period, group, csat_avg, nps. Measured by core.metrics."""
    scope = scope_for(session, actor)
    if group == "member":
        entities = [(r.name, [r.id]) for r in session.execute(
            select(Member.id, Member.name).where(scope_clause(scope, Member), Member.status != "left").order_by(Member.name))]
    else:
        entities = [(r.name, subtree_members(session, r.id)) for r in session.execute(
            select(Team.id, Team.name).where(scope_clause(scope, Team)).order_by(Team.name))]
    out = []
    for label, lo, hi in period_buckets(start, end, period):
        for name, ids in entities:
            if not ids:
                continue
            csat = metrics.measure_value(session, "csat_avg", member_ids=ids, start=lo, end=hi)
            nps = metrics.measure_value(session, "nps", member_ids=ids, start=lo, end=hi)
            if csat is None and nps is None:
                continue
            out.append({"period": label, "group": name, "csat_avg": csat, "nps": nps})
    return pd.DataFrame(out, columns=["period", "group", "csat_avg", "nps"])


def trend_chart(trends: pd.DataFrame, score: str, group: str, lang: str) -> alt.Chart:
    """A line per team/member over the periods: CSAT (1-5) or NPS (-100..100)."""
    data = trends.dropna(subset=[score])
    y_title = t("surveys.chart.csat_axis" if score == "csat_avg" else "surveys.chart.nps_axis", lang)
    domain = [1, 5] if score == "csat_avg" else [-100, 100]
    group_title = t(f"service.group.{group}", lang)
    return (
        alt.Chart(data, title=t("surveys.chart.csat_title" if score == "csat_avg" else "surveys.chart.nps_title", lang))
        .mark_line(point=True)
        .encode(
            x=alt.X("period:O", title=t("surveys.chart.period_axis", lang)),
            y=alt.Y(f"{score}:Q", title=y_title, scale=alt.Scale(domain=domain)),
            color=alt.Color("group:N", title=group_title),
            tooltip=[alt.Tooltip("period:O", title=t("surveys.chart.period_axis", lang)),
                     alt.Tooltip("group:N", title=group_title),
                     alt.Tooltip(f"{score}:Q", title=y_title, format=".1f")],
        )
        .properties(height=300)
    )


__all__ = ["record_survey", "recent_interactions", "list_surveys", "survey_trends", "trend_chart"]
