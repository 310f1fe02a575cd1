"""Small UI helpers shared by the pages: the engine, units of work, the acting user, translation,
cached reads keyed by user and data revision, and the messages shown after each action.

Pages stay thin: read widgets, call `ui.write(core_fn, ...)` or `ui.cached(core_fn, ...)`, render.
"""
from __future__ import annotations

import gc
import runpy
from collections.abc import Callable, Hashable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import auth, config, field_names, i18n, safe_export, safe_text
from core.errors import DomainError
from core.navigation import may_open
from core.permissions import Actor
from db.engine import database_url, make_engine
from db.session import current_revision, read_session, unit_of_work
from db.read_cache import ReadCache, freeze

ENTRY_SCRIPT = Path(__file__).resolve().parent.parent / "app.py"

# This module is imported once per server process, after Streamlit, pandas, Altair and SQLAlchemy.
# Their hundreds of thousands of objects live as long as the process: move them out of the
# garbage collector's view, so its occasional full collection does not scan them all in the
# middle of a user's click (the Meeting page's live refresh spiked from 50 to 200 ms on those).
gc.freeze()
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


_LANG_ATTR = "_clientcrew_lang"


def lang() -> str:
    """The session's language. Pages call this thousands of times per run (every label), so the
    chosen value is also kept on the session's script-run context; `set_lang` keeps both in step."""
    ctx = get_script_run_ctx()
    remembered = getattr(ctx, _LANG_ATTR, None) if ctx is not None else None
    if remembered:
        return remembered
    value = st.session_state.get(LANG_KEY)
    if value:
        if ctx is not None:
            setattr(ctx, _LANG_ATTR, value)
        return value
    current = st.session_state.get(ACTOR_KEY)
    return current.language if current else i18n.DEFAULT_LANGUAGE


def set_lang(value: str | None) -> None:
    """Choose the session's language (None forgets the choice, e.g. at logout)."""
    if value:
        st.session_state[LANG_KEY] = value
    else:
        st.session_state.pop(LANG_KEY, None)
    ctx = get_script_run_ctx()
    if ctx is not None:
        setattr(ctx, _LANG_ATTR, value)


def t(key: str, **params: Any) -> str:
    return i18n.t(key, lang(), **params)


def esc(value: Any) -> str:
    """User text made safe for st.markdown, st.caption, st.error and every other element that
    renders markdown: markdown and HTML are escaped (core.safe_text), so a title holding
    `![x](http://host/img)` or `[Reset your password](http://…)` shows as those characters, loads
    nothing and links nowhere. Use it for every name, title, note or URL value put into markdown."""
    return safe_text.escape_markdown(value)


def label(prefix: str, value: str | None) -> str:
    return i18n.choice_label(prefix, value, lang())


def fmt_date(value) -> str:
    return i18n.format_date(value, lang())


def fmt_number(value, decimals: int = 0) -> str:
    return i18n.format_number(value, lang(), decimals)


def currency() -> str:
    """The workspace currency (Admin → Workspace settings)."""
    return workspace_settings(revision()).currency


def fmt_money(value, currency_code: str | None = None) -> str:
    """Every amount on screen goes through here: in the workspace currency unless the record
    carries its own."""
    return i18n.format_money(value, lang(), currency_code or currency())


def fmt_percent(value, decimals: int = 0) -> str:
    return i18n.format_percent(value, lang(), decimals)


def fmt_points(value, decimals: int = 0) -> str:
    """A value already in percent (42.0) as "42%" (the same rule as fmt_percent)."""
    return i18n.format_points(value, lang(), decimals)


def fmt_decimal(value, decimals: int = 1, signed: bool = False) -> str:
    """An average or a score with a fixed number of decimals (4.3; a change as +0.4)."""
    return i18n.format_decimal(value, lang(), decimals, signed)


def fmt_metric(value, metric: str | None, unit: str | None = None) -> str:
    """A measured value (goal, scorecard, training effect) as every screen shows it
    (core.metrics.format_metric, in the workspace currency)."""
    from core.metrics import format_metric

    return format_metric(value, metric, lang(), currency(), unit)


def date_format() -> str:
    """The date format for st.date_input in the user's language (Streamlit's own is US-style)."""
    return "YYYY/MM/DD" if lang() == "zh" else "DD/MM/YYYY"


# Streamlit's own widget texts (placeholders, date formats, missing cells) in the user's language
from pages import widget_text  # noqa: E402

widget_text.install(lang, date_format)


def count(noun: str, n) -> str:
    """'1 customer' / '3 customers' / '3 位客户' (see i18n.format_count)."""
    return i18n.format_count(n, noun, lang())


def _enter_through_app() -> None:
    """Run app.py instead of this page, then stop this run.

    With a `pages/` folder beside app.py, a fresh server process first emulates Streamlit's old
    file-based multipage mode: a deep link such as /meeting runs pages/meeting.py directly, without
    app.py's login and navigation (the page would stop, blank). app.py signs the user in (or shows
    the login form) and runs the requested page through st.navigation, which also ends the
    emulation for every later session of the process."""
    runpy.run_path(str(ENTRY_SCRIPT), run_name="__main__")
    st.stop()


def require_page(key: str) -> Actor:
    """Defence in depth: a page a role may not use renders nothing of itself."""
    if ACTOR_KEY not in st.session_state:
        _enter_through_app()
    current = actor()
    if not may_open(current.role, key):
        st.error(t("error.page_forbidden"))
        st.stop()
    return current


# ---------------------------------------------------------------------------------------------
# Reads and writes
# ---------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def _read_cache() -> ReadCache:
    """One cache of core reads per server process, shared by its sessions (see `cached`)."""
    return ReadCache(max_entries=2000)


def cached(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call core `fn(session, actor, *args, **kwargs)` through a cache keyed by the database, the
    acting user, the data revision and the date (entries also expire after ten minutes): one manager never sees another's data, and a write anywhere
    invalidates. Arguments must be hashable. Each caller gets its own copy of mutable containers
    and DataFrames, so a page that relabels a column cannot change what the next run reads."""
    who = actor()
    url = database_url()
    # today: reads that work out "overdue" or "due" from the date start afresh at midnight
    key = (url, fn, who, revision(), date.today(), freeze(args), freeze(kwargs) if kwargs else ())

    def compute() -> Any:
        with read_session(engine()) as s:
            return fn(s, who, *args, **kwargs)

    return _read_cache().get(key, compute)


def read(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call core `fn(session, actor, ...)` in a read-only session, uncached."""
    with read_session(engine()) as s:
        return fn(s, actor(), *args, **kwargs)


def write(fn: Callable[..., Any], *args: Any, success: str | None = None, rerun: bool = False, **kwargs: Any) -> Any:
    """Run core `fn(session, actor, ...)` as one transaction. On a refusal, show what to fix and
    return None (nothing was saved); on success, queue `success` (already translated) to show."""
    try:
        with unit_of_work(engine()) as s:
            result = fn(s, actor(), *args, **kwargs)
    except DomainError as error:
        show_error(error)
        return None
    finally:
        _forget_revision()
    if success:
        flash(success)
    if rerun:
        st.rerun()
    return result if result is not None else True


_LOADED_VERSIONS = "_loaded_versions"


def loaded_version(record: str, record_id: Any, current: Any) -> Any:
    """The version of `record` #`record_id` this browser's edit forms were loaded with: remembered
    the first run that shows it (`current`), kept across reruns until an edit of it is attempted,
    so a save is checked against what the user saw, not against what the click's run re-read."""
    remembered = st.session_state.setdefault(_LOADED_VERSIONS, {})
    return remembered.setdefault((record, record_id), current)


def versioned_write(record: str, record_id: Any, current: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`write(fn, ...)` with `expected_version=` the version the form was loaded with (core refuses
    a stale edit with a clear message); afterwards the next run remembers the record's new version."""
    seen = loaded_version(record, record_id, current)
    try:
        return write(fn, *args, expected_version=seen, **kwargs)
    finally:
        forget_version(record, record_id)


def forget_version(record: str, record_id: Any) -> None:
    """After an edit was attempted: the next run remembers the version it then shows."""
    st.session_state.get(_LOADED_VERSIONS, {}).pop((record, record_id), None)


def show_error(error: DomainError) -> None:
    """Tell the user what was refused and, row by row, what to fix: every field named in the
    user's words (core.field_names), every parameter escaped (often the user's own input: a name,
    a cell of an imported file, a URL value), so it shows as typed and never renders as markdown."""
    st.error("\n".join(field_names.message_lines(error, lang(), esc)), icon=":material/error:")


def say(key: str, **params: Any) -> str:
    """`t(key, ...)` for a message rendered as markdown (st.success, st.warning, flash, a checkbox
    label): every text parameter (a title, a name, a file's column) is escaped, shown as typed."""
    return t(key, **_escaped(params))


def _escaped(params: dict[str, Any]) -> dict[str, Any]:
    return {k: esc(v) if isinstance(v, str) else v for k, v in params.items()}


def flash(message: str, kind: str = "success") -> None:
    st.session_state.setdefault(FLASH_KEY, []).append((kind, message))


def show_flashes() -> None:
    """Messages from the last action, shown once at the top of the next run."""
    for kind, message in st.session_state.pop(FLASH_KEY, []):
        getattr(st, kind if kind in ("success", "info", "warning", "error") else "info")(message)


# ---------------------------------------------------------------------------------------------
# Common widgets
# ---------------------------------------------------------------------------------------------
def page_header(key: str, caption: str | None = None) -> Actor:
    """Title, role check and pending messages: the first line of every page."""
    current = require_page(key)
    st.title(t(f"nav.{key}"))
    if caption:
        st.caption(caption)
    # one container, always drawn, holds the messages: the elements below (tabs above all) keep
    # their place in the page whether or not there is a message to show
    with st.container(key="page_messages"):
        show_flashes()
    return current


def formatter(values, fn: Callable[[Any], str]) -> Callable[[Any], str]:
    """A format_func whose labels are computed now, in the run (AppTest calls format_func later,
    outside the run, where the session's language is unknown)."""
    table = {v: fn(v) for v in values}
    return lambda v: table.get(v, str(v))


def tabs(labels: list[str], key: str, lazy: bool = True) -> list:
    """Tabs; each body is written `with tab: if ui.shown(tab): ...`.

    lazy=True: only the open tab's body runs (a five-tab page costs one tab per rerun) and
    switching tabs reruns the page; the open tab is kept in `st.session_state[key]`. Streamlit
    forgets the widgets it did not draw, so input left unsaved in a hidden tab is dropped: give
    such widgets `persist_state="page"`, and use lazy=False where a tab holds an editable table
    or an upload (every tab then runs on every rerun, as plain st.tabs do)."""
    if lazy:
        return st.tabs(labels, key=key, on_change="rerun")
    # Eager tabs track the open tab too (a keyed widget): a message or any element that appears
    # above them after a save cannot send the user back to the first tab. Every body still runs.
    return [_EagerTab(tab) for tab in st.tabs(labels, key=key, on_change=_tab_switched)]


def _tab_switched() -> None:
    """on_change of eager tabs: Streamlit only needs a callback to keep the open tab's state."""


class _EagerTab:
    """A tab of `tabs(lazy=False)`: behaves as the tab, but `open` is None (its body always runs)."""

    open = None

    def __init__(self, tab: Any) -> None:
        self._tab = tab

    def __enter__(self) -> Any:
        return self._tab.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self._tab.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tab, name)


def shown(container: Any) -> bool:
    """Whether to draw a tab's or panel's body: an open lazy one, or any eager tab (whose `open`
    is None because it does not track which tab is open)."""
    return container.open is not False


def in_view(container: Any) -> bool:
    """Whether a tab is the open one, for eager tabs too: a read-only body (reports, charts, a
    live calibration) holds no input the user could lose, so it is drawn only while its tab is
    open. Eager tabs rerun the page when the user switches (their on_change callback), so the
    body appears then. Its own pickers keep their value meanwhile with persist_state="page"."""
    tab = getattr(container, "_tab", container)
    return tab.open is not False


def empty_state(message: str, hint: str | None = None) -> None:
    st.info(message + (f"\n\n{hint}" if hint else ""), icon=":material/inbox:")


def derived(cache_key: Hashable, build: Callable[[], Any]) -> Any:
    """What a page builds from cached reads (a translated display table, a chart spec), built once
    per data revision, user, language and key: the key must name everything `build` uses (the
    arguments of the cached reads that feed it)."""
    key = (database_url(), "derived", actor(), revision(), date.today(), lang(), freeze(cache_key))
    return _read_cache().get(key, build)


def chart(chart: Any, container: Any = None, *, cache_key: Hashable | None = None, **kwargs: Any) -> Any:
    """Draw an Altair chart from core. Its spec is validated by the unit tests that build it; on
    live pages (refreshed every few seconds) the schema validation would cost more than the rest
    of the page, so the spec is sent as it is.

    With `cache_key`, `chart` is a function that builds the chart (or its Vega-Lite spec as a
    dict), called once per data revision, user, language and key (see `derived`)."""
    def spec_of(built: Any) -> dict:
        return built if isinstance(built, dict) else built.to_dict(validate=False)

    if cache_key is None:
        return (container or st).vega_lite_chart(spec_of(chart), **kwargs)

    def split() -> tuple[dict, pa.Table | None]:
        """Rows given inline (`data.values`) are handed over as an Arrow table, converted once
        here instead of by Streamlit on every redraw."""
        spec = spec_of(chart())
        values = (spec.get("data") or {}).get("values")
        if not isinstance(values, list) or "datasets" in spec:
            return spec, None
        spec = {k: v for k, v in spec.items() if k != "data"}
        return spec, pa.Table.from_pylist(values)

    spec, rows = derived(("chart", cache_key), split)
    return (container or st).vega_lite_chart(rows, spec, **kwargs)


def to_xlsx(frames: dict[str, pd.DataFrame]) -> bytes:
    """Every XLSX export: formulas defused, text written as text (core.safe_export)."""
    return safe_export.to_xlsx_bytes(frames)


def export_buttons(frame: pd.DataFrame, name: str, key: str, raw: pd.DataFrame | None = None) -> None:
    """CSV (UTF-8 with BOM so Excel shows Chinese correctly) and Excel downloads of a report (a
    core.reports.report_frame: translated headers, labels, formatted values), through
    core.safe_export (cells that would run as formulas are made inert); `raw`, when given, is
    offered beside it as CSV "for analysis" (codes and plain numbers). The files are produced
    only when a button is clicked (building an xlsx costs far more than the page)."""
    c1, c2, *rest = st.columns(3 if raw is not None else 2)
    c1.download_button(
        t("common.export_csv"), lambda: safe_export.to_csv_bytes(frame), f"{name}.csv", "text/csv",
        key=f"{key}_csv", icon=":material/download:",
    )
    c2.download_button(
        t("common.export_xlsx"), lambda: to_xlsx({name: frame}), f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}_xlsx",
        icon=":material/download:",
    )
    if raw is not None:
        rest[0].download_button(
            t("reports.export_raw"), lambda: safe_export.to_csv_bytes(raw), f"{name}_raw.csv", "text/csv",
            key=f"{key}_raw", icon=":material/dataset:", help=t("reports.raw_hint"),
        )


def pager(total: int, page_size: int, key: str) -> int:
    """Previous/next paging for lists paginated in the database; returns the 0-based offset."""
    pages = max(1, (total + page_size - 1) // page_size)
    state_key = f"{key}_page"
    page = min(st.session_state.get(state_key, 1), pages)
    c1, c2, c3 = st.columns([1, 3, 1])
    if c1.button(t("common.previous"), key=f"{key}_prev", disabled=page <= 1, width="stretch"):
        page -= 1
    if c3.button(t("common.next"), key=f"{key}_next", disabled=page >= pages, width="stretch"):
        page += 1
    st.session_state[state_key] = page
    c2.caption(t("common.page", page=page, pages=pages, total=total))
    return (page - 1) * page_size


def remove_controls(kind: str, record_id: int, name: str, key: str, *, allow_delete: bool = False,
                    after: Callable[[], None] | None = None) -> None:
    """Archive (and, for an admin, delete when nothing refers to it) a record created by mistake,
    each behind a confirmation tick. `after` runs once the record is gone (e.g. leave its page)."""
    from core import removal

    with st.expander(t("screens.remove.title"), icon=":material/delete:"):
        st.caption(t("screens.remove.help"))
        sure = st.checkbox(say("screens.remove.confirm", name=name), key=f"{key}_sure")
        c1, c2 = st.columns(2)
        done = None
        if c1.button(t("screens.remove.archive"), key=f"{key}_archive", disabled=not sure, icon=":material/archive:"):
            done = write(removal.archive, kind, record_id, success=say("screens.remove.archived", name=name))
        if allow_delete and actor().is_admin:
            if c2.button(t("screens.remove.delete"), key=f"{key}_delete", disabled=not sure, icon=":material/delete_forever:"):
                refs = read(removal.references, kind, record_id) if actor().is_admin else {}
                if refs:
                    st.error(t("screens.remove.referenced_by", what=", ".join(
                        i18n.format_count(n, f"ref.{what}", lang()) for what, n in refs.items())))
                else:
                    done = write(removal.delete, kind, record_id, success=say("screens.remove.deleted", name=name))
        if done:
            if after:
                after()
            st.rerun()
