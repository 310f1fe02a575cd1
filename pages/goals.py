"""Goals: overview with live charts, goal detail (burn-up, roll-up, check-ins), a SMART-checked
form for new goals, and decomposition across members or over time. Members get a compact
check-in form for their own goals first (fits a phone screen)."""
import hashlib
from datetime import date
from functools import partial

import pandas as pd
import pyarrow as pa
import streamlit as st

from core import goals, pickers, reports
from core.metrics import METRIC_UNITS
from core.choices import GOAL_METRICS
import ui
from ui import period_ui, pipeline_view, record_links

actor = ui.page_header("goals")
is_lead = actor.role in ("admin", "manager")
today = date.today()


def status_label(code: str) -> str:
    return ui.t(f"goals.status.{code}")


def status_badge(code: str) -> str:
    color = {"on_track": "green", "at_risk": "orange", "off_track": "red"}.get(code, "gray")
    return f":{color}-badge[{status_label(code)}]"


def fmt_value(value, metric: str, unit: str = "") -> str:
    """A goal's actual, target or forecast, read the one way (core.metrics.format_metric)."""
    return ui.fmt_metric(value, metric, unit or None)


def goal_arrow(rows: list[goals.GoalRow]) -> pa.Table:
    """The goals as a translated table, as Arrow (a view: built once per revision, as this table
    redraws with every live tick)."""
    owner, goal, metric, actual, target = (ui.t("goals.owner"), ui.t("goals.goal"), ui.t("goals.metric"),
                                           ui.t("goals.actual"), ui.t("goals.target"))
    percent, status, ends = ui.t("goals.percent"), ui.t("goals.status"), ui.t("goals.ends")
    return pa.Table.from_pandas(pd.DataFrame([{
        owner: g.owner, goal: g.title, metric: ui.label("metric", g.metric),
        actual: fmt_value(g.progress.actual, g.metric, g.unit), target: fmt_value(g.target, g.metric, g.unit),
        percent: g.percent, status: status_label(g.status), ends: g.end_date,
    } for g in rows]), preserve_index=False)


def children_arrow(rollup: tuple) -> pa.Table:
    """A goal's children (from core.goals.goal_rollup) as the goals table."""
    return goal_arrow(rollup[1])


def goal_table(frame: pa.Table, key: str) -> None:
    st.dataframe(frame, hide_index=True, width="stretch", key=key, column_config={
        ui.t("goals.percent"): st.column_config.ProgressColumn(ui.t("goals.percent"), min_value=0, max_value=100, format="%.0f%%"),
        ui.t("goals.ends"): st.column_config.DateColumn(ui.t("goals.ends"), format="YYYY-MM-DD"),
    })


def overview_chart(title_key: str, rows: list[goals.GoalRow]) -> dict:
    """The overview chart of a read of core.goals.list_goals (a chart view)."""
    return goals.overview_spec(rows, overview_labels(title_key), status_labels())


def overview_labels(title_key: str) -> dict:
    return {"title": ui.t(title_key), "percent": ui.t("goals.percent"), "goal": ui.t("goals.goal"), "status": ui.t("goals.status")}


def status_labels() -> dict:
    return {s: status_label(s) for s in goals.STATUSES}


# ---------------------------------------------------------------------------------------------
# Members: check in on their own goals first (one narrow column, three fields, one button)
# ---------------------------------------------------------------------------------------------
mine = ui.cached(goals.list_goals, mine=True, today=today) if actor.member_id else []
manual_mine = [g for g in mine if g.metric == "manual" and g.start_date <= today]
if actor.member_id and not is_lead:
    with st.container(border=True):
        st.subheader(ui.t("goals.check_in"))
        if not manual_mine:
            st.caption(ui.t("goals.nothing_to_check_in"))
        else:
            with st.form("check_in_form", clear_on_submit=True):
                st.caption(ui.t("goals.check_in_caption"))
                choice = st.selectbox(ui.t("goals.goal"), [g.id for g in manual_mine], key="ci_goal",
                                      format_func={g.id: f"{g.title} ({fmt_value(g.progress.actual, g.metric, g.unit)} / "
                                                   f"{fmt_value(g.target, g.metric, g.unit)})" for g in manual_mine}.get)
                value = st.number_input(ui.t("goals.check_in_value"), value=None, step=1.0, key="ci_value")
                confidence = st.select_slider(ui.t("goals.confidence"), options=[1, 2, 3, 4, 5], value=3, key="ci_confidence")
                comment = st.text_input(ui.t("goals.comment"), key="ci_comment")
                if st.form_submit_button(ui.t("goals.check_in_submit"), type="primary", width="stretch"):
                    if ui.write(goals.record_check_in, choice, value, confidence, comment, success=ui.t("goals.checked_in")):
                        st.rerun()

# ---------------------------------------------------------------------------------------------
# Tabs
# ---------------------------------------------------------------------------------------------
tab_names = [ui.t("goals.tab.overview"), ui.t("goals.tab.detail"), ui.t("goals.tab.new")]
if is_lead:
    tab_names.append(ui.t("goals.tab.decompose"))
linked_goal = record_links.arrival_id("goal")  # /goals?goal=<id>: Home's and the 1:1 agenda's links
if linked_goal is not None:
    st.session_state["goals_tab"] = tab_names[1]
tabs = ui.tabs(tab_names, key="goals_tab")  # each body drawn only while open (in_view): its forms are short
teams = ui.cached(pickers.teams) if is_lead else {}


def at_risk_arrow(rows: list[goals.GoalRow]) -> pa.Table:
    """The tick table of the goals falling behind (a view of core.goals.list_goals)."""
    return pa.Table.from_pylist([{
        "pick": False, "goal": g.title, "owner": g.owner, "status": status_label(g.status),
        "progress": f"{fmt_value(g.progress.actual, g.metric, g.unit)} / {fmt_value(g.target, g.metric, g.unit)}",
        "ends": g.end_date,
    } for g in goals.falling_behind(rows)])


@st.fragment
def at_risk_follow_ups(team_id: int) -> None:
    """At-risk and off-track goals in one table: tick the ones to follow up, then one click puts a
    follow-up task for each on the board (one table, not a button per goal: fast with many goals).
    A fragment: ticking a goal reruns this table only, so it reads the goals itself (a fragment
    rerun would otherwise get the list of the last full run)."""
    at_risk = goals.falling_behind(ui.cached(goals.list_goals, team_id=team_id, today=today))
    if not at_risk:
        st.success(ui.t("goals.no_at_risk"))
        return
    st.caption(ui.t("goals.at_risk_hint"))
    # The editor's ticks are row positions: a new set of goals starts a new editor, so a tick
    # never moves to another goal when the list changes under it.
    shown_ids = tuple(g.id for g in at_risk)
    editor_key = f"at_risk_{team_id}_{hashlib.sha1(repr(shown_ids).encode()).hexdigest()[:10]}"
    table = ui.view(at_risk_arrow, goals.list_goals, team_id=team_id, today=today)
    edited = st.data_editor(table, key=editor_key, hide_index=True, width="stretch",
                            disabled=["goal", "owner", "status", "progress", "ends"], column_config={
                                "pick": st.column_config.CheckboxColumn(ui.t("goals.col.pick")),
                                "goal": st.column_config.TextColumn(ui.t("goals.goal"), width="large"),
                                "owner": st.column_config.TextColumn(ui.t("goals.owner")),
                                "status": st.column_config.TextColumn(ui.t("goals.status")),
                                "progress": st.column_config.TextColumn(ui.t("goals.col.progress")),
                                "ends": st.column_config.DateColumn(ui.t("goals.ends"), format="YYYY-MM-DD"),
                            })
    picked = [g for g, tick in zip(at_risk, edited.column("pick").to_pylist()) if tick]
    if st.button(ui.t("goals.follow_up_selected", n=len(picked)), key=f"fu_create_{team_id}", type="primary",
                 icon=":material/add_task:", disabled=not picked):
        titles = {g.id: ui.t("goals.follow_up_title", title=g.title) for g in picked}
        if ui.write(goals.create_follow_up_tasks, titles, success=ui.t("goals.follow_ups_created", n=len(picked))):
            st.session_state.pop(editor_key, None)
            st.rerun()


@st.fragment(run_every="2s")
def live_overview(team_id: int | None, period: str = "current") -> None:
    """Re-reads only when the data revision changed (ui.cached keys on it)."""
    read = dict(team_id=team_id, today=today, period=period, fiscal_start=period_ui.fiscal_start())
    rows = ui.cached(goals.list_goals, **read)
    if not rows:
        if is_lead:
            ui.empty_state(ui.t("goals.none_team"), ui.t("goals.none_team_hint"))
        else:
            ui.empty_state(ui.t("goals.none_mine"), ui.t("goals.none_mine_hint"))
        return
    title = "goals.chart.overview" if is_lead else "goals.chart.mine"
    ui.chart(ui.chart_view(partial(overview_chart, title), goals.list_goals, **read), width="stretch")
    goal_table(ui.view(goal_arrow, goals.list_goals, **read), key="overview_table")
    st.caption(ui.t("goals.status_rule"))


with tabs[0]:
    if ui.in_view(tabs[0]):
        team_id = None
        if is_lead:
            if not teams:
                ui.empty_state(ui.t("goals.no_teams"))
            else:
                team_id = st.selectbox(ui.t("goals.team"), list(teams), key="ov_team", persist_state="page",
                                       format_func=teams.get)
        period = period_ui.picker("goals_period")  # issue 11: past quarters stay reachable
        if not is_lead or team_id is not None:
            st.caption(ui.t("goals.live"))
            live_overview(team_id, period)
        if is_lead and team_id is not None:
            rows = ui.cached(goals.list_goals, team_id=team_id, today=today)
            at_risk = goals.falling_behind(rows)
            st.subheader(ui.t("goals.at_risk"))
            if not at_risk:
                st.success(ui.t("goals.no_at_risk"))
            else:
                worst = ", ".join(f"{ui.esc(g.owner)} · {ui.esc(g.title)}" for g in at_risk[:3])
                st.warning(ui.t("goals.at_risk_summary", n=len(at_risk), worst=worst), icon=":material/warning:")
                # The tick table is drawn only while its panel is open (an editable table on every
                # rerun of the page otherwise); the goals' statuses are in the chart and table above.
                panel = st.expander(ui.t("goals.follow_up_panel"), icon=":material/add_task:", key="at_risk_panel",
                                    on_change="rerun")
                with panel:
                    if ui.in_view(panel):
                        at_risk_follow_ups(team_id)
            frames = ui.cached(goals.export_frames, team_id, today, period=period, fiscal_start=period_ui.fiscal_start())
            file_name = f"goals_team_{team_id}_{period.replace(':', '-')}_{today.isoformat()}"
            x1, x2 = st.columns(2)
            lang, money = ui.lang(), ui.currency()  # read in this run: the file is built on the click
            x1.download_button(ui.t("goals.export"), lambda: ui.to_xlsx(reports.goals_workbook(frames, lang, money)),
                               f"{file_name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               key="export_xlsx", icon=":material/download:")
            x2.download_button(ui.t("reports.export_raw"), lambda: ui.to_xlsx(frames), f"{file_name}_raw.xlsx",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="export_xlsx_raw",
                               icon=":material/dataset:", help=ui.t("reports.raw_hint"))


# ---------------------------------------------------------------------------------------------
# Goal detail
# ---------------------------------------------------------------------------------------------
def burnup_chart(goal_id: int, today: date, series) -> dict:
    """A goal's burn-up chart from its progress series (a chart view; the goal's own read is cached too)."""
    goal = ui.cached(goals.get_goal, goal_id, today)
    labels = {"title": ui.t("goals.chart.burnup", title=goal.title), "date": ui.t("goals.date"),
              "value": ui.label("metric", goal.metric), "actual": ui.t("goals.actual"), "expected": ui.t("goals.expected"),
              "forecast": ui.t("goals.forecast"), "target": ui.t("goals.chart.target")}
    return goals.burnup_chart(goal, series, labels, today)


@st.fragment(run_every="2s")
def live_burnup(goal_id: int) -> None:
    goal = ui.cached(goals.get_goal, goal_id, today)
    p = goal.progress
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(ui.t("goals.actual"), fmt_value(p.actual, goal.metric, goal.unit))
    c2.metric(ui.t("goals.target"), fmt_value(goal.target, goal.metric, goal.unit))
    c3.metric(ui.t("goals.percent"), ui.fmt_points(goal.percent))
    c4.metric(ui.t("goals.forecast"), fmt_value(p.forecast, goal.metric, goal.unit))
    st.markdown(f"{ui.t('goals.status')}: {status_badge(goal.status)} · {ui.t('goals.expected')}: "
                f"{fmt_value(p.expected, goal.metric, goal.unit)} · "
                f"{ui.fmt_date(goal.start_date)} – {ui.fmt_date(goal.end_date)}")
    ui.chart(ui.chart_view(partial(burnup_chart, goal_id, today), goals.progress_series, goal_id, today), width="stretch")
    st.caption(ui.t("goals.status_rule"))


with tabs[1]:
    if ui.in_view(tabs[1]):
        choices = ui.cached(goals.list_goals, today=today, limit=500, period=st.session_state.get("goals_period") or "current",
                            fiscal_start=period_ui.fiscal_start())  # the period chosen on the overview
        if not choices:
            ui.empty_state(ui.t("goals.none_mine") if not is_lead else ui.t("goals.none_team"), ui.t("goals.none_team_hint"))
        else:
            if linked_goal is not None and any(g.id == linked_goal for g in choices):
                st.session_state["detail_goal"] = linked_goal
            goal_id = st.selectbox(ui.t("goals.goal"), [g.id for g in choices], key="detail_goal", persist_state="page",
                                   format_func=lambda i: next(f"{g.owner} · {g.title}" for g in choices if g.id == i))
            live_burnup(goal_id)
            goal = next(g for g in choices if g.id == goal_id)
            rollup, children = ui.cached(goals.goal_rollup, goal_id, today)
            if children:
                st.subheader(ui.t("goals.children"))
                params = dict(total=fmt_value(rollup.children_target, goal.metric, goal.unit),
                              target=fmt_value(rollup.parent_target, goal.metric, goal.unit),
                              diff=fmt_value(abs(rollup.difference or 0), goal.metric, goal.unit))
                prefix = "sum" if rollup.rule == "sum" else "avg"
                if rollup.adds_up:
                    st.success(ui.t(f"goals.{prefix}_ok", **params))
                else:
                    st.warning(ui.t(f"goals.{prefix}_off", **params))
                if rollup.children_actual is not None:
                    st.caption(ui.t("goals.children_actual", value=fmt_value(rollup.children_actual, goal.metric, goal.unit)))
                goal_table(ui.view(children_arrow, goals.goal_rollup, goal_id, today), key="children_table")
            if goal.metric == "manual":
                st.subheader(ui.t("goals.check_ins"))
                may_check_in = (goal.member_id is not None and goal.member_id == actor.member_id) or is_lead
                if may_check_in:
                    with st.form("detail_check_in", clear_on_submit=True):
                        value = st.number_input(ui.t("goals.check_in_value"), value=None, step=1.0, key="dci_value")
                        confidence = st.select_slider(ui.t("goals.confidence"), options=[1, 2, 3, 4, 5], value=3, key="dci_conf")
                        comment = st.text_input(ui.t("goals.comment"), key="dci_comment")
                        if st.form_submit_button(ui.t("goals.check_in_submit"), type="primary"):
                            if ui.write(goals.record_check_in, goal_id, value, confidence, comment, success=ui.t("goals.checked_in")):
                                st.rerun()
                history = ui.cached(goals.check_ins, goal_id)
                if not history:
                    st.caption(ui.t("goals.no_check_ins"))
                else:
                    st.dataframe(pd.DataFrame([{
                        ui.t("goals.date"): h["at"], ui.t("goals.value"): fmt_value(h["value"], goal.metric, goal.unit),
                        ui.t("goals.confidence"): ui.fmt_number(h["confidence"]),  # "—" when not given, never None
                        ui.t("goals.comment"): h["comment"] or "", ui.t("goals.owner"): h["who"] or "—"} for h in history]),
                        hide_index=True, width="stretch",
                        column_config={ui.t("goals.date"): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
            else:
                st.caption(ui.t("goals.measured_note"))
            if is_lead or goal.member_id == actor.member_id:
                ui.loaded_version("goal", goal_id, goal.version)
                if st.button(ui.t("goals.archive"), key=f"archive_{goal_id}", icon=":material/archive:"):
                    if ui.versioned_write("goal", goal_id, goal.version, goals.archive_goal, goal_id, success=ui.t("goals.archived")):
                        st.rerun()

# ---------------------------------------------------------------------------------------------
# New goal with the SMART check before saving
# ---------------------------------------------------------------------------------------------
with tabs[2]:
    if ui.in_view(tabs[2]):
        owner_teams, owner_members = ui.cached(pickers.led_teams), ui.cached(pickers.members)
        options = [("team", i) for i in owner_teams] + [("member", i) for i in owner_members]
        names = {("team", i): ui.t("goals.owner_team", name=n) for i, n in owner_teams.items()}
        names.update({("member", i): ui.t("goals.owner_member", name=n) for i, n in owner_members.items()})
        if not options:
            ui.empty_state(ui.t("goals.no_teams"))
        else:
            parents = [g for g in ui.cached(goals.list_goals, today=today, limit=500) if g.team_id is not None] if is_lead else []
            with st.form("new_goal"):
                title = st.text_input(ui.t("goals.title"), help=ui.t("goals.title_help"), max_chars=200, key="ng_title")
                owner = st.selectbox(ui.t("goals.owner"), options, format_func=lambda o: names[o], key="ng_owner")
                metric = st.selectbox(ui.t("goals.metric"), list(GOAL_METRICS), format_func={m: ui.label("metric", m) for m in GOAL_METRICS}.get, key="ng_metric")
                c1, c2, c3 = st.columns(3)
                target = c1.number_input(ui.t("goals.target"), value=None, step=1.0, key="ng_target")
                baseline = c2.number_input(ui.t("goals.baseline"), value=0.0, step=1.0, help=ui.t("goals.baseline_help"), key="ng_baseline")
                unit = c3.text_input(ui.t("goals.unit"), max_chars=20, key="ng_unit")
                c4, c5 = st.columns(2)
                start = c4.date_input(ui.t("goals.start"), value=today, key="ng_start")
                end = c5.date_input(ui.t("goals.end"), value=None, key="ng_end")
                c6, c7 = st.columns(2)
                importance = c6.checkbox(ui.t("goals.importance"), value=True, key="ng_importance")
                urgency = c7.checkbox(ui.t("goals.urgency"), value=False, key="ng_urgency")
                parent_id = None
                if parents:
                    parent_id = st.selectbox(ui.t("goals.parent"), [None] + [g.id for g in parents], key="ng_parent", placeholder=ui.t("goals.no_parent"),
                                             format_func={None: ui.t("goals.no_parent"), **{g.id: f"{g.owner} · {g.title}" for g in parents}}.get)
                confirm = st.checkbox(ui.t("goals.smart_confirm"), key="ng_confirm")
                b1, b2 = st.columns(2)
                check = b1.form_submit_button(ui.t("goals.smart_check"), icon=":material/fact_check:", width="stretch")
                save = b2.form_submit_button(ui.t("goals.create"), type="primary", width="stretch")
            if check or save:
                draft = goals.GoalDraft(
                    title=title or "", metric=metric, target=target, start_date=start, end_date=end,
                    team_id=owner[1] if owner[0] == "team" else None, member_id=owner[1] if owner[0] == "member" else None,
                    unit=unit or METRIC_UNITS.get(metric, ""), baseline=baseline or 0.0, importance=int(importance),
                    urgency=int(urgency), parent_id=parent_id)
                items = ui.read(goals.smart_check, draft)
                st.subheader(ui.t("goals.smart_title"))
                for item in items:
                    text = f"**{ui.t(f'goals.smart.letter.{item.letter}')}** · {ui.t(f'goals.smart.level.{item.level}')}: {ui.t(item.key, **item.params)}"
                    {"ok": st.success, "missing": st.error, "doubtful": st.warning}[item.level](text)
                missing = any(i.level == "missing" for i in items)
                doubtful = any(i.level == "doubtful" for i in items)
                if save:
                    if missing:
                        st.error(ui.t("goals.smart_blocked"))
                    elif doubtful and not confirm:
                        st.warning(ui.t("goals.smart_doubtful"))
                    elif ui.write(goals.create_goal, draft, success=ui.t("goals.created")):
                        st.rerun()

# ---------------------------------------------------------------------------------------------
# Decomposition (managers and admins)
# ---------------------------------------------------------------------------------------------
if is_lead:
    with tabs[3]:
        if ui.in_view(tabs[3]):
            candidates = ui.cached(goals.list_goals, today=today, limit=500)
            if not candidates:
                ui.empty_state(ui.t("goals.decompose_none"))
            else:
                parent_id = st.selectbox(ui.t("goals.decompose_parent"), [g.id for g in candidates], key="dc_parent", persist_state="page",
                                         format_func=lambda i: next(f"{g.owner} · {g.title}" for g in candidates if g.id == i))
                parent = next(g for g in candidates if g.id == parent_id)
                axis = st.segmented_control(ui.t("goals.decompose_axis"), ["members", "time"], default="members", key="dc_axis", persist_state="page",
                                            format_func={a: ui.t(f"goals.axis.{a}") for a in ("members", "time")}.get) or "members"
                proposal = []
                if axis == "members":
                    if parent.team_id is None:
                        st.info(ui.t("goals.decompose_members_team_only"))
                    else:
                        method = st.segmented_control(ui.t("goals.method"), list(goals.SPLIT_METHODS), default="even", key="dc_method", persist_state="page",
                                                      format_func={m: ui.t(f"goals.method.{m}") for m in goals.SPLIT_METHODS}.get) or "even"
                        proposal = ui.cached(goals.propose_member_split, parent_id, method)
                        if not proposal:
                            st.info(ui.t("goals.decompose_empty"))
                else:
                    time_axis = st.segmented_control(ui.t("goals.period"), list(goals.TIME_AXES), default="quarter", key="dc_time", persist_state="page",
                                                     format_func={a: ui.t(f"goals.time_axis.{a}") for a in goals.TIME_AXES}.get) or "quarter"
                    proposal = ui.cached(goals.propose_time_split, parent_id, time_axis)
                if proposal:
                    ui.loaded_version("goal", parent_id, parent.version)  # the split is proposed from this version
                    st.caption(ui.t("goals.decompose_hint"))
                    frame = pd.DataFrame([{"title": c.title, "owner": c.name, "target": c.target, "start": c.start_date,
                                           "end": c.end_date} for c in proposal])
                    edited = st.data_editor(frame, hide_index=True, width="stretch", num_rows="fixed",
                                            key=f"dc_editor_{parent_id}_{axis}", disabled=["owner"], column_config={
                                                "title": st.column_config.TextColumn(ui.t("goals.title"), max_chars=200),
                                                "owner": st.column_config.TextColumn(ui.t("goals.owner")),
                                                "target": st.column_config.NumberColumn(ui.t("goals.target"), min_value=0),
                                                "start": st.column_config.DateColumn(ui.t("goals.start")),
                                                "end": st.column_config.DateColumn(ui.t("goals.end")),
                                            })
                    targets = [float(x) if pd.notna(x) else 0.0 for x in edited["target"]]
                    check = goals.rollup_of(parent.metric, parent.target, targets, [])
                    params = dict(total=fmt_value(check.children_target, parent.metric, parent.unit),
                                  target=fmt_value(parent.target, parent.metric, parent.unit),
                                  diff=fmt_value(abs(check.difference or 0), parent.metric, parent.unit))
                    prefix = "sum" if check.rule == "sum" else "avg"
                    (st.success if check.adds_up else st.warning)(ui.t(f"goals.{prefix}_{'ok' if check.adds_up else 'off'}", **params))
                    existing = ui.cached(goals.active_children_count, parent_id)
                    resplit = False
                    if existing:
                        st.warning(ui.t("screens.goal.has_children", n=existing))
                        resplit = st.checkbox(ui.t("screens.goal.resplit_confirm", n=existing), key=f"dc_resplit_{parent_id}")
                    if st.button(ui.t("screens.goal.resplit" if existing else "goals.decompose_save"), type="primary",
                                 key="dc_save", disabled=bool(existing) and not resplit):
                        drafts = [goals.ChildDraft(title=str(r["title"] or ""), target=float(r["target"]) if pd.notna(r["target"]) else None,
                                                   start_date=pd.Timestamp(r["start"]).date(), end_date=pd.Timestamp(r["end"]).date(),
                                                   member_id=c.member_id, team_id=c.team_id, name=c.name)
                                  for (_, r), c in zip(edited.iterrows(), proposal)]
                        if ui.versioned_write("goal", parent_id, parent.version, goals.save_children, parent_id, drafts,
                                              replace_existing=bool(existing), success=ui.t("goals.decomposed", n=len(drafts))):
                            st.rerun()

pipeline_view.forecast_expander("goals_fc")  # issue 13: forecast against the sales quota, past quarters
