"""The picker queries (core/pickers.py): each offers only what the actor's scope reaches, in display
order, and the search pickers find by name and stop at their limit. The world (tests/factories.py):
Team A (manager_a, "Lead A") with sub-team A1 (Alice A1 = member_a1, Aaron A2), Team B (manager_b,
Bella B1 = member_b1); each member owns one customer and one goal, each team has a goal."""
from __future__ import annotations

import pytest

from core import pickers
from core.errors import PermissionDenied
from db.models import CustomerCollaborator, MemberSpecialty
from tests.factories import make_customer


def names(picked: dict[int, str]) -> list[str]:
    return list(picked.values())


# ---------------------------------------------------------------------------------------------
# Teams
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("actor, expected", [
    ("admin", ["Team A", "Team A1", "Team B"]),
    ("manager_a", ["Team A", "Team A1"]),
    ("manager_b", ["Team B"]),
    ("member_a1", ["Team A1"]),
])
def test_teams_offers_the_teams_the_actor_sees_by_name(session, world, actor, expected):
    assert names(pickers.teams(session, world.actors[actor])) == expected


@pytest.mark.parametrize("actor, expected", [
    ("admin", ["Team A", "Team A1", "Team B"]),
    ("manager_a", ["Team A", "Team A1"]),
    ("member_a1", []),
])
def test_led_teams_offers_only_teams_the_actor_leads(session, world, actor, expected):
    assert names(pickers.led_teams(session, world.actors[actor])) == expected


@pytest.mark.parametrize("actor, expected", [
    ("admin", ["Team A", "Team A / Team A1", "Team B"]),
    ("manager_a", ["Team A", "Team A / Team A1"]),
    ("member_a1", ["… / Team A1"]),  # a parent out of sight is not named
])
def test_team_tree_lists_each_sub_team_after_its_parent(session, world, actor, expected):
    assert names(pickers.team_tree(session, world.actors[actor])) == expected


def test_team_pickers_map_ids_to_names(session, world):
    assert pickers.teams(session, world.actors["manager_b"]) == {world.teams["B"].id: "Team B"}


# ---------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("actor, expected", [
    ("admin", ["Aaron A2", "Alice A1", "Bella B1", "Lead A"]),
    ("manager_a", ["Aaron A2", "Alice A1", "Lead A"]),
    ("manager_b", ["Bella B1"]),
    ("member_a1", ["Alice A1"]),
])
def test_members_offers_the_people_the_actor_sees_by_name(session, world, actor, expected):
    assert names(pickers.members(session, world.actors[actor])) == expected


def test_members_who_left_are_offered_only_when_asked_for(session, world):
    world.members["a2"].status = "left"
    session.commit()
    manager = world.actors["manager_a"]
    assert world.members["a2"].id not in pickers.members(session, manager)
    assert names(pickers.members(session, manager, include_left=True)) == ["Aaron A2", "Alice A1", "Lead A"]


def test_members_by_team_labels_each_with_its_team_and_orders_by_team(session, world):
    assert names(pickers.members_by_team(session, world.actors["manager_a"])) == [
        "Lead A · Team A", "Aaron A2 · Team A1", "Alice A1 · Team A1"]
    assert names(pickers.members_by_team(session, world.actors["member_a1"])) == ["Alice A1 · Team A1"]


def test_assignees_are_the_active_members_of_the_team_and_below(session, world):
    manager = world.actors["manager_a"]
    assert names(pickers.assignees(session, manager)) == ["Aaron A2", "Alice A1", "Lead A"]
    assert names(pickers.assignees(session, manager, world.teams["A1"].id)) == ["Aaron A2", "Alice A1"]
    assert names(pickers.assignees(session, manager, world.teams["A"].id)) == ["Aaron A2", "Alice A1", "Lead A"]
    world.members["a2"].status = "leaving"
    session.commit()
    assert names(pickers.assignees(session, manager, world.teams["A1"].id)) == ["Alice A1"]


def test_assignees_outside_the_scope_are_never_offered(session, world):
    assert pickers.assignees(session, world.actors["manager_b"], world.teams["A1"].id) == {}
    assert names(pickers.assignees(session, world.actors["member_a1"])) == ["Alice A1"]
    assert names(pickers.assignees(session, world.actors["admin"], world.teams["B"].id)) == ["Bella B1"]


@pytest.mark.parametrize("actor, expected", [
    ("admin", ["Aaron A2", "Alice A1", "Bella B1", "Lead A"]),
    ("manager_a", ["Aaron A2", "Alice A1"]),  # not the manager's own member record
    ("member_a1", []),
])
def test_one_on_one_members_are_the_leads_people_but_not_themselves(session, world, actor, expected):
    assert names(pickers.one_on_one_members(session, world.actors[actor])) == expected


def test_colleagues_cross_team_lines_and_are_searched_by_name_up_to_the_limit(session, world):
    member = world.actors["member_a1"]
    assert names(pickers.colleagues(session, member)) == ["Aaron A2", "Alice A1", "Bella B1", "Lead A"]
    assert names(pickers.colleagues(session, member, "BELLA")) == ["Bella B1"]
    assert names(pickers.colleagues(session, member, limit=2)) == ["Aaron A2", "Alice A1"]
    kept = pickers.colleagues(session, member, "bella", include=(world.members["lead_a"].id,))
    assert names(kept) == ["Bella B1", "Lead A"]


def test_colleagues_who_left_are_not_offered(session, world):
    world.members["b1"].status = "left"
    session.commit()
    assert "Bella B1" not in names(pickers.colleagues(session, world.actors["admin"]))


def test_specialties_are_the_tags_in_use_in_order_and_for_leads_only(session, world):
    session.add_all([MemberSpecialty(member_id=world.members["a1"].id, kind="region", value="华东"),
                     MemberSpecialty(member_id=world.members["a2"].id, kind="industry", value="retail"),
                     MemberSpecialty(member_id=world.members["b1"].id, kind="industry", value="retail")])
    session.commit()
    assert pickers.specialties(session, world.actors["manager_a"]) == ["industry:retail", "region:华东"]
    with pytest.raises(PermissionDenied):
        pickers.specialties(session, world.actors["member_a1"])


# ---------------------------------------------------------------------------------------------
# Customers and goals
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("actor, expected", [
    ("admin", ["Customer of Aaron A2", "Customer of Alice A1", "Customer of Bella B1"]),
    ("manager_a", ["Customer of Aaron A2", "Customer of Alice A1"]),
    ("member_a1", ["Customer of Alice A1"]),
    ("member_b1", ["Customer of Bella B1"]),
])
def test_customers_offers_the_customers_the_actor_may_read_by_name(session, world, actor, expected):
    assert names(pickers.customers(session, world.actors[actor])) == expected


def test_customers_include_those_the_actor_works_on_as_account_team(session, world):
    session.add(CustomerCollaborator(customer_id=world.customers["b1"].id, member_id=world.members["a1"].id, role="service"))
    session.commit()
    assert names(pickers.customers(session, world.actors["member_a1"])) == ["Customer of Alice A1", "Customer of Bella B1"]


def test_customers_are_searched_by_name_up_to_the_limit(session, world):
    admin = world.actors["admin"]
    assert names(pickers.customers(session, admin, "bella")) == ["Customer of Bella B1"]
    assert names(pickers.customers(session, admin, "  of A")) == ["Customer of Aaron A2", "Customer of Alice A1"]
    assert names(pickers.customers(session, admin, limit=1)) == ["Customer of Aaron A2"]
    assert pickers.customers(session, world.actors["manager_a"], "bella") == {}


def test_customers_keep_the_current_one_first_only_when_the_actor_may_read_it(session, world):
    member = world.actors["member_a1"]
    own, other = world.customers["a1"].id, world.customers["b1"].id
    assert list(pickers.customers(session, member, "nothing like it", include_id=own)) == [own]
    assert pickers.customers(session, member, "nothing like it", include_id=other) == {}
    make_customer(session, "Another of Alice", world.members["a1"])
    session.commit()
    found = pickers.customers(session, member, "another", include_id=own)
    assert names(found) == ["Customer of Alice A1", "Another of Alice"]


def test_complaint_customers_are_the_actors_book_with_their_tier(session, world):
    session.add(CustomerCollaborator(customer_id=world.customers["b1"].id, member_id=world.members["a1"].id, role="service"))
    world.customers["a1"].external_id = "EXT-777"
    world.customers["a1"].tier = "A"
    session.commit()
    member = world.actors["member_a1"]
    assert pickers.complaint_customers(session, member) == [
        pickers.CustomerPick(world.customers["a1"].id, "Customer of Alice A1", "A")]  # not the account-team one
    assert [c.name for c in pickers.complaint_customers(session, world.actors["manager_a"])] == [
        "Customer of Aaron A2", "Customer of Alice A1"]
    admin = world.actors["admin"]
    assert [c.name for c in pickers.complaint_customers(session, admin, "ext-7")] == ["Customer of Alice A1"]
    assert [c.name for c in pickers.complaint_customers(session, admin, "bella")] == ["Customer of Bella B1"]
    assert len(pickers.complaint_customers(session, admin, limit=2)) == 2


@pytest.mark.parametrize("actor, expected", [
    ("admin", ["Goal of Aaron A2", "Goal of Alice A1", "Goal of Bella B1", "Goal of Team A", "Goal of Team B"]),
    ("manager_a", ["Goal of Aaron A2", "Goal of Alice A1", "Goal of Team A"]),
    ("member_a1", ["Goal of Alice A1"]),  # and their own team's goals (A1 has none)
])
def test_goals_offers_the_active_goals_the_actor_sees(session, world, actor, expected):
    assert sorted(names(pickers.goals(session, world.actors[actor]))) == expected


def test_goals_come_soonest_end_first_and_stop_at_the_limit(session, world):
    from datetime import timedelta

    world.goals["a2"].end_date = world.goals["a2"].end_date + timedelta(days=5)
    world.goals["B"].status = "archived"
    session.commit()
    admin = world.actors["admin"]
    assert names(pickers.goals(session, admin)) == [
        "Goal of Alice A1", "Goal of Bella B1", "Goal of Team A", "Goal of Aaron A2"]
    assert names(pickers.goals(session, admin, limit=2)) == ["Goal of Alice A1", "Goal of Bella B1"]
    assert names(pickers.goals(session, admin, world.teams["A1"].id)) == ["Goal of Alice A1", "Goal of Aaron A2"]


def test_praise_targets_are_whom_the_actor_may_praise_with_only_their_own_links(session, world):
    member = pickers.praise_targets(session, world.actors["member_a1"])
    assert names(member.members) == ["Aaron A2"]  # a team-mate, never themselves
    assert member.goals == {} and member.customers == {}  # the team-mate's goals and customers stay hidden
    manager = pickers.praise_targets(session, world.actors["manager_a"])
    assert names(manager.members) == ["Aaron A2", "Alice A1"]
    assert names(manager.goals) == ["Goal of Aaron A2 (Aaron A2)", "Goal of Alice A1 (Alice A1)"]
    assert names(manager.customers) == ["Customer of Aaron A2 (Aaron A2)", "Customer of Alice A1 (Alice A1)"]
    assert names(pickers.praise_targets(session, world.actors["admin"]).members) == [
        "Aaron A2", "Alice A1", "Bella B1", "Lead A"]


@pytest.mark.parametrize("actor, owners, teams", [
    ("admin", ["Aaron A2", "Alice A1", "Bella B1", "Lead A"], ["Team A", "Team A1", "Team B"]),
    ("manager_a", ["Aaron A2", "Alice A1", "Lead A"], ["Team A", "Team A1"]),
    ("member_a1", ["Alice A1"], ["Team A1"]),
])
def test_customer_filters_offer_only_visible_people_teams_and_values(session, world, actor, owners, teams):
    make_customer(session, "B only", world.members["b1"], industry="mining", region="华南")
    session.commit()
    options = pickers.customer_filters(session, world.actors[actor])
    assert names(options.owners) == owners and names(options.teams) == teams
    assert ("mining" in options.industries) == (actor == "admin")
    assert sorted(options.regions) == (["华东", "华南"] if actor == "admin" else ["华东"])
