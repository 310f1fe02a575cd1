"""Satisfaction surveys: CSAT (1-5) and NPS (0-10) responses per customer and interaction, recorded
by hand or imported from CSV/Excel (row-level errors, all-or-nothing), and their trends by member
and team.

The numbers (average CSAT, NPS = % promoters 9-10 minus % detractors 0-6) are core.metrics'
`csat_avg` and `nps`: this module never computes them itself.

Import file columns (header names, case-insensitive; Chinese headers accepted too):
    customer       the customer's external id, or its exact name (required)
    csat           1-5 (optional when nps is given)
    nps            0-10 (optional when csat is given)
    responded_at   date or date-time (optional: now)
    comment        free text (optional)
    interaction_id the interaction the survey followed (optional; must be on that customer)
Rows are numbered as in the spreadsheet: the header is row 1, the first data row is row 2.
"""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

import altair as alt
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import audit, metrics
from core.errors import FieldError, InvalidInput
from core.i18n import t
from core.permissions import (
    READ,
    Actor,
    allowed,
    load,
    scope_clause,
    scope_for,
    scoped,
)
from core.service import period_buckets, subtree_members
from db.base import utcnow
from db.models import Customer, Interaction, Member, Survey, Team

MAX_IMPORT_ROWS = 20_000
COLUMN_ALIASES = {
    "customer": "customer", "客户": "customer", "customer_id": "customer", "external_id": "customer",
    "csat": "csat", "满意度": "csat",
    "nps": "nps", "推荐值": "nps",
    "responded_at": "responded_at", "date": "responded_at", "日期": "responded_at", "时间": "responded_at",
    "comment": "comment", "备注": "comment", "评论": "comment",
    "interaction_id": "interaction_id", "interaction": "interaction_id", "沟通记录": "interaction_id",
}


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
# Import
# ---------------------------------------------------------------------------------------------
def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """A CSV (UTF-8, with or without BOM; GBK accepted) or Excel upload as text cells."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xls")):
        try:
            return pd.read_excel(io.BytesIO(data), dtype=object)
        except Exception as error:  # noqa: BLE001 - any unreadable workbook
            raise InvalidInput("surveys.error.unreadable", detail=str(error)[:200]) from None
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return pd.read_csv(io.BytesIO(data), dtype=object, encoding=encoding, keep_default_na=False)
        except UnicodeDecodeError:
            continue
        except Exception as error:  # noqa: BLE001
            raise InvalidInput("surveys.error.unreadable", detail=str(error)[:200]) from None
    raise InvalidInput("surveys.error.unreadable", detail="encoding")


def _as_datetime(value: Any) -> tuple[datetime | None, bool]:
    if value is None or (isinstance(value, float) and pd.isna(value)) or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, datetime):
        return value.replace(tzinfo=None), True
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time()), True
    try:
        parsed = pd.Timestamp(str(value).strip())
    except (ValueError, TypeError):
        return None, False
    if pd.isna(parsed):
        return None, False
    return parsed.to_pydatetime().replace(tzinfo=None), True


def _survey_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The upload with our column names (aliases and Chinese headers accepted) and every optional
    column present; refuses a file without customers, an empty one and one too long."""
    columns = {c: COLUMN_ALIASES.get(str(c).strip().lower(), COLUMN_ALIASES.get(str(c).strip())) for c in frame.columns}
    frame = frame.rename(columns={c: v for c, v in columns.items() if v})
    if "customer" not in frame.columns:
        raise InvalidInput("surveys.error.missing_column", errors=[FieldError("surveys.error.missing_column", {"column": "customer"}, column="customer")])
    if frame.empty:
        raise InvalidInput("surveys.error.empty_file")
    if len(frame) > MAX_IMPORT_ROWS:
        raise InvalidInput("surveys.error.too_many_rows", limit=MAX_IMPORT_ROWS)
    for optional in ("csat", "nps", "responded_at", "comment", "interaction_id"):
        if optional not in frame.columns:
            frame[optional] = None
    return frame


def _customers_by_key(session: Session, scope: Any, frame: pd.DataFrame) -> dict[str, list[Customer]]:
    """The file's customer keys resolved in bulk (by external id or exact name), within the scope."""
    keys = sorted({str(v).strip() for v in frame["customer"] if v is not None and str(v).strip() and not (isinstance(v, float) and pd.isna(v))})
    by_key: dict[str, list[Customer]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        # only customers in scope are matched: a name outside it is "unknown", exactly like a name
        # that does not exist (the file must not tell which other teams' customers exist)
        query = select(Customer).where(or_(Customer.external_id.in_(chunk), Customer.name.in_(chunk)))
        for customer in session.scalars(scoped(query, Customer, scope)):
            for key in {customer.external_id, customer.name} & set(chunk):
                by_key.setdefault(key, []).append(customer)
    return by_key


def _row_customer(session: Session, actor: Actor, scope: Any, by_key: dict[str, list[Customer]], value: Any,
                  row: int, errors: list[FieldError]) -> Customer | None:
    """The one readable customer a row names (an external id wins over a name), else an error."""
    key = "" if value is None else str(value).strip()
    if not key or key == "nan":
        errors.append(FieldError("error.required", {"field": "customer"}, row=row, column="customer"))
        return None
    matches = {c.id: c for c in by_key.get(key, [])}
    exact = [c for c in matches.values() if c.external_id == key]
    candidates = exact or list(matches.values())
    if not candidates:
        errors.append(FieldError("surveys.error.unknown_customer", {"customer": key}, row=row, column="customer"))
    elif len(candidates) > 1:
        errors.append(FieldError("surveys.error.ambiguous_customer", {"customer": key}, row=row, column="customer"))
    elif not allowed(session, actor, READ, candidates[0], scope):
        errors.append(FieldError("surveys.error.customer_out_of_scope", {"customer": key}, row=row, column="customer"))
    else:
        return candidates[0]
    return None


def _row_values(record: dict[str, Any], row: int, errors: list[FieldError]) -> tuple[int | None, int | None, int | None, str | None, datetime | None]:
    """(csat, nps, interaction id, comment, responded at) of a row, each problem added to `errors`."""
    csat, nps, score_errors = _validate_scores(record["csat"], record["nps"], row)
    errors.extend(score_errors)
    when, ok = _as_datetime(record["responded_at"])
    if not ok:
        errors.append(FieldError("surveys.error.date", row=row, column="responded_at"))
    interaction_id, ok = _score(record["interaction_id"], 1, 2**31 - 1)
    if not ok:
        errors.append(FieldError("surveys.error.interaction", row=row, column="interaction_id"))
    comment = record["comment"]
    comment = None if comment is None or (isinstance(comment, float) and pd.isna(comment)) else str(comment)
    return csat, nps, interaction_id, comment, when


def import_surveys(session: Session, actor: Actor, frame: pd.DataFrame) -> int:
    """Validate every row, then write all of them, or none: any error raises InvalidInput listing
    each row and column to fix. Returns the number of surveys imported."""
    frame = _survey_frame(frame)
    scope = scope_for(session, actor)
    by_key = _customers_by_key(session, scope, frame)
    errors: list[FieldError] = []
    prepared: list[tuple[Customer | None, int | None, int | None, int | None, str | None, datetime | None]] = []
    for index, record in enumerate(frame.to_dict("records")):
        customer = _row_customer(session, actor, scope, by_key, record["customer"], index + 2, errors)
        csat, nps, interaction_id, comment, when = _row_values(record, index + 2, errors)
        prepared.append((customer, csat, nps, interaction_id, comment, when))
    interaction_ids = {p[3] for p in prepared if p[3] is not None}
    interactions = {
        i.id: i for i in session.scalars(select(Interaction).where(Interaction.id.in_(sorted(interaction_ids))))
    } if interaction_ids else {}
    for index, (customer, _c, _n, interaction_id, _comment, _when) in enumerate(prepared):
        if interaction_id is not None and customer is not None:
            found = interactions.get(interaction_id)
            if found is None or found.customer_id != customer.id:
                errors.append(FieldError("surveys.error.interaction", row=index + 2, column="interaction_id"))
    if errors:
        errors.sort(key=lambda e: (e.row or 0, e.column or ""))
        raise InvalidInput("surveys.error.import_refused", errors=errors, count=len({e.row for e in errors}))
    for customer, csat, nps, interaction_id, comment, when in prepared:
        assert customer is not None  # a row without its customer is an error above
        _add(session, actor, customer, csat, nps, interaction=interactions.get(interaction_id) if interaction_id else None,
             comment=comment, responded_at=when)
    session.flush()
    audit.record(session, actor, "survey.import", "survey", None, None, {"rows": len(prepared)})
    return len(prepared)


def template_frame() -> pd.DataFrame:
    """An example file for the import."""
    return pd.DataFrame([
        {"customer": "C-000123", "csat": 5, "nps": 9, "responded_at": "2025-03-01", "comment": "", "interaction_id": ""},
        {"customer": "上海示例贸易有限公司", "csat": 3, "nps": "", "responded_at": "2025-03-02 14:30", "comment": "交付略慢", "interaction_id": ""},
    ])


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


__all__ = [
    "record_survey", "recent_interactions", "read_table", "import_surveys", "template_frame",
    "list_surveys", "survey_trends", "trend_chart", "MAX_IMPORT_ROWS",
]
