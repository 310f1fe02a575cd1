"""Text on screen: the session's language, translation (`t`, `say` for markdown), escaping,
number/date/money formatting, Streamlit's own widget texts, and the messages shown after an action.
"""
from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import field_names, i18n, safe_text
from core.errors import DomainError
from ui.runtime import ACTOR_KEY, FLASH_KEY, LANG_KEY, workspace_settings


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
    return workspace_settings().currency


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
from ui import widget_text  # noqa: E402

widget_text.install(lang, date_format)


def count(noun: str, n) -> str:
    """'1 customer' / '3 customers' / '3 位客户' (see i18n.format_count)."""
    return i18n.format_count(n, noun, lang())



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
