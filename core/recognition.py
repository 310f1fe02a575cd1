"""Recognition and rewards: the praise wall, transparent reward rules, reward suggestions the manager
confirms, and a leaderboard per cycle.

- **Praise** is public within the team: anyone praises a member of their own team (managers: any
  member of their teams), for something, optionally linked to a goal or a customer.
- **Reward rules** are thresholds a team's manager sets on the evaluation score (released total,
  1-5) or goal attainment (%, see core.evaluations.goal_attainment over the cycle's period). When a
  member reaches a rule (value >= threshold), `suggest_rewards` creates a *suggested* reward citing
  the rule and the value; the manager confirms or rejects it. One suggestion per member, cycle and
  rule. Managers may also nominate a reward by hand.
- **Leaderboard** of a cycle: praise received in the cycle's period and confirmed rewards of the
  cycle, per member of the team. It shows recognition only, never evaluation scores (peers see
  nothing of each other's scores).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import altair as alt
import pandas as pd
from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from core import audit, limits
from core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from core.permissions import READ, Actor, allowed, ensure_member, ensure_team, scope_for
from db.base import utcnow
from db.models import (
    REWARD_KINDS,
    REWARD_RULE_METRICS,
    Customer,
    Evaluation,
    EvaluationCycle,
    Goal,
    Member,
    Recognition,
    Reward,
    RewardRule,
    Team,
    User,
)

MAX_MESSAGE = limits.max_length(Recognition, "message")  # 500, from core.limits


def _visible_member_ids(session: Session, actor: Actor) -> set[int] | None:
    """Members whose praise the actor sees: None = everyone (admin)."""
    scope = scope_for(session, actor)
    if scope.everything:
        return None
    if actor.is_manager:
        return set(scope.member_ids)
    if actor.team_id is None:
        return set()
    return set(session.scalars(select(Member.id).where(Member.team_id == actor.team_id)))


# ---------------------------------------------------------------------------------------------
# Praise wall
# ---------------------------------------------------------------------------------------------
def give_praise(session: Session, actor: Actor, to_member_id: int, message: str,
                goal_id: int | None = None, customer_id: int | None = None) -> int:
    """Praise a teammate (not yourself) for something, linked to a goal or customer if given: the
    link must be the recipient's or visible to the giver."""
    visible = _visible_member_ids(session, actor)
    member = session.get(Member, to_member_id)
    if member is None:
        raise NotFound("error.not_found")
    if (visible is not None and to_member_id not in visible) or to_member_id == actor.member_id:
        raise PermissionDenied("recognition.error.praise_whom")
    message = (message or "").strip()
    if not 3 <= len(message) <= MAX_MESSAGE:
        raise InvalidInput("error.invalid", errors=[FieldError("recognition.error.message", {"max": MAX_MESSAGE}, column="message")])
    if goal_id is not None:
        goal = session.get(Goal, goal_id)
        if goal is None or not (goal.member_id == to_member_id or goal.team_id == member.team_id or allowed(session, actor, READ, goal)):
            raise InvalidInput("error.invalid", errors=[FieldError("recognition.error.link", column="goal")])
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None or not (customer.owner_id == to_member_id or allowed(session, actor, READ, customer)):
            raise InvalidInput("error.invalid", errors=[FieldError("recognition.error.link", column="customer")])
    row = Recognition(from_user_id=actor.user_id, to_member_id=to_member_id, message=message, goal_id=goal_id, customer_id=customer_id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "praise.create", "recognition", row.id, None, audit.snapshot(row))
    return row.id


def praise_wall(session: Session, actor: Actor, limit: int = 30, offset: int = 0) -> tuple[int, pd.DataFrame]:
    """(total, page) of praise for the actor's team(s), newest first."""
    visible = _visible_member_ids(session, actor)
    where = [] if visible is None else [Recognition.to_member_id.in_(sorted(visible))]
    total = session.scalar(select(func.count()).select_from(Recognition).where(*where)) or 0
    rows = session.execute(
        select(Recognition.id, Recognition.created_at, User.display_name, Member.name, Recognition.message,
               Goal.title, Customer.name.label("customer"))
        .join(Member, Member.id == Recognition.to_member_id)
        .outerjoin(User, User.id == Recognition.from_user_id)
        .outerjoin(Goal, Goal.id == Recognition.goal_id)
        .outerjoin(Customer, Customer.id == Recognition.customer_id)
        .where(*where).order_by(Recognition.created_at.desc(), Recognition.id.desc()).limit(limit).offset(offset)
    ).all()
    frame = pd.DataFrame(
        [{"id": r[0], "at": r[1], "giver": r[2], "to": r[3], "message": r[4], "goal": r[5], "customer": r[6]} for r in rows],
        columns=["id", "at", "giver", "to", "message", "goal", "customer"],
    )
    return total, frame


# ---------------------------------------------------------------------------------------------
# Reward rules and rewards
# ---------------------------------------------------------------------------------------------
def _money(amount: Any) -> Decimal | None:
    if amount in (None, ""):
        return None
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise InvalidInput("error.invalid", errors=[FieldError("recognition.error.amount", column="amount")]) from None
    if value < 0:
        raise InvalidInput("error.invalid", errors=[FieldError("recognition.error.amount", column="amount")])
    return value


def create_reward_rule(session: Session, actor: Actor, team_id: int, metric: str, threshold: float, reward_kind: str,
                       amount: Any = None, description: str | None = None) -> int:
    ensure_team(scope_for(session, actor), team_id)
    errors = []
    if metric not in REWARD_RULE_METRICS:
        errors.append(FieldError("recognition.error.rule_metric", column="metric"))
    if reward_kind not in REWARD_KINDS:
        errors.append(FieldError("recognition.error.reward_kind", column="reward_kind"))
    try:
        threshold = float(threshold)
    except (TypeError, ValueError):
        errors.append(FieldError("recognition.error.threshold", column="threshold"))
    else:
        if metric == "evaluation_score" and not 1 <= threshold <= 5:
            errors.append(FieldError("recognition.error.threshold_score", column="threshold"))
        if metric == "goal_attainment" and not 0 < threshold <= 1000:
            errors.append(FieldError("recognition.error.threshold_attainment", column="threshold"))
    if errors:
        raise InvalidInput("error.invalid", errors=errors)
    rule = RewardRule(team_id=team_id, metric=metric, threshold=threshold, reward_kind=reward_kind, amount=_money(amount),
                      description=(description or "").strip()[:200] or None)
    session.add(rule)
    session.flush()
    audit.record(session, actor, "reward_rule.create", "reward_rule", rule.id, None, audit.snapshot(rule))
    return rule.id


def list_reward_rules(session: Session, actor: Actor) -> pd.DataFrame:
    scope = scope_for(session, actor)
    query = select(RewardRule, Team.name).join(Team, Team.id == RewardRule.team_id).order_by(Team.name, RewardRule.metric, RewardRule.threshold)
    if not scope.everything:
        if not actor.is_manager:
            query = query.where(RewardRule.team_id == actor.team_id) if actor.team_id else query.where(false())
        else:
            query = query.where(RewardRule.team_id.in_(sorted(scope.team_ids)))
    rows = session.execute(query).all()
    return pd.DataFrame(
        [{"id": r.id, "team": t, "metric": r.metric, "threshold": r.threshold, "reward_kind": r.reward_kind,
          "amount": float(r.amount) if r.amount is not None else None, "description": r.description} for r, t in rows],
        columns=["id", "team", "metric", "threshold", "reward_kind", "amount", "description"],
    )


def _rule_teams(session: Session, team_id: int) -> list[int]:
    """A cycle's team and its ancestors: their rules apply to it."""
    result, current = [], session.get(Team, team_id)
    while current is not None and current.id not in result:
        result.append(current.id)
        current = session.get(Team, current.parent_id) if current.parent_id else None
    return result


def suggest_rewards(session: Session, actor: Actor, cycle_id: int) -> int:
    """Apply the rules to a released cycle: each member who reaches a rule gets one suggested reward
    (the reason cites the rule and the value). Returns how many new suggestions were made."""
    from core.evaluations import goal_attainment

    cycle = session.get(EvaluationCycle, cycle_id)
    if cycle is None:
        raise NotFound("error.not_found")
    ensure_team(scope_for(session, actor), cycle.team_id)
    if cycle.status != "released":
        raise Conflict("recognition.error.not_released")
    rules = session.scalars(select(RewardRule).where(RewardRule.team_id.in_(_rule_teams(session, cycle.team_id))).order_by(RewardRule.id)).all()
    existing = set(session.execute(select(Reward.member_id, Reward.rule_id).where(Reward.cycle_id == cycle.id)).all())
    made = 0
    for evaluation in session.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id)):
        attainment = None
        for rule in rules:
            if (evaluation.member_id, rule.id) in existing:
                continue
            if rule.metric == "evaluation_score":
                value = evaluation.total
            else:
                if attainment is None:
                    attainment = goal_attainment(session, evaluation.member_id, cycle.start_date, cycle.end_date).value
                value = attainment
            if value is None or value < rule.threshold:
                continue
            reward = Reward(member_id=evaluation.member_id, cycle_id=cycle.id, rule_id=rule.id, kind=rule.reward_kind,
                            amount=rule.amount, status="suggested",
                            reason=f"{rule.metric} {value:g} >= {rule.threshold:g}" + (f" · {rule.description}" if rule.description else ""))
            session.add(reward)
            session.flush()
            audit.record(session, actor, "reward.suggest", "reward", reward.id, None, audit.snapshot(reward))
            made += 1
    return made


def nominate_reward(session: Session, actor: Actor, member_id: int, kind: str, reason: str, amount: Any = None,
                    cycle_id: int | None = None) -> int:
    """A reward the manager gives by hand (confirmed at once)."""
    scope = scope_for(session, actor)
    if not (scope.everything or actor.is_manager):
        raise PermissionDenied("error.permission_denied")
    ensure_member(scope, member_id)
    if member_id == actor.member_id:
        raise PermissionDenied("error.permission_denied")
    reason = (reason or "").strip()
    errors = []
    if kind not in REWARD_KINDS:
        errors.append(FieldError("recognition.error.reward_kind", column="kind"))
    if not 3 <= len(reason) <= 300:
        errors.append(FieldError("recognition.error.reason", column="reason"))
    if errors:
        raise InvalidInput("error.invalid", errors=errors)
    reward = Reward(member_id=member_id, cycle_id=cycle_id, kind=kind, amount=_money(amount), reason=reason,
                    status="confirmed", decided_by=actor.user_id, decided_at=utcnow())
    session.add(reward)
    session.flush()
    audit.record(session, actor, "reward.nominate", "reward", reward.id, None, audit.snapshot(reward))
    return reward.id


def decide_reward(session: Session, actor: Actor, reward_id: int, confirm: bool) -> None:
    """The manager confirms or rejects a suggested reward."""
    reward = session.get(Reward, reward_id)
    if reward is None:
        raise NotFound("error.not_found")
    scope = scope_for(session, actor)
    if not (scope.everything or actor.is_manager):
        raise PermissionDenied("error.permission_denied")
    ensure_member(scope, reward.member_id)
    if reward.member_id == actor.member_id:
        raise PermissionDenied("error.permission_denied")
    if reward.status != "suggested":
        raise Conflict("recognition.error.decided")
    before = audit.snapshot(reward, ["status"])
    reward.status = "confirmed" if confirm else "rejected"
    reward.decided_by, reward.decided_at = actor.user_id, utcnow()
    audit.record(session, actor, "reward.decide", "reward", reward.id, before, {"status": reward.status})


def list_rewards(session: Session, actor: Actor, status: str | None = None, limit: int = 200) -> pd.DataFrame:
    """Rewards the actor may see: managers their teams' members'; a member only their own."""
    scope = scope_for(session, actor)
    query = (
        select(Reward, Member.name, EvaluationCycle.name.label("cycle"))
        .join(Member, Member.id == Reward.member_id)
        .outerjoin(EvaluationCycle, EvaluationCycle.id == Reward.cycle_id)
        .order_by(Reward.created_at.desc(), Reward.id.desc()).limit(limit)
    )
    if not scope.everything:
        if actor.is_manager:
            query = query.where(Reward.member_id.in_(sorted(scope.member_ids - ({actor.member_id} - {None}))))
        else:
            query = query.where(Reward.member_id == actor.member_id)
    if status:
        query = query.where(Reward.status == status)
    rows = session.execute(query).all()
    return pd.DataFrame(
        [{"id": r.id, "member": n, "cycle": c, "kind": r.kind, "amount": float(r.amount) if r.amount is not None else None,
          "reason": r.reason, "status": r.status, "created_at": r.created_at} for r, n, c in rows],
        columns=["id", "member", "cycle", "kind", "amount", "reason", "status", "created_at"],
    )


# ---------------------------------------------------------------------------------------------
# Leaderboard
# ---------------------------------------------------------------------------------------------
def leaderboard_cycles(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Cycles of the actor's teams (managers) or own team tree (members), newest first."""
    scope = scope_for(session, actor)
    query = select(EvaluationCycle.id, EvaluationCycle.name, EvaluationCycle.team_id).order_by(EvaluationCycle.start_date.desc())
    if not scope.everything:
        if actor.is_manager:
            query = query.where(EvaluationCycle.team_id.in_(sorted(scope.team_ids)))
        else:
            mine = select(Evaluation.cycle_id).where(Evaluation.member_id == actor.member_id)
            query = query.where(EvaluationCycle.id.in_(mine))
    return [{"id": i, "name": n} for i, n, _ in session.execute(query).all()]


def leaderboard(session: Session, actor: Actor, cycle_id: int) -> pd.DataFrame:
    """Members of the cycle ranked by praise received during its period, then confirmed rewards."""
    cycle = session.get(EvaluationCycle, cycle_id)
    if cycle is None:
        raise NotFound("error.not_found")
    scope = scope_for(session, actor)
    in_cycle = actor.member_id is not None and session.scalar(
        select(Evaluation.id).where(Evaluation.cycle_id == cycle.id, Evaluation.member_id == actor.member_id)) is not None
    if not (scope.everything or (actor.is_manager and cycle.team_id in scope.team_ids) or in_cycle):
        raise PermissionDenied("error.permission_denied")
    lo = datetime.combine(cycle.start_date, time.min)
    hi = datetime.combine(cycle.end_date + timedelta(days=1), time.min)
    members = session.execute(
        select(Member.id, Member.name).join(Evaluation, Evaluation.member_id == Member.id).where(Evaluation.cycle_id == cycle.id)
    ).all()
    ids = [i for i, _ in members]
    praise = dict(session.execute(
        select(Recognition.to_member_id, func.count()).where(
            Recognition.to_member_id.in_(ids), Recognition.created_at >= lo, Recognition.created_at < hi)
        .group_by(Recognition.to_member_id)
    ).all()) if ids else {}
    rewards = dict(session.execute(
        select(Reward.member_id, func.count()).where(Reward.cycle_id == cycle.id, Reward.status == "confirmed")
        .group_by(Reward.member_id)
    ).all())
    frame = pd.DataFrame(
        [{"member": n, "praise": int(praise.get(i, 0)), "rewards": int(rewards.get(i, 0))} for i, n in members],
        columns=["member", "praise", "rewards"],
    ).sort_values(["praise", "rewards", "member"], ascending=[False, False, True], ignore_index=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame


def leaderboard_chart(frame: pd.DataFrame, title: str, x_title: str, y_title: str, rewards_title: str = "") -> alt.Chart:
    return (
        alt.Chart(frame).mark_bar()
        .encode(
            y=alt.Y("member:N", sort="-x", title=y_title),
            x=alt.X("praise:Q", title=x_title, axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("member:N", title=y_title), alt.Tooltip("praise:Q", title=x_title),
                     alt.Tooltip("rewards:Q", title=rewards_title or " ")],  # titled: a field name is no label
        )
        .properties(title=title, height=alt.Step(26))
    )
