"""Roster rules: the team tree, members edited as a table (row-level validation, all or nothing),
scope, load next to capacity, handover of a leaving member's work, and the audit trail."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import handover, roster
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.permissions import scope_for
from db.models import AssignmentHistory, AuditLog, Customer, Member, MemberSpecialty, Task, Team
from tests.factories import make_customer, make_member, make_task


def rows_of(session, actor, team_id=None):
    return roster.roster_frame(session, actor, team_id).to_dict("records")


def row_for(rows, name):
    return next(r for r in rows if r["name"] == name)


def refusal(fn, *args, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        fn(*args, **kwargs)
    return caught.value


# ---------------------------------------------------------------------------------------------
# Members: saving an edited table
# ---------------------------------------------------------------------------------------------
def test_a_capacity_change_is_saved_and_audited_with_before_and_after(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    row_for(rows, "Alice A1")["max_customers"] = 12
    assert roster.save_members(session, actor, rows).items() >= {"created": 0, "updated": 1}.items()
    session.commit()
    assert session.get(Member, world.members["a1"].id).max_customers == 12
    log = session.scalars(select(AuditLog).where(AuditLog.entity == "member", AuditLog.entity_id == world.members["a1"].id)).one()
    assert (log.action, log.before, log.after, log.user_id) == ("member.update", {"max_customers": 3}, {"max_customers": 12}, world.users["manager_a"].id)


def test_unchanged_rows_write_nothing(session, world):
    actor = world.actors["manager_a"]
    assert roster.save_members(session, actor, rows_of(session, actor)).items() >= {"created": 0, "updated": 0}.items()
    assert session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_an_unknown_role_is_reported_on_its_row_and_nothing_is_saved(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)  # Alice A1, Aaron A2, Lead A (ordered by team, then name)
    names = [r["name"] for r in rows]
    row_for(rows, "Alice A1")["max_customers"] = 9  # a valid change in another row
    row_for(rows, "Aaron A2")["role"] = "astronaut"
    error = refusal(roster.save_members, session, actor, rows)
    assert [(e.key, e.row, e.column, e.params) for e in error.errors] == [
        ("roster.unknown_role", names.index("Aaron A2") + 1, roster.COL_ROLE, {"value": "astronaut"})
    ]
    session.rollback()
    assert session.get(Member, world.members["a1"].id).max_customers == 3


def test_a_negative_capacity_is_refused_on_its_row_and_column(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    row_for(rows, "Aaron A2")["max_open_tasks"] = -1
    error = refusal(roster.save_members, session, actor, rows)
    position = [r["name"] for r in rows].index("Aaron A2") + 1
    assert [(e.key, e.row, e.column) for e in error.errors] == [("roster.capacity_negative", position, roster.COL_MAX_OPEN_TASKS)]


def test_a_fractional_capacity_is_refused(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    row_for(rows, "Aaron A2")["max_customers"] = 2.5
    assert [e.key for e in refusal(roster.save_members, session, actor, rows).errors] == ["roster.capacity_not_number"]


def test_a_duplicate_email_in_the_table_names_the_first_row(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    rows[2]["email"] = rows[0]["email"].upper()  # case does not make a different address
    error = refusal(roster.save_members, session, actor, rows)
    assert [(e.key, e.row, e.column, e.params["other"]) for e in error.errors] == [("roster.duplicate_email", 3, roster.COL_EMAIL, 1)]


def test_an_email_of_a_member_outside_the_table_is_refused(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    row_for(rows, "Aaron A2")["email"] = world.members["b1"].email
    error = refusal(roster.save_members, session, actor, rows)
    assert [(e.key, e.column) for e in error.errors] == [("roster.email_taken", roster.COL_EMAIL)]


def test_every_bad_row_is_reported_at_once_in_row_order(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    rows[2]["max_customers"] = -5
    rows[0]["name"] = "  "
    rows[1]["status"] = "on_holiday"
    error = refusal(roster.save_members, session, actor, rows)
    assert [(e.row, e.key) for e in error.errors] == [
        (1, "roster.name_required"), (2, "roster.unknown_status"), (3, "roster.capacity_negative"),
    ]
    assert error.params == {"count": 3}


def test_manager_a_cannot_move_a_member_into_team_b(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    row_for(rows, "Aaron A2")["team_id"] = world.teams["B"].id
    error = refusal(roster.save_members, session, actor, rows)
    assert [(e.key, e.column) for e in error.errors] == [("roster.team_out_of_scope", roster.COL_TEAM)]
    session.rollback()
    assert session.get(Member, world.members["a2"].id).team_id == world.teams["A1"].id


def test_manager_a_can_move_a_member_between_their_own_teams(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    row_for(rows, "Aaron A2")["team_id"] = world.teams["A"].id
    roster.save_members(session, actor, rows)
    assert session.get(Member, world.members["a2"].id).team_id == world.teams["A"].id


def test_manager_a_cannot_edit_b1(session, world):
    actor = world.actors["manager_a"]
    b1 = rows_of(session, world.actors["manager_b"])[0]
    assert b1["name"] == "Bella B1"
    b1["max_customers"] = 99
    with pytest.raises(PermissionDenied):
        roster.save_members(session, actor, [b1])
    assert "Bella B1" not in {r["name"] for r in rows_of(session, actor)}


def test_a_member_cannot_open_the_roster(session, world):
    with pytest.raises(PermissionDenied):
        roster.roster_frame(session, world.actors["member_a1"])
    with pytest.raises(PermissionDenied):
        roster.save_members(session, world.actors["member_a1"], [])


def test_a_new_member_gets_default_capacity_and_parsed_specialties(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor) + [{
        "id": None, "name": "Nina New", "email": "Nina@Example.com", "team_id": world.teams["A1"].id,
        "role": "cs_specialist", "manager_id": world.members["lead_a"].id, "status": None,
        "max_customers": None, "max_open_tasks": None, "specialties": ["industry:retail", "行业：制造", "Region: 华东"],
    }]
    assert roster.save_members(session, actor, rows).items() >= {"created": 1, "updated": 0}.items()
    nina = session.scalars(select(Member).where(Member.name == "Nina New")).one()
    assert (nina.email, nina.status, nina.max_customers, nina.max_open_tasks, nina.manager_id) == (
        "nina@example.com", "active", 40, 15, world.members["lead_a"].id)
    assert sorted((s.kind, s.value) for s in nina.specialties) == [("industry", "retail"), ("industry", "制造"), ("region", "华东")]
    assert session.scalar(select(AuditLog.action).where(AuditLog.entity_id == nina.id, AuditLog.entity == "member")) == "member.create"


def test_a_specialty_must_name_a_known_kind(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    row_for(rows, "Aaron A2")["specialties"] = ["industry:retail", "hobby:golf", "retail"]
    error = refusal(roster.save_members, session, actor, rows)
    assert [(e.key, e.params["value"]) for e in error.errors] == [("roster.bad_specialty", "hobby:golf"), ("roster.bad_specialty", "retail")]


def test_removing_a_specialty_deletes_only_that_tag(session, world):
    actor = world.actors["manager_a"]
    a2 = world.members["a2"]
    session.add_all([MemberSpecialty(member_id=a2.id, kind="industry", value="retail"),
                     MemberSpecialty(member_id=a2.id, kind="region", value="华东")])
    session.commit()
    rows = rows_of(session, actor)
    assert row_for(rows, "Aaron A2")["specialties"] == ["industry:retail", "region:华东"]
    row_for(rows, "Aaron A2")["specialties"] = ["region:华东", "language:en"]
    roster.save_members(session, actor, rows)
    session.commit()
    assert sorted(session.execute(select(MemberSpecialty.kind, MemberSpecialty.value).where(MemberSpecialty.member_id == a2.id)).all()) == [
        ("language", "en"), ("region", "华东")]


def test_a_member_holding_work_cannot_be_marked_left(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    row_for(rows, "Alice A1")["status"] = "left"
    error = refusal(roster.save_members, session, actor, rows)
    assert [(e.key, e.params) for e in error.errors] == [("roster.left_with_work", {"customers": 1, "tasks": 1})]
    row_for(rows, "Alice A1")["status"] = "leaving"  # leaving is fine: that is when the handover happens
    roster.save_members(session, actor, rows)
    assert session.get(Member, world.members["a1"].id).status == "leaving"


def test_a_manager_chain_cannot_loop(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    row_for(rows, "Alice A1")["manager_id"] = world.members["a2"].id
    row_for(rows, "Aaron A2")["manager_id"] = world.members["a1"].id
    error = refusal(roster.save_members, session, actor, rows)
    assert {e.key for e in error.errors} == {"roster.manager_cycle"}
    row_for(rows, "Aaron A2")["manager_id"] = world.members["a2"].id
    assert [e.key for e in refusal(roster.save_members, session, actor, rows).errors] == ["roster.own_manager"]


def test_a_manager_outside_scope_cannot_be_chosen(session, world):
    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    row_for(rows, "Alice A1")["manager_id"] = world.members["b1"].id
    assert [e.key for e in refusal(roster.save_members, session, actor, rows).errors] == ["roster.manager_out_of_scope"]


def test_load_is_shown_next_to_capacity_and_counts_only_open_work(session, world):
    a1 = world.members["a1"]
    make_customer(session, "Second of Alice", a1)
    make_customer(session, "Churned of Alice", a1, status="churned")
    make_task(session, "Done task", world.teams["A1"], a1, status="done")
    session.commit()
    row = row_for(rows_of(session, world.actors["manager_a"]), "Alice A1")
    assert (row["customers"], row["max_customers"], row["open_tasks"], row["max_open_tasks"]) == (2, 3, 1, 3)


def test_the_roster_can_be_narrowed_to_a_team_and_its_sub_teams(session, world):
    actor = world.actors["manager_a"]
    assert [r["name"] for r in rows_of(session, actor, world.teams["A1"].id)] == ["Aaron A2", "Alice A1"]
    assert {r["name"] for r in rows_of(session, actor, world.teams["A"].id)} == {"Aaron A2", "Alice A1", "Lead A"}


def test_member_history_lists_changes_newest_first_and_respects_scope(session, world):
    actor = world.actors["manager_a"]
    for capacity in (5, 6):
        rows = rows_of(session, actor)
        row_for(rows, "Alice A1")["max_customers"] = capacity
        roster.save_members(session, actor, rows)
        session.commit()
    rows = rows_of(session, actor)
    row_for(rows, "Alice A1")["team_id"] = world.teams["A"].id
    row_for(rows, "Alice A1")["role"] = "cs_specialist"
    roster.save_members(session, actor, rows)
    session.commit()
    history = roster.member_history(session, actor, world.members["a1"].id)
    assert [(h["who"], [(c["field"], c["before"], c["after"]) for c in h["changes"]]) for h in history] == [
        ("Manager A", [("team_id", "Team A1", "Team A"), ("role_id", "account_manager", "cs_specialist")]),
        ("Manager A", [("max_customers", 5, 6)]),
        ("Manager A", [("max_customers", 3, 5)]),
    ]
    with pytest.raises(PermissionDenied):
        roster.member_history(session, world.actors["manager_b"], world.members["a1"].id)


# ---------------------------------------------------------------------------------------------
# Team tree
# ---------------------------------------------------------------------------------------------
def test_the_tree_lists_each_team_before_its_sub_teams_with_paths(session, world):
    tree = roster.team_tree(session, world.actors["admin"])
    assert [(n.path, n.depth) for n in tree] == [("Team A", 0), ("Team A / Team A1", 1), ("Team B", 0)]
    assert [(n.path, n.leader_name, n.members) for n in roster.team_tree(session, world.actors["manager_a"])] == [
        ("Team A", "Lead A", 1), ("Team A / Team A1", None, 2)]


def test_a_manager_creates_a_sub_team_under_their_own_team_only(session, world):
    actor = world.actors["manager_a"]
    new_id = roster.create_team(session, actor, "Team A2", world.teams["A"].id, "support")
    assert new_id in scope_for(session, actor).team_ids
    with pytest.raises(PermissionDenied):
        roster.create_team(session, actor, "Sneaky", world.teams["B"].id)
    with pytest.raises(PermissionDenied):
        roster.create_team(session, actor, "Top", None)
    assert session.scalar(select(AuditLog.action).where(AuditLog.entity == "team", AuditLog.entity_id == new_id)) == "team.create"


def test_a_team_name_is_unique_under_its_parent(session, world):
    error = refusal(roster.create_team, session, world.actors["manager_a"], "Team A1", world.teams["A"].id)
    assert [e.key for e in error.errors] == ["roster.team_name_taken"]


def test_moving_a_team_under_its_own_sub_team_is_refused(session, world):
    with pytest.raises(Conflict) as caught:
        roster.move_team(session, world.actors["admin"], world.teams["A"].id, world.teams["A1"].id)
    assert caught.value.key == "roster.team_cycle"
    with pytest.raises(Conflict):
        roster.move_team(session, world.actors["admin"], world.teams["A"].id, world.teams["A"].id)


def test_manager_a_cannot_move_a_sub_team_under_team_b(session, world):
    with pytest.raises(PermissionDenied):
        roster.move_team(session, world.actors["manager_a"], world.teams["A1"].id, world.teams["B"].id)
    session.rollback()
    assert session.get(Team, world.teams["A1"].id).parent_id == world.teams["A"].id


def test_manager_a_moves_sub_teams_within_their_scope_but_not_their_own_team(session, world):
    actor = world.actors["manager_a"]
    a2 = roster.create_team(session, actor, "Team A2", world.teams["A"].id)
    assert roster.move_team(session, actor, a2, world.teams["A1"].id) is True
    assert session.get(Team, a2).parent_id == world.teams["A1"].id
    with pytest.raises(PermissionDenied):
        roster.move_team(session, actor, world.teams["A"].id, world.teams["A1"].id)


def test_manager_a_cannot_edit_team_b(session, world):
    with pytest.raises(PermissionDenied):
        roster.update_team(session, world.actors["manager_a"], world.teams["B"].id, name="Mine now")


def test_an_admin_moving_a1_under_b_hands_it_to_manager_b(session, world):
    roster.move_team(session, world.actors["admin"], world.teams["A1"].id, world.teams["B"].id)
    session.commit()
    assert world.teams["A1"].id in scope_for(session, world.actors["manager_b"]).team_ids
    assert world.teams["A1"].id not in scope_for(session, world.actors["manager_a"]).team_ids
    log = session.scalars(select(AuditLog).where(AuditLog.entity == "team")).one()
    assert (log.action, log.before, log.after) == ("team.move", {"parent_id": world.teams["A"].id}, {"parent_id": world.teams["B"].id})


def test_the_leader_must_belong_to_the_team(session, world):
    actor = world.actors["admin"]
    error = refusal(roster.update_team, session, actor, world.teams["A1"].id, leader_id=world.members["b1"].id)
    assert [e.key for e in error.errors] == ["roster.leader_not_in_team"]
    roster.update_team(session, actor, world.teams["A1"].id, leader_id=world.members["a2"].id, kind="support", name="Team A-one")
    team = session.get(Team, world.teams["A1"].id)
    assert (team.leader_id, team.kind, team.name) == (world.members["a2"].id, "support", "Team A-one")


def test_only_admins_set_the_managing_user(session, world):
    with pytest.raises(PermissionDenied):
        roster.update_team(session, world.actors["manager_a"], world.teams["A1"].id, manager_user_id=world.users["manager_a"].id)
    roster.update_team(session, world.actors["admin"], world.teams["A1"].id, manager_user_id=world.users["manager_b"].id)
    session.commit()
    assert world.teams["A1"].id in scope_for(session, world.actors["manager_b"]).team_ids
    error = refusal(roster.update_team, session, world.actors["admin"], world.teams["B"].id, manager_user_id=world.users["member_b1"].id)
    assert [e.key for e in error.errors] == ["roster.not_a_manager_user"]


# ---------------------------------------------------------------------------------------------
# Handover
# ---------------------------------------------------------------------------------------------
def _mark_leaving(session, world, key):
    world.members[key].status = "leaving"
    session.commit()


def test_a_leaving_members_work_is_proposed_to_a_teammate_with_room(session, world):
    _mark_leaving(session, world, "a1")
    proposal = handover.propose_handover(session, world.actors["manager_a"], world.members["a1"].id)
    assert [(m.kind, m.item_id, m.to_member_id) for m in proposal.moves] == [
        ("customer", world.customers["a1"].id, world.members["a2"].id),
        ("task", world.tasks["a1"].id, world.members["a2"].id),
    ]
    assert all(m.reason("en") for m in proposal.moves)
    assert "1/3" not in proposal.moves[1].reason("en") and "2/3" in proposal.moves[1].reason("en")


def test_a_colleague_at_capacity_receives_no_customer(session, world):
    a2 = world.members["a2"]
    make_customer(session, "Extra 1", a2)
    make_customer(session, "Extra 2", a2)  # a2 now holds 3 of 3
    _mark_leaving(session, world, "a1")
    proposal = handover.propose_handover(session, world.actors["manager_a"], world.members["a1"].id)
    assert [m.to_member_id for m in proposal.customers] == [world.members["lead_a"].id]


def test_applying_a_handover_moves_customers_and_tasks_in_one_go_with_history(session, world):
    actor = world.actors["manager_a"]
    _mark_leaving(session, world, "a1")
    proposal = handover.propose_handover(session, actor, world.members["a1"].id)
    moves = [{"kind": m.kind, "item_id": m.item_id, "to_member_id": m.to_member_id} for m in proposal.moves]
    assert handover.apply_handover(session, actor, world.members["a1"].id, moves) == {"customers": 1, "tasks": 1}
    session.commit()
    a2 = world.members["a2"].id
    assert session.get(Customer, world.customers["a1"].id).owner_id == a2
    task = session.get(Task, world.tasks["a1"].id)
    assert (task.assignee_id, task.version) == (a2, 2)
    history = session.scalars(select(AssignmentHistory).where(AssignmentHistory.customer_id == world.customers["a1"].id)).one()
    assert (history.from_member_id, history.to_member_id, history.changed_by) == (world.members["a1"].id, a2, world.users["manager_a"].id)
    assert roster.member_load(session, [world.members["a1"].id]) == {world.members["a1"].id: (0, 0)}
    assert "member.handover" in [h["action"] for h in roster.member_history(session, actor, world.members["a1"].id)]


def test_a_handover_to_someone_outside_scope_changes_nothing(session, world):
    actor = world.actors["manager_a"]
    _mark_leaving(session, world, "a1")
    moves = [
        {"kind": "task", "item_id": world.tasks["a1"].id, "to_member_id": world.members["a2"].id},
        {"kind": "customer", "item_id": world.customers["a1"].id, "to_member_id": world.members["b1"].id},
    ]
    error = refusal(handover.apply_handover, session, actor, world.members["a1"].id, moves)
    assert [(e.key, e.row) for e in error.errors] == [("handover.target_out_of_scope", 2)]
    session.rollback()
    assert session.get(Task, world.tasks["a1"].id).assignee_id == world.members["a1"].id


def test_a_handover_of_an_item_that_changed_hands_is_refused(session, world):
    actor = world.actors["manager_a"]
    _mark_leaving(session, world, "a1")
    task = session.get(Task, world.tasks["a1"].id)
    task.assignee_id = world.members["lead_a"].id
    session.commit()
    moves = [{"kind": "task", "item_id": task.id, "to_member_id": world.members["a2"].id}]
    assert [e.key for e in refusal(handover.apply_handover, session, actor, world.members["a1"].id, moves).errors] == ["handover.item_moved"]


def test_manager_b_cannot_hand_over_a1(session, world):
    _mark_leaving(session, world, "a1")
    with pytest.raises(PermissionDenied):
        handover.propose_handover(session, world.actors["manager_b"], world.members["a1"].id)
    assert handover.leaving_members(session, world.actors["manager_b"]) == []
    assert [m["name"] for m in handover.leaving_members(session, world.actors["manager_a"])] == ["Alice A1"]


def test_a_new_member_added_in_scope_is_a_candidate(session, world):
    make_member(session, "Zed A1", world.teams["A1"], max_customers=10)
    session.commit()
    _mark_leaving(session, world, "a1")
    proposal = handover.propose_handover(session, world.actors["manager_a"], world.members["a1"].id)
    # a2 holds 1/3, Zed 0/10: the lower relative load wins the open task
    assert proposal.tasks[0].to_name == "Zed A1"


# ---------------------------------------------------------------------------------------------
# Every message the roster can show exists in both languages
# ---------------------------------------------------------------------------------------------
def test_every_roster_message_key_is_translated():
    import ast
    import re
    from pathlib import Path

    from core import i18n

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"^(roster|handover|raci|specialty_kind|member_status|team_kind|common|error)\.[a-z_.]+[a-z]$")  # f-string prefixes end in "_" or "."
    used = set()
    for name in ("core/roster.py", "core/handover.py", "core/responsibilities.py", "pages/roster.py"):
        for node in ast.walk(ast.parse((root / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and pattern.match(node.value):
                used.add(node.value)
    assert len(used) > 60  # the scan found the catalogue's users
    assert sorted(k for k in used if not i18n.has_key(k)) == []
    for key in (k for k in i18n.CATALOGUE if k.split(".")[0] in {"roster", "handover", "raci"}):
        zh, en = i18n.CATALOGUE[key]
        assert zh and en and zh != en, key


# ---------------------------------------------------------------------------------------------
# The managed list of roles
# ---------------------------------------------------------------------------------------------
def test_an_admin_adds_a_role_that_members_can_then_hold(session, world):
    admin = world.actors["admin"]
    rows = roster.list_roles(session, admin, include_inactive=True)
    rows.append({"id": None, "code": "Key_Account", "name_zh": "大客户经理", "name_en": "Key account manager", "active": True})
    assert roster.save_roles(session, admin, rows) == {"created": 1, "updated": 0}
    members = rows_of(session, world.actors["manager_a"])
    row_for(members, "Aaron A2")["role"] = "key_account"
    assert roster.save_members(session, world.actors["manager_a"], members).items() >= {"created": 0, "updated": 1}.items()


def test_a_role_members_still_hold_cannot_be_switched_off(session, world):
    admin = world.actors["admin"]
    rows = roster.list_roles(session, admin, include_inactive=True)
    position = next(i for i, r in enumerate(rows, start=1) if r["code"] == "cs_specialist")
    rows[position - 1]["active"] = False
    rows.append({"id": None, "code": "x", "name_zh": "", "name_en": "X", "active": True})
    error = refusal(roster.save_roles, session, admin, rows)
    assert [(e.key, e.row) for e in error.errors] == [
        ("roster.role_in_use", position), ("roster.bad_role_code", len(rows)), ("roster.role_name_required", len(rows))]


def test_only_admins_manage_roles(session, world):
    with pytest.raises(PermissionDenied):
        roster.save_roles(session, world.actors["manager_a"], [])
