"""Anonymous feedback from members to their team or their manager.

Anonymity, by construction:

- the `feedback` table has no author column and keeps only the month (`YYYY-MM`), no timestamp;
- sending writes NO audit row and logs nothing (the data-revision counter still moves, as for any
  write; it carries no data);
- nothing about a sent item is returned to the sender or cached (pages call `send_feedback` through
  `ui.write`, never `ui.cached`);
- items are released to the manager in batches once a month has ended, and only when the batch
  holds items from at least `MIN_BATCH` (3) different people (counted through `FeedbackSender`
  tokens: keyed hashes never linked to an item, deleted at release); a smaller batch waits;
- a batch is labelled with a group of at least `MIN_GROUP` (5) members: a smaller sub-team is
  rolled up to its parent. The label is worked out when the batch is read, from the teams as they
  are then, so moving people later cannot shrink a released group below that. On release each
  item's month is replaced by the batch's month, and items are listed in text order, never in the
  order they were sent, so neither time nor order points back to a sender.

Readers: managers read the released feedback of their teams (addressed to the team or to them);
members read released feedback addressed to their own team.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from core import audit, limits
from core.errors import FieldError, InvalidInput, PermissionDenied
from core.permissions import Actor, scope_clause, scope_for
from db.models import FEEDBACK_TARGETS, Feedback, FeedbackSender, Member, Setting, Team

MIN_BATCH = 3
MIN_GROUP = 5
_SALT_KEY = "feedback_sender_salt"
MIN_LENGTH, MAX_LENGTH = 5, limits.max_length(Feedback, "body")  # 2,000, from core.limits


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_period(day: date) -> str:
    """The month before `day`'s month (the last month that has ended)."""
    first = day.replace(day=1)
    return period_of(date(first.year - 1, 12, 1) if first.month == 1 else date(first.year, first.month - 1, 1))


def send_feedback(session: Session, actor: Actor, target: str, body: str, today: date | None = None) -> None:
    """Store one anonymous item for the sender's team. Deliberately returns nothing, audits nothing
    and logs nothing: only the team, the target, the month and the text are kept."""
    if actor.member_id is None or actor.team_id is None:
        raise PermissionDenied("feedback.error.not_a_member")
    body = (body or "").strip()
    errors = []
    if target not in FEEDBACK_TARGETS:
        errors.append(FieldError("feedback.error.target"))
    if not MIN_LENGTH <= len(body) <= MAX_LENGTH:
        errors.append(FieldError("feedback.error.length", {"min": MIN_LENGTH, "max": MAX_LENGTH}))
    if errors:
        raise InvalidInput("feedback.error.invalid", errors=errors)
    period = period_of(today or date.today())
    session.add(Feedback(team_id=actor.team_id, target=target, period=period, body=body, released=False))
    token = _sender_token(session, actor.member_id, actor.team_id, target)
    if session.get(FeedbackSender, (actor.team_id, target, period, token)) is None:
        session.add(FeedbackSender(team_id=actor.team_id, target=target, period=period, token=token))
    session.flush()


def _sender_token(session: Session, member_id: int, team_id: int, target: str) -> str:
    """A keyed hash standing for 'one distinct sender' of a team and target (the key is a random
    workspace salt): counts people without naming them or pointing at their items."""
    salt = session.get(Setting, _SALT_KEY)
    if salt is None:
        salt = Setting(key=_SALT_KEY, value=secrets.token_hex(32))
        session.add(salt)
        session.flush()
    return hmac.new(salt.value.encode(), f"{member_id}:{team_id}:{target}".encode(), hashlib.sha256).hexdigest()


def _senders(session: Session, team_id: int, target: str, before_period: str) -> int:
    return session.scalar(select(func.count(func.distinct(FeedbackSender.token))).where(
        FeedbackSender.team_id == team_id, FeedbackSender.target == target, FeedbackSender.period < before_period)) or 0


def _due_groups(session: Session, actor: Actor, today: date) -> list[tuple[int, str, int]]:
    """(team, target, count) groups whose waiting items from ended months number at least 3."""
    scope = scope_for(session, actor)
    if not (scope.everything or actor.is_manager):
        return []
    rows = session.execute(
        select(Feedback.team_id, Feedback.target, func.count())
        .where(Feedback.released.is_(False), Feedback.period < period_of(today), scope_clause(scope, Feedback))
        .group_by(Feedback.team_id, Feedback.target)
    ).all()
    current = period_of(today)
    return [(team_id, target, n) for team_id, target, n in rows
            if n >= MIN_BATCH and _senders(session, team_id, target, current) >= MIN_BATCH]


def due_batches(session: Session, actor: Actor, today: date | None = None) -> int:
    """How many batches are ready to release for the manager (read-only)."""
    return len(_due_groups(session, actor, today or date.today()))


def release_due_feedback(session: Session, actor: Actor, today: date | None = None) -> int:
    """Release every ready batch in the manager's teams: all waiting items of ended months, when
    there are at least 3 for a team and target. Their month becomes the batch's month. Returns the
    number of items released. Batches under 3 keep waiting."""
    today = today or date.today()
    batch_period = previous_period(today)
    released = 0
    for team_id, target, count in _due_groups(session, actor, today):
        session.execute(
            update(Feedback)
            .where(Feedback.team_id == team_id, Feedback.target == target, Feedback.released.is_(False),
                   Feedback.period < period_of(today))
            .values(released=True, period=batch_period)
        )
        session.execute(delete(FeedbackSender).where(FeedbackSender.team_id == team_id, FeedbackSender.target == target,
                                                     FeedbackSender.period < period_of(today)))
        audit.record(session, actor, "feedback.release", "feedback_batch", None, None,
                     {"team_id": team_id, "target": target, "period": batch_period, "count": count})
        released += count
    return released


@dataclass(frozen=True)
class Batch:
    team_id: int
    team: str
    target: str
    period: str
    items: tuple[str, ...]


def group_labels(session: Session) -> dict[int, tuple[int, str]]:
    """team -> (team, name) of the group its feedback is shown under: the team itself when it and
    its sub-teams hold at least MIN_GROUP active members, else its nearest parent that does (the
    top team when none does). Worked out from the teams as they are now."""
    teams = {t.id: (t.parent_id, t.name) for t in session.execute(select(Team.id, Team.parent_id, Team.name)).all()}
    direct = dict(session.execute(select(Member.team_id, func.count()).where(Member.status != "left")
                                  .group_by(Member.team_id)).all())
    size: dict[int, int] = {}
    children: dict[int | None, list[int]] = {}
    for tid, (parent, _) in teams.items():
        children.setdefault(parent, []).append(tid)

    def total(tid: int) -> int:
        if tid not in size:
            size[tid] = direct.get(tid, 0) + sum(total(c) for c in children.get(tid, []))
        return size[tid]

    labels = {}
    for tid in teams:
        group = tid
        while total(group) < MIN_GROUP and teams[group][0] is not None:
            group = teams[group][0]
        labels[tid] = (group, teams[group][1])
    return labels


def list_batches(session: Session, actor: Actor, limit: int = 24) -> list[Batch]:
    """Released batches the actor may read, newest month first; items in text order. A batch of a
    team smaller than MIN_GROUP is shown under (and merged with) its rolled-up group."""
    scope = scope_for(session, actor)
    groups = session.execute(
        select(Feedback.team_id, Team.name, Feedback.target, Feedback.period)
        .join(Team, Team.id == Feedback.team_id)
        .where(Feedback.released.is_(True), scope_clause(scope, Feedback))
        .group_by(Feedback.team_id, Team.name, Feedback.target, Feedback.period)
        .order_by(Feedback.period.desc(), Team.name, Feedback.target)
        .limit(limit)
    ).all()
    labels = group_labels(session)
    merged: dict[tuple[int, str, str], list[str]] = {}
    names: dict[int, str] = {}
    for team_id, team, target, period in groups:
        bodies = session.scalars(
            select(Feedback.body).where(Feedback.team_id == team_id, Feedback.target == target,
                                        Feedback.period == period, Feedback.released.is_(True), scope_clause(scope, Feedback))
        ).all()
        group_id, group_name = labels.get(team_id, (team_id, team))
        names[group_id] = group_name
        merged.setdefault((group_id, target, period), []).extend(bodies)
    order = sorted(merged, key=lambda k: (-int(k[2].replace("-", "")), names[k[0]], k[1]))  # newest month first
    return [Batch(g, names[g], t, p, tuple(sorted(merged[(g, t, p)]))) for g, t, p in order]
