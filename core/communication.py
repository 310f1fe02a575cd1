"""Communication log and follow-ups.

Logging an interaction keeps the customer's denormalised `last_contact_at` and `next_follow_up`
current: the next follow-up is the date the user gave, else the last contact plus the cadence of
the customer's tier (defaults A 7 days, B 30, C 90; a team may set its own, inherited by its
sub-teams). The due/overdue lists read those two indexed columns, so they stay fast at scale.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from core import audit, limits
from core.errors import FieldError, InvalidInput, NotFound
from core.permissions import (
    READ,
    Actor,
    allowed,
    ensure_role,
    ensure_team,
    may_work_on,
    scope_clause,
    scope_for,
)
from db.base import utcnow
from db.models import (
    CHANNELS,
    CUSTOMER_TIERS,
    Customer,
    FollowUpCadence,
    Interaction,
    Member,
    Team,
)

DEFAULT_CADENCE: dict[str, int] = {"A": 7, "B": 30, "C": 90}
MAX_SUMMARY = limits.max_length(Interaction, "summary")  # 2,000, from core.limits
MAX_OUTCOME = limits.max_length(Interaction, "outcome")  # 200
MAX_CADENCE_DAYS = 366


# ---------------------------------------------------------------------------------------------
# Cadence
# ---------------------------------------------------------------------------------------------
def cadence_for(session: Session, team_id: int | None) -> dict[str, int]:
    """Days between follow-ups per tier for a team: its own setting, else the nearest ancestor's,
    else the defaults, tier by tier."""
    result = dict(DEFAULT_CADENCE)
    if team_id is None:
        return result
    parents = dict(session.execute(select(Team.id, Team.parent_id)).all())
    chain: list[int] = []
    current: int | None = team_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    rows = session.execute(select(FollowUpCadence.team_id, FollowUpCadence.tier, FollowUpCadence.days)
                           .where(FollowUpCadence.team_id.in_(chain))).all()
    own = {(r.team_id, r.tier): r.days for r in rows}
    for tier in CUSTOMER_TIERS:
        for tid in chain:  # nearest first
            if (tid, tier) in own:
                result[tier] = own[(tid, tier)]
                break
    return result


def next_follow_up_date(last_contact: datetime | date, tier: str, cadence: dict[str, int] | None = None) -> date:
    """Last contact plus the tier's cadence."""
    cadence = cadence or DEFAULT_CADENCE
    day = last_contact.date() if isinstance(last_contact, datetime) else last_contact
    return day + timedelta(days=cadence.get(tier, DEFAULT_CADENCE["B"]))


def cadence_frame(session: Session, actor: Actor) -> pd.DataFrame:
    """Effective cadence (days) per visible team and tier, and whether the team set it itself."""
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    teams = session.execute(select(Team.id, Team.name).where(scope_clause(scope, Team)).order_by(Team.name)).all()
    own = {(r.team_id, r.tier) for r in session.execute(select(FollowUpCadence.team_id, FollowUpCadence.tier)).all()}
    records = []
    for team in teams:
        cad = cadence_for(session, team.id)
        records.append({"team_id": team.id, "team": team.name, **{t: cad[t] for t in CUSTOMER_TIERS},
                        "own": any((team.id, t) in own for t in CUSTOMER_TIERS)})
    return pd.DataFrame.from_records(records, columns=["team_id", "team", *CUSTOMER_TIERS, "own"])


def set_cadence(session: Session, actor: Actor, team_id: int, days_by_tier: dict[str, Any]) -> None:
    """Set a team's cadence for some tiers (1..366 days each). Existing customers keep their next
    follow-up date until their next contact."""
    ensure_role(actor, "admin", "manager")
    ensure_team(scope_for(session, actor), team_id)
    errors: list[FieldError] = []
    clean: dict[str, int] = {}
    for tier, raw in days_by_tier.items():
        if tier not in CUSTOMER_TIERS:
            errors.append(FieldError("customers.bad_choice", {"value": tier, "allowed": ", ".join(CUSTOMER_TIERS)}, column="tier"))
            continue
        try:
            days = int(raw)
        except (TypeError, ValueError):
            days = -1
        if not 1 <= days <= MAX_CADENCE_DAYS:
            errors.append(FieldError("comm.bad_cadence", {"max": MAX_CADENCE_DAYS}, column=tier))
        else:
            clean[tier] = days
    if errors:
        raise InvalidInput("error.invalid", errors)
    existing = {c.tier: c for c in session.scalars(select(FollowUpCadence).where(FollowUpCadence.team_id == team_id))}
    before = {t: c.days for t, c in existing.items()}
    for tier, days in clean.items():
        if tier in existing:
            existing[tier].days = days
        else:
            session.add(FollowUpCadence(team_id=team_id, tier=tier, days=days))
    session.flush()
    audit.record(session, actor, "cadence.set", "team", team_id, before, clean)


# ---------------------------------------------------------------------------------------------
# Logging interactions
# ---------------------------------------------------------------------------------------------
def validate_interaction(channel: str | None, summary: str | None, outcome: str | None,
                         occurred_at: datetime, next_follow_up: date | None, now: datetime) -> tuple[str, str, str | None]:
    errors: list[FieldError] = []
    summary = (summary or "").strip()
    outcome = (outcome or "").strip() or None
    if channel not in CHANNELS:
        errors.append(FieldError("customers.bad_choice", {"value": channel, "allowed": ", ".join(CHANNELS)}, column="channel"))
    if not summary:
        errors.append(FieldError("error.required", {"field": "summary"}, column="summary"))
    elif len(summary) > MAX_SUMMARY:
        errors.append(FieldError("customers.too_long", {"max": MAX_SUMMARY}, column="summary"))
    if outcome and len(outcome) > MAX_OUTCOME:
        errors.append(FieldError("customers.too_long", {"max": MAX_OUTCOME}, column="outcome"))
    if occurred_at > now + timedelta(minutes=5):
        errors.append(FieldError("comm.future_contact", column="occurred_at"))
    if next_follow_up is not None and next_follow_up < occurred_at.date():
        errors.append(FieldError("comm.follow_up_before_contact", column="next_follow_up"))
    if errors:
        raise InvalidInput("error.invalid", errors)
    return channel, summary, outcome


def log_interaction(
    session: Session,
    actor: Actor,
    customer_id: int,
    channel: str,
    summary: str,
    outcome: str | None = None,
    next_follow_up: date | None = None,
    occurred_at: datetime | None = None,
) -> int:
    """Record a contact with a customer. Members log on their own customers and those whose account
    team they are on; managers on the customers they see. Updates the customer's last contact and next follow-up."""
    customer = session.get(Customer, customer_id) if isinstance(customer_id, int) else None
    if customer is None or not allowed(session, actor, READ, customer):
        raise NotFound("customers.not_found", id=str(customer_id))
    if not may_work_on(session, actor, customer):
        raise NotFound("customers.not_found", id=str(customer_id))
    now = utcnow()
    occurred_at = occurred_at or now
    channel, summary, outcome = validate_interaction(channel, summary, outcome, occurred_at, next_follow_up, now)
    member_id = actor.member_id if actor.member_id is not None else customer.owner_id
    interaction = Interaction(customer_id=customer.id, member_id=member_id, channel=channel, occurred_at=occurred_at,
                              summary=summary, outcome=outcome, next_follow_up=next_follow_up, created_by=actor.user_id)
    session.add(interaction)
    session.flush()
    before = audit.snapshot(customer, ["last_contact_at", "next_follow_up"])
    refresh_follow_up(session, customer, explicit=next_follow_up, contact=occurred_at)
    interaction.next_follow_up = customer.next_follow_up  # the date this contact leads to, as the header shows it
    next_follow_up = customer.next_follow_up
    session.flush()
    audit.record(session, actor, "interaction.create", "interaction", interaction.id, None,
                 {"customer_id": customer.id, "channel": channel, "summary": summary[:200], "outcome": outcome,
                  "next_follow_up": next_follow_up})
    old, new = audit.changed(before, audit.snapshot(customer, ["last_contact_at", "next_follow_up"]))
    audit.record(session, actor, "customer.contacted", "customer", customer.id, old or None,
                 {**new, "channel": channel})
    return interaction.id


def follow_up_after(session: Session, actor: Actor, customer_id: int) -> date | None:
    """The customer's next follow-up as it stands (for the confirmation after logging a contact)."""
    customer = session.get(Customer, customer_id)
    if customer is None or not allowed(session, actor, READ, customer):
        raise NotFound("customers.not_found", id=str(customer_id))
    return customer.next_follow_up


def refresh_follow_up(session: Session, customer: Customer, explicit: date | None = None,
                      contact: datetime | None = None, cadence: dict[str, int] | None = None) -> None:
    """Apply a contact to the customer's denormalised columns. A late-logged older contact does not
    move `last_contact_at` backwards; an explicit follow-up date always wins."""
    if contact is not None and (customer.last_contact_at is None or contact > customer.last_contact_at):
        customer.last_contact_at = contact
    if explicit is not None:
        customer.next_follow_up = explicit
    elif customer.last_contact_at is not None:
        cadence = cadence or cadence_for(session, customer.team_id)
        customer.next_follow_up = next_follow_up_date(customer.last_contact_at, customer.tier, cadence)
    session.flush()


# ---------------------------------------------------------------------------------------------
# Due and overdue follow-ups
# ---------------------------------------------------------------------------------------------
FOLLOW_UP_COLUMNS = ["customer_id", "name", "tier", "owner_id", "owner", "team", "last_contact_at",
                     "next_follow_up", "days_overdue", "state"]


def follow_up_due_by(until: date):
    """The one definition of a follow-up that is due: a customer who has not churned, with a
    follow-up date on or before `until`. Home, the follow-up lists and Meeting all count with it."""
    return and_(Customer.status != "churned", Customer.next_follow_up <= until)


def follow_up_overdue(today: date):
    """Due before today (see follow_up_due_by): what every 'overdue follow-ups' count counts."""
    return and_(Customer.status != "churned", Customer.next_follow_up < today)


def follow_up_state(next_follow_up: date | None, today: date) -> str | None:
    """'overdue' (before today), 'due_today', 'upcoming' (later) or None (no date)."""
    if next_follow_up is None:
        return None
    if next_follow_up < today:
        return "overdue"
    if next_follow_up == today:
        return "due_today"
    return "upcoming"


@dataclass(frozen=True)
class FollowUpList:
    rows: pd.DataFrame
    total: int
    overdue: int
    due_today: int


def due_follow_ups(session: Session, actor: Actor, today: date | None = None, horizon_days: int = 0,
                   member_id: int | None = None, offset: int = 0, limit: int = 100) -> FollowUpList:
    """Visible, not-churned customers whose follow-up is overdue or due within `horizon_days`,
    most overdue first. A member sees their own; a manager sees their teams' (optionally one member)."""
    today = today or date.today()
    scope = scope_for(session, actor)
    until = today + timedelta(days=max(0, int(horizon_days)))
    where = [scope_clause(scope, Customer), follow_up_due_by(until)]
    if member_id is not None:
        where.append(Customer.owner_id == member_id)
    stmt = (
        select(Customer.id, Customer.name, Customer.tier, Customer.owner_id, Member.name, Team.name,
               Customer.last_contact_at, Customer.next_follow_up)
        .outerjoin(Member, Member.id == Customer.owner_id)
        .outerjoin(Team, Team.id == Customer.team_id)
        .where(*where)
        .order_by(Customer.next_follow_up, Customer.tier, Customer.id)
        .offset(max(0, offset)).limit(max(1, min(limit, 1000)))
    )
    records = []
    for r in session.execute(stmt).all():
        records.append((r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], max(0, (today - r[7]).days),
                        follow_up_state(r[7], today)))
    counts = session.execute(
        select(func.count(), func.sum(case((Customer.next_follow_up < today, 1), else_=0)),
               func.sum(case((Customer.next_follow_up == today, 1), else_=0)))
        .select_from(Customer).where(*where)
    ).one()
    return FollowUpList(pd.DataFrame.from_records(records, columns=FOLLOW_UP_COLUMNS), counts[0] or 0,
                        int(counts[1] or 0), int(counts[2] or 0))


def follow_up_rollup(session: Session, actor: Actor, today: date | None = None) -> pd.DataFrame:
    """Per owner: overdue, due today and due within 7 days, for the manager's rolled-up view
    (one grouped query). Unassigned customers appear as one row with owner None."""
    ensure_role(actor, "admin", "manager")
    today = today or date.today()
    scope = scope_for(session, actor)
    week = today + timedelta(days=7)
    rows = session.execute(
        select(
            Customer.owner_id,
            func.sum(case((Customer.next_follow_up < today, 1), else_=0)),
            func.sum(case((Customer.next_follow_up == today, 1), else_=0)),
            func.sum(case((Customer.next_follow_up.between(today + timedelta(days=1), week), 1), else_=0)),
        )
        .where(scope_clause(scope, Customer), follow_up_due_by(week))
        .group_by(Customer.owner_id)
    ).all()
    ids = [r[0] for r in rows if r[0] is not None]
    names = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all()) if ids else {}
    teams = dict(session.execute(select(Member.id, Team.name).join(Team, Team.id == Member.team_id).where(Member.id.in_(ids))).all()) if ids else {}
    records = [
        {"owner_id": r[0], "owner": names.get(r[0]), "team": teams.get(r[0]), "overdue": int(r[1] or 0),
         "due_today": int(r[2] or 0), "due_this_week": int(r[3] or 0)}
        for r in rows
    ]
    records.sort(key=lambda x: (-x["overdue"], -x["due_today"], x["owner"] or ""))
    return pd.DataFrame.from_records(records, columns=["owner_id", "owner", "team", "overdue", "due_today", "due_this_week"])


__all__ = [
    "DEFAULT_CADENCE", "cadence_for", "next_follow_up_date", "cadence_frame", "set_cadence", "log_interaction",
    "refresh_follow_up", "follow_up_state", "due_follow_ups", "follow_up_rollup", "FollowUpList",
    "validate_interaction",
]
