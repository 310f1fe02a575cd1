"""Service writes: targets, logging a complaint and its life cycle (respond, resolve, wait, resume, notes, reassign)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, limits, versions
from core.errors import Conflict, FieldError, InvalidInput, NotFound
from core.permissions import (
    READ,
    WRITE,
    Actor,
    ensure_member,
    ensure_role,
    ensure_team,
    linked,
    load,
    scope_for,
)
from core.service.queries import suggest_assignee
from core.service.rules import NOTE_MAX, _check_time
from db.base import utcnow
from db.models import (
    SEVERITIES,
    Complaint,
    ComplaintNote,
    ComplaintPause,
    Customer,
    Interaction,
    Member,
    ServiceTarget,
)


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
    customer = load(session, actor, Customer, customer_id, READ)
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
