"""The one clock of stored times (naive UTC, see db/base.py), for code above core that compares
with them (a session's expiry, a complaint's age) without importing db."""
from __future__ import annotations

from db.base import utcnow

__all__ = ["utcnow"]
