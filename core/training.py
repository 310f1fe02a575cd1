"""Training: sessions (topic, date, hours, trainer, skill), attendance with pre/post assessment
scores, and the measured EFFECT of a training.

Effect rule (one place):
- windows: W days before (held_on - W .. held_on - 1) and W days after (held_on + 1 .. held_on + W),
  dates inclusive; the training day itself is in neither;
- the metric is the training's `effect_metric` (or one chosen for the view), measured per person by
  core.metrics.measure_by_member in each window;
- attendees: attendance rows marked attended; comparison group: members who did not attend, are not
  gone ('left'), and share a team AND a role with some attendee (same teams/roles);
- a person counts when they have a value in both windows; a group's before/after is the mean of its
  people's values and its change is mean(after) - mean(before);
- effect = attendees' change - comparison group's change (difference in differences);
- caveats: fewer than MIN_GROUP people with values in either group ("too small to tell"), the
  after-window not over yet, no metric chosen.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import mean
from typing import Any

import altair as alt
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit, metrics
from core.errors import FieldError, InvalidInput, NotFound
from core.i18n import DEFAULT_CURRENCY, t
from core.permissions import (
    READ,
    WRITE,
    Actor,
    ensure,
    ensure_role,
    ensure_team,
    scope_clause,
    scope_for,
    subtree_team_ids,
)
from db.models import Member, Team, Training, TrainingAttendance

MIN_GROUP = 3
DEFAULT_WINDOW_DAYS = 30


# ---------------------------------------------------------------------------------------------
# Trainings
# ---------------------------------------------------------------------------------------------
def _validate(topic: str, held_on: date | None, hours: Any, effect_metric: str | None) -> list[FieldError]:
    errors = []
    if not (topic or "").strip():
        errors.append(FieldError("training.error.topic_required", column="topic"))
    elif len(topic.strip()) > 200:
        errors.append(FieldError("training.error.topic_too_long", column="topic"))
    if held_on is None:
        errors.append(FieldError("error.required", {"field": "held_on"}, column="held_on"))
    try:
        if hours is None or float(hours) <= 0 or float(hours) > 200:
            errors.append(FieldError("training.error.hours", column="hours"))
    except (TypeError, ValueError):
        errors.append(FieldError("training.error.hours", column="hours"))
    if effect_metric and effect_metric not in metrics.MEASURED_METRICS:
        errors.append(FieldError("training.error.metric", column="effect_metric"))
    return errors


def create_training(
    session: Session, actor: Actor, *, team_id: int | None, topic: str, held_on: date | None, hours: float,
    trainer: str | None = None, skill: str | None = None, effect_metric: str | None = None,
) -> int:
    """Managers create trainings for their teams (admins also org-wide ones, team None)."""
    ensure_role(actor, "admin", "manager")
    if team_id is not None or not actor.is_admin:
        ensure_team(scope_for(session, actor), team_id)
    errors = _validate(topic, held_on, hours, effect_metric)
    if errors:
        raise InvalidInput("error.invalid", errors=errors)
    training = Training(
        team_id=team_id, topic=topic.strip(), held_on=held_on, hours=float(hours),
        trainer=(trainer or "").strip() or None, skill=(skill or "").strip() or None, effect_metric=effect_metric or None,
    )
    session.add(training)
    session.flush()
    audit.record(session, actor, "training.create", "training", training.id, None, audit.snapshot(training))
    return training.id


def update_training(session: Session, actor: Actor, training_id: int, **changes: Any) -> None:
    """Change topic, date, hours, trainer, skill or effect metric."""
    training = _get(session, actor, training_id, WRITE)
    allowed_fields = {"topic", "held_on", "hours", "trainer", "skill", "effect_metric"}
    unknown = set(changes) - allowed_fields
    if unknown:
        raise InvalidInput("error.invalid")
    merged = {f: changes.get(f, getattr(training, f)) for f in allowed_fields}
    errors = _validate(merged["topic"], merged["held_on"], merged["hours"], merged["effect_metric"])
    if errors:
        raise InvalidInput("error.invalid", errors=errors)
    before = audit.snapshot(training)
    for name, value in changes.items():
        setattr(training, name, value.strip() if isinstance(value, str) else value)
    session.flush()
    b, a = audit.changed(before, audit.snapshot(training))
    if a:
        audit.record(session, actor, "training.update", "training", training.id, b, a)


def _get(session: Session, actor: Actor, training_id: int, action: str = READ) -> Training:
    training = session.get(Training, training_id)
    if training is None:
        raise NotFound("error.not_found")
    if action == WRITE:
        ensure_role(actor, "admin", "manager")
        if training.team_id is None and not actor.is_admin:
            from core.errors import PermissionDenied

            raise PermissionDenied("error.permission_denied")
    ensure(session, actor, action, training)
    return training


def list_trainings(session: Session, actor: Actor) -> pd.DataFrame:
    """Visible trainings, newest first, with attendance and average pre/post scores."""
    scope = scope_for(session, actor)
    stats = (
        select(
            TrainingAttendance.training_id,
            func.count().label("attendees"),
            func.avg(TrainingAttendance.pre_score).label("avg_pre"),
            func.avg(TrainingAttendance.post_score).label("avg_post"),
        )
        .where(TrainingAttendance.attended.is_(True))
        .group_by(TrainingAttendance.training_id)
        .subquery()
    )
    rows = session.execute(
        select(Training, Team.name.label("team"), stats.c.attendees, stats.c.avg_pre, stats.c.avg_post)
        .outerjoin(Team, Team.id == Training.team_id)
        .outerjoin(stats, stats.c.training_id == Training.id)
        .where(scope_clause(scope, Training))
        .order_by(Training.held_on.desc(), Training.id.desc())
    ).all()
    columns = ["id", "topic", "skill", "held_on", "hours", "trainer", "team", "effect_metric", "attendees",
               "avg_pre", "avg_post"]
    return pd.DataFrame([
        {"id": tr.id, "topic": tr.topic, "skill": tr.skill, "held_on": tr.held_on, "hours": tr.hours,
         "trainer": tr.trainer, "team": team, "effect_metric": tr.effect_metric, "attendees": attendees or 0,
         "avg_pre": None if avg_pre is None else float(avg_pre), "avg_post": None if avg_post is None else float(avg_post)}
        for tr, team, attendees, avg_pre, avg_post in rows
    ], columns=columns)


# ---------------------------------------------------------------------------------------------
# Attendance
# ---------------------------------------------------------------------------------------------
def attendance_rows(session: Session, actor: Actor, training_id: int) -> list[dict[str, Any]]:
    """Everyone who could attend (active members of the training's team and sub-teams, or of the
    actor's scope for an org-wide training) plus anyone already recorded, with their scores.
    Members see only their own row."""
    training = _get(session, actor, training_id)
    existing = {a.member_id: a for a in session.scalars(select(TrainingAttendance).where(TrainingAttendance.training_id == training_id))}
    if not (actor.is_admin or actor.is_manager):
        ids = {actor.member_id} & set(existing) if actor.member_id else set()
    else:
        scope = scope_for(session, actor)
        if training.team_id is not None:
            teams = subtree_team_ids(session, {training.team_id})
            ids = set(session.scalars(select(Member.id).where(Member.team_id.in_(sorted(teams)), Member.status != "left")))
        elif scope.everything:
            ids = set(session.scalars(select(Member.id).where(Member.status != "left")))
        else:
            ids = set(scope.member_ids)
        ids |= set(existing)
        if not scope.everything:
            ids &= set(scope.member_ids)  # never the scores of people outside the manager's teams
    if not ids:
        return []
    people = session.execute(
        select(Member.id, Member.name, Team.name.label("team")).join(Team, Team.id == Member.team_id)
        .where(Member.id.in_(sorted(ids))).order_by(Team.name, Member.name)
    ).all()
    out = []
    for p in people:
        a = existing.get(p.id)
        out.append({"member_id": p.id, "name": p.name, "team": p.team, "attended": bool(a and a.attended),
                    "pre_score": a.pre_score if a else None, "post_score": a.post_score if a else None})
    return out


def _score(value: Any) -> tuple[float | None, bool]:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None, True
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, False
    return (number, True) if 0 <= number <= 100 else (None, False)


def save_attendance(session: Session, actor: Actor, training_id: int, rows: list[dict[str, Any]]) -> int:
    """Save the attendance table in one go: who attended and their pre/post scores (0-100). Any
    invalid row refuses the whole table (row numbers as shown, 1-based). Returns rows changed."""
    training = _get(session, actor, training_id, WRITE)
    scope = scope_for(session, actor)
    existing = {a.member_id: a for a in session.scalars(select(TrainingAttendance).where(TrainingAttendance.training_id == training.id))}
    errors: list[FieldError] = []
    clean = []
    for position, row in enumerate(rows, start=1):
        member_id = row.get("member_id")
        if member_id is None or not (scope.has_member(member_id) or member_id in existing):
            errors.append(FieldError("error.permission_denied", row=position, column="name"))
            continue
        pre, ok = _score(row.get("pre_score"))
        if not ok:
            errors.append(FieldError("training.error.score", row=position, column="pre_score"))
        post, ok2 = _score(row.get("post_score"))
        if not ok2:
            errors.append(FieldError("training.error.score", row=position, column="post_score"))
        clean.append((member_id, bool(row.get("attended")), pre, post))
    if errors:
        raise InvalidInput("error.invalid", errors=errors)
    changed = 0
    for member_id, attended, pre, post in clean:
        record = existing.get(member_id)
        if record is None:
            if not attended and pre is None and post is None:
                continue
            record = TrainingAttendance(training_id=training.id, member_id=member_id)
            session.add(record)
            before = None
        else:
            before = audit.snapshot(record, ["attended", "pre_score", "post_score"])
            if (record.attended, record.pre_score, record.post_score) == (attended, pre, post):
                continue
        record.attended, record.pre_score, record.post_score = attended, pre, post
        session.flush()
        audit.record(session, actor, "training.attendance", "training_attendance", record.id, before,
                     audit.snapshot(record, ["training_id", "member_id", "attended", "pre_score", "post_score"]))
        changed += 1
    return changed


# ---------------------------------------------------------------------------------------------
# Effect
# ---------------------------------------------------------------------------------------------
@dataclass
class GroupResult:
    people: list[dict[str, Any]] = field(default_factory=list)  # member_id, name, before, after, change
    before: float | None = None
    after: float | None = None

    @property
    def n(self) -> int:
        return len(self.people)

    @property
    def change(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


@dataclass
class Effect:
    training_id: int
    metric: str | None
    before: tuple[date, date] | None
    after: tuple[date, date] | None
    attendees: GroupResult
    comparison: GroupResult
    caveats: list[str]

    @property
    def effect(self) -> float | None:
        a, c = self.attendees.change, self.comparison.change
        return None if a is None or c is None else a - c

    @property
    def too_small(self) -> bool:
        return "too_small" in self.caveats


def windows(held_on: date, days: int) -> tuple[tuple[date, date], tuple[date, date]]:
    return (held_on - timedelta(days=days), held_on - timedelta(days=1)), (held_on + timedelta(days=1), held_on + timedelta(days=days))


def _group(session: Session, metric: str, ids: list[int], names: dict[int, str],
           before: tuple[date, date], after: tuple[date, date], show_people: bool) -> GroupResult:
    if not ids:
        return GroupResult()
    b = metrics.measure_by_member(session, metric, ids, before[0], before[1])
    a = metrics.measure_by_member(session, metric, ids, after[0], after[1])
    people: list[dict[str, Any]] = [
        {"member_id": m, "name": names.get(m, ""), "before": b[m], "after": a[m], "change": a[m] - b[m]}
        for m in ids if b.get(m) is not None and a.get(m) is not None
    ]
    result = GroupResult(
        people=people,
        before=mean(p["before"] for p in people) if people else None,
        after=mean(p["after"] for p in people) if people else None,
    )
    if not show_people:
        result.people = [{"member_id": None, "name": "", "before": None, "after": None, "change": None}] * len(people)
    return result


def training_effect(
    session: Session, actor: Actor, training_id: int, *, metric: str | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS, today: date | None = None,
) -> Effect:
    """The attendees' change in `metric` next to comparable non-attendees' (see the module rules).
    Managers and admins see each person's numbers; members see the group figures only."""
    training = _get(session, actor, training_id)
    metric = metric or training.effect_metric
    today = today or date.today()
    if metric is None:
        return Effect(training.id, None, None, None, GroupResult(), GroupResult(), ["no_metric"])
    if metric not in metrics.MEASURED_METRICS or window_days < 1:
        raise InvalidInput("training.error.metric")
    before, after = windows(training.held_on, window_days)
    attendee_ids = sorted(session.scalars(select(TrainingAttendance.member_id).where(
        TrainingAttendance.training_id == training.id, TrainingAttendance.attended.is_(True))))
    profile = session.execute(select(Member.team_id, Member.role_id).where(Member.id.in_(attendee_ids))).all() if attendee_ids else []
    teams = sorted({p.team_id for p in profile})
    roles = sorted({p.role_id for p in profile})
    comparison_ids = sorted(session.scalars(select(Member.id).where(
        Member.team_id.in_(teams), Member.role_id.in_(roles), Member.status != "left",
        Member.id.not_in(attendee_ids),
    ))) if teams else []
    names = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(attendee_ids + comparison_ids))).all()) \
        if attendee_ids or comparison_ids else {}
    show = actor.is_admin or actor.is_manager
    attendees = _group(session, metric, attendee_ids, names, before, after, show)
    comparison = _group(session, metric, comparison_ids, names, before, after, show)
    caveats = []
    if attendees.n < MIN_GROUP or comparison.n < MIN_GROUP:
        caveats.append("too_small")
    if after[1] >= today:
        caveats.append("after_incomplete")
    return Effect(training.id, metric, before, after, attendees, comparison, caveats)


def effect_frame(effect: Effect) -> pd.DataFrame:
    """Long form for the chart and the numbers table: group, window, value, n."""
    rows = []
    for group, result in (("attendees", effect.attendees), ("comparison", effect.comparison)):
        for window, value in (("before", result.before), ("after", result.after)):
            rows.append({"group": group, "window": window, "value": value, "n": result.n})
    return pd.DataFrame(rows, columns=["group", "window", "value", "n"])


def effect_chart(effect: Effect, lang: str, currency: str = DEFAULT_CURRENCY) -> alt.Chart:
    """Before/after bars for attendees and the comparison group, each bar labelled with its value."""
    data = effect_frame(effect).dropna(subset=["value"]).copy()
    data["group_label"] = data["group"].map(lambda g: t(f"training.group.{g}", lang))
    data["window_label"] = data["window"].map(lambda w: t(f"training.window.{w}", lang))
    data["label"] = data["value"].map(lambda v: metrics.format_metric(v, effect.metric, lang, currency))
    unit = metrics.METRIC_UNITS.get(effect.metric or "", "")
    y_title = t(f"metric.{effect.metric}", lang) + (f" ({unit})" if unit else "")
    order = [t("training.window.before", lang), t("training.window.after", lang)]
    base = alt.Chart(data).encode(
        x=alt.X("window_label:N", title=t("training.effect.window_axis", lang), sort=order),
        xOffset=alt.XOffset("group_label:N"),
        y=alt.Y("value:Q", title=y_title),
        color=alt.Color("group_label:N", title=t("training.effect.group_axis", lang)),
        tooltip=[alt.Tooltip("group_label:N", title=t("training.effect.group_axis", lang)),
                 alt.Tooltip("window_label:N", title=t("training.effect.window_axis", lang)),
                 alt.Tooltip("label:N", title=y_title),
                 alt.Tooltip("n:Q", title=t("training.effect.n", lang))],
    )
    return (base.mark_bar() + base.mark_text(dy=-6).encode(text="label:N")).properties(
        title=t("training.effect.chart_title", lang), height=320)


__all__ = [
    "MIN_GROUP", "DEFAULT_WINDOW_DAYS", "create_training", "update_training", "list_trainings", "attendance_rows",
    "save_attendance", "GroupResult", "Effect", "windows", "training_effect", "effect_frame", "effect_chart",
]
