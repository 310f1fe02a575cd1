"""Logins for roster members (core.member_logins) and the forced first password change."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import auth, first_login, handover, member_logins
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.permissions import actor_for_user
from db.models import Customer, Member, Task, Team, User
from tests.factories import make_member, make_user


def test_a_manager_creates_a_members_login_with_a_one_time_password(session, world):
    user, password = member_logins.create_login(session, world.actors["manager_a"], world.members["a2"].id, "aaron")
    session.commit()
    assert len(password) >= 12 and user.role == "member" and user.must_change_password
    assert session.get(Member, world.members["a2"].id).user_id == user.id
    assert auth.authenticate(session, "aaron", password).ok
    actor = actor_for_user(session, user)
    assert actor.member_id == world.members["a2"].id  # "My tasks" is theirs now
    assert first_login.must_change_password(session, user.id)


def test_the_one_time_password_must_be_replaced_by_a_long_different_one(session, world):
    user, password = member_logins.create_login(session, world.actors["manager_a"], world.members["a2"].id, "aaron")
    actor = actor_for_user(session, user)
    with pytest.raises(InvalidInput) as short:
        first_login.replace_one_time_password(session, actor, password, "short", "short")
    assert [e.key for e in short.value.errors] == ["sec.password_short"]  # the one policy, core.auth
    with pytest.raises(InvalidInput) as wrong:
        first_login.replace_one_time_password(session, actor, "not-it", "a-brand-new-secret", "a-brand-new-secret")
    assert wrong.value.errors[0].key == "move.current_wrong"
    first_login.replace_one_time_password(session, actor, password, "a-brand-new-secret", "a-brand-new-secret")
    session.commit()
    assert not first_login.must_change_password(session, user.id)
    assert auth.authenticate(session, "aaron", "a-brand-new-secret").ok


def test_role_follows_the_roster_unless_an_admin_sets_it(session, world):
    team = session.get(Team, world.teams["A1"].id)
    team.leader_id = world.members["a2"].id
    session.flush()
    user, _ = member_logins.create_login(session, world.actors["manager_a"], world.members["a2"].id, "aaron")
    assert user.role == "manager"
    assert session.get(Team, world.teams["A1"].id).manager_user_id == user.id  # the leader manages the team
    newcomer = make_member(session, "Nina New", world.teams["A1"])
    with pytest.raises(PermissionDenied):
        member_logins.create_login(session, world.actors["manager_a"], newcomer.id, "nina", role="admin")
    admin_made, _ = member_logins.create_login(session, world.actors["admin"], newcomer.id, "nina", role="manager")
    assert admin_made.role == "manager"


def test_a_manager_cannot_give_logins_outside_their_teams(session, world):
    with pytest.raises(PermissionDenied):
        member_logins.create_login(session, world.actors["manager_b"], world.members["a2"].id, "aaron")
    with pytest.raises(PermissionDenied):
        member_logins.create_login(session, world.actors["member_a1"], world.members["a2"].id, "aaron")
    with pytest.raises(Conflict):
        member_logins.create_login(session, world.actors["admin"], world.members["a1"].id, "again")


def test_an_existing_login_can_be_linked_and_the_status_shows_who_has_not_signed_in(session, world):
    spare = make_user(session, "aaron.login", "member")
    assert "aaron.login" in [u["username"] for u in member_logins.unlinked_logins(session, world.actors["manager_a"])]
    member_logins.link_login(session, world.actors["manager_a"], world.members["a2"].id, spare.id)
    with pytest.raises(Conflict):
        member_logins.link_login(session, world.actors["admin"], world.members["b1"].id, spare.id)
    auth.authenticate(session, "member_a1", "secret123")
    session.commit()
    status = {r.name: r for r in member_logins.login_status(session, world.actors["manager_a"])}
    assert status["Aaron A2"].username == "aaron.login" and not status["Aaron A2"].signed_in
    assert status["Alice A1"].signed_in
    assert "Bella B1" not in status  # another manager's team


def test_a_completed_handover_deactivates_the_login(session, world):
    member = session.get(Member, world.members["a1"].id)
    member.status = "leaving"
    session.flush()
    proposal = handover.propose_handover(session, world.actors["manager_a"], member.id)
    moves = [{"kind": m.kind, "item_id": m.item_id, "to_member_id": world.members["a2"].id} for m in proposal.moves]
    handover.apply_handover(session, world.actors["manager_a"], member.id, moves)
    session.commit()
    assert session.scalar(select(Customer).where(Customer.owner_id == member.id)) is None
    assert session.scalar(select(Task).where(Task.assignee_id == member.id, Task.status != "done")) is None
    assert not session.get(User, world.users["member_a1"].id).active
    assert auth.actor_for_username(session, "member_a1") is None  # the cookie's user no longer resolves
