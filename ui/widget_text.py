"""Streamlit's own English in our widgets, set in the user's language wherever Streamlit lets it
be set (issue 12): the placeholders of multiselects ("Choose options") and selectboxes ("Choose an
option"), the display format of date inputs, the text of missing cells in tables ("None"), and
the multiselect's "Select all", which cannot be translated and is left out of the Chinese UI.

Installed once per process by ui/text.py. Each call keeps what the page passes; only an omitted
parameter gets the language's default, so a page never needs to repeat these. Texts come from
core/i18n (navigation.py). Streamlit is pinned (requirements.txt): tests/app/test_widget_text.py
fails if a version renames what is wrapped here.

Not settable in Streamlit 1.67 (left as Streamlit draws them): the file uploader's "Upload" and
"Limit 200MB per file", the calendar's month names, the table toolbar's tooltips, "No results".
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core import i18n

_MARK = "_clientcrew_localised"


def _empty(options: Any) -> bool:
    try:
        return len(options) == 0
    except TypeError:  # a generator or another iterable without a length: Streamlit reads it
        return False


def _options(args: tuple, kwargs: dict) -> Any:
    return args[1] if len(args) > 1 else kwargs.get("options", ())


def distinct_labels(labels: dict[Any, str]) -> dict[Any, str]:
    """The same labels, made distinct by a running number on repeats ("Call back · To do (2)")."""
    seen: dict[str, int] = {}
    for label in labels.values():
        seen[label] = seen.get(label, 0) + 1
    counters: dict[str, int] = {}
    out: dict[Any, str] = {}
    for value, label in labels.items():
        if seen[label] > 1:
            counters[label] = counters.get(label, 0) + 1
            label = f"{label} ({counters[label]})"
        out[value] = label
    return out


def _distinct_options(args: tuple, kwargs: dict) -> None:
    """A select sends the chosen *label* back and Streamlit maps it to the last option with that
    label, so two records that read the same (two customers, two tasks of one title) would select
    the wrong one. Labels are computed here, in the run, and repeats numbered."""
    options, format_func = _options(args, kwargs), kwargs.get("format_func")
    if format_func is None or not isinstance(options, (list, tuple, range)):
        return
    try:
        labels = {option: str(format_func(option)) for option in options}
    except TypeError:  # unhashable options: Streamlit's own handling applies
        return
    if len(set(labels.values())) < len(labels):
        table = distinct_labels(labels)
        kwargs["format_func"] = lambda option: table.get(option, str(format_func(option)))


def _defaults(name: str, lang: str, date_format: str, args: tuple, kwargs: dict) -> None:
    if name in ("multiselect", "selectbox"):
        _distinct_options(args, kwargs)
    if name == "multiselect":
        if kwargs.get("placeholder") is None:
            new = bool(kwargs.get("accept_new_options"))
            empty = _empty(_options(args, kwargs))
            key = ("widget.add_options" if empty else "widget.choose_or_add_options") if new else (
                "widget.no_options" if empty else "widget.choose_options")
            kwargs["placeholder"] = i18n.t(key, lang)
        if "select_all" not in kwargs and lang == "zh":
            kwargs["select_all"] = False  # "Select all" has no text parameter
    elif name == "selectbox":
        if kwargs.get("placeholder") is None:
            kwargs["placeholder"] = i18n.t("widget.choose_or_add_option" if kwargs.get("accept_new_options")
                                           else "widget.choose_option", lang)
    elif name == "date_input":
        kwargs.setdefault("format", date_format)
    elif name in ("data_editor", "dataframe"):
        if kwargs.get("placeholder") is None:
            kwargs["placeholder"] = "—"


WRAPPED = ("multiselect", "selectbox", "date_input", "data_editor", "dataframe")


def install(lang: Callable[[], str], date_format: Callable[[], str]) -> None:
    """Wrap the widget methods of every container (st.sidebar, columns, tabs, forms) and the
    module-level st.<widget> functions. Idempotent."""
    main = st._main  # noqa: SLF001 - the module functions are this container's bound methods
    for name in WRAPPED:
        original = getattr(DeltaGenerator, name)
        if getattr(original, _MARK, False):
            continue

        def method(self: DeltaGenerator, *args: Any, __name: str = name, __original: Callable = original, **kwargs: Any):
            language = i18n.normalise_language(lang())
            _defaults(__name, language, date_format(), args, kwargs)
            return __original(self, *args, **kwargs)

        functools.update_wrapper(method, original)
        setattr(method, _MARK, True)
        setattr(DeltaGenerator, name, method)
        setattr(st, name, method.__get__(main, DeltaGenerator))
