"""First run, workspace settings and removing the demo (core.workspace, db.setup)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core import auth, i18n, workspace
from core.errors import Conflict, InvalidInput, PermissionDenied
from db.models import Role, Setting, User
from db.session import unit_of_work

SETUP = dict(name="Acme Sales", language="en", currency="USD", timezone="America/New_York", fiscal_year_start=4)


def _setup(engine, username="alice", password="a-long-secret-1"):
    with unit_of_work(engine) as s:
        return workspace.setup_organisation(s, **SETUP, admin_username=username, admin_password=password)


def test_setup_creates_the_settings_and_an_admin_who_can_sign_in(engine):
    with unit_of_work(engine) as s:
        assert workspace.needs_setup(s)
    _setup(engine)
    with unit_of_work(engine) as s:
        assert not workspace.needs_setup(s)
        settings = workspace.get_settings(s)
        assert (settings.name, settings.currency, settings.timezone, settings.fiscal_year_start) == ("Acme Sales", "USD", "America/New_York", 4)
        result = auth.authenticate(s, "Alice", "a-long-secret-1")
        assert result.ok and result.user.role == "admin" and result.user.language == "en"


def test_setup_exists_only_while_no_user_exists(engine):
    _setup(engine)
    with pytest.raises(Conflict):
        _setup(engine, username="mallory")
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1


def test_setup_refuses_a_short_password_and_bad_settings(engine):
    with pytest.raises(InvalidInput) as refused, unit_of_work(engine) as s:
        workspace.setup_organisation(s, name="", language="en", currency="XXX", timezone="Mars/Base", fiscal_year_start=13,
                                     admin_username="alice", admin_password="short")
    keys = {e.key for e in refused.value.errors}
    assert keys == {"move.org_name_required", "move.currency_invalid", "move.timezone_invalid", "move.fiscal_invalid",
                    "sec.password_short"}  # the one password policy (core.auth)


def test_two_racing_setups_create_exactly_one_admin(engine):
    """Two real connections submit at the same moment (threads released by one barrier)."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(username: str) -> None:
        barrier.wait()
        try:
            _setup(engine, username=username)
            outcomes.append("created")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=submit, args=(name,)) for name in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["created", "refused"]
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.role == "admin")) == 1


def test_settings_are_admin_only_and_audited(engine, world, session):
    with pytest.raises(PermissionDenied):
        workspace.save_settings(session, world.actors["manager_a"], **SETUP)
    saved = workspace.save_settings(session, world.actors["admin"], **SETUP)
    session.commit()
    assert workspace.get_settings(session) == saved
    assert workspace.currency(session) == "USD"


def test_the_one_money_formatter_shows_the_workspace_currency():
    assert i18n.format_money(1234, "en", "USD") == "$1,234"
    assert i18n.format_money(12, "en", "EUR") == "€12"  # issue 12: whole amounts never show .00 (¥500 beside ¥3,000)
    assert i18n.format_money(12.5, "en", "EUR") == "€12.50"
    assert i18n.format_money(50_000, "zh", "CNY") == "¥5.0万"


def test_no_hard_coded_yuan_in_pages_or_core():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for folder in ("pages", "ui", "core"):
        for path in (root / folder).rglob("*.py"):
            if path.name in ("__init__.py",) and path.parent.name == "i18n":
                continue  # the currency table itself
            text = path.read_text(encoding="utf-8")
            if "¥" in text or '"CNY"' in text:
                offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_removing_the_demo_leaves_an_empty_organisation_with_the_admins_login(engine):
    from datetime import date

    from demo import build_demo
    from core.permissions import actor_for_user

    build_demo(engine, today=date.today())
    with unit_of_work(engine) as s:
        admin = s.scalar(select(User).where(User.username == "admin"))
        actor = actor_for_user(s, admin)
        roles_before = s.scalar(select(func.count()).select_from(Role))
    with pytest.raises(InvalidInput), unit_of_work(engine) as s:
        workspace.remove_demo(s, actor, "yes")
    with unit_of_work(engine) as s:  # the Chinese UI asks for its own word (English "DEMO": tests/e2e)
        removed = workspace.remove_demo(s, actor, "删除演示")
    assert removed["customers"] > 0 and removed["members"] > 0
    with unit_of_work(engine) as s:
        counts = workspace.row_counts(s)
        assert counts["users"] == 1 and counts["roles"] == roles_before and counts["audit_log"] == 1
        left = {name: n for name, n in counts.items() if n and name not in ("users", "roles", "revision", "table_revisions", "settings", "audit_log",
                                                                         "deal_stages", "user_sessions")}
        assert left == {}
        assert not workspace.demo_is_on(s)
        assert s.scalar(select(Setting.value).where(Setting.key == "demo")) is None
        assert auth.authenticate(s, "admin", "demo1234").ok
    with pytest.raises(Conflict), unit_of_work(engine) as s:
        workspace.remove_demo(s, actor, "DEMO")


def test_db_setup_command_sets_up_from_the_command_line(db_url, tmp_path, monkeypatch):
    from db.engine import make_engine
    from db.setup import main

    secret = tmp_path / "pw.txt"
    secret.write_text("a-long-secret-1\n")
    assert main(["--url", db_url, "--name", "Acme", "--admin", "ops", "--password-file", str(secret), "--currency", "EUR"]) == 0
    assert main(["--url", db_url, "--name", "Acme", "--admin", "ops2", "--password-file", str(secret)]) == 1
    engine = make_engine(db_url)
    with unit_of_work(engine) as s:
        assert [u.username for u in s.scalars(select(User))] == ["ops"]
        assert workspace.currency(s) == "EUR"
    engine.dispose()
