"""The migrations build exactly the schema the models describe, on every backend."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

import db.models  # noqa: F401
from db.base import Base
from db.models import Role


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_first_migration_seeds_the_managed_role_list(session):
    codes = set(session.scalars(select(Role.code)))
    assert {"account_manager", "cs_specialist", "sales_specialist", "tech_support", "finance_support",
            "logistics_support", "team_lead", "project_manager"} <= codes


def test_new_roles_can_be_added_after_the_seeded_ones(session):
    # On PostgreSQL the seed must not have left the id sequence behind.
    session.add(Role(code="key_account", name_zh="大客户", name_en="Key account"))
    session.flush()
    assert session.scalar(select(func.count()).select_from(Role)) == 9


def test_sqlite_enforces_foreign_keys(sqlite_url):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from db.engine import make_engine
    from db.models import Member
    from db.session import unit_of_work

    eng = make_engine(sqlite_url)
    with pytest.raises(IntegrityError):
        with unit_of_work(eng) as s:
            s.add(Member(name="Ghost", team_id=9999, role_id=1))
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    eng.dispose()
