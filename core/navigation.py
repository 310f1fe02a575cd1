"""Which pages exist and which roles may use them. app.py builds `st.navigation` from this list;
pages check it again (a hidden page still opens by URL), and core functions check permissions on
every read and write regardless."""
from __future__ import annotations

from dataclasses import dataclass

ALL_ROLES = frozenset({"admin", "manager", "member"})
LEADS = frozenset({"admin", "manager"})


@dataclass(frozen=True)
class PageSpec:
    key: str  # also the translation key suffix: nav.<key>
    file: str
    url_path: str
    icon: str
    roles: frozenset[str]
    section: str  # nav.section.<section>


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "pages/home.py", "home", ":material/home:", ALL_ROLES, "work"),
    PageSpec("my_tasks", "pages/my_tasks.py", "my-tasks", ":material/checklist:", ALL_ROLES, "work"),
    PageSpec("customers", "pages/customers.py", "customers", ":material/storefront:", ALL_ROLES, "work"),
    PageSpec("board", "pages/board.py", "board", ":material/view_kanban:", LEADS, "work"),
    PageSpec("pipeline", "pages/pipeline.py", "pipeline", ":material/filter_alt:", ALL_ROLES, "work"),
    PageSpec("goals", "pages/goals.py", "goals", ":material/flag:", ALL_ROLES, "work"),
    PageSpec("meeting", "pages/meeting.py", "meeting", ":material/co_present:", LEADS, "work"),
    PageSpec("service", "pages/service.py", "service", ":material/support_agent:", ALL_ROLES, "work"),
    PageSpec("roster", "pages/roster.py", "roster", ":material/groups:", LEADS, "people"),
    PageSpec("evaluations", "pages/evaluations.py", "evaluations", ":material/grading:", ALL_ROLES, "people"),
    PageSpec("feedback", "pages/feedback.py", "feedback", ":material/forum:", ALL_ROLES, "people"),
    PageSpec("training", "pages/training.py", "training", ":material/school:", ALL_ROLES, "people"),
    PageSpec("admin", "pages/admin.py", "admin", ":material/admin_panel_settings:", frozenset({"admin"}), "settings"),
)

PAGES_BY_KEY = {p.key: p for p in PAGES}


def pages_for(role: str) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]


def may_open(role: str, key: str) -> bool:
    spec = PAGES_BY_KEY.get(key)
    return spec is not None and role in spec.roles


# Addresses people type or keep from before (old bookmarks, the first version's file names, the
# usual words for a page) open their page instead of Streamlit's English "Page not found". The
# real addresses (PageSpec.url_path) are not repeated here; Home's own address is "/", so "home"
# is one of these.
ALIASES: dict[str, str] = {
    "home": "home", "index": "home", "start": "home", "main": "home", "app": "home", "dashboard": "home",
    "login": "home", "welcome": "home", "first-password": "home",
    "tasks": "my_tasks", "mytasks": "my_tasks", "todo": "my_tasks",
    "customer": "customers", "clients": "customers", "accounts": "customers", "follow-ups": "customers",
    "kanban": "board", "task-board": "board", "taskboard": "board",
    "deals": "pipeline", "sales": "pipeline", "opportunities": "pipeline", "forecast": "pipeline",
    "targets": "goals", "goal": "goals", "okr": "goals", "kpi": "goals",
    "meetings": "meeting", "team-meeting": "meeting", "wall": "meeting",
    "complaints": "service", "surveys": "service", "quality": "service",
    "team": "roster", "teams": "roster", "members": "roster", "people": "roster",
    "evaluation": "evaluations", "scorecards": "evaluations", "performance": "evaluations",
    "one-on-ones": "feedback", "1on1": "feedback", "praise": "feedback", "rewards": "feedback",
    "courses": "training", "learning": "training",
    "settings": "admin", "users": "admin", "audit": "admin",
}


def alias_paths() -> dict[str, str]:
    """Every extra address -> the page key it opens: the aliases above, and each page's key and
    real address written with '_' or '-' (my_tasks, my-tasks), none of them a real address."""
    real = {p.url_path for p in PAGES if p.key != "home"}
    found: dict[str, str] = {}
    for spec in PAGES:
        for variant in (spec.key, spec.url_path, spec.key.replace("_", "-"), spec.url_path.replace("-", "_")):
            found.setdefault(variant, spec.key)
    for path, key in ALIASES.items():
        found.setdefault(path, key)
    return {path: key for path, key in found.items() if path not in real}


def page_for_path(path: str) -> str | None:
    """The page key an address opens (a real address or an alias), or None; letter case is ignored."""
    path = (path or "").strip("/").lower()
    for spec in PAGES:
        if spec.url_path == path:
            return spec.key
    return alias_paths().get(path)


# ---------------------------------------------------------------------------------------------
# Links to one record (issue 12: Home's notifications and at-risk goals, the 1:1 agenda)
# ---------------------------------------------------------------------------------------------
# kind -> (page, query parameter the page reads to select the record, or None: the page alone)
RECORD_PAGES: dict[str, tuple[str, str | None]] = {
    "customer": ("customers", "customer"),
    "goal": ("goals", "goal"),
    "complaint": ("service", "complaint"),
    "cycle": ("evaluations", "cycle"),
    "evaluation": ("evaluations", "evaluation"),
    "deal": ("pipeline", None),
    "follow_ups": ("customers", None),
    "feedback": ("feedback", None),
}
# what a page opens on for a kind that names no single record (its `tab` query parameter)
RECORD_TABS = {"follow_ups": "follow_ups", "feedback": "feedback"}


def record_of(ref: str) -> tuple[str, int | None] | None:
    """The record a notification is about, from its `ref` (core.service, core.worker,
    core.automation, core.scorecard_report write them): ('complaint', 12), ('follow_ups', None)…"""
    parts = (ref or "").split(":")
    number = lambda text: int(text) if text.isdigit() else None  # noqa: E731
    head = parts[0]
    if head == "rule" and len(parts) >= 4:  # rule:<rule id>:<kind>:<id>[:…]
        head, parts = parts[2], parts[2:]
    if head in ("complaint", "customer", "deal", "task", "cycle") and len(parts) > 1 and number(parts[1]) is not None:
        return head, number(parts[1])
    if head == "scorecard" and len(parts) > 1 and number(parts[1]) is not None:
        return "evaluation", number(parts[1])
    if head in ("follow_ups", "feedback"):
        return head, None
    return None


def record_target(kind: str, record_id: int | None, role: str) -> tuple[str, dict[str, str]] | None:
    """(page key, query parameters) that open the record for this role, or None when no page of
    the role shows it. A task opens the board for leads and My tasks for members."""
    if kind == "task":
        page, param = ("board" if role in LEADS else "my_tasks"), None
    elif kind in RECORD_PAGES:
        page, param = RECORD_PAGES[kind]
    else:
        return None
    if not may_open(role, page) or (param and record_id is None):
        return None
    params = {param: str(record_id)} if param else {}
    if kind in RECORD_TABS:
        params["tab"] = RECORD_TABS[kind]
    return page, params
