"""Pipeline page through AppTest: a simulated streamlit-dnd drop moves the deal to the next stage
(stage, probability and an audit row saved), a collaborator who may only read the deal is told
why not, every section renders in both languages, and the forecast shows on Goals and Meeting."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.deals import quarter_of
from db.engine import make_engine
from db.models import AuditLog, CustomerCollaborator, Deal, Product
from db.session import unit_of_work
from tests.factories import build_world, make_deal, make_goal


@pytest.fixture
def pipe_db(sqlite_url):
    engine = make_engine(sqlite_url)
    close = quarter_of(date.today())[1]
    with unit_of_work(engine) as s:
        w = build_world(s)
        deal = make_deal(s, "Alice big deal", w.customers["a1"], w.members["a1"], value=50_000, expected_close=close)
        make_deal(s, "Bella small deal", w.customers["b1"], w.members["b1"], value=900, stage="proposal", expected_close=close)
        s.add(CustomerCollaborator(customer_id=w.customers["a1"].id, member_id=w.members["b1"].id, role="service"))
        s.add(Product(name="Licence", unit_price=1000, currency="CNY"))
        make_goal(s, "Team A quota", team=w.teams["A"], metric="sales_won", target=100_000,
                  start_date=date.today() - timedelta(days=10), end_date=date.today() + timedelta(days=10))
        ids = {"deal": deal.id, "team_A": w.teams["A"].id}
    yield sqlite_url, ids, engine
    engine.dispose()


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success]
    parts += [i.value for i in at.info] + [c.value for c in at.caption]
    return "\n".join(parts)


def _drop(at, deal_id: int, version: int, from_stage: str, to_stage: str, event: str) -> None:
    at.session_state["pipe_dnd"] = {"event_id": event, "from_container": f"pcol-{from_stage}",
                                    "to_container": f"pcol-{to_stage}", "item_key": f"deal-{deal_id}-v{version}",
                                    "from_index": 0, "to_index": 0}
    at.run()


def test_a_drop_moves_the_deal_to_the_next_stage_with_its_probability_and_an_audit_row(app_at, pipe_db):
    url, ids, engine = pipe_db
    at = app_at(url, "manager_a", page="pages/pipeline.py")
    assert not at.exception, at.exception
    assert "Alice big deal" in _texts(at) and "Bella small deal" not in _texts(at)
    _drop(at, ids["deal"], 1, "lead", "qualified", "e1")
    assert not at.exception, at.exception
    assert any("Moved “Alice big deal” to “Qualified”" in s.value for s in at.success)
    with unit_of_work(engine) as s:
        deal = s.get(Deal, ids["deal"])
        assert (deal.stage, deal.probability, deal.version) == ("qualified", 25, 2)
        assert s.scalars(select(AuditLog.action).where(AuditLog.entity == "deal")).all() == ["deal.move"]
    at.run()  # the component re-sends the same event: nothing moves twice
    with unit_of_work(engine) as s:
        assert s.get(Deal, ids["deal"]).version == 2


def test_a_collaborator_who_may_only_read_the_deal_is_told_and_nothing_moves(app_at, pipe_db):
    url, ids, engine = pipe_db
    at = app_at(url, "member_b1", page="pages/pipeline.py")
    assert not at.exception, at.exception
    assert "Alice big deal" in _texts(at)  # b1 is on the customer's account team
    _drop(at, ids["deal"], 1, "lead", "qualified", "e2")
    assert not at.exception, at.exception
    assert any("is not your deal and you do not collaborate on it" in e.value for e in at.error)
    with unit_of_work(engine) as s:
        assert s.get(Deal, ids["deal"]).stage == "lead"


def test_a_drop_onto_lost_asks_for_the_reason_first(app_at, pipe_db):
    url, ids, engine = pipe_db
    at = app_at(url, "manager_a", page="pages/pipeline.py")
    _drop(at, ids["deal"], 1, "lead", "lost", "e3")
    assert not at.exception, at.exception
    with unit_of_work(engine) as s:
        assert s.get(Deal, ids["deal"]).stage == "lead"  # not lost until a reason is given
    assert at.text_input(key="lost_reason") is not None


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("section", ["board", "list", "forecast", "new", "settings"])
def test_every_section_renders(app_at, pipe_db, section, lang):
    url, _, _ = pipe_db
    at = app_at(url, "admin", page="pages/pipeline.py", lang=lang, run=True)
    at.session_state["pipe_section"] = section
    at.run()
    assert not at.exception, at.exception
    texts = _texts(at)
    assert "None" not in texts and "nan" not in texts.split()
    shows = {
        "board": lambda: "Alice big deal" in texts and "Bella small deal" in texts,
        "list": lambda: len(at.dataframe) == 1,
        "forecast": lambda: len(at.metric) == 10 and len(at.dataframe) == 1,
        "new": lambda: at.text_input(key="pipe_new_0_title") is not None,
        "settings": lambda: len(at.dataframe) == 2 and len(at.get("form")) == 2,
    }
    assert shows[section](), section


def test_the_forecast_shows_on_the_goals_and_meeting_pages(app_at, pipe_db):
    url, ids, _ = pipe_db
    at = app_at(url, "manager_a", page="pages/meeting.py")
    assert not at.exception, at.exception
    assert "Sales forecast" in [h.value for h in at.subheader]
    assert any(m.label == "Won" for m in at.metric)
    at = app_at(url, "manager_a", page="pages/goals.py")
    assert not at.exception, at.exception
    assert any("Sales forecast" in e.label for e in at.expander)


def test_the_customer_book_filters_where_i_collaborate_and_shows_the_account_team(app_at, pipe_db):
    url, _, _ = pipe_db
    at = app_at(url, "member_b1", page="pages/customers.py")
    assert not at.exception, at.exception
    at.session_state["f_relation"] = "collab"
    at.run()
    assert not at.exception, at.exception
    texts = "\n".join(str(d.value) for d in at.dataframe)
    assert "Customer of Alice A1" in texts and "Customer of Bella B1" not in texts


def test_move_to_from_the_column_picker_moves_without_dragging(app_at, pipe_db):
    url, ids, engine = pipe_db
    at = app_at(url, "manager_a", page="pages/pipeline.py")
    at.selectbox(key="dpick-lead-0").set_value(ids["deal"]).run()
    assert not at.exception, at.exception
    at.selectbox(key="dlg_stage").set_value("proposal").run()
    at.button(key="dlg_move").click().run()
    assert not at.exception, at.exception
    with unit_of_work(engine) as s:
        deal = s.get(Deal, ids["deal"])
        assert (deal.stage, deal.probability) == ("proposal", 50)
    assert any("Moved “Alice big deal” to “Proposal”" in s.value for s in at.success)


def test_a_member_creates_a_deal_with_a_catalogue_line_from_the_form(app_at, pipe_db):
    url, _, engine = pipe_db
    at = app_at(url, "member_a1", page="pages/pipeline.py")
    at.session_state["pipe_section"] = "new"
    at.run()
    at.text_input(key="pipe_new_0_title").input("Expansion 2027")
    at.multiselect(key="pipe_new_0_products").select(next(iter(at.multiselect(key="pipe_new_0_products").options)))
    at.run()
    product_keys = [n.key for n in at.number_input if n.key and n.key.startswith("pipe_new_0_q")]
    at.number_input(key=product_keys[0]).set_value(3.0)
    at.run()
    at.button(key="pipe_new_0_create").click().run()
    assert not at.exception, at.exception
    assert any("Created the deal “Expansion 2027”" in s.value for s in at.success)
    with unit_of_work(engine) as s:
        deal = s.scalar(select(Deal).where(Deal.title == "Expansion 2027"))
        assert deal.value == 3000 and deal.stage == "lead" and deal.probability == 10


def test_a_lost_deal_needs_its_reason_in_the_dialog(app_at, pipe_db):
    url, ids, engine = pipe_db
    at = app_at(url, "manager_a", page="pages/pipeline.py")
    _drop(at, ids["deal"], 1, "lead", "lost", "e9")
    at.button(key="lost_submit").click().run()
    assert any("Say why the deal was lost" in e.value for e in at.error)
    at.text_input(key="lost_reason").input("Budget cut").run()
    at.button(key="lost_submit").click().run()
    assert not at.exception, at.exception
    with unit_of_work(engine) as s:
        deal = s.get(Deal, ids["deal"])
        assert (deal.stage, deal.close_reason, deal.probability) == ("lost", "Budget cut", 0)


def test_a_deal_link_opens_that_deal_once(app_at, pipe_db):
    """/pipeline?deal=<id> (the records behind a scorecard number) opens the deal's dialog."""
    url, ids, engine = pipe_db
    at = app_at(url, "manager_a", run=False)
    at.query_params["deal"] = str(ids["deal"])
    at.run()
    at.switch_page("pages/pipeline.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["_deal_dialog"][:2] == ("deal", ids["deal"])
    assert "Alice big deal" in _texts(at)
