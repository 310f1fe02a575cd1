"""Business-time arithmetic for service targets: how many working seconds lie between two moments,
and when a number of working seconds after a moment falls due (pure functions, no database).

Rules (one place):
- A `WorkCalendar` has a time zone, working weekdays (ISO 1 = Monday .. 7), working hours
  [start, end) in local time and holidays (local dates). Every local working day that is not a
  holiday contributes the window [start, end) in local time, converted to UTC (so a daylight-
  saving change moves the window in UTC, as the office's clock does).
- `None` as the calendar means round the clock (24 x 7): business time equals wall-clock time.
- Pauses (waiting on the customer) are [started, ended) intervals in UTC; time inside a pause
  never counts. An open pause (ended None) runs until `now` (callers pass closed intervals).
- Stored times are naive UTC (db.base.utcnow); these functions take and return naive UTC.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = tuple[datetime, datetime]
# How far ahead a due time is searched (a calendar with no working day would loop forever).
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class WorkCalendar:
    timezone: str = "Asia/Shanghai"
    working_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    start: time = time(9, 0)
    end: time = time(18, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.working_days or not self.working_days <= {1, 2, 3, 4, 5, 6, 7}:
            raise ValueError("working days must be a non-empty subset of 1..7")
        if not (self.start < self.end or self.end == time(0, 0)):
            raise ValueError("the working day must end after it starts")
        zone(self.timezone)

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.working_days and day not in self.holidays


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _to_utc(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


def _local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.replace(tzinfo=UTC).astimezone(tz).date()


def working_windows(calendar: WorkCalendar | None, since: datetime) -> Iterator[Interval]:
    """The calendar's working windows in UTC, in order, from the one containing or following
    `since` (windows are clipped to start no earlier than `since`)."""
    if calendar is None:
        yield since, datetime.max
        return
    tz = zone(calendar.timezone)
    day = _local_day(since, tz) - timedelta(days=1)  # a window may start on the local day before
    for _ in range(MAX_DAYS + 2):
        if calendar.is_working_day(day):
            lo = _to_utc(datetime.combine(day, calendar.start, tzinfo=tz))
            end_day = day + timedelta(days=1) if calendar.end == time(0, 0) else day
            hi = _to_utc(datetime.combine(end_day, calendar.end, tzinfo=tz))
            if hi > since:
                yield max(lo, since), hi
        day += timedelta(days=1)


def merge(pauses: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping pause intervals (empty ones dropped)."""
    out: list[Interval] = []
    for lo, hi in sorted(p for p in pauses if p[1] > p[0]):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _subtract(window: Interval, pauses: list[Interval]) -> Iterator[Interval]:
    lo, hi = window
    for p_lo, p_hi in pauses:
        if p_hi <= lo:
            continue
        if p_lo >= hi:
            break
        if p_lo > lo:
            yield lo, p_lo
        lo = max(lo, p_hi)
        if lo >= hi:
            return
    if lo < hi:
        yield lo, hi


def counted_windows(calendar: WorkCalendar | None, since: datetime, pauses: Iterable[Interval] = ()) -> Iterator[Interval]:
    """Working windows from `since` with the pauses cut out: the time a service clock runs."""
    merged = merge(pauses)
    for window in working_windows(calendar, since):
        yield from _subtract(window, merged)


def business_seconds(start: datetime, end: datetime, calendar: WorkCalendar | None,
                     pauses: Iterable[Interval] = ()) -> float:
    """Working seconds in [start, end), pauses excluded (0 when end <= start)."""
    if end <= start:
        return 0.0
    if calendar is None and not pauses:  # round the clock, nothing paused: plain subtraction
        return (end - start).total_seconds()
    total = 0.0
    for lo, hi in counted_windows(calendar, start, pauses):
        if lo >= end:
            break
        total += (min(hi, end) - lo).total_seconds()
    return total


def add_business_seconds(start: datetime, seconds: float, calendar: WorkCalendar | None,
                         pauses: Iterable[Interval] = ()) -> datetime:
    """The moment at which `seconds` working seconds after `start` have passed (pauses excluded).
    Zero seconds is `start` itself, moved forward to the next counted moment if it is outside."""
    if calendar is None and not pauses:
        return start + timedelta(seconds=seconds)
    remaining = float(seconds)
    for lo, hi in counted_windows(calendar, start, pauses):
        if hi == datetime.max:
            return lo + timedelta(seconds=remaining)
        length = (hi - lo).total_seconds()
        if remaining <= length:
            return lo + timedelta(seconds=remaining)
        remaining -= length
    raise ValueError("no working time within three years: check the calendar")


# ---------------------------------------------------------------------------------------------
# Holidays from a file
# ---------------------------------------------------------------------------------------------
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y", "%Y%m%d", "%Y年%m月%d日")


def parse_day(text: str) -> date | None:
    text = (text or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_holidays(text: str) -> tuple[dict[date, str | None], list[int]]:
    """Holidays from a CSV or plain text file: one day per line, a date in the first column and an
    optional name in the second; a header line and blank lines are skipped. Returns the holidays
    and the line numbers (1-based) that held something that is not a date."""
    holidays: dict[date, str | None] = {}
    bad: list[int] = []
    sample = text[:2000]
    delimiter = "\t" if "\t" in sample else (";" if sample.count(";") > sample.count(",") else ",")
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [c.strip() for c in row]
        if not cells or not any(cells):
            continue
        day = parse_day(cells[0])
        if day is None:
            if number == 1:
                continue  # a header
            bad.append(number)
            continue
        name = cells[1] if len(cells) > 1 and cells[1] else None
        holidays[day] = name
    return holidays, bad


__all__ = [
    "WorkCalendar", "working_windows", "counted_windows", "business_seconds", "add_business_seconds",
    "merge", "parse_day", "parse_holidays", "zone",
]
