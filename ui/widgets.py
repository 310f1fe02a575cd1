"""Shared widgets: the page header and role check, tabs, empty states, charts (Arrow plumbing),
exports, paging and the remove controls.
"""
from __future__ import annotations

import json

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import pandas as pd
import pyarrow as pa
import streamlit as st

from core import i18n, safe_export
from core.navigation import may_open
from core.permissions import Actor
from ui.data import read, view, write
from ui.runtime import ACTOR_KEY, _enter_through_app, actor
from ui.text import lang, say, show_flashes, t


def require_page(key: str) -> Actor:
    """Defence in depth: a page a role may not use renders nothing of itself."""
    if ACTOR_KEY not in st.session_state:
        _enter_through_app()
    current = actor()
    if not may_open(current.role, key):
        st.error(t("error.page_forbidden"))
        st.stop()
    return current



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


def tabs(labels: list[str], key: str, default: str | None = None) -> Sequence[Any]:
    """Tabs that remember which one is open (`st.session_state[key]`), so a message or any element
    that appears above them after a save cannot send the user back to the first tab.

    Switching tabs reruns the page. A body is drawn only when the user can see it or could have
    left something in it: a read-only body (a report, charts, a live table) `if ui.in_view(tab):`,
    only while it is open; a body holding input (forms, editors, uploads) `if ui.kept(tab):`, from
    the first time it is opened in this visit to the page, so input left unsaved there survives a
    switch to another tab (Streamlit forgets a form's typed text when the form is not drawn). A
    page arrives with only its open tab drawn."""
    # A new visit: app.py numbered another visit to a page, or the tabs were not drawn on the last
    # run (Streamlit then forgot their state), as when the user comes back from another page.
    returning = key in st.session_state
    made = st.tabs(labels, key=key, default=default, on_change="rerun")
    visit = st.session_state.get("_visit_no")
    marker = f"_opened_{key}"
    kept = st.session_state.get(marker)
    opened = set(kept[1]) if returning and kept and kept[0] == visit else set()
    opened |= {label for label, tab in zip(labels, made) if tab.open is not False}
    st.session_state[marker] = (visit, frozenset(opened))
    for label, tab in zip(labels, made):
        # Streamlit's TabContainer is a plain object: the mark rides on it for kept() to read.
        tab.cc_opened = label in opened  # type: ignore[attr-defined]
    return made


def in_view(container: Any) -> bool:
    """Whether a tab, expander or popover (made with on_change="rerun") is the open one: its body
    is then worth drawing. A body that holds no input the user could lose is drawn only then."""
    return container.open is not False


def kept(tab: Any) -> bool:
    """Whether a tab's body that holds input is drawn: it is open, or it was opened earlier in
    this visit to the page (what the user typed there must still be there when they come back)."""
    return getattr(tab, "cc_opened", True) or in_view(tab)


def empty_state(message: str, hint: str | None = None) -> None:
    st.info(message + (f"\n\n{hint}" if hint else ""), icon=":material/inbox:")



class ChartData(NamedTuple):
    """A chart ready to send, immutable as every cached result: its Vega-Lite spec without the
    rows as JSON text (Streamlit adjusts the dict it is given, so each draw gets a fresh one), and
    the rows as an Arrow table (converted once, when the view is built, not on every redraw)."""
    spec_json: str
    rows: pa.Table | None


def chart_data(build: Callable[..., Any], result: Any) -> ChartData:
    """The builder of a chart view: `build(result)` (an Altair chart or a Vega-Lite dict) split
    into spec and Arrow rows."""
    built = build(result)
    spec = built if isinstance(built, dict) else built.to_dict(validate=False)
    values = (spec.get("data") or {}).get("values")
    if not isinstance(values, list) or "datasets" in spec:
        return ChartData(json.dumps(spec, default=str), None)
    rest = {k: v for k, v in spec.items() if k != "data"}
    return ChartData(json.dumps(rest, default=str), pa.Table.from_pylist(values))


def chart_view(build: Callable[[Any], Any], source: Callable[..., Any], *args: Any, **kwargs: Any) -> ChartData:
    """A chart built from a cached read, once per revision (see `view`): `build(result)` returns
    an Altair chart or a Vega-Lite dict; draw it with `ui.chart(...)`."""
    return view(partial(chart_data, build), source, *args, **kwargs)


def chart(chart: Any, container: Any = None, **kwargs: Any) -> Any:
    """Draw an Altair chart from core, a Vega-Lite dict, or a `chart_view`. Its spec is validated by
    the unit tests that build it; on live pages (refreshed every few seconds) the schema validation
    would cost more than the rest of the page, so the spec is sent as it is."""
    target = container or st
    if isinstance(chart, ChartData):
        return target.vega_lite_chart(chart.rows, json.loads(chart.spec_json), **kwargs)
    return target.vega_lite_chart(chart if isinstance(chart, dict) else chart.to_dict(validate=False), **kwargs)


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
