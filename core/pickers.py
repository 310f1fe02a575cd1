"""The picker queries: what a select box or a search field may offer the actor.

Every picker reads only what the actor's scope reaches (through `core.permissions`), in display
order, and returns one shape: `dict[int, str]`, id -> display label, in the order to show. The few
pickers whose callers need more return a small value alongside: `complaint_customers` (a
customer's tier, translated by the page), `praise_targets` (three lists at once), `specialties`
(tags are their own ids) and `customer_filters` (the customer list's filter values).

Search pickers take `search` and `limit`; `include` / `include_id` add the record a form already
shows, so it stays selectable when the search would not find it. Only this module defines
`*_choices` / `*_options` queries (tests/unit/test_architecture.py)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.permissions import (
    READ,
    Actor,
    allowed,
    ensure_role,
    scope_clause,
    scope_for,
    scoped,
    subtree_team_ids,
)
from db.models import Customer, Goal, Member, MemberSpecialty, Team


# ---------------------------------------------------------------------------------------------
# Teams
# ---------------------------------------------------------------------------------------------
def teams(session: Session, actor: Actor) -> dict[int, str]:
    """Teams the actor can see (a member: their own team), by name."""
    scope = scope_for(session, actor)
    return dict(session.execute(select(Team.id, Team.name).where(scope_clause(scope, Team)).order_by(Team.name)).all())


def team_tree(session: Session, actor: Actor) -> dict[int, str]:
    """Teams the actor can see, a sub-team labelled "Parent / Team" and listed after its parent
    (the board's team picker)."""
    scope = scope_for(session, actor)
    rows = session.execute(select(Team.id, Team.name, Team.parent_id).where(scope_clause(scope, Team))).all()
    names = {r.id: r.name for r in rows}
    return {
        r.id: r.name if r.parent_id is None else f"{names.get(r.parent_id, '…')} / {r.name}"
        for r in sorted(rows, key=lambda r: (names.get(r.parent_id, r.name), r.parent_id is not None, r.name))
    }


def led_teams(session: Session, actor: Actor) -> dict[int, str]:
    """Teams the actor leads (admin: all, a manager: theirs, a member: none), by name: where rules,
    rewards and evaluation cycles are set up."""
    scope = scope_for(session, actor)
    if not (scope.everything or actor.is_manager):
        return {}
    return teams(session, actor)


# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------
def members(session: Session, actor: Actor, *, include_left: bool = False) -> dict[int, str]:
    """Members the actor can see (a member: themselves), by name; those who have left only with
    `include_left` (to name a former manager or owner)."""
    scope = scope_for(session, actor)
    stmt = select(Member.id, Member.name).where(scope_clause(scope, Member))
    if not include_left:
        stmt = stmt.where(Member.status != "left")
    return dict(session.execute(stmt.order_by(Member.name)).all())


def members_by_team(session: Session, actor: Actor) -> dict[int, str]:
    """Visible members not gone, labelled "name · team" and ordered by team, then name (whom a
    complaint may be assigned to; a member: themselves)."""
    scope = scope_for(session, actor)
    rows = session.execute(
        select(Member.id, Member.name, Team.name.label("team"))
        .join(Team, Team.id == Member.team_id)
        .where(scope_clause(scope, Member), Member.status != "left")
        .order_by(Team.name, Member.name)
    ).all()
    return {r.id: f"{r.name} · {r.team}" for r in rows}


def assignees(session: Session, actor: Actor, team_id: int | None = None) -> dict[int, str]:
    """Members the actor may give new work to (a member: only themselves), optionally in one team
    and the teams below it, by name. Members who are leaving or have left are never offered: work
    given to them would be lost at their exit."""
    if actor.role == "member":
        if actor.member_id is None:
            return {}
        m = session.get(Member, actor.member_id)
        return {m.id: m.name} if m is not None else {}
    scope = scope_for(session, actor)
    stmt = select(Member.id, Member.name).where(scope_clause(scope, Member), Member.status == "active")
    if team_id is not None:
        stmt = stmt.where(Member.team_id.in_(subtree_team_ids(session, {team_id})))
    return dict(session.execute(stmt.order_by(Member.name)).all())


def one_on_one_members(session: Session, actor: Actor) -> dict[int, str]:
    """Members the actor may hold 1:1s with or nominate (a manager: their teams' members, not
    themselves; a member: none), by name."""
    scope = scope_for(session, actor)
    if not (scope.everything or actor.is_manager):
        return {}
    return {i: n for i, n in members(session, actor).items() if i != actor.member_id}


def colleagues(session: Session, actor: Actor, search: str = "", include: Sequence[int] = (), limit: int = 50) -> dict[int, str]:
    """Colleagues who may be added to a deal or an account team: any member not gone (account teams
    cross team lines by design), searched by name, by name; `include` adds ones already chosen."""
    stmt = select(Member.id, Member.name).where(Member.status != "left")
    text = (search or "").strip().lower()
    if text:
        stmt = stmt.where(func.lower(Member.name).like(f"%{text}%"))
    found = dict(session.execute(stmt.order_by(Member.name).limit(limit)).all())
    if include:
        found.update(dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(list(include)))).all()))
    return found


def specialties(session: Session, actor: Actor) -> list[str]:
    """Every specialty tag in use, 'kind:value' in order (the tag is its own id and label)."""
    ensure_role(actor, "admin", "manager")
    return [
        f"{k}:{v}"
        for k, v in session.execute(
            select(MemberSpecialty.kind, MemberSpecialty.value).distinct().order_by(MemberSpecialty.kind, MemberSpecialty.value)
        )
    ]


# ---------------------------------------------------------------------------------------------
# Customers and goals
# ---------------------------------------------------------------------------------------------
def customers(session: Session, actor: Actor, search: str = "", limit: int = 50, include_id: int | None = None) -> dict[int, str]:
    """Customers the actor may read (their book and those they work on as account team) whose name
    contains `search`, by name, at most `limit`; `include_id` (the customer a form shows) first when
    the search missed it and the actor may read it."""
    scope = scope_for(session, actor)
    stmt = select(Customer.id, Customer.name).where(scope_clause(scope, Customer, collaborating=True))
    text = (search or "").strip()
    if text:
        stmt = stmt.where(Customer.name.ilike(f"%{text}%"))
    found = dict(session.execute(stmt.order_by(Customer.name).limit(limit)).all())
    if include_id is not None and include_id not in found:
        c = session.get(Customer, include_id)
        if c is not None and allowed(session, actor, READ, c, scope):
            found = {c.id: c.name, **found}
    return found


class CustomerPick(NamedTuple):
    id: int
    name: str
    tier: str


def complaint_customers(session: Session, actor: Actor, search: str = "", limit: int = 50) -> list[CustomerPick]:
    """Customers of the actor's book (not account-team ones) whose name or external id contains
    `search`, by name, with their tier (the complaint form shows it)."""
    scope = scope_for(session, actor)
    query = select(Customer.id, Customer.name, Customer.tier).where(scope_clause(scope, Customer))
    text = (search or "").strip()
    if text:
        like = f"%{text}%"
        query = query.where(or_(Customer.name.ilike(like), Customer.external_id.ilike(like)))
    rows = session.execute(query.order_by(Customer.name, Customer.id).limit(limit)).all()
    return [CustomerPick(r.id, r.name, r.tier) for r in rows]


def goals(session: Session, actor: Actor, team_id: int | None = None, limit: int = 100) -> dict[int, str]:
    """Active goals the actor can see (optionally of one team, the teams below it and their
    members), soonest end first, then by title."""
    scope = scope_for(session, actor)
    stmt = select(Goal.id, Goal.title).where(scope_clause(scope, Goal), Goal.status == "active")
    if team_id is not None:
        team_ids = subtree_team_ids(session, {team_id})
        stmt = stmt.where(or_(Goal.team_id.in_(team_ids), Goal.member_id.in_(select(Member.id).where(Member.team_id.in_(team_ids)))))
    return dict(session.execute(stmt.order_by(Goal.end_date, Goal.title).limit(limit)).all())


@dataclass(frozen=True)
class PraiseTargets:
    """Whom the actor may praise, and the goals and customers to link, labelled "title (member)"."""

    members: dict[int, str] = field(default_factory=dict)
    goals: dict[int, str] = field(default_factory=dict)
    customers: dict[int, str] = field(default_factory=dict)


def praise_targets(session: Session, actor: Actor) -> PraiseTargets:
    """Who the actor may praise (whose praise they see: admin everyone, a manager their teams, a
    member their team; never themselves), and goals/customers of those people to link — only the
    ones the actor may read themselves (a member praising a team-mate does not get to see the
    team-mate's customers and personal goals); the recipient's are checked again on save."""
    scope = scope_for(session, actor)
    query = select(Member.id, Member.name).where(Member.status != "left").order_by(Member.name)
    if not scope.everything:
        if actor.is_manager:
            query = query.where(Member.id.in_(sorted(scope.member_ids)))
        elif actor.team_id is not None:
            query = query.where(Member.team_id == actor.team_id)
        else:
            return PraiseTargets()
    people = {i: n for i, n in session.execute(query).all() if i != actor.member_id}
    if not people:
        return PraiseTargets()
    ids = list(people)
    goal_rows = session.execute(scoped(
        select(Goal.id, Goal.title, Goal.member_id).where(Goal.member_id.in_(ids), Goal.status == "active"), Goal, scope
    ).order_by(Goal.title).limit(500)).all()
    customer_rows = session.execute(scoped(
        select(Customer.id, Customer.name, Customer.owner_id).where(Customer.owner_id.in_(ids)), Customer, scope
    ).order_by(Customer.name).limit(500)).all()
    return PraiseTargets(
        people,
        {i: f"{t} ({people[m]})" for i, t, m in goal_rows},
        {i: f"{n} ({people[m]})" for i, n, m in customer_rows},
    )


@dataclass(frozen=True)
class FilterOptions:
    """The values the customer list's filters offer."""

    industries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    owners: dict[int, str] = field(default_factory=dict)
    teams: dict[int, str] = field(default_factory=dict)


def customer_filters(session: Session, actor: Actor) -> FilterOptions:
    """The choices for the customer list's filters: industries and regions present among the
    customers the actor may read, the people and teams they can see."""
    scope = scope_for(session, actor)
    visible = scope_clause(scope, Customer, collaborating=True)
    industries = list(session.scalars(select(Customer.industry).where(visible).distinct().order_by(Customer.industry)))
    regions = list(session.scalars(select(Customer.region).where(visible).distinct().order_by(Customer.region)))
    return FilterOptions(industries, regions, members(session, actor), teams(session, actor))


__all__ = [
    "CustomerPick", "FilterOptions", "PraiseTargets", "assignees", "colleagues", "complaint_customers", "customer_filters",
    "customers", "goals", "led_teams", "members", "members_by_team", "one_on_one_members", "praise_targets",
    "specialties", "team_tree", "teams",
]
