"""Issue 12: exports are reports. Every export the pages offer is opened (the CSV file as a user
downloads it, through core.safe_export) on the demo workspace, in Chinese and in English, and
must read as a report: headers in the user's language, labels instead of codes, formatted
values, nothing spelled None/nan."""
from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from core import i18n, reports, safe_export
import ui

CJK = re.compile(r"[\u4e00-\u9fff]")
# header words that are the same in both languages (product names and abbreviations)
SAME_IN_BOTH = {"CSAT", "NPS", "ID", "SLA"}
# Every export each page offers the admin on the demo workspace (the test fails if one is not met,
# so an export that silently stops rendering is noticed too).
EXPECTED = {
    "pages/customers.py": {"customers", "follow_ups", "load"},
    "pages/service.py": {"complaints", "surveys", "survey_trends", "service_report", "service_targets"},
    "pages/roster.py": {"roster", "responsibilities"},
    "pages/training.py": {"trainings", "training_effect", "training_attendance"},
    "pages/admin.py": {"audit"},
}


@pytest.fixture
def captured(monkeypatch):
    """Every export drawn: (name, the report as its CSV file reads back, the raw table or None)."""
    files: dict[str, tuple[pd.DataFrame, pd.DataFrame | None]] = {}
    original = ui.export_buttons

    def recorder(frame, name, key, raw=None):
        data = safe_export.to_csv_bytes(frame)
        back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
        files[name] = (back, raw)
        return original(frame, name, key, raw=raw)

    monkeypatch.setattr(ui, "export_buttons", recorder)
    return files


def _canonical(name: str) -> str:
    for lang in ("zh", "en"):
        if name == i18n.t("screens.admin.audit_file", lang):
            return "audit"
    return name


def _problems(frame: pd.DataFrame, lang: str) -> list[str]:
    found = reports.report_problems(frame.replace({"": None}))
    for header in frame.columns:
        text = str(header)
        if text in SAME_IN_BOTH:
            continue
        if lang == "zh" and not CJK.search(text):
            found.append(f"header {text!r} is not in Chinese")
        if lang == "en" and CJK.search(text):
            found.append(f"header {text!r} is not in English")
    return found


# A page arrives with only its open tab drawn (issue 15: read-only tabs only while open, tabs with
# input from their first opening): every other tab's exports are read with that tab open.
OTHER_TABS = {
    "pages/customers.py": [("customers_tab", f"customers.tab_{n}") for n in ("follow_ups", "assignment", "import")],
    "pages/service.py": [("service_tab", f"service.tab.{n}") for n in ("new", "surveys", "reports", "targets",
                                                                        "automation")],
    "pages/roster.py": [("roster_tab", f"roster.tab_{n}") for n in ("teams", "handover", "raci")]
    + [("roster_tab", "move.logins_title")],
    "pages/training.py": [("training_tab", f"training.tab.{n}") for n in ("effect", "attendance", "new")],
    "pages/admin.py": [("admin_tab", k) for k in ("admin.reset_password", "screens.admin.audit_tab",
                                                  "move.settings_title", "automation.mail.tab")],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_every_export_reads_as_a_report(app_at, demo_url, captured, page, lang):
    at = app_at(demo_url, "admin", lang=lang)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for tab in OTHER_TABS.get(page, []):
        opened = app_at(demo_url, "admin", page=page, lang=lang, tab=tab)
        assert not opened.exception, [e.value for e in opened.exception]
    if page == "pages/customers.py":  # the whole list (more than a page: prepared on a click)
        at.button(key="cust_export_prepare").click().run()
        assert not at.exception, [e.value for e in at.exception]
    seen = {_canonical(name) for name in captured}
    assert EXPECTED[page] <= seen, f"exports not drawn: {EXPECTED[page] - seen}"
    problems = {name: _problems(frame, lang) for name, (frame, _) in captured.items()}
    assert {name: p[:5] for name, p in problems.items() if p} == {}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_workload_export_reads_as_a_report(app_at, demo_url, captured, lang):
    at = app_at(demo_url, "admin", lang=lang)
    at.switch_page("pages/board.py")
    at.session_state["board_section"] = "workload"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "workload" in captured
    assert _problems(captured["workload"][0], lang) == []


# ---------------------------------------------------------------------------------------------
# Report tables on screen: no None/nan where there is no data (issue 12)
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def unanswered_url(sqlite_url):
    """The fixed world with two complaints nobody has responded to yet (no average response)."""
    from core import service
    from db.engine import make_engine
    from db.session import unit_of_work
    from tests.factories import build_world

    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        admin = w.actors["admin"]
        service.log_complaint(s, admin, customer_id=w.customers["a1"].id, severity="medium", title="Late delivery A1")
        service.log_complaint(s, admin, customer_id=w.customers["b1"].id, severity="low", title="Typo B1")
    engine.dispose()
    return sqlite_url


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_service_report_without_responses_shows_a_dash_and_says_why(app_at, unanswered_url, captured, lang):
    at = app_at(unanswered_url, "admin", page="pages/service.py", lang=lang, tab=("service_tab", "service.tab.reports"))
    assert not at.exception, [e.value for e in at.exception]
    header = i18n.t("service.col.avg_response_hours", lang)
    report = next(f.value for f in at.dataframe if header in f.value.columns)
    assert set(report[header]) == {"—"}
    shown = report.astype(str).to_string()
    assert not re.search(r"\b(None|nan|NaN|null)\b", shown), shown
    assert any(i18n.t("reports.no_responses", lang) in i.value for i in at.info)
    assert _problems(captured["service_report"][0], lang) == []


def test_a_complaint_link_preselects_that_complaint_once(app_at, unanswered_url):
    from db.engine import make_engine
    from db.models import Complaint
    from db.session import read_session
    from sqlalchemy import select

    engine = make_engine(unanswered_url)
    with read_session(engine) as s:
        complaint_id = s.scalar(select(Complaint.id).where(Complaint.title == "Typo B1"))
        other_id = s.scalar(select(Complaint.id).where(Complaint.title == "Late delivery A1"))
    engine.dispose()
    at = app_at(unanswered_url, "admin", run=False)
    at.query_params["complaint"] = str(complaint_id)
    at.run()
    at.switch_page("pages/service.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="svc_pick").value == complaint_id
    assert any("Typo B1" in m.value for m in at.markdown)
    at.selectbox(key="svc_pick").set_value(other_id).run()
    assert at.selectbox(key="svc_pick").value == other_id  # the link chose once; the user may choose another
