"""A member logs a complaint in the browser; once the team's 3-second response target passes, the
manager sees the breach flag on the Service page and, written by the worker running beside the
server (as `make run` starts it), the escalation on Home."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core import service
from db.engine import make_engine
from db.session import unit_of_work
from tests.e2e.helpers import login, wait_for_app
from tests.factories import build_world

PASSWORD = "secret123"


@pytest.fixture
def server(sqlite_url, live_server):
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        w = build_world(s)
        # Team A1 (member_a1's team): respond to medium complaints within 3 seconds
        service.set_service_target(s, w.actors["admin"], w.teams["A1"].id, "medium", 3, 60)
    engine.dispose()
    root = Path(__file__).resolve().parents[2]
    worker = subprocess.Popen(
        [sys.executable, "-m", "core.worker", "--interval", "1", "--url", sqlite_url], cwd=root,
        env={**os.environ, "CLIENTCREW_SLA_SECONDS": "2"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        yield live_server(sqlite_url)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def open_service(page) -> None:
    page.get_by_role("link", name="Service").click()
    wait_for_app(page)


def test_member_logs_a_complaint_and_manager_sees_the_breach(server, new_page):
    member = new_page()
    login(member, server, "member_a1", PASSWORD)
    open_service(member)
    member.get_by_role("tab", name="Log a complaint").click()
    wait_for_app(member)
    expect(member.get_by_text("Suggested assignee: Alice A1")).to_be_visible()
    member.get_by_label("Title", exact=True).fill("Invoice billed twice")
    member.get_by_role("button", name="Log complaint").click()
    wait_for_app(member)
    expect(member.get_by_text("logged")).to_be_visible()

    manager = new_page()
    login(manager, server, "manager_a", PASSWORD)
    open_service(manager)
    # the 3-second target has passed by now; the live list (refreshing every 15 s) flags it
    expect(manager.get_by_text("1 complaint breached a target")).to_be_visible(timeout=20000)
    manager.goto(f"{server}/?lang=en")
    wait_for_app(manager)
    expect(manager.get_by_text("1 unread")).to_be_visible()
    expect(manager.get_by_text("Complaint response target breached · Customer of Alice A1 · Invoice billed twice")).to_be_visible()
