"""Workspace-level facts stored in the settings table."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Setting


def demo_is_on(session: Session) -> bool:
    """True while the demo workspace is in use (the login page then shows the demo logins)."""
    return session.scalar(select(Setting.value).where(Setting.key == "demo")) == "on"
