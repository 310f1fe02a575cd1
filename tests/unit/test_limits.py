"""Limits on stored values in one place (core.limits), on SQLite and PostgreSQL: every user text
field has a maximum by kind and refuses NUL bytes, every number is finite and bounded, each named
in user words; the check runs on every flush, so each core write and each import obeys it."""
from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Float, Integer, Numeric, String, Text, select

from core import i18n, imports, limits, recognition, tasks, training
from core.errors import InvalidInput
from core.goals import record_check_in
from db.models import Base, CheckIn, Deal, Member, Recognition, Task, Training
from tests.unit.test_imports import count, csv_bytes

USER_TABLES = [t for t in Base.metadata.sorted_tables if t.name not in limits.SYSTEM_TABLES]
TEXT_COLUMNS = [(t, c) for t in USER_TABLES for c in t.columns if isinstance(c.type, (String, Text))]
NUMBER_COLUMNS = [(t, c) for t in USER_TABLES for c in t.columns
                  if isinstance(c.type, (Integer, Float, Numeric)) and not c.primary_key and not c.foreign_keys]


def _id(pair) -> str:
    return f"{pair[0].name}.{pair[1].name}"


@pytest.mark.parametrize("pair", TEXT_COLUMNS + NUMBER_COLUMNS, ids=_id)
def test_every_user_field_is_named_in_user_words_in_both_languages(pair):
    table, column = pair
    key = limits.label(table.name, column.name)
    assert key != "limits.field.value" or column.name == "value", key
    assert i18n.has_key(key)
    zh, en = i18n.t(key, "zh"), i18n.t(key, "en")
    assert zh != en and "_" not in en, (zh, en)


@pytest.mark.parametrize("pair", TEXT_COLUMNS, ids=_id)
def test_every_text_field_has_a_maximum_within_its_column_and_refuses_nul(pair):
    table, column = pair
    limit = limits.text_limit(table.name, column)
    width = getattr(column.type, "length", None)
    assert limit and limit <= max(limits.TEXT_KINDS.values()) and (width is None or limit <= width)
    assert limits.value_problems(table.name, column, "x" * limit) == []
    [too_long] = limits.value_problems(table.name, column, "x" * (limit + 1))
    assert (too_long.key, too_long.params["n"], too_long.column) == ("limits.too_long", limit, limits.label(table.name, column.name))
    assert [p.key for p in limits.value_problems(table.name, column, "\x00")] == ["sec.nul_refused"]


@pytest.mark.parametrize("pair", NUMBER_COLUMNS, ids=_id)
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e30, -1e30, Decimal("1e30"), Decimal("NaN"), 10**13])
def test_every_number_field_refuses_what_is_not_finite_or_far_out_of_range(pair, value):
    table, column = pair
    [problem] = limits.value_problems(table.name, column, value)
    assert problem.key in ("limits.not_a_number", "limits.out_of_range")
    assert i18n.has_key(problem.column)


@pytest.mark.parametrize("kind,column,value,ok", [
    ("probability", "probability", 101, 100), ("capacity", "max_customers", 10**10, 100_000),
    ("money", "value", Decimal("1e13"), Decimal("999999999999")), ("rating", "csat", 1000, 5),
])
def test_number_kinds_have_their_own_range(kind, column, value, ok):
    table = {"probability": Deal, "capacity": Member, "money": Deal, "rating": CheckIn}[kind].__table__
    if column not in table.columns:
        table = Base.metadata.tables["surveys"]
    col = table.columns[column]
    assert limits.value_problems(table.name, col, ok) == []
    assert [p.key for p in limits.value_problems(table.name, col, value)] == ["limits.out_of_range"]


# Real core writes: the check runs at every flush, whichever function wrote -------------------
def _write(kind, session, world, value):
    manager, member = world.actors["manager_a"], world.actors["member_a1"]
    if kind == "title":
        return tasks.create_task(session, manager, title=value, assignee_id=world.members["a1"].id)
    if kind == "note":
        return tasks.create_task(session, manager, title="ok", description=value, assignee_id=world.members["a1"].id)
    if kind == "comment":
        return record_check_in(session, member, world.goals["a1"].id, 1.0, comment=value)
    if kind == "praise":
        return recognition.give_praise(session, member, world.members["a2"].id, value)
    if kind == "outcome":
        return tasks.add_note(session, manager, world.tasks["a1"].id, value)
    if kind == "name":
        return training.create_training(session, manager, team_id=world.teams["A"].id, topic="Onboarding",
                                        held_on=date.today(), hours=1.0, trainer=value)
    raise AssertionError(kind)


KIND_LIMITS = {"title": 200, "note": 10_000, "comment": 4_000, "praise": 4_000, "name": 120}
OWN_RULE = {"title", "comment", "praise"}  # tasks, check-ins and praise also check length themselves
KIND_MODELS = {"title": Task, "note": Task, "comment": CheckIn, "praise": Recognition, "name": Training}


@pytest.mark.parametrize("kind", sorted(KIND_LIMITS))
def test_core_writes_refuse_text_over_the_limit_and_nul_bytes_and_store_nothing(session, world, kind):
    before = count(session, KIND_MODELS[kind])
    for bad, key in (("y" * (KIND_LIMITS[kind] + 1), "limits.too_long"), ("bad\x00text", "sec.nul_refused")):
        with pytest.raises(InvalidInput) as exc:
            _write(kind, session, world, bad)
        session.rollback()
        # the module's own rule may speak first (a praise is at most 500 characters); else core.limits
        assert key in {e.key for e in exc.value.errors} or (key == "limits.too_long" and kind in OWN_RULE), exc.value.errors
        assert all(i18n.has_key(e.column) for e in exc.value.errors if e.key == key)
        assert count(session, KIND_MODELS[kind]) == before
    _write(kind, session, world, "y" * 100)
    session.flush()
    assert count(session, KIND_MODELS[kind]) == before + 1


@pytest.mark.parametrize("value", [math.inf, 1e30, -1e300])
def test_a_check_in_value_that_is_not_a_real_number_is_refused(session, world, value):
    with pytest.raises(InvalidInput) as exc:
        record_check_in(session, world.actors["member_a1"], world.goals["a1"].id, value)
    session.rollback()
    assert {e.column for e in exc.value.errors} == {"limits.field.check_ins.value"}
    assert session.scalar(select(CheckIn.id)) is None


@pytest.mark.parametrize("hours", [math.inf, 1e9])
def test_training_hours_are_bounded(session, world, hours):
    with pytest.raises(InvalidInput):
        training.create_training(session, world.actors["manager_a"], team_id=world.teams["A"].id, topic="T",
                                 held_on=date.today(), hours=hours)
    session.rollback()


def test_the_message_names_the_field_in_user_words(session, world):
    with pytest.raises(InvalidInput) as exc:
        _write("note", session, world, "z" * 10_001)
    session.rollback()
    [error] = exc.value.errors
    assert i18n.t(error.column, "en") == "Description" and i18n.t(error.column, "zh") == "描述"
    assert i18n.t(error.key, "en", **error.params) == "At most 10000 characters (now 10001)."


# Imports: the same limits, row by row, naming the file's column -------------------------------
MEMBER_HEADER = "name,team,role,max_customers\n"
DEAL_HEADER = "title,customer,value\n"


@pytest.mark.parametrize("kind,text,column", [
    ("members", MEMBER_HEADER + "Zed,Team A1,account_manager,10000000000\n", "max_customers"),
    ("members", MEMBER_HEADER + "Zed,Team A1,account_manager,inf\n", "max_customers"),
    ("members", MEMBER_HEADER + "Zed,Team A1,account_manager,1e30\n", "max_customers"),
    ("deals", DEAL_HEADER + "Big,Acme A1,1e30\n", "value"),
    ("deals", DEAL_HEADER + "Big,Acme A1,inf\n", "value"),
    ("deals", DEAL_HEADER + "Big,Acme A1,NaN\n", "value"),
    ("deals", DEAL_HEADER + "Big,Acme A1,1000000000000\n", "value"),
])
def test_an_import_of_huge_or_infinite_numbers_gives_a_row_error_not_a_crash(session, world, kind, text, column):
    text = text.replace("Acme A1", world.customers["a1"].name)
    frame = imports.read_table(csv_bytes(text), "f.csv")
    mapping = {c: c for c in frame.columns}
    model = {"members": Member, "deals": Deal}[kind]
    before = count(session, model)
    with pytest.raises(InvalidInput) as exc:
        imports.commit_import(session, world.actors["manager_a"], kind, frame, mapping, {})
    session.rollback()
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, column)], exc.value.errors
    assert count(session, model) == before


def test_an_import_refuses_nul_bytes_row_by_row(session, world):
    text = "title,customer,value\nGood,{c},10\nBad\x00title,{c},10\n".format(c=world.customers["a1"].name)
    frame = imports.read_table(csv_bytes(text), "f.csv")
    prepared = imports.prepare(session, world.actors["manager_a"], "deals", frame, {c: c for c in frame.columns})
    assert [(e.row, e.column, e.key) for e in prepared.errors] == [(3, "title", "sec.nul_refused")]


# Forms: a number typed into an edited table is bounded on its own row ------------------------
@pytest.mark.parametrize("field,value,ok", [("max_customers", 10**10, False), ("max_open_tasks", 1e10, False),
                                            ("max_customers", math.inf, False), ("max_customers", 100_000, True)])
def test_a_roster_capacity_out_of_range_is_a_row_error(session, world, field, value, ok):
    from core import roster
    from tests.unit.test_roster import refusal, row_for, rows_of

    actor = world.actors["manager_a"]
    rows = rows_of(session, actor)
    row_for(rows, "Aaron A2")[field] = value
    if ok:
        roster.save_members(session, actor, rows)
        assert session.get(Member, world.members["a2"].id).max_customers == value
        return
    error = refusal(roster.save_members, session, actor, rows)
    position = [r["name"] for r in rows].index("Aaron A2") + 1
    column = roster.COL_MAX_CUSTOMERS if field == "max_customers" else roster.COL_MAX_OPEN_TASKS
    assert [(e.row, e.column) for e in error.errors] == [(position, column)]
    assert error.errors[0].key in ("limits.out_of_range", "roster.capacity_not_number")
