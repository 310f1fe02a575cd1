"""Who may see and change what: the one place that decides.

- admin: everything;
- manager: the teams they manage (`Team.manager_user_id`) and every sub-team below them, the members
  of those teams and everything those teams or members own;
- member: themselves and their own customers, tasks and goals (plus read access to their team's
  goals and their own team).

Every core read and write takes the acting user (`Actor`) and goes through `scope_for` plus either a
query filter (`*_filter`) for lists or `ensure(...)` for one record. Navigation hides pages, but it is
this module that refuses.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.errors import NotFound, PermissionDenied
from db.models import (
    Complaint,
    Customer,
    CustomerCollaborator,
    Deal,
    DealCollaborator,
    Evaluation,
    Feedback,
    Goal,
    Interaction,
    Member,
    OneOnOne,
    Survey,
    Task,
    Team,
    Training,
    TrainingAttendance,
    User,
)

READ = "read"
WRITE = "write"


@dataclass(frozen=True)
class Actor:
    """The signed-in user acting now."""

    user_id: int
    username: str
    role: str  # admin | manager | member
    display_name: str
    member_id: int | None = None
    team_id: int | None = None  # the member's own team, if any
    language: str = "zh"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


@dataclass(frozen=True)
class Scope:
    """What an actor can reach. For admins `everything` is True and the sets are unused."""

    actor: Actor
    everything: bool
    team_ids: frozenset[int]
    member_ids: frozenset[int]

    @property
    def own_member_id(self) -> int | None:
        return self.actor.member_id

    def has_team(self, team_id: int | None) -> bool:
        return self.everything or (team_id is not None and team_id in self.team_ids)

    def has_member(self, member_id: int | None) -> bool:
        return self.everything or (member_id is not None and member_id in self.member_ids)


def actor_for_user(session: Session, user: User) -> Actor:
    member = session.scalar(select(Member).where(Member.user_id == user.id))
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        display_name=user.display_name,
        member_id=member.id if member else None,
        team_id=member.team_id if member else None,
        language=user.language,
    )


def subtree_team_ids(session: Session, root_ids: set[int]) -> set[int]:
    """The given teams and every team below them (the team tree is small: one query, walk in memory)."""
    rows = session.execute(select(Team.id, Team.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for team_id, parent_id in rows:
        children.setdefault(parent_id, []).append(team_id)
    result: set[int] = set()
    stack = list(root_ids)
    while stack:
        team_id = stack.pop()
        if team_id in result:
            continue
        result.add(team_id)
        stack.extend(children.get(team_id, []))
    return result


_SCOPES = "clientcrew_scopes"


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_scopes(session: Session, *_args: Any) -> None:
    session.info.pop(_SCOPES, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_scopes_on_dml(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info.pop(_SCOPES, None)


def scope_for(session: Session, actor: Actor) -> Scope:
    """What `actor` can reach. Remembered in the session until it writes, commits or rolls back
    (one action checks the scope several times: loading, moving, warning)."""
    if actor.is_admin:
        return Scope(actor, True, frozenset(), frozenset())
    remembered = session.info.setdefault(_SCOPES, {})
    if actor in remembered and not (session.new or session.dirty or session.deleted):
        return remembered[actor]
    scope = _compute_scope(session, actor)
    session.info.setdefault(_SCOPES, {})[actor] = scope
    return scope


def _compute_scope(session: Session, actor: Actor) -> Scope:
    if actor.is_manager:
        managed = set(session.scalars(select(Team.id).where(Team.manager_user_id == actor.user_id)))
        team_ids = subtree_team_ids(session, managed)
        member_ids = set(session.scalars(select(Member.id).where(Member.team_id.in_(team_ids)))) if team_ids else set()
        if actor.member_id is not None:
            member_ids.add(actor.member_id)
        return Scope(actor, False, frozenset(team_ids), frozenset(member_ids))
    own = {actor.member_id} if actor.member_id is not None else set()
    return Scope(actor, False, frozenset(), frozenset(own))


# ---------------------------------------------------------------------------------------------
# Query filters for lists (use in WHERE clauses)
# ---------------------------------------------------------------------------------------------
def _ids(values: frozenset[int]) -> list[int]:
    return sorted(values)


def team_filter(scope: Scope) -> ColumnElement[bool]:
    if scope.everything:
        return true()
    if scope.actor.is_manager:
        return Team.id.in_(_ids(scope.team_ids)) if scope.team_ids else false()
    return Team.id == scope.actor.team_id if scope.actor.team_id is not None else false()


def member_filter(scope: Scope) -> ColumnElement[bool]:
    if scope.everything:
        return true()
    return Member.id.in_(_ids(scope.member_ids)) if scope.member_ids else false()


def _owned(team_col, member_col, scope: Scope) -> ColumnElement[bool]:
    if scope.everything:
        return true()
    clauses = []
    if scope.actor.is_manager and scope.team_ids and team_col is not None:
        clauses.append(team_col.in_(_ids(scope.team_ids)))
    if scope.actor.is_manager and scope.member_ids and member_col is not None:
        clauses.append(member_col.in_(_ids(scope.member_ids)))
    if not scope.actor.is_manager and scope.actor.member_id is not None and member_col is not None:
        clauses.append(member_col == scope.actor.member_id)
    return or_(*clauses) if clauses else false()


def customer_filter(scope: Scope) -> ColumnElement[bool]:
    """Customers the actor's scope owns (by team or owner): the ones it may manage and reassign."""
    return _owned(Customer.team_id, Customer.owner_id, scope)


def collaborating_customers(scope: Scope, member_ids=None):
    """Ids of customers on whose account team someone of the scope (or `member_ids`) works."""
    ids = _ids(frozenset(member_ids)) if member_ids is not None else _ids(scope.member_ids)
    return select(CustomerCollaborator.customer_id).where(CustomerCollaborator.member_id.in_(ids))


def customer_read_filter(scope: Scope) -> ColumnElement[bool]:
    """Customers the actor may see: owned ones plus those where someone of the scope is on the
    account team (collaborators see the customer, its communication and its deals)."""
    if scope.everything:
        return true()
    if not scope.member_ids:
        return customer_filter(scope)
    return or_(customer_filter(scope), Customer.id.in_(collaborating_customers(scope)))


def task_filter(scope: Scope) -> ColumnElement[bool]:
    return _owned(Task.team_id, Task.assignee_id, scope)


def goal_filter(scope: Scope) -> ColumnElement[bool]:
    """Members also read their own team's goals (team goals are collective)."""
    base = _owned(Goal.team_id, Goal.member_id, scope)
    if not scope.everything and not scope.actor.is_manager and scope.actor.team_id is not None:
        return or_(base, Goal.team_id == scope.actor.team_id)
    return base


def interaction_filter(scope: Scope) -> ColumnElement[bool]:
    """Interactions on visible customers (account teams included). Join Customer on
    Interaction.customer_id to use it."""
    return customer_read_filter(scope)


def deal_filter(scope: Scope) -> ColumnElement[bool]:
    """Deals on visible customers (account teams included), owned by visible members or worked on
    by them as deal collaborators. Join Customer on Deal.customer_id."""
    if scope.everything:
        return true()
    clauses = [customer_read_filter(scope), _owned(None, Deal.owner_id, scope)]
    if scope.member_ids:
        clauses.append(Deal.id.in_(select(DealCollaborator.deal_id).where(DealCollaborator.member_id.in_(_ids(scope.member_ids)))))
    return or_(*clauses)


def complaint_filter(scope: Scope) -> ColumnElement[bool]:
    """Complaints on visible customers or assigned to visible members. Join Customer on
    Complaint.customer_id to use it."""
    if scope.everything:
        return true()
    return or_(customer_filter(scope), _owned(Complaint.team_id, Complaint.assignee_id, scope))


def survey_filter(scope: Scope) -> ColumnElement[bool]:
    """Surveys on visible customers. Join Customer on Survey.customer_id to use it."""
    if scope.everything:
        return true()
    return or_(customer_filter(scope), _owned(None, Survey.member_id, scope))


def evaluation_filter(scope: Scope) -> ColumnElement[bool]:
    """Evaluations of visible members (release rules are the evaluations module's business)."""
    return _owned(None, Evaluation.member_id, scope)


def training_filter(scope: Scope) -> ColumnElement[bool]:
    """Trainings of visible teams; members see their team's trainings and those they attended."""
    if scope.everything:
        return true()
    if scope.actor.is_manager:
        return or_(Training.team_id.in_(_ids(scope.team_ids)), Training.team_id.is_(None)) if scope.team_ids else Training.team_id.is_(None)
    attended = select(TrainingAttendance.training_id).where(TrainingAttendance.member_id == scope.actor.member_id)
    clauses: list[ColumnElement[bool]] = [Training.id.in_(attended), Training.team_id.is_(None)]
    if scope.actor.team_id is not None:
        clauses.append(Training.team_id == scope.actor.team_id)
    return or_(*clauses)


def one_on_one_filter(scope: Scope) -> ColumnElement[bool]:
    """1:1 notes are private to the manager who holds them and the member: not even admins read
    other people's 1:1s."""
    clauses = [OneOnOne.manager_user_id == scope.actor.user_id]
    if scope.actor.member_id is not None:
        clauses.append(OneOnOne.member_id == scope.actor.member_id)
    return or_(*clauses)


def feedback_filter(scope: Scope) -> ColumnElement[bool]:
    """Anonymous feedback a reader may see (release in batches is the feedback module's rule):
    managers the feedback of their teams; members the feedback addressed to their own team."""
    if scope.everything:
        return true()
    if scope.actor.is_manager:
        return Feedback.team_id.in_(_ids(scope.team_ids)) if scope.team_ids else false()
    if scope.actor.team_id is None:
        return false()
    return (Feedback.team_id == scope.actor.team_id) & (Feedback.target == "team")


# ---------------------------------------------------------------------------------------------
# Single records
# ---------------------------------------------------------------------------------------------
def _owners(session: Session, record: Any) -> tuple[set[int], set[int]]:
    """(team ids, member ids) that own a record, for every kind of record."""
    def customer_owners(customer_id: int | None) -> tuple[set[int], set[int]]:
        if customer_id is None:
            return set(), set()
        row = session.execute(select(Customer.team_id, Customer.owner_id).where(Customer.id == customer_id)).first()
        if row is None:
            return set(), set()
        return {row[0]} - {None}, {row[1]} - {None}

    if isinstance(record, Team):
        return {record.id}, set()
    if isinstance(record, Member):
        return {record.team_id}, {record.id}
    if isinstance(record, Customer):
        return {record.team_id} - {None}, {record.owner_id} - {None}
    if isinstance(record, (Interaction, Deal, Survey)):
        teams, members = customer_owners(record.customer_id)
        own = record.owner_id if isinstance(record, Deal) else record.member_id
        if isinstance(record, Deal) and record.id is not None:  # deal collaborators work it too
            members |= set(session.scalars(select(DealCollaborator.member_id).where(DealCollaborator.deal_id == record.id)))
        return teams, members | ({own} - {None})
    if isinstance(record, Complaint):
        teams, members = customer_owners(record.customer_id)
        return teams | ({record.team_id} - {None}), members | ({record.assignee_id} - {None})
    if isinstance(record, Task):
        return {record.team_id}, {record.assignee_id} - {None}
    if isinstance(record, Goal):
        return {record.team_id} - {None}, {record.member_id} - {None}
    if isinstance(record, Evaluation):
        team_id = session.scalar(select(Member.team_id).where(Member.id == record.member_id))
        return {team_id} - {None}, {record.member_id}
    if isinstance(record, Training):
        return {record.team_id} - {None}, set()
    raise TypeError(f"no ownership rule for {type(record).__name__}")


def _account_team(session: Session, record: Any) -> set[int]:
    """Members on the account team of the customer a record belongs to: they may read it (the
    customer, its communication, its deals) but not change what they do not own."""
    if isinstance(record, Customer):
        customer_id = record.id
    elif isinstance(record, (Interaction, Deal)):
        customer_id = record.customer_id
    else:
        return set()
    if customer_id is None:
        return set()
    return set(session.scalars(select(CustomerCollaborator.member_id).where(CustomerCollaborator.customer_id == customer_id)))


# What a plain member may change on records they own (everything else is read-only to them).
_MEMBER_WRITABLE = (Task, Interaction, Complaint, Survey, Deal, Goal)


def allowed(session: Session, actor: Actor, action: str, record: Any, scope: Scope | None = None) -> bool:
    """True when `actor` may `action` (READ or WRITE) `record`."""
    if actor.is_admin:
        return True
    if isinstance(record, OneOnOne):
        return record.manager_user_id == actor.user_id or (
            actor.member_id is not None and record.member_id == actor.member_id and action == READ
        )
    scope = scope or scope_for(session, actor)
    if isinstance(record, Training) and action == READ:
        # one rule for a training's readers: the list's filter (org-wide, own teams, attended)
        return session.scalar(select(Training.id).where(Training.id == record.id, training_filter(scope))) is not None
    teams, members = _owners(session, record)
    if actor.is_manager:
        if bool(teams & scope.team_ids) or bool(members & scope.member_ids):
            return True
        return action == READ and bool(_account_team(session, record) & scope.member_ids)
    # member
    mine = actor.member_id is not None and actor.member_id in members
    if action == READ:
        if mine or (actor.member_id is not None and actor.member_id in _account_team(session, record)):
            return True
        if isinstance(record, Team):
            return record.id == actor.team_id
        if isinstance(record, Goal):
            return record.team_id is not None and record.team_id == actor.team_id
        return False
    if isinstance(record, Goal):
        return record.member_id is not None and record.member_id == actor.member_id
    return mine and isinstance(record, _MEMBER_WRITABLE)


def may_work_on(session: Session, actor: Actor, customer: Customer) -> bool:
    """Whether the actor may work on a customer: log communication, take tasks and deals on it.
    Admins and managers on customers they see; members on their own and on those whose account
    team they are on."""
    if not allowed(session, actor, READ, customer):
        return False
    if actor.is_admin or actor.is_manager:
        return True
    return actor.member_id is not None and (
        customer.owner_id == actor.member_id or actor.member_id in _account_team(session, customer)
    )


def ensure(session: Session, actor: Actor, action: str, record: Any, scope: Scope | None = None) -> None:
    """Raise PermissionDenied unless `allowed`."""
    if not allowed(session, actor, action, record, scope):
        raise PermissionDenied("error.permission_denied")


def load(session: Session, actor: Actor, model: type, record_id: int, action: str = READ) -> Any:
    """The record with this id, checked for `action`: NotFound when it does not exist,
    PermissionDenied when the actor may not `action` it."""
    record: Any = session.get(model, record_id)
    if record is None:
        raise NotFound("error.not_found")
    ensure(session, actor, action, record)
    return record


def ensure_role(actor: Actor, *roles: str) -> None:
    """For actions that only some roles take at all (e.g. admin pages, creating teams)."""
    if actor.role not in roles:
        raise PermissionDenied("error.permission_denied")


def ensure_team(scope: Scope, team_id: int | None) -> None:
    """A target team (moving a member, assigning a customer) must be inside the actor's scope."""
    if not scope.everything and not (scope.actor.is_manager and team_id in scope.team_ids):
        raise PermissionDenied("error.permission_denied")


def ensure_member(scope: Scope, member_id: int | None) -> None:
    """A target member (new owner, new assignee) must be inside the actor's scope."""
    if member_id is None:
        return
    if not scope.has_member(member_id):
        raise PermissionDenied("error.permission_denied")


__all__ = [
    "READ",
    "WRITE",
    "Actor",
    "Scope",
    "actor_for_user",
    "scope_for",
    "subtree_team_ids",
    "allowed",
    "may_work_on",
    "ensure",
    "load",
    "ensure_role",
    "ensure_team",
    "ensure_member",
    "team_filter",
    "member_filter",
    "customer_filter",
    "customer_read_filter",
    "collaborating_customers",
    "task_filter",
    "goal_filter",
    "interaction_filter",
    "deal_filter",
    "complaint_filter",
    "survey_filter",
    "evaluation_filter",
    "training_filter",
    "one_on_one_filter",
    "feedback_filter",
]


# ---------------------------------------------------------------------------------------------
# Issue 17: one scope helper for queries and for records being linked
# ---------------------------------------------------------------------------------------------
def _record_filters() -> dict[type, Any]:
    return {
        Team: team_filter, Member: member_filter, Customer: customer_filter, Task: task_filter, Goal: goal_filter,
        Deal: deal_filter, Complaint: complaint_filter, Survey: survey_filter, Evaluation: evaluation_filter,
        Training: training_filter, OneOnOne: one_on_one_filter, Feedback: feedback_filter,
    }


_NEEDS_CUSTOMER_JOIN = (Interaction,)


def scope_clause(scope: Scope, model: type, *, collaborating: bool = False) -> ColumnElement[bool]:
    """The WHERE clause limiting `model` rows to what the scope reaches: the one place a list query
    gets its record rule from (interactions: join Customer on Interaction.customer_id). Customers:
    the book the scope owns, or with `collaborating` also those its members work on as account
    team (what they may read)."""
    if model in _NEEDS_CUSTOMER_JOIN:
        return interaction_filter(scope)
    if model is Customer and collaborating:
        return customer_read_filter(scope)
    try:
        return _record_filters()[model](scope)
    except KeyError:
        raise TypeError(f"no record rule for {model.__name__}") from None


def scoped(statement: Any, model: type, scope: Scope) -> Any:
    """`statement` (a select over `model`) limited by its record rule."""
    if model in _NEEDS_CUSTOMER_JOIN:
        statement = statement.join(Customer, Customer.id == Interaction.customer_id)
    return statement.where(scope_clause(scope, model))


def visible_ids(session: Session, scope: Scope, model: Any, ids: Any) -> set[int]:
    """Which of `ids` the scope reaches (for pickers and for ids a client sent back)."""
    wanted = sorted({int(i) for i in ids if isinstance(i, int) and not isinstance(i, bool)})
    if not wanted:
        return set()
    return set(session.scalars(scoped(select(model.id).where(model.id.in_(wanted)), model, scope)))


def linked(session: Session, actor: Actor, model: type, record_id: Any, action: str = READ) -> Any:
    """A record being linked to another (an interaction to a complaint, a goal or customer to a
    praise, an action item's source): NotFound unless it exists AND the actor may `action` it, so
    a link never reveals or reaches another team's record."""
    try:
        rid = int(record_id)
    except (TypeError, ValueError):
        raise NotFound("error.not_found") from None
    record: Any = session.get(model, rid)
    if record is None or not allowed(session, actor, action, record):
        raise NotFound("error.not_found")
    return record
