"""The forced password change after a one-time password: app.py shows only this screen to a user
whose login still carries the password a manager handed out (issue 17 adds "change own password";
this stays a small module of its own)."""
from __future__ import annotations

import streamlit as st

from core.auth import MIN_PASSWORD_LENGTH
from core.first_login import replace_one_time_password
import ui
from ui import login_session


def view() -> None:
    st.title(ui.t("move.first_password_title"))
    st.info(ui.t("move.first_password_text", n=MIN_PASSWORD_LENGTH), icon=":material/key:")
    with st.form("first_password_form", border=True):
        current = st.text_input(ui.t("move.current_password"), type="password", key="fp_current", autocomplete="current-password")
        new = st.text_input(ui.t("move.new_password"), type="password", key="fp_new", autocomplete="new-password")
        repeat = st.text_input(ui.t("move.repeat_password"), type="password", key="fp_repeat", autocomplete="new-password")
        submitted = st.form_submit_button(ui.t("move.first_password_submit"), type="primary")
    if submitted and ui.write(replace_one_time_password, current, new, repeat,
                                  keep_session=st.session_state.get(login_session.TOKEN_KEY)):
        ui.flash(ui.t("move.first_password_done"))
        st.rerun()


if __name__ == "__main__":
    ui._enter_through_app()
