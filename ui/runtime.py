"""The app's Streamlit runtime: one engine per database URL, the data revision read once per run,
the process-wide read cache and the reads of app.py's login gate, the acting user, and the `runpy` workaround
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
from db.session import read_session, table_stamps, unit_of_work
from ui.read_cache import ReadCache, freeze

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


def _run_state() -> dict:
    """What belongs to one script run (only its data revision): every rerun and every fragment run
    starts afresh (Streamlit gives each run a new `parallel_coordinator`, which serves as the
    run's marker). Not a cache: the revision is what the run's cache keys are made from."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return {}
    marker = ctx.parallel_coordinator
    held = getattr(ctx, _RUN_ATTR, None)
    if held is None or held[0] is not marker:
        held = (marker, {})
        setattr(ctx, _RUN_ATTR, held)
    return held[1]


def stamps() -> dict[str, int]:
    """The revision at which each table was last written (one small query, read once per run).
    Cached reads are checked against it, so a write anywhere, through any server, invalidates
    at the next run exactly the reads that depend on what it wrote."""
    state = _run_state()
    value = state.get("stamps")
    if value is None:
        with engine().connect() as connection:
            value = table_stamps(connection)
        state["stamps"] = value
    return value


def _forget_stamps() -> None:
    """After this session's own write: the rest of the run reads the new table revisions."""
    _run_state().pop("stamps", None)


# ---------------------------------------------------------------------------------------------
# The read cache, and the reads of app.py's login gate
# ---------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _read_cache() -> ReadCache:
    """One cache of reads per server process, shared by its sessions: with the process-wide
    resources (engine, keys), the app's only cache (see ui.data.cached and ui.data.view)."""
    return ReadCache(max_entries=2000)


@st.cache_resource(show_spinner=False)
def cookie_key() -> str:
    return config.cookie_key()


def _gate_read(query: Callable[..., Any], *args: Any) -> Any:
    """`query(session, *args)` for app.py's login gate (no acting user yet), through the read
    cache keyed by the database and the arguments, valid until a table it read is written."""
    key = (database_url(), "gate", query, freeze(args))

    def compute() -> Any:
        with read_session(engine()) as s:
            return query(s, *args)

    return _read_cache().get(key, compute, stamps())


def actor_for(username: str) -> Actor | None:
    return _gate_read(auth.actor_for_username, username)


def demo_on() -> bool:
    from core.workspace import demo_is_on

    return _gate_read(demo_is_on)


def needs_setup() -> bool:
    """No login exists yet: app.py shows the welcome screen (explore the demo or set up)."""
    from core.workspace import needs_setup as empty

    return _gate_read(empty)


def workspace_settings():
    from core.workspace import get_settings

    return _gate_read(get_settings)


def must_change_password(user_id: int) -> bool:
    """A one-time password from the roster still in use (it changes only by a write, which makes
    a new revision)."""
    from core.first_login import must_change_password as pending

    return _gate_read(pending, user_id)


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
    try:
        with unit_of_work(engine()) as s:
            return fn(s, *args, **kwargs)
    finally:
        _forget_stamps()  # the rest of the run reads what this wrote


def build_demo() -> None:
    """The welcome screen's "Explore the demo": build the demo workspace in this database."""
    from demo import ensure_demo

    ensure_demo(engine())
