"""Fair, explainable assignment: scoring, rules, queue, rebalance, handover, history and scope."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from core import assignment, customers
from core.assignment import Move
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from db.models import AssignmentHistory, AuditLog, Customer, Member, MemberSpecialty
from tests.factories import make_customer, make_member


def specialty(session, member, kind, value):
    session.add(MemberSpecialty(member_id=member.id, kind=kind, value=value))
    session.flush()


def test_suggestion_scores_specialty_matches_and_free_capacity_hand_checked(session, world):
    a1, a2 = world.members["a1"], world.members["a2"]
    specialty(session, a1, "industry", "retail")
    specialty(session, a2, "region", "华南")
    session.commit()
    ranked = assignment.suggest_owner(session, world.actors["manager_a"],
                                      {"industry": "retail", "size": "medium", "region": "华东", "team_id": world.teams["A1"].id})
    # a1: industry match (2) + 1 - 1/3 = 2.6667; a2: no match (0) + 1 - 1/3 = 0.6667
    assert [(s.name, s.score) for s in ranked] == [("Alice A1", 2.6667), ("Aaron A2", 0.6667)]
    assert ranked[0].explanation("en") == "industry match, 1/3 customers"
    assert ranked[0].explanation("zh") == "行业匹配, 1/3 位客户"
    assert ranked[1].explanation("en") == "no specialty match, 1/3 customers"


def test_lighter_load_wins_when_specialties_tie(session, world):
    a1 = world.members["a1"]
    make_customer(session, "Extra", a1)
    session.commit()
    ranked = assignment.suggest_owner(session, world.actors["manager_a"], {"industry": "x", "size": "small", "region": "y",
                                                                          "team_id": world.teams["A1"].id})
    assert [s.name for s in ranked] == ["Aaron A2", "Alice A1"]  # 1/3 beats 2/3


def test_a_full_member_is_flagged_and_never_picked_automatically(session, world):
    a1, a2 = world.members["a1"], world.members["a2"]
    specialty(session, a1, "industry", "retail")
    make_customer(session, "Fill 1", a1)
    make_customer(session, "Fill 2", a1)  # a1 now 3/3
    session.commit()
    ranked = assignment.suggest_owner(session, world.actors["manager_a"], {"industry": "retail", "size": "small", "region": "华东",
                                                                          "team_id": world.teams["A1"].id})
    assert ranked[-1].name == "Alice A1" and not ranked[-1].has_room
    assert "full" in ranked[-1].explanation("en")
    cid = customers.create_customer(session, world.actors["manager_a"], {"name": "N", "industry": "retail", "size": "small",
                                                                        "region": "华东", "team_id": world.teams["A1"].id})
    assert session.get(Customer, cid).owner_id == a2.id


def test_overflow_goes_to_the_visible_unassigned_queue_with_an_audit_note(session, world):
    for i in range(2):
        make_customer(session, f"a1-{i}", world.members["a1"])
        make_customer(session, f"a2-{i}", world.members["a2"])
    session.commit()
    cid = customers.create_customer(session, world.actors["manager_a"], {"name": "Overflow", "industry": "retail", "size": "small",
                                                                        "region": "华东", "team_id": world.teams["A1"].id})
    session.commit()
    customer = session.get(Customer, cid)
    assert customer.owner_id is None and customer.team_id == world.teams["A1"].id
    queue = customers.list_customers(session, world.actors["manager_a"], customers.CustomerFilters(unassigned_only=True))
    assert list(queue.rows["name"]) == ["Overflow"]
    assert session.scalar(select(AuditLog.action).where(AuditLog.entity_id == cid, AuditLog.action == "customer.queued"))
    # more room later: the queue empties
    session.get(Member, world.members["a2"].id).max_customers = 5
    session.commit()
    assert assignment.assign_queue(session, world.actors["manager_a"]) == {"assigned": 1, "waiting": 0}
    assert session.get(Customer, cid).owner_id == world.members["a2"].id


def test_a_rule_sends_matching_customers_to_its_member(session, world):
    assignment.save_rule(session, world.actors["manager_a"], {"team_id": world.teams["A"].id, "industry": "finance",
                                                              "target_member_id": world.members["a2"].id, "priority": 10})
    session.commit()
    cid = customers.create_customer(session, world.actors["manager_a"], {"name": "Bank", "industry": "finance", "size": "large",
                                                                        "region": "华东", "team_id": world.teams["A1"].id})
    session.commit()
    assert session.get(Customer, cid).owner_id == world.members["a2"].id
    detail = customers.get_customer(session, world.actors["manager_a"], cid, lang="en")
    assert "named by a rule" in detail.assignments["reason"].iloc[0]


def test_a_rule_to_a_team_places_customers_without_a_team_there(session, world):
    assignment.save_rule(session, world.actors["admin"], {"team_id": world.teams["B"].id, "region": "西北",
                                                          "target_team_id": world.teams["B"].id})
    session.commit()
    cid = customers.create_customer(session, world.actors["admin"], {"name": "Far", "industry": "x", "size": "small", "region": "西北"})
    session.commit()
    customer = session.get(Customer, cid)
    assert customer.team_id == world.teams["B"].id and customer.owner_id == world.members["b1"].id


def test_a_rule_needs_a_target_and_its_target_must_be_in_scope(session, world):
    with pytest.raises(InvalidInput):
        assignment.save_rule(session, world.actors["manager_a"], {"team_id": world.teams["A"].id, "industry": "x"})
    with pytest.raises(PermissionDenied):
        assignment.save_rule(session, world.actors["manager_a"], {"team_id": world.teams["A"].id,
                                                                  "target_member_id": world.members["b1"].id})


def loads(session, member_ids):
    return assignment.customer_loads(session, member_ids)


def test_rebalance_moves_from_the_heaviest_to_members_with_room_hand_checked(session, world):
    a1, a2 = world.members["a1"], world.members["a2"]
    session.get(Member, a1.id).max_customers = 10
    for i in range(6):
        make_customer(session, f"heavy {i}", a1)  # a1 7/10, a2 1/3
    session.commit()
    moves = assignment.propose_rebalance(session, world.actors["manager_a"], team_id=world.teams["A1"].id)
    # a2 can take two before reaching capacity 3; then a1 5 vs a2 3 (full): stop
    assert [(m.from_member_id, m.to_member_id) for m in moves] == [(a1.id, a2.id)] * 2
    assert "7/10" in moves[0].reason("en") and "1/3" in moves[0].reason("en")
    assert assignment.apply_moves(session, world.actors["manager_a"], moves, "quarterly review") == 2
    session.commit()
    assert loads(session, [a1.id, a2.id]) == {a1.id: 5, a2.id: 3}
    history = session.scalars(select(AssignmentHistory).where(AssignmentHistory.to_member_id == a2.id,
                                                              AssignmentHistory.from_member_id == a1.id)).all()
    assert len(history) == 2 and all(h.changed_by == world.users["manager_a"].id for h in history)


@pytest.mark.parametrize("seed", range(6))
def test_rebalance_never_exceeds_capacity_and_never_widens_the_spread(session, world, seed):
    rng = random.Random(seed)
    team = world.teams["A1"]
    people = [world.members["a1"], world.members["a2"]] + [make_member(session, f"Extra {seed}-{i}", team) for i in range(4)]
    for person in people:
        row = session.get(Member, person.id)
        row.max_customers = rng.randint(2, 12)
        for i in range(rng.randint(0, 14)):
            make_customer(session, f"c{person.id}-{i}", person)
    session.commit()
    ids = [p.id for p in people]
    caps = {p.id: session.get(Member, p.id).max_customers for p in people}
    before = loads(session, ids)
    moves = assignment.propose_rebalance(session, world.actors["manager_a"], team_id=team.id)
    assignment.apply_moves(session, world.actors["manager_a"], moves)
    session.commit()
    after = loads(session, ids)
    assert sum(after.values()) == sum(before.values())
    assert max(after.values()) - min(after.values()) <= max(before.values()) - min(before.values())
    for member_id in ids:
        assert after[member_id] <= max(caps[member_id], before[member_id])  # nobody pushed over capacity
        if after[member_id] > before[member_id]:
            assert after[member_id] <= caps[member_id]


def test_accepting_only_some_moves_applies_only_those(session, world):
    a1, a2 = world.members["a1"], world.members["a2"]
    session.get(Member, a1.id).max_customers = 10
    for i in range(6):
        make_customer(session, f"heavy {i}", a1)
    session.commit()
    moves = assignment.propose_rebalance(session, world.actors["manager_a"], team_id=world.teams["A1"].id)
    assert assignment.apply_moves(session, world.actors["manager_a"], moves[:1]) == 1
    session.commit()
    assert loads(session, [a1.id, a2.id]) == {a1.id: 6, a2.id: 2}


def test_a_move_whose_customer_changed_owner_meanwhile_is_a_conflict(session, world):
    cid = world.customers["a1"].id
    move = Move(cid, "x", world.members["a2"].id, "Aaron A2", world.members["lead_a"].id, "Lead A", "assignment.reason_manual")
    with pytest.raises(Conflict):
        assignment.apply_moves(session, world.actors["manager_a"], [move])


def test_a_batch_that_would_overfill_a_member_is_refused_whole(session, world):
    extra = [make_customer(session, f"x{i}", world.members["lead_a"]) for i in range(3)]
    session.commit()
    moves = [Move(c.id, c.name, world.members["lead_a"].id, "Lead A", world.members["a1"].id, "Alice A1", "assignment.reason_manual")
             for c in extra]  # a1 has 1/3: three more would make 4
    with pytest.raises(InvalidInput):
        assignment.apply_moves(session, world.actors["manager_a"], moves)
    session.rollback()
    assert loads(session, [world.members["a1"].id]) == {world.members["a1"].id: 1}


def test_handover_spreads_a_leaving_members_customers_preferring_their_team(session, world):
    a1 = world.members["a1"]
    extra = make_customer(session, "Second of a1", a1)
    session.commit()
    moves = assignment.propose_handover(session, world.actors["manager_a"], a1.id)
    assert {m.customer_id for m in moves} == {world.customers["a1"].id, extra.id}
    # a2 (same sub-team, 1/3) takes one, then is 2/3; lead_a (Team A, 0/40) is outside a1's team so a2 takes both
    assert [m.to_member_id for m in moves] == [world.members["a2"].id, world.members["a2"].id]
    assert assignment.apply_moves(session, world.actors["manager_a"], moves, "leaving") == 2
    session.commit()
    assert loads(session, [a1.id]) == {a1.id: 0}


def test_handover_overflow_goes_to_the_queue_not_silently_nowhere(session, world):
    b1 = world.members["b1"]
    for i in range(2):
        make_customer(session, f"b {i}", b1)
    session.commit()
    moves = assignment.propose_handover(session, world.actors["manager_b"], b1.id)
    assert all(m.to_member_id is None for m in moves)
    assert "unassigned queue" in moves[0].reason("en")


def test_manual_move_records_who_when_and_why(session, world):
    cid = world.customers["a1"].id
    assignment.move_customer(session, world.actors["manager_a"], cid, world.members["lead_a"].id, "customer asked for a senior")
    session.commit()
    detail = customers.get_customer(session, world.actors["manager_a"], cid, lang="en")
    row = detail.assignments.iloc[0]
    assert (row["from"], row["to"], row["by"]) == ("Alice A1", "Lead A", "Manager A")
    assert "customer asked for a senior" in row["reason"]
    assert session.get(Customer, cid).team_id == world.teams["A"].id  # follows the new owner's team


def test_manager_a_can_neither_see_nor_move_team_b_customers_through_any_function(session, world):
    manager = world.actors["manager_a"]
    b_customer = world.customers["b1"]
    b1 = world.members["b1"]
    a_customer = world.customers["a1"]
    with pytest.raises(NotFound):
        assignment.move_customer(session, manager, b_customer.id, world.members["a1"].id)
    with pytest.raises(PermissionDenied):
        assignment.move_customer(session, manager, a_customer.id, b1.id)
    with pytest.raises(NotFound):
        assignment.apply_moves(session, manager, [Move(b_customer.id, "", b1.id, "", world.members["a1"].id, "", "assignment.reason_manual")])
    with pytest.raises(PermissionDenied):
        assignment.apply_moves(session, manager, [Move(a_customer.id, "", world.members["a1"].id, "", b1.id, "", "assignment.reason_manual")])
    with pytest.raises(PermissionDenied):
        assignment.propose_handover(session, manager, b1.id)
    with pytest.raises(PermissionDenied):
        assignment.propose_rebalance(session, manager, team_id=world.teams["B"].id)
    with pytest.raises(PermissionDenied):
        assignment.load_frame(session, manager, team_id=world.teams["B"].id)
    with pytest.raises(PermissionDenied):
        assignment.suggest_owner(session, manager, {"industry": "retail", "size": "small", "region": "华东", "team_id": world.teams["B"].id})
    with pytest.raises(NotFound):
        assignment.suggest_owner(session, manager, session.get(Customer, b_customer.id))
    assert b1.id not in set(assignment.load_frame(session, manager)["member_id"])
    moves = assignment.propose_rebalance(session, manager)
    assert all(m.customer_id != b_customer.id and b1.id not in (m.from_member_id, m.to_member_id) for m in moves)
    assert assignment.assign_queue(session, manager) == {"assigned": 0, "waiting": 0}
    session.rollback()
    assert session.get(Customer, b_customer.id).owner_id == b1.id
    assert session.scalar(select(func.count()).select_from(AssignmentHistory)) == 0


def test_members_cannot_use_assignment_functions(session, world):
    member = world.actors["member_a1"]
    for call in (
        lambda: assignment.suggest_owner(session, member, {"industry": "x", "size": "small", "region": "y"}),
        lambda: assignment.propose_rebalance(session, member),
        lambda: assignment.move_customer(session, member, world.customers["a1"].id, world.members["a2"].id),
        lambda: assignment.rules_frame(session, member),
    ):
        with pytest.raises(PermissionDenied):
            call()
