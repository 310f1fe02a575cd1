"""AppTest fixtures: the real app.py with a signed-in user, on a fresh SQLite file.

Signing in sets the same session-state keys the authenticator sets after a login, so AppTests
exercise navigation and pages; the login form itself is covered by the browser tests."""
from __future__ import annotations

import os

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app_at(monkeypatch):
    """`app_at(url, username=None, page=None, lang='en')` -> an AppTest that has run once."""

    def make(url: str, username: str | None = None, page: str | None = None, lang: str = "en",
             timeout: float = 30, run: bool = True) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("CLIENTCREW_COOKIE_KEY", "test-cookie-key-" + "x" * 40)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        at.query_params["lang"] = lang
        if username:
            at.session_state["authentication_status"] = True
            at.session_state["username"] = username
            at.session_state["name"] = username
            at.session_state["logout"] = False
        if run:
            at.run()
            if page:
                at.switch_page(page)
                at.run()
        return at

    return make
