"""AppTest fixtures: the real app.py with a signed-in user, on a fresh SQLite file.

Signing in opens a real server-side session (core.sessions) and hands its token to the app as a
login would, so AppTests exercise navigation and pages; the login form itself is covered by the
browser tests."""
from __future__ import annotations


import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import i18n
from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def choose_tab(at: AppTest, key: str, label_key: str) -> AppTest:
    """Select a lazy tab (ui.tabs: only the open tab runs) for the next run, as a click on
    it would: its session-state value is the tab's label in the session's language."""
    lang = at.query_params.get("lang", "en")
    at.session_state[key] = i18n.t(label_key, lang)
    return at


def open_tab(at: AppTest, key: str, label_key: str) -> AppTest:
    """Click a lazy tab and rerun."""
    return choose_tab(at, key, label_key).run()


def signed_in_token(url: str, username: str) -> str:
    """A live server-side session for `username` (what a login hands the app)."""
    from core.sessions import start_for_username
    from db.engine import make_engine

    engine = make_engine(url)
    try:
        return start_for_username(engine, username)
    finally:
        engine.dispose()


@pytest.fixture
def app_at(monkeypatch):
    """`app_at(url, username=None, page=None, lang='en', tab=None)` -> an AppTest that has run
    once; `tab=(session key, label key)` opens that tab of the page first."""

    def make(url: str, username: str | None = None, page: str | None = None, lang: str = "en",
             timeout: float = 30, run: bool = True, tab: tuple[str, str] | None = None) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("CLIENTCREW_COOKIE_KEY", "test-cookie-key-" + "x" * 40)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        at.query_params["lang"] = lang
        if username:
            at.session_state["_session_token"] = signed_in_token(url, username)
        if run:
            at.run()
            if page:
                at.switch_page(page)
                if tab:
                    choose_tab(at, *tab)
                at.run()
        return at

    return make
