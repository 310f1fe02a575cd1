"""Service targets count business time: the team's calendar (inherited by sub-teams), holidays
from a file, and the pause while a complaint waits on the customer; notes on complaints."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core import calendars, service
from core.errors import Conflict, InvalidInput, PermissionDenied
from db.models import ComplaintNote

# Tuesday 2026-12-01 17:30 in Shanghai (UTC+8) is 09:30 UTC: half an hour before closing.
LATE_AFTERNOON = datetime(2026, 12, 1, 9, 30)


def office_hours(session, world, team="A", **kw):
    return calendars.set_calendar(session, world.actors["admin"], world.teams[team].id, timezone="Asia/Shanghai",
                                  working_days=[1, 2, 3, 4, 5], start_minute=9 * 60, end_minute=18 * 60, **kw)


def log(session, world, severity="critical", opened_at=LATE_AFTERNOON):
    cid = service.log_complaint(session, world.actors["admin"], customer_id=world.customers["a1"].id,
                                severity=severity, title="Broken delivery", opened_at=opened_at)
    session.flush()
    return cid


def row(session, world, cid, now):
    return service.get_complaint(session, world.actors["admin"], cid, now=now)


def test_a_complaint_logged_before_closing_does_not_breach_overnight(session, world):
    office_hours(session, world)  # on Team A; the complaint is in its sub-team A1 (inherits)
    cid = log(session, world)  # critical: respond within 1 hour
    evening = row(session, world, cid, LATE_AFTERNOON + timedelta(hours=1))  # 18:30 local, office closed
    assert evening["response_breached"] is False
    assert evening["response_left_seconds"] == 30 * 60  # 30 min used before closing
    assert evening["response_due"] == datetime(2026, 12, 2, 1, 30)  # Wednesday 09:30 local
    assert row(session, world, cid, datetime(2026, 12, 2, 1, 31))["response_breached"] is True


def test_without_a_calendar_the_wall_clock_still_applies(session, world):
    cid = log(session, world)
    assert row(session, world, cid, LATE_AFTERNOON + timedelta(hours=1, seconds=1))["response_breached"] is True


def test_holidays_imported_from_a_file_are_skipped(session, world):
    office_hours(session, world)
    result = calendars.import_holidays(session, world.actors["admin"], world.teams["A"].id, "date,name\n2026-12-02,Company day\n")
    assert result == {"added": 1, "in_file": 1, "skipped": 0}
    again = calendars.import_holidays(session, world.actors["admin"], world.teams["A"].id, "date,name\n2026-12-02,Company day\n")
    assert again["added"] == 0
    cid = log(session, world)
    assert row(session, world, cid, LATE_AFTERNOON)["response_due"] == datetime(2026, 12, 3, 1, 30)  # Thursday 09:30


def test_a_holiday_file_with_a_bad_line_saves_nothing(session, world):
    office_hours(session, world)
    with pytest.raises(InvalidInput) as err:
        calendars.import_holidays(session, world.actors["admin"], world.teams["A"].id, "2026-12-24\nnext friday\n")
    assert [e.row for e in err.value.errors] == [2]
    assert calendars.get_calendar(session, world.actors["admin"], world.teams["A"].id)["holidays"] == []


def test_waiting_on_the_customer_pauses_both_clocks_until_resumed(session, world):
    opened = datetime(2026, 12, 1, 2, 0)  # Tuesday 10:00 local
    office_hours(session, world)
    cid = log(session, world, severity="high", opened_at=opened)  # 4 h response
    admin = world.actors["admin"]
    service.wait_on_customer(session, admin, cid, at=opened + timedelta(hours=1), note="Asked for the order number")
    waiting = row(session, world, cid, opened + timedelta(hours=5))
    assert waiting["status"] == "waiting" and waiting["paused"] is True
    assert waiting["response_left_seconds"] == 3 * 3600  # only the first hour ran
    service.resume_complaint(session, admin, cid, at=opened + timedelta(hours=6))  # 16:00 local
    resumed = row(session, world, cid, opened + timedelta(hours=7))
    assert resumed["status"] == "open" and resumed["response_left_seconds"] == 2 * 3600
    with pytest.raises(Conflict):
        service.resume_complaint(session, admin, cid)


def test_response_and_resolution_notes_are_kept_with_the_complaint(session, world):
    cid = log(session, world)
    admin = world.actors["admin"]
    service.respond_to_complaint(session, admin, cid, at=LATE_AFTERNOON + timedelta(minutes=10), note="Called back, replacing it")
    service.resolve_complaint(session, admin, cid, at=LATE_AFTERNOON + timedelta(hours=2), note="Replacement delivered")
    notes = service.get_complaint(session, admin, cid)["notes"]
    assert [(n["kind"], n["body"]) for n in notes] == [("response", "Called back, replacing it"), ("resolution", "Replacement delivered")]
    assert session.scalar(select(ComplaintNote.user_id).limit(1)) == admin.user_id


def test_a_member_cannot_change_a_teams_calendar(session, world):
    with pytest.raises(PermissionDenied):
        calendars.set_calendar(session, world.actors["member_a1"], world.teams["A1"].id, timezone="Asia/Shanghai",
                               working_days=[1], start_minute=540, end_minute=1080)


def test_a_calendar_with_a_bad_time_zone_or_hours_is_refused_with_each_problem(session, world):
    with pytest.raises(InvalidInput) as err:
        calendars.set_calendar(session, world.actors["admin"], world.teams["A"].id, timezone="Nowhere/City",
                               working_days=[], start_minute=600, end_minute=500)
    assert {e.column for e in err.value.errors} == {"timezone", "working_days", "hours"}
