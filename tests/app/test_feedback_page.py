"""The Feedback page for each role, in English and Chinese: sending anonymous feedback, what managers
and members see, 1:1s, praise and rewards."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core import feedback as fb
from db.engine import make_engine
from db.models import AuditLog, Feedback, Member, OneOnOne, Recognition
from db.session import read_session, unit_of_work
from tests.factories import build_world

PAGE = "pages/feedback.py"
FEEDBACK_TAB = ("feedback_tab", "feedback.tab.feedback")
PRAISE_TAB = ("feedback_tab", "feedback.tab.praise")


@pytest.fixture
def world_url(sqlite_url):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        # issue 12: a batch needs three different senders, so two colleagues join Team A1
        from core.permissions import actor_for_user
        from tests.factories import make_member, make_user

        senders = [w.actors["member_a1"]]
        for name in ("member_a3", "member_a4"):
            user = make_user(s, name, "member")
            make_member(s, name.title(), w.teams["A1"], user=user)
            senders.append(actor_for_user(s, user))
        for body, sender in zip(("Release one", "Release two", "Release three"), senders):
            fb.send_feedback(s, sender, "team", body, today=date(2020, 1, 10))
        fb.release_due_feedback(s, w.actors["manager_a"], today=date(2020, 2, 1))
        fb.send_feedback(s, w.actors["member_a1"], "manager", "Waiting alone", today=date(2020, 1, 10))
    engine.dispose()
    return sqlite_url


def _texts(at) -> str:
    parts = []
    for kind in ("markdown", "error", "success", "info", "warning", "title", "subheader", "caption"):
        parts += [getattr(e, "value", "") or "" for e in getattr(at, kind)]
    return " ".join(str(p) for p in parts)


def _count(url, query):
    engine = make_engine(url)
    with read_session(engine) as s:
        value = s.scalar(query)
    engine.dispose()
    return value


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("username", ["admin", "manager_a", "manager_b", "member_a1", "member_b1"])
def test_the_page_renders_for_every_role_in_both_languages(app_at, world_url, username, lang):
    at = app_at(world_url, username, page=PAGE, lang=lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == ("反馈与表彰" if lang == "zh" else "Feedback")


def test_released_batches_show_to_the_manager_and_a_lone_item_does_not(app_at, world_url):
    text = _texts(app_at(world_url, "manager_a", page=PAGE, tab=FEEDBACK_TAB))
    assert "Release one" in text and "Release three" in text
    assert "Waiting alone" not in text
    assert "Release one" not in _texts(app_at(world_url, "manager_b", page=PAGE, tab=FEEDBACK_TAB))


def test_a_member_sends_feedback_and_nothing_about_them_is_audited(app_at, world_url):
    at = app_at(world_url, "member_b1", page=PAGE, tab=FEEDBACK_TAB)
    audit_before = _count(world_url, select(func.count()).select_from(AuditLog))
    at.text_area(key="feedback_body").input("Our stand-up runs too long")
    next(b for b in at.button if "Send anonymously" in str(b.label)).click().run()
    assert not at.exception
    assert "Sent anonymously." in _texts(at)
    assert _count(world_url, select(func.count()).select_from(Feedback).where(Feedback.body == "Our stand-up runs too long")) == 1
    assert _count(world_url, select(func.count()).select_from(AuditLog)) == audit_before
    assert "Our stand-up runs too long" not in _texts(at)  # not echoed back, not listed (unreleased)


def test_the_manager_records_a_one_on_one_and_the_member_reads_it(app_at, world_url):
    at = app_at(world_url, "manager_a", page=PAGE)
    alice = _count(world_url, select(Member.id).where(Member.name == "Alice A1"))
    at.selectbox(key="oo_member").set_value(alice).run()
    at.text_area(key="oo_notes").input("Discussed the renewal plan")
    next(b for b in at.button if "Record this 1:1" in str(b.label)).click().run()
    assert not at.exception and "1:1 recorded" in _texts(at)
    assert _count(world_url, select(func.count()).select_from(OneOnOne)) == 1
    member = app_at(world_url, "member_a1", page=PAGE)
    assert not member.exception
    assert "Discussed the renewal plan" in _texts(member)
    assert "Discussed the renewal plan" not in _texts(app_at(world_url, "member_b1", page=PAGE))


def test_a_member_praises_a_teammate(app_at, world_url):
    at = app_at(world_url, "member_a1", page=PAGE, tab=PRAISE_TAB)
    at.text_area(key="praise_msg").input("Covered my calls while I was ill")
    next(b for b in at.button if "Give praise" in str(b.label)).click().run()
    assert not at.exception and "Praise posted on the wall!" in _texts(at)
    assert _count(world_url, select(func.count()).select_from(Recognition)) == 1
    assert "Covered my calls while I was ill" in _texts(app_at(world_url, "manager_a", page=PAGE, tab=PRAISE_TAB))
