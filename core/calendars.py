"""Working calendars of teams (business hours for service targets) and their holidays.

A team's calendar applies to its sub-teams unless they have their own (core.service.TargetBook
walks up the tree). Managers edit their teams' calendars; admins any team's.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import audit
from core.business_time import WorkCalendar, parse_holidays, zone
from core.errors import FieldError, InvalidInput
from core.permissions import Actor, ensure_role, ensure_team, scope_for
from db.models import CalendarHoliday, ServiceCalendar

MAX_DELAY_MINUTES = 7 * 24 * 60


def get_calendar(session: Session, actor: Actor, team_id: int) -> dict[str, Any] | None:
    """The team's own calendar (None: it inherits or runs round the clock)."""
    ensure_team(scope_for(session, actor), team_id)
    row = session.scalar(select(ServiceCalendar).where(ServiceCalendar.team_id == team_id))
    if row is None:
        return None
    holidays = session.execute(
        select(CalendarHoliday.day, CalendarHoliday.name).where(CalendarHoliday.calendar_id == row.id).order_by(CalendarHoliday.day)
    ).all()
    return {
        "team_id": team_id, "timezone": row.timezone,
        "working_days": [int(d) for d in row.working_days.split(",") if d],
        "start_minute": row.day_start_minute, "end_minute": row.day_end_minute,
        "lead_delay_minutes": row.lead_delay_minutes, "manager_delay_minutes": row.manager_delay_minutes,
        "holidays": [{"day": h.day, "name": h.name} for h in holidays],
    }


def set_calendar(
    session: Session, actor: Actor, team_id: int, *, timezone: str, working_days: list[int], start_minute: int,
    end_minute: int, lead_delay_minutes: int = 0, manager_delay_minutes: int = 240,
) -> int:
    """Create or change a team's calendar; returns its id."""
    ensure_role(actor, "admin", "manager")
    ensure_team(scope_for(session, actor), team_id)
    errors = []
    try:
        zone(timezone)
    except ValueError:
        errors.append(FieldError("automation.error.timezone", {"value": timezone}, column="timezone"))
    days = sorted({int(d) for d in working_days or []})
    if not days or not set(days) <= set(range(1, 8)):
        errors.append(FieldError("automation.error.working_days", column="working_days"))
    if not (0 <= start_minute < end_minute <= 1440):
        errors.append(FieldError("automation.error.hours", column="hours"))
    for value, column in ((lead_delay_minutes, "lead_delay"), (manager_delay_minutes, "manager_delay")):
        if not isinstance(value, int) or not 0 <= value <= MAX_DELAY_MINUTES:
            errors.append(FieldError("automation.error.delay", {"max": MAX_DELAY_MINUTES}, column=column))
    if errors:
        raise InvalidInput("error.invalid", errors=errors)
    row = session.scalar(select(ServiceCalendar).where(ServiceCalendar.team_id == team_id))
    before = audit.snapshot(row) if row else None
    if row is None:
        row = ServiceCalendar(team_id=team_id)
        session.add(row)
    row.timezone = timezone
    row.working_days = ",".join(str(d) for d in days)
    row.day_start_minute, row.day_end_minute = start_minute, end_minute
    row.lead_delay_minutes, row.manager_delay_minutes = lead_delay_minutes, manager_delay_minutes
    session.flush()
    audit.record(session, actor, "calendar.set", "service_calendar", row.id, before, audit.snapshot(row))
    return row.id


def import_holidays(session: Session, actor: Actor, team_id: int, text: str, *, replace: bool = False) -> dict[str, Any]:
    """Holidays from a file's text onto the team's calendar (which must exist), in one
    transaction: nothing is saved when a line is not a date. The same file imported again adds
    nothing (a day is stored once); `replace` drops the calendar's other holidays."""
    ensure_role(actor, "admin", "manager")
    ensure_team(scope_for(session, actor), team_id)
    row = session.scalar(select(ServiceCalendar).where(ServiceCalendar.team_id == team_id))
    if row is None:
        raise InvalidInput("automation.error.no_calendar")
    holidays, bad = parse_holidays(text)
    if bad:
        raise InvalidInput("error.invalid", errors=[FieldError("automation.error.holiday_line", {"row": n}, row=n) for n in bad[:20]])
    if not holidays:
        raise InvalidInput("automation.error.no_holidays")
    if replace:
        session.execute(delete(CalendarHoliday).where(CalendarHoliday.calendar_id == row.id))
    existing = set(session.scalars(select(CalendarHoliday.day).where(CalendarHoliday.calendar_id == row.id)))
    added = 0
    for day, name in sorted(holidays.items()):
        if day in existing:
            continue
        session.add(CalendarHoliday(calendar_id=row.id, day=day, name=name))
        added += 1
    session.flush()
    audit.record(session, actor, "calendar.holidays", "service_calendar", row.id, None,
                 {"added": added, "in_file": len(holidays), "replace": replace})
    return {"added": added, "in_file": len(holidays), "skipped": len(holidays) - added}


def calendar_of(info: dict[str, Any]) -> WorkCalendar:
    """The pure calendar for a `get_calendar` result (for previews)."""
    from datetime import time

    def clock(m: int) -> time:
        return time(0, 0) if m >= 1440 else time(m // 60, m % 60)

    return WorkCalendar(info["timezone"], frozenset(info["working_days"]), clock(info["start_minute"]),
                        clock(info["end_minute"]), frozenset(h["day"] for h in info["holidays"]))


__all__ = ["get_calendar", "set_calendar", "import_holidays", "calendar_of", "date"]
