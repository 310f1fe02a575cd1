"""Shared fixtures: a fresh database for every test, on SQLite and (when TEST_DATABASE_URL is set)
on PostgreSQL, plus a small fixed organisation (`world`) for rule and permission tests.

Each backend gets a template database migrated once per run; every test gets its own copy (a file
copy on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL), so tests never see each other's rows
and tests that need two real connections (concurrency) work too.

In CI (`CLIENTCREW_REQUIRE_ALL=1`, set by .ci/run) a missing PostgreSQL or browser is an error, not
a skip.
"""
from __future__ import annotations

import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("CLIENTCREW_BCRYPT_ROUNDS", "4")  # fast hashes in tests only

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from db.engine import make_engine, normalise_url  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.session import AppSession  # noqa: E402

REQUIRE_ALL = os.environ.get("CLIENTCREW_REQUIRE_ALL") == "1"
PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
RUN_ID = uuid.uuid4().hex[:8]


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: real-browser test (Playwright + Debian chromium)")
    if REQUIRE_ALL and not PG_URL:
        raise pytest.UsageError("CLIENTCREW_REQUIRE_ALL=1 but TEST_DATABASE_URL is not set: PostgreSQL tests would be skipped")


# ---------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------
class PgAdmin:
    """Creates and drops the per-run and per-test PostgreSQL databases."""

    def __init__(self, url: str) -> None:
        self.url = make_url(normalise_url(url))
        self.admin = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, name: str, template: str | None = None) -> str:
        with self.admin.connect() as conn:
            if template:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'))
            else:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.url_for(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        for name in reversed(list(self.created)):
            self.drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_admin():
    if not PG_URL:
        yield None
        return
    admin = PgAdmin(PG_URL)
    yield admin
    admin.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:  # fold the WAL into the file so a plain copy is complete
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template(pg_admin):
    if pg_admin is None:
        return None
    name = f"cc_{RUN_ID}_template"
    url = pg_admin.create(name)
    upgrade(url)
    return name


_counter = iter(range(1, 10**9))


def _fresh_url(backend: str, tmp_path: Path, sqlite_template: Path, pg_admin, pg_template) -> str:
    if backend == "sqlite":
        target = tmp_path / f"test_{next(_counter)}.db"
        shutil.copyfile(sqlite_template, target)
        return f"sqlite:///{target}"
    if pg_admin is None:
        if REQUIRE_ALL:
            pytest.fail("PostgreSQL required in CI but TEST_DATABASE_URL is not set")
        pytest.skip("TEST_DATABASE_URL not set")
    return pg_admin.create(f"cc_{RUN_ID}_{next(_counter)}", template=pg_template)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, sqlite_template, pg_admin, pg_template):
    """A URL to a fresh, migrated, empty database (parametrized over the available backends)."""
    url = _fresh_url(request.param, tmp_path, sqlite_template, pg_admin, pg_template)
    yield url
    if request.param == "postgresql":
        pg_admin.drop(make_url(url).database)


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template):
    """A fresh migrated SQLite database only (for tests about SQLite itself or the UI)."""
    return _fresh_url("sqlite", tmp_path, sqlite_template, None, None)


@pytest.fixture(scope="session")
def demo_sqlite_template(tmp_path_factory, sqlite_template) -> Path:
    """A migrated SQLite file holding the small demo workspace (the demo/ package), built once per run
    with today's date so overdue lists and current periods are live."""
    from datetime import date

    from demo import build_demo

    path = tmp_path_factory.mktemp("demo_template") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    build_demo(engine, today=date.today())
    with engine.connect() as conn:  # fold the WAL into the file so a plain copy is complete
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def demo_url(tmp_path, demo_sqlite_template) -> str:
    """A fresh copy of the demo workspace (logins admin / manager / member, password demo1234)."""
    target = tmp_path / f"demo_{next(_counter)}.db"
    shutil.copyfile(demo_sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    """A session on the fresh database. Tests call commit() where a rule depends on it."""
    s = AppSession(bind=engine, expire_on_commit=False)
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def world(session):
    """A small fixed organisation (see tests/factories.py) committed to the fresh database."""
    from tests.factories import build_world

    w = build_world(session)
    session.commit()
    return w


@pytest.fixture
def world_url(sqlite_url):
    """A fresh SQLite file holding the fixed world (for AppTests and browser tests)."""
    from tests.factories import build_world

    engine = make_engine(sqlite_url)
    with AppSession(bind=engine, expire_on_commit=False) as s, s.begin():
        build_world(s)
    engine.dispose()
    return sqlite_url
