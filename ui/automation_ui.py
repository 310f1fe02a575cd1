"""Screens for issue 14's work, drawn inside existing pages: notification settings (Home), mail
settings with a test send (Admin), automation rules with dry run (Service), working calendar and
holidays (Service → Targets), call import and the call report (Service → Reports), complaint notes
and the waiting-on-customer pause (Service → Complaints). Thin: read widgets, call core, render."""
from __future__ import annotations

from datetime import date, time

import pandas as pd
import streamlit as st

from core import automation, calendars, calls, mailer, notifications, pickers, reports, service
from core.errors import DomainError
from core.choices import AUTOMATION_ACTIONS, AUTOMATION_TRIGGERS, CUSTOMER_TIERS, NOTIFY_MODES
import ui

WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)


# ---------------------------------------------------------------------------------------------
# Home: notification settings
# ---------------------------------------------------------------------------------------------
def preferences_section() -> None:
    with st.expander(ui.t("notify.prefs.title"), icon=":material/tune:"):
        st.caption(ui.t("notify.prefs.caption"))
        current = ui.cached(notifications.preferences)
        labels = {m: ui.t(f"notify.mode.{m}") for m in NOTIFY_MODES}
        with st.form("notify_prefs"):
            chosen = {}
            for kind, mode in current.items():
                chosen[kind] = st.selectbox(notifications.kind_label(kind, ui.lang()), list(NOTIFY_MODES),
                                            index=list(NOTIFY_MODES).index(mode), format_func=labels.get, key=f"np_{kind}")
            if st.form_submit_button(ui.t("notify.prefs.save")):
                changed = {k: v for k, v in chosen.items() if v != current[k]}
                n = ui.write(notifications.set_preferences, changed)
                if n is not None:
                    ui.flash(ui.t("notify.prefs.saved", n=0 if n is True else n))
                    st.rerun()


# ---------------------------------------------------------------------------------------------
# Admin: mail settings
# ---------------------------------------------------------------------------------------------
def mail_section() -> None:
    settings = ui.read(mailer.get_settings)
    st.caption(ui.t("automation.mail.caption"))
    with st.form("mail_settings"):
        c1, c2, c3 = st.columns([3, 1, 2])
        host = c1.text_input(ui.t("automation.mail.host"), value=settings["host"])
        port = c2.number_input(ui.t("automation.mail.port"), min_value=1, max_value=65535, value=int(settings["port"]), step=1)
        security = c3.selectbox(ui.t("automation.mail.security"), list(mailer.SECURITY),
                                index=list(mailer.SECURITY).index(settings["security"]) if settings["security"] in mailer.SECURITY else 1,
                                format_func={s: ui.t(f"automation.mail.security.{s}") for s in mailer.SECURITY}.get)
        d1, d2 = st.columns(2)
        sender = d1.text_input(ui.t("automation.mail.sender"), value=settings["sender"], placeholder="crew@example.com")
        username = d2.text_input(ui.t("automation.mail.username"), value=settings["username"])
        st.caption(ui.t("automation.mail.password_set" if settings["password_set"] else "automation.mail.password_unset"))
        if st.form_submit_button(ui.t("common.save"), type="primary"):
            ui.write(mailer.save_settings, host=host, port=int(port), security=security, sender=sender, username=username,
                     success=ui.t("automation.mail.saved"), rerun=True)
    with st.form("mail_test"):
        to = st.text_input(ui.t("automation.mail.test_to"))
        if st.form_submit_button(ui.t("automation.mail.test_send"), icon=":material/send:"):
            sent_to = ui.write(mailer.send_test, to or None)
            if sent_to:
                st.success(ui.say("automation.mail.test_sent", to=sent_to))


# ---------------------------------------------------------------------------------------------
# Service: automation rules
# ---------------------------------------------------------------------------------------------
def _rule_sentence(rule: dict, teams: dict[int, str]) -> str:
    when = ui.t(f"automation.trigger.{rule['trigger']}", n=rule["trigger_days"])
    cond = rule["conditions"]
    parts = []
    if cond.get("team_id") in teams:
        parts.append(teams[cond["team_id"]])
    for key in ("industry", "tier", "priority"):
        if cond.get(key):
            value = ui.label("severity", cond[key]) if key == "priority" and cond[key] in service.SEVERITIES else cond[key]
            parts.append(f"{ui.t(f'automation.cond.{key}')} {value}")
    then = ui.t(f"automation.action.{rule['action']}")
    return " · ".join([when, *parts, then])


def rules_section() -> None:
    teams = ui.cached(pickers.teams)
    rules = ui.cached(automation.list_rules)
    st.caption(ui.t("automation.caption"))
    if not rules:
        ui.empty_state(ui.t("automation.empty"), ui.t("automation.empty_hint"))
    else:
        st.dataframe(pd.DataFrame([{
            ui.t("automation.col.name"): r["name"],
            ui.t("automation.col.rule"): _rule_sentence(r, teams),
            ui.t("automation.col.scope"): teams.get(r["team_id"], ui.t("automation.scope.all")),
            ui.t("automation.col.active"): r["active"],
            ui.t("automation.col.runs"): r["runs"],
        } for r in rules]), hide_index=True, width="stretch")
        by_id = {r["id"]: r for r in rules}
        chosen = st.selectbox(ui.t("automation.pick"), list(by_id), format_func=lambda i: by_id[i]["name"], key="auto_pick")
        b1, b2, b3 = st.columns(3)
        if b1.button(ui.t("automation.dry_run"), key="auto_dry", icon=":material/visibility:", width="stretch"):
            plan = ui.read(automation.dry_run, chosen)
            st.session_state["auto_plan"] = (chosen, plan)
        if b2.button(ui.t("automation.run_now"), key="auto_run", type="primary", width="stretch"):
            n = ui.write(automation.run_rule, chosen)
            if n is not None:
                st.session_state.pop("auto_plan", None)
                ui.flash(ui.t("automation.ran", n=0 if n is True else n))
                st.rerun()
        active = by_id[chosen]["active"]
        if b3.button(ui.t("automation.pause" if active else "automation.resume"), key="auto_toggle", width="stretch"):
            ui.write(automation.set_active, chosen, not active, success=ui.t("common.saved"), rerun=True)
        shown = st.session_state.get("auto_plan")
        if shown and shown[0] == chosen:
            plan = shown[1]
            if not plan:
                st.info(ui.t("automation.plan_empty"))
            else:
                st.info(ui.t("automation.plan_count", n=len(plan)))
                st.dataframe(pd.DataFrame([{ui.t("automation.col.record"): p["record"], ui.t("automation.col.action"): p["action"]}
                                           for p in plan]), hide_index=True, width="stretch")
    with st.expander(ui.t("automation.new"), icon=":material/add:"):
        _rule_form(teams)


def _rule_form(teams: dict[int, str]) -> None:
    actor = ui.actor()
    with st.form("auto_new", clear_on_submit=False):
        name = st.text_input(ui.t("automation.col.name"))
        c1, c2 = st.columns(2)
        trigger = c1.selectbox(ui.t("automation.when"), list(AUTOMATION_TRIGGERS),
                               format_func={tr: ui.t(f"automation.trigger.{tr}", n="N") for tr in AUTOMATION_TRIGGERS}.get)
        days = c2.number_input(ui.t("automation.days"), min_value=0, max_value=365, value=0, step=1)
        scope_options = ([None] if actor.is_admin else []) + list(teams)
        scope = st.selectbox(ui.t("automation.col.scope"), scope_options,
                             format_func=lambda i: ui.t("automation.scope.all") if i is None else teams[i])
        st.markdown(f"**{ui.t('automation.if')}**")
        d1, d2, d3, d4 = st.columns(4)
        cond_team = d1.selectbox(ui.t("automation.cond.team_id"), [None, *teams], format_func=lambda i: ui.t("common.all") if i is None else teams[i])
        industry = d2.text_input(ui.t("automation.cond.industry"))
        tier = d3.selectbox(ui.t("automation.cond.tier"), [None, *CUSTOMER_TIERS], format_func=lambda v: ui.t("common.all") if v is None else v)
        priority = d4.selectbox(ui.t("automation.cond.priority"), [None, *automation.PRIORITIES],
                                format_func=lambda v: ui.t("common.all") if v is None else ui.t(f"automation.priority.{v}"))
        st.markdown(f"**{ui.t('automation.then')}**")
        e1, e2 = st.columns(2)
        action = e1.selectbox(ui.t("automation.col.action"), list(AUTOMATION_ACTIONS),
                              format_func={a: ui.t(f"automation.action.{a}") for a in AUTOMATION_ACTIONS}.get)
        to = e2.selectbox(ui.t("automation.notify_to"), list(automation.NOTIFY_TARGETS[:2]),
                          format_func={"owner": ui.t("automation.to.owner"), "manager": ui.t("automation.to.manager")}.get)
        message = st.text_input(ui.t("automation.message"))
        f1, f2 = st.columns([3, 1])
        title = f1.text_input(ui.t("automation.task_title"), placeholder=ui.t("automation.task_title_hint"))
        due = f2.number_input(ui.t("automation.due_in"), min_value=0, max_value=365, value=1, step=1)
        if st.form_submit_button(ui.t("common.create"), type="primary"):
            params = {"to": to, "message": message} if action in ("notify", "escalate") else {}
            if action == "create_task":
                params = {"title": title, "due_in_days": int(due)}
            data = {"name": name, "team_id": scope, "trigger": trigger, "trigger_days": int(days),
                    "conditions": {"team_id": cond_team, "industry": industry.strip() or None, "tier": tier, "priority": priority},
                    "action": action, "action_params": params}
            ui.write(automation.save_rule, data, success=ui.t("automation.saved"), rerun=True)


# ---------------------------------------------------------------------------------------------
# Service → Targets: working calendar and holidays
# ---------------------------------------------------------------------------------------------
def _clock(minute: int) -> time:
    return time(23, 59) if minute >= 1440 else time(minute // 60, minute % 60)


def calendar_section(team_id: int) -> None:
    st.subheader(ui.t("automation.calendar.title"))
    st.caption(ui.t("automation.calendar.caption"))
    info = ui.cached(calendars.get_calendar, team_id)
    current = info or {"timezone": "Asia/Shanghai", "working_days": [1, 2, 3, 4, 5], "start_minute": 540, "end_minute": 1080,
                       "lead_delay_minutes": service.DEFAULT_LEAD_DELAY_MINUTES,
                       "manager_delay_minutes": service.DEFAULT_MANAGER_DELAY_MINUTES, "holidays": []}
    if info is None:
        st.info(ui.t("automation.calendar.none"))
    with st.form(f"calendar_{team_id}"):
        c1, c2, c3 = st.columns([2, 1, 1])
        zone = c1.text_input(ui.t("automation.calendar.timezone"), value=current["timezone"])
        start = c2.time_input(ui.t("automation.calendar.start"), value=_clock(current["start_minute"]), step=900)
        end = c3.time_input(ui.t("automation.calendar.end"), value=_clock(current["end_minute"]), step=900)
        days = st.multiselect(ui.t("automation.calendar.days"), list(WEEKDAYS), default=current["working_days"],
                              format_func=lambda d: ui.t(f"automation.weekday.{d}"))
        d1, d2 = st.columns(2)
        lead_delay = d1.number_input(ui.t("automation.calendar.lead_delay"), min_value=0, max_value=calendars.MAX_DELAY_MINUTES,
                                     value=current["lead_delay_minutes"], step=15)
        manager_delay = d2.number_input(ui.t("automation.calendar.manager_delay"), min_value=0,
                                        max_value=calendars.MAX_DELAY_MINUTES, value=current["manager_delay_minutes"], step=15)
        if st.form_submit_button(ui.t("common.save"), type="primary"):
            end_minute = 1440 if (end.hour, end.minute) == (23, 59) else end.hour * 60 + end.minute
            ui.write(calendars.set_calendar, team_id, timezone=zone.strip(), working_days=list(days),
                     start_minute=start.hour * 60 + start.minute, end_minute=end_minute,
                     lead_delay_minutes=int(lead_delay), manager_delay_minutes=int(manager_delay),
                     success=ui.t("automation.calendar.saved"), rerun=True)
    if info is not None:
        if info["holidays"]:
            st.dataframe(pd.DataFrame([{ui.t("common.date"): ui.fmt_date(h["day"]), ui.t("automation.calendar.holiday"): h["name"] or ""}
                                       for h in info["holidays"]]), hide_index=True, width="stretch", height=200)
        upload = st.file_uploader(ui.t("automation.calendar.import"), type=["csv", "txt"], key=f"hol_{team_id}")
        st.caption(ui.t("automation.calendar.import_help"))
        if upload is not None and st.button(ui.t("automation.calendar.import_button"), key=f"hol_go_{team_id}"):
            text = upload.getvalue().decode("utf-8-sig", errors="replace")
            result = ui.write(calendars.import_holidays, team_id, text)
            if result:
                ui.flash(ui.t("automation.calendar.imported", added=result["added"], skipped=result["skipped"]))
                st.rerun()


# ---------------------------------------------------------------------------------------------
# Service → Reports: contact-centre calls
# ---------------------------------------------------------------------------------------------
def calls_section(start: date, end: date, lead: bool) -> None:
    st.subheader(ui.t("calls.title"))
    group = st.segmented_control(ui.t("service.report.group"), ["member", "team"], default="member", key="calls_group",
                                 format_func={"member": ui.t("service.group.member"), "team": ui.t("service.group.team")}.get)
    report = ui.cached(calls.call_report, start=start, end=end, group=group or "member")
    if report.empty:
        ui.empty_state(ui.t("calls.empty"), ui.t("calls.empty_hint") if lead else None)
    else:
        k1, k2 = st.columns(2)
        ui.chart(calls.rates_chart(report, ui.lang()), container=k1, width="stretch")
        ui.chart(calls.times_chart(report, ui.lang()), container=k2, width="stretch")
        table = report.rename(columns={"group": ui.t(f"service.group.{group or 'member'}"), "calls": ui.t("calls.col.calls"),
                                       **{m: ui.t(f"metric.{m}") for m in calls.CALL_METRICS}})
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            ui.t("metric.call_answer_rate"): st.column_config.NumberColumn(format="%.0f%%"),
            ui.t("metric.call_first_contact_resolution"): st.column_config.NumberColumn(format="%.0f%%"),
            ui.t("metric.call_speed_of_answer"): st.column_config.NumberColumn(format="%.0f s"),
            ui.t("metric.call_handle_time"): st.column_config.NumberColumn(format="%.0f s"),
            ui.t("metric.call_csat"): st.column_config.NumberColumn(format="%.1f"),
        })
        ui.export_buttons(reports.formatted(table, ui.lang(), ui.currency(), {
            ui.t("metric.call_answer_rate"): "points", ui.t("metric.call_first_contact_resolution"): "points",
            ui.t("metric.call_speed_of_answer"): "seconds", ui.t("metric.call_handle_time"): "seconds",
            ui.t("metric.call_csat"): "decimal"}), "call_report", "calls_export", raw=report)
    if lead:
        with st.expander(ui.t("calls.import"), icon=":material/upload_file:"):
            _calls_import()


def _calls_import() -> None:
    st.caption(ui.t("calls.import_help"))
    upload = st.file_uploader(ui.t("calls.import"), type=["csv", "xlsx"], key="calls_upload", label_visibility="collapsed")
    if upload is None:
        return
    try:
        table = calls.read_sheet(upload.getvalue(), upload.name)
    except DomainError as error:
        ui.show_error(error)
        return
    headers = [str(c) for c in table.columns]
    suggested = calls.suggest_mapping(headers)
    st.caption(ui.t("calls.preview", n=len(table)))
    st.dataframe(table.head(5), hide_index=True, width="stretch")
    mapping = {}
    cols = st.columns(4)
    for i, field in enumerate(calls.FIELDS):
        options = [None, *headers]
        mapping[field] = cols[i % 4].selectbox(
            ui.t(f"calls.field.{field}") + (" *" if field in calls.REQUIRED else ""), options,
            index=options.index(suggested[field]) if suggested[field] in options else 0,
            format_func=lambda h: ui.t("calls.not_in_file") if h is None else h, key=f"calls_map_{field}")
    if st.button(ui.t("calls.import_button", n=len(table)), key="calls_go", type="primary"):
        with st.status(ui.t("common.loading")) as status:
            bar = st.progress(0.0)
            result = ui.write(calls.import_calls, table, mapping, progress=lambda share: bar.progress(min(1.0, share)))
            status.update(state="complete" if result else "error")
        if result:
            ui.flash(ui.t("calls.imported", added=result.added, skipped=result.skipped_duplicates))
            st.rerun()


# ---------------------------------------------------------------------------------------------
# Service → Complaints: notes and the pause
# ---------------------------------------------------------------------------------------------
def complaint_work(item: dict) -> str:
    """The note box and the wait/resume button for the chosen complaint; returns the note text
    (the page passes it to its respond/resolve buttons)."""
    note = st.text_area(ui.t("automation.note.label"), key=f"svc_worknote_{item['id']}", height=80,
                        placeholder=ui.t("automation.note.placeholder"))
    if item["status"] == "waiting":
        st.info(ui.t("automation.note.waiting"), icon=":material/pause_circle:")
        if st.button(ui.t("automation.note.resume"), key="svc_resume", icon=":material/play_arrow:"):
            ui.versioned_write("complaint", item["id"], item["version"], service.resume_complaint, item["id"], success=ui.t("automation.note.resumed"), rerun=True)
    elif item["status"] != "resolved":
        w1, w2 = st.columns(2)
        if w1.button(ui.t("automation.note.wait"), key="svc_wait", icon=":material/pause:", width="stretch"):
            ui.versioned_write("complaint", item["id"], item["version"], service.wait_on_customer, item["id"], note=note or None, success=ui.t("automation.note.paused"), rerun=True)
        if w2.button(ui.t("automation.note.add"), key="svc_add_note", width="stretch", disabled=not note.strip()):
            ui.write(service.add_complaint_note, item["id"], note, success=ui.t("automation.note.added"), rerun=True)
    if item.get("notes"):
        st.dataframe(pd.DataFrame([{ui.t("common.date"): ui.fmt_date(n["at"]), ui.t("automation.note.kind"): ui.t(f"automation.note.kind.{n['kind']}"),
                                    ui.t("common.member"): n["by"] or "—", ui.t("automation.note.label"): n["body"]}
                                   for n in item["notes"]]), hide_index=True, width="stretch")
    return note
