"""Admin → Workspace: the organisation's settings (name, language, currency, time zone, fiscal-year
start) and removing the demo workspace (one confirmed, audited action)."""
from __future__ import annotations

import calendar

import streamlit as st

from core import i18n, workspace
import ui
from core.choices import ZONES


def render() -> None:
    current = ui.workspace_settings()
    st.subheader(ui.t("move.settings_title"))
    with st.form("workspace_settings"):
        c1, c2 = st.columns(2)
        name = c1.text_input(ui.t("move.org_name"), current.name, key="ws_name")
        language = c2.selectbox(ui.t("move.language"), i18n.LANGUAGES, index=i18n.LANGUAGES.index(current.language),
                                format_func=ui.formatter(i18n.LANGUAGES, lambda c: {"zh": "中文", "en": "English"}[c]), key="ws_language")
        money = c1.selectbox(ui.t("move.currency"), workspace.CURRENCIES,
                             index=workspace.CURRENCIES.index(current.currency) if current.currency in workspace.CURRENCIES else 0,
                             key="ws_currency")
        zone = c2.selectbox(ui.t("move.timezone"), ZONES, index=ZONES.index(current.timezone) if current.timezone in ZONES else 0,
                            key="ws_timezone")
        months = list(range(1, 13))
        month_names = {m: (f"{m}月" if ui.lang() == "zh" else calendar.month_name[m]) for m in months}
        fiscal = c1.selectbox(ui.t("move.fiscal_year_start"), months, index=current.fiscal_year_start - 1,
                              format_func=month_names.get, key="ws_fiscal")
        if st.form_submit_button(ui.t("common.save"), type="primary"):
            if ui.write(workspace.save_settings, name=name, language=language, currency=money, timezone=zone,
                        fiscal_year_start=fiscal, success=ui.t("move.settings_saved")):
                st.rerun()  # a write makes a new data revision: the next run reads the new settings

    if ui.demo_on():
        st.divider()
        st.subheader(ui.t("move.remove_demo_title"))
        st.warning(ui.t("move.remove_demo_text"), icon=":material/warning:")
        with st.form("remove_demo"):
            word = st.text_input(ui.t("move.confirm_input"), key="ws_confirm")
            if st.form_submit_button(ui.t("move.remove_demo_button"), type="primary", icon=":material/delete_forever:"):
                removed = ui.write(workspace.remove_demo, word)
                if removed:
                    st.session_state.pop("_menu", None)
                    ui.flash(ui.t("move.demo_removed", rows=ui.fmt_number(sum(removed.values()))))
                    st.rerun()
