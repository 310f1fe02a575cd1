"""Roster → Logins: who has a login and who has not signed in yet; create a member's login with a
one-time password, or link an existing login. Rules and permissions live in core.member_logins."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core import member_logins
from core.choices import USER_ROLES
import ui


def _state(row: member_logins.LoginStatus) -> str:
    if not row.username:
        return ui.t("move.state.none")
    if not row.active:
        return ui.t("move.state.inactive")
    return ui.t("move.state.signed_in") if row.signed_in else ui.t("move.state.never")


def render(actor) -> None:
    st.caption(ui.t("move.logins_caption"))
    rows = ui.cached(member_logins.login_status)
    if not rows:
        ui.empty_state(ui.t("roster.no_members"), ui.t("roster.no_members_hint"))
        return
    st.dataframe(pd.DataFrame([{
        ui.t("move.col.member"): r.name,
        ui.t("move.col.username"): r.username or "—",
        ui.t("move.col.role"): ui.label("user_role", r.role) if r.role else "—",
        ui.t("move.col.state"): _state(r),
    } for r in rows]), hide_index=True, width="stretch")
    without = {r.member_id: r.name for r in rows if not r.username}
    if not without:
        st.success(ui.t("move.everyone_has_login"))
        return
    role_options = [""] + (list(USER_ROLES) if actor.is_admin else [])
    role_labels = {"": ui.t("move.role_auto"), **{r: ui.label("user_role", r) for r in USER_ROLES}}
    c1, c2 = st.columns(2)
    with c1.form("create_login_form"):
        st.markdown(f"**{ui.t('move.create_login')}**")
        member_id = st.selectbox(ui.t("move.pick_member"), list(without), format_func=ui.formatter(without, without.get),
                                 key="login_member")
        username = st.text_input(ui.t("move.col.username"), key="login_username_new")
        password = st.text_input(ui.t("move.one_time_password"), key="login_password_new")
        role = st.selectbox(ui.t("move.col.role"), role_options, format_func=ui.formatter(role_options, role_labels.get),
                            key="login_role", disabled=not actor.is_admin)
        if st.form_submit_button(ui.t("move.create_login"), type="primary", icon=":material/person_add:"):
            result = ui.write(member_logins.create_login, member_id, username, password or None, role or None)
            if result:
                user, one_time = result
                ui.flash(ui.say("move.login_created", name=without[member_id], username=user.username, password=one_time), "info")
                st.rerun()
    unlinked = {u["id"]: f"{u['display_name']} ({u['username']})" for u in ui.cached(member_logins.unlinked_logins)}
    with c2.form("link_login_form"):
        st.markdown(f"**{ui.t('move.link_login')}**")
        if not unlinked:
            st.caption(ui.t("move.no_unlinked"))
        member_to_link = st.selectbox(ui.t("move.pick_member"), list(without), format_func=ui.formatter(without, without.get),
                                      key="link_member")
        user_id = st.selectbox(ui.t("move.pick_login"), list(unlinked), format_func=ui.formatter(unlinked, unlinked.get),
                               key="link_user")
        if st.form_submit_button(ui.t("move.link_login"), disabled=not unlinked, icon=":material/link:"):
            if user_id and ui.write(member_logins.link_login, member_to_link, user_id):
                ui.flash(ui.say("move.login_linked", name=without[member_to_link], username=unlinked[user_id]))
                st.rerun()
