"""Service quality: complaints against customers, response and resolution targets per severity
(configurable per team), live timers and breach flags, escalation of breaches to the assignee's
manager, and the service reports (response time and resolution rate by member, team and period).

Rules (one place):
- Elapsed time is measured in business seconds from `opened_at` (core.business_time): on the
  working calendar of the complaint's team (or its nearest ancestor with one; none = round the
  clock), never while the complaint waits on the customer (status "waiting", a ComplaintPause).
  The response clock stops at the first response; the resolution clock at resolution. Resolving a
  complaint that had no response yet counts as its first response too.
- A target of T seconds is met when the clock stops (or, still running, `now` is) at most T seconds
  after opening: exactly T is on time, T + 1 s is a breach (`elapsed > T`).
- Targets: the team's own row for the severity, else the nearest ancestor team's row, else
  DEFAULT_TARGETS.
- Average response time and resolution rate are core.metrics' `first_response_hours` and
  `resolution_rate` (one definition; the reports call it per member, team and period).
- Escalation has levels: the owner (the assignee's login) is warned when WARN_SHARE of a target
  has run; at the breach plus the calendar's lead delay the assignee's manager (the team lead) is
  notified; at the breach plus the manager delay (business time) the lead's own manager. Each
  level notifies once (the notification's unique key), and a level whose time comes after the
  clock stopped (responded or resolved in time for it) is not reached.
- "The assignee's manager": Member.manager_id's linked user, else the manager_user_id of the
  assignee's team or the nearest ancestor team with one (skipping the assignee themselves). With no
  assignee, the manager of the complaint's team.
"""
from __future__ import annotations

from core.service.charts import (
    resolution_rate_chart,
    response_time_chart,
)
from core.service.commands import (
    add_complaint_note,
    log_complaint,
    reassign_complaint,
    resolve_complaint,
    respond_to_complaint,
    resume_complaint,
    save_service_targets,
    set_service_target,
    wait_on_customer,
)
from core.service.escalation import (
    ManagerResolver,
    escalate_breaches,
    list_notifications,
    manager_above,
    manager_user_for,
    mark_notifications_read,
)
from core.service.queries import (
    ComplaintPage,
    breaches,
    complaint_notes,
    complaints_frame,
    get_complaint,
    list_complaints,
    service_report,
    subtree_members,
    suggest_assignee,
    targets_for_team,
)
from core.service.rules import (
    DEFAULT_LEAD_DELAY_MINUTES,
    DEFAULT_MANAGER_DELAY_MINUTES,
    DEFAULT_POLICY,
    DEFAULT_TARGETS,
    ESCALATE_RESOLUTION,
    ESCALATE_RESPONSE,
    ESCALATION_LOOKBACK,
    GROUPS,
    HOUR,
    NOTE_MAX,
    NOTIFY_RESOLUTION,
    NOTIFY_RESPONSE,
    REPORT_COLUMNS,
    WARN_RESOLUTION,
    WARN_RESPONSE,
    WARN_SHARE,
    Policy,
    Target,
    TargetBook,
    Timing,
    changed_targets,
    hours_to_seconds,
    period_buckets,
    policy_of,
    timing,
)
from db.models import SEVERITIES as SEVERITIES  # pages read service.SEVERITIES

__all__ = [
    "ComplaintPage",
    "DEFAULT_LEAD_DELAY_MINUTES",
    "DEFAULT_MANAGER_DELAY_MINUTES",
    "DEFAULT_POLICY",
    "DEFAULT_TARGETS",
    "ESCALATE_RESOLUTION",
    "ESCALATE_RESPONSE",
    "ESCALATION_LOOKBACK",
    "GROUPS",
    "HOUR",
    "ManagerResolver",
    "NOTE_MAX",
    "NOTIFY_RESOLUTION",
    "NOTIFY_RESPONSE",
    "Policy",
    "REPORT_COLUMNS",
    "Target",
    "TargetBook",
    "Timing",
    "WARN_RESOLUTION",
    "WARN_RESPONSE",
    "WARN_SHARE",
    "add_complaint_note",
    "breaches",
    "complaint_notes",
    "complaints_frame",
    "escalate_breaches",
    "get_complaint",
    "list_complaints",
    "list_notifications",
    "log_complaint",
    "manager_above",
    "manager_user_for",
    "mark_notifications_read",
    "changed_targets",
    "hours_to_seconds",
    "period_buckets",
    "policy_of",
    "reassign_complaint",
    "resolution_rate_chart",
    "resolve_complaint",
    "respond_to_complaint",
    "response_time_chart",
    "resume_complaint",
    "save_service_targets",
    "service_report",
    "set_service_target",
    "subtree_members",
    "suggest_assignee",
    "targets_for_team",
    "timing",
    "wait_on_customer",
]
