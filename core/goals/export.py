"""The goals export."""
from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.goals.charts import overview_frame
from core.goals.queries import list_goals
from core.permissions import (
    Actor,
)
from db.models import CheckIn


def export_frames(session: Session, actor: Actor, team_id: int, today: date | None = None, period: str = "current",
                  fiscal_start: int = 1) -> dict[str, pd.DataFrame]:
    """A team's goal progress for Excel, for a period (core.periods): the goals sheet (with status
    and rule) and check-ins."""
    goals = list_goals(session, actor, team_id=team_id, today=today, limit=5000, period=period, fiscal_start=fiscal_start)
    frame = overview_frame(goals)
    ids = [g.id for g in goals]
    checkins = pd.DataFrame(columns=["goal_id", "value", "confidence", "comment", "at"])
    if ids:
        rows = session.execute(select(CheckIn.goal_id, CheckIn.value, CheckIn.confidence, CheckIn.comment, CheckIn.created_at)
                               .where(CheckIn.goal_id.in_(ids)).order_by(CheckIn.goal_id, CheckIn.created_at)).all()
        checkins = pd.DataFrame([dict(r._mapping) for r in rows], columns=["goal_id", "value", "confidence", "comment", "created_at"])
    return {"goals": frame, "check_ins": checkins}
