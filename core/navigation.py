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
