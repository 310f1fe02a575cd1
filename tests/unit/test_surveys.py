"""Satisfaction surveys: recording, CSAT/NPS (via core.metrics), import all-or-nothing with row errors."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from core import imports, surveys
from core.errors import InvalidInput, PermissionDenied
from db.models import AuditLog, Survey

JAN = datetime(2025, 1, 15, 10, 0)


def import_surveys(session, actor, frame) -> int:
    """A survey file through the import pipeline, its headers mapped as guessed (the Service page's upload)."""
    return imports.commit_import(session, actor, "surveys", frame, imports.guess_mapping(list(frame.columns), "surveys")).created


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Survey))


def test_a_survey_counts_for_the_customers_owner_and_is_audited(session, world):
    sid = surveys.record_survey(session, world.actors["member_a1"], customer_id=world.customers["a1"].id, csat=4, nps=9,
                                responded_at=JAN)
    survey = session.get(Survey, sid)
    assert (survey.member_id, survey.csat, survey.nps) == (world.members["a1"].id, 4, 9)
    assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "survey")) == 1


@pytest.mark.parametrize("csat,nps,columns", [(6, None, {"csat"}), (None, 11, {"nps"}), (None, None, {"csat"}),
                                              (3.5, 5, {"csat"}), (0, -1, {"csat", "nps"})])
def test_scores_outside_their_scales_are_refused(session, world, csat, nps, columns):
    with pytest.raises(InvalidInput) as info:
        surveys.record_survey(session, world.actors["admin"], customer_id=world.customers["a1"].id, csat=csat, nps=nps)
    assert {e.column for e in info.value.errors} == columns


def test_a_member_cannot_record_a_survey_for_another_members_customer(session, world):
    with pytest.raises(PermissionDenied):
        surveys.record_survey(session, world.actors["member_a1"], customer_id=world.customers["b1"].id, csat=5)


def test_csat_average_and_nps_by_team_and_member_are_hand_computed(session, world):
    admin = world.actors["admin"]
    a1 = world.customers["a1"].id
    # CSAT 5, 4, 3 -> 4.0. NPS 10, 9, 6, 7 -> 2 promoters, 1 detractor of 4 -> (2 - 1) / 4 = 25.
    for csat, nps in [(5, 10), (4, 9), (3, 6), (None, 7)]:
        surveys.record_survey(session, admin, customer_id=a1, csat=csat, nps=nps, responded_at=JAN)
    surveys.record_survey(session, admin, customer_id=world.customers["b1"].id, csat=1, nps=0, responded_at=JAN)
    surveys.record_survey(session, admin, customer_id=a1, csat=1, nps=0, responded_at=datetime(2025, 2, 1, 0, 0))  # next month
    trends = surveys.survey_trends(session, world.actors["manager_a"], start=date(2025, 1, 1), end=date(2025, 2, 28), group="team")
    rows = {(r["period"], r["group"]): r for r in trends.to_dict("records")}
    assert rows[("2025-01", "Team A1")]["csat_avg"] == 4.0
    assert rows[("2025-01", "Team A1")]["nps"] == 25.0
    assert rows[("2025-01", "Team A")]["nps"] == 25.0  # Team A includes sub-team A1
    assert (rows[("2025-02", "Team A1")]["csat_avg"], rows[("2025-02", "Team A1")]["nps"]) == (1.0, -100.0)
    assert not any(g == "Team B" for _p, g in rows)  # outside manager_a's scope
    by_member = surveys.survey_trends(session, admin, start=date(2025, 1, 1), end=date(2025, 1, 31), group="member")
    members = {r["group"]: r for r in by_member.to_dict("records")}
    assert (members["Bella B1"]["csat_avg"], members["Bella B1"]["nps"]) == (1.0, -100.0)


def test_import_with_one_bad_row_writes_nothing_and_names_the_row_and_column(session, world):
    frame = pd.DataFrame([
        {"customer": "Customer of Alice A1", "csat": "5", "nps": "9", "responded_at": "2025-01-10"},
        {"customer": "Customer of Alice A1", "csat": "7", "nps": "", "responded_at": "2025-01-11"},
        {"customer": "Nobody Ltd", "csat": "3", "nps": "", "responded_at": "yesterday-ish"},
    ])
    with pytest.raises(InvalidInput) as info:
        import_surveys(session, world.actors["admin"], frame)
    assert [(e.row, e.column) for e in info.value.errors] == [(3, "csat"), (4, "customer"), (4, "responded_at")]
    assert count(session) == 0


def test_a_clean_import_writes_every_row(session, world):
    session.get(type(world.customers["b1"]), world.customers["b1"].id).external_id = "C-B1"
    session.flush()
    data = "客户,满意度,nps,日期,备注\nCustomer of Alice A1,5,10,2025-01-10,很好\nC-B1,,3,2025-01-11 09:30,\n".encode("utf-8-sig")
    frame = imports.read_table(data, "surveys.csv")
    assert import_surveys(session, world.actors["admin"], frame) == 2
    rows = session.execute(select(Survey.member_id, Survey.csat, Survey.nps, Survey.responded_at).order_by(Survey.id)).all()
    assert rows == [(world.members["a1"].id, 5, 10, datetime(2025, 1, 10)),
                    (world.members["b1"].id, None, 3, datetime(2025, 1, 11, 9, 30))]


def test_a_member_importing_someone_elses_customer_gets_a_row_error(session, world):
    frame = pd.DataFrame([{"customer": "Customer of Bella B1", "csat": 4}])
    with pytest.raises(InvalidInput) as info:
        import_surveys(session, world.actors["member_a1"], frame)
    # issue 17: the same answer as for a name that does not exist (no existence leak)
    assert [(e.key, e.row) for e in info.value.errors] == [("surveys.error.unknown_customer", 2)]


def test_a_file_without_a_customer_column_is_refused(session, world):
    with pytest.raises(InvalidInput):
        import_surveys(session, world.actors["admin"], pd.DataFrame([{"csat": 4}]))


@pytest.mark.parametrize("who,expected", [("member_a1", 1), ("member_b1", 1), ("manager_a", 1), ("admin", 2)])
def test_the_survey_list_follows_visibility(session, world, who, expected):
    surveys.record_survey(session, world.actors["admin"], customer_id=world.customers["a1"].id, csat=4, responded_at=JAN)
    surveys.record_survey(session, world.actors["admin"], customer_id=world.customers["b1"].id, csat=2, responded_at=JAN)
    total, frame = surveys.list_surveys(session, world.actors[who], start=date(2025, 1, 1), end=date(2025, 1, 31))
    assert total == expected == len(frame)
