"""The Meeting page's data: a team's goals and status, attainment leaderboard, overdue follow-ups,
goals at risk and recent wins. Read-only, managers and admins only, one call per refresh (the page
caches it on the data revision, so an idle refresh costs one tiny query)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import pickers
from core.communication import follow_up_overdue
from core.errors import NotFound
from core.goals import GoalRow, falling_behind, list_goals
from core.metrics import won_between
from core.permissions import Actor, ensure_role, ensure_team, scope_for, subtree_team_ids
from db.models import Customer, Deal, Member, Recognition, Team

WINS_DAYS = 14
LEADERBOARD_CAP = 1.5  # attainment counted up to 150 % so one runaway goal does not dominate


@dataclass(frozen=True)
class MeetingBoard:
    team_id: int
    team: str
    today: date
    goals: list[GoalRow] = field(default_factory=list)
    leaderboard: list[dict] = field(default_factory=list)  # member, goals, attainment (0..1.5)
    overdue_total: int = 0
    overdue: list[dict] = field(default_factory=list)  # customer, owner, days
    at_risk: list[GoalRow] = field(default_factory=list)
    wins: list[dict] = field(default_factory=list)  # kind (deal|recognition), who, what, value, when


def meeting_teams(session: Session, actor: Actor) -> dict[int, str]:
    """Teams the actor may show on the Meeting page, by name."""
    ensure_role(actor, "admin", "manager")
    return pickers.teams(session, actor)


def leaderboard(goals: list[GoalRow]) -> list[dict]:
    """Average attainment of each member's own goals (capped at 150 %), best first; members
    without measured progress are left out."""
    per: dict[int, list[float]] = {}
    names: dict[int, str] = {}
    for g in goals:
        if g.member_id is None or g.progress.attainment is None:
            continue
        per.setdefault(g.member_id, []).append(max(0.0, min(LEADERBOARD_CAP, g.progress.attainment)))
        names[g.member_id] = g.owner
    rows = [{"member_id": m, "member": names[m], "goals": len(v), "attainment": sum(v) / len(v)} for m, v in per.items()]
    return sorted(rows, key=lambda r: (-r["attainment"], r["member"]))


def meeting_board(session: Session, actor: Actor, team_id: int, today: date | None = None, limit: int = 8,
                  period: str = "current", fiscal_start: int = 1) -> MeetingBoard:
    ensure_role(actor, "admin", "manager")
    today = today or date.today()
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("meeting.error.no_team")
    ensure_team(scope_for(session, actor), team_id)
    teams = sorted(subtree_team_ids(session, {team_id}))
    goals = list_goals(session, actor, team_id=team_id, today=today, limit=300, period=period, fiscal_start=fiscal_start)
    current = [g for g in goals if g.end_date >= today] if period == "current" else goals

    overdue_total = session.scalar(select(func.count()).select_from(Customer).where(
        Customer.team_id.in_(teams), follow_up_overdue(today))) or 0
    overdue_rows = session.execute(
        select(Customer.name, Member.name.label("owner"), Customer.next_follow_up)
        .outerjoin(Member, Member.id == Customer.owner_id)
        .where(Customer.team_id.in_(teams), follow_up_overdue(today))
        .order_by(Customer.next_follow_up, Customer.id).limit(limit)
    ).all()

    since = today - timedelta(days=WINS_DAYS)
    members = select(Member.id).where(Member.team_id.in_(teams))
    deals = session.execute(
        select(Deal.title, Deal.value, Deal.currency, Deal.closed_on, Member.name, Customer.name.label("customer"))
        .join(Member, Member.id == Deal.owner_id).join(Customer, Customer.id == Deal.customer_id)
        .where(won_between(since, today), Deal.owner_id.in_(members))
        .order_by(Deal.value.desc(), Deal.id).limit(limit)
    ).all()
    praise = session.execute(
        select(Recognition.message, Recognition.created_at, Member.name)
        .join(Member, Member.id == Recognition.to_member_id)
        .where(Recognition.to_member_id.in_(members), Recognition.created_at >= datetime.combine(since, time.min))
        .order_by(Recognition.created_at.desc(), Recognition.id.desc()).limit(limit)
    ).all()
    wins = [{"kind": "deal", "who": d.name, "what": f"{d.customer} · {d.title}", "value": float(d.value), "currency": d.currency, "when": d.closed_on}
            for d in deals]
    wins += [{"kind": "recognition", "who": r.name, "what": r.message, "value": None, "when": r.created_at.date()} for r in praise]
    wins.sort(key=lambda w: w["when"], reverse=True)
    return MeetingBoard(
        team_id=team_id, team=team.name, today=today, goals=current, leaderboard=leaderboard(current),
        overdue_total=int(overdue_total),
        overdue=[{"customer": r.name, "owner": r.owner, "days": (today - r.next_follow_up).days} for r in overdue_rows],
        at_risk=falling_behind(current),
        wins=wins[: limit * 2],
    )
