"""Meetings, 1:1s, anonymous feedback, recognition, training, breach notifications, the worker's
tables (`demo.worker`), the audit trail and the demo setting."""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from db.models import (
    ActionItem,
    AuditLog,
    Feedback,
    Meeting,
    Notification,
    OneOnOne,
    Recognition,
    Setting,
    Training,
    TrainingAttendance,
)
from demo.plans import MemberPlan, TeamPlan, month
from demo.vocabulary import (
    ACTION_ITEMS,
    FEEDBACK_TEXTS,
    MEETING_NOTES,
    ONE_ON_ONE_AGENDA,
    ONE_ON_ONE_NOTES,
    RECOGNITIONS,
    TOP_TEAMS,
    TRAININGS,
)

if TYPE_CHECKING:
    from demo.builder import Builder


def _insert_one_on_ones(b: Builder, tops: list[TeamPlan]) -> list[tuple[int, dict[str, Any], MemberPlan]]:
    """1:1s: each top-team manager with up to a dozen of their people (logins and sub-leads first),
    monthly for three months. Returns (id, row, member) of each."""
    rng, today = b.rng, b.today
    one_rows: list[dict[str, Any]] = []
    one_owner: list[MemberPlan] = []
    for t in tops:
        manager_user = b.users[TOP_TEAMS[t.top].username]
        people = [m for m in b.members_of(t.top) if not m.is_top_lead]
        demo_first = sorted(people, key=lambda m: (m.username is None, not m.is_sub_lead, m.idx))[:12]
        for m in demo_first:
            for months_ago in range(3):
                held = today - timedelta(days=30 * months_ago + rng.randint(2, 20))
                one_rows.append(dict(manager_user_id=manager_user, member_id=m.id, held_on=held,
                                     agenda=rng.choice(ONE_ON_ONE_AGENDA), notes=rng.choice(ONE_ON_ONE_NOTES),
                                     created_at=b.dt(held)))
                one_owner.append(m)
    one_ids = b.insert(OneOnOne, one_rows, returning=True)
    return list(zip(one_ids, one_rows, one_owner))


def _insert_meetings(b: Builder, tops: list[TeamPlan]) -> list[tuple[int, dict[str, Any], TeamPlan]]:
    """Each top team's weekly meeting on the eight Mondays before today. Returns (id, row, team) of each."""
    rng, today = b.rng, b.today
    meeting_rows: list[dict[str, Any]] = []
    meeting_team = []
    for t in tops:
        for week in range(8):
            held = today - timedelta(days=(today.weekday() or 7) + 7 * week)  # Mondays before today
            meeting_rows.append(dict(team_id=t.id, title=f"{t.name}周会", held_at=b.dt(held, 90),
                                     notes=rng.choice(MEETING_NOTES)))
            meeting_team.append(t)
    meeting_ids = b.insert(Meeting, meeting_rows, returning=True)
    return list(zip(meeting_ids, meeting_rows, meeting_team))


def _action(b: Builder, owner: MemberPlan, held: date, **source: Any) -> dict[str, Any]:
    """One action item from a meeting or a 1:1: due within two weeks, sometimes linked to one of the
    owner's tasks, mostly done once due."""
    rng, today = b.rng, b.today
    due = held + timedelta(days=rng.randint(3, 14))
    tasks = b.task_ids_by_member.get(owner.idx)
    return dict(meeting_id=source.get("meeting_id"), one_on_one_id=source.get("one_on_one_id"),
                text=rng.choice(ACTION_ITEMS), owner_member_id=owner.id, due_date=due,
                task_id=rng.choice(tasks) if tasks and rng.random() < 0.3 else None,
                done=due < today and rng.random() < 0.8)


def _insert_action_items(b: Builder, meetings: list[tuple[int, dict[str, Any], TeamPlan]],
                         one_on_ones: list[tuple[int, dict[str, Any], MemberPlan]]) -> None:
    """Two or three action items per meeting for active team members; one from every other 1:1."""
    rng = b.rng
    actions = []
    for mid, row, t in meetings:
        people = [m for m in b.members_of(t.top) if m.status == "active"]
        for owner in rng.sample(people, min(len(people), rng.randint(2, 3))):
            actions.append(_action(b, owner, row["held_at"].date(), meeting_id=mid))
    for oid, row, m in one_on_ones:
        if rng.random() < 0.5:
            actions.append(_action(b, m, row["held_on"], one_on_one_id=oid))
    b.insert(ActionItem, actions)


def _insert_feedback(b: Builder, tops: list[TeamPlan]) -> None:
    """Anonymous feedback: released batches for the last two months, this month's still waiting."""
    rng = b.rng
    feedback = []
    for t in tops:
        for offset, released in ((-2, True), (-1, True), (0, False)):
            start, _ = month(b.today, offset)
            period = f"{start.year:04d}-{start.month:02d}"
            for target in ("team", "manager"):
                count = rng.randint(3, 5) if released else rng.randint(1, 2)
                for body in rng.sample(FEEDBACK_TEXTS[target], count):
                    feedback.append(dict(team_id=t.id, target=target, period=period, body=body, released=released))
    b.insert(Feedback, feedback)


def _insert_recognitions(b: Builder) -> None:
    """The recognition wall: mostly from the top-team manager, some naming a goal or a customer."""
    rng = b.rng
    recognitions = []
    praised = [x for x in b.members if not x.is_top_lead]
    for _ in range(b.scale.recognitions):
        m = rng.choice(praised)
        goals = b.goal_ids_by_member.get(m.idx)
        customers = b.owned.get(m.idx)
        roll = rng.random()
        recognitions.append(dict(from_user_id=b.top_manager_user(m) if rng.random() < 0.85 else b.users["admin"],
                                 to_member_id=m.id, message=rng.choice(RECOGNITIONS),
                                 goal_id=rng.choice(goals) if goals and roll < 0.3 else None,
                                 customer_id=rng.choice(customers) if customers and 0.3 <= roll < 0.6 else None,
                                 created_at=b.past_dt(b.midnight - timedelta(days=90))))
    b.insert(Recognition, recognitions)


def _insert_trainings(b: Builder, tops: list[TeamPlan]) -> None:
    """Trainings (the compliance one for everybody) with attendance and pre/post scores."""
    rng, today = b.rng, b.today
    trainings, attendance_plan = [], []
    for n in range(b.scale.trainings):
        topic, skill, metric, trainer = TRAININGS[n % len(TRAININGS)]
        t = None if skill == "合规" else tops[n % len(tops)]
        held = today - timedelta(days=rng.randint(10, 170))
        trainings.append(dict(team_id=t.id if t else None, topic=topic if n < len(TRAININGS) else f"{topic}（第 {n // len(TRAININGS) + 1} 期）",
                              skill=skill, held_on=held, hours=rng.choice((1.5, 2.0, 3.0, 4.0, 6.0)), trainer=trainer,
                              effect_metric=metric))
        people = [m for m in (b.members_of(t.top) if t else b.members) if m.status != "left"]
        attendance_plan.append(rng.sample(people, min(len(people), rng.randint(6, 40))))
    training_ids = b.insert(Training, trainings, returning=True)
    attendance = []
    for tid, people in zip(training_ids, attendance_plan):
        for m in people:
            attended = rng.random() < 0.9
            pre = round(rng.uniform(45, 75)) if attended else None
            post = min(100, pre + round(rng.uniform(3, 25))) if attended else None
            attendance.append(dict(training_id=tid, member_id=m.id, attended=attended, pre_score=pre, post_score=post))
    b.insert(TrainingAttendance, attendance)


def _insert_breach_notifications(b: Builder) -> None:
    """Response breaches of the last two weeks, escalated to the top-team manager (the same kind and
    ref core.service.escalate_breaches writes, so it never duplicates them)."""
    rng = b.rng
    notifications = []
    for p in b.complaint_plan:
        resp_target, _ = b.target(p["assignee"].team, p["severity"])
        stopped = p["first_response_at"] or b.midnight
        if p["opened_at"] < b.midnight - timedelta(days=14) or (stopped - p["opened_at"]).total_seconds() <= resp_target:
            continue
        at = min(p["opened_at"] + timedelta(seconds=resp_target + 60), b.midnight)
        notifications.append(dict(user_id=b.top_manager_user(p["assignee"]), kind="complaint_response_breach",
                                  ref=f"complaint:{p['id']}", message=f"{p['customer'].name} · {p['title']}"[:300],
                                  created_at=at, read_at=min(at + timedelta(hours=2), b.midnight) if rng.random() < 0.4 else None))
    b.insert(Notification, notifications)


def _insert_audit_and_setting(b: Builder) -> None:
    """The audit trail gathered by every step, ending with the demo's own entry, and the demo setting."""
    b.audit_rows.append(dict(at=b.midnight - timedelta(minutes=1), user_id=b.users["admin"],
                                action="workspace.demo_created", entity="workspace", entity_id=None,
                                after={"seed": b.seed, "today": b.today.isoformat(), "members": len(b.members),
                                       "customers": len(b.customers)}))
    b.insert(AuditLog, b.audit_rows)
    b.insert(Setting, [dict(key="demo", value="on")])


def build_team_life(b: Builder) -> None:
    tops = [t for t in b.teams if t.parent is None]
    one_on_ones = _insert_one_on_ones(b, tops)
    meetings = _insert_meetings(b, tops)
    _insert_action_items(b, meetings, one_on_ones)
    _insert_feedback(b, tops)
    _insert_recognitions(b)
    _insert_trainings(b, tops)
    _insert_breach_notifications(b)

    from demo.worker import add_worker_demo  # issue 14's tables

    add_worker_demo(b)
    _insert_audit_and_setting(b)
