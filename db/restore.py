"""`python -m db.restore FILE [--url URL] --yes`: replace the database with a backup from db.backup.

Stop the app servers first (a restore replaces every row; sessions open during it would see a mix).
- SQLite: the backup is copied in through SQLite's backup API (the WAL and the journal stay
  consistent); the previous database is first saved beside it as `<name>.before-restore`.
- PostgreSQL: `pg_restore --clean --if-exists --single-transaction`: all or nothing.
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from db.backup import BackupError, backup, libpq_args, sqlite_path
from db.engine import database_url, is_sqlite, normalise_url


def restore(url: str, source: Path) -> None:
    source = Path(source)
    if not source.exists():
        raise BackupError(f"No backup file at {source}.")
    if is_sqlite(url):
        target_path = sqlite_path(url)
        check = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not an intact SQLite database.")
            if check.execute("SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'").fetchone()[0] == 0:
                raise BackupError(f"{source} is not a ClientCrew database.")
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not a SQLite database ({error}).") from None
        finally:
            check.close()
        if target_path.exists():
            backup(url, target_path.with_name(target_path.name + ".before-restore"))
        target_path.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dest = sqlite3.connect(target_path, timeout=30)
        try:
            src.backup(dest)
            dest.execute("PRAGMA journal_mode=WAL")
        finally:
            dest.close()
            src.close()
        return
    if shutil.which("pg_restore") is None:
        raise BackupError("pg_restore not found: install the PostgreSQL client (apt-get install postgresql-client).")
    args, env = libpq_args(url)
    result = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(source)],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Replace the ClientCrew database with a backup (stop the app first).")
    parser.add_argument("backup", help="a file written by python -m db.backup")
    parser.add_argument("--url", default=None, help="database URL (default: DATABASE_URL or the SQLite file)")
    parser.add_argument("--yes", action="store_true", help="confirm: every current row is replaced")
    options = parser.parse_args(argv)
    url = normalise_url(options.url) if options.url else database_url()
    if not options.yes:
        print("This replaces every row of the database with the backup. Stop the app servers, then run again with --yes.",
              file=sys.stderr)
        return 2
    try:
        restore(url, Path(options.backup))
    except BackupError as error:
        print(f"Restore failed: {error}", file=sys.stderr)
        return 1
    print(f"Restored {options.backup}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
