"""Admin: create users, reset passwords (which also lifts a lockout), deactivate accounts."""
import pandas as pd
import streamlit as st

from core import auth, i18n
from core.admin import recent_audit, user_rows
from db.models import USER_ROLES
from pages import automation_ui, ui

actor = ui.page_header("admin")

users = ui.cached(user_rows)
st.subheader(ui.t("admin.users"))
if users:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    ui.t("admin.username"): u["username"],
                    ui.t("admin.display_name"): u["display_name"],
                    ui.t("admin.email"): u["email"],
                    ui.t("admin.role"): ui.label("user_role", u["role"]),
                    ui.t("admin.active"): u["active"],
                    ui.t("admin.failed_logins"): u["failed_logins"],
                    ui.t("admin.locked_until"): ui.fmt_date(u["locked_until"]) if u["locked_until"] else "",
                }
                for u in users
            ]
        ),
        hide_index=True,
        width="stretch",
    )

tab_new, tab_manage, tab_audit, tab_mail = ui.tabs([ui.t("admin.new_user"), ui.t("admin.reset_password"), ui.t("admin.audit"),
                                                   ui.t("automation.mail.tab")], key="admin_tab", lazy=False)
with tab_new:
    if ui.shown(tab_new):
        with st.form("new_user", clear_on_submit=False):
            c1, c2 = st.columns(2)
            username = c1.text_input(ui.t("admin.username"))
            display_name = c2.text_input(ui.t("admin.display_name"))
            email = c1.text_input(ui.t("admin.email"))
            password = c2.text_input(ui.t("admin.password"), type="password")
            role = c1.selectbox(ui.t("admin.role"), USER_ROLES, index=2, format_func=ui.formatter(USER_ROLES, lambda r: ui.label("user_role", r)))
            language = c2.selectbox(ui.t("admin.language"), i18n.LANGUAGES, format_func=ui.formatter(i18n.LANGUAGES, lambda code: ui.label("language", code)))
            if st.form_submit_button(ui.t("common.create"), type="primary"):
                created = ui.write(auth.create_user, username=username, display_name=display_name, email=email,
                                   password=password, role=role, language=language)
                if created:
                    ui.flash(ui.t("admin.user_created", username=auth.normalise_username(username)))
                    st.rerun()

with tab_manage:
    if ui.shown(tab_manage):
        if users:
            by_id = {u["id"]: u for u in users}
            chosen = st.selectbox(ui.t("admin.pick_user"), list(by_id), format_func=lambda i: f"{by_id[i]['display_name']} ({by_id[i]['username']})")
            with st.form("reset_password"):
                new_password = st.text_input(ui.t("admin.new_password"), type="password")
                if st.form_submit_button(ui.t("admin.reset_password")):
                    if ui.write(auth.reset_password, chosen, new_password):
                        ui.flash(ui.t("admin.password_reset", username=by_id[chosen]["username"]))
                        st.rerun()
            target = by_id[chosen]
            if target["active"]:
                if st.button(ui.t("admin.deactivate"), key="deactivate"):
                    if ui.write(auth.set_active, chosen, False):
                        ui.flash(ui.t("admin.deactivated", username=target["username"]))
                        st.rerun()
            elif st.button(ui.t("admin.activate"), key="activate"):
                if ui.write(auth.set_active, chosen, True):
                    ui.flash(ui.t("admin.activated", username=target["username"]))
                    st.rerun()

with tab_audit:
    if ui.shown(tab_audit):
        rows = ui.cached(recent_audit)
        if not rows:
            ui.empty_state(ui.t("common.empty"))
        else:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            ui.t("admin.audit_when"): ui.fmt_date(r["at"]),
                            ui.t("admin.audit_who"): r["who"] or "—",
                            ui.t("admin.audit_action"): r["action"],
                            ui.t("admin.audit_entity"): f"{r['entity']} #{r['entity_id']}" if r["entity_id"] else r["entity"],
                        }
                        for r in rows
                    ]
                ),
                hide_index=True,
                width="stretch",
            )

with tab_mail:
    if ui.shown(tab_mail):
        automation_ui.mail_section()
