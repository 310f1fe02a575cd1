"""Tasks, goals and check-ins. Goal targets are set against what `core.metrics` measures on the rows
already inserted (`Builder.measured`), so goals start out partly on track and partly at risk."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from core import metric_registry
from core.metric_registry import LEVEL_METRICS
from db.models import CheckIn, Goal, Member, Task, TaskNote
from demo.plans import MemberPlan, Picker, TeamPlan, month, quarter
from demo.vocabulary import (
    MANUAL_GOALS,
    MEMBER_GOALS,
    METRIC_LABELS,
    ROLE_FAMILY,
    TASK_CUSTOMER_TITLES,
    TASK_NOTES,
    TASK_STATUS_WEIGHTS,
    TASK_TITLES,
    TOP_TEAMS,
)

if TYPE_CHECKING:
    from demo.builder import Builder


def build_tasks_and_goals(b: Builder) -> None:
    tasks = plan_tasks(b)
    order = sorted(range(len(tasks)), key=lambda k: (tasks[k]["_group"], tasks[k]["_sort"], k))
    positions: dict[Any, int] = defaultdict(int)
    for k in order:
        positions[tasks[k]["_group"]] += 1
        tasks[k]["position"] = float(positions[tasks[k]["_group"]] * 1000)
    members = [t.pop("_member") for t in tasks]
    for t in tasks:
        del t["_group"], t["_sort"]
    # The tasks go in before the goals so that core.metrics sees them when goal targets are set.
    ids = b.insert(Task, tasks, returning=True)
    build_goals(b)
    rng = b.rng
    # A share of each member's tasks serve one of their current goals.
    links = []
    for tid, t, m in zip(ids, tasks, members):
        goals = b.goal_ids_by_member.get(m) if m is not None else None
        if goals and rng.random() < 0.25:
            t["goal_id"] = rng.choice(goals)
            links.append({"id": tid, "goal_id": t["goal_id"]})
    if links:
        b.s.execute(update(Task), links)
    notes = []
    for tid, t, m in zip(ids, tasks, members):
        if m is not None:
            b.task_ids_by_member[m].append(tid)
        if t["status"] != "todo" and rng.random() < 0.3:
            author = b.user_of(m) or t["created_by"]
            for _ in range(rng.randint(1, 2)):
                notes.append(dict(task_id=tid, user_id=author, body=rng.choice(TASK_NOTES),
                                  created_at=b.past_dt(t["created_at"], t["completed_at"] or b.midnight)))
    b.insert(TaskNote, notes)
    b.s.execute(update(Member), [{"id": m.id, "max_open_tasks": m.cap_tasks} for m in b.members])
    # Issue 15: every top team's board limits work in progress (in progress and blocked).
    from db.models import BoardWipLimit

    b.insert(BoardWipLimit, [dict(team_id=t.id, status=status, max_cards=limit) for t in b.teams
                                if t.parent is None for status, limit in (("in_progress", 12), ("blocked", 4))])


def plan_tasks(b: Builder) -> list[dict[str, Any]]:
    rng, today = b.rng, b.today
    t_ord = today.toordinal()
    status_pick = Picker(TASK_STATUS_WEIGHTS)
    workers = [m for m in b.members if m.status != "left"]
    weights = [0.4 if m.is_top_lead else 1.0 for m in workers]
    n = b.scale.tasks
    n_unassigned = max(3, n // 25)
    assignees = rng.choices(workers, weights=weights, k=n - n_unassigned) + [None] * n_unassigned
    demo = next(m for m in b.members if m.username == "member")
    assignees[:4] = [demo] * 4  # `member` gets a task in every status
    forced = dict(enumerate(("todo", "in_progress", "blocked", "done")))
    customer_names = {c.id: c.name for c in b.customers}
    open_count: dict[int, int] = defaultdict(int)
    tasks = []
    for k, m in enumerate(assignees):
        status = forced.get(k) or status_pick(rng)
        team = m.team if m is not None else rng.choice([t.idx for t in b.teams if t.parent is not None])
        created = b.dt(t_ord - rng.randint(1, 150))
        if status == "done":
            due = created.toordinal() + rng.randint(3, 30)
            on_time = rng.random() < min(0.95, max(0.5, 0.8 + 0.08 * (m.quality if m else 0)))
            done_day = min(t_ord - 1, due - rng.randint(0, 2) if on_time else due + rng.randint(1, 8))
            done_day = max(done_day, created.toordinal())
            completed = b.dt(done_day)
            if completed <= created:
                completed = created + timedelta(minutes=30)
            progress, updated = 100, completed
        else:
            completed = None
            due = t_ord + rng.randint(-12, 30) if k > 1 else t_ord - rng.randint(1, 5)  # some overdue, `member` too
            progress = {"todo": 0, "in_progress": rng.randrange(10, 91, 10), "blocked": rng.randrange(10, 61, 10)}[status]
            updated = b.past_dt(created)
            if m is not None:
                open_count[m.idx] += 1
        customers = b.owned.get(m.idx) if m is not None else None
        customer_id = rng.choice(customers) if customers and rng.random() < 0.5 else None
        if customer_id is not None:
            title = rng.choice(TASK_CUSTOMER_TITLES).format(c=customer_names[customer_id])
        else:
            title = rng.choice(TASK_TITLES)
        creator = b.top_manager_user(m) if m is not None else b.users[TOP_TEAMS[b.teams[team].top].username]
        group = ("m", m.idx, status) if m is not None else ("t", team, status)
        tasks.append(dict(title=title[:200], description="请在截止日期前完成并更新进度。" if rng.random() < 0.3 else None,
                          team_id=b.teams[team].id, assignee_id=m.id if m is not None else None, customer_id=customer_id,
                          goal_id=None, status=status, importance=int(rng.random() < 0.45), urgency=int(rng.random() < 0.35),
                          due_date=date.fromordinal(due) if rng.random() < 0.97 or status == "done" else None,
                          position=0.0, progress=progress, version=1, created_by=creator, created_at=created,
                          updated_at=updated, completed_at=completed,
                          _member=m.idx if m is not None else None, _group=group, _sort=due))
    for m in b.members:
        m.cap_tasks = max(12, open_count[m.idx] + (0 if rng.random() < 0.1 else rng.randint(2, 6)))
    return tasks


def goal_target(b: Builder, metric: str, actual: float | None, start: date, end: date, team: bool) -> float:
    rng = b.rng
    last = min(end, b.today - timedelta(days=1))
    elapsed = max(0.05, min(1.0, ((last - start).days + 1) / ((end - start).days + 1)))
    u = rng.uniform(0.72, 1.28)  # >1: ahead of pace; <1: behind (at risk)
    if metric not in LEVEL_METRICS:  # sums and counts accumulate
        default = {"sales_won": 500_000 if team else 150_000, "new_customers": 10 if team else 3,
                   "follow_ups_done": 200 if team else 40, "tasks_on_time": 30 if team else 8}[metric]
        projected = (actual or 0) / elapsed / u if actual else default
        if metric == "sales_won":
            return float(max(10_000, round(projected, -4)))
        return float(max(1, round(projected)))
    if metric == "first_response_hours":
        return round(max(0.5, (actual if actual is not None else 6.0) * rng.uniform(0.85, 1.25)), 1)
    base = {"csat_avg": 4.2, "nps": 35.0, "retention_rate": 90.0, "resolution_rate": 85.0}[metric]
    value = actual if actual is not None else base
    if metric == "csat_avg":
        return round(min(5.0, value + rng.uniform(-0.2, 0.3)), 1)
    if metric == "nps":
        return float(min(100, round(value + rng.uniform(-8, 12))))
    return float(min(100, round(value + rng.uniform(-4, 6))))


_Manual = tuple[str, int, str]  # a manual goal's title, target and unit


def _add_goal(b: Builder, goals: list[dict[str, Any]], title: str, metric: str, start: date, end: date, *,
              team: TeamPlan | None = None, member: MemberPlan | None = None, parent: int | None = None,
              manual: _Manual | None = None) -> int:
    """Plan one goal (a team's or a member's) and return its index in `goals`; a measured goal's
    target is set against what core.metrics measures for it so far (`goal_target`)."""
    rng, today = b.rng, b.today
    if manual:
        target, unit = float(manual[1]), manual[2]
    else:
        teams = set(b.subtree(team.idx)) if team else set()
        people = [m.idx for m in b.members if m.team in teams] if team else [member.idx]
        actual = b.measured(metric, people, start, min(end, today - timedelta(days=1)))
        target, unit = goal_target(b, metric, actual, start, end, team is not None), metric_registry.unit(metric)
    creator = b.users[TOP_TEAMS[(team or b.teams[member.team]).top].username]
    goals.append(dict(title=title[:200], team_id=team.id if team else None, member_id=member.id if member else None,
                      metric=metric, target=target, unit=unit, baseline=0.0, start_date=start, end_date=end,
                      importance=int(rng.random() < 0.6), urgency=int(rng.random() < 0.3),
                      status="archived" if end < today - timedelta(days=75) else "active", created_by=creator,
                      created_at=b.dt(min(start, today - timedelta(days=1))), _parent=parent,
                      _member=member.idx if member else None, _manual=manual))
    return len(goals) - 1


_TeamGoals = dict[tuple[int, str, str], int]  # (team idx, metric, period key "y" | "q0" | "q-1") -> goal index


def _quarter_label(start: date) -> str:
    return f"{start.year} Q{(start.month - 1) // 3 + 1}"


def _plan_top_team_goals(b: Builder, goals: list[dict[str, Any]], team_goal: _TeamGoals, k: int) -> None:
    """A top team's yearly goal per metric, with last and this quarter's under it (last quarter's
    only when it is in this year); a manual yearly goal counts four quarters unless a percentage."""
    today = b.today
    top, team = TOP_TEAMS[k], b.teams[k]
    periods = {"y": (date(today.year, 1, 1), date(today.year, 12, 31)), "q0": b.cur_q, "q-1": b.prev_q}
    for metric in top.goal_metrics:
        manual = MANUAL_GOALS[0 if top.kind == "core" else 5] if metric == "manual" else None
        label = manual[0] if manual else METRIC_LABELS[metric]
        yearly_manual = (manual[0], manual[1] * 4, manual[2]) if manual and manual[2] != "%" else manual
        yearly = _add_goal(b, goals, f"{today.year} 年{team.name}{label}", metric, *periods["y"], team=team, manual=yearly_manual)
        team_goal[(k, metric, "y")] = yearly
        for key in ("q-1", "q0"):
            start, end = periods[key]
            parent = yearly if start.year == today.year else None
            team_goal[(k, metric, key)] = _add_goal(b, goals, f"{_quarter_label(start)} {team.name}{label}", metric, start, end,
                                                    team=team, parent=parent, manual=manual)


def _plan_sub_team_goals(b: Builder, goals: list[dict[str, Any]], team_goal: _TeamGoals, k: int) -> None:
    """This quarter's goals of the top team's sub-teams, for its first two measured metrics."""
    for sub in (t for t in b.teams if t.parent == k):
        for metric in TOP_TEAMS[k].goal_metrics[:2]:
            if metric == "manual":
                continue
            start, end = b.cur_q
            team_goal[(sub.idx, metric, "q0")] = _add_goal(b, goals, f"{_quarter_label(start)} {sub.name}{METRIC_LABELS[metric]}",
                                                           metric, start, end, team=sub, parent=team_goal[(k, metric, "q0")])


def _member_goal_parent(b: Builder, team_goal: _TeamGoals, m: MemberPlan, metric: str, kind: str, offset: int) -> int | None:
    """Last or this quarter's goal of the member's team (else of its top team) on the same metric."""
    if kind == "q" and offset in (0, -1):
        key = "q0" if offset == 0 else "q-1"
        parent = team_goal.get((m.team, metric, key))
        if parent is None:
            parent = team_goal.get((b.teams[m.team].top, metric, key))
        return parent
    return None


def _plan_member_goals(b: Builder, goals: list[dict[str, Any]], team_goal: _TeamGoals) -> None:
    """The rest of the scale's goals shared among the members (not top leads), each following their
    role's sequence of goals; manual ones cycle through the manual titles."""
    today = b.today
    people = [m for m in b.members if not m.is_top_lead]
    remaining = max(0, b.scale.goals - len(goals))
    base, extra = divmod(remaining, len(people))
    manual_cycle = 0
    for i, m in enumerate(people):
        sequence = MEMBER_GOALS[ROLE_FAMILY[m.role]]
        for metric, kind, offset in sequence[:min(len(sequence), base + (1 if i < extra else 0))]:
            start, end = quarter(today, offset) if kind == "q" else month(today, offset)
            label = _quarter_label(start) if kind == "q" else f"{start.year} 年 {start.month} 月"
            parent = _member_goal_parent(b, team_goal, m, metric, kind, offset)
            if metric == "manual":
                manual = MANUAL_GOALS[1:5][manual_cycle % 4]
                manual_cycle += 1
                _add_goal(b, goals, f"{label} {manual[0]}", metric, start, end, member=m, manual=manual)
            else:
                _add_goal(b, goals, f"{label} 个人{METRIC_LABELS[metric]}", metric, start, end, member=m, parent=parent)


def _insert_goals(b: Builder, goals: list[dict[str, Any]]) -> None:
    """Insert the planned goals, parents first; keeps them in `b.goal_rows` and each member's
    running goals in `b.goal_ids_by_member`."""
    ids: list[int] = [0] * len(goals)
    remaining_idx = list(range(len(goals)))
    while remaining_idx:  # parents first
        ready = [k for k in remaining_idx if goals[k]["_parent"] is None or ids[goals[k]["_parent"]]]
        rows = [{**{key: v for key, v in goals[k].items() if not key.startswith("_")},
                 "parent_id": ids[goals[k]["_parent"]] if goals[k]["_parent"] is not None else None} for k in ready]
        for k, gid in zip(ready, b.insert(Goal, rows, returning=True)):
            ids[k] = gid
        remaining_idx = [k for k in remaining_idx if not ids[k]]
    b.goal_rows = list(zip(ids, goals))
    for gid, g in b.goal_rows:
        if g["_member"] is not None and g["status"] == "active" and g["end_date"] >= b.today:
            b.goal_ids_by_member[g["_member"]].append(gid)


_CHECK_IN_COMMENTS = ("按计划推进。", "本周完成一项。", "进度略慢，下周补上。", "客户配合度高，进展顺利。", None)


def _goal_check_ins(b: Builder, gid: int, g: dict[str, Any]) -> list[dict[str, Any]]:
    """Weekly check-ins of a manual goal up to yesterday: steady progress towards a final value
    somewhat ahead of or behind the target's pace, the confidence following it."""
    rng = b.rng
    start, end = g["start_date"], g["end_date"]
    last = min(end, b.today - timedelta(days=1))
    if last < start:
        return []
    elapsed = ((last - start).days + 1) / ((end - start).days + 1)
    final = g["target"] * elapsed * rng.uniform(0.6, 1.25)
    weeks = max(1, (last - start).days // 7)
    member = b.members[g["_member"]] if g["_member"] is not None else None
    author = (member.user_id if member else None) or g["created_by"]
    value = 0.0
    check_ins = []
    for w in range(1, weeks + 1):
        day = start + timedelta(days=min(7 * w, (last - start).days))
        value = max(value, round(final * w / weeks, 1 if g["target"] < 20 else 0))
        check_ins.append(dict(goal_id=gid, value=value, comment=rng.choice(_CHECK_IN_COMMENTS),
                              confidence=max(1, min(5, round(3 + (final / max(g["target"] * elapsed, 0.01) - 1) * 4 + rng.gauss(0, 0.6)))),
                              user_id=author, created_at=b.dt(day)))
    return check_ins


def build_goals(b: Builder) -> None:
    goals: list[dict[str, Any]] = []  # with "_parent" (index into goals) and "_member"
    team_goal: _TeamGoals = {}
    for k in range(len(TOP_TEAMS)):
        _plan_top_team_goals(b, goals, team_goal, k)
        _plan_sub_team_goals(b, goals, team_goal, k)
    _plan_member_goals(b, goals, team_goal)
    _insert_goals(b, goals)
    # Weekly check-ins on manual goals: steady progress, some ahead and some behind.
    check_ins = []
    for gid, g in b.goal_rows:
        if g["metric"] == "manual":
            check_ins.extend(_goal_check_ins(b, gid, g))
    b.insert(CheckIn, check_ins)
