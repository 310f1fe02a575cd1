"""The customer book: search, filters, sorting and paging in the database; one customer's full
picture; creating and editing customers with validation.

Lists are filtered, sorted and paginated in SQL (100,000 customers at the large scale); nothing here
loads a whole table into pandas. Ownership changes go through core.assignment so that every one of
them is recorded in the assignment history.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from core import audit, limits, safe_text, versions
from core.pickers import FilterOptions  # re-exported: the filter panel's type
from core.errors import Conflict, FieldError, InvalidInput, NotFound
from core.permissions import (
    READ,
    WRITE,
    Actor,
    allowed,
    collaborating_customers,
    ensure,
    ensure_member,
    ensure_role,
    ensure_team,
    may_work_on,
    scope_clause,
    scope_for,
)
from db.base import utcnow
from db.models import (
    CUSTOMER_SIZES,
    CUSTOMER_STATUSES,
    CUSTOMER_TIERS,
    AssignmentHistory,
    Complaint,
    Contact,
    Customer,
    Deal,
    Interaction,
    Member,
    Survey,
    Task,
    Team,
    User,
)

PAGE_SIZE = 50
EXPORT_CHUNK = 5000
MAX_NAME = limits.max_length(Customer, "name")  # 200, from core.limits
MAX_SHORT = limits.max_length(Customer, "region")  # 60
EDITABLE_FIELDS = ("name", "industry", "size", "region", "tier", "status", "external_id", "notes", "team_id")

# Sort keys the list offers; the id is always the tie-breaker so pages never overlap.
SORTS = {
    "name": Customer.name,
    "next_follow_up": Customer.next_follow_up,
    "last_contact_at": Customer.last_contact_at,
    "tier": Customer.tier,
    "created_at": Customer.created_at,
    "industry": Customer.industry,
    "region": Customer.region,
}


@dataclass(frozen=True)
class CustomerFilters:
    """What the list shows. Empty tuples mean "any"."""

    search: str = ""
    industries: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    owner_ids: tuple[int, ...] = ()
    team_ids: tuple[int, ...] = ()
    overdue_only: bool = False
    unassigned_only: bool = False
    relation: str = ""  # "" any | "mine" I own | "team" my team's | "collab" where I am on the account team


@dataclass(frozen=True)
class CustomerPage:
    rows: pd.DataFrame
    total: int
    offset: int
    limit: int


@dataclass
class CustomerDetail:
    info: dict[str, Any]
    contacts: pd.DataFrame
    assignments: pd.DataFrame
    interactions: pd.DataFrame
    deals: pd.DataFrame
    complaints: pd.DataFrame
    surveys: pd.DataFrame
    tasks: pd.DataFrame
    audit: pd.DataFrame
    can_edit: bool = False
    can_log: bool = False


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------
RELATIONS = ("mine", "team", "collab")


def _relation_clause(scope, relation: str):
    """The customer book's "mine / my team's / where I collaborate" choice."""
    me = scope.actor.member_id
    if relation == "mine":
        return Customer.owner_id == me if me is not None else false()
    if relation == "team":
        if scope.actor.is_manager:
            return Customer.team_id.in_(sorted(scope.team_ids)) if scope.team_ids else false()
        return Customer.team_id == scope.actor.team_id if scope.actor.team_id is not None else false()
    if relation == "collab":
        return Customer.id.in_(collaborating_customers(scope, [me])) if me is not None else false()
    raise InvalidInput("error.invalid", [FieldError("customers.error.bad_relation", {"value": relation})])


def _where(scope, filters: CustomerFilters, today: date) -> list:
    clauses = [scope_clause(scope, Customer, collaborating=True), Customer.archived_at.is_(None)]
    if filters.relation:
        clauses.append(_relation_clause(scope, filters.relation))
    text = filters.search.strip()
    if text:
        like = f"%{text.lower()}%"
        clauses.append(or_(func.lower(Customer.name).like(like), func.lower(Customer.external_id).like(like)))
    for column, values in (
        (Customer.industry, filters.industries),
        (Customer.size, filters.sizes),
        (Customer.region, filters.regions),
        (Customer.tier, filters.tiers),
        (Customer.status, filters.statuses),
        (Customer.owner_id, filters.owner_ids),
        (Customer.team_id, filters.team_ids),
    ):
        if values:
            clauses.append(column.in_(list(values)))
    if filters.overdue_only:
        clauses.append(and_(Customer.next_follow_up < today, Customer.status != "churned"))
    if filters.unassigned_only:
        clauses.append(Customer.owner_id.is_(None))
    return clauses


def _list_query(scope, filters: CustomerFilters, today: date) -> Select:
    return (
        select(
            Customer.id,
            Customer.external_id,
            Customer.name,
            Customer.industry,
            Customer.size,
            Customer.region,
            Customer.tier,
            Customer.status,
            Customer.owner_id,
            Member.name.label("owner"),
            Customer.team_id,
            Team.name.label("team"),
            Customer.last_contact_at,
            Customer.next_follow_up,
        )
        .outerjoin(Member, Member.id == Customer.owner_id)
        .outerjoin(Team, Team.id == Customer.team_id)
        .where(*_where(scope, filters, today))
    )


LIST_COLUMNS = [
    "id", "external_id", "name", "industry", "size", "region", "tier", "status", "owner_id", "owner",
    "team_id", "team", "last_contact_at", "next_follow_up", "overdue",
]


def _frame(rows, today: date) -> pd.DataFrame:
    records = []
    for r in rows:
        record = dict(r._mapping)
        record["overdue"] = bool(record["next_follow_up"] and record["next_follow_up"] < today and record["status"] != "churned")
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=LIST_COLUMNS)
    # Real datetime columns: a missing date shows as blank, not as the word "None".
    frame["last_contact_at"] = pd.to_datetime(frame["last_contact_at"])
    frame["next_follow_up"] = pd.to_datetime(frame["next_follow_up"])
    return frame


def count_customers(session: Session, actor: Actor, filters: CustomerFilters = CustomerFilters(),
                    today: date | None = None) -> int:
    today = today or date.today()
    scope = scope_for(session, actor)
    return session.scalar(select(func.count()).select_from(Customer).where(*_where(scope, filters, today))) or 0


def list_customers(
    session: Session,
    actor: Actor,
    filters: CustomerFilters = CustomerFilters(),
    sort: str = "name",
    descending: bool = False,
    offset: int = 0,
    limit: int = PAGE_SIZE,
    today: date | None = None,
) -> CustomerPage:
    """One page of the visible customers matching `filters`, sorted in the database."""
    today = today or date.today()
    if sort not in SORTS:
        raise InvalidInput("customers.bad_sort", [FieldError("customers.bad_sort", {"sort": sort})])
    limit = max(1, min(int(limit), 500))
    offset = max(0, int(offset))
    scope = scope_for(session, actor)
    column = SORTS[sort]
    order = [column.desc().nulls_last() if descending else column.asc().nulls_last(), Customer.id]
    rows = session.execute(_list_query(scope, filters, today).order_by(*order).offset(offset).limit(limit)).all()
    total = count_customers(session, actor, filters, today)
    return CustomerPage(_frame(rows, today), total, offset, limit)


def iter_customer_chunks(
    session: Session, actor: Actor, filters: CustomerFilters = CustomerFilters(), sort: str = "name",
    chunk_size: int = EXPORT_CHUNK, today: date | None = None,
) -> Iterator[pd.DataFrame]:
    """The whole filtered list for export, in chunks (keyset paging on the id: constant memory)."""
    today = today or date.today()
    scope = scope_for(session, actor)
    last_id = 0
    while True:
        rows = session.execute(
            _list_query(scope, filters, today).where(Customer.id > last_id).order_by(Customer.id).limit(chunk_size)
        ).all()
        if not rows:
            return
        last_id = rows[-1].id
        yield _frame(rows, today)


def export_frame(session: Session, actor: Actor, filters: CustomerFilters = CustomerFilters(),
                 progress: Any = None, today: date | None = None) -> pd.DataFrame:
    """The whole filtered list for a download, read in chunks with `progress(fraction)` after each."""
    total = max(count_customers(session, actor, filters, today), 1)
    parts, done = [], 0
    for chunk in iter_customer_chunks(session, actor, filters, today=today):
        parts.append(chunk.drop(columns=["owner_id", "team_id"]))
        done += len(chunk)
        if progress:
            progress(min(done / total, 1.0))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[c for c in LIST_COLUMNS if c not in ("owner_id", "team_id")])


# ---------------------------------------------------------------------------------------------
# One customer
# ---------------------------------------------------------------------------------------------
def _visible_customer(session: Session, actor: Actor, customer_id: Any, action: str = READ) -> Customer:
    """The customer, or NotFound for a malformed, missing or out-of-scope id (no existence leak)."""
    cid = safe_text.parse_id(customer_id)  # a huge or malformed URL value is "not found", not OverflowError
    shown = str(customer_id)[:20]
    if cid is None:
        raise NotFound("customers.not_found", id=shown)
    customer = session.get(Customer, cid)
    if customer is None or not allowed(session, actor, READ, customer):
        raise NotFound("customers.not_found", id=shown)
    if action == WRITE:
        ensure(session, actor, WRITE, customer)
    return customer


def get_customer(session: Session, actor: Actor, customer_id: Any, lang: str = "zh", limit: int = 100) -> CustomerDetail:
    from core.assignment import reason_text

    customer = _visible_customer(session, actor, customer_id)
    cid = customer.id
    owner = session.get(Member, customer.owner_id) if customer.owner_id else None
    team = session.get(Team, customer.team_id) if customer.team_id else None
    info = audit.snapshot(customer)
    info.update({
        "owner": owner.name if owner else None,
        "team": team.name if team else None,
        "last_contact_at": customer.last_contact_at,
        "next_follow_up": customer.next_follow_up,
        "created_at": customer.created_at,
        "overdue": bool(customer.next_follow_up and customer.next_follow_up < date.today() and customer.status != "churned"),
    })

    def frame(stmt, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame.from_records([tuple(r) for r in session.execute(stmt).all()], columns=columns)

    contacts = frame(
        select(Contact.name, Contact.title, Contact.phone, Contact.email, Contact.is_primary)
        .where(Contact.customer_id == cid).order_by(Contact.is_primary.desc(), Contact.name),
        ["name", "title", "phone", "email", "is_primary"],
    )
    from_m, to_m = aliased(Member), aliased(Member)
    assignments = frame(
        select(AssignmentHistory.changed_at, from_m.name, to_m.name, User.display_name, AssignmentHistory.reason)
        .outerjoin(from_m, from_m.id == AssignmentHistory.from_member_id)
        .outerjoin(to_m, to_m.id == AssignmentHistory.to_member_id)
        .outerjoin(User, User.id == AssignmentHistory.changed_by)
        .where(AssignmentHistory.customer_id == cid)
        .order_by(AssignmentHistory.changed_at.desc(), AssignmentHistory.id.desc()).limit(limit),
        ["changed_at", "from", "to", "by", "reason"],
    )
    assignments["reason"] = [reason_text(r, lang) for r in assignments["reason"]]
    interactions = frame(
        select(Interaction.occurred_at, Interaction.channel, Member.name, Interaction.summary, Interaction.outcome,
               Interaction.next_follow_up)
        .outerjoin(Member, Member.id == Interaction.member_id)
        .where(Interaction.customer_id == cid)
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit),
        ["occurred_at", "channel", "member", "summary", "outcome", "next_follow_up"],
    )
    deals = frame(
        select(Deal.title, Deal.stage, Deal.value, Deal.currency, Member.name, Deal.expected_close, Deal.closed_on)
        .outerjoin(Member, Member.id == Deal.owner_id)
        .where(Deal.customer_id == cid).order_by(Deal.created_at.desc()).limit(limit),
        ["title", "stage", "value", "currency", "owner", "expected_close", "closed_on"],
    )
    complaints = frame(
        select(Complaint.opened_at, Complaint.title, Complaint.severity, Complaint.status, Member.name, Complaint.resolved_at)
        .outerjoin(Member, Member.id == Complaint.assignee_id)
        .where(Complaint.customer_id == cid).order_by(Complaint.opened_at.desc()).limit(limit),
        ["opened_at", "title", "severity", "status", "assignee", "resolved_at"],
    )
    surveys = frame(
        select(Survey.responded_at, Survey.csat, Survey.nps, Survey.comment)
        .where(Survey.customer_id == cid).order_by(Survey.responded_at.desc()).limit(limit),
        ["responded_at", "csat", "nps", "comment"],
    )
    tasks = frame(
        select(Task.title, Task.status, Member.name, Task.due_date, Task.progress)
        .outerjoin(Member, Member.id == Task.assignee_id)
        .where(Task.customer_id == cid).order_by(Task.due_date.asc().nulls_last()).limit(limit),
        ["title", "status", "assignee", "due_date", "progress"],
    )
    history = audit.history(session, "customer", cid, limit=limit)
    audit_frame = pd.DataFrame.from_records(
        [(h["at"], h["who"], h["action"], _describe_change(h["before"], h["after"])) for h in history],
        columns=["at", "who", "action", "change"],
    )
    can_edit = allowed(session, actor, WRITE, customer) and actor.role in ("admin", "manager")
    can_log = may_work_on(session, actor, customer)
    return CustomerDetail(info, contacts, assignments, interactions, deals, complaints, surveys, tasks, audit_frame,
                          can_edit, can_log)


def _describe_change(before: dict | None, after: dict | None) -> str:
    before, after = before or {}, after or {}
    keys = sorted(set(before) | set(after))
    parts = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if key in before and key in after:
            parts.append(f"{key}: {old} → {new}")
        elif key in after:
            parts.append(f"{key}: {new}")
        else:
            parts.append(f"{key}: {old} → —")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Create and edit
# ---------------------------------------------------------------------------------------------
def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def validate_customer(data: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """Normalised values, or InvalidInput naming every field to fix. `partial` checks only the
    fields present (edits)."""
    values = {k: _clean(v) for k, v in data.items() if k in EDITABLE_FIELDS + ("owner_id", "next_follow_up")}
    errors: list[FieldError] = []

    def need(name: str) -> None:
        if (not partial or name in values) and not values.get(name):
            errors.append(FieldError("error.required", {"field": name}, column=name))

    for name in ("name", "industry", "size", "region"):
        need(name)
    # lengths and NUL bytes: core.limits, the one place (name 200, industry/region 60, notes 10,000)
    errors.extend(limits.problems(Customer, {k: v for k, v in values.items() if isinstance(v, str)}))
    for name, allowed_values in (("size", CUSTOMER_SIZES), ("tier", CUSTOMER_TIERS), ("status", CUSTOMER_STATUSES)):
        if values.get(name) is not None and values[name] not in allowed_values:
            errors.append(FieldError("customers.bad_choice", {"value": values[name], "allowed": ", ".join(allowed_values)}, column=name))
    if not partial:
        values.setdefault("tier", "B")
        values["tier"] = values["tier"] or "B"
        values.setdefault("status", "active")
        values["status"] = values["status"] or "active"
    if errors:
        raise InvalidInput("error.invalid", errors)
    return values


def _check_external_id(session: Session, external_id: str | None, own_id: int | None = None) -> None:
    if not external_id:
        return
    clash = session.scalar(select(Customer.id).where(Customer.external_id == external_id))
    if clash is not None and clash != own_id:
        raise InvalidInput("error.invalid", [FieldError("customers.duplicate_external_id", {"value": external_id}, column="external_id")])


def create_customer(session: Session, actor: Actor, data: dict[str, Any], today: date | None = None) -> int:
    """Add a customer. With an owner given, that member owns it; otherwise the assignment rules and
    the load-aware suggestion pick one; when nobody has room it goes to the visible unassigned
    queue of its team. Managers must place it in one of their teams."""
    from core import assignment, communication

    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    values = validate_customer(data)
    _check_external_id(session, values.get("external_id"))
    owner_id = values.pop("owner_id", None)
    follow_up = values.pop("next_follow_up", None)
    if owner_id is not None:
        ensure_member(scope, owner_id)
        owner = session.get(Member, owner_id)
        if owner is None or owner.status == "left":
            raise InvalidInput("error.invalid", [FieldError("assignment.owner_unavailable", column="owner_id")])
        values["team_id"] = values.get("team_id") or owner.team_id
    if values.get("team_id") is not None:
        ensure_team(scope, values["team_id"])
    customer = Customer(**values)
    session.add(customer)
    session.flush()
    if owner_id is not None:
        assignment.set_owner(session, actor, customer, owner_id, "assignment.reason_manual")
    else:
        assignment.auto_assign(session, actor, customer)
    if customer.team_id is None and not actor.is_admin:
        raise InvalidInput("error.invalid", [FieldError("customers.team_required", column="team_id")])
    today = today or date.today()
    cadence = communication.cadence_for(session, customer.team_id)
    customer.next_follow_up = follow_up or (today + timedelta(days=cadence[customer.tier]))
    session.flush()
    audit.record(session, actor, "customer.create", "customer", customer.id, None, audit.snapshot(customer))
    return customer.id


def update_customer(session: Session, actor: Actor, customer_id: int, data: dict[str, Any],
                    expected: dict[str, Any] | None = None) -> int:
    """Edit a customer's details (owner changes go through core.assignment). `expected` holds the
    values the editor saw; if someone changed one of them since, the edit is refused."""
    from core import assignment

    ensure_role(actor, "admin", "manager")
    customer = _visible_customer(session, actor, customer_id, WRITE)
    scope = scope_for(session, actor)
    values = validate_customer(data, partial=True)
    owner_id = values.pop("owner_id", customer.owner_id)
    values.pop("next_follow_up", None)
    if expected:
        seen = {k: v for k, v in expected.items() if k != "version"}
        current = audit.snapshot(customer, seen.keys())
        if any(audit._jsonable(seen[k]) != current.get(k) for k in seen):
            raise Conflict("sec.stale_edit")
    versions.claim(session, customer, (expected or {}).get("version"))  # one of two simultaneous edits wins
    if "external_id" in values:
        _check_external_id(session, values["external_id"], customer.id)
    if "team_id" in values and values["team_id"] != customer.team_id:
        ensure_team(scope, values["team_id"])
    before = audit.snapshot(customer)
    for key, value in values.items():
        setattr(customer, key, value)
    session.flush()
    old, new = audit.changed(before, audit.snapshot(customer))
    if old or new:
        audit.record(session, actor, "customer.update", "customer", customer.id, old, new)
    if owner_id != customer.owner_id:
        assignment.move_customer(session, actor, customer.id, owner_id, "assignment.reason_manual")
    return customer.id


def add_contact(session: Session, actor: Actor, customer_id: int, name: str, title: str | None = None,
                phone: str | None = None, email: str | None = None, is_primary: bool = False) -> int:
    ensure_role(actor, "admin", "manager")
    customer = _visible_customer(session, actor, customer_id, WRITE)
    name = (name or "").strip()
    errors = []
    if not name:
        errors.append(FieldError("error.required", {"field": "name"}, column="name"))
    if email and "@" not in email:
        errors.append(FieldError("customers.bad_email", column="email"))
    if errors:
        raise InvalidInput("error.invalid", errors)
    contact = Contact(customer_id=customer.id, name=name, title=_clean(title), phone=_clean(phone),
                      email=_clean(email), is_primary=bool(is_primary))
    session.add(contact)
    session.flush()
    audit.record(session, actor, "customer.contact_add", "customer", customer.id, None,
                 {"contact": name, "title": contact.title, "phone": contact.phone, "email": contact.email})
    return contact.id


__all__ = [
    "CustomerFilters", "CustomerPage", "CustomerDetail", "FilterOptions", "SORTS", "PAGE_SIZE",
    "list_customers", "count_customers", "iter_customer_chunks", "get_customer",
    "validate_customer", "create_customer", "update_customer", "add_contact", "utcnow",
]
