"""`python -m db.backup [--url URL] [--out FILE]`: a consistent copy of the database, while the app runs.

- SQLite: the online backup API (`sqlite3.Connection.backup`), which reads through SQLite itself and
  so includes commits still in the write-ahead log (a plain file copy of a running database loses
  them) and never copies a half-written page.
- PostgreSQL: `pg_dump --format=custom` (install `postgresql-client` for it); the password is passed
  in the environment, never on the command line.

Restore with `python -m db.restore FILE`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from db.engine import PROJECT_ROOT, database_url, is_sqlite, normalise_url

DEFAULT_DIR = PROJECT_ROOT / "data" / "backups"


class BackupError(RuntimeError):
    """Something the operator must fix (missing tool, missing database); the message says what."""


def libpq_args(url: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection arguments and environment for a SQLAlchemy URL."""
    parsed = make_url(normalise_url(url))
    args = ["--host", parsed.host or "localhost", "--port", str(parsed.port or 5432),
            "--username", parsed.username or "postgres", "--dbname", parsed.database or "postgres"]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return args, env


def sqlite_path(url: str) -> Path:
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def default_target(url: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return DEFAULT_DIR / (f"clientcrew-{stamp}.db" if is_sqlite(url) else f"clientcrew-{stamp}.pgdump")


def backup(url: str, target: Path) -> Path:
    """Write a backup of the database at `url` to `target` (a new file); returns the path."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_sqlite(url):
        source_path = sqlite_path(url)
        if not source_path.exists():
            raise BackupError(f"No database at {source_path}.")
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest)  # online backup: a consistent snapshot including the WAL
            dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dest.close()
            source.close()
        os.chmod(partial, 0o600)
        partial.replace(target)
        return target
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump not found: install the PostgreSQL client (apt-get install postgresql-client).")
    args, env = libpq_args(url)
    partial = target.with_name(target.name + ".partial")
    result = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(partial), *args],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    os.chmod(partial, 0o600)
    partial.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Back up the ClientCrew database while the app runs.")
    parser.add_argument("--url", default=None, help="database URL (default: DATABASE_URL or the SQLite file)")
    parser.add_argument("--out", default=None, help="backup file to write (default: data/backups/clientcrew-<time>.*)")
    options = parser.parse_args(argv)
    url = normalise_url(options.url) if options.url else database_url()
    target = Path(options.out) if options.out else default_target(url)
    try:
        written = backup(url, target)
    except BackupError as error:
        print(f"Backup failed: {error}", file=sys.stderr)
        return 1
    print(f"Backup written to {written} ({written.stat().st_size:,} bytes).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
