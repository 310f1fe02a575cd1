"""Backup and restore round trips, including commits still in SQLite's write-ahead log."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from db.engine import is_sqlite, make_engine
from db.models import Setting
from db.session import unit_of_work
from tests.conftest import ROOT


def _run(module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def _settings(engine) -> dict[str, str]:
    with engine.connect() as c:
        return dict(c.execute(select(Setting.key, Setting.value)).all())


def _write(engine, **values: str) -> None:
    with unit_of_work(engine) as s:
        for key, value in values.items():
            s.merge(Setting(key=key, value=value))


def test_round_trip_keeps_every_commit_and_restore_replaces_later_ones(db_url, tmp_path):
    engine = make_engine(db_url)
    keep_open = engine.connect()  # a running app: its open connection keeps the WAL from being folded in
    try:
        _write(engine, **{f"backup.k{i}": f"value {i}" for i in range(50)})
        if is_sqlite(db_url):
            database = Path(engine.url.database)
            wal = database.with_name(database.name + "-wal")
            assert wal.exists() and wal.stat().st_size > 0  # the rows are (at least partly) in the WAL
        out = tmp_path / "backup.bin"
        done = _run("db.backup", "--url", db_url, "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert out.stat().st_mode & 0o077 == 0
        before = _settings(engine)
        assert sum(k.startswith("backup.") for k in before) == 50

        _write(engine, **{"backup.k0": "changed after the backup", "backup.late": "added after"})
    finally:
        keep_open.close()
        engine.dispose()

    assert _run("db.restore", str(out), "--url", db_url).returncode == 2  # asks for --yes
    done = _run("db.restore", str(out), "--url", db_url, "--yes")
    assert done.returncode == 0, done.stderr
    engine = make_engine(db_url)
    try:
        assert _settings(engine) == before
        with engine.connect() as c:
            assert c.scalar(select(func.count()).select_from(Setting).where(Setting.key == "backup.late")) == 0
    finally:
        engine.dispose()


def test_restore_into_a_new_sqlite_file(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url)
    _write(engine, **{"backup.only": "yes"})
    out = tmp_path / "b.db"
    assert _run("db.backup", "--url", sqlite_url, "--out", str(out)).returncode == 0
    engine.dispose()
    fresh = f"sqlite:///{tmp_path / 'restored' / 'new.db'}"
    done = _run("db.restore", str(out), "--url", fresh, "--yes")
    assert done.returncode == 0, done.stderr
    engine = make_engine(fresh)
    assert _settings(engine)["backup.only"] == "yes"
    engine.dispose()


def test_a_file_that_is_not_a_backup_is_refused_with_a_message(sqlite_url, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database")
    done = _run("db.restore", str(junk), "--url", sqlite_url, "--yes")
    assert done.returncode == 1 and "Restore failed" in done.stderr
