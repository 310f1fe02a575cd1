"""The Service page for each role and language, logging a complaint, breach flags and the Home
notification badge."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import service
from db.base import utcnow
from db.engine import make_engine
from db.models import Complaint
from db.session import read_session, unit_of_work
from tests.factories import build_world

PAGE = "pages/service.py"
NEW_COMPLAINT_TAB = ("service_tab", "service.tab.new")


@pytest.fixture
def service_url(sqlite_url):
    """The fixed world plus: a fresh medium complaint on a1's customer and a critical one on b1's
    customer opened two hours ago (past its 1 h response target)."""
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        admin = w.actors["admin"]
        service.log_complaint(s, admin, customer_id=w.customers["a1"].id, severity="medium", title="Late delivery A1")
        service.log_complaint(s, admin, customer_id=w.customers["b1"].id, severity="critical", title="Outage B1",
                              opened_at=utcnow() - timedelta(hours=2))
    engine.dispose()
    return sqlite_url


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success]
    parts += [i.value for i in at.info] + [c.value for c in at.caption] + [t.value for t in at.title]
    for frame in at.dataframe:
        parts.append(frame.value.to_string())
    return " ".join(parts)


@pytest.mark.parametrize("lang,title", [("en", "Service"), ("zh", "服务质量")])
@pytest.mark.parametrize("username,sees,hidden", [
    ("admin", ["Late delivery A1", "Outage B1"], []),
    ("manager_a", ["Late delivery A1"], ["Outage B1"]),
    ("manager_b", ["Outage B1"], ["Late delivery A1"]),
    ("member_a1", ["Late delivery A1"], ["Outage B1"]),
    ("member_b1", ["Outage B1"], ["Late delivery A1"]),
])
def test_every_role_sees_its_complaints_in_both_languages(app_at, service_url, username, sees, hidden, lang, title):
    at = app_at(service_url, username, page=PAGE, lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title
    text = _texts(at)
    for item in sees:
        assert item in text
    for item in hidden:
        assert item not in text


def test_a_breached_complaint_is_flagged_for_its_manager(app_at, service_url):
    at = app_at(service_url, "manager_b", page=PAGE)
    text = _texts(at)
    assert "Breached" in text
    assert "1 complaint breached a target" in text


def test_only_managers_get_the_targets_tab(app_at, service_url):
    manager = app_at(service_url, "manager_a", page=PAGE)
    member = app_at(service_url, "member_a1", page=PAGE)
    assert "Service targets" in [t.label for t in manager.tabs]
    assert "Service targets" not in [t.label for t in member.tabs]


def test_a_member_logs_a_complaint_with_the_suggested_assignee(app_at, service_url):
    at = app_at(service_url, "member_a1", page=PAGE, tab=NEW_COMPLAINT_TAB)
    form_inputs = [t for t in at.text_input if t.label == "Title"]
    form_inputs[0].input("Invoice wrong")
    next(t for t in at.text_area if not (t.key or "").startswith("svc_worknote")).input("Billed twice in March")
    submit = [b for b in at.button if b.label == "Log complaint"][0]
    submit.click().run()
    assert not at.exception
    assert any("logged" in s.value for s in at.success)
    engine = make_engine(service_url)
    with read_session(engine) as s:
        row = s.execute(select(Complaint.title, Complaint.assignee_id, Complaint.description)
                        .where(Complaint.title == "Invoice wrong")).one()
    engine.dispose()
    assert row.description == "Billed twice in March"
    assert row.assignee_id is not None


def test_a_member_records_the_first_response(app_at, service_url):
    at = app_at(service_url, "member_a1", page=PAGE)
    pick = at.selectbox(key="svc_pick")  # issue 12: nothing is preselected, the member picks
    pick.set_value(int(pick.options[0].split(" ")[0].lstrip("#"))).run()
    [b for b in at.button if b.label == "Record first response"][0].click().run()
    assert not at.exception
    assert any("First response recorded" in s.value for s in at.success)


def test_an_empty_title_is_refused_with_a_clear_message(app_at, service_url):
    at = app_at(service_url, "member_a1", page=PAGE, tab=NEW_COMPLAINT_TAB)
    [b for b in at.button if b.label == "Log complaint"][0].click().run()
    assert any("Enter a title" in e.value for e in at.error)


def test_home_shows_the_escalation_badge_and_list_to_the_manager(app_at, service_url):
    from sqlalchemy import func, select

    from core import service
    from db.engine import make_engine
    from db.models import Notification
    from db.session import unit_of_work

    engine = make_engine(service_url)
    at = app_at(service_url, "manager_b")  # pages only read: opening Home escalates nothing
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 0
        service.escalate_breaches(s)  # what the worker's SLA job does
    engine.dispose()
    at = app_at(service_url, "manager_b")
    assert not at.exception
    # each notice is a link that opens the complaint it names (issue 12)
    notice = [p for p in at.page_link if "Complaint response target breached" in p.value and "Outage B1" in p.value]
    assert notice and notice[0].proto.query_string.startswith("complaint=")
    [b for b in at.button if b.label == "Mark all read"][0].click().run()
    assert not at.exception
    assert not [b for b in at.button if b.label == "Mark all read"]


def test_home_of_an_uninvolved_manager_has_no_notification(app_at, service_url):
    at = app_at(service_url, "manager_a")
    assert not at.exception
    assert not any("breached" in m.value for m in at.markdown)


def test_mark_resolved_needs_a_note_and_a_confirmation_and_nothing_is_preselected(app_at, world_url):
    """Issue 12 (13): one stray tap resolves nothing; the complaint to work on is chosen, never defaulted."""
    from core import service
    from db.engine import make_engine
    from db.models import Complaint
    from db.session import AppSession
    from sqlalchemy import select
    from tests.conftest import ROOT  # noqa: F401

    engine = make_engine(world_url)
    with AppSession(bind=engine, expire_on_commit=False) as s, s.begin():
        from core.permissions import actor_for_user
        from db.models import Customer, User
        admin = actor_for_user(s, s.scalar(select(User).where(User.username == "admin")))
        cid = service.log_complaint(s, admin, customer_id=s.scalar(select(Customer.id)), title="Broken invoice", severity="high")
    at = app_at(world_url, "admin", "pages/service.py")
    assert at.selectbox(key="svc_pick").value is None
    assert not [b for b in at.button if b.key == "svc_resolve"]
    at.selectbox(key="svc_pick").set_value(cid).run()
    at.button(key="svc_resolve").click().run()
    submit = [b for b in at.button if "Mark resolved" in str(b.label) and b.key != "svc_resolve"]
    submit[0].click().run()  # no note, no tick
    with AppSession(bind=engine) as s:
        assert s.get(Complaint, cid).status != "resolved"
    at.text_area(key=f"svc_note_{cid}").input("Credited the invoice")
    at.checkbox(key=f"svc_sure_{cid}").check()
    [b for b in at.button if "Mark resolved" in str(b.label) and b.key != "svc_resolve"][0].click().run()
    assert not at.error, [e.value for e in at.error]
    assert not at.warning, [e.value for e in at.warning]
    with AppSession(bind=engine) as s:
        complaint = s.get(Complaint, cid)
        assert (complaint.status, complaint.resolution_note) == ("resolved", "Credited the invoice")


def test_a_response_note_is_saved_with_the_first_response(app_at, service_url):
    at = app_at(service_url, "member_a1", page=PAGE)
    from db.models import Complaint

    engine = make_engine(service_url)
    with read_session(engine) as s:  # issue 12: no complaint is preselected; a1's is chosen on purpose
        cid = s.scalar(select(Complaint.id).where(Complaint.title == "Late delivery A1"))
    engine.dispose()
    at.selectbox(key="svc_pick").set_value(cid).run()
    note = next(t for t in at.text_area if (t.key or "").startswith("svc_worknote"))
    note.input("Called back, refund on its way")
    [b for b in at.button if b.label == "Record first response"][0].click().run()
    assert not at.exception
    from db.models import ComplaintNote

    engine = make_engine(service_url)
    with read_session(engine) as s:
        assert s.execute(select(ComplaintNote.kind, ComplaintNote.body)).all() == [("response", "Called back, refund on its way")]
    engine.dispose()


def test_a_manager_creates_a_rule_and_dry_runs_it_without_writing(app_at, service_url):
    from db.models import AutomationRun

    at = app_at(service_url, "manager_a", page=PAGE, tab=("service_tab", "service.tab.automation"))
    assert not at.exception
    assert "No automation rules yet" in _texts(at)
    form_name = next(t for t in at.text_input if t.label == "Name")
    form_name.input("Breach: tell the lead")
    next(s for s in at.selectbox if s.label == "When").set_value("complaint_breached")
    next(s for s in at.selectbox if s.label == "Action").set_value("notify")
    next(s for s in at.selectbox if s.label == "Notify whom").set_value("manager")
    [b for b in at.button if b.label == "Create"][-1].click().run()
    assert not at.exception
    assert any("Rule saved" in s.value for s in at.success)
    [b for b in at.button if b.label == "Dry run (saves nothing)"][0].click().run()
    assert not at.exception
    assert any("it would act on" in i.value or "nothing to do" in i.value for i in at.info)
    engine = make_engine(service_url)
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AutomationRun)) == 0
    engine.dispose()


def test_the_read_only_report_is_built_only_while_its_tab_is_open(app_at, service_url, monkeypatch):
    """The report holds no input, so a visit to another tab neither computes nor sends it, and
    opening its tab shows it."""
    built = []
    real = service.service_report

    def counting(*args, **kwargs):
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "service_report", counting)
    at = app_at(service_url, "manager_a", page=PAGE)
    assert not at.exception and not built
    at = app_at(service_url, "manager_a", page=PAGE, tab=("service_tab", "service.tab.reports"))
    assert not at.exception and built
    from core import i18n

    assert any(i18n.t("service.col.complaints", "en") in frame.value.columns for frame in at.dataframe)


def _new_complaint_form(at) -> bool:
    return any(b.label == "Log complaint" for b in at.button)


def test_a_page_arrives_with_only_its_open_tab_and_keeps_a_tab_once_opened(app_at, service_url):
    """Issue 15: a page switch draws the open tab only (the others are work the user does not
    see); a tab holding a form stays drawn for the rest of the visit once opened, so what was typed
    there is still there after a look at another tab."""
    at = app_at(service_url, "manager_a", page=PAGE)
    assert not at.exception
    assert not _new_complaint_form(at)  # the New complaint tab was never opened: not drawn
    from tests.app.conftest import open_tab

    open_tab(at, "service_tab", "service.tab.new")
    assert not at.exception and _new_complaint_form(at)
    open_tab(at, "service_tab", "service.tab.complaints")
    assert not at.exception and _new_complaint_form(at)  # still drawn, hidden: its typed text is kept
    at.switch_page("pages/home.py").run()
    at.switch_page(PAGE).run()  # a new visit: only the open tab again
    assert not at.exception and not _new_complaint_form(at)


class _Upload:
    """What st.file_uploader returns (AppTest cannot upload a file)."""
    name = "surveys.csv"

    def __init__(self, text: str):
        self._data = text.encode("utf-8")

    def getvalue(self) -> bytes:
        return self._data


def test_a_member_imports_a_survey_file_through_the_shared_import_flow(app_at, service_url, monkeypatch):
    import streamlit as st

    from db.models import Survey

    text = "客户,满意度,推荐值,日期\nCustomer of Alice A1,5,9,2025-01-10\nCustomer of Bella B1,4,,2025-01-11\nCustomer of Alice A1,7,,2025-01-12\n"
    real = st.file_uploader
    monkeypatch.setattr(st, "file_uploader", lambda label, *a, **k: _Upload(text) if str(k.get("key", "")).startswith("srv_imp_file") else real(label, *a, **k))
    at = app_at(service_url, "member_a1", page=PAGE, tab=("service_tab", "service.tab.surveys"))
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="srv_imp_check").click().run()
    text_now = _texts(at)
    # Bella's customer is not member_a1's: the same answer as a customer that does not exist; the
    # bad score names the file's column
    errors = at.dataframe[-1].value.to_string()
    assert "Customer of Bella B1" in errors and "满意度" in errors and "2 of 3 rows have errors" in text_now
    next(c for c in at.checkbox if str(c.key).startswith("srv_imp_partial")).check().run()
    at.button(key="srv_imp_commit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Import done: 1 new, 0 updated, 0 unchanged, 2 not imported." in _texts(at)
    engine = make_engine(service_url)
    with read_session(engine) as s:
        assert s.scalars(select(Survey.csat)).all() == [5]
    engine.dispose()
