"""The forced password change after a one-time password (pages/first_password.py): the only
screen such a user sees, and it really replaces the password."""
from __future__ import annotations

from sqlalchemy import select, update

from db.engine import make_engine
from db.models import User


def _set_must_change(url: str, username: str, value: bool) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(update(User).where(User.username == username).values(must_change_password=value))
    finally:
        engine.dispose()


def _must_change(url: str, username: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(select(User.must_change_password).where(User.username == username)))
    finally:
        engine.dispose()


def _replace(at, new: str):
    """Type the handed-out password and a new one (twice) and save."""
    at.text_input(key="fp_current").input("secret123")
    at.text_input(key="fp_new").input(new)
    at.text_input(key="fp_repeat").input(new)
    return at.button(key="FormSubmitter:first_password_form-Save new password").click().run()


def test_a_one_time_password_shows_only_the_replace_screen_with_the_policy_length(app_at, world_url):
    _set_must_change(world_url, "member_a1", True)
    at = app_at(world_url, "member_a1")
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Choose your own password"]
    assert any("at least 12 characters" in i.value for i in at.info)


def test_replacing_the_one_time_password_clears_the_flag_and_opens_the_app(app_at, world_url):
    _set_must_change(world_url, "member_a1", True)
    at = _replace(app_at(world_url, "member_a1"), "a new long passphrase 42")
    assert not at.exception, [e.value for e in at.exception]
    assert not _must_change(world_url, "member_a1")
    assert "Choose your own password" not in [t.value for t in at.title]


def test_a_short_new_password_is_refused_and_the_flag_stays(app_at, world_url):
    _set_must_change(world_url, "member_a1", True)
    at = _replace(app_at(world_url, "member_a1"), "short")
    assert not at.exception, [e.value for e in at.exception]
    assert _must_change(world_url, "member_a1")
    assert any("12" in e.value for e in at.error)
