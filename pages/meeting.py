"""Meeting: a read-only team dashboard for screen sharing. Large type, refreshes itself every few
seconds (a fragment polls the data revision; nothing is kept in the server process), shareable as
/meeting?team=<id>&lang=zh, printable with ?print=1 (no sidebar, no refresh), and for the wall with
?kiosk=1: no sidebar, keeps refreshing, one 1920×1080 screen without scrolling whose sections
rotate every 20 s. ?period=month|quarter|year picks the goals' period (this month by default)."""
import time
from datetime import date, datetime
from functools import partial

import pandas as pd
import pyarrow as pa
import streamlit as st

from core import goals, meeting, meeting_wall, periods
import ui
from ui import period_ui, pipeline_view

kiosk = st.query_params.get("kiosk") == "1"
print_mode = st.query_params.get("print") == "1" and not kiosk
if kiosk:
    ui.require_page("meeting")  # the wall shows the team's name, not the page title
    ui.show_flashes()
    actor = ui.actor()
else:
    actor = ui.page_header("meeting")

st.html("""<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.45rem; line-height: 1.5; }
[data-testid="stMain"] h1 { font-size: 3rem; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 2.1rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 3.4rem !important; line-height: 1.2; }
[data-testid="stMetricLabel"] p { font-size: 1.4rem !important; }
[data-testid="stTable"] td, [data-testid="stTable"] th { font-size: 1.35rem; padding: .45rem .7rem; }
</style>""")
if print_mode or kiosk:
    st.html("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header, [data-testid="stToolbar"] { display: none !important; }
@media print { [data-testid="stMain"] { padding: 0 !important; } }
</style>""")
if kiosk:  # one screen: tighter spacing, nothing above the content
    st.html("""<style>
[data-testid="stMainBlockContainer"] { padding: 1.2rem 2.5rem 0 2.5rem !important; max-width: none !important; }
[data-testid="stMain"] h2 { font-size: 2.4rem; padding: 0 0 .3rem 0; }
[data-testid="stMain"] h3 { font-size: 1.7rem; padding: .2rem 0; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.3rem; line-height: 1.4; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 3rem !important; }
[data-testid="stTable"] td, [data-testid="stTable"] th { font-size: 1.2rem; padding: .3rem .6rem; }
</style>""")

teams = ui.cached(meeting.meeting_teams)
if not teams:
    ui.empty_state(ui.t("goals.no_teams"))
    st.stop()
names = teams
raw = st.query_params.get("team")
if raw is None:
    team_id = next(iter(teams))
else:
    try:
        team_id = int(str(raw).strip())
    except ValueError:
        st.error(ui.t("meeting.bad_team", value=ui.esc(str(raw)[:40])), icon=":material/link_off:")  # escaped: never markdown
        st.stop()
    if team_id not in names:
        st.error(ui.t("meeting.foreign_team", value=team_id), icon=":material/block:")
        st.stop()

# This month / quarter / year (the wall), or a past quarter, year or all of history (issue 11).
fiscal_start = period_ui.fiscal_start()
PERIOD_LABELS = {p: ui.t(f"wall.period.{p}") for p in meeting_wall.PERIODS}
PERIOD_LABELS |= {c: period_ui.label(c) for c in periods.options(date.today(), fiscal_start) if c != periods.CURRENT}
period = st.query_params.get("period", "month")
if period not in PERIOD_LABELS:
    period = "month"
include_not_started = st.query_params.get("not_started") == "1"
ROTATE_SECONDS = 20

if not print_mode and not kiosk:
    f1, f2, f4, f3 = st.columns([2, 2, 2, 1], vertical_alignment="bottom")
    chosen = f1.selectbox(ui.t("meeting.team"), list(names), index=list(names).index(team_id),
                          format_func=lambda i: names[i], key="meeting_team")
    if chosen != team_id:
        st.query_params["team"] = str(chosen)
        st.rerun()
    # this month / quarter / year at one tap; a past quarter, year or all of history from the list beside it
    current = list(meeting_wall.PERIODS)
    history = [c for c in PERIOD_LABELS if c not in current]
    # choosing in one of the two clears the other, so exactly one says which period is shown
    picked = f2.segmented_control(ui.t("wall.period"), current, default=period if period in current else None,
                                  format_func=PERIOD_LABELS.get, key="meeting_period",
                                  on_change=lambda: st.session_state.update(meeting_history=None))
    past = f4.selectbox(ui.t("wall.period_past"), history, index=history.index(period) if period in history else None,
                        format_func=PERIOD_LABELS.get, placeholder="—", key="meeting_history",
                        on_change=lambda: st.session_state.update(meeting_period=None))
    picked = picked or past or period
    starting = f3.toggle(ui.t("wall.include_not_started"), value=include_not_started, key="meeting_not_started")
    if picked != period or starting != include_not_started:
        st.query_params["period"] = picked
        if starting:
            st.query_params["not_started"] = "1"
        else:
            st.query_params.pop("not_started", None)
        st.rerun()
    query = f"team={team_id}&lang={ui.lang()}&period={period}" + ("&not_started=1" if include_not_started else "")
    c1, c2, c3 = st.columns([3, 1, 1])
    c1.caption(ui.t("meeting.share_link", link=f"/meeting?{query}"))
    c2.markdown(f"[{ui.t('wall.kiosk')}](meeting?{query}&kiosk=1)")
    c3.markdown(f"[{ui.t('meeting.print')}](meeting?{query}&print=1)")
elif print_mode:
    st.caption(ui.t("meeting.print_hint"))


def status_label(code: str) -> str:
    return ui.t(f"goals.status.{code}")


def value_text(value, goal) -> str:
    """A goal's figure read the one way Goals reads it too (core.metrics.format_metric, which takes
    money and counts from core.metric_registry)."""
    return ui.fmt_metric(value, goal.metric, goal.unit or None)


def goals_table(rows) -> pd.DataFrame:
    """For st.table, which renders every cell as markdown: user text is escaped."""
    owner, goal, actual, target = ui.t("goals.owner"), ui.t("goals.goal"), ui.t("goals.actual"), ui.t("goals.target")
    progress, status = ui.t("goals.progress"), ui.t("goals.status")
    return pd.DataFrame([{
        owner: ui.esc(g.owner), goal: ui.esc(g.title), actual: value_text(g.progress.actual, g), target: value_text(g.target, g),
        progress: ui.fmt_points(g.percent), status: status_label(g.status),
    } for g in rows])


def goals_in_period(start, end, include_not_started: bool, data) -> list:
    """The meeting board's goals that belong to the chosen period."""
    return [g for g in data.goals if meeting_wall.in_period(g, start, end, include_not_started, data.today)]


def goals_arrow(in_period, data) -> pa.Table:
    return pa.Table.from_pandas(goals_table(in_period(data)), preserve_index=False)


def _pct(value: float | None) -> str:
    return "—" if value is None else ui.fmt_percent(value)


def headline(wall: meeting_wall.MeetingWall) -> None:
    behind = wall.counts.get(goals.AT_RISK, 0) + wall.counts.get(goals.OFF_TRACK, 0)
    cells = st.columns(5)
    cells[0].metric(ui.t("wall.headline.goals"), wall.goals)
    cells[1].metric(ui.t("wall.headline.attainment"), _pct(wall.attainment))
    cells[2].metric(ui.t("meeting.on_track"), wall.counts.get(goals.ON_TRACK, 0))
    cells[3].metric(ui.t("wall.chart.behind"), behind)
    cells[4].metric(ui.t("meeting.overdue"), wall.overdue_follow_ups)


def rollup_chart(wall: meeting_wall.MeetingWall) -> dict:
    """The goals rolled up by sub-team (a chart view of the wall's read)."""
    labels = {k: ui.t(f"wall.chart.{k}") for k in ("title", "team", "percent", "goals", "behind")}
    return meeting_wall.rollup_spec(wall.by_team, labels)


def behind_arrow(wall: meeting_wall.MeetingWall) -> pa.Table:
    """The ten furthest behind, for st.table (markdown cells: user text escaped)."""
    return pa.Table.from_pylist([{
        ui.t("goals.goal"): ui.esc(g.title), ui.t("goals.owner"): ui.esc(g.owner),
        ui.t("goals.progress"): ui.fmt_points(g.percent),
        ui.t("goals.status"): status_label(g.status)} for g in wall.behind])


def section_goals(wall: meeting_wall.MeetingWall, read: tuple) -> None:
    """Goals rolled up by sub-team, and the ten furthest behind."""
    left, right = st.columns([5, 6])
    with left:
        st.subheader(ui.t("wall.goals_by_team"))
        if not wall.by_team:
            st.caption(ui.t("wall.no_goals_period"))
        else:
            ui.chart(ui.chart_view(rollup_chart, *read), width="stretch")
    with right:
        st.subheader(ui.t("wall.furthest_behind"))
        if not wall.behind:
            st.success(ui.t("wall.none_behind"))
        else:
            st.table(ui.view(behind_arrow, *read), hide_index=True)


def section_people(wall: meeting_wall.MeetingWall) -> None:
    """Each member's attainment with a link to their 1:1 agenda; service and pipeline summaries."""
    left, right = st.columns([3, 2])
    with left:
        st.subheader(ui.t("wall.members"))
        if not wall.members:
            st.caption(ui.t("meeting.no_leaderboard"))
        else:
            shown = wall.members[:27]  # three columns of nine fit the wall
            per = max(1, -(-len(shown) // 3))
            for cell, start in zip(st.columns(3), range(0, len(shown), per)):
                cell.markdown("\n".join(
                    f"- [{ui.esc(m.name)}](feedback?member={m.member_id}) · {_pct(m.attainment)} · "
                    + ui.t("meeting.goals_count") + f" {m.goals}" for m in shown[start:start + per]))
    with right:
        st.subheader(ui.t("wall.service"))
        s1, s2, s3 = st.columns(3)
        s1.metric(ui.t("wall.service.open"), wall.service["open"])
        s2.metric(ui.t("wall.service.breached"), wall.service["breached"])
        s3.metric(ui.t("wall.service.resolved"), wall.service["resolved"])
        if wall.pipeline:  # issue 13's pipeline plugs in through core.meeting_wall.PIPELINE_SUMMARY
            st.subheader(ui.t("wall.pipeline"))
            p1, p2, p3 = st.columns(3)
            p1.metric(ui.t("wall.pipeline.open"), wall.pipeline["open"])
            p2.metric(ui.t("wall.pipeline.value"), " / ".join(ui.fmt_money(v, c) for c, v in wall.pipeline["open_value"].items()) or "—")
            p3.metric(ui.t("wall.pipeline.won"), wall.pipeline["won"])


@st.fragment(run_every=None if print_mode else "2s")
def board(team_id: int, period: str = "month") -> None:
    """One cached read per tick: the revision query decides whether anything is recomputed."""
    # the wall's read, and the views of it below: a tick recomputes nothing until the data changes
    read = (meeting_wall.meeting_wall, team_id, period, include_not_started, date.today(), None, fiscal_start)
    wall = ui.cached(*read)
    st.header(f"{ui.esc(wall.team)} · {PERIOD_LABELS[period]}")
    headline(wall)
    if kiosk:  # the wall: one section at a time, the next one every ROTATE_SECONDS
        sections = [lambda: section_goals(wall, read), lambda: section_people(wall)]
        index = int(time.time() // ROTATE_SECONDS) % len(sections)
        sections[index]()
        st.caption(ui.t("wall.section", i=index + 1, n=len(sections)) + " · "
                   + ui.t("meeting.updated", time=datetime.now().strftime("%H:%M:%S")))
        return
    section_goals(wall, read)
    section_people(wall)

    board_read = (meeting.meeting_board, team_id, date.today())
    board_args = dict(period=meeting_wall.goals_period(period), fiscal_start=fiscal_start)
    data = ui.cached(*board_read, **board_args)
    in_period = partial(goals_in_period, wall.period_start, wall.period_end, include_not_started)
    st.subheader(ui.t("meeting.goals"))
    if not in_period(data):
        ui.empty_state(ui.t("goals.none_team"), ui.t("goals.none_team_hint"))
    else:
        # Translated and converted to Arrow once per revision, not on every 2-second tick.
        st.table(ui.view(partial(goals_arrow, in_period), *board_read, **board_args), hide_index=True)
        st.caption(ui.t("goals.status_rule"))

    left, right = st.columns(2)
    with left:
        st.subheader(ui.t("meeting.overdue"))
        if not data.overdue:
            st.success(ui.t("meeting.no_overdue"))
        else:
            st.markdown("\n".join(f"- **{ui.esc(item['customer'])}** · {ui.esc(item['owner']) or ui.t('common.unassigned')} · "
                                   f":red[{ui.t('meeting.days_overdue', n=item['days'])}]" for item in data.overdue))
            if data.overdue_total > len(data.overdue):
                st.caption(ui.t("meeting.overdue_more", n=data.overdue_total))
    with right:
        st.subheader(ui.t("meeting.wins", n=meeting.WINS_DAYS))
        if not data.wins:
            st.caption(ui.t("meeting.no_wins"))
        else:
            st.markdown("\n".join(
                f"- :green[{ui.t('meeting.win_deal')}] **{ui.esc(w['who'])}** · {ui.esc(w['what'])} · {ui.fmt_money(w['value'], w.get('currency'))}"
                if w["kind"] == "deal" else f"- :violet[{ui.t('meeting.win_recognition')}] **{ui.esc(w['who'])}** · {ui.esc(w['what'])}"
                for w in data.wins))
    st.caption(ui.t("meeting.updated", time=datetime.now().strftime("%H:%M:%S")))


board(team_id, period)
pipeline_view.forecast_panel("meeting_fc", team_id, print_mode)  # issue 13: the team's quarter against its quota
