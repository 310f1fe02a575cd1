"""Service reads: targets, complaint lists and details, pickers, the service report and breaches."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from core import audit, metrics
from core.errors import InvalidInput
from core.permissions import (
    READ,
    Actor,
    load,
    scope_clause,
    scope_for,
    subtree_team_ids,
)
from core.service.rules import GROUPS, HOUR, REPORT_COLUMNS, TargetBook, _mean, _row_dict, period_buckets
from db.base import utcnow
from db.models import (
    SEVERITIES,
    Complaint,
    ComplaintNote,
    Customer,
    Member,
    Team,
    User,
)


def targets_for_team(session: Session, actor: Actor, team_id: int) -> list[dict[str, Any]]:
    """The four severities' effective targets for a team, with where each comes from."""
    load(session, actor, Team, team_id, READ)
    book = TargetBook(session)
    out = []
    for severity in reversed(SEVERITIES):
        target = book.get(team_id, severity)
        out.append({
            "severity": severity,
            "response_hours": target.response_seconds / HOUR,
            "resolution_hours": target.resolution_seconds / HOUR,
            "response_seconds": target.response_seconds,
            "resolution_seconds": target.resolution_seconds,
            "source": target.source,
        })
    return out


# ---------------------------------------------------------------------------------------------
# Logging a complaint: who should take it
# ---------------------------------------------------------------------------------------------
def suggest_assignee(session: Session, actor: Actor, customer_id: int) -> dict[str, Any]:
    """The customer's owner (and their team); with no owner, the customer's team leader."""
    customer = load(session, actor, Customer, customer_id, READ)
    assignee_id = customer.owner_id
    team_id = customer.team_id
    if assignee_id is None and team_id is not None:
        assignee_id = session.scalar(select(Team.leader_id).where(Team.id == team_id))
    if assignee_id is not None:
        member_team = session.scalar(select(Member.team_id).where(Member.id == assignee_id))
        team_id = member_team or team_id
    name = session.scalar(select(Member.name).where(Member.id == assignee_id)) if assignee_id else None
    team_name = session.scalar(select(Team.name).where(Team.id == team_id)) if team_id else None
    return {"assignee_id": assignee_id, "assignee": name, "team_id": team_id, "team": team_name}


def complaint_notes(session: Session, actor: Actor, complaint_id: int) -> list[dict[str, Any]]:
    """Response, resolution and working notes, oldest first."""
    load(session, actor, Complaint, complaint_id, READ)
    rows = session.execute(
        select(ComplaintNote.kind, ComplaintNote.body, ComplaintNote.created_at, User.display_name)
        .outerjoin(User, User.id == ComplaintNote.user_id)
        .where(ComplaintNote.complaint_id == complaint_id).order_by(ComplaintNote.created_at, ComplaintNote.id)
    ).all()
    return [{"kind": r.kind, "body": r.body, "at": r.created_at, "by": r.display_name} for r in rows]


# ---------------------------------------------------------------------------------------------
# Lists and details
# ---------------------------------------------------------------------------------------------
_Assignee = aliased(Member)


def _complaint_columns():
    return (
        select(
            Complaint.id, Complaint.title, Complaint.description, Complaint.severity, Complaint.status,
            Complaint.opened_at, Complaint.first_response_at, Complaint.resolved_at, Complaint.team_id,
            Complaint.assignee_id, Complaint.version, Customer.id.label("customer_id"), Customer.name.label("customer"),
            _Assignee.name.label("assignee"), Team.name.label("team"),
        )
        .join(Customer, Customer.id == Complaint.customer_id)
        .outerjoin(_Assignee, _Assignee.id == Complaint.assignee_id)
        .outerjoin(Team, Team.id == Complaint.team_id)
    )


@dataclass
class ComplaintPage:
    total: int
    rows: list[dict[str, Any]]


def list_complaints(
    session: Session,
    actor: Actor,
    *,
    now: datetime | None = None,
    status: str = "unresolved",
    severity: str | None = None,
    team_id: int | None = None,
    assignee_id: int | None = None,
    search: str = "",
    breached_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> ComplaintPage:
    """Visible complaints, most urgent first (open before responded, by severity, oldest first),
    paginated in SQL; each row carries its live timers and breach flags at `now`.

    `status`: "unresolved" (open or responded), "all", or one status. `breached_only` filters after
    the breach computation, so it is offered for unresolved complaints (a small set)."""
    now = now or utcnow()
    scope = scope_for(session, actor)
    query = _complaint_columns().where(scope_clause(scope, Complaint))
    if status == "unresolved":
        query = query.where(Complaint.status != "resolved")
    elif status != "all":
        query = query.where(Complaint.status == status)
    if severity:
        query = query.where(Complaint.severity == severity)
    if team_id:
        query = query.where(Complaint.team_id == team_id)
    if assignee_id:
        query = query.where(Complaint.assignee_id == assignee_id)
    if search.strip():
        like = f"%{search.strip()}%"
        query = query.where(or_(Complaint.title.ilike(like), Customer.name.ilike(like)))
    severity_rank = case({s: i for i, s in enumerate(reversed(SEVERITIES))}, value=Complaint.severity, else_=9)
    status_rank = case({"open": 0, "responded": 1, "waiting": 2, "resolved": 3}, value=Complaint.status, else_=3)
    ordered = query.order_by(status_rank, severity_rank, Complaint.opened_at, Complaint.id)
    book = TargetBook(session)
    if breached_only:
        found = session.execute(ordered).all()
        book.load_pauses(session, [r.id for r in found])
        breached = [r for r in (_row_dict(r, book, now) for r in found) if r["breached"]]
        return ComplaintPage(len(breached), breached[offset: offset + limit])
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(ordered.limit(limit).offset(offset)).all()
    book.load_pauses(session, [r.id for r in rows])
    return ComplaintPage(total, [_row_dict(r, book, now) for r in rows])


def get_complaint(session: Session, actor: Actor, complaint_id: int, now: datetime | None = None,
                  lang: str | None = None) -> dict[str, Any]:
    """One complaint with its timers, history and notes; with `lang`, each history row also
    carries `text` (a sentence: who did what) and `details` (core.audit_text), never a code."""
    load(session, actor, Complaint, complaint_id, READ)
    row = session.execute(_complaint_columns().where(Complaint.id == complaint_id)).one()
    book = TargetBook(session)
    book.load_pauses(session, [complaint_id])
    out = _row_dict(row, book, now or utcnow())
    out["history"] = audit.history(session, "complaint", complaint_id)
    if lang:
        from core import audit_text  # sentences for the history (imported here: audit_text reads names)

        out["history"] = audit_text.describe(
            session, [{**h, "entity": "complaint", "entity_id": complaint_id} for h in out["history"]], lang)
    out["notes"] = complaint_notes(session, actor, complaint_id)
    out["can_write"] = True
    return out


def complaints_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The list as a table for export (raw codes; the page translates headers and labels)."""
    columns = ["id", "customer", "title", "severity", "status", "assignee", "team", "opened_at", "response_due",
               "first_response_at", "response_hours", "resolution_due", "resolved_at", "resolution_hours",
               "response_breached", "resolution_breached"]
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)


def _period_rows(session: Session, actor: Actor, start: date, end: date, now: datetime) -> list[dict[str, Any]]:
    """Visible complaints opened in [start, end] (dates, inclusive) with timers at `now`."""
    scope = scope_for(session, actor)
    lo = datetime.combine(start, datetime.min.time())
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time())
    rows = session.execute(
        _complaint_columns().where(scope_clause(scope, Complaint), Complaint.opened_at >= lo, Complaint.opened_at < hi)
        .order_by(Complaint.opened_at, Complaint.id)
    ).all()
    book = TargetBook(session)
    book.load_pauses(session, [r.id for r in rows])
    return [_row_dict(r, book, now) for r in rows]


def service_report(
    session: Session, actor: Actor, *, start: date, end: date, group: str = "member", period: str = "month",
    now: datetime | None = None,
) -> pd.DataFrame:
    """Per member, team (with its sub-teams) or period (month/week of opening), over the people in
    the actor's scope and complaints opened in [start, end]: complaints, responded, average response
    hours and resolution rate (%), both measured by core.metrics (`first_response_hours`,
    `resolution_rate`: the one definition), and the response/resolution breaches as of `now`.
    Groups without complaints are left out."""
    if group not in GROUPS:
        raise InvalidInput("error.invalid")
    now = now or utcnow()
    scope = scope_for(session, actor)
    people = {r.id: (r.name, r.team_id) for r in session.execute(
        select(Member.id, Member.name, Member.team_id).where(scope_clause(scope, Member)).order_by(Member.name))}
    if not people:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    rows = [r for r in _period_rows(session, actor, start, end, now) if r["assignee_id"] in people]
    groups: list[tuple[str, list[int], date, date, list[dict[str, Any]]]] = []
    if group == "member":
        for member_id, (name, _team) in people.items():
            groups.append((name, [member_id], start, end, [r for r in rows if r["assignee_id"] == member_id]))
    elif group == "team":
        teams = session.execute(select(Team.id, Team.name).where(scope_clause(scope, Team)).order_by(Team.name)).all()
        for team in teams:
            ids = [m for m in subtree_members(session, team.id) if m in people]
            groups.append((team.name, ids, start, end, [r for r in rows if r["assignee_id"] in ids]))
    else:
        ids = sorted(people)
        for label, lo, hi in period_buckets(start, end, period):
            part = [r for r in rows if lo <= r["opened_at"].date() <= hi]
            groups.append((label, ids, lo, hi, part))
    out = []
    for label, ids, lo, hi, part in groups:
        if not part:
            continue
        response = metrics.measure_value(session, "first_response_hours", member_ids=ids, start=lo, end=hi)
        rate = metrics.measure_value(session, "resolution_rate", member_ids=ids, start=lo, end=hi)
        out.append({
            "group": label,
            "complaints": len(part),
            "responded": sum(1 for r in part if r["first_response_at"] is not None),
            "avg_response_hours": response,
            "avg_response_business_hours": _mean([r["response_business_hours"] for r in part]),
            "resolved": round((rate or 0.0) * len(part) / 100),
            "resolution_rate": rate,
            "response_breaches": sum(1 for r in part if r["response_breached"]),
            "resolution_breaches": sum(1 for r in part if r["resolution_breached"]),
        })
    frame = pd.DataFrame(out, columns=REPORT_COLUMNS)
    # Numeric columns as floats: a missing average is NaN (shown blank), not the word "None".
    for column in ("avg_response_hours", "avg_response_business_hours", "resolution_rate"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def subtree_members(session: Session, team_id: int) -> list[int]:
    teams = subtree_team_ids(session, {team_id})
    return list(session.scalars(select(Member.id).where(Member.team_id.in_(sorted(teams)))))


def breaches(session: Session, actor: Actor, *, start: date, end: date, now: datetime | None = None) -> pd.DataFrame:
    """Visible complaints opened in [start, end] that breached a target (as of `now`)."""
    rows = [r for r in _period_rows(session, actor, start, end, now or utcnow()) if r["breached"]]
    return complaints_frame(rows)
