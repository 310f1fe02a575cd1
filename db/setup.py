"""Set up an organisation from the command line (scripted deployments), the same as the welcome
screen's "Set up our organisation": migrate, then create the workspace settings and the first admin.

    python -m db.setup --name "Acme Sales" --admin alice --password-file secret.txt \
        [--language en] [--currency USD] [--timezone America/New_York] [--fiscal-year-start 4]

The password is read from --password-file, or the CLIENTCREW_ADMIN_PASSWORD environment variable,
or asked for on the terminal (never as a plain argument: it would show in the process list).
Refused when the database already has a login."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from core.errors import DomainError
from core.i18n import t
from db.engine import make_engine
from db.migrate import upgrade
from db.session import unit_of_work


def _password(args: argparse.Namespace) -> str:
    if args.password_file:
        return Path(args.password_file).read_text(encoding="utf-8").strip()
    if os.environ.get("CLIENTCREW_ADMIN_PASSWORD"):
        return os.environ["CLIENTCREW_ADMIN_PASSWORD"]
    first = getpass.getpass("First admin's password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise SystemExit("the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    from core.workspace import setup_organisation

    parser = argparse.ArgumentParser(prog="python -m db.setup", description="Set up a new ClientCrew organisation.")
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or the local SQLite file)")
    parser.add_argument("--name", required=True, help="organisation name")
    parser.add_argument("--admin", required=True, help="first admin's username")
    parser.add_argument("--admin-name", default="", help="first admin's display name")
    parser.add_argument("--admin-email", default="")
    parser.add_argument("--password-file")
    parser.add_argument("--language", choices=("zh", "en"), default="zh")
    parser.add_argument("--currency", default="CNY")
    parser.add_argument("--timezone", default="Asia/Shanghai")
    parser.add_argument("--fiscal-year-start", type=int, default=1, help="month the fiscal year starts (1-12)")
    args = parser.parse_args(argv)

    upgrade(args.url)
    engine = make_engine(args.url)
    try:
        with unit_of_work(engine) as session:
            setup_organisation(session, name=args.name, language=args.language, currency=args.currency,
                               timezone=args.timezone, fiscal_year_start=args.fiscal_year_start,
                               admin_username=args.admin, admin_password=_password(args),
                               admin_display_name=args.admin_name, admin_email=args.admin_email)
    except DomainError as error:
        lines = [t(error.key, "en", **error.params)]
        lines += [f"  {e.column or ''}: {t(e.key, 'en', **e.params)}" for e in error.errors]
        print("\n".join(lines), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"organisation {args.name!r} set up; sign in as {args.admin.strip().lower()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
