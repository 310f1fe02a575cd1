"""The customer book: visibility, filters and paging in the database, detail view, validation."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core import customers, pickers
from core.customers import CustomerFilters
from core.errors import InvalidInput, NotFound, PermissionDenied
from db.models import AssignmentHistory, AuditLog, Customer
from tests.factories import make_customer


def names(page):
    return list(page.rows["name"])


def test_a_member_sees_only_their_own_customers(session, world):
    page = customers.list_customers(session, world.actors["member_a1"])
    assert names(page) == ["Customer of Alice A1"]
    assert page.total == 1


def test_manager_a_sees_team_a_customers_but_never_team_b(session, world):
    page = customers.list_customers(session, world.actors["manager_a"])
    assert names(page) == ["Customer of Aaron A2", "Customer of Alice A1"]
    assert "Customer of Bella B1" not in names(page)
    # even when asking for Team B explicitly
    asked = customers.list_customers(session, world.actors["manager_a"], CustomerFilters(team_ids=(world.teams["B"].id,)))
    assert asked.total == 0


def test_admin_sees_every_customer(session, world):
    assert customers.count_customers(session, world.actors["admin"]) == 3


def test_filters_combine_and_count_in_the_database(session, world):
    a1 = world.members["a1"]
    make_customer(session, "Bank of Hangzhou", a1, industry="finance", region="华东", tier="A")
    make_customer(session, "Bank of Chengdu", a1, industry="finance", region="西南", tier="A")
    make_customer(session, "Shop Chengdu", a1, industry="retail", region="西南", tier="C")
    session.commit()
    manager = world.actors["manager_a"]
    assert names(customers.list_customers(session, manager, CustomerFilters(industries=("finance",)))) == ["Bank of Chengdu", "Bank of Hangzhou"]
    assert names(customers.list_customers(session, manager, CustomerFilters(industries=("finance",), regions=("西南",)))) == ["Bank of Chengdu"]
    assert names(customers.list_customers(session, manager, CustomerFilters(search="chengdu"))) == ["Bank of Chengdu", "Shop Chengdu"]
    assert customers.count_customers(session, manager, CustomerFilters(tiers=("A",))) == 2
    assert customers.count_customers(session, manager, CustomerFilters(owner_ids=(world.members["a2"].id,))) == 1


def test_overdue_filter_uses_the_next_follow_up_date(session, world):
    today = date(2025, 6, 10)
    a1 = world.members["a1"]
    make_customer(session, "Late", a1, next_follow_up=today - timedelta(days=1))
    make_customer(session, "On time", a1, next_follow_up=today)
    make_customer(session, "Late but churned", a1, next_follow_up=today - timedelta(days=5), status="churned")
    session.commit()
    page = customers.list_customers(session, world.actors["manager_a"], CustomerFilters(overdue_only=True), today=today)
    assert names(page) == ["Late"]
    assert bool(page.rows["overdue"].iloc[0]) is True


def test_pages_are_cut_and_sorted_in_the_database(session, world):
    a1 = world.members["a1"]
    for i in range(7):
        make_customer(session, f"Z{i}", a1)
    session.commit()
    admin = world.actors["admin"]
    first = customers.list_customers(session, admin, CustomerFilters(search="z"), sort="name", offset=0, limit=3)
    second = customers.list_customers(session, admin, CustomerFilters(search="z"), sort="name", offset=3, limit=3)
    last = customers.list_customers(session, admin, CustomerFilters(search="z"), sort="name", descending=True, limit=2)
    assert first.total == 7
    assert names(first) == ["Z0", "Z1", "Z2"] and names(second) == ["Z3", "Z4", "Z5"]
    assert names(last) == ["Z6", "Z5"]


def test_an_unknown_sort_is_refused(session, world):
    with pytest.raises(InvalidInput):
        customers.list_customers(session, world.actors["admin"], sort="password_hash")


def test_export_chunks_cover_the_filtered_list_exactly_once(session, world):
    a1 = world.members["a1"]
    for i in range(5):
        make_customer(session, f"Chunk {i}", a1)
    session.commit()
    chunks = list(customers.iter_customer_chunks(session, world.actors["manager_a"], CustomerFilters(search="chunk"), chunk_size=2))
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert sorted(n for c in chunks for n in c["name"]) == [f"Chunk {i}" for i in range(5)]


def test_detail_of_a_foreign_or_malformed_id_is_not_found(session, world):
    b_customer = world.customers["b1"].id
    with pytest.raises(NotFound):
        customers.get_customer(session, world.actors["manager_a"], b_customer)
    with pytest.raises(NotFound):
        customers.get_customer(session, world.actors["member_a1"], world.customers["a2"].id)
    for bad in ("abc", None, 10**9, "-1"):
        with pytest.raises(NotFound):
            customers.get_customer(session, world.actors["admin"], bad)


def test_detail_shows_owner_team_and_history(session, world):
    detail = customers.get_customer(session, world.actors["member_a1"], str(world.customers["a1"].id), lang="en")
    assert detail.info["owner"] == "Alice A1" and detail.info["team"] == "Team A1"
    assert detail.can_log is True and detail.can_edit is False


def test_create_refuses_invalid_input_naming_each_field_and_writes_nothing(session, world):
    with pytest.raises(InvalidInput) as caught:
        customers.create_customer(session, world.actors["manager_a"], {"name": " ", "industry": "retail", "size": "huge", "region": "华东"})
    session.rollback()
    columns = {e.column for e in caught.value.errors}
    assert columns == {"name", "size"}
    assert session.scalar(select(func.count()).select_from(Customer)) == 3


def test_members_cannot_create_customers(session, world):
    with pytest.raises(PermissionDenied):
        customers.create_customer(session, world.actors["member_a1"], {"name": "X", "industry": "retail", "size": "small", "region": "华东"})


def test_manager_cannot_create_a_customer_in_another_managers_team(session, world):
    with pytest.raises(PermissionDenied):
        customers.create_customer(session, world.actors["manager_a"], {"name": "X", "industry": "retail", "size": "small",
                                                                      "region": "华东", "team_id": world.teams["B"].id})
    with pytest.raises(PermissionDenied):
        customers.create_customer(session, world.actors["manager_a"], {"name": "X", "industry": "retail", "size": "small",
                                                                      "region": "华东", "owner_id": world.members["b1"].id})


def test_a_new_customer_gets_an_owner_history_audit_and_a_follow_up_date(session, world):
    today = date(2025, 1, 1)
    cid = customers.create_customer(session, world.actors["manager_a"], {"name": "New Co", "industry": "retail", "size": "small",
                                                                        "region": "华东", "tier": "A", "team_id": world.teams["A1"].id}, today=today)
    session.commit()
    customer = session.get(Customer, cid)
    assert customer.owner_id in (world.members["a1"].id, world.members["a2"].id)
    assert customer.next_follow_up == today + timedelta(days=7)  # tier A default cadence
    history = session.scalars(select(AssignmentHistory).where(AssignmentHistory.customer_id == cid)).all()
    assert len(history) == 1 and history[0].from_member_id is None and history[0].to_member_id == customer.owner_id
    actions = set(session.scalars(select(AuditLog.action).where(AuditLog.entity == "customer", AuditLog.entity_id == cid)))
    assert {"customer.create", "customer.assign"} <= actions


def test_a_duplicate_customer_code_is_refused(session, world):
    make_customer(session, "Coded", world.members["a1"], external_id="C-1")
    session.commit()
    with pytest.raises(InvalidInput) as caught:
        customers.create_customer(session, world.actors["admin"], {"name": "Other", "industry": "x", "size": "small", "region": "华东",
                                                                  "external_id": "C-1"})
    assert caught.value.errors[0].key == "customers.duplicate_external_id"


def test_editing_a_customer_is_audited_with_before_and_after(session, world):
    cid = world.customers["a1"].id
    customers.update_customer(session, world.actors["manager_a"], cid, {"tier": "A", "notes": "VIP"})
    session.commit()
    log = session.scalars(select(AuditLog).where(AuditLog.action == "customer.update", AuditLog.entity_id == cid)).one()
    assert log.before == {"tier": "B", "notes": None} and log.after == {"tier": "A", "notes": "VIP"}
    detail = customers.get_customer(session, world.actors["manager_a"], cid)
    assert "customer.update" in list(detail.audit["action"])


def test_manager_a_cannot_edit_or_add_contacts_to_team_b_customers(session, world):
    b_customer = world.customers["b1"].id
    with pytest.raises(NotFound):
        customers.update_customer(session, world.actors["manager_a"], b_customer, {"tier": "A"})
    with pytest.raises(NotFound):
        customers.add_contact(session, world.actors["manager_a"], b_customer, "Spy")


def test_an_edit_on_stale_data_is_a_conflict(session, world):
    from core.errors import Conflict

    cid = world.customers["a1"].id
    with pytest.raises(Conflict):
        customers.update_customer(session, world.actors["manager_a"], cid, {"tier": "A"}, expected={"tier": "C"})


def test_filter_options_list_only_visible_values(session, world):
    make_customer(session, "B only", world.members["b1"], industry="mining")
    session.commit()
    options = pickers.customer_filters(session, world.actors["manager_a"])
    assert "mining" not in options.industries
    assert world.members["b1"].id not in options.owners
    assert set(options.teams) == {world.teams["A"].id, world.teams["A1"].id}
