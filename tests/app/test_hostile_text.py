"""Every page, for every role, with a markdown image, a link and HTML planted in every user text
(member, team and customer names, task, goal, deal and complaint titles, descriptions, praise,
check-in comments): nothing that renders markdown (markdown, captions, alerts, toasts, widget
labels) contains the payload unescaped. A new st.markdown of user text without ui.esc fails here."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from core import goals, recognition, service
from db.engine import make_engine
from db.models import CheckIn, Complaint, Customer, Deal, Goal, Member, Recognition, Task, Team
from db.session import unit_of_work
from tests.factories import build_world, make_deal

HOST = "evil.test"
PAYLOAD = f"![i](http://{HOST}/p.png) [x](http://{HOST}/r) <b>b</b> :red[r]"
RAW = (f"](http://{HOST}", "<b>", ":red[r]", f"http://{HOST}")  # what only unescaped text contains


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory, request):
    from tests.conftest import _fresh_url  # noqa: PLC0415 - the shared fresh-database helper

    sqlite_template = request.getfixturevalue("sqlite_template")
    url = _fresh_url("sqlite", tmp_path_factory.mktemp("hostile"), sqlite_template, None, None)
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        make_deal(s, "Deal", w.customers["a1"], w.members["a1"], value=1000)
        service.log_complaint(s, w.actors["admin"], customer_id=w.customers["a1"].id, severity="high", title="C",
                              description="D")
        recognition.give_praise(s, w.actors["member_a1"], w.members["a2"].id, "Thanks")
        goals.record_check_in(s, w.actors["member_a1"], w.goals["a1"].id, 1.0, comment="ok")
    with unit_of_work(engine) as s:  # written as a hostile user would have typed them
        for model, columns in ((Member, ("name",)), (Team, ("name",)), (Customer, ("name", "notes")),
                               (Task, ("title", "description")), (Goal, ("title",)), (Deal, ("title", "next_step")),
                               (Complaint, ("title", "description")), (Recognition, ("message",)), (CheckIn, ("comment",))):
            s.execute(update(model).values({c: PAYLOAD for c in columns}))
        s.execute(update(Goal).values(start_date=date.today() - timedelta(days=5), end_date=date.today() + timedelta(days=20)))
    engine.dispose()
    return url


def _rendered(at) -> list[str]:
    texts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "toast", "title", "header", "subheader"):
        texts += [str(e.value) for e in getattr(at, kind)]
    for kind in ("button", "checkbox", "toggle", "radio", "expander", "tabs"):
        for e in getattr(at, kind, []):
            label = getattr(e, "label", None)
            if label:
                texts.append(str(label))
    return texts


PAGES = [
    ("pages/home.py", None), ("pages/board.py", None), ("pages/meeting.py", None), ("pages/pipeline.py", None),
    ("pages/service.py", None), ("pages/feedback.py", None), ("pages/evaluations.py", None),
    ("pages/goals.py", None), ("pages/goals.py", ("goals_tab", "goals.tab.detail")), ("pages/customers.py", None),
    ("pages/roster.py", None), ("pages/training.py", None), ("pages/my_tasks.py", None),
    ("pages/customers.py", ("customer", "first")),
]


@pytest.mark.parametrize("username", ["manager_a", "member_a1", "admin"])
@pytest.mark.parametrize("page,tab", PAGES, ids=[p + (f"#{t[1]}" if t else "") for p, t in PAGES])
def test_planted_markdown_never_renders_unescaped(app_at, hostile_url, username, page, tab):
    at = app_at(hostile_url, username, run=True)
    try:
        at.switch_page(page)
    except ValueError:
        pytest.skip(f"{username} has no {page}")
    if tab == ("customer", "first"):  # the customer detail of the first customer the list shows
        from sqlalchemy import select

        engine = make_engine(hostile_url)
        with unit_of_work(engine) as s:
            at.query_params["customer"] = str(s.scalar(select(Customer.id).order_by(Customer.id)))
        engine.dispose()
    elif tab:
        from tests.app.conftest import choose_tab

        choose_tab(at, *tab)
    at.run()
    assert not at.exception, at.exception
    leaks = [t for t in _rendered(at) if any(r in t for r in RAW)]
    assert not leaks, leaks


URL_VALUES = ["99999999999999999999999", "²", "-1", "1e5", "0", f"[Session expired](http://{HOST}/login)", "%00", "１"]
URL_READERS = [("pages/customers.py", "customer"), ("pages/feedback.py", "member"), ("pages/meeting.py", "team"),
               ("pages/meeting.py", "period"), ("pages/meeting.py", "kiosk")]


@pytest.mark.parametrize("page,param", URL_READERS, ids=[f"{p}?{q}" for p, q in URL_READERS])
@pytest.mark.parametrize("value", URL_VALUES)
def test_a_hostile_url_value_never_raises_nor_renders_as_markdown(app_at, hostile_url, page, param, value):
    at = app_at(hostile_url, "manager_a", run=True)
    at.switch_page(page)
    at.query_params[param] = value
    at.run()
    assert not at.exception, at.exception
    leaks = [t for t in _rendered(at) if any(r in t for r in RAW)]
    assert not leaks, leaks
