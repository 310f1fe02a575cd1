"""The whole ClientCrew domain as typed SQLAlchemy 2 models.

Enumerations are stored as short strings guarded by CHECK constraints (portable across SQLite and
PostgreSQL); the allowed values live here once, as tuples, and core/ imports them. Constraints in the
schema are the last line of defence behind the validation in core/.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, utcnow

# ---------------------------------------------------------------------------------------------
# Allowed values (one place)
# ---------------------------------------------------------------------------------------------
USER_ROLES = ("admin", "manager", "member")
LANGUAGES = ("zh", "en")
TEAM_KINDS = ("core", "support", "management")
MEMBER_STATUSES = ("active", "leaving", "left")
SPECIALTY_KINDS = ("industry", "region", "size", "product", "language")
RACI = ("R", "A", "C", "I")
CUSTOMER_SIZES = ("small", "medium", "large", "enterprise")
CUSTOMER_TIERS = ("A", "B", "C")
CUSTOMER_STATUSES = ("prospect", "active", "churned")
CHANNELS = ("phone", "email", "visit", "wechat", "meeting", "other")
DEAL_STAGES = (  # the built-in stage codes (seeded by migration 0007; the workspace may add more)
    "lead", "qualified", "proposal", "negotiation", "won", "lost")
TASK_STATUSES = ("todo", "in_progress", "blocked", "done")
GOAL_METRICS = (
    "sales_won",
    "new_customers",
    "csat_avg",
    "nps",
    "retention_rate",
    "first_response_hours",
    "resolution_rate",
    "follow_ups_done",
    "tasks_on_time",
    "deals_new",
    "win_rate",
    "pipeline_created",
    "manual",
    # Issue 14: contact-centre call records
    "call_answer_rate",
    "call_first_contact_resolution",
    "call_speed_of_answer",
    "call_handle_time",
    "call_csat",
)
GOAL_STATUSES = ("active", "archived")
SEVERITIES = ("low", "medium", "high", "critical")
COMPLAINT_STATUSES = ("open", "responded", "waiting", "resolved")  # waiting (on the customer) pauses the clock
CYCLE_KINDS = ("month", "quarter", "custom")
CYCLE_STATUSES = ("draft", "open", "released")
CRITERION_KINDS = ("measured", "rated")
RATER_KINDS = ("manager", "self", "peer")
FEEDBACK_TARGETS = ("team", "manager")
REWARD_KINDS = ("bonus", "gift", "extra_leave", "promotion")
REWARD_STATUSES = ("suggested", "confirmed", "rejected")
REWARD_RULE_METRICS = ("evaluation_score", "goal_attainment")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


# ---------------------------------------------------------------------------------------------
# People and organisation
# ---------------------------------------------------------------------------------------------
class User(Base):
    """A login. Members may or may not have one; admins and managers always do."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", USER_ROLES), name="role"),
        CheckConstraint(_in("language", LANGUAGES), name="language"),
        CheckConstraint("failed_logins >= 0", name="failed_logins"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Issue 11: a one-time password from the roster must be replaced at the first sign-in, and
    # managers see who has not signed in yet.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_login_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    member: Mapped[Optional["Member"]] = relationship(back_populates="user", uselist=False)


class Team(Base):
    """A team or sub-team. `manager_user_id` decides visibility: a manager sees the teams they
    manage and every sub-team below them."""

    __tablename__ = "teams"
    __table_args__ = (
        CheckConstraint(_in("kind", TEAM_KINDS), name="kind"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        UniqueConstraint("parent_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default="core")
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"), index=True)
    manager_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    leader_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL", use_alter=True), index=True
    )
    description: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    archived_at: Mapped[Optional[datetime]] = mapped_column(DateTime)  # issue 12: out of the tree, kept for history

    parent: Mapped[Optional["Team"]] = relationship(remote_side="Team.id", back_populates="children")
    children: Mapped[list["Team"]] = relationship(back_populates="parent")
    members: Mapped[list["Member"]] = relationship(back_populates="team", foreign_keys="Member.team_id")
    leader: Mapped[Optional["Member"]] = relationship(foreign_keys=[leader_id], post_update=True)


class Role(Base):
    """The managed list of member roles (account manager, CS specialist, ...)."""

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Member(Base):
    """A person on a team. Capacity bounds assignment and task load."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint(_in("status", MEMBER_STATUSES), name="status"),
        CheckConstraint("max_customers >= 0", name="max_customers"),
        CheckConstraint("max_open_tasks >= 0", name="max_open_tasks"),
        CheckConstraint("manager_id IS NULL OR manager_id <> id", name="not_own_manager"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    email: Mapped[Optional[str]] = mapped_column(String(255), unique=True)
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"), index=True)
    manager_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="RESTRICT"), index=True)
    max_customers: Mapped[int] = mapped_column(Integer, default=40)
    max_open_tasks: Mapped[int] = mapped_column(Integer, default=15)
    status: Mapped[str] = mapped_column(String(16), default="active")
    joined_on: Mapped[Optional[date]] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[Optional[User]] = relationship(back_populates="member")
    team: Mapped[Team] = relationship(back_populates="members", foreign_keys=[team_id])
    manager: Mapped[Optional["Member"]] = relationship(remote_side="Member.id")
    role: Mapped[Role] = relationship()
    specialties: Mapped[list["MemberSpecialty"]] = relationship(
        back_populates="member", cascade="all, delete-orphan"
    )


class MemberSpecialty(Base):
    """A tag on a member: an industry, region, customer size, product or language they cover."""

    __tablename__ = "member_specialties"
    __table_args__ = (
        CheckConstraint(_in("kind", SPECIALTY_KINDS), name="kind"),
        UniqueConstraint("member_id", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(60))

    member: Mapped[Member] = relationship(back_populates="specialties")


class Responsibility(Base):
    """A row of the roles-and-responsibilities (RACI) table."""

    __tablename__ = "responsibilities"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[Optional[str]] = mapped_column(Text)

    assignments: Mapped[list["ResponsibilityAssignment"]] = relationship(
        back_populates="responsibility", cascade="all, delete-orphan"
    )


class ResponsibilityAssignment(Base):
    """One RACI cell: a role or a named member, and their letter for a responsibility."""

    __tablename__ = "responsibility_assignments"
    __table_args__ = (
        CheckConstraint(_in("raci", RACI), name="raci"),
        CheckConstraint("(role_id IS NULL) <> (member_id IS NULL)", name="role_xor_member"),
        UniqueConstraint("responsibility_id", "role_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    responsibility_id: Mapped[int] = mapped_column(ForeignKey("responsibilities.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[Optional[int]] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    raci: Mapped[str] = mapped_column(String(1))

    responsibility: Mapped[Responsibility] = relationship(back_populates="assignments")


# ---------------------------------------------------------------------------------------------
# Customers, assignment, communication, deals
# ---------------------------------------------------------------------------------------------
class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint(_in("size", CUSTOMER_SIZES), name="size"),
        CheckConstraint(_in("tier", CUSTOMER_TIERS), name="tier"),
        CheckConstraint(_in("status", CUSTOMER_STATUSES), name="status"),
        Index("ix_customers_team_owner", "team_id", "owner_id"),
        Index("ix_customers_owner_next_follow_up", "owner_id", "next_follow_up"),
        Index("ix_customers_owner_status_created", "owner_id", "status", "created_at"),  # metric queries
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    industry: Mapped[str] = mapped_column(String(60), index=True)
    size: Mapped[str] = mapped_column(String(16), index=True)
    region: Mapped[str] = mapped_column(String(60), index=True)
    tier: Mapped[str] = mapped_column(String(1), default="B", index=True)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    # Denormalised for fast "follow-up overdue" filters at 100,000 customers; maintained by core.
    last_contact_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    next_follow_up: Mapped[Optional[date]] = mapped_column(Date, index=True)
    notes: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # Issue 17: bumped by every edit; an edit based on an older version is refused (core.versions).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    archived_at: Mapped[Optional[datetime]] = mapped_column(DateTime)  # issue 12: hidden from lists, kept for history

    owner: Mapped[Optional[Member]] = relationship(foreign_keys=[owner_id])
    team: Mapped[Optional[Team]] = relationship(foreign_keys=[team_id])
    contacts: Mapped[list["Contact"]] = relationship(back_populates="customer", cascade="all, delete-orphan")


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[Optional[str]] = mapped_column(String(120))
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    email: Mapped[Optional[str]] = mapped_column(String(255))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class AssignmentHistory(Base):
    """Every change of a customer's owner: from, to, who, when, why."""

    __tablename__ = "assignment_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    from_member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    to_member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    changed_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(300))


class AssignmentRule(Base):
    """Maps a customer type (industry, size, region; None means any) to a team or a member."""

    __tablename__ = "assignment_rules"
    __table_args__ = (
        CheckConstraint("target_team_id IS NOT NULL OR target_member_id IS NOT NULL", name="has_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    industry: Mapped[Optional[str]] = mapped_column(String(60))
    size: Mapped[Optional[str]] = mapped_column(String(16))
    region: Mapped[Optional[str]] = mapped_column(String(60))
    target_team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    target_member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FollowUpCadence(Base):
    """Days between follow-ups for a customer tier, per team (defaults in core when absent)."""

    __tablename__ = "follow_up_cadences"
    __table_args__ = (
        CheckConstraint(_in("tier", CUSTOMER_TIERS), name="tier"),
        CheckConstraint("days > 0", name="days"),
        UniqueConstraint("team_id", "tier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    tier: Mapped[str] = mapped_column(String(1))
    days: Mapped[int] = mapped_column(Integer)


class Interaction(Base):
    """One logged communication with a customer."""

    __tablename__ = "interactions"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        Index("ix_interactions_customer_time", "customer_id", "occurred_at"),
        Index("ix_interactions_member_time", "member_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[Optional[str]] = mapped_column(String(200))
    next_follow_up: Mapped[Optional[date]] = mapped_column(Date)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Deal(Base):
    """A sales opportunity on a customer. `stage` names a row of `deal_stages` (by code, so imports
    and exports speak the stage's code); `version` enables optimistic concurrency like tasks."""

    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value"),
        CheckConstraint("probability >= 0 AND probability <= 100", name="probability"),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_deals_owner_stage_closed", "owner_id", "stage", "closed_on"),
        Index("ix_deals_stage_expected_close", "stage", "expected_close"),
        Index("ix_deals_owner_created", "owner_id", "created_at"),
        # Covering indexes (read from the index alone, never the wide rows): the pipeline's columns,
        # largest first, and their totals; the forecast's per-owner aggregates.
        Index("ix_deals_stage_value", "stage", "value", "probability", "currency", "expected_close", "closed_on",
              "owner_id"),
        Index("ix_deals_forecast", "owner_id", "stage", "closed_on", "expected_close", "value", "probability",
              "in_commit", "currency", "stage_entered_at", "created_at"),
        Index("ix_deals_stage_entered_at", "stage_entered_at"),  # stuck deals, longest in their stage first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # the amount
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    stage: Mapped[str] = mapped_column(ForeignKey("deal_stages.code", ondelete="RESTRICT"), default="lead")
    probability: Mapped[int] = mapped_column(Integer, default=10)  # % chance to win; the stage's default
    expected_close: Mapped[Optional[date]] = mapped_column(Date)
    closed_on: Mapped[Optional[date]] = mapped_column(Date)  # the day it was won or lost
    next_step: Mapped[Optional[str]] = mapped_column(String(200))
    source: Mapped[Optional[str]] = mapped_column(String(60))
    in_commit: Mapped[bool] = mapped_column(Boolean, default=False)  # the owner commits it to the forecast
    close_reason: Mapped[Optional[str]] = mapped_column(String(300))  # why won or lost
    stage_entered_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[Optional[datetime]] = mapped_column(DateTime)


# ---------------------------------------------------------------------------------------------
# Tasks and goals
# ---------------------------------------------------------------------------------------------
class Task(Base):
    """A unit of work on the board. `version` enables optimistic concurrency: a move states the
    version it saw and fails if anyone changed the task since."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(_in("status", TASK_STATUSES), name="status"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
        CheckConstraint("importance IN (0, 1)", name="importance"),
        CheckConstraint("urgency IN (0, 1)", name="urgency"),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_tasks_team_status", "team_id", "status"),
        Index("ix_tasks_assignee_status", "assignee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[Optional[str]] = mapped_column(Text)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"))
    assignee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    customer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    goal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="todo")
    importance: Mapped[int] = mapped_column(Integer, default=0)
    urgency: Mapped[int] = mapped_column(Integer, default=0)
    due_date: Mapped[Optional[date]] = mapped_column(Date, index=True)
    position: Mapped[float] = mapped_column(Float, default=0.0)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    archived_at: Mapped[Optional[datetime]] = mapped_column(DateTime)  # issue 12: off the board, kept for history

    assignee: Mapped[Optional[Member]] = relationship(foreign_keys=[assignee_id])
    customer: Mapped[Optional[Customer]] = relationship(foreign_keys=[customer_id])


class TaskNote(Base):
    """A progress note a member leaves on a task (My tasks)."""

    __tablename__ = "task_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Goal(Base):
    """A SMART target owned by exactly one team or member, optionally decomposed from a parent."""

    __tablename__ = "goals"
    __table_args__ = (
        CheckConstraint(_in("metric", GOAL_METRICS), name="metric"),
        CheckConstraint(_in("status", GOAL_STATUSES), name="status"),
        CheckConstraint("(team_id IS NULL) <> (member_id IS NULL)", name="one_owner"),
        CheckConstraint("end_date >= start_date", name="period"),
        CheckConstraint("importance IN (0, 1)", name="importance"),
        CheckConstraint("urgency IN (0, 1)", name="urgency"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(32))
    target: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20), default="")
    baseline: Mapped[float] = mapped_column(Float, default=0.0)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"), index=True)
    importance: Mapped[int] = mapped_column(Integer, default=1)
    urgency: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # issue 17


class CheckIn(Base):
    """A self-reported value for a goal (the only source for manual metrics)."""

    __tablename__ = "check_ins"
    __table_args__ = (
        CheckConstraint("confidence >= 1 AND confidence <= 5", name="confidence"),
        Index("ix_check_ins_goal_time", "goal_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Float)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    confidence: Mapped[int] = mapped_column(Integer, default=3)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# ---------------------------------------------------------------------------------------------
# Service quality
# ---------------------------------------------------------------------------------------------
class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        CheckConstraint(_in("status", COMPLAINT_STATUSES), name="status"),
        CheckConstraint("first_response_at IS NULL OR first_response_at >= opened_at", name="response_after_open"),
        CheckConstraint("resolved_at IS NULL OR resolved_at >= opened_at", name="resolved_after_open"),
        Index("ix_complaints_assignee_opened", "assignee_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[Optional[int]] = mapped_column(ForeignKey("interactions.id", ondelete="SET NULL"))
    team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    assignee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    severity: Mapped[str] = mapped_column(String(16), default="medium")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[Optional[str]] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    first_response_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    resolved_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # issue 17
    resolution_note: Mapped[Optional[str]] = mapped_column(Text)  # issue 12: what was done, required to resolve


class ServiceTarget(Base):
    """Response and resolution targets per severity, configurable per team (seconds, so tests can
    use targets of a few seconds)."""

    __tablename__ = "service_targets"
    __table_args__ = (
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        CheckConstraint("response_seconds > 0 AND resolution_seconds > 0", name="positive"),
        UniqueConstraint("team_id", "severity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    severity: Mapped[str] = mapped_column(String(16))
    response_seconds: Mapped[int] = mapped_column(Integer)
    resolution_seconds: Mapped[int] = mapped_column(Integer)


class Survey(Base):
    """A satisfaction response: CSAT 1-5 and/or NPS 0-10."""

    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint("csat IS NULL OR (csat >= 1 AND csat <= 5)", name="csat"),
        CheckConstraint("nps IS NULL OR (nps >= 0 AND nps <= 10)", name="nps"),
        CheckConstraint("csat IS NOT NULL OR nps IS NOT NULL", name="has_score"),
        Index("ix_surveys_member_time", "member_id", "responded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[Optional[int]] = mapped_column(ForeignKey("interactions.id", ondelete="SET NULL"))
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    csat: Mapped[Optional[int]] = mapped_column(Integer)
    nps: Mapped[Optional[int]] = mapped_column(Integer)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    responded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Notification(Base):
    """An in-app notice (e.g. a service-target breach escalated to the assignee's manager)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str] = mapped_column(String(80))
    message: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[Optional[datetime]] = mapped_column(DateTime)


# ---------------------------------------------------------------------------------------------
# Evaluations, feedback, recognition
# ---------------------------------------------------------------------------------------------
class ScorecardTemplate(Base):
    __tablename__ = "scorecard_templates"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))

    criteria: Mapped[list["Criterion"]] = relationship(
        back_populates="template", cascade="all, delete-orphan", order_by="Criterion.position"
    )


class Criterion(Base):
    """A weighted scorecard line: measured from the records (metric) or rated 1-5 by people."""

    __tablename__ = "criteria"
    __table_args__ = (
        CheckConstraint(_in("kind", CRITERION_KINDS), name="kind"),
        CheckConstraint("weight >= 0 AND weight <= 100", name="weight"),
        CheckConstraint("kind = 'rated' OR metric IS NOT NULL", name="measured_has_metric"),
        UniqueConstraint("template_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("scorecard_templates.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    metric: Mapped[Optional[str]] = mapped_column(String(32))
    weight: Mapped[int] = mapped_column(Integer)
    # Scaling of a measured value to 1-5: thresholds for scores 2..5, ascending (or descending when
    # lower is better), e.g. {"thresholds": [60, 70, 80, 90], "higher_is_better": true}.
    scale: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0)

    template: Mapped[ScorecardTemplate] = relationship(back_populates="criteria")


class EvaluationCycle(Base):
    __tablename__ = "evaluation_cycles"
    __table_args__ = (
        CheckConstraint(_in("kind", CYCLE_KINDS), name="kind"),
        CheckConstraint(_in("status", CYCLE_STATUSES), name="status"),
        CheckConstraint("end_date >= start_date", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("scorecard_templates.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default="quarter")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    released_at: Mapped[Optional[datetime]] = mapped_column(DateTime)


class Evaluation(Base):
    """One member's scorecard in a cycle; `total` is the weighted score once computed."""

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("cycle_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cycles.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    total: Mapped[Optional[float]] = mapped_column(Float)
    summary: Mapped[Optional[str]] = mapped_column(Text)
    computed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # issue 17


class Rating(Base):
    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint(_in("rater_kind", RATER_KINDS), name="rater_kind"),
        CheckConstraint("score >= 1 AND score <= 5", name="score"),
        UniqueConstraint("evaluation_id", "criterion_id", "rater_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"))
    rater_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rater_kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PeerReviewer(Base):
    """A peer chosen by the manager to rate a member in a cycle."""

    __tablename__ = "peer_reviewers"
    __table_args__ = (UniqueConstraint("evaluation_id", "reviewer_member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    reviewer_member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))


class OneOnOne(Base):
    """1:1 notes, private to the manager and the member."""

    __tablename__ = "one_on_ones"

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    agenda: Mapped[Optional[str]] = mapped_column(Text)
    notes: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Feedback(Base):
    """Anonymous feedback. Deliberately no author column and only a period (not a timestamp), so
    nothing here links an item to its sender."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(_in("target", FEEDBACK_TARGETS), name="target"),
        Index("ix_feedback_team_period", "team_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    body: Mapped[str] = mapped_column(Text)
    released: Mapped[bool] = mapped_column(Boolean, default=False)


class Recognition(Base):
    """Praise on the wall: who, for what, linked to a goal or customer."""

    __tablename__ = "recognitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    goal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"))
    customer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RewardRule(Base):
    """A transparent threshold: when a member's metric reaches it, suggest this reward."""

    __tablename__ = "reward_rules"
    __table_args__ = (
        CheckConstraint(_in("metric", REWARD_RULE_METRICS), name="metric"),
        CheckConstraint(_in("reward_kind", REWARD_KINDS), name="reward_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(32))
    threshold: Mapped[float] = mapped_column(Float)
    reward_kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    description: Mapped[Optional[str]] = mapped_column(String(200))


class Reward(Base):
    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint(_in("kind", REWARD_KINDS), name="kind"),
        CheckConstraint(_in("status", REWARD_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    cycle_id: Mapped[Optional[int]] = mapped_column(ForeignKey("evaluation_cycles.id", ondelete="SET NULL"))
    rule_id: Mapped[Optional[int]] = mapped_column(ForeignKey("reward_rules.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    reason: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="suggested")
    decided_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# ---------------------------------------------------------------------------------------------
# Training, meetings, audit
# ---------------------------------------------------------------------------------------------
class Training(Base):
    __tablename__ = "trainings"
    __table_args__ = (CheckConstraint("hours > 0", name="hours"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(200))
    skill: Mapped[Optional[str]] = mapped_column(String(80))
    held_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[float] = mapped_column(Float, default=1.0)
    trainer: Mapped[Optional[str]] = mapped_column(String(120))
    effect_metric: Mapped[Optional[str]] = mapped_column(String(32))


class TrainingAttendance(Base):
    __tablename__ = "training_attendance"
    __table_args__ = (
        UniqueConstraint("training_id", "member_id"),
        CheckConstraint("pre_score IS NULL OR (pre_score >= 0 AND pre_score <= 100)", name="pre_score"),
        CheckConstraint("post_score IS NULL OR (post_score >= 0 AND post_score <= 100)", name="post_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    attended: Mapped[bool] = mapped_column(Boolean, default=True)
    pre_score: Mapped[Optional[float]] = mapped_column(Float)
    post_score: Mapped[Optional[float]] = mapped_column(Float)


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    held_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    notes: Mapped[Optional[str]] = mapped_column(Text)


class ActionItem(Base):
    """A to-do from a meeting or a 1:1; becomes a board task when `task_id` is set."""

    __tablename__ = "action_items"
    __table_args__ = (
        CheckConstraint("(meeting_id IS NULL) <> (one_on_one_id IS NULL)", name="one_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[Optional[int]] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    one_on_one_id: Mapped[Optional[int]] = mapped_column(ForeignKey("one_on_ones.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    owner_member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    due_date: Mapped[Optional[date]] = mapped_column(Date)
    task_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditLog(Base):
    """Who changed what, when, with before/after snapshots."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[Optional[int]] = mapped_column(Integer)
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)


class Setting(Base):
    """Workspace settings as key/value (e.g. whether the demo workspace is on)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Revision(Base):
    """A single counter bumped by every committing write (see db.session). Caches key on it and the
    Meeting page polls it, so a change made through any app server is seen by all of them."""

    __tablename__ = "revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class TableRevision(Base):
    """The data revision at which each table was last written (see db.session): a cached read
    records the tables it read and stays valid until one of them is written, so a task moved on
    the board leaves the cached evaluations, roster and customer views warm. `*` stands for a
    write whose tables could not be named (every read depends on it)."""

    __tablename__ = "table_revisions"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


# ---------------------------------------------------------------------------------------------
# Issue 17: security (server-side sessions, login throttling)
# ---------------------------------------------------------------------------------------------
class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its keyed hash is stored here, so
    a copy of the database does not sign anyone in. Revoking (logout, password change or reset,
    deactivation, "sign out everywhere") takes effect on every server at the next click."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_revoked", "user_id", "revoked_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # HMAC-SHA256 of the cookie token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    client: Mapped[Optional[str]] = mapped_column(String(64))


class LoginThrottle(Base):
    """Failed-login counters per key ("user:<name>", "addr:<ip>", "pair:<name>|<ip>"). Incremented in
    one UPDATE so parallel guesses count exactly; `lockouts` doubles the next lock (back-off)."""

    __tablename__ = "login_throttles"
    __table_args__ = (CheckConstraint("failures >= 0", name="failures"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime)
    last_failure_at: Mapped[Optional[datetime]] = mapped_column(DateTime)


# ---------------------------------------------------------------------------------------------
# Issue 12 (every screen right): what a released scorecard showed, frozen at release
# ---------------------------------------------------------------------------------------------
class ScorecardSnapshot(Base):
    """A released evaluation's lines (criterion, value, score, weight) and the records behind each
    measured value, as they were at release: later surveys or deals cannot change a released card."""

    __tablename__ = "scorecard_snapshots"

    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    frozen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FeedbackSender(Base):
    """Issue 12: one row per distinct sender of waiting anonymous feedback, per team, target and
    month, so a batch is released only with at least three different people in it. The token is a
    keyed hash that is never linked to a feedback row (and is deleted when its batch is released)."""

    __tablename__ = "feedback_senders"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    target: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), primary_key=True)


# ---------------------------------------------------------------------------------------------
# Issue 13: sales pipeline (stages, products, deal lines and collaborators, account teams)
# ---------------------------------------------------------------------------------------------
STAGE_KINDS = ("open", "won", "lost")
ACCOUNT_ROLES = ("sales", "service", "technical")


class DealStage(Base):
    """A pipeline stage of the workspace: its order, default win probability and whether a deal in
    it is still open, won or lost. `name` is the workspace's own name (None: the built-in,
    translated name of the code)."""

    __tablename__ = "deal_stages"
    __table_args__ = (
        CheckConstraint(_in("kind", STAGE_KINDS), name="kind"),
        CheckConstraint("probability >= 0 AND probability <= 100", name="probability"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[Optional[str]] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)
    probability: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(8), default="open")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Product(Base):
    """The product catalogue that deal lines are priced from."""

    __tablename__ = "products"
    __table_args__ = (CheckConstraint("unit_price >= 0", name="unit_price"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[Optional[str]] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DealLine(Base):
    """A product on a deal: quantity times the agreed unit price."""

    __tablename__ = "deal_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        Index("ix_deal_lines_product_deal", "product_id", "deal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class DealCollaborator(Base):
    """A colleague who works a deal with its owner (may move and edit it)."""

    __tablename__ = "deal_collaborators"
    __table_args__ = (UniqueConstraint("deal_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)


class CustomerCollaborator(Base):
    """A member of a customer's account team besides its owner, with a role on the account."""

    __tablename__ = "customer_collaborators"
    __table_args__ = (
        CheckConstraint(_in("role", ACCOUNT_ROLES), name="role"),
        UniqueConstraint("customer_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="sales")
    added_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# Issue 15: the board's work-in-progress limits
# ---------------------------------------------------------------------------------------------
class BoardWipLimit(Base):
    """At most `max_cards` tasks in one status column of one team's board (the team and its
    sub-teams, as the board shows them); the board warns when a column holds more."""

    __tablename__ = "board_wip_limits"
    __table_args__ = (
        CheckConstraint(_in("status", TASK_STATUSES), name="status"),
        CheckConstraint("max_cards >= 1", name="max_cards"),
    )

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    max_cards: Mapped[int] = mapped_column(Integer)


# Issue 14: worker, notifications by e-mail, automation rules, business-hours SLA, call records
# ---------------------------------------------------------------------------------------------
NOTIFY_MODES = ("immediate", "digest", "off")
COMPLAINT_NOTE_KINDS = ("response", "resolution", "note")
AUTOMATION_TRIGGERS = (
    "customer_created", "complaint_breached", "follow_up_overdue", "deal_stage_changed", "deal_won",
    "goal_behind", "task_overdue",
)
AUTOMATION_ACTIONS = ("notify", "create_task", "assign", "escalate")


class ServiceCalendar(Base):
    """A team's working calendar (sub-teams inherit it) and its escalation delays. Times are local
    to `timezone`; `working_days` are ISO weekday numbers 1 (Monday) .. 7 as "1,2,3,4,5"."""

    __tablename__ = "service_calendars"
    __table_args__ = (
        CheckConstraint("day_start_minute >= 0 AND day_end_minute <= 1440 AND day_start_minute < day_end_minute", name="hours"),
        CheckConstraint("lead_delay_minutes >= 0 AND manager_delay_minutes >= 0", name="delays"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    timezone: Mapped[str] = mapped_column(String(60), default="Asia/Shanghai")
    working_days: Mapped[str] = mapped_column(String(20), default="1,2,3,4,5")
    day_start_minute: Mapped[int] = mapped_column(Integer, default=9 * 60)
    day_end_minute: Mapped[int] = mapped_column(Integer, default=18 * 60)
    lead_delay_minutes: Mapped[int] = mapped_column(Integer, default=0)
    manager_delay_minutes: Mapped[int] = mapped_column(Integer, default=240)


class CalendarHoliday(Base):
    """A day off on a team's calendar (local date)."""

    __tablename__ = "calendar_holidays"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("service_calendars.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[Optional[str]] = mapped_column(String(120))


class ComplaintPause(Base):
    """A stretch while a complaint waited on the customer: its clocks do not run. Open while
    `ended_at` is NULL."""

    __tablename__ = "complaint_pauses"
    __table_args__ = (CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    resume_status: Mapped[str] = mapped_column(String(16), default="open")


class ComplaintNote(Base):
    """What was said in the response, how the complaint was resolved, or a working note."""

    __tablename__ = "complaint_notes"
    __table_args__ = (CheckConstraint(_in("kind", COMPLAINT_NOTE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class JobRun(Base):
    """One run of a scheduled job for one time slot. The unique (job, slot) row is inserted in the
    same transaction as the job's work: whichever worker inserts it first runs the job; every
    other worker's insert fails (on PostgreSQL it waits for the first to commit), so a due job
    runs exactly once however many workers share the database."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    slot: Mapped[str] = mapped_column(String(40))
    worker: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    result: Mapped[int] = mapped_column(Integer, default=0)


class NotificationPreference(Base):
    """How a user wants one kind of notification by e-mail: at once, in the daily digest, or not."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"), CheckConstraint(_in("mode", NOTIFY_MODES), name="mode"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(16))


class EmailOutbox(Base):
    """An e-mail to send, written in the same transaction as what caused it; the worker sends it.
    `dedupe_key` makes the same mail impossible to queue twice; the claim columns are a lease so
    two workers never send one mail twice."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_pending", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    attachment_name: Mapped[Optional[str]] = mapped_column(String(200))
    attachment: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_by: Mapped[Optional[str]] = mapped_column(String(80))
    claimed_until: Mapped[Optional[datetime]] = mapped_column(DateTime)
    sent_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[Optional[str]] = mapped_column(String(500))


class AutomationRule(Base):
    """When `trigger` happens to a record matching `conditions` (team, industry, tier, priority),
    do `action`. `team_id` is the scope (NULL: the whole workspace, admins only)."""

    __tablename__ = "automation_rules"
    __table_args__ = (
        CheckConstraint(_in("trigger", AUTOMATION_TRIGGERS), name="trigger"),
        CheckConstraint(_in("action", AUTOMATION_ACTIONS), name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(32))
    trigger_days: Mapped[int] = mapped_column(Integer, default=0)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    action: Mapped[str] = mapped_column(String(16))
    action_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AutomationRun(Base):
    """A rule applied to one record (`ref`), once: the unique key keeps a rerun from acting twice."""

    __tablename__ = "automation_runs"
    __table_args__ = (UniqueConstraint("rule_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("automation_rules.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(300))
    ran_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Call(Base):
    """One contact-centre call handled (or missed) by an agent. `fingerprint` identifies a call
    across re-imports of the same sheet."""

    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint("speed_of_answer_seconds IS NULL OR speed_of_answer_seconds >= 0", name="speed"),
        CheckConstraint("talk_seconds IS NULL OR talk_seconds >= 0", name="talk"),
        CheckConstraint("csat IS NULL OR (csat >= 1 AND csat <= 5)", name="csat"),
        Index("ix_calls_member_at", "member_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    topic: Mapped[Optional[str]] = mapped_column(String(120))
    answered: Mapped[bool] = mapped_column(Boolean)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    speed_of_answer_seconds: Mapped[Optional[int]] = mapped_column(Integer)
    talk_seconds: Mapped[Optional[int]] = mapped_column(Integer)
    csat: Mapped[Optional[int]] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
