"""Account teams: a customer has one owner and any number of collaborators with a role on the
account (sales, service, technical support). Collaborators see the customer, log communication and
take tasks and deals on it; what that lets them read and change is core.permissions' rule.

Who changes an account team: whoever may change the customer (its team's managers, admins).
Collaborators may come from any team: accounts are worked across team lines."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import FieldError, InvalidInput, NotFound
from core.permissions import READ, WRITE, Actor, allowed, ensure
from db.models import ACCOUNT_ROLES, Customer, CustomerCollaborator, Member
from db.session import rowcount


def _customer(session: Session, actor: Actor, customer_id: int, action: str) -> Customer:
    customer = session.get(Customer, customer_id) if isinstance(customer_id, int) else None
    if customer is None or not allowed(session, actor, READ, customer):
        raise NotFound("customers.not_found", id=str(customer_id))
    if action == WRITE:
        ensure(session, actor, WRITE, customer)
    return customer


def account_team(session: Session, actor: Actor, customer_id: int) -> list[dict]:
    """The owner first, then the collaborators by name: member id, name, role ('owner' or an
    account role) and whether they are still active."""
    customer = _customer(session, actor, customer_id, READ)
    team: list[dict] = []
    if customer.owner_id is not None:
        owner = session.get(Member, customer.owner_id)
        team.append({"member_id": owner.id, "name": owner.name, "role": "owner", "active": owner.status != "left"})
    rows = session.execute(
        select(Member.id, Member.name, CustomerCollaborator.role, Member.status)
        .join(CustomerCollaborator, CustomerCollaborator.member_id == Member.id)
        .where(CustomerCollaborator.customer_id == customer.id).order_by(Member.name)
    ).all()
    team += [{"member_id": m, "name": n, "role": r, "active": s != "left"} for m, n, r, s in rows]
    return team


def add_collaborator(session: Session, actor: Actor, customer_id: int, member_id: int, role: str = "sales") -> None:
    """Put a member on the account team with a role (or change their role if already on it)."""
    customer = _customer(session, actor, customer_id, WRITE)
    if role not in ACCOUNT_ROLES:
        raise InvalidInput("error.invalid", [FieldError("account.error.bad_role", {"value": role})])
    member = session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None:
        raise NotFound("error.not_found")
    if member.status == "left":
        raise InvalidInput("account.error.member_left", name=member.name)
    if member.id == customer.owner_id:
        raise InvalidInput("account.error.is_owner", name=member.name)
    existing = session.scalar(select(CustomerCollaborator).where(
        CustomerCollaborator.customer_id == customer.id, CustomerCollaborator.member_id == member.id))
    if existing is not None:
        if existing.role == role:
            return
        before = {"member_id": member.id, "role": existing.role}
        existing.role = role
        audit.record(session, actor, "customer.collaborator_role", "customer", customer.id, before,
                     {"member_id": member.id, "role": role})
        return
    session.add(CustomerCollaborator(customer_id=customer.id, member_id=member.id, role=role, added_by=actor.user_id))
    session.flush()
    audit.record(session, actor, "customer.collaborator_add", "customer", customer.id, None,
                 {"member_id": member.id, "member": member.name, "role": role})


def remove_collaborator(session: Session, actor: Actor, customer_id: int, member_id: int) -> None:
    customer = _customer(session, actor, customer_id, WRITE)
    result = session.execute(delete(CustomerCollaborator).where(
        CustomerCollaborator.customer_id == customer.id, CustomerCollaborator.member_id == member_id))
    if rowcount(result):
        audit.record(session, actor, "customer.collaborator_remove", "customer", customer.id, {"member_id": member_id}, None)


__all__ = ["account_team", "add_collaborator", "remove_collaborator"]
