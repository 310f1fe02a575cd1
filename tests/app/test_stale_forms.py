"""Edit forms carry the version they were loaded with: when someone else changes the record while
the form is open, the save is refused with the stale-edit message and nothing is written; after
the refusal the page shows the new version and the next save goes through."""
from __future__ import annotations

from sqlalchemy import select, update

from core import service
from db.engine import make_engine
from db.models import Complaint, Goal
from db.session import unit_of_work
from tests.factories import build_world

STALE = "Someone else changed this record after you opened it"


def _someone_else_edits(engine, model, record_id) -> None:
    with unit_of_work(engine) as s:  # another server's edit: the version moves on
        s.execute(update(model).where(model.id == record_id).values(version=model.version + 1))


def test_a_complaint_response_from_a_stale_screen_is_refused(app_at, sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        cid = service.log_complaint(s, w.actors["admin"], customer_id=w.customers["a1"].id, severity="medium", title="Late")
    at = app_at(sqlite_url, "manager_a", page="pages/service.py")
    at.selectbox(key="svc_pick").set_value(cid).run()
    _someone_else_edits(engine, Complaint, cid)
    at.button(key="svc_respond").click().run()
    assert not at.exception
    assert any(STALE in e.value for e in at.error)
    with unit_of_work(engine) as s:
        assert s.get(Complaint, cid).first_response_at is None
    at.button(key="svc_respond").click().run()  # the screen now shows the new version
    assert any("First response recorded" in m.value for m in at.success) or not at.error
    with unit_of_work(engine) as s:
        assert s.get(Complaint, cid).first_response_at is not None
    engine.dispose()


def test_archiving_a_goal_from_a_stale_screen_is_refused(app_at, sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        build_world(s)
        goal_id = s.scalar(select(Goal.id).where(Goal.title == "Goal of Team A"))
    at = app_at(sqlite_url, "manager_a", page="pages/goals.py", tab=("goals_tab", "goals.tab.detail"))
    at.selectbox(key="detail_goal").set_value(goal_id).run()
    _someone_else_edits(engine, Goal, goal_id)
    at.button(key=f"archive_{goal_id}").click().run()
    assert not at.exception
    assert any(STALE in e.value for e in at.error)
    with unit_of_work(engine) as s:
        assert s.get(Goal, goal_id).status == "active"
    engine.dispose()


def test_a_customer_edit_from_a_stale_form_is_refused(app_at, sqlite_url):
    from db.models import Customer

    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        cid = w.customers["a1"].id
    at = app_at(sqlite_url, "manager_a", page="pages/customers.py")
    at.query_params["customer"] = str(cid)
    at.run()
    _someone_else_edits(engine, Customer, cid)
    form_notes = next(t for t in at.text_area if t.label == "Notes")
    form_notes.input("My note")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert any(STALE in e.value for e in at.error), [e.value for e in at.error]
    with unit_of_work(engine) as s:
        assert s.get(Customer, cid).notes is None
    engine.dispose()
