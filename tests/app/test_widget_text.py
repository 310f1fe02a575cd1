"""Issue 12: Streamlit's own widget texts follow the user's language wherever they can be set
(ui/widget_text.py): multiselect and selectbox placeholders, no untranslatable "Select all" in
the Chinese UI, the date inputs' format, "—" for missing table cells; a page's own choice wins."""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import widget_text

PAGE = "pages/customers.py"


@pytest.mark.parametrize("lang,placeholder,select_all", [("zh", "请选择（可多选）", False), ("en", "Choose options", True)])
def test_filter_multiselects_speak_the_users_language(app_at, world_url, lang, placeholder, select_all):
    at = app_at(world_url, "manager_a", PAGE, lang=lang)
    at.session_state["f_panel"] = True
    at.run()
    assert not at.exception
    boxes = list(at.multiselect)
    assert boxes and all(box.placeholder == placeholder for box in boxes)
    assert all((box.proto.select_all != 0) == select_all for box in boxes)


def _kwargs_after(name: str, lang: str, *args, **kwargs) -> dict:
    widget_text._defaults(name, lang, "YYYY/MM/DD" if lang == "zh" else "DD/MM/YYYY", args, kwargs)
    return kwargs


def test_defaults_fill_only_what_the_page_left_out():
    assert _kwargs_after("multiselect", "zh", "label", ["a"]) == {"placeholder": "请选择（可多选）", "select_all": False}
    assert _kwargs_after("multiselect", "en", "label", ["a"]) == {"placeholder": "Choose options"}
    assert _kwargs_after("multiselect", "zh", "label", [])["placeholder"] == "没有可选项"
    assert _kwargs_after("multiselect", "zh", "label", ["a"], accept_new_options=True)["placeholder"] == "请选择或输入新项"
    assert _kwargs_after("multiselect", "zh", "label", ["a"], placeholder="x", select_all=True) == {"placeholder": "x", "select_all": True}
    assert _kwargs_after("selectbox", "zh", "label", ["a"]) == {"placeholder": "请选择"}
    assert _kwargs_after("selectbox", "en", "label", ["a"], placeholder="—") == {"placeholder": "—"}
    assert _kwargs_after("date_input", "zh", "label") == {"format": "YYYY/MM/DD"}
    assert _kwargs_after("date_input", "en", "label") == {"format": "DD/MM/YYYY"}
    assert _kwargs_after("date_input", "en", "label", format="YYYY-MM-DD") == {"format": "YYYY-MM-DD"}
    assert _kwargs_after("data_editor", "zh", None) == {"placeholder": "—"}
    assert _kwargs_after("dataframe", "en", None) == {"placeholder": "—"}


def test_every_container_and_the_module_functions_are_wrapped():
    import ui  # noqa: F401 - installs the wrappers

    for name in widget_text.WRAPPED:
        assert getattr(getattr(DeltaGenerator, name), widget_text._MARK, False), name
        assert getattr(getattr(st, name), widget_text._MARK, False), name


@pytest.mark.parametrize("name", ["selectbox", "multiselect"])
def test_options_that_read_the_same_get_distinct_labels(name):
    """A select maps the chosen label back to the last option with it: two records that read the
    same must show (and send) two different labels; unique labels are left as they are."""
    names = {1: "Acme", 2: "Beta", 3: "Acme"}
    fmt = _kwargs_after(name, "en", "Customer", [1, 2, 3], format_func=names.get)["format_func"]
    assert [fmt(o) for o in (1, 2, 3)] == ["Acme (1)", "Beta", "Acme (2)"]
    unique = {1: "Acme", 2: "Beta"}
    assert _kwargs_after(name, "en", "Customer", [1, 2], format_func=unique.get)["format_func"] == unique.get
