"""Automation rules: when something happens to a record (trigger) that matches the conditions,
do an action. Admins write rules for the whole workspace; managers for their own teams (a rule's
`team_id` is its scope: it sees only that team and its sub-teams).

Rules (one place):
- Triggers: customer_created (customers created after the rule was), complaint_breached (an
  unresolved complaint past a target, business time), follow_up_overdue (a follow-up overdue by at
  least `trigger_days`), task_overdue (an open task `trigger_days` past its due date), goal_behind
  (a current goal at risk or off track), deal_won (deals won after the rule was created) and
  deal_stage_changed (reported by the pipeline through `deal_stage_changed`, the hook the deals
  module calls; scanning cannot see past stage changes).
- Conditions, all optional: team (the record's team is the team or below it), industry, tier
  (the customer's), priority (a complaint's severity; a task's or goal's "high" when important).
- Actions: notify (the record's owner, the owner's manager, or a chosen user), create_task (from a
  title template, due in N days, for the owner), assign (a customer by the assignment rules, when
  it has no owner), escalate (notify the manager above the owner's manager, or the owner's manager).
- A rule acts on a record once: the AutomationRun row (unique rule + ref) is written with the
  action in one savepoint, and every real run is audited. A dry run computes the same plan and
  writes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit, notifications
from core.errors import FieldError, InvalidInput, NotFound
from core.i18n import t
from core.metrics import WON, won_between
from core.permissions import Actor, ensure_role, ensure_team, scope_for
from db.base import utcnow
from db.upsert import insert_ignore
from db.models import (
    AUTOMATION_ACTIONS,
    AUTOMATION_TRIGGERS,
    CUSTOMER_TIERS,
    SEVERITIES,
    AutomationRule,
    AutomationRun,
    Complaint,
    Customer,
    Deal,
    Member,
    Task,
    Team,
    User,
)

CONDITION_KEYS = ("team_id", "industry", "tier", "priority")
PRIORITIES = (*SEVERITIES, "normal")
NOTIFY_TARGETS = ("owner", "manager", "user")
MAX_PLAN = 500  # a rule acts on at most this many records per run (the rest wait for the next)


@dataclass(frozen=True)
class Subject:
    """A record a trigger found, with what conditions and actions need."""

    ref: str
    label: str
    team_id: int | None = None
    owner_member_id: int | None = None
    customer_id: int | None = None
    complaint_id: int | None = None
    industry: str | None = None
    tier: str | None = None
    priority: str | None = None


@dataclass
class Planned:
    rule_id: int
    ref: str
    label: str
    description: str
    apply: Callable[[], str] = field(repr=False, default=lambda: "")


# ---------------------------------------------------------------------------------------------
# Rules: create, list, validate
# ---------------------------------------------------------------------------------------------
def _validate(session: Session, data: dict[str, Any]) -> list[FieldError]:
    errors = []
    if not (data.get("name") or "").strip():
        errors.append(FieldError("automation.error.name_required", column="name"))
    if data.get("trigger") not in AUTOMATION_TRIGGERS:
        errors.append(FieldError("automation.error.trigger", column="trigger"))
    days = data.get("trigger_days", 0)
    if not isinstance(days, int) or not 0 <= days <= 365:
        errors.append(FieldError("automation.error.days", column="trigger_days"))
    if data.get("action") not in AUTOMATION_ACTIONS:
        errors.append(FieldError("automation.error.action", column="action"))
    conditions = data.get("conditions") or {}
    if set(conditions) - set(CONDITION_KEYS):
        errors.append(FieldError("automation.error.condition", column="conditions"))
    if conditions.get("tier") and conditions["tier"] not in CUSTOMER_TIERS:
        errors.append(FieldError("automation.error.condition", column="tier"))
    if conditions.get("priority") and conditions["priority"] not in PRIORITIES:
        errors.append(FieldError("automation.error.condition", column="priority"))
    params = data.get("action_params") or {}
    if data.get("action") in ("notify",) and params.get("to", "owner") not in NOTIFY_TARGETS:
        errors.append(FieldError("automation.error.notify_to", column="to"))
    if params.get("to") == "user" and not session.get(User, params.get("user_id") or 0):
        errors.append(FieldError("automation.error.notify_to", column="user_id"))
    if data.get("action") == "create_task":
        if not (params.get("title") or "").strip() or len(params.get("title", "")) > 200:
            errors.append(FieldError("automation.error.task_title", column="title"))
        due = params.get("due_in_days", 1)
        if not isinstance(due, int) or not 0 <= due <= 365:
            errors.append(FieldError("automation.error.days", column="due_in_days"))
    return errors


def save_rule(session: Session, actor: Actor, data: dict[str, Any], rule_id: int | None = None) -> int:
    """Create or change a rule. Managers only for their teams (team_id required); admins may leave
    the team empty for the whole workspace."""
    ensure_role(actor, "admin", "manager")
    team_id = data.get("team_id")
    if team_id is None and not actor.is_admin:
        raise InvalidInput("error.invalid", errors=[FieldError("automation.error.team_required", column="team_id")])
    if team_id is not None:
        ensure_team(scope_for(session, actor), team_id)
    errors = _validate(session, data)
    if errors:
        raise InvalidInput("error.invalid", errors=errors)
    cond = {k: v for k, v in (data.get("conditions") or {}).items() if v not in (None, "")}
    if cond.get("team_id") is not None:
        ensure_team(scope_for(session, actor), cond["team_id"])
    if rule_id is None:
        rule = AutomationRule(created_by=actor.user_id, created_at=data.get("created_at") or utcnow())
        session.add(rule)
        before = None
    else:
        rule = _rule(session, actor, rule_id)
        before = audit.snapshot(rule)
    rule.name = data["name"].strip()[:120]
    rule.team_id = team_id
    rule.trigger = data["trigger"]
    rule.trigger_days = int(data.get("trigger_days") or 0)
    rule.conditions = cond
    rule.action = data["action"]
    rule.action_params = dict(data.get("action_params") or {})
    rule.active = bool(data.get("active", True))
    session.flush()
    audit.record(session, actor, "automation.rule_saved", "automation_rule", rule.id, before, audit.snapshot(rule))
    return rule.id


def _rule(session: Session, actor: Actor, rule_id: int) -> AutomationRule:
    rule = session.get(AutomationRule, rule_id)
    if rule is None:
        raise NotFound("error.not_found")
    if rule.team_id is None:
        ensure_role(actor, "admin")
    else:
        ensure_role(actor, "admin", "manager")
        ensure_team(scope_for(session, actor), rule.team_id)
    return rule


def set_active(session: Session, actor: Actor, rule_id: int, active: bool) -> None:
    rule = _rule(session, actor, rule_id)
    before = audit.snapshot(rule, ["active"])
    rule.active = active
    session.flush()
    audit.record(session, actor, "automation.rule_active", "automation_rule", rule.id, before, audit.snapshot(rule, ["active"]))


def list_rules(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Rules the actor may see and edit (admins all; managers those of their teams)."""
    ensure_role(actor, "admin", "manager")
    query = select(AutomationRule).order_by(AutomationRule.id)
    if not actor.is_admin:
        scope = scope_for(session, actor)
        query = query.where(AutomationRule.team_id.in_(sorted(scope.team_ids)))
    runs: dict[int, int] = {}
    for rule_id, in session.execute(select(AutomationRun.rule_id)):
        runs[rule_id] = runs.get(rule_id, 0) + 1
    return [{"id": r.id, "name": r.name, "team_id": r.team_id, "trigger": r.trigger, "trigger_days": r.trigger_days,
             "conditions": dict(r.conditions or {}), "action": r.action, "action_params": dict(r.action_params or {}),
             "active": r.active, "runs": runs.get(r.id, 0)} for r in session.scalars(query)]


# ---------------------------------------------------------------------------------------------
# Triggers: what records a rule would act on now
# ---------------------------------------------------------------------------------------------
def _customer_subject(ref: str, label: str, c: Any, priority: str | None = None) -> Subject:
    return Subject(ref, label, team_id=c.team_id, owner_member_id=c.owner_id, customer_id=c.id,
                   industry=c.industry, tier=c.tier, priority=priority)


_CUSTOMER_COLS = (Customer.id, Customer.name, Customer.team_id, Customer.owner_id, Customer.industry, Customer.tier)


_DEAL_COLS = (Deal.id.label("deal_id"), Deal.title.label("deal_title"), Deal.owner_id.label("deal_owner"),
              Customer.id.label("customer_id"), Customer.name, Customer.team_id, Customer.industry, Customer.tier)


def _deal_subject(ref: str, r: Any) -> Subject:
    return Subject(ref, f"{r.name} · {r.deal_title}", team_id=r.team_id, owner_member_id=r.deal_owner,
                   customer_id=r.customer_id, industry=r.industry, tier=r.tier)


def _in_scope(column: Any, teams: set[int] | None) -> Any:
    """The team filter of a scan: every team when `teams` is None (an admin's or the worker's rule)."""
    return column.in_(sorted(teams)) if teams is not None else True


def _find_customers_created(session: Session, rule: AutomationRule, now: datetime, teams: set[int] | None) -> list[Subject]:
    rows = session.execute(select(*_CUSTOMER_COLS).where(Customer.created_at >= rule.created_at, Customer.created_at <= now,
                                                         _in_scope(Customer.team_id, teams)).order_by(Customer.id).limit(MAX_PLAN * 2))
    return [_customer_subject(f"customer:{c.id}", c.name, c) for c in rows]


def _find_follow_ups_overdue(session: Session, rule: AutomationRule, now: datetime, teams: set[int] | None) -> list[Subject]:
    today = now.date()
    cutoff = today - timedelta(days=rule.trigger_days)
    rows = session.execute(select(*_CUSTOMER_COLS, Customer.next_follow_up).where(
        Customer.next_follow_up < cutoff if rule.trigger_days else Customer.next_follow_up < today,
        Customer.status != "churned", _in_scope(Customer.team_id, teams)).order_by(Customer.next_follow_up, Customer.id).limit(MAX_PLAN * 2))
    return [_customer_subject(f"customer:{c.id}:{c.next_follow_up}", c.name, c) for c in rows]


def _find_complaints_breached(session: Session, rule: AutomationRule, now: datetime, teams: set[int] | None) -> list[Subject]:
    """Open complaints past their service target, timed by the same target book as the SLA screens."""
    from core import service

    rows = session.execute(
        select(Complaint.id, Complaint.title, Complaint.severity, Complaint.team_id, Complaint.assignee_id, Complaint.opened_at,
               Complaint.first_response_at, Complaint.resolved_at, Customer.name, Customer.industry, Customer.tier)
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(Complaint.status != "resolved", _in_scope(Complaint.team_id, teams)).order_by(Complaint.opened_at)
    ).all()
    book = service.TargetBook(session)
    book.load_pauses(session, [r.id for r in rows])
    found: list[Subject] = []
    for r in rows:
        tm = book.timing(r.id, r.team_id, r.severity, r.opened_at, r.first_response_at, r.resolved_at, now)
        if tm.breached:
            found.append(Subject(f"complaint:{r.id}", f"{r.name} · {r.title}", team_id=r.team_id, owner_member_id=r.assignee_id,
                                 complaint_id=r.id, industry=r.industry, tier=r.tier, priority=r.severity))
    return found


def _find_tasks_overdue(session: Session, rule: AutomationRule, now: datetime, teams: set[int] | None) -> list[Subject]:
    today = now.date()
    cutoff = today - timedelta(days=rule.trigger_days)
    rows = session.execute(
        select(Task.id, Task.title, Task.team_id, Task.assignee_id, Task.customer_id, Task.importance, Task.due_date,
               Customer.industry, Customer.tier)
        .outerjoin(Customer, Customer.id == Task.customer_id)
        .where(Task.status != "done", Task.due_date < (cutoff if rule.trigger_days else today), _in_scope(Task.team_id, teams))
        .order_by(Task.due_date, Task.id).limit(MAX_PLAN * 2)
    )
    return [Subject(f"task:{r.id}:{r.due_date}", r.title, team_id=r.team_id, owner_member_id=r.assignee_id,
                    customer_id=r.customer_id, industry=r.industry, tier=r.tier,
                    priority="high" if r.importance else "normal")
            for r in rows]


def _find_goals_behind(session: Session, rule: AutomationRule, now: datetime, teams: set[int] | None) -> list[Subject]:
    """Running goals falling behind; a member's goal counts for the member's team."""
    from core import goals
    from core.worker import SYSTEM

    today = now.date()
    found: list[Subject] = []
    for g in goals.falling_behind(g for g in goals.list_goals(session, SYSTEM, today=today, limit=1000) if g.end_date >= today):
        team_id = g.team_id
        if team_id is None and g.member_id is not None:
            team_id = session.scalar(select(Member.team_id).where(Member.id == g.member_id))
        if teams is not None and team_id not in teams:
            continue
        found.append(Subject(f"goal:{g.id}:{g.status}", g.title, team_id=team_id, owner_member_id=g.member_id,
                             priority="high" if g.importance else "normal"))
    return found


def _find_deals_won(session: Session, rule: AutomationRule, now: datetime, teams: set[int] | None) -> list[Subject]:
    rows = session.execute(
        select(*_DEAL_COLS).join(Customer, Customer.id == Deal.customer_id)
        .where(won_between(rule.created_at.date(), None), _in_scope(Customer.team_id, teams))
        .order_by(Deal.id).limit(MAX_PLAN * 2)
    )
    return [_deal_subject(f"deal:{r.deal_id}:won", r) for r in rows]


# The scan behind each trigger; deal_stage_changed has none: it fires only through the hook.
_FINDERS: dict[str, Callable[[Session, AutomationRule, datetime, set[int] | None], list[Subject]]] = {
    "customer_created": _find_customers_created,
    "follow_up_overdue": _find_follow_ups_overdue,
    "complaint_breached": _find_complaints_breached,
    "task_overdue": _find_tasks_overdue,
    "goal_behind": _find_goals_behind,
    "deal_won": _find_deals_won,
}


def _find(session: Session, rule: AutomationRule, now: datetime, teams: set[int] | None) -> list[Subject]:
    finder = _FINDERS.get(rule.trigger)
    return finder(session, rule, now, teams) if finder is not None else []


def _matches(subject: Subject, conditions: dict[str, Any], team_tree: dict[int, set[int]]) -> bool:
    if conditions.get("team_id") is not None:
        allowed = team_tree.get(conditions["team_id"], set())
        if subject.team_id not in allowed:
            return False
    for key in ("industry", "tier", "priority"):
        wanted = conditions.get(key)
        if wanted and getattr(subject, key) != wanted:
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------
class _Context:
    def __init__(self, session: Session, now: datetime) -> None:
        from core import service

        self.session = session
        self.now = now
        self.resolve = service.ManagerResolver(session)
        self.notifier = notifications.Notifier(session, now)
        self.service = service

    def owner_user(self, subject: Subject) -> int | None:
        if subject.owner_member_id is None:
            return None
        return self.resolve._member(subject.owner_member_id)[0]

    def manager_user(self, subject: Subject) -> int | None:
        return self.resolve(subject.owner_member_id, subject.team_id)

    def user_name(self, user_id: int | None) -> str:
        return (self.session.scalar(select(User.display_name).where(User.id == user_id)) if user_id else None) or "—"


def _plan_action(ctx: _Context, rule: AutomationRule, subject: Subject, lang: str) -> tuple[str, Callable[[], str]] | None:
    params = rule.action_params or {}
    session = ctx.session
    message = (params.get("message") or "").strip() or rule.name
    if rule.action in ("notify", "escalate"):
        if rule.action == "notify":
            to = params.get("to", "owner")
            user_id = ctx.owner_user(subject) if to == "owner" else ctx.manager_user(subject) if to == "manager" else params.get("user_id")
        else:
            lead = ctx.manager_user(subject)
            above = ctx.service.manager_above(session, ctx.resolve, lead) if lead else None
            user_id = above or lead
        if user_id is None:
            return None
        text = f"{message} · {subject.label}"[:300]

        def do_notify() -> str:
            ctx.notifier.notify(user_id, "automation", f"rule:{rule.id}:{subject.ref}"[:80], text)
            return f"notified user {user_id}"

        key = "automation.plan.escalate" if rule.action == "escalate" else "automation.plan.notify"
        return t(key, lang, who=ctx.user_name(user_id), what=subject.label), do_notify
    if rule.action == "create_task":
        title = str(params.get("title", "")).replace("{record}", subject.label)[:200]
        team_id = subject.team_id
        if team_id is None and subject.owner_member_id is not None:
            team_id = ctx.resolve._member(subject.owner_member_id)[2]
        if team_id is None:
            return None
        due = ctx.now.date() + timedelta(days=int(params.get("due_in_days", 1)))

        def do_task() -> str:
            task = Task(title=title, team_id=team_id, assignee_id=subject.owner_member_id, customer_id=subject.customer_id,
                        due_date=due, status="todo", importance=1 if subject.priority in ("high", "critical") else 0)
            session.add(task)
            session.flush()
            return f"task {task.id}"

        return t("automation.plan.task", lang, title=title, date=due.isoformat()), do_task
    if rule.action == "assign":
        if subject.customer_id is None or subject.owner_member_id is not None:
            return None

        def do_assign() -> str:
            from core import assignment
            from core.worker import SYSTEM

            customer = session.get(Customer, subject.customer_id)
            member_id = assignment.auto_assign(session, SYSTEM, customer)
            return f"owner {member_id}" if member_id else "queued"

        return t("automation.plan.assign", lang, what=subject.label), do_assign
    return None


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------
def _team_tree(session: Session) -> dict[int, set[int]]:
    """Every team's subtree (itself and all teams below), from one query."""
    parent = dict(session.execute(select(Team.id, Team.parent_id)).all())
    tree: dict[int, set[int]] = {i: {i} for i in parent}
    for team_id in parent:
        current, seen = parent.get(team_id), {team_id}
        while current is not None and current not in seen:
            seen.add(current)
            tree.setdefault(current, {current}).add(team_id)
            current = parent.get(current)
    return tree


def plan_rule(session: Session, rule: AutomationRule, now: datetime, lang: str = "zh",
              tree: dict[int, set[int]] | None = None) -> list[Planned]:
    """What the rule would do now, for the records it has not acted on yet."""
    tree = tree if tree is not None else _team_tree(session)
    teams = tree.get(rule.team_id, set()) if rule.team_id is not None else None
    done = set(session.scalars(select(AutomationRun.ref).where(AutomationRun.rule_id == rule.id)))
    ctx = _Context(session, now)
    plan: list[Planned] = []
    for subject in _find(session, rule, now, teams):
        if subject.ref in done or not _matches(subject, rule.conditions or {}, tree):
            continue
        planned = _plan_action(ctx, rule, subject, lang)
        if planned is None:
            continue
        description, apply = planned
        plan.append(Planned(rule.id, subject.ref, subject.label, description, apply))
        if len(plan) >= MAX_PLAN:
            break
    return plan


def _execute(session: Session, actor: Actor | None, rule: AutomationRule, plan: list[Planned], now: datetime) -> int:
    done = 0
    for item in plan:
        # The run row first: its unique key decides who acts (a failing action rolls it back with the rest).
        run_id = insert_ignore(session, AutomationRun, {"rule_id": rule.id, "ref": item.ref[:80], "outcome": "", "ran_at": now},
                               ["rule_id", "ref"])
        if run_id is None:  # another worker acted on it first
            continue
        outcome = item.apply()
        session.execute(update(AutomationRun).where(AutomationRun.id == run_id).values(outcome=str(outcome)[:300])
                        .execution_options(synchronize_session=False))
        audit.record(session, actor, "automation.run", "automation_rule", rule.id, None,
                     {"ref": item.ref, "action": rule.action, "outcome": outcome})
        done += 1
    return done


def dry_run(session: Session, actor: Actor, rule_id: int, now: datetime | None = None) -> list[dict[str, str]]:
    """What the rule would do against today's data, without writing anything."""
    rule = _rule(session, actor, rule_id)
    plan = plan_rule(session, rule, now or utcnow(), actor.language)
    return [{"ref": p.ref, "record": p.label, "action": p.description} for p in plan]


def run_rule(session: Session, actor: Actor, rule_id: int, now: datetime | None = None) -> int:
    """Run one rule now (the Admin page's button); returns how many records it acted on."""
    rule = _rule(session, actor, rule_id)
    now = now or utcnow()
    return _execute(session, actor, rule, plan_rule(session, rule, now, actor.language), now)


def run_all(session: Session, now: datetime | None = None) -> int:
    """The worker's job: every active rule (not the hook-only deal_stage_changed)."""
    now = now or utcnow()
    tree = _team_tree(session)
    total = 0
    for rule in session.scalars(select(AutomationRule).where(AutomationRule.active.is_(True),
                                                             AutomationRule.trigger != "deal_stage_changed").order_by(AutomationRule.id)):
        total += _execute(session, None, rule, plan_rule(session, rule, now, "zh", tree), now)
    return total


def deal_stage_changed(session: Session, deal_id: int, old_stage: str | None, new_stage: str,
                       now: datetime | None = None) -> int:
    """Hook for the pipeline (issue 13): call in the transaction that changes a deal's stage.
    Runs the active deal_stage_changed rules (and deal_won ones when the new stage is won) for
    this deal; a rule's `action_params["stage"]`, when set, limits it to that new stage."""
    now = now or utcnow()
    row = session.execute(select(*_DEAL_COLS).join(Customer, Customer.id == Deal.customer_id).where(Deal.id == deal_id)).first()
    if row is None:
        return 0
    tree = _team_tree(session)
    ctx = _Context(session, now)
    triggers = ["deal_stage_changed"] + (["deal_won"] if new_stage == WON else [])
    total = 0
    for rule in session.scalars(select(AutomationRule).where(AutomationRule.active.is_(True), AutomationRule.trigger.in_(triggers))):
        if rule.trigger == "deal_stage_changed" and (rule.action_params or {}).get("stage") not in (None, "", new_stage):
            continue
        if rule.team_id is not None and row.team_id not in tree.get(rule.team_id, set()):
            continue
        ref = f"deal:{deal_id}:{new_stage}" if rule.trigger == "deal_stage_changed" else f"deal:{deal_id}:won"
        subject = _deal_subject(ref, row)
        if not _matches(subject, rule.conditions or {}, tree):
            continue
        planned = _plan_action(ctx, rule, subject, "zh")
        if planned:
            total += _execute(session, None, rule, [Planned(rule.id, ref, subject.label, planned[0], planned[1])], now)
    return total


__all__ = ["save_rule", "set_active", "list_rules", "plan_rule", "dry_run", "run_rule", "run_all", "deal_stage_changed",
           "CONDITION_KEYS", "PRIORITIES", "NOTIFY_TARGETS"]
