"""Imports that behave like a real CRM's (issue 11): modes matched by a key, the dry run's counts,
all errors as a file, the valid-rows option, bucket limits for numbers, and value suggestions only
for misspellings. Every test runs on SQLite and, when configured, PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core import imports
from core.errors import InvalidInput
from db.models import AuditLog, Customer, Deal, Interaction, Member, Team

ACCOUNTS = """Account ID,Account Name,Branche,Employees,Territory
EXT-1,Acme Retail,retail,12,华东
EXT-2,Beta Clinic,helthcare,480,华东
EXT-3,Gamma Works,manufacturing,5200,华南
"""


def frame_of(text: str):
    return imports.read_table(text.encode("utf-8"), "file.csv")


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def run(session, actor, kind, text, **options):
    frame = frame_of(text)
    mapping = imports.guess_mapping(list(frame.columns), kind)
    options.setdefault("value_map", {"industry": {"helthcare": "healthcare"}} if kind == "customers" else None)
    value_map = options.pop("value_map")
    if kind == "customers":
        options.setdefault("buckets", {"size": [50, 250, 1000]})
    return imports.commit_import(session, actor, kind, frame, mapping, value_map, **options)


def test_foreign_headers_and_a_head_count_column_are_mapped(session, world):
    frame = frame_of(ACCOUNTS)
    mapping = imports.guess_mapping(list(frame.columns), "customers")
    assert mapping["Account ID"] == "external_id" and mapping["Account Name"] == "name" and mapping["Territory"] == "region"
    mapping["Branche"], mapping["Employees"] = "industry", "size"
    assert imports.numeric_category_columns("customers", frame, mapping) == [("Employees", "size")]
    unknown = imports.unknown_values(session, world.actors["manager_a"], "customers", frame, mapping)
    assert [(u.field, u.value) for u in unknown] == [("industry", "helthcare")]  # one question, not one per head count


def test_bucket_limits_turn_a_head_count_into_a_size():
    assert [imports.bucket_of(n, [50, 250, 1000], ("small", "medium", "large", "enterprise")) for n in (12, 50, 480, 5200)] == \
        ["small", "medium", "large", "enterprise"]


def test_a_misspelling_is_suggested_and_an_unrelated_word_is_not(session, world):
    frame = frame_of("Company,Industry,Size,Region\nA,helthcare,small,华东\nB,medical,small,华东\nC,marketing,small,华东\n")
    mapping = imports.guess_mapping(list(frame.columns), "customers")
    unknown = {u.value: u for u in imports.unknown_values(session, world.actors["manager_a"], "customers", frame, mapping)}
    assert unknown["helthcare"].suggestion == "healthcare"
    assert unknown["medical"].suggestion is None and unknown["medical"].may_create  # proposed as new, not "education"
    assert unknown["marketing"].suggestion is None  # not "manufacturing"


def _accounts_mapping(frame):
    mapping = imports.guess_mapping(list(frame.columns), "customers")
    mapping["Branche"], mapping["Employees"] = "industry", "size"
    return mapping


@pytest.mark.parametrize("key", ["external_id", "name_region"])
def test_create_and_update_twice_changes_nothing_the_second_time(session, world, key):
    actor = world.actors["manager_a"]
    frame = frame_of(ACCOUNTS.replace(",华南", ",华东"))
    mapping = _accounts_mapping(frame)
    options = dict(mode="upsert", key=key, buckets={"size": [50, 250, 1000]})
    first = imports.commit_import(session, actor, "customers", frame, mapping, {"industry": {"helthcare": "healthcare"}}, **options)
    session.commit()
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    customers_before, audit_before = count(session, Customer), count(session, AuditLog)
    plan = imports.preview(session, actor, "customers", frame, mapping, {"industry": {"helthcare": "healthcare"}}, **options)
    assert (plan.new, plan.updated, plan.unchanged, plan.error_rows) == (0, 0, 3, 0)
    second = imports.commit_import(session, actor, "customers", frame, mapping, {"industry": {"helthcare": "healthcare"}}, **options)
    session.commit()
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert count(session, Customer) == customers_before
    assert count(session, AuditLog) == audit_before + 1  # only the import's own entry
    beta = session.scalar(select(Customer).where(Customer.external_id == "EXT-2"))
    assert (beta.industry, beta.size) == ("healthcare", "large")


def test_update_existing_changes_only_what_differs_and_refuses_unknown_rows(session, world):
    actor = world.actors["manager_a"]
    run(session, actor, "customers", ACCOUNTS.replace(",华南", ",华东"))
    session.commit()
    changed = ACCOUNTS.replace(",华南", ",华东").replace("Acme Retail,retail", "Acme Retail,finance") + "EXT-9,New One,retail,3,华东\n"
    frame = frame_of(changed)
    with pytest.raises(InvalidInput) as refused:
        imports.commit_import(session, actor, "customers", frame, _accounts_mapping(frame), {"industry": {"helthcare": "healthcare"}},
                              mode="update", key="external_id", buckets={"size": [50, 250, 1000]})
    session.rollback()
    assert [(e.row, e.key) for e in refused.value.errors] == [(5, "move.not_found")]
    result = imports.commit_import(session, actor, "customers", frame, _accounts_mapping(frame), {"industry": {"helthcare": "healthcare"}},
                                   mode="update", key="external_id", buckets={"size": [50, 250, 1000]}, partial=True)
    session.commit()
    assert (result.created, result.updated, result.unchanged, result.refused) == (0, 1, 2, 1)
    assert session.scalar(select(Customer.industry).where(Customer.external_id == "EXT-1")) == "finance"
    log = session.scalar(select(AuditLog).where(AuditLog.action == "customer.import_update"))
    assert log.before == {"industry": "retail"} and log.after == {"industry": "finance"}


def test_create_only_reports_matching_rows_instead_of_duplicating(session, world):
    actor = world.actors["manager_a"]
    run(session, actor, "customers", ACCOUNTS)
    session.commit()
    with pytest.raises(InvalidInput) as refused:
        run(session, actor, "customers", ACCOUNTS, mode="create", key="external_id")
    session.rollback()
    assert [e.key for e in refused.value.errors] == ["move.exists"] * 3
    assert count(session, Customer) == 3 + 3  # the world's three and the first import's three


def test_the_valid_rows_option_writes_exactly_the_valid_rows_and_returns_every_error(session, world):
    actor = world.actors["manager_a"]
    rows = "".join(f"X-{i},Company {i},retail,{'lots' if i % 3 == 0 else 10},华东\n" for i in range(1, 1001))
    text = "Account ID,Account Name,Branche,Employees,Territory\n" + rows
    frame = frame_of(text)
    mapping = _accounts_mapping(frame)
    before = count(session, Customer)
    result = imports.commit_import(session, actor, "customers", frame, mapping, None, mode="upsert", key="external_id",
                                   buckets={"size": [50, 250, 1000]}, partial=True)
    session.commit()
    assert result.refused == 333 and result.created == 667
    assert count(session, Customer) == before + 667
    assert set(session.scalars(select(Customer.external_id).where(Customer.external_id.like("X-%")))) == \
        {f"X-{i}" for i in range(1, 1001) if i % 3}
    errors = imports.error_frame(result.errors, frame, "en")
    assert len(errors) == 333 and list(errors.columns) == ["Row", "Column", "Value", "Reason"]  # all, not the first 500
    assert errors.iloc[0].tolist()[:3] == [4, "Employees", "lots"]
    rest = imports.rejected_rows(result.errors, frame, "en")
    assert len(rest) == 333 and list(rest["Account ID"][:2]) == ["X-3", "X-6"] and "Reason" in rest.columns


def test_without_the_valid_rows_option_one_bad_row_writes_nothing(session, world):
    before = count(session, Customer)
    with pytest.raises(InvalidInput):
        run(session, world.actors["manager_a"], "customers", ACCOUNTS + "EXT-4,Delta,retail,many,华东\n", mode="upsert")
    session.rollback()
    assert count(session, Customer) == before


def test_a_member_file_with_manager_and_office_builds_the_team_tree(session, world):
    actor = world.actors["admin"]
    text = """Name,Email,Reports To,Office
Wang Lei,wang@corp.example,,Shanghai
Li Mei,li@corp.example,Wang Lei,Shanghai
Zhao Jun,zhao@corp.example,Wang Lei,Shanghai
Chen Yu,chen@corp.example,,Shenzhen
Sun Li,sun@corp.example,Chen Yu,Shenzhen
"""
    frame = frame_of(text)
    mapping = imports.guess_mapping(list(frame.columns), "members")
    assert mapping == {"Name": "name", "Email": "email", "Reports To": "manager", "Office": "office"}
    result = imports.commit_import(session, actor, "members", frame, mapping, mode="upsert", key="email",
                                   default_role="account_manager", create_logins=True)
    session.commit()
    assert result.created == 5 and result.teams == 4
    shanghai = session.scalar(select(Team).where(Team.name == "Shanghai", Team.parent_id.is_(None)))
    wang_team = session.scalar(select(Team).where(Team.parent_id == shanghai.id))
    wang = session.scalar(select(Member).where(Member.email == "wang@corp.example"))
    assert wang_team.name == "Wang Lei团队"  # named in the workspace language (zh by default)
    assert wang_team.leader_id == wang.id and wang.team_id == wang_team.id
    li = session.scalar(select(Member).where(Member.email == "li@corp.example"))
    assert li.team_id == wang_team.id and li.manager_id == wang.id
    assert wang_team.manager_user_id == wang.user_id and wang.user.role == "manager" and li.user.role == "member"
    assert len(result.logins) == 5 and all(len(p) >= 12 for _, _, p in result.logins)
    again = imports.commit_import(session, actor, "members", frame, mapping, mode="upsert", key="email", default_role="account_manager")
    session.commit()
    assert (again.created, again.updated, again.unchanged, again.teams) == (0, 0, 5, 0)


def test_a_closed_deals_date_column_is_its_close_date(session, world):
    text = "Opportunity,Account,Amount,Stage,Close Date\nBig win,Customer of Alice A1,5000,won,2026-03-15\nOpen one,Customer of Alice A1,100,proposal,2026-09-01\n"
    frame = frame_of(text)
    mapping = imports.guess_mapping(list(frame.columns), "deals")
    assert mapping["Close Date"] == "expected_close"
    imports.commit_import(session, world.actors["manager_a"], "deals", frame, mapping, mode="upsert", key="customer_title")
    session.commit()
    deals = {d.title: d for d in session.scalars(select(Deal))}
    assert deals["Big win"].closed_on == date(2026, 3, 15)
    assert deals["Open one"].closed_on is None and deals["Open one"].expected_close == date(2026, 9, 1)
    again = imports.commit_import(session, world.actors["manager_a"], "deals", frame, mapping, mode="upsert", key="customer_title")
    assert (again.created, again.unchanged) == (0, 2)


def test_interactions_re_imported_in_create_and_update_are_not_duplicated(session, world):
    text = "客户,渠道,日期,内容\nCustomer of Alice A1,电话,2025-03-01 10:00,Called\n"
    for _ in range(2):
        run(session, world.actors["manager_a"], "interactions", text, mode="upsert")
        session.commit()
    assert count(session, Interaction) == 1


@pytest.mark.parametrize("kind, text, model", [
    ("contacts", "Account,Contact,Position,E-Mail\nCustomer of Alice A1,Wu Fang,Buyer,wu@example.com\n", "Contact"),
    ("surveys", "客户,满意度,推荐值,日期,评论\nCustomer of Alice A1,4,9,2026-01-05 10:00,Good\n", "Survey"),
    ("complaints", "Customer,Subject,Severity,Opened,Resolved\nCustomer of Alice A1,Late delivery,high,2026-01-03 09:00,2026-01-04 09:00\n",
     "Complaint"),
])
def test_contacts_surveys_and_complaints_import_with_mapping_and_do_not_duplicate(session, world, kind, text, model):
    from db import models

    table = getattr(models, model)
    frame = frame_of(text)
    mapping = imports.guess_mapping(list(frame.columns), kind)
    assert None not in mapping.values()
    first = imports.commit_import(session, world.actors["manager_a"], kind, frame, mapping, mode="upsert")
    session.commit()
    assert first.created == 1
    again = imports.commit_import(session, world.actors["manager_a"], kind, frame, mapping, mode="upsert")
    session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    rows = session.scalars(select(table).where(table.customer_id == world.customers["a1"].id)).all()
    assert len(rows) == 1
    if kind == "complaints":
        assert (rows[0].severity, rows[0].status) == ("high", "resolved")
