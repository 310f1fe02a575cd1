"""A manager imports customers from a CSV whose headers are not our field names: maps them, sees
the one bad row's error with nothing saved, fixes the file and imports it."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from db.engine import make_engine
from db.models import Customer
from db.session import read_session, unit_of_work
from tests.e2e.helpers import login, wait_for_app
from tests.factories import build_world

PASSWORD = "secret123"
expect.set_options(timeout=15_000)  # the shared test machine can be slow to rerun
HEADER = "Kundenname,Sector,Company Size,Area,Account Manager\n"
BAD = HEADER + "Acme Trading,retail,small,华东,Alice A1\nBeta Foods,retail,medium,华东,Nobody Known\n"
GOOD = HEADER + "Acme Trading,retail,small,华东,Alice A1\nBeta Foods,retail,medium,华东,Aaron A2\n"


@pytest.fixture
def setup(sqlite_url, live_server):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        build_world(s)
    yield live_server(sqlite_url), engine
    engine.dispose()


def customer_count(engine) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(Customer))


def upload(page, text: str) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "customers.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}]
    )
    wait_for_app(page)


def map_name_column(page) -> None:
    """'Kundenname' is not guessed: the user tells us it is the customer's name."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Kundenname").locator("input").click()
    page.get_by_role("option", name="Name (required)").click()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Check")).to_be_visible()


def test_manager_maps_headers_sees_the_bad_row_then_imports_the_fixed_file(setup, new_page):
    server, engine = setup
    before = customer_count(engine)
    page = new_page()
    login(page, server, "manager_a", PASSWORD)
    page.get_by_role("link", name="Customers").click()
    wait_for_app(page)
    page.get_by_role("tab", name="Import").click()
    wait_for_app(page)

    upload(page, BAD)
    expect(page.get_by_text("Read 2 rows and 5 columns.")).to_be_visible()
    expect(page.get_by_text("No column is mapped to the required field “name”.")).to_be_visible()
    map_name_column(page)
    page.get_by_role("button", name="Check").click()
    wait_for_app(page)
    # Issue 11: the errors are a table (row, column, value, reason) with a download, and the valid
    # rows may be imported on their own only when the user asks for it.
    expect(page.get_by_text("1 of 2 rows have errors, all listed below.")).to_be_visible()
    expect(page.get_by_role("button", name="Download all errors (row, column, value, reason)")).to_be_visible()
    expect(page.get_by_text("New 1 · updated 0 · unchanged 0 · refused 1")).to_be_visible()
    expect(page.get_by_role("button", name="Import 1 row")).to_have_count(0)
    assert customer_count(engine) == before

    upload(page, GOOD)
    map_name_column(page)
    page.get_by_role("button", name="Check").click()
    wait_for_app(page)
    expect(page.get_by_text("All 2 rows are valid and ready to import.")).to_be_visible()
    page.get_by_role("button", name="Import 2 rows").click()
    wait_for_app(page)
    expect(page.get_by_text("Imported 2 customers: 2 assigned, 0 in the unassigned queue.")).to_be_visible()
    assert customer_count(engine) == before + 2
