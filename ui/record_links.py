"""Links that open one record on its page (issue 12): Home's notifications and at-risk goals, the
1:1 agenda's items. The link is an st.page_link with query parameters (core.navigation says which
page and parameter); the page reads the parameter once per link with `arrival` and selects the
record (its tab, its picker)."""
from __future__ import annotations

import streamlit as st

from core import navigation
import ui


def link(kind: str, record_id: int | None, label: str, *, icon: str = ":material/open_in_new:") -> None:
    """`label` (markdown, already escaped) as a link to the record, or as text when no page of the
    user's role shows it."""
    target = navigation.record_target(kind, record_id, ui.actor().role)
    if target is None:
        st.markdown(label)
        return
    page, params = target
    st.page_link(navigation.PAGES_BY_KEY[page].file, label=label, icon=icon, query_params=params)


def arrival(param: str) -> str | None:
    """The value of `param` in the address on the first run of a visit to the page (app.py counts
    visits), else None: the record is selected when the link is followed, and the user may choose
    another afterwards (the address keeps the parameter; reruns do not select it again)."""
    value = st.query_params.get(param)
    if not value:
        return None
    marker, seen = f"_link_{param}", (value, st.session_state.get("_visit_no"))
    if st.session_state.get(marker) == seen:
        return None
    st.session_state[marker] = seen
    return value


def arrival_id(param: str) -> int | None:
    value = arrival(param)
    return int(value) if value and value.isdigit() else None
