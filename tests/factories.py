"""A small, fixed organisation for rule and permission tests.

    Org (admin sees all)
    ├── Team A   (manager_a manages; lead member "Lead A" is manager_a's own member record)
    │   └── Team A1 (sub-team)  members: a1 (user member_a1), a2 (no login)
    └── Team B   (manager_b manages)  members: b1 (user member_b1)

Each member owns one customer and one task; each member and team has a goal. Tests add what else
they need with the `make_*` helpers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import hash_password
from core.permissions import Actor, actor_for_user
from db.models import Customer, Goal, Member, Role, Task, Team, User

PASSWORD = "secret123"
_HASH_CACHE: dict[str, str] = {}


def password_hash(password: str = PASSWORD) -> str:
    if password not in _HASH_CACHE:
        _HASH_CACHE[password] = hash_password(password)
    return _HASH_CACHE[password]


def role_id(session: Session, code: str) -> int:
    return session.scalar(select(Role.id).where(Role.code == code))


def make_user(session: Session, username: str, role: str, display_name: str | None = None, **kw: Any) -> User:
    user = User(
        username=username,
        display_name=display_name or username.replace("_", " ").title(),
        email=kw.pop("email", f"{username}@example.com"),
        password_hash=kw.pop("password_hash", password_hash()),
        role=role,
        language=kw.pop("language", "en"),
        **kw,
    )
    session.add(user)
    session.flush()
    return user


def make_team(session: Session, name: str, parent: Team | None = None, manager: User | None = None, **kw: Any) -> Team:
    team = Team(name=name, parent_id=parent.id if parent else None, manager_user_id=manager.id if manager else None, **kw)
    session.add(team)
    session.flush()
    return team


def make_member(
    session: Session, name: str, team: Team, role: str = "account_manager", user: User | None = None, **kw: Any
) -> Member:
    member = Member(
        name=name,
        team_id=team.id,
        role_id=role_id(session, role),
        user_id=user.id if user else None,
        email=kw.pop("email", f"{name.lower().replace(' ', '.')}@example.com"),
        **kw,
    )
    session.add(member)
    session.flush()
    return member


def make_customer(session: Session, name: str, owner: Member | None, team: Team | None = None, **kw: Any) -> Customer:
    customer = Customer(
        name=name,
        industry=kw.pop("industry", "retail"),
        size=kw.pop("size", "medium"),
        region=kw.pop("region", "华东"),
        tier=kw.pop("tier", "B"),
        owner_id=owner.id if owner else None,
        team_id=(team.id if team else (owner.team_id if owner else None)),
        **kw,
    )
    session.add(customer)
    session.flush()
    return customer


def make_task(session: Session, title: str, team: Team, assignee: Member | None = None, **kw: Any) -> Task:
    task = Task(title=title, team_id=team.id, assignee_id=assignee.id if assignee else None, **kw)
    session.add(task)
    session.flush()
    return task


def make_goal(session: Session, title: str, *, team: Team | None = None, member: Member | None = None, **kw: Any) -> Goal:
    today = date.today()
    goal = Goal(
        title=title,
        team_id=team.id if team else None,
        member_id=member.id if member else None,
        metric=kw.pop("metric", "manual"),
        target=kw.pop("target", 100.0),
        start_date=kw.pop("start_date", today - timedelta(days=30)),
        end_date=kw.pop("end_date", today + timedelta(days=60)),
        **kw,
    )
    session.add(goal)
    session.flush()
    return goal


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    goals: dict[str, Goal] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)


def build_world(session: Session) -> World:
    w = World()
    for name, role in [("admin", "admin"), ("manager_a", "manager"), ("manager_b", "manager"), ("member_a1", "member"), ("member_b1", "member")]:
        w.users[name] = make_user(session, name, role)
    w.teams["A"] = make_team(session, "Team A", manager=w.users["manager_a"])
    w.teams["A1"] = make_team(session, "Team A1", parent=w.teams["A"])
    w.teams["B"] = make_team(session, "Team B", manager=w.users["manager_b"])
    w.members["lead_a"] = make_member(session, "Lead A", w.teams["A"], role="team_lead", user=w.users["manager_a"])
    w.members["a1"] = make_member(session, "Alice A1", w.teams["A1"], user=w.users["member_a1"], max_customers=3, max_open_tasks=3)
    w.members["a2"] = make_member(session, "Aaron A2", w.teams["A1"], role="cs_specialist", max_customers=3, max_open_tasks=3)
    w.members["b1"] = make_member(session, "Bella B1", w.teams["B"], user=w.users["member_b1"], max_customers=3, max_open_tasks=3)
    w.teams["A"].leader_id = w.members["lead_a"].id
    for key in ("a1", "a2", "b1"):
        member = w.members[key]
        team = session.get(Team, member.team_id)
        w.customers[key] = make_customer(session, f"Customer of {member.name}", member)
        w.tasks[key] = make_task(session, f"Task of {member.name}", team, member)
        w.goals[key] = make_goal(session, f"Goal of {member.name}", member=member)
    w.goals["A"] = make_goal(session, "Goal of Team A", team=w.teams["A"])
    w.goals["B"] = make_goal(session, "Goal of Team B", team=w.teams["B"])
    session.flush()
    for name, user in w.users.items():
        w.actors[name] = actor_for_user(session, user)
    return w


def make_deal(session: Session, title: str, customer: Customer, owner: Member | None, **kw: Any):
    """A deal in the built-in stages (open 'lead' unless told), with the stage's probability."""
    from db.base import utcnow
    from db.models import Deal, DealStage

    stage = kw.pop("stage", "lead")
    probability = kw.pop("probability", None)
    if probability is None:
        probability = session.scalar(select(DealStage.probability).where(DealStage.code == stage))
    now = utcnow()
    deal = Deal(title=title, customer_id=customer.id, owner_id=owner.id if owner else None, stage=stage,
                probability=probability, value=kw.pop("value", 1000), currency=kw.pop("currency", "CNY"),
                stage_entered_at=kw.pop("stage_entered_at", now), created_at=kw.pop("created_at", now), **kw)
    session.add(deal)
    session.flush()
    return deal
