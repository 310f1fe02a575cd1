"""Issue 12: bugs that left wrong data behind. Each test names the rule it protects and failed
before its fix. World: see tests/factories.py."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core import pickers, tasks
from core.errors import InvalidInput
from db.models import AuditLog, Customer, Task


# 1. New task goes to the wrong person --------------------------------------------------------
def test_members_who_are_leaving_are_never_offered_as_assignees(session, world):
    world.members["a2"].status = "leaving"
    session.flush()
    actor = world.actors["manager_a"]
    offered = set(pickers.assignees(session, actor, world.teams["A"].id))
    assert world.members["a2"].id not in offered and world.members["a1"].id in offered
    ranked = {s.member_id for s in tasks.suggest_assignees(session, actor, world.teams["A"].id, world.customers["a1"].id, 10)}
    assert world.members["a2"].id not in ranked and ranked


def test_a_new_task_cannot_be_given_to_a_member_who_is_leaving(session, world):
    world.members["a2"].status = "leaving"
    session.flush()
    with pytest.raises(InvalidInput):
        tasks.create_task(session, world.actors["manager_a"], title="Call back", team_id=world.teams["A"].id,
                          assignee_id=world.members["a2"].id)


# 2. Decomposing an already split goal -------------------------------------------------------
def _split(session, world, target=100.0):
    from core import goals
    from tests.factories import make_goal

    parent = make_goal(session, "Team A calls", team=world.teams["A"], metric="new_customers", target=target)
    actor = world.actors["manager_a"]
    drafts = goals.propose_member_split(session, actor, parent.id)
    goals.save_children(session, actor, parent.id, drafts)
    return parent, actor, drafts


def test_a_goal_that_has_children_is_not_split_a_second_time(session, world):
    from core import goals
    from core.errors import Conflict

    parent, actor, drafts = _split(session, world)
    with pytest.raises(Conflict):
        goals.save_children(session, actor, parent.id, drafts)
    rollup, children = goals.goal_rollup(session, actor, parent.id)
    assert rollup.children == len(drafts) and rollup.adds_up


def test_re_split_replaces_the_children_in_one_go(session, world):
    from core import goals

    parent, actor, drafts = _split(session, world)
    again = goals.propose_member_split(session, actor, parent.id, "capacity")
    goals.save_children(session, actor, parent.id, again, replace_existing=True)
    rollup, children = goals.goal_rollup(session, actor, parent.id)
    assert rollup.children == len(again) and rollup.adds_up
    assert rollup.children_target == pytest.approx(parent.target)


# 3. Moving a member to another team ------------------------------------------------------------
def _row(session, member, **changes):
    from core import roster

    frame = roster.roster_frame(session, roster_actor(session), None, False)
    row = frame[frame["id"] == member.id].iloc[0].to_dict()
    keys = ("id", "name", "email", "phone", "team_id", "role", "manager_id", "status", "max_customers", "max_open_tasks",
            "specialties")
    data = {k: row.get(k) for k in keys}
    data["manager_id"] = None if data["manager_id"] is None or str(data["manager_id"]) == "<NA>" else int(data["manager_id"])
    data.update(changes)
    return data


def roster_actor(session):
    from core.permissions import actor_for_user
    from db.models import User

    return actor_for_user(session, session.scalar(select(User).where(User.username == "admin")))


@pytest.mark.parametrize("mode", ["move", "keep", "handover"])
def test_moving_a_member_to_another_team_does_what_was_chosen_with_their_customers_and_tasks(session, world, mode):
    from core import roster

    a1 = world.members["a1"]
    customer, task = world.customers["a1"], world.tasks["a1"]
    old_team, new_team = world.teams["A1"].id, world.teams["B"].id
    roster.save_members(session, world.actors["admin"], [_row(session, a1, team_id=new_team)], team_change=mode)
    session.expire_all()
    customer, task = session.get(Customer, customer.id), session.get(Task, task.id)
    if mode == "move":
        assert (customer.owner_id, customer.team_id) == (a1.id, new_team)
        assert (task.assignee_id, task.team_id) == (a1.id, new_team)
    elif mode == "handover":  # the customers and open tasks stay with the old team, for someone there
        assert (customer.owner_id, customer.team_id) == (None, old_team)
        assert (task.assignee_id, task.team_id) == (None, old_team)
    else:
        assert (customer.owner_id, customer.team_id) == (a1.id, old_team)


def test_moving_a_member_moves_their_customers_by_default(session, world):
    from core import roster

    a1 = world.members["a1"]
    roster.save_members(session, world.actors["admin"], [_row(session, a1, team_id=world.teams["B"].id)])
    session.expire_all()
    assert session.get(Customer, world.customers["a1"].id).team_id == world.teams["B"].id


# 12. Capacity below the current load is not saved silently --------------------------------------
def test_cutting_capacity_below_the_current_load_is_reported(session, world):
    from core import roster

    a1 = world.members["a1"]  # owns one customer and one open task
    result = roster.save_members(session, world.actors["admin"], [_row(session, a1, max_customers=0, max_open_tasks=0)])
    assert result["below_load"] == [{"name": a1.name, "customers": (1, 0), "tasks": (1, 0)}]


# 7. Overdue follow-ups: one definition everywhere ---------------------------------------------
def test_home_meeting_and_the_follow_up_list_count_the_same_overdue_customers(session, world):
    from core import communication, home, meeting
    from tests.factories import make_customer

    today = date.today()
    a1 = world.members["a1"]
    for i in range(3):
        make_customer(session, f"Late {i}", a1, next_follow_up=today - timedelta(days=2))
    make_customer(session, "Gone", a1, next_follow_up=today - timedelta(days=5), status="churned")
    session.flush()
    actor = world.actors["manager_a"]
    listed = communication.due_follow_ups(session, actor, today).overdue
    home_count = home.team_summary(session, actor, today).totals["overdue_follow_ups"]
    board = meeting.meeting_board(session, actor, world.teams["A"].id, today)
    assert listed == home_count == board.overdue_total == 3
    member = home.member_summary(session, world.actors["member_a1"], today)
    assert "Gone" not in {r["name"] for r in member.follow_ups}


# 8. Assignment rules apply only inside the team that owns them ----------------------------------
def _rule(session, owner_team, target_team, **criteria):
    from db.models import AssignmentRule

    rule = AssignmentRule(team_id=owner_team.id, target_team_id=target_team.id, priority=1, active=True, **criteria)
    session.add(rule)
    session.flush()
    return rule


def test_a_rule_does_not_apply_to_a_customer_of_another_team(session, world):
    from core.assignment import matching_rule
    from core.permissions import scope_for

    _rule(session, world.teams["B"], world.teams["B"], industry="retail")
    scope = scope_for(session, world.actors["admin"])
    assert matching_rule(session, scope, {"industry": "retail", "team_id": world.teams["A1"].id}) is None
    assert matching_rule(session, scope, {"industry": "retail", "team_id": world.teams["B"].id}) is not None


def test_an_import_row_that_names_a_team_stays_in_it_whatever_other_teams_rules_say(session, world):
    from core import imports

    _rule(session, world.teams["B"], world.teams["B"], industry="retail")
    text = "Company,Sector,Size,Region,Team\n" + "\n".join(f"Co {i},retail,small,华东,Team A1" for i in range(3))
    frame = imports.read_table(text.encode("utf-8"), "c.csv")
    imports.commit_import(session, world.actors["admin"], "customers", frame, imports.guess_mapping(list(frame.columns), "customers"))
    session.commit()
    rows = session.execute(select(Customer.team_id, Customer.owner_id).where(Customer.name.like("Co %"))).all()
    a1_members = {world.members["a1"].id, world.members["a2"].id, None}
    assert {t for t, _ in rows} == {world.teams["A1"].id} and {o for _, o in rows} <= a1_members


# 10. Logging a contact: the row and the confirmation carry the new follow-up date ---------------
def test_a_logged_contact_records_the_follow_up_date_it_leads_to(session, world):
    from core import communication
    from db.models import Interaction

    cid = world.customers["a1"].id
    iid = communication.log_interaction(session, world.actors["member_a1"], cid, "phone", "Called about renewal")
    session.expire_all()
    customer = session.get(Customer, cid)
    assert customer.next_follow_up is not None
    assert session.get(Interaction, iid).next_follow_up == customer.next_follow_up
    assert communication.follow_up_after(session, world.actors["member_a1"], cid) == customer.next_follow_up


# 13. A complaint is resolved only with a note saying what was done -----------------------------
def test_resolving_a_complaint_needs_a_resolution_note(session, world):
    from core import service
    from db.models import Complaint

    actor = world.actors["member_a1"]
    cid = service.log_complaint(session, actor, customer_id=world.customers["a1"].id, title="Late delivery", severity="high")
    with pytest.raises(InvalidInput):
        service.resolve_complaint(session, actor, cid, note="   ")
    assert session.get(Complaint, cid).status != "resolved"
    service.resolve_complaint(session, actor, cid, note="Re-sent the parcel by courier")
    complaint = session.get(Complaint, cid)
    assert (complaint.status, complaint.resolution_note) == ("resolved", "Re-sent the parcel by courier")


# Readable history (no `assignee_id: 6 → 1 / position: 1000.0 → 999.0`) ----------------------------
def test_task_history_reads_as_sentences_with_names(session, world):
    task = world.tasks["a1"]
    tasks.move_task(session, world.actors["manager_a"], task.id, task.version, to_member_id=world.members["a2"].id)
    rows = tasks.task_history_text(session, world.actors["manager_a"], task.id, "en")
    assert rows[0]["text"] == "Manager A moved task “Task of Alice A1”"
    assert "Assignee: Alice A1 → Aaron A2" in rows[0]["details"]
    assert "position" not in rows[0]["details"] and "_id" not in rows[0]["details"]
    zh = tasks.task_history_text(session, world.actors["manager_a"], task.id, "zh")
    assert "负责人: Alice A1 → Aaron A2" in zh[0]["details"]


# 9. Amounts in different currencies are never summed -------------------------------------------
def test_sales_won_never_adds_dollars_to_yuan_and_says_what_it_left_out(session, world):
    from decimal import Decimal

    from core import metrics
    from db.models import Deal

    a1 = world.members["a1"]
    day = date.today()
    for value, currency in ((Decimal("1000"), "CNY"), (Decimal("500"), "USD"), (Decimal("250"), "USD")):
        session.add(Deal(customer_id=world.customers["a1"].id, owner_id=a1.id, title=f"{currency} {value}", value=value,
                         currency=currency, stage="won", closed_on=day))
    session.flush()
    measured = metrics.measure(session, "sales_won", member_ids=[a1.id], start=day, end=day)
    assert measured.value == 1000
    assert metrics.other_currencies(session, member_ids=[a1.id], start=day, end=day) == {"USD": (2, 750.0)}


# 11. Records created by mistake can be archived (and, by an admin, deleted when unused) ---------
def test_an_archived_task_leaves_the_board_and_is_audited(session, world):
    from core import removal

    task = world.tasks["a1"]
    removal.archive(session, world.actors["manager_a"], "task", task.id)
    before_board = {c.id for column in tasks.board(session, world.actors["admin"], world.teams["A"].id).columns
                    for c in column.cards}
    assert task.id not in before_board and world.tasks["a2"].id in before_board
    assert session.scalar(select(AuditLog).where(AuditLog.action == "task.archive", AuditLog.entity_id == task.id))


def test_an_archived_customer_leaves_the_list(session, world):
    from core import customers, removal

    cid = world.customers["a1"].id
    removal.archive(session, world.actors["manager_a"], "customer", cid)
    listed = customers.list_customers(session, world.actors["manager_a"])
    assert cid not in set(listed.rows["id"]) and world.customers["a2"].id in set(listed.rows["id"])


def test_only_an_admin_deletes_and_only_what_nothing_refers_to(session, world):
    from core import removal
    from core.errors import Conflict, PermissionDenied
    from tests.factories import make_customer, make_team

    spare = make_customer(session, "Typo Ltd", world.members["a1"])
    with pytest.raises(PermissionDenied):
        removal.delete(session, world.actors["manager_a"], "customer", spare.id)
    removal.delete(session, world.actors["admin"], "customer", spare.id)
    assert session.get(Customer, spare.id) is None
    with pytest.raises(Conflict):  # Team A1 has members
        removal.delete(session, world.actors["admin"], "team", world.teams["A1"].id)
    empty = make_team(session, "Created by mistake", parent=world.teams["B"])
    removal.archive(session, world.actors["admin"], "team", empty.id)
    removal.delete(session, world.actors["admin"], "team", empty.id)
    assert session.scalar(select(AuditLog).where(AuditLog.action == "team.delete"))
