"""Browser-test fixtures: real `streamlit run` servers and Debian's Chromium driven by Playwright.

Never `playwright install`: the browser is /usr/bin/chromium (installed by .ci/run). Without it the
tests skip locally and fail in CI (CLIENTCREW_REQUIRE_ALL=1)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_ALL, ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, db_url: str, log_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "CLIENTCREW_COOKIE_KEY": "e2e-cookie-key-" + "k" * 40,
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.log_path = log_dir / f"streamlit-{self.port}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"streamlit did not start:\n{self.log_path.read_text()}")

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@pytest.fixture
def live_server(tmp_path):
    """`live_server(db_url, extra_env=None) -> base_url`; every server started is stopped at teardown.
    `live_server.servers` holds the LiveServer objects (for their logs)."""
    servers: list[LiveServer] = []

    def start(db_url: str, extra_env: dict[str, str] | None = None) -> str:
        server = LiveServer(db_url, tmp_path, extra_env)
        servers.append(server)
        return server.base_url

    start.servers = servers  # type: ignore[attr-defined]
    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if REQUIRE_ALL:
            pytest.fail("Chromium is required in CI but /usr/bin/chromium is missing")
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    """`new_page(viewport=None) -> Page` in a fresh context (own cookies); closed at teardown."""
    contexts = []

    def make(viewport: dict | None = None):
        context = browser.new_context(viewport=viewport or {"width": 1400, "height": 900}, locale="en-US")
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
