"""Satisfaction surveys as an import kind of core.imports: the file's own headers (Chinese, English,
misspelt), scores checked against their scales as row errors naming the file's column, the customer
resolved inside the importer's scope, and the same response imported twice kept once. Every test
runs on SQLite and, when configured, PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from core import imports
from core.clock import utcnow
from core.errors import InvalidInput, PermissionDenied
from db.models import Interaction, Survey

KIND = "surveys"


def frame_of(text: str) -> pd.DataFrame:
    return imports.read_table(text.encode("utf-8"), "surveys.csv")


def mapped(frame: pd.DataFrame) -> dict[str, str | None]:
    return imports.guess_mapping(list(frame.columns), KIND)


def run(session, actor, text: str, **options):
    frame = frame_of(text)
    return imports.commit_import(session, actor, KIND, frame, mapped(frame), **options)


def errors_of(session, actor, text: str, **options) -> list[tuple[int | None, str | None, str]]:
    frame = frame_of(text)
    result = imports.preview(session, actor, KIND, frame, mapped(frame), **options)
    return [(e.row, e.column, e.key) for e in result.errors]


def surveys(session) -> list[tuple]:
    return session.execute(select(Survey.customer_id, Survey.member_id, Survey.csat, Survey.nps, Survey.comment,
                                  Survey.responded_at, Survey.interaction_id).order_by(Survey.id)).all()


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Survey))


@pytest.mark.parametrize("headers, expected", [
    ("客户编号,满意度,推荐值,调查日期,评论,沟通记录", ["customer", "csat", "nps", "responded_at", "comment", "interaction_id"]),
    ("客户,满意度,nps,日期,备注", ["customer", "csat", "nps", "responded_at", "comment"]),
    ("Account,Rating,Recommend,Survey Date,Feedback,Agent", ["customer", "csat", "nps", "responded_at", "comment", "member"]),
    ("customer_id,CSAT,NPS,responded_at,comment,interaction_id", ["customer", "csat", "nps", "responded_at", "comment", "interaction_id"]),
    ("Custmer,Satisfation,Net Promotor,Respone Date", ["customer", "csat", "nps", "responded_at"]),  # misspelt
])
def test_a_survey_files_own_headers_map_to_the_survey_fields(headers, expected):
    assert list(imports.guess_mapping(headers.split(","), KIND).values()) == expected


def test_a_chinese_survey_file_is_imported_for_the_customers_owner(session, world):
    text = "客户,满意度,推荐值,日期,评论\nCustomer of Alice A1,5,10,2025-01-10,很好\nCustomer of Bella B1,,3,2025-01-11 09:30,\n"
    result = run(session, world.actors["admin"], text)
    assert (result.created, result.refused) == (2, 0)
    a1, b1 = world.customers["a1"], world.customers["b1"]
    assert surveys(session) == [(a1.id, world.members["a1"].id, 5, 10, "很好", datetime(2025, 1, 10), None),
                                (b1.id, world.members["b1"].id, None, 3, None, datetime(2025, 1, 11, 9, 30), None)]


@pytest.mark.parametrize("csat, nps", [("6", ""), ("0", ""), ("3.5", ""), ("good", ""), ("", "11"), ("", "-1"), ("", "7.5")])
def test_a_score_outside_its_scale_is_a_row_error_naming_the_files_column(session, world, csat, nps):
    text = f"客户,满意度,推荐值,日期\nCustomer of Alice A1,4,9,2025-01-10\nCustomer of Alice A1,{csat},{nps},2025-01-11\n"
    column = "满意度" if csat else "推荐值"
    assert errors_of(session, world.actors["admin"], text) == [(3, column, "imports.bad_score")]
    with pytest.raises(InvalidInput):
        run(session, world.actors["admin"], text)
    assert count(session) == 0


def test_whole_scores_written_as_decimals_are_read_and_a_row_needs_one_score(session, world):
    text = "Customer,CSAT,NPS,Date\nCustomer of Alice A1,4.0,10.0,2025-01-10\nCustomer of Alice A1,,,2025-01-11\n"
    assert errors_of(session, world.actors["admin"], text) == [(3, "CSAT", "surveys.error.no_score")]
    result = run(session, world.actors["admin"], text, partial=True)
    assert result.created == 1 and surveys(session)[0][2:4] == (4, 10)


def test_an_unknown_customer_is_a_row_error_and_the_rows_to_fix_come_back(session, world):
    text = "Account,Rating,Date\nCustomer of Alice A1,5,2025-01-10\nNobody Ltd,3,2025-01-11\n"
    assert errors_of(session, world.actors["admin"], text) == [(3, "Account", "surveys.error.unknown_customer")]
    frame = frame_of(text)
    result = imports.commit_import(session, world.actors["admin"], KIND, frame, mapped(frame), partial=True)
    assert (result.created, result.refused) == (1, 1)
    rest = imports.rejected_rows(result.errors, frame, "en")
    assert list(rest["Account"]) == ["Nobody Ltd"] and "Nobody Ltd" in rest["Reason"][0]
    errors = imports.error_frame(result.errors, frame, "en")
    assert list(errors["Column"]) == ["Account"] and list(errors["Value"]) == ["Nobody Ltd"]


def test_a_customers_code_wins_over_another_customers_name(session, world):
    a1, b1 = world.customers["a1"], world.customers["b1"]
    a1.external_id, b1.name = "C-100", "C-100"
    session.commit()
    run(session, world.actors["admin"], "customer,csat\nC-100,4\n")
    assert [row[0] for row in surveys(session)] == [a1.id]


@pytest.mark.parametrize("who", ["manager_a", "member_a1"])
def test_a_customer_outside_the_importers_scope_is_refused_like_one_that_does_not_exist(session, world, who):
    text = "customer,csat,responded_at\nCustomer of Bella B1,4,2025-01-10\nNo Such Customer,4,2025-01-10\n"
    errors = errors_of(session, world.actors[who], text)
    assert errors == [(2, "customer", "surveys.error.unknown_customer"), (3, "customer", "surveys.error.unknown_customer")]
    with pytest.raises(InvalidInput):
        run(session, world.actors[who], text)
    assert count(session) == 0


def test_a_member_imports_the_answers_of_their_own_customers(session, world):
    result = run(session, world.actors["member_a1"], "customer,csat,responded_at\nCustomer of Alice A1,4,2025-01-10\n")
    assert result.created == 1 and surveys(session)[0][:2] == (world.customers["a1"].id, world.members["a1"].id)


def test_other_kinds_stay_for_admins_and_managers(session, world):
    frame = frame_of("Name,Industry,Size,Region\nAcme,retail,small,华东\n")
    with pytest.raises(PermissionDenied):
        imports.preview(session, world.actors["member_a1"], "customers", frame, imports.guess_mapping(list(frame.columns), "customers"))


def test_the_interaction_a_survey_followed_is_that_customers_and_names_who_handled_it(session, world):
    a1, b1 = world.customers["a1"], world.customers["b1"]
    call = Interaction(customer_id=a1.id, member_id=world.members["a2"].id, channel="phone", summary="call")
    other = Interaction(customer_id=b1.id, member_id=world.members["b1"].id, channel="phone", summary="theirs")
    session.add_all([call, other])
    session.commit()
    text = (f"客户,满意度,日期,沟通记录\nCustomer of Alice A1,5,2025-01-10,{call.id}\nCustomer of Alice A1,4,2025-01-11,{other.id}\n"
            "Customer of Alice A1,4,2025-01-12,999999\n")
    assert errors_of(session, world.actors["admin"], text) == [(3, "沟通记录", "surveys.error.interaction"),
                                                               (4, "沟通记录", "surveys.error.interaction")]
    # an interaction of a customer outside the scope is unknown, like one that does not exist
    text_b = f"客户,满意度,日期,沟通记录\nCustomer of Alice A1,4,2025-01-11,{other.id}\n"
    assert errors_of(session, world.actors["manager_a"], text_b) == [(2, "沟通记录", "surveys.error.interaction")]
    run(session, world.actors["admin"], text, partial=True)
    assert surveys(session) == [(a1.id, world.members["a2"].id, 5, None, None, datetime(2025, 1, 10), call.id)]


def test_a_row_without_a_date_is_dated_when_imported(session, world):
    run(session, world.actors["admin"], "customer,nps,responded_at\nCustomer of Alice A1,9,\n")
    (row,) = surveys(session)
    assert row[3] == 9 and abs(row[5] - utcnow()) < timedelta(minutes=5)


SAME_FILE = ("客户,满意度,推荐值,日期,评论\nCustomer of Alice A1,5,9,2025-01-10 10:00,Good\nCustomer of Alice A1,,7,2025-01-10 10:00,\n"
             "Customer of Bella B1,3,,2025-01-11,\n")


def test_the_same_file_imported_twice_keeps_each_response_once(session, world):
    actor = world.actors["admin"]
    first = run(session, actor, SAME_FILE, mode="upsert")
    session.commit()
    assert first.created == 3
    again = run(session, actor, SAME_FILE, mode="upsert")
    session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert count(session) == 3
    # in "create only", the responses already there are refused by name, nothing is written twice
    assert {key for _, _, key in errors_of(session, actor, SAME_FILE, mode="create")} == {"move.exists"}


def test_a_response_with_other_scores_is_a_new_response_and_a_new_comment_updates_it(session, world):
    actor = world.actors["admin"]
    run(session, actor, SAME_FILE, mode="upsert")
    session.commit()
    changed = SAME_FILE.replace("5,9,2025-01-10 10:00,Good", "5,9,2025-01-10 10:00,Very good").replace(",,7,", ",,8,")
    result = run(session, actor, changed, mode="upsert")
    session.commit()
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert count(session) == 4
    assert session.scalar(select(Survey.comment).where(Survey.csat == 5)) == "Very good"


def test_the_same_response_twice_in_one_file_is_a_row_error(session, world):
    text = "customer,csat,responded_at\nCustomer of Alice A1,4,2025-01-10\nCustomer of Alice A1,4,2025-01-10\n"
    assert errors_of(session, world.actors["admin"], text, mode="upsert") == [(3, "customer", "imports.duplicate_in_file")]
    frame = frame_of(text)
    (error,) = imports.preview(session, world.actors["admin"], KIND, frame, mapped(frame), mode="upsert").errors
    assert error.params == {"value": "Customer of Alice A1", "first": 2}


def test_a_file_without_dates_cannot_be_matched_but_can_be_created(session, world):
    text = "customer,csat\nCustomer of Alice A1,4\nCustomer of Alice A1,4\n"
    with pytest.raises(InvalidInput):
        run(session, world.actors["admin"], text, mode="upsert")
    assert run(session, world.actors["admin"], text, mode="create").created == 2


def test_a_frame_of_numbers_and_blanks_not_read_from_a_file_is_read_as_text(session, world):
    frame = pd.DataFrame({"customer": ["Customer of Alice A1", "Customer of Alice A1"], "csat": [4, float("nan")],
                          "nps": [float("nan"), 10.0], "responded_at": [datetime(2025, 1, 10, 9, 0), None]})
    result = imports.commit_import(session, world.actors["admin"], KIND, frame, mapped(frame))
    assert result.created == 2
    assert [row[2:4] for row in surveys(session)] == [(4, None), (None, 10)]


def test_the_mode_offered_first_creates_when_the_file_cannot_be_matched(session, world):
    """The import panel starts on "create only" for a survey file without a time column, where
    "create and update" could only be refused; a file with times starts on create and update."""
    without = imports.guess_mapping(["customer", "csat"], KIND)
    with_times = imports.guess_mapping(["customer", "csat", "nps", "date"], KIND)
    assert imports.default_mode(KIND, without) == "create"
    assert imports.default_mode(KIND, with_times) == "upsert"
    assert imports.default_mode("customers", imports.guess_mapping(["name", "region"], "customers")) == "upsert"
