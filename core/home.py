"""What Home shows: a team summary for managers and admins, a personal summary for members."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.communication import follow_up_due_by, follow_up_overdue
from core.permissions import Actor, scope_clause, scope_for
from db.models import Customer, Goal, Member, Task, Team


@dataclass(frozen=True)
class TeamRow:
    team_id: int
    name: str
    parent: str | None
    members: int
    customers: int
    open_tasks: int
    overdue_tasks: int
    overdue_follow_ups: int


@dataclass
class TeamSummary:
    teams: list[TeamRow] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        return {
            "members": sum(r.members for r in self.teams),
            "customers": sum(r.customers for r in self.teams),
            "open_tasks": sum(r.open_tasks for r in self.teams),
            "overdue_tasks": sum(r.overdue_tasks for r in self.teams),
            "overdue_follow_ups": sum(r.overdue_follow_ups for r in self.teams),
        }


def team_summary(session: Session, actor: Actor, today: date | None = None) -> TeamSummary:
    """One row per visible team: people, customer book, open and overdue work. Aggregated in the
    database (four grouped queries), whatever the number of customers."""
    today = today or date.today()
    scope = scope_for(session, actor)
    teams = session.execute(
        select(Team.id, Team.name, Team.parent_id).where(scope_clause(scope, Team), Team.archived_at.is_(None)).order_by(Team.parent_id.is_not(None), Team.name)
    ).all()
    if not teams:
        return TeamSummary()
    ids = [t.id for t in teams]
    names = {t.id: t.name for t in teams}
    members = dict(session.execute(
        select(Member.team_id, func.count()).where(Member.team_id.in_(ids), Member.status != "left").group_by(Member.team_id)
    ).all())
    customers = {
        team_id: (total, overdue or 0)
        for team_id, total, overdue in session.execute(
            select(Customer.team_id, func.count(), func.sum(case((follow_up_overdue(today), 1), else_=0)))
            .where(Customer.team_id.in_(ids), Customer.archived_at.is_(None), scope_clause(scope, Customer))
            .group_by(Customer.team_id)
        ).all()
    }
    tasks = {
        team_id: (open_, overdue or 0)
        for team_id, open_, overdue in session.execute(
            select(Task.team_id, func.count(), func.sum(case((Task.due_date < today, 1), else_=0)))
            .where(Task.team_id.in_(ids), Task.status != "done", Task.archived_at.is_(None), scope_clause(scope, Task))
            .group_by(Task.team_id)
        ).all()
    }
    rows = [
        TeamRow(
            team_id=t.id,
            name=t.name,
            parent=names.get(t.parent_id) if t.parent_id else None,
            members=members.get(t.id, 0),
            customers=customers.get(t.id, (0, 0))[0],
            open_tasks=tasks.get(t.id, (0, 0))[0],
            overdue_tasks=tasks.get(t.id, (0, 0))[1],
            overdue_follow_ups=customers.get(t.id, (0, 0))[1],
        )
        for t in teams
    ]
    return TeamSummary(rows)


@dataclass
class MemberSummary:
    tasks: list[dict] = field(default_factory=list)
    follow_ups: list[dict] = field(default_factory=list)
    goals: list[dict] = field(default_factory=list)


def member_summary(session: Session, actor: Actor, today: date | None = None, limit: int = 10) -> MemberSummary:
    """A member's own open tasks (soonest due first), customers due for follow-up, and goals."""
    today = today or date.today()
    if actor.member_id is None:
        return MemberSummary()
    tasks = session.execute(
        select(Task.id, Task.title, Task.status, Task.due_date, Task.progress, Customer.name)
        .outerjoin(Customer, Customer.id == Task.customer_id)
        .where(Task.assignee_id == actor.member_id, Task.status != "done", Task.archived_at.is_(None))
        .order_by(Task.due_date.is_(None), Task.due_date, Task.id)
        .limit(limit)
    ).all()
    follow_ups = session.execute(
        select(Customer.id, Customer.name, Customer.tier, Customer.next_follow_up)
        .where(Customer.owner_id == actor.member_id, follow_up_due_by(today))
        .order_by(Customer.next_follow_up, Customer.name)
        .limit(limit)
    ).all()
    goals = session.execute(
        select(Goal.id, Goal.title, Goal.metric, Goal.target, Goal.unit, Goal.end_date)
        .where(Goal.member_id == actor.member_id, Goal.status == "active", Goal.end_date >= today)
        .order_by(Goal.end_date)
        .limit(limit)
    ).all()
    return MemberSummary(
        tasks=[
            {"id": r.id, "title": r.title, "status": r.status, "due_date": r.due_date, "progress": r.progress,
             "customer": r.name, "overdue": r.due_date is not None and r.due_date < today}
            for r in tasks
        ],
        follow_ups=[
            {"id": r.id, "name": r.name, "tier": r.tier, "due": r.next_follow_up, "days_overdue": (today - r.next_follow_up).days}
            for r in follow_ups
        ],
        goals=[
            {"id": r.id, "title": r.title, "metric": r.metric, "target": r.target, "unit": r.unit, "end_date": r.end_date}
            for r in goals
        ],
    )
