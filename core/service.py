"""Service quality: complaints against customers, response and resolution targets per severity
(configurable per team), live timers and breach flags, escalation of breaches to the assignee's
manager, and the service reports (response time and resolution rate by member, team and period).

Rules (one place):
- Elapsed time is measured in business seconds from `opened_at` (core.business_time): on the
  working calendar of the complaint's team (or its nearest ancestor with one; none = round the
  clock), never while the complaint waits on the customer (status "waiting", a ComplaintPause).
  The response clock stops at the first response; the resolution clock at resolution. Resolving a
  complaint that had no response yet counts as its first response too.
- A target of T seconds is met when the clock stops (or, still running, `now` is) at most T seconds
  after opening: exactly T is on time, T + 1 s is a breach (`elapsed > T`).
- Targets: the team's own row for the severity, else the nearest ancestor team's row, else
  DEFAULT_TARGETS.
- Average response time and resolution rate are core.metrics' `first_response_hours` and
  `resolution_rate` (one definition; the reports call it per member, team and period).
- Escalation has levels: the owner (the assignee's login) is warned when WARN_SHARE of a target
  has run; at the breach plus the calendar's lead delay the assignee's manager (the team lead) is
  notified; at the breach plus the manager delay (business time) the lead's own manager. Each
  level notifies once (the notification's unique key), and a level whose time comes after the
  clock stopped (responded or resolved in time for it) is not reached.
- "The assignee's manager": Member.manager_id's linked user, else the manager_user_id of the
  assignee's team or the nearest ancestor team with one (skipping the assignee themselves). With no
  assignee, the manager of the complaint's team.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import altair as alt
import pandas as pd
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from core import audit, limits, metrics, notifications, versions
from core.business_time import WorkCalendar, add_business_seconds, business_seconds
from core.errors import Conflict, FieldError, InvalidInput, NotFound
from core.i18n import t
from core.permissions import (
    READ,
    WRITE,
    Actor,
    ensure,
    ensure_member,
    ensure_role,
    ensure_team,
    linked,
    load,
    scope_clause,
    scope_for,
    subtree_team_ids,
)
from db.base import utcnow
from db.models import (
    SEVERITIES,
    CalendarHoliday,
    Complaint,
    ComplaintNote,
    ComplaintPause,
    Customer,
    Interaction,
    Member,
    Notification,
    ServiceCalendar,
    ServiceTarget,
    Team,
    User,
)

HOUR = 3600
DEFAULT_TARGETS: dict[str, tuple[int, int]] = {
    "critical": (1 * HOUR, 8 * HOUR),
    "high": (4 * HOUR, 24 * HOUR),
    "medium": (8 * HOUR, 72 * HOUR),
    "low": (24 * HOUR, 168 * HOUR),
}
NOTIFY_RESPONSE = "complaint_response_breach"
NOTIFY_RESOLUTION = "complaint_resolution_breach"
WARN_RESPONSE = "complaint_response_warning"
WARN_RESOLUTION = "complaint_resolution_warning"
ESCALATE_RESPONSE = "complaint_response_escalated"
ESCALATE_RESOLUTION = "complaint_resolution_escalated"
WARN_SHARE = 0.8  # the owner is warned when this share of a target has run
DEFAULT_LEAD_DELAY_MINUTES = 0
DEFAULT_MANAGER_DELAY_MINUTES = 240
# Resolved complaints keep being checked for a late breach for this long after resolution.
ESCALATION_LOOKBACK = timedelta(days=7)


# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    response_seconds: int
    resolution_seconds: int
    source: str  # "team" | "inherited" | "default"


class TargetBook:
    """Every team's effective targets, loaded in two small queries (teams and target rows)."""

    def __init__(self, session: Session) -> None:
        self.parent = dict(session.execute(select(Team.id, Team.parent_id)).all())
        self.rows: dict[tuple[int, str], tuple[int, int]] = {
            (r.team_id, r.severity): (r.response_seconds, r.resolution_seconds)
            for r in session.execute(select(ServiceTarget)).scalars()
        }
        holidays: dict[int, set[date]] = {}
        for calendar_id, day in session.execute(select(CalendarHoliday.calendar_id, CalendarHoliday.day)):
            holidays.setdefault(calendar_id, set()).add(day)
        self.calendars: dict[int, Policy] = {
            c.team_id: policy_of(c, holidays.get(c.id, set())) for c in session.scalars(select(ServiceCalendar))
        }
        self.pauses: dict[int, list[tuple[datetime, datetime | None]]] = {}
        self._policy_cache: dict[int | None, Policy] = {}

    def load_pauses(self, session: Session, complaint_ids: list[int]) -> None:
        """Waiting-on-customer intervals of these complaints (one query per 500)."""
        ids = sorted(set(complaint_ids) - set(self.pauses))
        for i in ids:
            self.pauses[i] = []
        for start in range(0, len(ids), 500):
            for r in session.execute(
                select(ComplaintPause.complaint_id, ComplaintPause.started_at, ComplaintPause.ended_at)
                .where(ComplaintPause.complaint_id.in_(ids[start:start + 500])).order_by(ComplaintPause.started_at)
            ):
                self.pauses[r.complaint_id].append((r.started_at, r.ended_at))

    def policy(self, team_id: int | None) -> Policy:
        """The team's calendar and escalation delays, else the nearest ancestor's, else round the
        clock with the default delays."""
        if team_id not in self._policy_cache:
            current, seen, found = team_id, set(), DEFAULT_POLICY
            while current is not None and current not in seen:
                seen.add(current)
                if current in self.calendars:
                    found = self.calendars[current]
                    break
                current = self.parent.get(current)
            self._policy_cache[team_id] = found
        return self._policy_cache[team_id]

    def timing(self, complaint_id: int, team_id: int | None, severity: str, opened_at: datetime,
               first_response_at: datetime | None, resolved_at: datetime | None, now: datetime) -> Timing:
        return timing(opened_at, first_response_at, resolved_at, self.get(team_id, severity), now,
                      self.policy(team_id).calendar, self.pauses.get(complaint_id, ()))

    def get(self, team_id: int | None, severity: str) -> Target:
        cache = self.__dict__.setdefault("_target_cache", {})
        if (team_id, severity) not in cache:
            cache[(team_id, severity)] = self._lookup(team_id, severity)
        return cache[(team_id, severity)]

    def _lookup(self, team_id: int | None, severity: str) -> Target:
        current, seen, first = team_id, set(), True
        while current is not None and current not in seen:
            seen.add(current)
            row = self.rows.get((current, severity))
            if row:
                return Target(row[0], row[1], "team" if first else "inherited")
            first = False
            current = self.parent.get(current)
        response, resolution = DEFAULT_TARGETS[severity]
        return Target(response, resolution, "default")


@dataclass(frozen=True)
class Policy:
    calendar: WorkCalendar | None
    lead_delay_seconds: int = DEFAULT_LEAD_DELAY_MINUTES * 60
    manager_delay_seconds: int = DEFAULT_MANAGER_DELAY_MINUTES * 60


DEFAULT_POLICY = Policy(None)


def policy_of(row: ServiceCalendar, holidays: set[date]) -> Policy:
    from datetime import time as _time

    def clock(minute: int) -> _time:
        return _time(0, 0) if minute >= 1440 else _time(minute // 60, minute % 60)

    calendar = WorkCalendar(
        timezone=row.timezone,
        working_days=frozenset(int(d) for d in row.working_days.split(",") if d.strip()),
        start=clock(row.day_start_minute),
        end=clock(row.day_end_minute),
        holidays=frozenset(holidays),
    )
    return Policy(calendar, row.lead_delay_minutes * 60, row.manager_delay_minutes * 60)


def targets_for_team(session: Session, actor: Actor, team_id: int) -> list[dict[str, Any]]:
    """The four severities' effective targets for a team, with where each comes from."""
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("error.not_found")
    ensure(session, actor, READ, team)
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


def set_service_target(
    session: Session, actor: Actor, team_id: int, severity: str, response_seconds: int, resolution_seconds: int
) -> None:
    """Managers set their teams' targets (admins any team's)."""
    ensure_role(actor, "admin", "manager")
    ensure_team(scope_for(session, actor), team_id)
    errors = []
    if severity not in SEVERITIES:
        errors.append(FieldError("service.error.severity", column="severity"))
    if not isinstance(response_seconds, int) or response_seconds <= 0:
        errors.append(FieldError("service.error.target_positive", column="response"))
    if not isinstance(resolution_seconds, int) or resolution_seconds <= 0:
        errors.append(FieldError("service.error.target_positive", column="resolution"))
    elif isinstance(response_seconds, int) and resolution_seconds < response_seconds:
        errors.append(FieldError("service.error.resolution_before_response", column="resolution"))
    if errors:
        raise InvalidInput("error.invalid", errors=errors)
    row = session.scalar(select(ServiceTarget).where(ServiceTarget.team_id == team_id, ServiceTarget.severity == severity))
    before = audit.snapshot(row) if row else None
    if row is None:
        row = ServiceTarget(team_id=team_id, severity=severity)
        session.add(row)
    row.response_seconds = response_seconds
    row.resolution_seconds = resolution_seconds
    session.flush()
    audit.record(session, actor, "service_target.set", "service_target", row.id, before, audit.snapshot(row))


def save_service_targets(session: Session, actor: Actor, team_id: int, changes: dict[str, tuple[int, int]]) -> int:
    """Several severities at once (the Targets table), in one transaction; returns how many."""
    for severity, (response_seconds, resolution_seconds) in changes.items():
        set_service_target(session, actor, team_id, severity, response_seconds, resolution_seconds)
    return len(changes)


# ---------------------------------------------------------------------------------------------
# Timers and breaches (pure)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timing:
    response_due: datetime
    resolution_due: datetime
    response_seconds: float | None  # time to first response, None while waiting
    resolution_seconds: float | None  # time to resolution, None while open
    response_elapsed: float  # stopped clock, or running against `now`
    resolution_elapsed: float
    response_breached: bool
    resolution_breached: bool
    response_target: float = 0.0
    resolution_target: float = 0.0
    paused: bool = False

    @property
    def breached(self) -> bool:
        return self.response_breached or self.resolution_breached

    @property
    def response_left(self) -> float | None:
        """Business seconds left before the response target (negative once overdue); None once
        responded."""
        return None if self.response_seconds is not None else self.response_target - self.response_elapsed

    @property
    def resolution_left(self) -> float | None:
        return None if self.resolution_seconds is not None else self.resolution_target - self.resolution_elapsed


def timing(opened_at: datetime, first_response_at: datetime | None, resolved_at: datetime | None,
           target: Target, now: datetime, calendar: WorkCalendar | None = None,
           pauses: Any = ()) -> Timing:
    """Clocks and breach flags of one complaint at `now` in business time (see the module rules).
    `pauses` are (started, ended or None) intervals; an open one runs until `now`."""
    closed = [(lo, hi or max(now, lo)) for lo, hi in pauses] if pauses else ()
    paused = any(hi is None for _lo, hi in pauses)
    response_stop = first_response_at or resolved_at
    response_seconds = business_seconds(opened_at, response_stop, calendar, closed) if response_stop else None
    resolution_seconds = business_seconds(opened_at, resolved_at, calendar, closed) if resolved_at else None
    running = business_seconds(opened_at, now, calendar, closed) if (response_stop is None or resolved_at is None) else 0.0
    response_elapsed = response_seconds if response_seconds is not None else running
    resolution_elapsed = resolution_seconds if resolution_seconds is not None else running
    return Timing(
        response_due=add_business_seconds(opened_at, target.response_seconds, calendar, closed),
        resolution_due=add_business_seconds(opened_at, target.resolution_seconds, calendar, closed),
        response_seconds=response_seconds,
        resolution_seconds=resolution_seconds,
        response_elapsed=response_elapsed,
        resolution_elapsed=resolution_elapsed,
        response_breached=response_elapsed > target.response_seconds,
        resolution_breached=resolution_elapsed > target.resolution_seconds,
        response_target=target.response_seconds,
        resolution_target=target.resolution_seconds,
        paused=paused,
    )


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
def suggest_assignee(session: Session, actor: Actor, customer_id: int) -> dict[str, Any]:
    """The customer's owner (and their team); with no owner, the customer's team leader."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("error.not_found")
    ensure(session, actor, READ, customer)
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


def log_complaint(
    session: Session,
    actor: Actor,
    *,
    customer_id: int | None,
    severity: str,
    title: str,
    description: str | None = None,
    assignee_id: int | None = None,
    interaction_id: int | None = None,
    opened_at: datetime | None = None,
) -> int:
    """Log a complaint against a visible customer. Without an assignee, the suggested one (the
    customer's owner) is used. Members may assign to themselves or the customer's owner; managers
    to anyone in their scope."""
    title = (title or "").strip()
    errors = []
    if customer_id is None:
        errors.append(FieldError("error.required", {"field": "customer"}, column="customer"))
    if not title:
        errors.append(FieldError("service.error.title_required", column="title"))
    elif len(title) > 200:
        errors.append(FieldError("service.error.title_too_long", column="title"))
    if severity not in SEVERITIES:
        errors.append(FieldError("service.error.severity", column="severity"))
    errors.extend(limits.problems(Complaint, {"title": title if "\x00" in title else None, "description": description}))
    if errors:
        raise InvalidInput("error.invalid", errors=errors)
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("error.not_found")
    ensure(session, actor, READ, customer)
    if interaction_id is not None:  # a linked interaction must be one the actor reaches, on this customer
        interaction = linked(session, actor, Interaction, interaction_id)
        if interaction.customer_id != customer.id:
            raise InvalidInput("error.invalid", errors=[FieldError("sec.link_other_customer", column="interaction")])
        interaction_id = interaction.id
    suggestion = suggest_assignee(session, actor, customer_id)
    if assignee_id is None:
        assignee_id = suggestion["assignee_id"]
    elif assignee_id != suggestion["assignee_id"]:
        ensure_member(scope_for(session, actor), assignee_id)
    team_id = suggestion["team_id"]
    if assignee_id is not None:
        team_id = session.scalar(select(Member.team_id).where(Member.id == assignee_id)) or team_id
    complaint = Complaint(
        customer_id=customer_id,
        interaction_id=interaction_id,
        team_id=team_id,
        assignee_id=assignee_id,
        severity=severity,
        title=title,
        description=(description or "").strip() or None,
        status="open",
        opened_at=opened_at or utcnow(),
        created_by=actor.user_id,
    )
    session.add(complaint)
    session.flush()
    audit.record(session, actor, "complaint.log", "complaint", complaint.id, None, audit.snapshot(complaint))
    return complaint.id


def _writable(session: Session, actor: Actor, complaint_id: int) -> Complaint:
    return load(session, actor, Complaint, complaint_id, WRITE)


def _check_time(complaint: Complaint, at: datetime) -> None:
    if at < complaint.opened_at:
        raise InvalidInput("service.error.before_opened", errors=[FieldError("service.error.before_opened", column="at")])


NOTE_MAX = 4000


def _add_note(session: Session, actor: Actor, complaint: Complaint, kind: str, body: str | None, at: datetime) -> None:
    body = (body or "").strip()
    if not body:
        return
    if len(body) > NOTE_MAX:
        raise InvalidInput("error.invalid", errors=[FieldError("automation.error.note_too_long", {"n": NOTE_MAX}, column="note")])
    session.add(ComplaintNote(complaint_id=complaint.id, kind=kind, body=body, user_id=actor.user_id, created_at=at))


def _end_pause(session: Session, complaint: Complaint, at: datetime) -> None:
    """Closing the wait on the customer (a response or resolution also ends it)."""
    pause = session.scalar(select(ComplaintPause).where(ComplaintPause.complaint_id == complaint.id, ComplaintPause.ended_at.is_(None)))
    if pause is not None:
        pause.ended_at = max(at, pause.started_at)
        complaint.status = pause.resume_status


def respond_to_complaint(session: Session, actor: Actor, complaint_id: int, *, at: datetime | None = None,
                         note: str | None = None, expected_version: int | None = None) -> None:
    """Record the first response (once), with what was said."""
    complaint = _writable(session, actor, complaint_id)
    if complaint.first_response_at is not None or complaint.status == "resolved":
        raise Conflict("service.error.already_responded")
    at = at or utcnow()
    _check_time(complaint, at)
    versions.claim(session, complaint, expected_version)
    _add_note(session, actor, complaint, "response", note, at)
    _end_pause(session, complaint, at)
    before = audit.snapshot(complaint, ["status", "first_response_at"])
    complaint.first_response_at = at
    complaint.status = "responded"
    session.flush()
    audit.record(session, actor, "complaint.respond", "complaint", complaint.id, before,
                 audit.snapshot(complaint, ["status", "first_response_at"]))


def resolve_complaint(session: Session, actor: Actor, complaint_id: int, *, note: str | None = None,
                      at: datetime | None = None, expected_version: int | None = None) -> None:
    """Resolve (once), with a note saying what was done (a stray tap resolves nothing). Without an
    earlier response, resolving is also the first response."""
    complaint = _writable(session, actor, complaint_id)
    if complaint.status == "resolved":
        raise Conflict("service.error.already_resolved")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("error.invalid", [FieldError("screens.complaint.note_required", column="screens.complaint.note")])
    if len(note) > limits.max_length(Complaint, "resolution_note"):  # 2,000, from core.limits
        raise InvalidInput("error.invalid", [FieldError("screens.complaint.note_too_long", {"n": limits.max_length(Complaint, "resolution_note")},
                                                        column="screens.complaint.note")])
    at = at or utcnow()
    _check_time(complaint, at)
    _add_note(session, actor, complaint, "resolution", note, at)
    _end_pause(session, complaint, at)
    if complaint.first_response_at is not None and at < complaint.first_response_at:
        raise InvalidInput("service.error.before_response", errors=[FieldError("service.error.before_response", column="at")])
    versions.claim(session, complaint, expected_version)
    fields = ["status", "first_response_at", "resolved_at", "resolution_note"]
    before = audit.snapshot(complaint, fields)
    complaint.resolution_note = note
    complaint.first_response_at = complaint.first_response_at or at
    complaint.resolved_at = at
    complaint.status = "resolved"
    session.flush()
    audit.record(session, actor, "complaint.resolve", "complaint", complaint.id, before, audit.snapshot(complaint, fields))


def wait_on_customer(session: Session, actor: Actor, complaint_id: int, *, at: datetime | None = None,
                     note: str | None = None, expected_version: int | None = None) -> None:
    """Status "waiting": the clocks stop until `resume_complaint` (or a response/resolution)."""
    complaint = _writable(session, actor, complaint_id)
    if complaint.status in ("resolved", "waiting"):
        raise Conflict("automation.error.cannot_wait")
    at = at or utcnow()
    _check_time(complaint, at)
    versions.claim(session, complaint, expected_version)
    before = audit.snapshot(complaint, ["status"])
    session.add(ComplaintPause(complaint_id=complaint.id, started_at=at, resume_status=complaint.status))
    _add_note(session, actor, complaint, "note", note, at)
    complaint.status = "waiting"
    session.flush()
    audit.record(session, actor, "complaint.wait", "complaint", complaint.id, before, audit.snapshot(complaint, ["status"]))


def resume_complaint(session: Session, actor: Actor, complaint_id: int, *, at: datetime | None = None,
                     expected_version: int | None = None) -> None:
    """The customer answered: the clocks run again from `at`."""
    complaint = _writable(session, actor, complaint_id)
    if complaint.status != "waiting":
        raise Conflict("automation.error.not_waiting")
    at = at or utcnow()
    versions.claim(session, complaint, expected_version)
    before = audit.snapshot(complaint, ["status"])
    _end_pause(session, complaint, at)
    session.flush()
    audit.record(session, actor, "complaint.resume", "complaint", complaint.id, before, audit.snapshot(complaint, ["status"]))


def add_complaint_note(session: Session, actor: Actor, complaint_id: int, body: str) -> None:
    complaint = _writable(session, actor, complaint_id)
    if not (body or "").strip():
        raise InvalidInput("error.invalid", errors=[FieldError("automation.error.note_required", column="note")])
    _add_note(session, actor, complaint, "note", body, utcnow())
    session.flush()


def complaint_notes(session: Session, actor: Actor, complaint_id: int) -> list[dict[str, Any]]:
    """Response, resolution and working notes, oldest first."""
    load(session, actor, Complaint, complaint_id, READ)
    rows = session.execute(
        select(ComplaintNote.kind, ComplaintNote.body, ComplaintNote.created_at, User.display_name)
        .outerjoin(User, User.id == ComplaintNote.user_id)
        .where(ComplaintNote.complaint_id == complaint_id).order_by(ComplaintNote.created_at, ComplaintNote.id)
    ).all()
    return [{"kind": r.kind, "body": r.body, "at": r.created_at, "by": r.display_name} for r in rows]


def reassign_complaint(session: Session, actor: Actor, complaint_id: int, assignee_id: int,
                       expected_version: int | None = None) -> None:
    """Managers move a complaint to another member in their scope (the team follows the member)."""
    ensure_role(actor, "admin", "manager")
    complaint = _writable(session, actor, complaint_id)
    ensure_member(scope_for(session, actor), assignee_id)
    member = session.get(Member, assignee_id)
    if member is None:
        raise NotFound("error.not_found")
    versions.claim(session, complaint, expected_version)
    before = audit.snapshot(complaint, ["assignee_id", "team_id"])
    complaint.assignee_id = member.id
    complaint.team_id = member.team_id
    session.flush()
    audit.record(session, actor, "complaint.reassign", "complaint", complaint.id, before,
                 audit.snapshot(complaint, ["assignee_id", "team_id"]))


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------
def customer_choices(session: Session, actor: Actor, search: str = "", limit: int = 50) -> list[dict[str, Any]]:
    """Visible customers whose name (or external id) contains `search`, for the complaint form."""
    scope = scope_for(session, actor)
    query = select(Customer.id, Customer.name, Customer.tier).where(scope_clause(scope, Customer))
    search = (search or "").strip()
    if search:
        like = f"%{search}%"
        query = query.where(or_(Customer.name.ilike(like), Customer.external_id.ilike(like)))
    rows = session.execute(query.order_by(Customer.name, Customer.id).limit(limit)).all()
    return [{"id": r.id, "name": r.name, "tier": r.tier} for r in rows]


def member_choices(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Members the actor may assign complaints to (members: only themselves)."""
    scope = scope_for(session, actor)
    rows = session.execute(
        select(Member.id, Member.name, Team.name.label("team"))
        .join(Team, Team.id == Member.team_id)
        .where(scope_clause(scope, Member), Member.status != "left")
        .order_by(Team.name, Member.name)
    ).all()
    return [{"id": r.id, "name": r.name, "team": r.team} for r in rows]


def team_choices(session: Session, actor: Actor) -> list[dict[str, Any]]:
    scope = scope_for(session, actor)
    rows = session.execute(select(Team.id, Team.name).where(scope_clause(scope, Team)).order_by(Team.name)).all()
    return [{"id": r.id, "name": r.name} for r in rows]


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


def _row_dict(row: Any, book: TargetBook, now: datetime) -> dict[str, Any]:
    tm = book.timing(row.id, row.team_id, row.severity, row.opened_at, row.first_response_at, row.resolved_at, now)
    return {
        "id": row.id, "title": row.title, "description": row.description, "severity": row.severity,
        "status": row.status, "customer_id": row.customer_id, "customer": row.customer,
        "assignee_id": row.assignee_id, "assignee": row.assignee, "team_id": row.team_id, "team": row.team,
        "opened_at": row.opened_at, "first_response_at": row.first_response_at, "resolved_at": row.resolved_at,
        "response_due": tm.response_due, "resolution_due": tm.resolution_due,
        "response_hours": None if tm.response_seconds is None else tm.response_seconds / HOUR,
        "resolution_hours": None if tm.resolution_seconds is None else tm.resolution_seconds / HOUR,
        "response_left_seconds": tm.response_left, "resolution_left_seconds": tm.resolution_left,
        "response_breached": tm.response_breached, "resolution_breached": tm.resolution_breached,
        "breached": tm.breached, "paused": tm.paused, "version": row.version,
        "response_business_hours": None if tm.response_seconds is None else tm.response_seconds / HOUR,
    }


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
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("error.not_found")
    ensure(session, actor, READ, complaint)
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


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------
GROUPS = ("member", "team", "period")


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


def period_buckets(start: date, end: date, period: str) -> list[tuple[str, date, date]]:
    """Calendar months (or Monday-start weeks) covering [start, end], clipped to it."""
    out = []
    if period == "week":
        cursor = start - timedelta(days=start.weekday())
        while cursor <= end:
            last = cursor + timedelta(days=6)
            out.append((cursor.isoformat(), max(cursor, start), min(last, end)))
            cursor = last + timedelta(days=1)
        return out
    cursor = date(start.year, start.month, 1)
    while cursor <= end:
        following = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        out.append((cursor.strftime("%Y-%m"), max(cursor, start), min(following - timedelta(days=1), end)))
        cursor = following
    return out


REPORT_COLUMNS = ["group", "complaints", "responded", "avg_response_hours", "avg_response_business_hours", "resolved",
                  "resolution_rate", "response_breaches", "resolution_breaches"]


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


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def subtree_members(session: Session, team_id: int) -> list[int]:
    teams = subtree_team_ids(session, {team_id})
    return list(session.scalars(select(Member.id).where(Member.team_id.in_(sorted(teams)))))


def breaches(session: Session, actor: Actor, *, start: date, end: date, now: datetime | None = None) -> pd.DataFrame:
    """Visible complaints opened in [start, end] that breached a target (as of `now`)."""
    rows = [r for r in _period_rows(session, actor, start, end, now or utcnow()) if r["breached"]]
    return complaints_frame(rows)


def response_time_chart(report: pd.DataFrame, group: str, lang: str) -> alt.Chart:
    """Average hours to first response per group (bar chart, hours)."""
    data = report.dropna(subset=["avg_response_hours"]).rename(columns={"avg_response_hours": "hours"})
    x_title = t(f"service.group.{group}", lang)
    return (
        alt.Chart(data, title=t("service.chart.response_time", lang))
        .mark_bar()
        .encode(
            x=alt.X("group:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
            y=alt.Y("hours:Q", title=t("service.chart.hours_axis", lang)),
            tooltip=[alt.Tooltip("group:N", title=x_title),
                     alt.Tooltip("hours:Q", title=t("service.chart.hours_axis", lang), format=".1f"),
                     alt.Tooltip("responded:Q", title=t("service.col.responded", lang))],
        )
        .properties(height=300)
    )


def resolution_rate_chart(report: pd.DataFrame, group: str, lang: str) -> alt.Chart:
    """Share of complaints resolved per group (bar chart, percent)."""
    data = report.dropna(subset=["resolution_rate"]).rename(columns={"resolution_rate": "percent"})
    x_title = t(f"service.group.{group}", lang)
    return (
        alt.Chart(data, title=t("service.chart.resolution_rate", lang))
        .mark_bar(color="#2e7d32")
        .encode(
            x=alt.X("group:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
            y=alt.Y("percent:Q", title=t("service.chart.percent_axis", lang), scale=alt.Scale(domain=[0, 100])),
            tooltip=[alt.Tooltip("group:N", title=x_title),
                     alt.Tooltip("percent:Q", title=t("service.chart.percent_axis", lang), format=".0f"),
                     alt.Tooltip("complaints:Q", title=t("service.col.complaints", lang)),
                     alt.Tooltip("resolved:Q", title=t("service.col.resolved", lang))],
        )
        .properties(height=300)
    )


# ---------------------------------------------------------------------------------------------
# Escalation and notifications
# ---------------------------------------------------------------------------------------------
class ManagerResolver:
    """Finds the user to notify about a member's work (see the module rules), loading the team
    tree once and each member once, however many complaints are escalated in one pass."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._teams = {r.id: (r.parent_id, r.manager_user_id)
                       for r in session.execute(select(Team.id, Team.parent_id, Team.manager_user_id))}
        self._members: dict[int, tuple[int | None, int | None, int | None]] = {}

    def _member(self, member_id: int) -> tuple[int | None, int | None, int | None] | None:
        if member_id not in self._members:
            row = self._session.execute(
                select(Member.user_id, Member.manager_id, Member.team_id).where(Member.id == member_id)
            ).first()
            self._members[member_id] = (row.user_id, row.manager_id, row.team_id) if row else (None, None, None)
        return self._members[member_id]

    def preload(self, member_ids: set[int]) -> None:
        missing = sorted(m for m in member_ids if m not in self._members)
        for start in range(0, len(missing), 500):
            for r in self._session.execute(
                select(Member.id, Member.user_id, Member.manager_id, Member.team_id).where(Member.id.in_(missing[start:start + 500]))
            ):
                self._members[r.id] = (r.user_id, r.manager_id, r.team_id)

    def __call__(self, member_id: int | None, team_id: int | None = None) -> int | None:
        own_user = None
        if member_id is not None:
            own_user, manager_member, member_team = self._member(member_id)
            team_id = member_team if member_team is not None else team_id
            if manager_member is not None:
                manager_user = self._member(manager_member)[0]
                if manager_user is not None and manager_user != own_user:
                    return manager_user
        seen: set[int] = set()
        while team_id is not None and team_id not in seen:
            seen.add(team_id)
            parent_id, manager_user = self._teams.get(team_id, (None, None))
            if manager_user is not None and manager_user != own_user:
                return manager_user
            team_id = parent_id
        return None


def manager_user_for(session: Session, member_id: int | None, team_id: int | None = None) -> int | None:
    """The user to notify about a member's work (see the module rules)."""
    return ManagerResolver(session)(member_id, team_id)


def manager_above(session: Session, resolve: ManagerResolver, user_id: int) -> int | None:
    """The next manager up from a user (the lead's manager): through the user's member record
    when they have one, else above the teams they manage."""
    member = session.execute(select(Member.id, Member.team_id).where(Member.user_id == user_id)).first()
    if member is not None:
        found = resolve(member.id, member.team_id)
        if found is not None and found != user_id:
            return found
    for _team_id, parent_id in session.execute(select(Team.id, Team.parent_id).where(Team.manager_user_id == user_id)):
        found = resolve(None, parent_id)
        if found is not None and found != user_id:
            return found
    return None


def escalate_breaches(session: Session, now: datetime | None = None) -> int:  # noqa: C901 - issue 16 point 3: to be split
    """The escalation levels of every open (or recently resolved) complaint as of `now` (see the
    module rules): owner warning, team lead at the breach, the lead's manager after the delay.
    Each level notifies once, however often and from however many workers this runs. Returns the
    number of new notifications."""
    now = now or utcnow()
    rows = session.execute(
        select(Complaint.id, Complaint.title, Complaint.severity, Complaint.team_id, Complaint.assignee_id,
               Complaint.opened_at, Complaint.first_response_at, Complaint.resolved_at, Customer.name.label("customer"))
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(or_(Complaint.resolved_at.is_(None), Complaint.resolved_at >= now - ESCALATION_LOOKBACK))
    ).all()
    if not rows:
        return 0
    book = TargetBook(session)
    book.load_pauses(session, [r.id for r in rows])
    wanted: list[tuple[int, str, str, str]] = []
    managers: dict[tuple[int | None, int | None], int | None] = {}
    above: dict[int, int | None] = {}
    resolve = ManagerResolver(session)
    resolve.preload({r.assignee_id for r in rows if r.assignee_id is not None})
    for r in rows:
        tm = book.timing(r.id, r.team_id, r.severity, r.opened_at, r.first_response_at, r.resolved_at, now)
        message = f"{r.customer} · {r.title}"[:300]
        ref = f"complaint:{r.id}"
        stages = (
            (tm.response_elapsed, tm.response_target, tm.response_seconds is None, tm.response_due,
             r.first_response_at or r.resolved_at, WARN_RESPONSE, NOTIFY_RESPONSE, ESCALATE_RESPONSE),
            (tm.resolution_elapsed, tm.resolution_target, tm.resolution_seconds is None, tm.resolution_due,
             r.resolved_at, WARN_RESOLUTION, NOTIFY_RESOLUTION, ESCALATE_RESOLUTION),
        )
        for elapsed, target, running, due, stopped_at, warn_kind, lead_kind, manager_kind in stages:
            if running and elapsed >= WARN_SHARE * target and r.assignee_id is not None:
                owner = resolve._member(r.assignee_id)[0]
                if owner is not None:
                    wanted.append((owner, warn_kind, ref, message))
            if elapsed <= target:
                continue
            policy = book.policy(r.team_id)
            key = (r.assignee_id, r.team_id)
            if key not in managers:
                managers[key] = resolve(r.assignee_id, r.team_id)
            lead = managers[key]
            if lead is None:
                continue
            lead_at = add_business_seconds(due, policy.lead_delay_seconds, policy.calendar)
            if lead_at <= now and (stopped_at is None or stopped_at > lead_at):
                wanted.append((lead, lead_kind, ref, message))
            manager_at = add_business_seconds(due, policy.manager_delay_seconds, policy.calendar)
            if manager_at <= now and (stopped_at is None or stopped_at > manager_at):
                if lead not in above:
                    above[lead] = manager_above(session, resolve, lead)
                if above[lead] is not None:
                    wanted.append((above[lead], manager_kind, ref, message))
    if not wanted:
        return 0
    notifier = notifications.Notifier(session, now)
    existing = notifier.existing(w[2] for w in wanted)
    created = 0
    for user_id, kind, ref, message in wanted:
        if (user_id, kind, ref) in existing:
            continue
        existing.add((user_id, kind, ref))
        if notifier.notify(user_id, kind, ref, message):
            created += 1
    return created


def list_notifications(session: Session, actor: Actor, *, unread_only: bool = False, limit: int = 20) -> dict[str, Any]:
    """The actor's own notifications, newest first, with the unread count (the Home badge)."""
    unread = session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
    ) or 0
    query = select(Notification).where(Notification.user_id == actor.user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    items = [
        {"id": n.id, "kind": n.kind, "ref": n.ref, "message": n.message, "created_at": n.created_at, "read": n.read_at is not None}
        for n in session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    ]
    return {"unread": unread, "items": items}


def mark_notifications_read(session: Session, actor: Actor, now: datetime | None = None) -> int:
    """Mark all of the actor's notifications read; returns how many changed."""
    items = list(session.scalars(
        select(Notification).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
    ))
    for n in items:
        n.read_at = now or utcnow()
    if items:
        session.flush()
        audit.record(session, actor, "notification.read", "notification", None, None, {"count": len(items)})
    return len(items)


__all__ = [name for name in dir() if not name.startswith("_")]
