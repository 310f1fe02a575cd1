"""Business-time arithmetic against hand-computed answers. Times are naive UTC; the default
calendar is Asia/Shanghai (UTC+8, no daylight saving), Monday-Friday 09:00-18:00."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from core.business_time import WorkCalendar, add_business_seconds, business_seconds, parse_holidays

H = 3600
SHANGHAI = WorkCalendar()


def utc(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm)


def test_a_target_running_past_closing_time_continues_the_next_morning():
    opened = utc(2026, 12, 1, 9, 30)  # Tuesday 17:30 in Shanghai, 30 min before closing
    assert add_business_seconds(opened, 1 * H, SHANGHAI) == utc(2026, 12, 2, 1, 30)  # Wed 09:30 local
    # Tue 17:30-18:00 (30 min) + Wed 09:00-10:00 (60 min) = 90 min; the night counts nothing
    assert business_seconds(opened, utc(2026, 12, 2, 2, 0), SHANGHAI) == 90 * 60


def test_a_weekend_is_skipped():
    opened = utc(2026, 12, 4, 9, 0)  # Friday 17:00 local
    assert add_business_seconds(opened, 2 * H, SHANGHAI) == utc(2026, 12, 7, 2, 0)  # Monday 10:00 local
    assert business_seconds(opened, utc(2026, 12, 6, 12, 0), SHANGHAI) == 1 * H  # by Sunday evening: Friday's last hour


def test_a_holiday_is_skipped_like_a_weekend():
    calendar = WorkCalendar(holidays=frozenset({date(2027, 1, 1)}))  # New Year's Day, a Friday
    opened = utc(2026, 12, 31, 9, 0)  # Thursday 17:00 local
    assert add_business_seconds(opened, 2 * H, calendar) == utc(2027, 1, 4, 2, 0)  # Monday 10:00 local
    assert add_business_seconds(opened, 2 * H, SHANGHAI) == utc(2027, 1, 1, 2, 0)  # without it: Friday 10:00


def test_a_pause_while_waiting_on_the_customer_stops_the_clock():
    opened = utc(2026, 12, 1, 2, 0)  # Tuesday 10:00 local
    pause = [(utc(2026, 12, 1, 3, 0), utc(2026, 12, 1, 6, 0))]  # waiting 11:00-14:00 local
    assert add_business_seconds(opened, 3 * H, SHANGHAI, pause) == utc(2026, 12, 1, 8, 0)  # 16:00 local
    assert business_seconds(opened, utc(2026, 12, 1, 7, 0), SHANGHAI, pause) == 2 * H  # 10-11 and 14-15


def test_a_pause_over_the_night_only_removes_working_time():
    opened = utc(2026, 12, 1, 9, 0)  # Tuesday 17:00 local
    pause = [(utc(2026, 12, 1, 9, 30), utc(2026, 12, 2, 2, 0))]  # 17:30 Tue .. 10:00 Wed local
    # counted: Tue 17:00-17:30 (30 min), then from Wed 10:00
    assert business_seconds(opened, utc(2026, 12, 2, 3, 0), SHANGHAI, pause) == 90 * 60


def test_the_same_moment_falls_due_by_the_teams_own_time_zone():
    london = WorkCalendar(timezone="Europe/London", start=time(9), end=time(17))
    opened = utc(2026, 12, 1, 16, 30)  # 16:30 in London (GMT in winter), 00:30 Wednesday in Shanghai
    assert add_business_seconds(opened, 1 * H, london) == utc(2026, 12, 2, 9, 30)  # Wed 09:30 London
    assert add_business_seconds(opened, 1 * H, SHANGHAI) == utc(2026, 12, 2, 2, 0)  # Wed 10:00 Shanghai


def test_working_hours_follow_a_daylight_saving_change():
    london = WorkCalendar(timezone="Europe/London", start=time(9), end=time(17))
    opened = utc(2027, 3, 26, 16, 30)  # Friday 16:30 GMT; clocks go forward on Sunday 28 March
    assert add_business_seconds(opened, 1 * H, london) == utc(2027, 3, 29, 8, 30)  # Monday 09:30 BST


def test_without_a_calendar_the_clock_runs_round_the_clock():
    opened = utc(2026, 12, 4, 9, 0)
    assert add_business_seconds(opened, 2 * H, None) == utc(2026, 12, 4, 11, 0)
    assert business_seconds(opened, utc(2026, 12, 6, 9, 0), None) == 48 * H
    assert business_seconds(opened, utc(2026, 12, 6, 9, 0), None, [(utc(2026, 12, 5), utc(2026, 12, 5, 12))]) == 36 * H


def test_a_moment_before_opening_counts_from_opening_time():
    opened = utc(2026, 12, 1, 0, 0)  # 08:00 local, before the office opens
    assert add_business_seconds(opened, 0, SHANGHAI) == utc(2026, 12, 1, 1, 0)
    assert business_seconds(opened, utc(2026, 12, 1, 1, 30), SHANGHAI) == 30 * 60


def test_a_calendar_needs_working_days_and_a_real_time_zone():
    with pytest.raises(ValueError):
        WorkCalendar(working_days=frozenset())
    with pytest.raises(ValueError):
        WorkCalendar(timezone="Mars/Olympus")
    with pytest.raises(ValueError):
        WorkCalendar(start=time(18), end=time(9))


def test_holidays_are_read_from_a_file_with_a_header_names_and_mixed_date_spellings():
    text = "日期,名称\n2027-01-01,元旦\n2027/02/06,春节\n2027年2月7日\n\nnot a date,oops\n"
    holidays, bad = parse_holidays(text)
    assert holidays == {date(2027, 1, 1): "元旦", date(2027, 2, 6): "春节", date(2027, 2, 7): None}
    assert bad == [6]
