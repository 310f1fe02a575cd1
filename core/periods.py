"""The period a history view shows: the current one, a chosen quarter or (fiscal) year, or all.

Codes are plain strings so they can sit in widget state, URLs and cache keys: "current", "all",
"q:2026:2" (the second quarter of fiscal year 2026) and "y:2025" (fiscal year 2025). Quarters and
years follow the workspace's fiscal-year start; a fiscal year is named by the calendar year it
starts in."""
from __future__ import annotations

from datetime import date, timedelta

from core.errors import InvalidInput

CURRENT = "current"
ALL = "all"


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def fiscal_year_of(day: date, fiscal_start: int = 1) -> int:
    return day.year if day.month >= fiscal_start else day.year - 1


def quarter_bounds(fiscal_year: int, quarter: int, fiscal_start: int = 1) -> tuple[date, date]:
    y, m = _add_months(fiscal_year, fiscal_start, 3 * (quarter - 1))
    ny, nm = _add_months(y, m, 3)
    return date(y, m, 1), date(ny, nm, 1) - timedelta(days=1)


def year_bounds(fiscal_year: int, fiscal_start: int = 1) -> tuple[date, date]:
    ny, nm = _add_months(fiscal_year, fiscal_start, 12)
    return date(fiscal_year, fiscal_start, 1), date(ny, nm, 1) - timedelta(days=1)


def bounds(code: str, fiscal_start: int = 1) -> tuple[date, date] | None:
    """(first day, last day) of a quarter or year code; None for "current" and "all"."""
    if code in (CURRENT, ALL):
        return None
    try:
        parts = code.split(":")
        if parts[0] == "q" and len(parts) == 3 and 1 <= int(parts[2]) <= 4:
            return quarter_bounds(int(parts[1]), int(parts[2]), fiscal_start)
        if parts[0] == "y" and len(parts) == 2:
            return year_bounds(int(parts[1]), fiscal_start)
    except ValueError:
        pass
    raise InvalidInput("error.invalid")


def options(today: date, fiscal_start: int = 1, years: int = 3) -> list[str]:
    """Current, the quarters of this and the last `years - 1` fiscal years (newest first), those
    years, and all."""
    this_year = fiscal_year_of(today, fiscal_start)
    quarters = []
    for fy in range(this_year, this_year - years, -1):
        for q in range(4, 0, -1):
            start, _ = quarter_bounds(fy, q, fiscal_start)
            if start <= today:
                quarters.append(f"q:{fy}:{q}")
    return [CURRENT, *quarters, *[f"y:{fy}" for fy in range(this_year, this_year - years, -1)], ALL]
