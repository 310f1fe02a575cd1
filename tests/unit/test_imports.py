"""Imports: header guesses, unknown values, row-level errors, all-or-nothing commits, references."""
from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from core import imports
from core.errors import InvalidInput, PermissionDenied
from db.models import AssignmentHistory, Customer, Deal, Interaction, Member


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.strip().encode(encoding)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_chinese_headers_are_mapped_to_our_fields():
    guess = imports.guess_mapping(["客户名称", "行业", "规模", "区域", "负责人", "客户等级", "奇怪的列"], "customers")
    assert guess == {"客户名称": "name", "行业": "industry", "规模": "size", "区域": "region", "负责人": "owner",
                     "客户等级": "tier", "奇怪的列": None}


def test_english_and_misspelt_headers_are_mapped_by_synonym_then_similarity():
    guess = imports.guess_mapping(["Company", "Sector", "Company Size", "Area", "Account_Manager", "Custmer Code", "Industrie"], "customers")
    assert guess == {"Company": "name", "Sector": "industry", "Company Size": "size", "Area": "region",
                     "Account_Manager": "owner", "Custmer Code": "external_id", "Industrie": None}  # industry already taken


def test_a_field_is_guessed_for_one_header_only():
    guess = imports.guess_mapping(["客户名称", "Company"], "customers")
    assert guess == {"客户名称": "name", "Company": None}


def test_missing_required_fields_are_reported_before_any_row():
    problems = imports.mapping_problems({"Company": "name"}, "customers")
    assert {p.params["field"] for p in problems} == {"industry", "size", "region"}


def test_csv_in_gb18030_and_xlsx_are_read_as_text():
    frame = imports.read_table(csv_bytes("客户名称,规模\n甲公司,小型\n", "gb18030"), "a.csv")
    assert list(frame.columns) == ["客户名称", "规模"] and frame.iloc[0].tolist() == ["甲公司", "小型"]
    buffer = io.BytesIO()
    pd.DataFrame({"Company": ["X"], "Since": [datetime(2024, 5, 6)], "Cap": [12]}).to_excel(buffer, index=False)
    frame = imports.read_table(buffer.getvalue(), "b.xlsx")
    assert frame.iloc[0].tolist() == ["X", "2024-05-06", "12"]


def test_an_empty_file_is_explained():
    with pytest.raises(InvalidInput):
        imports.read_table(b"a,b\n", "x.csv")


CUSTOMERS = """
客户名称,行业,规模,区域,负责人,等级
甲公司,retail,小型,华东,Alice A1,A
乙公司,finance,large,华冬,Aaron A2,B
"""


def test_unknown_values_are_offered_with_the_closest_known_value(session, world):
    frame = imports.read_table(csv_bytes(CUSTOMERS), "c.csv")
    mapping = imports.guess_mapping(list(frame.columns), "customers")
    unknown = {(u.field, u.value): u for u in imports.unknown_values(session, world.actors["manager_a"], "customers", frame, mapping)}
    assert unknown[("region", "华冬")].suggestion == "华东"
    assert unknown[("region", "华冬")].may_create is True
    assert ("industry", "finance") not in unknown  # a standard industry
    assert ("size", "小型") not in unknown  # the Chinese label of "small"


def test_an_import_with_one_bad_row_writes_nothing_and_says_where(session, world):
    text = CUSTOMERS + "丙公司,retail,巨型,华东,Alice A1,A\n"
    frame = imports.read_table(csv_bytes(text), "c.csv")
    mapping = imports.guess_mapping(list(frame.columns), "customers")
    before = count(session, Customer)
    with pytest.raises(InvalidInput) as caught:
        imports.commit_import(session, world.actors["manager_a"], "customers", frame, mapping, {"region": {"华冬": "华东"}})
    session.rollback()
    errors = caught.value.errors
    assert [(e.row, e.column, e.key) for e in errors] == [(4, "规模", "imports.bad_choice")]  # header is row 1
    assert count(session, Customer) == before


def test_a_valid_import_creates_assigns_and_records_history(session, world):
    frame = imports.read_table(csv_bytes(CUSTOMERS), "c.csv")
    mapping = imports.guess_mapping(list(frame.columns), "customers")
    seen = []
    result = imports.commit_import(session, world.actors["manager_a"], "customers", frame, mapping,
                                   {"region": {"华冬": "华东"}}, progress=lambda f, phase: seen.append(f))
    session.commit()
    assert (result.created, result.assigned, result.queued) == (2, 2, 0)
    jia = session.scalar(select(Customer).where(Customer.name == "甲公司"))
    yi = session.scalar(select(Customer).where(Customer.name == "乙公司"))
    assert (jia.size, jia.tier, jia.owner_id, jia.team_id) == ("small", "A", world.members["a1"].id, world.teams["A1"].id)
    assert yi.region == "华东" and yi.size == "large"
    assert count(session, AssignmentHistory) == 2
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_customers_without_owner_are_assigned_by_load_or_queued(session, world):
    text = "Company,Sector,Size,Region,Team\n" + "\n".join(f"Co {i},retail,small,华东,Team A1" for i in range(5))
    frame = imports.read_table(csv_bytes(text), "c.csv")
    mapping = imports.guess_mapping(list(frame.columns), "customers")
    result = imports.commit_import(session, world.actors["manager_a"], "customers", frame, mapping)
    session.commit()
    # a1 and a2 each have 1/3: four places left in Team A1, the fifth customer waits in the queue
    assert (result.created, result.assigned, result.queued) == (5, 4, 1)
    assert session.scalar(select(func.count()).select_from(Customer).where(Customer.owner_id.is_(None))) == 1


def test_references_outside_the_managers_scope_are_row_errors(session, world):
    text = "Company,Sector,Size,Region,Owner\nX,retail,small,华东,Bella B1\n"
    frame = imports.read_table(csv_bytes(text), "c.csv")
    mapping = imports.guess_mapping(list(frame.columns), "customers")
    with pytest.raises(InvalidInput) as caught:
        imports.commit_import(session, world.actors["manager_a"], "customers", frame, mapping)
    assert caught.value.errors[0].key == "imports.unknown_member" and caught.value.errors[0].row == 2


def test_members_cannot_import(session, world):
    frame = imports.read_table(csv_bytes(CUSTOMERS), "c.csv")
    with pytest.raises(PermissionDenied):
        imports.commit_import(session, world.actors["member_a1"], "customers", frame, imports.guess_mapping(list(frame.columns), "customers"))


def test_members_import_with_team_and_a_manager_from_the_same_file(session, world):
    text = """
姓名,邮箱,团队,上级,岗位,客户容量
Carol,carol@example.com,Team A1,Lead A,客户经理,20
Dave,dave@example.com,Team A1,carol@example.com,Customer-service specialist,
"""
    frame = imports.read_table(csv_bytes(text), "m.csv")
    mapping = imports.guess_mapping(list(frame.columns), "members")
    assert mapping == {"姓名": "name", "邮箱": "email", "团队": "team", "上级": "manager", "岗位": "role", "客户容量": "max_customers"}
    imports.commit_import(session, world.actors["manager_a"], "members", frame, mapping)
    session.commit()
    carol = session.scalar(select(Member).where(Member.name == "Carol"))
    dave = session.scalar(select(Member).where(Member.name == "Dave"))
    assert carol.manager_id == world.members["lead_a"].id and carol.max_customers == 20
    assert dave.manager_id == carol.id and dave.max_customers == 40


def test_duplicate_emails_within_the_file_or_with_existing_members_are_row_errors(session, world):
    text = "name,email,team,role\nE,alice.a1@example.com,Team A1,account_manager\nF,f@example.com,Team A1,account_manager\nG,F@example.com,Team A1,account_manager\n"
    frame = imports.read_table(csv_bytes(text), "m.csv")
    with pytest.raises(InvalidInput) as caught:
        imports.commit_import(session, world.actors["manager_a"], "members", frame, imports.guess_mapping(list(frame.columns), "members"))
    # Row 2 is an existing member matched by e-mail: "create only" reports it instead of duplicating (issue 11).
    assert [(e.row, e.key) for e in caught.value.errors] == [(2, "move.exists"), (4, "imports.duplicate_in_file")]


def test_deals_find_their_customer_by_name_and_owner_by_email(session, world):
    text = "商机名称,客户,负责人,金额,阶段\nRenewal,Customer of Alice A1,aaron.a2@example.com,\"12,500.50\",赢单\nUpsell,Customer of Alice A1,,300,\n"
    frame = imports.read_table(csv_bytes(text), "d.csv")
    mapping = imports.guess_mapping(list(frame.columns), "deals")
    imports.commit_import(session, world.actors["manager_a"], "deals", frame, mapping)
    session.commit()
    deals = {d.title: d for d in session.scalars(select(Deal))}
    assert deals["Renewal"].owner_id == world.members["a2"].id and float(deals["Renewal"].value) == 12500.50
    assert deals["Renewal"].stage == "won"
    assert deals["Upsell"].owner_id == world.members["a1"].id and deals["Upsell"].stage == "lead"  # the customer's owner
    assert (deals["Renewal"].probability, deals["Upsell"].probability) == (100, 10)  # the stage's default win probability
    assert deals["Upsell"].version == 1 and deals["Upsell"].stage_entered_at is not None


def test_imported_interactions_move_the_customers_follow_up(session, world):
    text = "客户,渠道,日期,内容\nCustomer of Alice A1,电话,2025-03-01 10:00,Called\nCustomer of Alice A1,email,2025-02-01,Mailed\n"
    frame = imports.read_table(csv_bytes(text), "i.csv")
    mapping = imports.guess_mapping(list(frame.columns), "interactions")
    assert mapping == {"客户": "customer", "渠道": "channel", "日期": "occurred_at", "内容": "summary"}
    imports.commit_import(session, world.actors["manager_a"], "interactions", frame, mapping)
    session.commit()
    customer = session.get(Customer, world.customers["a1"].id)
    assert count(session, Interaction) == 2
    assert customer.last_contact_at == datetime(2025, 3, 1, 10, 0) and customer.next_follow_up == date(2025, 3, 31)


def test_preview_marks_bad_rows_and_counts_them(session, world):
    text = CUSTOMERS + "丙公司,retail,巨型,华东,Nobody,A\n"
    frame = imports.read_table(csv_bytes(text), "c.csv")
    mapping = imports.guess_mapping(list(frame.columns), "customers")
    result = imports.preview(session, world.actors["manager_a"], "customers", frame, mapping, {"region": {"华冬": "华东"}})
    assert result.total == 3 and result.error_rows == 1
    assert list(result.rows["ok"]) == [True, True, False]
    assert {(e.row, e.column) for e in result.errors} == {(4, "规模"), (4, "负责人")}
