"""Contact-centre calls: each metric against hand-computed answers, and imports of real-looking
sheets (foreign headers, mixed spellings, re-import, bad rows)."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from core import calls, metrics
from core.errors import InvalidInput, PermissionDenied
from db.models import Call

D0, D1 = date(2026, 11, 1), date(2026, 11, 30)
_FINGERPRINTS = itertools.count(1)


def add(session, member, when, answered=True, resolved=False, speed=None, talk=None, csat=None):
    session.add(Call(fingerprint=f"t{next(_FINGERPRINTS)}", member_id=member.id, occurred_at=when, answered=answered, resolved=resolved,
                     speed_of_answer_seconds=speed, talk_seconds=talk, csat=csat))


@pytest.fixture
def call_world(session, world):
    """a1: 4 calls in November (3 answered: waits 10, 20, 30 s; talks 100, 200, 300 s; two resolved;
    ratings 5 and 3) and one in December; a2: 1 missed call."""
    a1, a2 = world.members["a1"], world.members["a2"]
    add(session, a1, datetime(2026, 11, 2, 9), speed=10, talk=100, resolved=True, csat=5)
    add(session, a1, datetime(2026, 11, 3, 9), speed=20, talk=200, resolved=True)
    add(session, a1, datetime(2026, 11, 4, 9), speed=30, talk=300, csat=3)
    add(session, a1, datetime(2026, 11, 30, 23, 59), answered=False, speed=None)  # missed, last minute of the period
    add(session, a1, datetime(2026, 12, 1, 0, 0), speed=999, talk=999, csat=1)  # outside the period
    add(session, a2, datetime(2026, 11, 5, 9), answered=False)
    session.flush()
    return world


def value(session, metric, *members):
    return metrics.measure_value(session, metric, member_ids=[m.id for m in members], start=D0, end=D1)


def test_answer_rate_is_answered_over_offered(session, call_world):
    a1, a2 = call_world.members["a1"], call_world.members["a2"]
    assert value(session, "call_answer_rate", a1) == pytest.approx(75.0)  # 3 of 4
    assert value(session, "call_answer_rate", a2) == 0.0
    assert value(session, "call_answer_rate", a1, a2) == pytest.approx(60.0)  # 3 of 5


def test_first_contact_resolution_is_resolved_over_answered(session, call_world):
    assert value(session, "call_first_contact_resolution", call_world.members["a1"]) == pytest.approx(200 / 3)  # 2 of 3
    assert value(session, "call_first_contact_resolution", call_world.members["a2"]) is None  # nothing answered


def test_average_speed_of_answer_and_handle_time_count_answered_calls(session, call_world):
    a1 = call_world.members["a1"]
    assert value(session, "call_speed_of_answer", a1) == pytest.approx(20.0)  # (10 + 20 + 30) / 3
    assert value(session, "call_handle_time", a1) == pytest.approx(200.0)  # (100 + 200 + 300) / 3


def test_call_csat_averages_the_rated_calls(session, call_world):
    assert value(session, "call_csat", call_world.members["a1"]) == pytest.approx(4.0)  # (5 + 3) / 2
    assert value(session, "call_csat", call_world.members["a2"]) is None


def test_a_team_measures_its_sub_teams_agents(session, call_world):
    by_team = metrics.measure_value(session, "call_answer_rate", team_ids=[call_world.teams["A"].id], start=D0, end=D1)
    assert by_team == pytest.approx(60.0)
    report = calls.call_report(session, call_world.actors["manager_a"], start=D0, end=D1, group="team")
    rows = {r["group"]: r for r in report.to_dict("records")}
    assert rows["Team A1"]["calls"] == 5 and rows["Team A1"]["call_answer_rate"] == pytest.approx(60.0)
    per_agent = calls.call_report(session, call_world.actors["manager_a"], start=D0, end=D1)
    agents = {r["group"]: r for r in per_agent.to_dict("records")}
    assert agents["Alice A1"]["call_handle_time"] == pytest.approx(200.0) and agents["Aaron A2"]["calls"] == 1
    assert calls.rates_chart(per_agent, "en").title == "Answer rate and first-contact resolution"


def test_call_metrics_are_goal_metrics_and_evaluation_criteria():
    from core import evaluations
    from db.models import GOAL_METRICS

    assert set(calls.CALL_METRICS) <= set(GOAL_METRICS) <= set(metrics.MEASURED_METRICS) | {"manual"}
    assert set(calls.CALL_METRICS) <= set(evaluations.MEASURABLE)
    assert metrics.is_lower_better("call_speed_of_answer") and not metrics.is_lower_better("call_answer_rate")


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------
def foreign_sheet(world, n: int) -> pd.DataFrame:
    """A Spanish-language export: agents by name, e-mail or a different case; durations as
    seconds, mm:ss and h:mm:ss; yes/no as Sí/No/1/0."""
    agents = ["Alice A1", "aaron.a2@example.com", "ALICE A1", "Aaron A2"]
    rows = []
    for i in range(n):
        answered = i % 5 != 0
        rows.append({
            "Agente": agents[i % 4],
            "Fecha y hora": (datetime(2026, 11, 1, 8) + timedelta(minutes=8 * i)).strftime("%d/%m/%Y %H:%M" if i % 2 else "%Y-%m-%d %H:%M:%S"),
            "Tema": ["Factura", "Envío", "Devolución"][i % 3],
            "Atendida": ["Sí", "1", "sí", "SI"][i % 4] if answered else ["No", "0"][i % 2],
            "Resuelto": "Sí" if answered and i % 3 else "No",
            "Tiempo de espera": [f"{i % 50}", f"0:{i % 50:02d}", f"{i % 50}s"][i % 3] if answered else "",
            "Duración": [f"{60 + i % 300}", f"{(60 + i % 300) // 60}:{(60 + i % 300) % 60:02d}",
                         f"0:{(60 + i % 300) // 60:02d}:{(60 + i % 300) % 60:02d}"][i % 3] if answered else "",
            "Satisfacción": (1 + i % 5) if answered and i % 2 else None,
        })
    return pd.DataFrame(rows)


def test_a_5000_call_sheet_with_foreign_headers_imports_in_one_go(session, world):
    frame = foreign_sheet(world, 5000)
    mapping = calls.suggest_mapping(list(frame.columns))
    assert mapping == {"agent": "Agente", "time": "Fecha y hora", "topic": "Tema", "answered": "Atendida",
                       "resolved": "Resuelto", "speed_of_answer": "Tiempo de espera", "talk_time": "Duración",
                       "satisfaction": "Satisfacción"}
    result = calls.import_calls(session, world.actors["manager_a"], frame, mapping)
    assert (result.added, result.skipped_duplicates, result.rows) == (5000, 0, 5000)
    assert session.scalar(select(func.count()).select_from(Call).where(Call.answered.is_(True))) == 4000
    # hand check of row i=1 ("01/11/2026 08:08", day first): wait "0:01" = 1 s, talk "1:01" = 61 s
    first = session.execute(select(Call.speed_of_answer_seconds, Call.talk_seconds, Call.topic)
                            .where(Call.occurred_at == datetime(2026, 11, 1, 8, 8))).one()
    assert tuple(first) == (1, 61, "Envío")
    again = calls.import_calls(session, world.actors["manager_a"], frame, mapping)
    assert (again.added, again.skipped_duplicates) == (0, 5000)


def test_a_sheet_with_bad_rows_imports_nothing_and_says_where(session, world):
    frame = pd.DataFrame({
        "坐席": ["Alice A1", "Nobody", "Aaron A2"],
        "通话时间": ["2026-11-02 09:00", "2026-11-02 10:00", "yesterday-ish"],
        "是否接通": ["是", "是", "maybe"],
        "满意度": [5, 9, None],
    })
    mapping = calls.suggest_mapping(list(frame.columns))
    with pytest.raises(InvalidInput) as err:
        calls.import_calls(session, world.actors["admin"], frame, mapping)
    problems = {(e.row, e.key) for e in err.value.errors}
    assert problems == {(2, "calls.error.agent"), (2, "calls.error.csat"), (3, "calls.error.time"), (3, "calls.error.yes_no")}
    assert session.scalar(select(func.count()).select_from(Call)) == 0


def test_a_manager_cannot_import_calls_for_another_teams_agent(session, world):
    frame = pd.DataFrame({"Agent": ["Bella B1"], "Time": ["2026-11-02 09:00"], "Answered": ["yes"]})
    with pytest.raises(InvalidInput) as err:
        calls.import_calls(session, world.actors["manager_a"], frame, calls.suggest_mapping(list(frame.columns)))
    assert err.value.errors[0].key == "calls.error.agent"
    with pytest.raises(PermissionDenied):
        calls.import_calls(session, world.actors["member_a1"], frame, calls.suggest_mapping(list(frame.columns)))


def test_unmapped_required_fields_are_named(session, world):
    frame = pd.DataFrame({"Who": ["Alice A1"]})
    with pytest.raises(InvalidInput) as err:
        calls.import_calls(session, world.actors["admin"], frame, calls.suggest_mapping(list(frame.columns)))
    assert {e.column for e in err.value.errors} == {"agent", "time", "answered"}


@pytest.mark.parametrize("text,expected", [("45", 45), ("1:05", 65), ("1:02:03", 3723), ("3m", 180), ("1h 2m 3s", 3723),
                                           ("90秒", 90), (12.6, 13), ("", None)])
def test_durations_in_the_spellings_sheets_use(text, expected):
    assert calls.parse_seconds(text) == (expected, True)


def test_a_negative_or_wordy_duration_is_refused():
    assert calls.parse_seconds(-5) == (None, False)
    assert calls.parse_seconds("long") == (None, False)
