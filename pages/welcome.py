"""The welcome screen of an empty database (no login yet): explore the demo, or set up our own
organisation and its first admin. app.py shows it instead of the login form while no user exists;
core.workspace refuses a second setup, so two browsers racing here create one admin."""
from __future__ import annotations

import calendar

import streamlit as st

from core import i18n
from core.choices import ZONES
from core.errors import DomainError
from core.workspace import CURRENCIES, setup_organisation
import ui


def view() -> None:
    lang = ui.lang()
    t = lambda key, **p: i18n.t(key, lang, **p)  # noqa: E731 - the signed-out view has no actor
    st.title(t("move.welcome_title"))
    st.caption(t("move.welcome_caption"))
    ui.show_flashes()
    demo_col, setup_col = st.columns([1, 2], gap="large")
    with demo_col:
        st.subheader(t("move.explore_demo"))
        st.write(t("move.explore_demo_text"))
        if st.button(t("move.explore_demo"), key="welcome_demo", icon=":material/rocket_launch:"):
            with st.spinner(t("move.building_demo")):
                ui.build_demo()
            st.rerun()  # the demo is a write: the next run's reads key on the new data revision
    with setup_col:
        st.subheader(t("move.setup_title"))
        with st.form("setup_form", border=True):
            name = st.text_input(t("move.org_name"), key="setup_name")
            c1, c2 = st.columns(2)
            language = c1.selectbox(t("move.language"), i18n.LANGUAGES, index=i18n.LANGUAGES.index(lang),
                                    format_func=ui.formatter(i18n.LANGUAGES, lambda c: {"zh": "中文", "en": "English"}[c]),
                                    key="setup_language")
            currency = c2.selectbox(t("move.currency"), CURRENCIES, key="setup_currency")
            timezone = c1.selectbox(t("move.timezone"), ZONES, index=ZONES.index("Asia/Shanghai"), key="setup_timezone")
            months = list(range(1, 13))
            month_names = {m: (f"{m}月" if lang == "zh" else calendar.month_name[m]) for m in months}
            fiscal = c2.selectbox(t("move.fiscal_year_start"), months, format_func=month_names.get, key="setup_fiscal")
            st.markdown(f"**{t('move.first_admin')}**")
            c3, c4 = st.columns(2)
            username = c3.text_input(t("login.username"), key="setup_username", autocomplete="username")
            display_name = c4.text_input(t("admin.display_name"), key="setup_display_name")
            password = c3.text_input(t("login.password"), type="password", key="setup_password", autocomplete="new-password",
                                     help=t("move.password_help", n=12))
            repeat = c4.text_input(t("move.repeat_password"), type="password", key="setup_repeat", autocomplete="new-password")
            submitted = st.form_submit_button(t("move.setup_submit"), type="primary")
        if submitted:
            if password != repeat:
                st.error(t("move.password_mismatch"), icon=":material/error:")
                return
            try:
                ui.run_unit(setup_organisation, name=name, language=language, currency=currency, timezone=timezone,
                            fiscal_year_start=fiscal, admin_username=username, admin_password=password,
                            admin_display_name=display_name)
            except DomainError as error:
                ui.show_error(error)
                return
            ui.set_lang(language)
            st.session_state["_welcome_note"] = t("move.setup_done_sign_in", username=username.strip().lower())
            st.rerun()


if __name__ == "__main__":  # opened as a page of its own: go through app.py
    ui._enter_through_app()
