"""Which tables a read touched (db.read_tracking), and the read cache keeping an entry until one of
them is written (ui.read_cache with per-table stamps)."""
from __future__ import annotations

from sqlalchemy import update

from core import auth, customers, tasks
from db.models import Customer, Task
from db.read_tracking import collecting, note, tables_in
from db.session import read_session, table_stamps, unit_of_work
from ui.read_cache import ReadCache


def test_a_statement_names_its_tables_and_only_the_schemas_tables():
    sql = 'SELECT tasks.id, customers.name FROM tasks JOIN "customers" ON customers.id = tasks.customer_id'
    assert tables_in(sql) == {"tasks", "customers"}
    assert tables_in("SELECT 1") == set()
    assert tables_in("SELECT customer_id FROM interactions") == {"interactions"}  # not "customers"


def test_nested_collectors_each_see_what_was_read_inside_them():
    with collecting() as outer:
        note({"teams"})
        with collecting() as inner:
            note({"tasks"})
        note({"members"})
    assert inner == {"tasks"} and outer == {"teams", "tasks", "members"}
    note({"goals"})  # no collector open: nothing to add to, nothing fails


def _manager(s):
    return auth.actor_for_username(s, "manager_a")


def _customer_list(engine):
    with read_session(engine) as s:
        return len(customers.list_customers(s, _manager(s), customers.CustomerFilters(), "name", False, 0, 10).rows)


def _stamps(engine) -> dict[str, int]:
    with read_session(engine) as s:
        return table_stamps(s)


def test_a_real_core_read_reports_the_tables_it_queried(engine, world):
    with collecting() as read:
        _customer_list(engine)
    assert "customers" in read and "tasks" not in read


def test_an_entry_stays_warm_through_writes_to_tables_it_did_not_read(engine, world):
    cache = ReadCache()
    calls = []

    def read_customers():
        calls.append(1)
        return _customer_list(engine)

    cache.get("customers", read_customers, _stamps(engine))
    cache.get("customers", read_customers, _stamps(engine))
    assert len(calls) == 1
    with unit_of_work(engine) as s:  # a task moved on the board: the customer list does not read tasks
        s.execute(update(Task).values(title=Task.title))
    cache.get("customers", read_customers, _stamps(engine))
    assert len(calls) == 1
    with unit_of_work(engine) as s:  # a customer renamed: the list is read again
        s.execute(update(Customer).values(name=Customer.name))
    cache.get("customers", read_customers, _stamps(engine))
    assert len(calls) == 2


def test_a_view_depends_on_what_its_inner_cached_read_read_even_on_a_hit(engine, world):
    cache = ReadCache()
    team_id = world.teams["A"].id

    def board():
        with read_session(engine) as s:
            return tasks.board(s, _manager(s), team_id, "status")

    def board_view():
        return len(cache.get("board", board, _stamps(engine)).columns)

    cache.get("board", board, _stamps(engine))  # the inner read is warm first
    cache.get("view", board_view, _stamps(engine))  # its hit still tells the view what it read
    inner, outer = cache._entries["board"].tables, cache._entries["view"].tables
    assert "tasks" in inner and inner <= outer
    built = []

    def counted_view():
        built.append(1)
        return board_view()

    cache.get("counted", counted_view, _stamps(engine))
    with unit_of_work(engine) as s:  # a task changed: the board, and so the view of it, is rebuilt
        s.execute(update(Task).values(title=Task.title))
    cache.get("counted", counted_view, _stamps(engine))
    assert len(built) == 2
