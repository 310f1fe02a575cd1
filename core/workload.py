"""Workload: per member, open tasks against their limit (Member.max_open_tasks) and overdue
count, aggregated in SQL; and the Altair bar chart with a capacity rule."""
from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from core import i18n
from core.permissions import Actor, scope_clause, scope_for, subtree_team_ids
from core.tasks import _due_clause, _quadrant_clause
from db.models import Member, Task, Team

COLUMNS = ["member_id", "member", "team", "open_tasks", "capacity", "overdue", "load", "over_capacity"]


def workload_frame(
    session: Session, actor: Actor, team_id: int | None = None, *, quadrant: str | None = None,
    due: str | None = None, today: date | None = None,
) -> pd.DataFrame:
    """One row per visible member (of `team_id` and its sub-teams, if given): open tasks matching
    the priority and due filters, their limit, overdue open tasks, load = open / limit."""
    today = today or date.today()
    scope = scope_for(session, actor)
    conditions = [Task.assignee_id == Member.id, Task.status != "done", scope_clause(scope, Task)]
    for clause in (_due_clause(due, today), _quadrant_clause(quadrant)):
        if clause is not None:
            conditions.append(clause)
    stmt = (
        select(
            Member.id, Member.name, Team.name.label("team"), Member.max_open_tasks,
            func.count(Task.id).label("open_tasks"),
            func.coalesce(func.sum(case((Task.due_date < today, 1), else_=0)), 0).label("overdue"),
        )
        .join(Team, Team.id == Member.team_id)
        .outerjoin(Task, and_(*conditions))
        .where(scope_clause(scope, Member), Member.status != "left")
        .group_by(Member.id, Member.name, Team.name, Member.max_open_tasks)
        .order_by(Team.name, Member.name)
    )
    if team_id is not None:
        stmt = stmt.where(Member.team_id.in_(subtree_team_ids(session, {team_id})))
    rows = session.execute(stmt).all()
    frame = pd.DataFrame(
        [
            {
                "member_id": r.id, "member": r.name, "team": r.team, "open_tasks": int(r.open_tasks),
                "capacity": int(r.max_open_tasks), "overdue": int(r.overdue),
                "load": (r.open_tasks / r.max_open_tasks) if r.max_open_tasks else None,
                "over_capacity": r.open_tasks > r.max_open_tasks,
            }
            for r in rows
        ],
        columns=COLUMNS,
    )
    return frame


def workload_chart(frame: pd.DataFrame, lang: str = "zh") -> alt.LayerChart | alt.FacetChart:
    """Horizontal bars of open tasks per member (red when over the limit) with a tick at each
    member's limit; overdue tasks in the tooltip."""
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    data = frame.assign(
        state=[t("workload.state.over") if over else t("workload.state.ok") for over in frame["over_capacity"]]
    )
    y = alt.Y("member:N", title=t("workload.member"), sort=None, axis=alt.Axis(labelLimit=200))
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("open_tasks:Q", title=t("workload.open_tasks"), axis=alt.Axis(tickMinStep=1, format="d")),
        y=y,
        color=alt.Color(
            "state:N", title=t("workload.state"),
            scale=alt.Scale(domain=[t("workload.state.ok"), t("workload.state.over")], range=["#4c78a8", "#e45756"]),
        ),
        tooltip=[
            alt.Tooltip("member:N", title=t("workload.member")),
            alt.Tooltip("team:N", title=t("workload.team")),
            alt.Tooltip("open_tasks:Q", title=t("workload.open_tasks")),
            alt.Tooltip("capacity:Q", title=t("workload.capacity")),
            alt.Tooltip("overdue:Q", title=t("workload.overdue")),
        ],
    )
    rule = alt.Chart(data).mark_tick(color="black", thickness=2, size=22).encode(
        x=alt.X("capacity:Q", title=t("workload.open_tasks")), y=y,
        tooltip=[alt.Tooltip("capacity:Q", title=t("workload.capacity"))],
    )
    return alt.layer(bars, rule).properties(title=t("workload.title"), height=alt.Step(26))
