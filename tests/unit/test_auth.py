"""Login rules: bcrypt, the 72-byte limit, throttling after five wrong passwords, admin actions.

Throttling itself (parallel guesses, back-off, per-address keys) is tested in test_login_throttle.py."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import auth
from core.errors import Conflict, InvalidInput, PermissionDenied
from db.base import utcnow
from tests.factories import PASSWORD


def test_right_password_logs_in_and_clears_the_failure_count(session, world):
    user = world.users["member_a1"]
    user.failed_logins = 3
    result = auth.authenticate(session, " Member_A1 ", PASSWORD)
    assert result.ok and result.user.id == user.id
    assert user.failed_logins == 0


def test_wrong_password_is_refused_and_counted(session, world):
    result = auth.authenticate(session, "member_a1", "wrong-password")
    assert not result.ok and result.error_key == "login.wrong_password"
    assert result.params["left"] == auth.MAX_FAILED_LOGINS - 1
    assert world.users["member_a1"].failed_logins == 1


def test_unknown_user_gets_the_same_message_as_a_wrong_password(session, world):
    result = auth.authenticate(session, "nobody", PASSWORD)
    assert result.error_key == "login.wrong_password"


def test_five_wrong_passwords_lock_the_account_with_a_back_off(session, world):
    """Behaviour changed in issue 17: the first lock lasts one minute and each lock in a row
    doubles the next (instead of a fixed 15 minutes that anyone could impose on anyone)."""
    now = utcnow()
    for _ in range(auth.MAX_FAILED_LOGINS):
        result = auth.authenticate(session, "member_a1", "wrong-password", now=now)
    assert result.error_key == "sec.login_locked"
    assert result.params["until"] == now + timedelta(minutes=1)
    # Even the right password is refused while locked...
    assert auth.authenticate(session, "member_a1", PASSWORD, now=now + timedelta(seconds=50)).error_key == "sec.login_locked"
    # ...and accepted once the lock has passed.
    assert auth.authenticate(session, "member_a1", PASSWORD, now=now + timedelta(minutes=2)).ok


def test_a_password_over_72_bytes_gets_its_own_message(session, world):
    result = auth.authenticate(session, "member_a1", "密" * 25)  # 75 bytes in UTF-8
    assert result.error_key == "login.too_long"
    assert world.users["member_a1"].failed_logins == 0


def test_inactive_accounts_cannot_log_in(session, world):
    world.users["member_a1"].active = False
    assert auth.authenticate(session, "member_a1", PASSWORD).error_key == "login.inactive"


def test_credentials_for_the_authenticator_hold_active_users_with_bcrypt_hashes(session, world):
    world.users["member_b1"].active = False
    creds = auth.credentials(session)["usernames"]
    assert "member_b1" not in creds
    assert creds["member_a1"]["password"].startswith("$2")
    assert creds["manager_a"]["roles"] == ["manager"]


def test_admin_creates_resets_and_deactivates_users(session, world):
    admin = world.actors["admin"]
    user = auth.create_user(session, admin, username="New.Person", display_name="New Person",
                            email="new@example.com", password="long enough words", role="member")
    assert user.username == "new.person"
    user.locked_until = utcnow() + timedelta(minutes=10)
    auth.reset_password(session, admin, user.id, "another passphrase")
    assert user.locked_until is None and auth.check_password("another passphrase", user.password_hash)
    auth.set_active(session, admin, user.id, False)
    assert auth.authenticate(session, "new.person", "another passphrase").error_key == "login.inactive"


def test_user_creation_reports_every_problem_at_once(session, world):
    with pytest.raises(InvalidInput) as exc:
        auth.create_user(session, world.actors["admin"], username="x", display_name="", email="bad",
                         password="short", role="boss")
    keys = {e.key for e in exc.value.errors}
    assert keys == {"auth.username_invalid", "error.required", "auth.email_invalid", "auth.role_invalid", "sec.password_short"}


def test_duplicate_username_is_a_conflict(session, world):
    with pytest.raises(Conflict):
        auth.create_user(session, world.actors["admin"], username="member_a1", display_name="Dup",
                         email="dup@example.com", password="long enough words", role="member")


def test_only_admins_manage_users(session, world):
    with pytest.raises(PermissionDenied):
        auth.reset_password(session, world.actors["manager_a"], world.users["member_a1"].id, "long enough words")
    with pytest.raises(PermissionDenied):
        auth.list_users(session, world.actors["member_a1"])


def test_admin_cannot_lock_themselves_out(session, world):
    with pytest.raises(InvalidInput):
        auth.set_active(session, world.actors["admin"], world.users["admin"].id, False)


# ---------------------------------------------------------------------------------------------
# Password policy (OWASP ASVS V2.1) and changing one's own password
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("password,problem", [
    ("short pass", "sec.password_short"),  # 10 characters
    ("password1234", "sec.password_common"),
    ("QWERTYUIOP123", "sec.password_common"),  # compared case-insensitively
    ("x" * 73, "login.too_long"),
    ("twelve chars\x00", "sec.nul_refused"),
])
def test_new_passwords_follow_the_policy(password, problem):
    assert problem in {p.key for p in auth.password_problems(password)}


def test_a_long_uncommon_password_needs_no_special_characters():
    assert auth.password_problems("correct horse battery staple") == []
    assert auth.password_problems("汉字也可以作为很长的密码使用") == []


def test_the_shipped_common_password_list_is_loaded():
    assert len(auth.common_passwords()) >= 100 and "password1234" in auth.common_passwords()


def test_existing_short_passwords_still_log_in(session, world):
    """The policy applies when a password is set: the demo's and older logins keep working."""
    assert len(PASSWORD) < auth.MIN_PASSWORD_LENGTH
    assert auth.authenticate(session, "member_a1", PASSWORD).ok


def test_users_change_their_own_password_with_the_current_one(session, world):
    actor = world.actors["member_a1"]
    with pytest.raises(InvalidInput) as exc:
        auth.change_own_password(session, actor, "not-my-password", "a brand new passphrase")
    assert exc.value.errors[0].key == "sec.current_password_wrong"
    with pytest.raises(InvalidInput) as exc:
        auth.change_own_password(session, actor, PASSWORD, "password1234")
    assert exc.value.errors[0].key == "sec.password_common"
    auth.change_own_password(session, actor, PASSWORD, "a brand new passphrase")
    session.commit()
    assert auth.authenticate(session, "member_a1", "a brand new passphrase").ok
    assert not auth.authenticate(session, "member_a1", PASSWORD).ok


def test_logins_are_audited_success_and_failure(session, world):
    from sqlalchemy import select

    from db.models import AuditLog

    auth.authenticate(session, "member_a1", "wrong-password")
    auth.authenticate(session, "member_a1", PASSWORD)
    auth.authenticate(session, "nobody", PASSWORD)
    session.commit()
    actions = [(a.action, (a.after or {}).get("username")) for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert ("login_failed", "member_a1") in actions
    assert ("login_failed", "nobody") in actions
    assert any(action == "login" for action, _ in actions)
