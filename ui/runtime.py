"""The app's Streamlit runtime: one engine per database URL, the per-run memo and the data
revision, the cached reads of app.py's login gate, the acting user, and the `runpy` workaround
that sends a page opened directly (a cold server's old multipage mode) through app.py.
"""
from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import auth, config
from core.permissions import Actor
from db.engine import database_url, make_engine
from db.session import current_revision, read_session, unit_of_work

ENTRY_SCRIPT = Path(__file__).resolve().parent.parent / "app.py"
ACTOR_KEY = "_actor"
LANG_KEY = "_lang"
FLASH_KEY = "_flash"


# ---------------------------------------------------------------------------------------------
# Engine and sessions
# ---------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _engine_for(url: str):
    return make_engine(url)


def engine():
    """One engine per database URL for the whole server process."""
    return _engine_for(database_url())


_RUN_ATTR = "_clientcrew_run"


def _run_memo() -> dict:
    """A dict that lives for one script run: every rerun and every fragment run starts afresh
    (Streamlit gives each run a new `parallel_coordinator`, which serves as the run's marker)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return {}
    marker = ctx.parallel_coordinator
    memo = getattr(ctx, _RUN_ATTR, None)
    if memo is None or memo[0] is not marker:
        memo = (marker, {})
        setattr(ctx, _RUN_ATTR, memo)
    return memo[1]


def revision() -> int:
    """The data revision (one tiny query, read once per run); caches key on it, so a write
    anywhere, through any server, invalidates them at the next run."""
    memo = _run_memo()
    value = memo.get("revision")
    if value is None:
        with engine().connect() as connection:
            value = current_revision(connection)
        memo["revision"] = value
    return value


def _forget_revision() -> None:
    """After this session's own write: the rest of the run reads the new revision."""
    _run_memo().pop("revision", None)


# ---------------------------------------------------------------------------------------------
# Reads for app.py's login gate (declared here, once per process, not on every run of app.py)
# ---------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def cookie_key() -> str:
    return config.cookie_key()


@st.cache_data(ttl=300, show_spinner=False)
def actor_for(username: str, rev: int) -> Actor | None:
    with read_session(engine()) as s:
        return auth.actor_for_username(s, username)


@st.cache_data(ttl=60, show_spinner=False)
def demo_on(rev: int) -> bool:
    from core.workspace import demo_is_on

    with read_session(engine()) as s:
        return demo_is_on(s)


@st.cache_data(ttl=60, show_spinner=False)
def needs_setup(rev: int) -> bool:
    """No login exists yet: app.py shows the welcome screen (explore the demo or set up)."""
    from core.workspace import needs_setup as empty

    with read_session(engine()) as s:
        return empty(s)


@st.cache_data(ttl=60, show_spinner=False)
def workspace_settings(rev: int):
    from core.workspace import get_settings

    with read_session(engine()) as s:
        return get_settings(s)


@st.cache_data(ttl=300, show_spinner=False)
def must_change_password(user_id: int, rev: int) -> bool:
    """A one-time password from the roster still in use (it changes only by a write, which makes
    a new revision)."""
    from core.first_login import must_change_password as pending

    with read_session(engine()) as s:
        return pending(s, user_id)


# ---------------------------------------------------------------------------------------------
# Acting user and language
# ---------------------------------------------------------------------------------------------
def actor() -> Actor:
    """The signed-in user; app.py sets it before any page runs."""
    value = st.session_state.get(ACTOR_KEY)
    if value is None:
        st.stop()
    return value



def _enter_through_app() -> None:
    """Run app.py instead of this page, then stop this run.

    With a `pages/` folder beside app.py, a fresh server process first emulates Streamlit's old
    file-based multipage mode: a deep link such as /meeting runs pages/meeting.py directly, without
    app.py's login and navigation (the page would stop, blank). app.py signs the user in (or shows
    the login form) and runs the requested page through st.navigation, which also ends the
    emulation for every later session of the process."""
    runpy.run_path(str(ENTRY_SCRIPT), run_name="__main__")
    st.stop()



def run_unit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run `fn(session, *args, **kwargs)` as one transaction, for the screens that have no acting
    user yet or act before one is set (the login form, the welcome screen, the language choice).
    A refusal (DomainError) propagates to the caller, which shows it."""
    with unit_of_work(engine()) as s:
        return fn(s, *args, **kwargs)


def build_demo() -> None:
    """The welcome screen's "Explore the demo": build the demo workspace in this database."""
    from demo import ensure_demo

    ensure_demo(engine())
