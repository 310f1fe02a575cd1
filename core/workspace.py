"""The workspace: its settings (name, default language, currency, time zone, fiscal-year start), the
first-run setup that creates the organisation and its first admin, and removing the demo.

Settings are rows of the key/value `settings` table under `workspace.*`. Setup exists only while
no user exists; the row `workspace.setup` is its lock: two setups racing insert the same primary
key, so exactly one commits and the other is refused (on SQLite and PostgreSQL alike)."""
from __future__ import annotations

import re
import zoneinfo
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core import audit, i18n
from core.errors import Conflict, FieldError, InvalidInput
from core.i18n import CURRENCY_SYMBOLS, DEFAULT_CURRENCY, LANGUAGES
from core.permissions import Actor, ensure_role
from db.base import Base, utcnow
from db.models import Member, Setting, Team, User
from db.session import rowcount

CURRENCIES = tuple(CURRENCY_SYMBOLS)
SETUP_KEY = "workspace.setup"
DEMO_KEY = "demo"
from core.auth import MIN_PASSWORD_LENGTH as NEW_PASSWORD_MIN  # noqa: E402 - the one password policy
# Tables a removed demo leaves alone: the managed role list and the revision counter (seeded by
# the migrations), and the settings (the workspace's own choices).
# Configuration the organisation starts from (roles, pipeline stages), and sign-in sessions: the
# removing admin stays signed in; everybody else's sessions go with their logins (ON DELETE CASCADE).
KEPT_TABLES = {"roles", "revision", "settings", "alembic_version", "deal_stages", "user_sessions"}


@dataclass(frozen=True)
class WorkspaceSettings:
    name: str = ""
    language: str = "zh"
    currency: str = DEFAULT_CURRENCY
    timezone: str = "Asia/Shanghai"
    fiscal_year_start: int = 1  # month 1-12

    def fiscal_year_of(self, day: date) -> int:
        """The fiscal year a day falls in, named by the calendar year it starts in."""
        return day.year if day.month >= self.fiscal_year_start else day.year - 1


FIELDS = tuple(WorkspaceSettings.__dataclass_fields__)


def demo_is_on(session: Session) -> bool:
    """True while the demo workspace is in use (the login page then shows the demo logins)."""
    return session.scalar(select(Setting.value).where(Setting.key == DEMO_KEY)) == "on"


def needs_setup(session: Session) -> bool:
    """A database without any login: the app shows the welcome screen (demo or set up)."""
    return not session.scalar(select(func.count()).select_from(User))


def get_settings(session: Session) -> WorkspaceSettings:
    rows = dict(session.execute(select(Setting.key, Setting.value).where(Setting.key.like("workspace.%"))).all())
    values: dict[str, Any] = {}
    for name in FIELDS:
        raw = rows.get(f"workspace.{name}")
        if raw is None:
            continue
        values[name] = int(raw) if name == "fiscal_year_start" and raw.isdigit() else raw
    return WorkspaceSettings(**values)


def currency(session: Session) -> str:
    """The workspace currency: every amount is shown and exported in it."""
    return get_settings(session).currency


def _clean(values: dict) -> tuple[WorkspaceSettings, list[FieldError]]:
    errors: list[FieldError] = []
    name = str(values.get("name") or "").strip()
    if not name:
        errors.append(FieldError("move.org_name_required", column="name"))
    elif len(name) > 120:
        errors.append(FieldError("move.too_long", {"max": 120}, column="name"))
    language = values.get("language") or "zh"
    if language not in LANGUAGES:
        errors.append(FieldError("auth.language_invalid", column="language"))
    money = str(values.get("currency") or "").upper()
    if money not in CURRENCIES:
        errors.append(FieldError("move.currency_invalid", {"allowed": ", ".join(CURRENCIES)}, column="currency"))
    tz = str(values.get("timezone") or "").strip()
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("move.timezone_invalid", {"value": tz}, column="timezone"))
    try:
        month = int(values.get("fiscal_year_start") or 1)
        if not 1 <= month <= 12:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(FieldError("move.fiscal_invalid", column="fiscal_year_start"))
        month = 1
    return WorkspaceSettings(name, language, money, tz, month), errors


def _write(session: Session, settings: WorkspaceSettings) -> None:
    for name, value in asdict(settings).items():
        key = f"workspace.{name}"
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=str(value)))
        else:
            row.value = str(value)


def save_settings(session: Session, actor: Actor, **values) -> WorkspaceSettings:
    """Admins change the workspace settings later; audited with before and after."""
    ensure_role(actor, "admin")
    before = get_settings(session)
    merged = {**asdict(before), **{k: v for k, v in values.items() if k in FIELDS}}
    settings, errors = _clean(merged)
    if errors:
        raise InvalidInput("error.invalid", errors)
    _write(session, settings)
    audit.record(session, actor, "workspace.settings", "workspace", None, asdict(before), asdict(settings))
    return settings


# ---------------------------------------------------------------------------------------------
# First run
# ---------------------------------------------------------------------------------------------
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


def setup_organisation(session: Session, *, name: str, language: str, currency: str, timezone: str,
                       fiscal_year_start: int, admin_username: str, admin_password: str,
                       admin_display_name: str = "", admin_email: str = "") -> int:
    """Create the organisation's settings and its first admin in the caller's transaction; returns
    the admin's user id. Refused once any user exists; of two racing calls exactly one commits."""
    from core.auth import hash_password, normalise_username, password_problems

    settings, errors = _clean(dict(name=name, language=language, currency=currency, timezone=timezone,
                                   fiscal_year_start=fiscal_year_start))
    username = normalise_username(admin_username)
    if not USERNAME_RE.match(username):
        errors.append(FieldError("auth.username_invalid", column="username"))
    errors += password_problems(admin_password, username=username)  # the one password policy
    if errors:
        raise InvalidInput("error.invalid", errors)
    if not needs_setup(session):
        raise Conflict("move.setup_done")
    try:
        # The lock: a second setup inserting the same key fails here (or waits, then fails).
        session.execute(insert(Setting).values(key=SETUP_KEY, value=utcnow().isoformat()))
        session.flush()
    except (IntegrityError, OperationalError):
        raise Conflict("move.setup_done") from None
    _write(session, settings)
    email = (admin_email or "").strip().lower() or f"{username}@{_slug(settings.name)}.local"
    user = User(username=username, display_name=(admin_display_name or "").strip() or username, email=email,
                password_hash=hash_password(admin_password), role="admin", language=settings.language)
    session.add(user)
    session.flush()
    audit.record(session, None, "workspace.setup", "workspace", None, None,
                 {**asdict(settings), "admin": username})
    return user.id


def _slug(text: str) -> str:
    ascii_only = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return ascii_only or "workspace"


# ---------------------------------------------------------------------------------------------
# Removing the demo
# ---------------------------------------------------------------------------------------------
def remove_demo(session: Session, actor: Actor, confirmation: str) -> dict[str, int]:
    """Delete every demo row (teams, people, customers, history...), keeping the role list, the
    settings and the acting admin's own login. One transaction, audited; returns rows deleted per
    table. `confirmation` must be the word the page asks for, so it never happens by a stray click."""
    ensure_role(actor, "admin")
    if not demo_is_on(session):
        raise Conflict("move.no_demo")
    if (confirmation or "").strip().upper() not in {i18n.t("sweep.remove_demo_word", lang).upper() for lang in ("zh", "en")}:
        raise InvalidInput("error.invalid", [FieldError("move.confirm_word", column="confirm")])
    # Break the references inside tables first, so each table empties in one statement.
    session.execute(update(Team).values(parent_id=None, leader_id=None, manager_user_id=None))
    session.execute(update(Member).values(manager_id=None, user_id=None))
    removed: dict[str, int] = {}
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in KEPT_TABLES:
            continue
        statement = delete(table)
        if table.name == "users":
            statement = statement.where(table.c.id != actor.user_id)
        removed[table.name] = rowcount(session.execute(statement))
    session.execute(delete(Setting).where(Setting.key == DEMO_KEY))
    me = session.get(User, actor.user_id)
    if me is not None:
        me.failed_logins = 0
        me.locked_until = None
    audit.record(session, actor, "workspace.demo_removed", "workspace", None, None,
                 {k: v for k, v in removed.items() if v})
    return removed


def row_counts(session: Session) -> dict[str, int]:
    """Rows per table (for the admin's check after removing the demo, and the tests)."""
    return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


__all__ = ["WorkspaceSettings", "CURRENCIES", "demo_is_on", "needs_setup", "get_settings", "currency", "save_settings",
           "setup_organisation", "remove_demo", "row_counts", "NEW_PASSWORD_MIN"]
