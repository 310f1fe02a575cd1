"""The source records behind a scorecard line (the drill-down and its export)."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import metrics
from core.errors import NotFound
from core.evaluations.scoring import get_scorecard
from core.i18n import choice_label, format_date, format_money, t
from core.permissions import Actor
from db.base import Base
from db.models import (
    Call,
    CheckIn,
    Complaint,
    Customer,
    Deal,
    DealStage,
    Goal,
    Interaction,
    Member,
    Survey,
    Task,
)

# ---------------------------------------------------------------------------------------------
# Traceability
# ---------------------------------------------------------------------------------------------
_SHOW_COLUMNS = ("title", "name", "customer_id", "stage", "value", "csat", "nps", "status", "severity", "channel",
                 "summary", "closed_on", "due_date", "completed_at", "occurred_at", "responded_at", "opened_at",
                 "first_response_at", "resolved_at", "created_at", "target", "metric", "start_date", "end_date")


def _model_for(kind: str):
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if cls.__tablename__ in (kind, kind + "s") or cls.__name__.lower() == kind.replace("_", ""):
            return cls
    raise ValueError(kind)


def _line_records(session: Session, actor: Actor, evaluation_id: int, criterion_id: int) -> dict[str, list[int]]:
    """The ids of the records a measured line was computed from, by kind (the card's read rules apply)."""
    card = get_scorecard(session, actor, evaluation_id)
    line = next((line for line in card.lines if line.criterion_id == criterion_id), None)
    if line is None or line.kind != "measured":
        raise NotFound("error.not_found")
    by_kind: dict[str, list[int]] = {}
    for kind, rid in line.records:
        by_kind.setdefault(kind, []).append(rid)
    return by_kind


def records_frame(session: Session, actor: Actor, evaluation_id: int, criterion_id: int) -> pd.DataFrame:
    """The exact rows a measured line was computed from, one row each (kind, id and key fields)."""
    by_kind = _line_records(session, actor, evaluation_id, criterion_id)
    frames = []
    for kind, ids in by_kind.items():
        model = _model_for(kind)
        cols = [model.id] + [getattr(model, c) for c in _SHOW_COLUMNS if hasattr(model, c)]
        data = session.execute(select(*cols).where(model.id.in_(ids)).order_by(model.id)).all()
        frame = pd.DataFrame([row._asdict() for row in data])
        frame.insert(0, "kind", kind)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["kind", "id"])
    return pd.concat(frames, ignore_index=True)


RECORD_COLUMNS = ("what", "record", "customer", "member", "date", "detail", "link")


def _short(text: str | None, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _to_customer(customer_id: int | None) -> str | None:
    return f"customers?customer={customer_id}" if customer_id else None


# Each builder gives (kind, record, customer id, member id, date, detail, link) for its records in `ids`.
def _deal_rows(session: Session, ids: dict[str, list[int]], lang: str) -> list[tuple]:
    if not ids.get("deal"):
        return []
    stage_names = dict(session.execute(select(DealStage.code, DealStage.name)).all())
    out = []
    for d in session.scalars(select(Deal).where(Deal.id.in_(ids["deal"]))):
        stage = stage_names.get(d.stage) or choice_label("stage", d.stage, lang)
        out.append(("deal", d.title, d.customer_id, d.owner_id, d.closed_on or d.created_at,
                    f"{format_money(d.value, lang, d.currency)} · {stage}", f"pipeline?deal={d.id}"))
    return out


def _customer_rows(session: Session, ids: dict[str, list[int]], lang: str) -> list[tuple]:
    if not ids.get("customer"):
        return []
    return [("customer", cust.name, cust.id, cust.owner_id, cust.created_at,
             choice_label("customer_status", cust.status, lang), _to_customer(cust.id))
            for cust in session.scalars(select(Customer).where(Customer.id.in_(ids["customer"])))]


def _survey_rows(session: Session, ids: dict[str, list[int]], lang: str) -> list[tuple]:
    if not ids.get("survey"):
        return []
    out = []
    for v in session.scalars(select(Survey).where(Survey.id.in_(ids["survey"]))):
        parts = ([f"{t('reports.record.csat', lang)} {v.csat}/5"] if v.csat is not None else []) + \
                ([f"{t('reports.record.nps', lang)} {v.nps}"] if v.nps is not None else [])
        out.append(("survey", " · ".join(parts), v.customer_id, v.member_id, v.responded_at,
                    _short(v.comment), _to_customer(v.customer_id)))
    return out


def _complaint_rows(session: Session, ids: dict[str, list[int]], lang: str) -> list[tuple]:
    if not ids.get("complaint"):
        return []
    out = []
    for cp in session.scalars(select(Complaint).where(Complaint.id.in_(ids["complaint"]))):
        detail = f"{choice_label('severity', cp.severity, lang)} · {choice_label('complaint_status', cp.status, lang)}"
        link = f"service?complaint={cp.id}" if cp.status != "resolved" else _to_customer(cp.customer_id)
        out.append(("complaint", cp.title, cp.customer_id, cp.assignee_id, cp.opened_at, detail, link))
    return out


def _interaction_rows(session: Session, ids: dict[str, list[int]], lang: str) -> list[tuple]:
    if not ids.get("interaction"):
        return []
    return [("interaction", _short(i.summary), i.customer_id, i.member_id, i.occurred_at,
             choice_label("channel", i.channel, lang), _to_customer(i.customer_id))
            for i in session.scalars(select(Interaction).where(Interaction.id.in_(ids["interaction"])))]


def _task_rows(session: Session, ids: dict[str, list[int]], lang: str) -> list[tuple]:
    if not ids.get("task"):
        return []
    out = []
    for k in session.scalars(select(Task).where(Task.id.in_(ids["task"]))):
        detail = t("reports.record.due", lang, date=format_date(k.due_date, lang)) if k.due_date else None
        out.append(("task", k.title, k.customer_id, k.assignee_id, k.completed_at, detail, _to_customer(k.customer_id)))
    return out


def _call_rows(session: Session, ids: dict[str, list[int]], lang: str) -> list[tuple]:
    if not ids.get("call"):
        return []
    return [("call", call_.topic, None, call_.member_id, call_.occurred_at,
             t("reports.record.answered" if call_.answered else "reports.record.missed", lang), None)
            for call_ in session.scalars(select(Call).where(Call.id.in_(ids["call"])))]


def _goal_rows(session: Session, ids: dict[str, list[int]], lang: str) -> list[tuple]:
    """Goals, then check-ins (named after their goal)."""
    goal_ids = set(ids.get("goal", []))
    check_ins = {}
    if ids.get("check_in"):
        check_ins = {ci.id: ci for ci in session.scalars(select(CheckIn).where(CheckIn.id.in_(ids["check_in"])))}
        goal_ids |= {ci.goal_id for ci in check_ins.values()}
    goals_by_id = {g.id: g for g in session.scalars(select(Goal).where(Goal.id.in_(goal_ids)))} if goal_ids else {}
    out: list[tuple] = []
    for gid in ids.get("goal", []):
        g = goals_by_id.get(gid)
        if g is not None:
            out.append(("goal", g.title, None, g.member_id, g.end_date, choice_label("metric", g.metric, lang), "goals"))
    for ci in check_ins.values():
        g = goals_by_id.get(ci.goal_id)
        out.append(("check_in", g.title if g else None, None, g.member_id if g else None, ci.created_at,
                    metrics.format_metric(ci.value, "manual", lang, "", g.unit if g else ""), "goals"))
    return out


_ROW_BUILDERS = (_deal_rows, _customer_rows, _survey_rows, _complaint_rows, _interaction_rows, _task_rows, _call_rows,
                 _goal_rows)


def _customer_names(session: Session, ids: dict[str, list[int]]) -> dict[int, str]:
    """The names of the customers the records belong to."""
    customer_ids = set(ids.get("customer", []))
    for kind, model in (("deal", Deal), ("survey", Survey), ("complaint", Complaint), ("interaction", Interaction), ("task", Task)):
        if ids.get(kind):
            customer_ids |= set(session.scalars(select(model.customer_id).where(model.id.in_(ids[kind]))).all())
    customer_ids.discard(None)
    if not customer_ids:
        return {}
    return dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))).all())


def records_table(session: Session, actor: Actor, evaluation_id: int, criterion_id: int, lang: str) -> list[dict]:
    """The rows behind a measured line as a reader sees them: what the record is (a deal, a
    survey ...), its name, the customer, the person, the date that put it in the period and one
    detail, all in `lang` (no ids, no field names or codes); `link` is the page that opens it
    (`customers?customer=<id>`, `service?complaint=<id>`, `pipeline?deal=<id>`), None when no page
    shows that record (a call)."""
    ids = _line_records(session, actor, evaluation_id, criterion_id)
    owners = {m.id: m.name for m in session.execute(select(Member.id, Member.name)).all()}
    customers = _customer_names(session, ids)
    rows = [{"what": t(f"reports.kind.{kind}", lang), "record": record or "—",
             "customer": customers.get(customer_id, "—"), "member": owners.get(member_id, "—"),
             "date": format_date(when, lang), "detail": detail or "—", "link": link, "sort": when}
            for builder in _ROW_BUILDERS
            for kind, record, customer_id, member_id, when, detail, link in builder(session, ids, lang)]
    rows.sort(key=lambda r: (r["what"], str(r["sort"] or "")))
    for r in rows:
        del r["sort"]
    return rows
