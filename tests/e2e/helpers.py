"""Helpers for browser tests: waiting for Streamlit to settle and logging in."""
from __future__ import annotations

import time

from playwright.sync_api import Locator, Page, expect

from core.config import COOKIE_NAME

DEMO_PASSWORD = "demo1234"


def wait_for_app(page: Page, timeout: float = 20.0, stable_ms: int = 500) -> None:
    """Wait until the script is not running and stays so for `stable_ms` (custom components start
    a second run 100-800 ms after the first)."""
    deadline = time.monotonic() + timeout
    # Before the first run the frontend shows an empty, "notRunning" app: wait for content first.
    page.locator('[data-testid="stMain"] [data-testid="stElementContainer"]').first.wait_for(
        state="attached", timeout=timeout * 1000
    )
    app = page.locator('[data-testid="stApp"]')
    stable_since = None
    while time.monotonic() < deadline:
        try:
            state = app.get_attribute("data-test-script-state", timeout=1000)
        except Exception:  # noqa: BLE001 - page still loading
            state = None
        if state == "notRunning":
            stable_since = stable_since or time.monotonic()
            if (time.monotonic() - stable_since) * 1000 >= stable_ms:
                return
        else:
            stable_since = None
        page.wait_for_timeout(100)
    raise AssertionError("Streamlit did not settle in time")


def login(page: Page, base_url: str, username: str, password: str = DEMO_PASSWORD, path: str = "", lang: str = "en") -> None:
    """Open `path`, fill the login form and wait until the app has rendered signed in."""
    sep = "&" if "?" in path else "?"
    page.goto(f"{base_url}/{path}{sep}lang={lang}")
    wait_for_app(page)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    wait_for_app(page)
    expect(page.get_by_role("button", name="Log out")).to_be_visible(timeout=15000)
    # The auth cookie is written by JavaScript shortly after login: wait for it before any reload.
    wait_for_session_cookie(page, present=True)


def wait_for_session_cookie(page: Page, present: bool, timeout: float = 15.0) -> None:
    """Wait until the browser holds the session cookie (`present`) or no longer holds it; the app
    writes and deletes it with JavaScript a moment after the run that signed in or out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = any(c["name"] == COOKIE_NAME and c["value"] for c in page.context.cookies())
        if held == present:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the session cookie was {'never written' if present else 'never deleted'}")


def wait_for_drop_line(page: Page, target: Locator, timeout: float = 15.0) -> None:
    """During a drag, wait until streamlit-dnd shows its insertion line inside `target` (the drop
    would land there), instead of pausing and hoping the last dragover was handled."""
    page.wait_for_function(
        """(el) => {
            const line = document.querySelector('.stdnd-line-indicator');
            if (!el || !line || line.style.display === 'none') return false;
            const l = line.getBoundingClientRect(), b = el.getBoundingClientRect();
            const x = l.left + l.width / 2, y = l.top + l.height / 2;
            return l.width > 0 && x >= b.left - 4 && x <= b.right + 4 && y >= b.top - 4 && y <= b.bottom + 4;
        }""", arg=target.element_handle(), timeout=timeout * 1000)
