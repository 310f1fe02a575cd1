"""The fixed choice lists a screen offers (statuses, kinds, roles, tiers, …) and the time zones a
workspace may use. The enum tuples are defined once beside the columns they constrain
(db/models.py); pages read them from here, so no page imports db."""
from __future__ import annotations

import zoneinfo

from db.models import (
    ACCOUNT_ROLES,
    AUTOMATION_ACTIONS,
    AUTOMATION_TRIGGERS,
    CHANNELS,
    CUSTOMER_SIZES,
    CUSTOMER_STATUSES,
    CUSTOMER_TIERS,
    GOAL_METRICS,
    MEMBER_STATUSES,
    NOTIFY_MODES,
    RACI,
    REWARD_KINDS,
    SEVERITIES,
    SPECIALTY_KINDS,
    TASK_STATUSES,
    TEAM_KINDS,
    USER_ROLES,
)

# The time zones offered at setup and in Admin → Workspace settings: Area/City names only.
ZONES = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))

__all__ = [
    "ACCOUNT_ROLES", "AUTOMATION_ACTIONS", "AUTOMATION_TRIGGERS", "CHANNELS", "CUSTOMER_SIZES", "CUSTOMER_STATUSES",
    "CUSTOMER_TIERS", "GOAL_METRICS", "MEMBER_STATUSES", "NOTIFY_MODES", "RACI", "REWARD_KINDS", "SEVERITIES",
    "SPECIALTY_KINDS", "TASK_STATUSES", "TEAM_KINDS", "USER_ROLES", "ZONES",
]
