"""Server-side sessions: a cookie token is only as good as its row. Two engines stand for two app
servers on one database (a second process is covered by the browser test)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import auth, sessions
from db.base import utcnow
from db.engine import make_engine
from db.session import unit_of_work
from tests.factories import PASSWORD


@pytest.fixture
def second_server(db_url):
    """Another engine on the same database: what a second app server sees."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def _login(engine, username="member_a1"):
    with unit_of_work(engine) as s:
        result = auth.authenticate(s, username, PASSWORD)
        assert result.ok
        return sessions.start(s, result.user.id)


def _valid_on(engine, token):
    with engine.connect() as c:
        return sessions.check(c, token)


def test_a_session_started_on_one_server_is_valid_on_another(engine, second_server, world):
    token = _login(engine)
    info = _valid_on(second_server, token)
    assert info is not None and info.username == "member_a1"


def test_a_cookie_copied_before_logout_is_refused_on_the_second_server(engine, second_server, world):
    token = _login(engine)
    copied = str(token)
    with unit_of_work(engine) as s:
        sessions.revoke(s, token)
    assert _valid_on(second_server, copied) is None


def test_a_cookie_copied_before_a_password_reset_is_refused(engine, second_server, world):
    token = _login(engine)
    with unit_of_work(engine) as s:
        auth.reset_password(s, world.actors["admin"], world.users["member_a1"].id, "the reset passphrase")
    assert _valid_on(second_server, token) is None


def test_a_cookie_copied_before_deactivation_is_refused(engine, second_server, world):
    token = _login(engine)
    with unit_of_work(engine) as s:
        auth.set_active(s, world.actors["admin"], world.users["member_a1"].id, False)
    assert _valid_on(second_server, token) is None
    with unit_of_work(engine) as s:  # reactivating does not bring old sessions back
        auth.set_active(s, world.actors["admin"], world.users["member_a1"].id, True)
    assert _valid_on(second_server, token) is None


def test_changing_ones_own_password_signs_out_the_other_browsers_only(engine, second_server, world):
    here, elsewhere = _login(engine), _login(second_server)
    with unit_of_work(engine) as s:
        auth.change_own_password(s, world.actors["member_a1"], PASSWORD, "my new long passphrase", keep_session=here)
    assert _valid_on(second_server, here) is not None
    assert _valid_on(second_server, elsewhere) is None


def test_admin_signs_a_user_out_everywhere(engine, second_server, world):
    tokens = [_login(engine), _login(second_server)]
    with unit_of_work(engine) as s:
        assert auth.sign_out_everywhere(s, world.actors["admin"], world.users["member_a1"].id) == 2
    assert all(_valid_on(second_server, t) is None for t in tokens)


def test_only_admins_sign_other_users_out(engine, world):
    from core.errors import PermissionDenied

    with unit_of_work(engine) as s, pytest.raises(PermissionDenied):
        auth.sign_out_everywhere(s, world.actors["manager_a"], world.users["member_a1"].id)


def test_idle_and_absolute_timeouts(engine, world, monkeypatch):
    monkeypatch.setenv("CLIENTCREW_SESSION_IDLE_HOURS", "8")
    monkeypatch.setenv("CLIENTCREW_SESSION_LIFETIME_DAYS", "7")
    token = _login(engine)
    now = utcnow()
    with engine.connect() as c:
        assert sessions.check(c, token, now=now + timedelta(hours=7)) is not None
        assert sessions.check(c, token, now=now + timedelta(hours=8, minutes=1)) is None  # idle
        for day in range(1, 8):  # active every day: still ends after the absolute lifetime
            sessions.touch(c, token, now=now + timedelta(days=day) - timedelta(hours=1))
        c.commit()
        assert sessions.check(c, token, now=now + timedelta(days=6, hours=23, minutes=30)) is not None
        assert sessions.check(c, token, now=now + timedelta(days=7, minutes=1)) is None


@pytest.mark.parametrize("cookie", [
    "", "not a token", "x" * 10, "a.b.c", "\x00" * 43, "é" * 43, "1" * 5000,
    # the JWT variants the old cookie accepted or crashed on
    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ1c2VybmFtZSI6ImFkbWluIiwiZXhwX2RhdGUiOjk5OTk5OTk5OTl9.",
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6ImFkbWluIn0.c2lnbmF0dXJl",
    None, 12345,
])
def test_malformed_or_foreign_tokens_are_no_session(engine, world, cookie):
    with engine.connect() as c:
        assert sessions.check(c, cookie) is None


def test_a_token_minted_under_another_key_matches_nothing(engine, world, monkeypatch):
    token = _login(engine)
    assert sessions.session_id(token) != sessions.session_id(token, key="another-deployment-key-" + "z" * 20)


def test_the_database_stores_only_a_keyed_hash_of_the_token(engine, world):
    from sqlalchemy import select

    from db.models import UserSession

    token = _login(engine)
    with engine.connect() as c:
        ids = list(c.scalars(select(UserSession.id)))
    assert token not in ids and sessions.session_id(token) in ids
