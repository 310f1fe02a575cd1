"""Bring a database to the newest schema. Run before the app serves (`make run`, tests), never
from a page: `python -m db.migrate`."""
from __future__ import annotations

import sys

from alembic import command
from alembic.config import Config

from db.engine import PROJECT_ROOT, database_url, normalise_url


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "db" / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url or database_url()).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None) -> None:
    command.upgrade(alembic_config(url), "head")


if __name__ == "__main__":
    upgrade(sys.argv[1] if len(sys.argv) > 1 else None)
    print("database is at the newest schema")
