"""Admin: create users, reset passwords (which also lifts a lockout), deactivate accounts."""
import pandas as pd
import streamlit as st

from core import auth, i18n
from core.admin import audit_entities, audit_log, audit_report, user_rows
from core.choices import USER_ROLES
import ui
from ui import automation_ui


def audit_view(rows: list) -> pd.DataFrame:
    """The audit trail as a report (a view of core.admin.audit_log)."""
    return audit_report(rows, ui.lang())


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

tab_new, tab_manage, tab_audit, tab_workspace, tab_mail = ui.tabs(
    [ui.t("admin.new_user"), ui.t("admin.reset_password"), ui.t("screens.admin.audit_tab"), ui.t("move.settings_title"),
     ui.t("automation.mail.tab")],
    key="admin_tab")
with tab_new:
    if ui.kept(tab_new):
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
                    ui.flash(ui.say("admin.user_created", username=auth.normalise_username(username)))
                    st.rerun()

with tab_manage:
    if ui.kept(tab_manage):
        if users:
            by_id = {u["id"]: u for u in users}
            # nobody is preselected (least of all the admin themselves): the account is chosen on purpose
            chosen = st.selectbox(ui.t("admin.pick_user"), list(by_id), index=None, key="admin_pick_user",
                                  placeholder=ui.t("screens.admin.pick_user"),
                                  format_func=ui.formatter(by_id, lambda i: f"{by_id[i]['display_name']} ({by_id[i]['username']})"))
            if chosen is not None:
                target = by_id[chosen]
                with st.form("reset_password"):
                    new_password = st.text_input(ui.t("admin.new_password"), type="password")
                    if st.form_submit_button(ui.t("admin.reset_password")):
                        if ui.write(auth.reset_password, chosen, new_password):
                            ui.flash(ui.say("admin.password_reset", username=target["username"]))
                            st.rerun()
                if st.button(ui.t("sec.sign_out_everywhere"), key="sign_out_everywhere", icon=":material/devices:"):
                    ended = ui.write(auth.sign_out_everywhere, chosen)
                    if ended is not None:
                        ui.flash(ui.say("sec.signed_out_everywhere", username=target["username"], n=0 if ended is True else ended))
                        st.rerun()
                if target["active"]:
                    with st.container(border=True):
                        st.markdown(f"**{ui.t('screens.admin.danger')}**")
                        if chosen == actor.user_id:
                            st.caption(ui.t("screens.admin.self"))
                        else:
                            sure = st.checkbox(ui.t("screens.admin.deactivate_confirm", name=ui.esc(target["display_name"]),
                                                    username=ui.esc(target["username"])), key=f"deactivate_sure_{chosen}")
                            if st.button(ui.t("admin.deactivate"), key="deactivate", disabled=not sure, icon=":material/block:"):
                                if ui.write(auth.set_active, chosen, False):
                                    ui.flash(ui.say("admin.deactivated", username=target["username"]))
                                    st.rerun()
                elif st.button(ui.t("admin.activate"), key="activate"):
                    if ui.write(auth.set_active, chosen, True):
                        ui.flash(ui.say("admin.activated", username=target["username"]))
                        st.rerun()

with tab_audit:
    if ui.kept(tab_audit):
        people = {u["id"]: u["display_name"] for u in users}
        kinds = ui.cached(audit_entities)
        f1, f2, f3, f4 = st.columns([2, 2, 1, 2])
        who = f1.selectbox(ui.t("screens.audit.filter_who"), [None, *people], key="audit_who", persist_state="page",
                           format_func=ui.formatter([None, *people], lambda i: people[i] if i else ui.t("screens.audit.anyone")))
        kind = f2.selectbox(ui.t("screens.audit.filter_entity"), [None, *kinds], key="audit_kind", persist_state="page",
                            format_func=ui.formatter([None, *kinds], lambda k: (
                                ui.t(f"screens.entity.{k}") if k and i18n.has_key(f"screens.entity.{k}") else
                                (ui.t("screens.entity.other") if k else ui.t("screens.audit.any_record")))))
        record_id = f3.number_input(ui.t("screens.audit.filter_id"), min_value=0, step=1, value=0, key="audit_id",
                                    persist_state="page")
        dates = f4.date_input(ui.t("screens.audit.filter_dates"), value=(), key="audit_dates", persist_state="page",
                              format=ui.date_format())
        since, until = (dates[0], dates[-1]) if isinstance(dates, (tuple, list)) and dates else (None, None)
        audit_read = dict(user_id=who, entity=kind, entity_id=int(record_id) or None, since=since, until=until)
        rows = ui.cached(audit_log, ui.lang(), **audit_read)
        if not rows:
            ui.empty_state(ui.t("common.empty"))
        else:
            st.caption(ui.t("screens.audit.shown", n=ui.fmt_number(len(rows))))
            report = ui.view(audit_view, audit_log, ui.lang(), **audit_read)
            st.dataframe(report, hide_index=True, width="stretch")
            ui.export_buttons(report, ui.t("screens.admin.audit_file"), "audit_export")

with tab_workspace:  # issue 11: workspace settings and removing the demo
    if ui.kept(tab_workspace):
        from ui import workspace_admin

        workspace_admin.render()

with tab_mail:  # issue 14: SMTP settings and a test send
    if ui.kept(tab_mail):
        automation_ui.mail_section()
