"""Service rules without the database: targets and business-hour policies, a complaint's timing, report buckets."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.business_time import WorkCalendar, add_business_seconds, business_seconds
from core.errors import FieldError, InvalidInput
from db.models import (
    CalendarHoliday,
    Complaint,
    ComplaintPause,
    ServiceCalendar,
    ServiceTarget,
    Team,
)

HOUR = 3600
DEFAULT_TARGETS: dict[str, tuple[int, int]] = {
    "critical": (1 * HOUR, 8 * HOUR),
    "high": (4 * HOUR, 24 * HOUR),
    "medium": (8 * HOUR, 72 * HOUR),
    "low": (24 * HOUR, 168 * HOUR),
}
NOTIFY_RESPONSE = "complaint_response_breach"
NOTIFY_RESOLUTION = "complaint_resolution_breach"
WARN_RESPONSE = "complaint_response_warning"
WARN_RESOLUTION = "complaint_resolution_warning"
ESCALATE_RESPONSE = "complaint_response_escalated"
ESCALATE_RESOLUTION = "complaint_resolution_escalated"
WARN_SHARE = 0.8  # the owner is warned when this share of a target has run
DEFAULT_LEAD_DELAY_MINUTES = 0
DEFAULT_MANAGER_DELAY_MINUTES = 240
# Resolved complaints keep being checked for a late breach for this long after resolution.
ESCALATION_LOOKBACK = timedelta(days=7)


# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    response_seconds: int
    resolution_seconds: int
    source: str  # "team" | "inherited" | "default"


class TargetBook:
    """Every team's effective targets, loaded in two small queries (teams and target rows)."""

    def __init__(self, session: Session) -> None:
        self.parent = dict(session.execute(select(Team.id, Team.parent_id)).all())
        self.rows: dict[tuple[int, str], tuple[int, int]] = {
            (r.team_id, r.severity): (r.response_seconds, r.resolution_seconds)
            for r in session.execute(select(ServiceTarget)).scalars()
        }
        holidays: dict[int, set[date]] = {}
        for calendar_id, day in session.execute(select(CalendarHoliday.calendar_id, CalendarHoliday.day)):
            holidays.setdefault(calendar_id, set()).add(day)
        self.calendars: dict[int, Policy] = {
            c.team_id: policy_of(c, holidays.get(c.id, set())) for c in session.scalars(select(ServiceCalendar))
        }
        self.pauses: dict[int, list[tuple[datetime, datetime | None]]] = {}
        self._policy_cache: dict[int | None, Policy] = {}

    def load_pauses(self, session: Session, complaint_ids: list[int]) -> None:
        """Waiting-on-customer intervals of these complaints (one query per 500)."""
        ids = sorted(set(complaint_ids) - set(self.pauses))
        for i in ids:
            self.pauses[i] = []
        for start in range(0, len(ids), 500):
            for r in session.execute(
                select(ComplaintPause.complaint_id, ComplaintPause.started_at, ComplaintPause.ended_at)
                .where(ComplaintPause.complaint_id.in_(ids[start:start + 500])).order_by(ComplaintPause.started_at)
            ):
                self.pauses[r.complaint_id].append((r.started_at, r.ended_at))

    def policy(self, team_id: int | None) -> Policy:
        """The team's calendar and escalation delays, else the nearest ancestor's, else round the
        clock with the default delays."""
        if team_id not in self._policy_cache:
            current, seen, found = team_id, set(), DEFAULT_POLICY
            while current is not None and current not in seen:
                seen.add(current)
                if current in self.calendars:
                    found = self.calendars[current]
                    break
                current = self.parent.get(current)
            self._policy_cache[team_id] = found
        return self._policy_cache[team_id]

    def timing(self, complaint_id: int, team_id: int | None, severity: str, opened_at: datetime,
               first_response_at: datetime | None, resolved_at: datetime | None, now: datetime) -> Timing:
        return timing(opened_at, first_response_at, resolved_at, self.get(team_id, severity), now,
                      self.policy(team_id).calendar, self.pauses.get(complaint_id, ()))

    def get(self, team_id: int | None, severity: str) -> Target:
        cache = self.__dict__.setdefault("_target_cache", {})
        if (team_id, severity) not in cache:
            cache[(team_id, severity)] = self._lookup(team_id, severity)
        return cache[(team_id, severity)]

    def _lookup(self, team_id: int | None, severity: str) -> Target:
        current, seen, first = team_id, set(), True
        while current is not None and current not in seen:
            seen.add(current)
            row = self.rows.get((current, severity))
            if row:
                return Target(row[0], row[1], "team" if first else "inherited")
            first = False
            current = self.parent.get(current)
        response, resolution = DEFAULT_TARGETS[severity]
        return Target(response, resolution, "default")


@dataclass(frozen=True)
class Policy:
    calendar: WorkCalendar | None
    lead_delay_seconds: int = DEFAULT_LEAD_DELAY_MINUTES * 60
    manager_delay_seconds: int = DEFAULT_MANAGER_DELAY_MINUTES * 60


DEFAULT_POLICY = Policy(None)


def policy_of(row: ServiceCalendar, holidays: set[date]) -> Policy:
    from datetime import time as _time

    def clock(minute: int) -> _time:
        return _time(0, 0) if minute >= 1440 else _time(minute // 60, minute % 60)

    calendar = WorkCalendar(
        timezone=row.timezone,
        working_days=frozenset(int(d) for d in row.working_days.split(",") if d.strip()),
        start=clock(row.day_start_minute),
        end=clock(row.day_end_minute),
        holidays=frozenset(holidays),
    )
    return Policy(calendar, row.lead_delay_minutes * 60, row.manager_delay_minutes * 60)


# ---------------------------------------------------------------------------------------------
# Timers and breaches (pure)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timing:
    response_due: datetime
    resolution_due: datetime
    response_seconds: float | None  # time to first response, None while waiting
    resolution_seconds: float | None  # time to resolution, None while open
    response_elapsed: float  # stopped clock, or running against `now`
    resolution_elapsed: float
    response_breached: bool
    resolution_breached: bool
    response_target: float = 0.0
    resolution_target: float = 0.0
    paused: bool = False

    @property
    def breached(self) -> bool:
        return self.response_breached or self.resolution_breached

    @property
    def response_left(self) -> float | None:
        """Business seconds left before the response target (negative once overdue); None once
        responded."""
        return None if self.response_seconds is not None else self.response_target - self.response_elapsed

    @property
    def resolution_left(self) -> float | None:
        return None if self.resolution_seconds is not None else self.resolution_target - self.resolution_elapsed


def timing(opened_at: datetime, first_response_at: datetime | None, resolved_at: datetime | None,
           target: Target, now: datetime, calendar: WorkCalendar | None = None,
           pauses: Any = ()) -> Timing:
    """Clocks and breach flags of one complaint at `now` in business time (see the module rules).
    `pauses` are (started, ended or None) intervals; an open one runs until `now`."""
    closed = [(lo, hi or max(now, lo)) for lo, hi in pauses] if pauses else ()
    paused = any(hi is None for _lo, hi in pauses)
    response_stop = first_response_at or resolved_at
    response_seconds = business_seconds(opened_at, response_stop, calendar, closed) if response_stop else None
    resolution_seconds = business_seconds(opened_at, resolved_at, calendar, closed) if resolved_at else None
    running = business_seconds(opened_at, now, calendar, closed) if (response_stop is None or resolved_at is None) else 0.0
    response_elapsed = response_seconds if response_seconds is not None else running
    resolution_elapsed = resolution_seconds if resolution_seconds is not None else running
    return Timing(
        response_due=add_business_seconds(opened_at, target.response_seconds, calendar, closed),
        resolution_due=add_business_seconds(opened_at, target.resolution_seconds, calendar, closed),
        response_seconds=response_seconds,
        resolution_seconds=resolution_seconds,
        response_elapsed=response_elapsed,
        resolution_elapsed=resolution_elapsed,
        response_breached=response_elapsed > target.response_seconds,
        resolution_breached=resolution_elapsed > target.resolution_seconds,
        response_target=target.response_seconds,
        resolution_target=target.resolution_seconds,
        paused=paused,
    )


def _check_time(complaint: Complaint, at: datetime) -> None:
    if at < complaint.opened_at:
        raise InvalidInput("service.error.before_opened", errors=[FieldError("service.error.before_opened", column="at")])


NOTE_MAX = 4000


def _row_dict(row: Any, book: TargetBook, now: datetime) -> dict[str, Any]:
    tm = book.timing(row.id, row.team_id, row.severity, row.opened_at, row.first_response_at, row.resolved_at, now)
    return {
        "id": row.id, "title": row.title, "description": row.description, "severity": row.severity,
        "status": row.status, "customer_id": row.customer_id, "customer": row.customer,
        "assignee_id": row.assignee_id, "assignee": row.assignee, "team_id": row.team_id, "team": row.team,
        "opened_at": row.opened_at, "first_response_at": row.first_response_at, "resolved_at": row.resolved_at,
        "response_due": tm.response_due, "resolution_due": tm.resolution_due,
        "response_hours": None if tm.response_seconds is None else tm.response_seconds / HOUR,
        "resolution_hours": None if tm.resolution_seconds is None else tm.resolution_seconds / HOUR,
        "response_left_seconds": tm.response_left, "resolution_left_seconds": tm.resolution_left,
        "response_breached": tm.response_breached, "resolution_breached": tm.resolution_breached,
        "breached": tm.breached, "paused": tm.paused, "version": row.version,
        "response_business_hours": None if tm.response_seconds is None else tm.response_seconds / HOUR,
    }


def hours_to_seconds(hours: float | None) -> int:
    """A target typed in hours (empty = 0) as the whole seconds it is stored in."""
    return int(round((hours or 0) * HOUR))


def changed_targets(rows: list[dict[str, Any]], current: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """The targets-editor rows (severity, response and resolution in hours, in `current`'s order)
    that differ from `current` (targets_for_team's rows), as {severity: (response s, resolution s)}."""
    changes = {}
    for row, old in zip(rows, current):
        seconds = (hours_to_seconds(row["response"]), hours_to_seconds(row["resolution"]))
        if seconds != (old["response_seconds"], old["resolution_seconds"]):
            changes[row["severity"]] = seconds
    return changes


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------
GROUPS = ("member", "team", "period")


def period_buckets(start: date, end: date, period: str) -> list[tuple[str, date, date]]:
    """Calendar months (or Monday-start weeks) covering [start, end], clipped to it."""
    out = []
    if period == "week":
        cursor = start - timedelta(days=start.weekday())
        while cursor <= end:
            last = cursor + timedelta(days=6)
            out.append((cursor.isoformat(), max(cursor, start), min(last, end)))
            cursor = last + timedelta(days=1)
        return out
    cursor = date(start.year, start.month, 1)
    while cursor <= end:
        following = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        out.append((cursor.strftime("%Y-%m"), max(cursor, start), min(following - timedelta(days=1), end)))
        cursor = following
    return out


REPORT_COLUMNS = ["group", "complaints", "responded", "avg_response_hours", "avg_response_business_hours", "resolved",
                  "resolution_rate", "response_breaches", "resolution_breaches"]


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None
