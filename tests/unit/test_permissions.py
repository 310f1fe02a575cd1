"""The visibility matrix: every role x every kind of record x read/write, against the fixed world.

Expected answers are written out by hand from the rules in core/permissions.py's docstring."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import permissions as perm
from core.errors import PermissionDenied
from db.models import Customer, Goal, Member, Task, Team

R, W = perm.READ, perm.WRITE

# (actor, record key) -> (may read, may write)
MATRIX = {
    # admin: everything
    ("admin", "customer:a1"): (True, True),
    ("admin", "customer:b1"): (True, True),
    ("admin", "task:b1"): (True, True),
    ("admin", "team:B"): (True, True),
    # manager_a: Team A and sub-team A1, not Team B
    ("manager_a", "customer:a1"): (True, True),
    ("manager_a", "customer:a2"): (True, True),
    ("manager_a", "customer:b1"): (False, False),
    ("manager_a", "task:a2"): (True, True),
    ("manager_a", "task:b1"): (False, False),
    ("manager_a", "goal:a1"): (True, True),
    ("manager_a", "goal:A"): (True, True),
    ("manager_a", "goal:B"): (False, False),
    ("manager_a", "member:a2"): (True, True),
    ("manager_a", "member:b1"): (False, False),
    ("manager_a", "team:A1"): (True, True),
    ("manager_a", "team:B"): (False, False),
    # manager_b: Team B only
    ("manager_b", "customer:a1"): (False, False),
    ("manager_b", "customer:b1"): (True, True),
    ("manager_b", "task:a1"): (False, False),
    ("manager_b", "member:a1"): (False, False),
    # member_a1: own records; reads own team and its goals; writes own tasks/customers/goals
    ("member_a1", "customer:a1"): (True, False),
    ("member_a1", "customer:a2"): (False, False),
    ("member_a1", "customer:b1"): (False, False),
    ("member_a1", "task:a1"): (True, True),
    ("member_a1", "task:a2"): (False, False),
    ("member_a1", "goal:a1"): (True, True),
    ("member_a1", "goal:a2"): (False, False),
    ("member_a1", "member:a1"): (True, False),
    ("member_a1", "member:a2"): (False, False),
    ("member_a1", "team:A1"): (True, False),
    ("member_a1", "team:B"): (False, False),
    # member_b1
    ("member_b1", "customer:b1"): (True, False),
    ("member_b1", "customer:a1"): (False, False),
    ("member_b1", "task:a1"): (False, False),
    ("member_b1", "goal:B"): (True, False),
    ("member_b1", "goal:A"): (False, False),
}


def _record(world, key):
    kind, name = key.split(":")
    return {"customer": world.customers, "task": world.tasks, "goal": world.goals,
            "member": world.members, "team": world.teams}[kind][name]


@pytest.mark.parametrize("actor_key,record_key", sorted(MATRIX))
@pytest.mark.parametrize("action", [R, W])
def test_visibility_matrix(session, world, actor_key, record_key, action):
    expected = MATRIX[(actor_key, record_key)][0 if action == R else 1]
    actor = world.actors[actor_key]
    record = _record(world, record_key)
    assert perm.allowed(session, actor, action, record) is expected
    if expected:
        perm.ensure(session, actor, action, record)
    else:
        with pytest.raises(PermissionDenied):
            perm.ensure(session, actor, action, record)


@pytest.mark.parametrize(
    "actor_key,model,filter_fn,expected",
    [
        ("admin", Customer, perm.customer_filter, {"a1", "a2", "b1"}),
        ("manager_a", Customer, perm.customer_filter, {"a1", "a2"}),
        ("manager_b", Customer, perm.customer_filter, {"b1"}),
        ("member_a1", Customer, perm.customer_filter, {"a1"}),
        ("member_b1", Customer, perm.customer_filter, {"b1"}),
        ("manager_a", Task, perm.task_filter, {"a1", "a2"}),
        ("member_a1", Task, perm.task_filter, {"a1"}),
        ("manager_b", Task, perm.task_filter, {"b1"}),
    ],
)
def test_list_filters_return_exactly_the_visible_records(session, world, actor_key, model, filter_fn, expected):
    scope = perm.scope_for(session, world.actors[actor_key])
    ids = set(session.scalars(select(model.id).where(filter_fn(scope))))
    store = world.customers if model is Customer else world.tasks
    assert ids == {store[k].id for k in expected}


def test_goal_filter_gives_members_their_own_and_their_teams_goals(session, world):
    scope = perm.scope_for(session, world.actors["member_b1"])
    ids = set(session.scalars(select(Goal.id).where(perm.goal_filter(scope))))
    assert ids == {world.goals["b1"].id, world.goals["B"].id}


def test_manager_scope_includes_sub_teams_and_their_members(session, world):
    scope = perm.scope_for(session, world.actors["manager_a"])
    assert scope.team_ids == {world.teams["A"].id, world.teams["A1"].id}
    assert set(scope.member_ids) == {world.members[k].id for k in ("lead_a", "a1", "a2")}
    ids = set(session.scalars(select(Member.id).where(perm.member_filter(scope))))
    assert ids == set(scope.member_ids)
    teams = set(session.scalars(select(Team.id).where(perm.team_filter(scope))))
    assert teams == set(scope.team_ids)


def test_targets_outside_scope_are_refused(session, world):
    scope = perm.scope_for(session, world.actors["manager_a"])
    perm.ensure_team(scope, world.teams["A1"].id)
    perm.ensure_member(scope, world.members["a2"].id)
    with pytest.raises(PermissionDenied):
        perm.ensure_team(scope, world.teams["B"].id)
    with pytest.raises(PermissionDenied):
        perm.ensure_member(scope, world.members["b1"].id)
    member_scope = perm.scope_for(session, world.actors["member_a1"])
    with pytest.raises(PermissionDenied):
        perm.ensure_team(member_scope, world.teams["A1"].id)


def test_role_checks(world):
    perm.ensure_role(world.actors["admin"], "admin")
    with pytest.raises(PermissionDenied):
        perm.ensure_role(world.actors["manager_a"], "admin")


def test_load_returns_the_record_refuses_a_foreign_one_and_reports_a_missing_one(session, world):
    from core.errors import NotFound

    manager = world.actors["manager_a"]
    assert perm.load(session, manager, Task, world.tasks["a1"].id, W).id == world.tasks["a1"].id
    with pytest.raises(PermissionDenied):
        perm.load(session, manager, Task, world.tasks["b1"].id, R)
    with pytest.raises(NotFound):
        perm.load(session, manager, Task, 999_999, R)


def test_a_remembered_scope_is_forgotten_when_the_session_writes(session, world):
    """scope_for is remembered per session, but never across a change of who is where."""
    from sqlalchemy import update

    from tests.factories import make_member

    manager = world.actors["manager_a"]
    before = perm.scope_for(session, manager)
    assert perm.scope_for(session, manager) is before  # remembered while nothing changed
    newcomer = make_member(session, "Newcomer", world.teams["A1"])  # flushes
    assert newcomer.id in perm.scope_for(session, manager).member_ids
    b1 = world.members["b1"]
    assert b1.id not in perm.scope_for(session, manager).member_ids
    session.execute(update(Member).where(Member.id == b1.id).values(team_id=world.teams["A"].id))
    assert b1.id in perm.scope_for(session, manager).member_ids  # bulk DML forgets too
    session.rollback()
    assert b1.id not in perm.scope_for(session, manager).member_ids


# ---------------------------------------------------------------------------------------------
# Account teams and deal collaborators (issue 13)
#
#   customer a1 (owner a1, Team A1): b1 is on its account team (cross-team, role "sales")
#   deal a1      owner a1 on customer a1
#   deal a2      owner a2 on customer a2, a1 collaborates on the deal
#   deal b1@a1   owner b1 on customer a1 (a collaborator takes a deal on the account)
#   interaction a1  logged by a1 on customer a1
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def collab(session, world):
    from db.models import CustomerCollaborator, DealCollaborator, Interaction
    from tests.factories import make_deal

    session.add(CustomerCollaborator(customer_id=world.customers["a1"].id, member_id=world.members["b1"].id, role="sales"))
    deals = {
        "a1": make_deal(session, "Deal a1", world.customers["a1"], world.members["a1"]),
        "a2": make_deal(session, "Deal a2", world.customers["a2"], world.members["a2"]),
        "b1@a1": make_deal(session, "Deal b1 on a1", world.customers["a1"], world.members["b1"]),
    }
    session.add(DealCollaborator(deal_id=deals["a2"].id, member_id=world.members["a1"].id))
    interaction = Interaction(customer_id=world.customers["a1"].id, member_id=world.members["a1"].id, channel="phone",
                              summary="call")
    session.add(interaction)
    session.commit()
    return {"deal": deals, "interaction": {"a1": interaction}, "customer": world.customers}


COLLAB_MATRIX = {
    # the account team sees the customer, its communication and its deals, and changes none of them
    ("member_b1", "customer:a1"): (True, False),
    ("member_b1", "interaction:a1"): (True, False),
    ("member_b1", "deal:a1"): (True, False),
    ("member_b1", "deal:b1@a1"): (True, True),  # their own deal on the account
    ("member_b1", "deal:a2"): (False, False),
    ("member_b1", "customer:a2"): (False, False),
    # their manager reads what the collaborator reads, changes only what their people own
    ("manager_b", "customer:a1"): (True, False),
    ("manager_b", "deal:a1"): (True, False),
    ("manager_b", "deal:b1@a1"): (True, True),
    ("manager_b", "deal:a2"): (False, False),
    # a member moves a colleague's deal only when they collaborate on it
    ("member_a1", "deal:a1"): (True, True),
    ("member_a1", "deal:a2"): (True, True),
    ("member_a1", "deal:b1@a1"): (True, True),  # a deal on the customer they own
    ("manager_a", "deal:a1"): (True, True),
    ("manager_a", "deal:a2"): (True, True),
    ("manager_a", "deal:b1@a1"): (True, True),
    ("admin", "deal:a2"): (True, True),
}


@pytest.mark.parametrize("actor_key,record_key", sorted(COLLAB_MATRIX))
@pytest.mark.parametrize("action", [R, W])
def test_collaborator_matrix(session, world, collab, actor_key, record_key, action):
    expected = COLLAB_MATRIX[(actor_key, record_key)][0 if action == R else 1]
    kind, name = record_key.split(":")
    record = collab[kind][name]
    assert perm.allowed(session, world.actors[actor_key], action, record) is expected


def test_member_cannot_move_a_colleagues_deal_until_collaborating(session, world, collab):
    from core import deals
    from core.errors import NotFound
    from db.models import DealCollaborator

    colleague_deal = collab["deal"]["a1"]  # b1 sees it: b1 is on the customer's account team
    with pytest.raises(PermissionDenied) as refused:
        deals.move_stage(session, world.actors["member_b1"], colleague_deal.id, 1, "qualified")
    assert refused.value.key == "pipeline.error.not_yours"
    session.rollback()
    with pytest.raises(NotFound):  # a deal outside the scope is not even revealed
        deals.move_stage(session, world.actors["member_b1"], collab["deal"]["a2"].id, 1, "qualified")
    session.rollback()
    session.add(DealCollaborator(deal_id=colleague_deal.id, member_id=world.members["b1"].id))
    session.commit()
    result = deals.move_stage(session, world.actors["member_b1"], colleague_deal.id, 1, "qualified")
    assert result.changed and result.version == 2


@pytest.mark.parametrize(
    "actor_key,kind,expected",
    [
        ("member_b1", "customers_read", {"a1", "b1"}),
        ("member_b1", "customers_owned", {"b1"}),  # reassignment and follow-up queues stay owner-only
        ("manager_b", "customers_read", {"a1", "b1"}),
        ("member_a1", "customers_read", {"a1"}),
        ("member_b1", "deals", {"a1", "b1@a1"}),
        ("member_a1", "deals", {"a1", "a2", "b1@a1"}),
        ("manager_a", "deals", {"a1", "a2", "b1@a1"}),
        ("manager_b", "deals", {"a1", "b1@a1"}),
    ],
)
def test_collaborator_list_filters(session, world, collab, actor_key, kind, expected):
    from db.models import Deal

    scope = perm.scope_for(session, world.actors[actor_key])
    if kind == "deals":
        ids = set(session.scalars(select(Deal.id).join(Customer, Customer.id == Deal.customer_id).where(perm.deal_filter(scope))))
        assert ids == {collab["deal"][k].id for k in expected}
        return
    fn = perm.customer_read_filter if kind == "customers_read" else perm.customer_filter
    ids = set(session.scalars(select(Customer.id).where(fn(scope))))
    assert ids == {world.customers[k].id for k in expected}


def test_collaborators_log_communication_take_tasks_and_deals_on_the_account(session, world, collab):
    from core import communication, customers, deals
    from core import tasks as task_core
    from core.errors import NotFound

    b1 = world.actors["member_b1"]
    on_a1, on_a2 = world.customers["a1"].id, world.customers["a2"].id
    assert communication.log_interaction(session, b1, on_a1, "phone", "Discussed renewal") > 0
    assert task_core.create_task(session, b1, title="Send quote", customer_id=on_a1) > 0
    deal_id = deals.create_deal(session, b1, customer_id=on_a1, title="Renewal")
    session.commit()
    assert session.get(__import__("db.models", fromlist=["Deal"]).Deal, deal_id).owner_id == world.members["b1"].id
    assert customers.get_customer(session, b1, on_a1).can_log is True
    for write in (lambda: communication.log_interaction(session, b1, on_a2, "phone", "x"),
                  lambda: deals.create_deal(session, b1, customer_id=on_a2, title="x")):
        with pytest.raises(NotFound):
            write()
        session.rollback()
    with pytest.raises(PermissionDenied):  # seeing the customer is not managing it
        from core import account_teams
        account_teams.add_collaborator(session, b1, on_a1, world.members["a2"].id, "service")


def test_customer_book_filters_mine_my_teams_and_where_i_collaborate(session, world, collab):
    from core.customers import CustomerFilters, list_customers

    def names(actor_key, relation):
        page = list_customers(session, world.actors[actor_key], CustomerFilters(relation=relation), "name", False, 0, 50)
        return set(page.rows["name"])

    assert names("member_b1", "collab") == {world.customers["a1"].name}
    assert names("member_b1", "mine") == {world.customers["b1"].name}
    assert names("member_b1", "") == {world.customers["a1"].name, world.customers["b1"].name}
    assert names("manager_a", "team") == {world.customers["a1"].name, world.customers["a2"].name}
    assert names("member_a1", "collab") == set()
