"""Service: complaints with live response/resolution timers and breach flags, logging a complaint,
satisfaction surveys, reports and (for managers) the service targets per team."""
from datetime import date, datetime, timedelta

import pandas as pd
import pyarrow as pa
import streamlit as st

from core import pickers, reports, service, surveys
from core.choices import SEVERITIES
from core.clock import utcnow
import ui
from ui import automation_ui, import_panel, record_links

actor = ui.page_header("service", ui.t("service.caption"))
lead = actor.role in ("admin", "manager")
# Labels as dicts built in this run (AppTest calls format_func outside the script run).
SEVERITY_LABELS = {s: ui.label("severity", s) for s in reversed(SEVERITIES)}
GROUP_LABELS = {g: ui.t(f"service.group.{g}") for g in service.GROUPS}


def duration(seconds: float) -> str:
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [("d", days), ("h", hours), ("m", minutes), ("s", secs)]
    shown = [ui.t(f"service.unit.{u}", n=n) for u, n in parts if n][:2]
    return " ".join(shown) or ui.t("service.unit.s", n=0)


def clock(left: float | None, took_hours: float | None, breached: bool) -> str:
    if left is None:
        return ui.t("service.timer.done_late" if breached else "service.timer.done", time=duration((took_hours or 0) * 3600))
    if left < 0:
        return ui.t("service.timer.overdue", time=duration(left))
    return ui.t("service.timer.left", time=duration(left))


LIVE_SECONDS = 15  # the complaint list refreshes itself this often


def timer_now() -> datetime:
    """Now, rounded down to the live list's refresh step: timers and breach flags are read once
    per step (and after any write) however often the page reruns in between, so a breach shows
    at the latest one refresh after it happens."""
    now = utcnow().replace(microsecond=0)
    return now - timedelta(seconds=now.second % LIVE_SECONDS)


def complaint_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([
        {
            ui.t("service.col.id"): r["id"],
            ui.t("common.customer"): r["customer"],
            ui.t("service.col.title"): r["title"],
            ui.t("service.col.severity"): ui.label("severity", r["severity"]),
            ui.t("common.status"): ui.label("complaint_status", r["status"]),
            ui.t("service.col.assignee"): r["assignee"] or ui.t("common.unassigned"),
            ui.t("service.col.opened"): ui.fmt_date(r["opened_at"]),
            ui.t("service.col.response"): clock(r["response_left_seconds"], r["response_hours"], r["response_breached"]),
            ui.t("service.col.resolution"): clock(r["resolution_left_seconds"], r["resolution_hours"], r["resolution_breached"]),
            ui.t("service.col.breach"): ui.t("service.flag.breached" if r["breached"] else "service.flag.ok"),
        }
        for r in rows
    ])


def complaint_arrow(result: service.ComplaintPage) -> pa.Table:
    """The live list's page of complaints, translated, as Arrow (a view: built once per revision)."""
    return pa.Table.from_pandas(complaint_table(result.rows), preserve_index=False)


def complaint_raw(result: service.ComplaintPage) -> pd.DataFrame:
    return service.complaints_frame(result.rows)


def complaint_report(result: service.ComplaintPage) -> pd.DataFrame:
    return export_frame(service.complaints_frame(result.rows))


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The complaints as a report: translated headers, labels, dates and hours formatted."""
    return reports.formatted(_complaint_columns(frame), ui.lang(), ui.currency(), {
        ui.t("service.col.response_hours"): "decimal", ui.t("service.col.resolution_hours"): "decimal"})


def _complaint_columns(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["severity"] = frame["severity"].map(lambda v: ui.label("severity", v))
    frame["status"] = frame["status"].map(lambda v: ui.label("complaint_status", v))
    return frame.rename(columns={
        "id": ui.t("service.col.id"), "customer": ui.t("common.customer"), "title": ui.t("service.col.title"),
        "severity": ui.t("service.col.severity"), "status": ui.t("common.status"), "assignee": ui.t("service.col.assignee"),
        "team": ui.t("common.team"), "opened_at": ui.t("service.col.opened"), "response_due": ui.t("service.col.response_due"),
        "first_response_at": ui.t("service.col.responded_at"), "response_hours": ui.t("service.col.response_hours"),
        "resolution_due": ui.t("service.col.resolution_due"), "resolved_at": ui.t("service.col.resolved_at"),
        "resolution_hours": ui.t("service.col.resolution_hours"),
        "response_breached": ui.t("service.col.response_breached"),
        "resolution_breached": ui.t("service.col.resolution_breached"),
    })


names = ["complaints", "new", "surveys", "reports"] + (["targets", "automation"] if lead else [])
linked_complaint = record_links.arrival_id("complaint")  # /service?complaint=<id>: notifications, the 1:1 agenda
if linked_complaint is not None:
    st.session_state["service_tab"] = ui.t("service.tab.complaints")
tabs = dict(zip(names, ui.tabs([ui.t(f"service.tab.{n}") for n in names], key="service_tab")))

# ---------------------------------------------------------------------------------------------
# Complaints: live list + work on one
# ---------------------------------------------------------------------------------------------
with tabs["complaints"]:
    if ui.kept(tabs["complaints"]):
        statuses = ["unresolved", "all", "open", "responded", "waiting", "resolved"]
        c1, c2, c3 = st.columns([1, 1, 2])
        status = c1.selectbox(ui.t("service.filter.status"), statuses, key="svc_status",
                              format_func={"unresolved": ui.t("service.filter.unresolved"), "all": ui.t("common.all"),
                                           **{s: ui.label("complaint_status", s) for s in statuses[2:]}}.get)
        severity = c2.selectbox(ui.t("service.filter.severity"), [None, *reversed(SEVERITIES)], placeholder=ui.t("common.all"), key="svc_severity",
                                format_func={None: ui.t("common.all"), **SEVERITY_LABELS}.get)
        search = c3.text_input(ui.t("service.filter.search"), key="svc_search")
        breached_only = st.toggle(ui.t("service.filter.breached"), key="svc_breached")

        @st.fragment(run_every=LIVE_SECONDS)
        def live_list() -> None:
            offset = st.session_state.get("svc_offset", 0)
            now = timer_now()
            read = dict(now=now, status=status, severity=severity, search=search, breached_only=breached_only,
                        limit=25, offset=offset)
            result = ui.cached(service.list_complaints, **read)
            if not result.rows:
                ui.empty_state(ui.t("service.empty"), ui.t("service.empty_hint"))
                return
            breached = sum(1 for r in result.rows if r["breached"])
            if breached:
                st.error(ui.t("service.breach_count", n=breached), icon=":material/alarm:")
            # views of the read above: each built once per revision, not on every 2-second tick
            st.dataframe(ui.view(complaint_arrow, service.list_complaints, **read), hide_index=True, width="stretch")
            st.caption(ui.t("service.live_caption", time=ui.fmt_date(datetime.now())))
            st.session_state["svc_offset"] = ui.pager(result.total, 25, "svc_list")
            ui.export_buttons(ui.view(complaint_report, service.list_complaints, **read), "complaints", "svc_export",
                              raw=ui.view(complaint_raw, service.list_complaints, **read))

        live_list()

        st.subheader(ui.t("service.work.title"))
        open_items = ui.cached(service.list_complaints, status="unresolved", limit=200, now=timer_now())
        if not open_items.rows:
            st.caption(ui.t("service.work.none"))
        else:
            by_id = {r["id"]: r for r in open_items.rows}
            if linked_complaint in by_id:
                st.session_state["svc_pick"] = linked_complaint
            # nothing is preselected: the list reorders as timers run, so a default would change between visits
            chosen = st.selectbox(ui.t("service.work.pick"), list(by_id), key="svc_pick", index=None,
                                  placeholder=ui.t("screens.complaint.pick"),
                                  format_func={i: f"#{i} · {r['customer']} · {r['title']} ({SEVERITY_LABELS[r['severity']]})"
                                               for i, r in by_id.items()}.get)
        if open_items.rows and chosen is not None:
            item = ui.cached(service.get_complaint, chosen, timer_now(), ui.lang())
            ui.loaded_version("complaint", chosen, item["version"])  # what every edit below carries back
            st.markdown(f"**{ui.esc(item['title'])}** · {ui.esc(item['customer'])} · {ui.label('complaint_status', item['status'])}")
            if item["description"]:
                st.caption(ui.esc(item["description"]))
            note = automation_ui.complaint_work(item)  # issue 14: working notes, waiting on the customer
            b1, b2 = st.columns(2)
            if b1.button(ui.t("service.work.respond"), key="svc_respond", disabled=item["first_response_at"] is not None,
                         width="stretch"):
                ui.versioned_write("complaint", chosen, item["version"], service.respond_to_complaint, chosen,
                                   note=note or None, success=ui.t("service.responded"), rerun=True)
            if b2.button(ui.t("service.work.resolve"), key="svc_resolve", type="primary", width="stretch"):
                st.session_state["svc_resolving"] = chosen
            if st.session_state.get("svc_resolving") == chosen:
                with st.form(f"svc_resolve_form_{chosen}", border=True):
                    note = st.text_area(ui.t("screens.complaint.note"), key=f"svc_note_{chosen}", max_chars=2000,
                                        placeholder=ui.t("screens.complaint.note_hint"))
                    sure = st.checkbox(ui.say("screens.complaint.confirm", title=item["title"]), key=f"svc_sure_{chosen}")
                    ok, cancel = st.columns(2)
                    if ok.form_submit_button(ui.t("screens.complaint.resolve_now"), type="primary", width="stretch"):
                        if not sure:
                            st.warning(ui.t("screens.confirm_first"))
                        elif ui.versioned_write("complaint", chosen, item["version"], service.resolve_complaint, chosen,
                                                note=note, success=ui.t("service.resolved")):
                            st.session_state.pop("svc_resolving", None)
                            st.rerun()
                    if cancel.form_submit_button(ui.t("common.cancel"), width="stretch"):
                        st.session_state.pop("svc_resolving", None)
                        st.rerun()
            if lead:
                people = ui.cached(pickers.members_by_team)
                if people:
                    ids = list(people)
                    names_by = people
                    r1, r2 = st.columns([3, 1])
                    target = r1.selectbox(ui.t("service.work.reassign"), ids, key="svc_reassign_to",
                                          index=ids.index(item["assignee_id"]) if item["assignee_id"] in ids else 0,
                                          format_func=names_by.get)
                    r2.write("")
                    if r2.button(ui.t("service.work.reassign_button"), key="svc_reassign", width="stretch"):
                        ui.versioned_write("complaint", chosen, item["version"], service.reassign_complaint, chosen, target,
                                           success=ui.t("service.reassigned"), rerun=True)
            with st.expander(ui.t("common.history")):
                st.dataframe(pd.DataFrame([
                    {ui.t("common.date"): ui.fmt_date(h["at"]), ui.t("common.member"): h["who"] or "—",
                     ui.t("common.actions"): h["text"] + (f" ({h['details']})" if h["details"] else "")}
                    for h in item["history"]
                ]), hide_index=True, width="stretch")

# ---------------------------------------------------------------------------------------------
# Log a complaint (single column: works on a phone)
# ---------------------------------------------------------------------------------------------
with tabs["new"]:
    if ui.kept(tabs["new"]):
        query = st.text_input(ui.t("service.new.customer_search"), key="svc_new_search")
        customers = ui.cached(pickers.complaint_customers, query)
        if not customers:
            ui.empty_state(ui.t("service.new.no_customers"))
        else:
            names_by_id = {c.id: f"{c.name} ({ui.label('tier', c.tier)})" for c in customers}
            customer_id = st.selectbox(ui.t("service.new.customer"), list(names_by_id), format_func=names_by_id.get,
                                       key="svc_new_customer")
            suggestion = ui.cached(service.suggest_assignee, customer_id)
            if suggestion["assignee_id"]:
                st.caption(ui.t("service.new.suggested", name=ui.esc(suggestion["assignee"]), team=ui.esc(suggestion["team"]) or "—"))
            else:
                st.warning(ui.t("service.new.no_suggestion"))
            options = ui.cached(pickers.members_by_team)
            if suggestion["assignee_id"]:
                options = {suggestion["assignee_id"]: f"{suggestion['assignee']} · {suggestion['team'] or '—'}", **options}
            with st.form("svc_new", clear_on_submit=True):
                severity_new = st.selectbox(ui.t("service.new.severity"), list(reversed(SEVERITIES)), index=2,
                                            format_func=SEVERITY_LABELS.get)
                title = st.text_input(ui.t("service.new.title"), max_chars=200)
                description = st.text_area(ui.t("service.new.description"))
                assignee = st.selectbox(ui.t("service.new.assignee"), list(options) or [None],
                                        format_func={None: ui.t("common.unassigned"), **options}.get)
                if st.form_submit_button(ui.t("service.new.submit"), type="primary", width="stretch"):
                    new_id = ui.write(service.log_complaint, customer_id=customer_id, severity=severity_new, title=title,
                                      description=description, assignee_id=assignee)
                    if new_id:
                        ui.flash(ui.t("service.new.logged", id=new_id))
                        st.rerun()
            team_targets = ui.cached(service.targets_for_team, suggestion["team_id"]) if suggestion["team_id"] else []
            if team_targets:
                st.caption(" · ".join(
                    f"{ui.label('severity', x['severity'])}: "
                    + ui.t("service.new.targets", response=duration(x["response_seconds"]), resolution=duration(x["resolution_seconds"]))
                    for x in team_targets
                ))

# ---------------------------------------------------------------------------------------------
# Surveys
# ---------------------------------------------------------------------------------------------
with tabs["surveys"]:
    if ui.kept(tabs["surveys"]):
        with st.expander(ui.t("surveys.record"), expanded=False):
            s_query = st.text_input(ui.t("service.new.customer_search"), key="srv_search")
            s_customers = ui.cached(pickers.complaint_customers, s_query)
            if not s_customers:
                ui.empty_state(ui.t("service.new.no_customers"))
            else:
                s_names = {c.id: c.name for c in s_customers}
                s_customer = st.selectbox(ui.t("service.new.customer"), list(s_names), format_func=s_names.get, key="srv_customer")
                recent = ui.cached(surveys.recent_interactions, s_customer)
                inter = {i["id"]: f"{ui.fmt_date(i['occurred_at'])} · {ui.label('channel', i['channel'])} · {i['summary'][:40]}" for i in recent}
                with st.form("srv_new", clear_on_submit=True):
                    csat = st.pills(ui.t("surveys.csat"), [1, 2, 3, 4, 5], key="srv_csat")
                    nps = st.pills(ui.t("surveys.nps"), list(range(11)), key="srv_nps")
                    responded = st.date_input(ui.t("surveys.responded_on"), value=date.today(), max_value=date.today())
                    interaction = st.selectbox(ui.t("surveys.interaction"), [None, *inter],
                                               format_func={None: ui.t("common.none"), **inter}.get)
                    comment = st.text_area(ui.t("surveys.comment"))
                    if st.form_submit_button(ui.t("surveys.submit"), type="primary", width="stretch"):
                        when = datetime.combine(responded, utcnow().time()) if responded != date.today() else None
                        if ui.write(surveys.record_survey, customer_id=s_customer, csat=csat, nps=nps, interaction_id=interaction,
                                    comment=comment, responded_at=when, success=ui.t("surveys.recorded")):
                            st.rerun()
        with st.expander(ui.t("surveys.import")):
            st.caption(ui.t("surveys.import_help"))
            import_panel.render("surveys", key="srv_imp")

        st.subheader(ui.t("surveys.list"))
        today = date.today()
        s_range = st.date_input(ui.t("surveys.range"), value=(today - timedelta(days=180), today), key="srv_range")
        # the list and trends are read-only: computed and drawn only while the tab is open
        if ui.in_view(tabs["surveys"]) and isinstance(s_range, tuple) and len(s_range) == 2:
            s_start, s_end = s_range
            offset = st.session_state.get("srv_offset", 0)
            total, frame = ui.cached(surveys.list_surveys, start=s_start, end=s_end, limit=50, offset=offset)
            if frame.empty:
                ui.empty_state(ui.t("surveys.empty"))
            else:
                shown = frame.rename(columns={
                    "id": ui.t("service.col.id"), "responded_at": ui.t("surveys.col.responded_at"),
                    "customer": ui.t("common.customer"), "member": ui.t("common.member"), "csat": "CSAT", "nps": "NPS",
                    "comment": ui.t("surveys.col.comment"), "interaction_id": ui.t("surveys.interaction"),
                })
                readable = reports.formatted(shown.drop(columns=[ui.t("surveys.interaction")]), ui.lang(), ui.currency())
                st.dataframe(readable, hide_index=True, width="stretch")
                st.session_state["srv_offset"] = ui.pager(total, 50, "srv_list")
                ui.export_buttons(readable, "surveys", "srv_export", raw=frame)
                st.subheader(ui.t("surveys.trends"))
                trend_group = st.segmented_control(ui.t("surveys.trend_group"), ["team", "member"], default="team",
                                                   format_func=GROUP_LABELS.get, key="srv_group",
                                                   persist_state="page") or "team"
                trends = ui.cached(surveys.survey_trends, start=s_start, end=s_end, group=trend_group)
                if not trends.empty:
                    g1, g2 = st.columns(2)
                    ui.chart(surveys.trend_chart(trends, "csat_avg", trend_group, ui.lang()), container=g1, width="stretch")
                    ui.chart(surveys.trend_chart(trends, "nps", trend_group, ui.lang()), container=g2, width="stretch")
                    st.caption(ui.t("surveys.nps_note"))
                    ui.export_buttons(reports.survey_trends(trends, ui.lang(), ui.currency()).rename(
                        columns={ui.t("reports.col.group"): GROUP_LABELS[trend_group]}), "survey_trends", "srv_trend_export", raw=trends)

# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------
with tabs["reports"]:
    if ui.kept(tabs["reports"]):
        today = date.today()
        r1, r2, r3 = st.columns([2, 1, 1])
        r_range = r1.date_input(ui.t("service.report.range"), value=(today - timedelta(days=90), today), key="svc_r_range")
        group = r2.selectbox(ui.t("service.report.group"), list(service.GROUPS), key="svc_r_group",
                             format_func=GROUP_LABELS.get)
        period = r3.selectbox(ui.t("service.report.period"), ["month", "week"], key="svc_r_period",
                              format_func={p: ui.t(f"service.report.period.{p}") for p in ("month", "week")}.get,
                              disabled=group != "period")
        if isinstance(r_range, tuple) and len(r_range) == 2:
            start, end = r_range
            if ui.in_view(tabs["reports"]):  # the report is read-only: computed and drawn only while its tab is open
                report = ui.cached(service.service_report, start=start, end=end, group=group, period=period)
                if report.empty:
                    ui.empty_state(ui.t("service.report.empty"))
                else:
                    k1, k2 = st.columns(2)
                    ui.chart(service.response_time_chart(report, group, ui.lang()), container=k1, width="stretch")
                    ui.chart(service.resolution_rate_chart(report, group, ui.lang()), container=k2, width="stretch")
                    st.caption(ui.t("service.report.note"))
                    table = report.rename(columns={"group": ui.t(f"service.group.{group}"),
                                                   **{c: ui.t(f"service.col.{c}") for c in report.columns if c != "group"}})
                    # the same formatted table on screen and in the file: an average without data reads "—", never None
                    readable = reports.formatted(table, ui.lang(), ui.currency(), {
                        ui.t("service.col.avg_response_hours"): "decimal", ui.t("service.col.avg_response_business_hours"): "decimal",
                        ui.t("service.col.resolution_rate"): "points"})
                    if report["avg_response_hours"].isna().all():
                        st.info(ui.t("reports.no_responses"))
                    st.dataframe(readable, hide_index=True, width="stretch")
                    ui.export_buttons(readable, "service_report", "svc_r_export", raw=report)
                    st.subheader(ui.t("service.report.breaches"))
                    missed = ui.cached(service.breaches, start=start, end=end)
                    if missed.empty:
                        st.success(ui.t("service.report.no_breaches"))
                    else:
                        shown = export_frame(missed)
                        st.dataframe(shown, hide_index=True, width="stretch")
                        ui.export_buttons(shown, "service_breaches", "svc_b_export", raw=missed)
            automation_ui.calls_section(start, end, lead)

# ---------------------------------------------------------------------------------------------
# Targets (managers and admins)
# ---------------------------------------------------------------------------------------------
if lead:
    with tabs["targets"]:
        if ui.kept(tabs["targets"]):
            teams = ui.cached(pickers.teams)
            if not teams:
                ui.empty_state(ui.t("service.targets.none"))
            else:
                team_names = teams
                team_id = st.selectbox(ui.t("service.targets.team"), list(team_names), format_func=team_names.get, key="svc_t_team")
                st.caption(ui.t("service.targets.help"))
                current = ui.cached(service.targets_for_team, team_id)
                frame = pd.DataFrame([
                    {"severity": x["severity"], "label": ui.label("severity", x["severity"]),
                     "response": x["response_hours"], "resolution": x["resolution_hours"],
                     "source": ui.t(f"service.targets.source.{x['source']}")}
                    for x in current
                ])
                edited = st.data_editor(
                    frame, hide_index=True, width="stretch", key=f"svc_t_editor_{team_id}",
                    disabled=["severity", "label", "source"],
                    column_order=["label", "response", "resolution", "source"],
                    column_config={
                        "label": st.column_config.TextColumn(ui.t("service.col.severity")),
                        "response": st.column_config.NumberColumn(ui.t("service.targets.response_hours"), min_value=0.0, step=0.25, format="%.2f"),
                        "resolution": st.column_config.NumberColumn(ui.t("service.targets.resolution_hours"), min_value=0.0, step=0.25, format="%.2f"),
                        "source": st.column_config.TextColumn(ui.t("service.targets.source")),
                    },
                )
                if st.button(ui.t("common.save"), key="svc_t_save", type="primary"):
                    changes = service.changed_targets(edited.to_dict("records"), current)
                    if not changes:
                        st.info(ui.t("service.targets.no_change"))
                    elif ui.write(service.save_service_targets, team_id, changes, success=ui.t("service.targets.saved")):
                        st.rerun()
                targets = frame.drop(columns=["severity"]).rename(columns={
                    "label": ui.t("service.col.severity"), "response": ui.t("service.targets.response_hours"),
                    "resolution": ui.t("service.targets.resolution_hours"), "source": ui.t("service.targets.source")})
                ui.export_buttons(reports.formatted(targets, ui.lang(), ui.currency(), {
                    ui.t("service.targets.response_hours"): "decimal", ui.t("service.targets.resolution_hours"): "decimal"}),
                    "service_targets", "svc_t_export", raw=frame)
                automation_ui.calendar_section(team_id)

    with tabs["automation"]:
        if ui.kept(tabs["automation"]):
            automation_ui.rules_section()
