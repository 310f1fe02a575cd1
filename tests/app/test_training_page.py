"""The Training page for each role and language: list, effect with caveat, attendance, creation."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core import training
from db.engine import make_engine
from db.models import Training
from db.session import read_session, unit_of_work
from tests.factories import build_world

PAGE = "pages/training.py"
NEW_TRAINING_TAB = ("training_tab", "training.tab.new")


@pytest.fixture
def training_url(sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        tid = training.create_training(s, w.actors["manager_a"], team_id=w.teams["A1"].id, topic="Handling objections",
                                       held_on=date.today() - timedelta(days=40), hours=3, effect_metric="follow_ups_done")
        training.save_attendance(s, w.actors["manager_a"], tid,
                                 [{"member_id": w.members["a1"].id, "attended": True, "pre_score": 55, "post_score": 85}])
    engine.dispose()
    return sqlite_url


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [w.value for w in at.warning] + [i.value for i in at.info]
    parts += [c.value for c in at.caption] + [t.value for t in at.title]
    parts += [f.value.to_string() for f in at.dataframe]
    return " ".join(parts)


@pytest.mark.parametrize("lang,title", [("en", "Training"), ("zh", "培训")])
@pytest.mark.parametrize("username,sees", [("admin", True), ("manager_a", True), ("member_a1", True),
                                           ("manager_b", False), ("member_b1", False)])
def test_every_role_opens_the_page_and_sees_its_trainings(app_at, training_url, username, sees, lang, title):
    at = app_at(training_url, username, page=PAGE, lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title
    assert ("Handling objections" in _texts(at)) is sees


def test_the_effect_tab_warns_when_the_groups_are_too_small(app_at, training_url):
    at = app_at(training_url, "manager_a", page=PAGE, tab=("training_tab", "training.tab.effect"))
    assert any("Too few people to tell" in w.value for w in at.warning)


def test_members_get_no_attendance_or_new_training_tabs(app_at, training_url):
    member = app_at(training_url, "member_a1", page=PAGE)
    manager = app_at(training_url, "manager_a", page=PAGE)
    assert [t.label for t in member.tabs] == ["Trainings", "Effect"]
    assert [t.label for t in manager.tabs] == ["Trainings", "Effect", "Attendance & scores", "New training"]


def test_a_manager_creates_a_training(app_at, training_url):
    at = app_at(training_url, "manager_a", page=PAGE, tab=NEW_TRAINING_TAB)
    [t for t in at.text_input if t.label == "Topic"][0].input("CRM basics")
    [b for b in at.button if b.label == "Create"][0].click().run()
    assert not at.exception
    assert any("Training created" in s.value for s in at.success)
    engine = make_engine(training_url)
    with read_session(engine) as s:
        assert s.scalar(select(Training.hours).where(Training.topic == "CRM basics")) == 2.0
    engine.dispose()


def test_a_manager_without_a_topic_is_told_what_to_fix(app_at, training_url):
    at = app_at(training_url, "manager_a", page=PAGE, tab=NEW_TRAINING_TAB)
    [b for b in at.button if b.label == "Create"][0].click().run()
    assert any("Enter the training's topic" in e.value for e in at.error)
