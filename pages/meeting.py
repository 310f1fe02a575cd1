"""Meeting: a read-only team dashboard for screen sharing. Large type, refreshes itself every few
seconds (a fragment polls the data revision; nothing is kept in the server process), shareable as
/meeting?team=<id>&lang=zh, printable with ?print=1 (no sidebar, no refresh)."""
from datetime import date, datetime

import pandas as pd
import pyarrow as pa
import streamlit as st

from core import goals, meeting
from pages import pipeline_view, ui

actor = ui.page_header("meeting")
print_mode = st.query_params.get("print") == "1"

st.html("""<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.45rem; line-height: 1.5; }
[data-testid="stMain"] h1 { font-size: 3rem; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 2.1rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 3.4rem !important; line-height: 1.2; }
[data-testid="stMetricLabel"] p { font-size: 1.4rem !important; }
[data-testid="stTable"] td, [data-testid="stTable"] th { font-size: 1.35rem; padding: .45rem .7rem; }
</style>""")
if print_mode:
    st.html("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header, [data-testid="stToolbar"] { display: none !important; }
@media print { [data-testid="stMain"] { padding: 0 !important; } }
</style>""")

teams = ui.cached(meeting.meeting_teams)
if not teams:
    ui.empty_state(ui.t("goals.no_teams"))
    st.stop()
names = {t["id"]: t["name"] for t in teams}
raw = st.query_params.get("team")
if raw is None:
    team_id = teams[0]["id"]
else:
    try:
        team_id = int(str(raw).strip())
    except ValueError:
        st.error(ui.t("meeting.bad_team", value=ui.esc(str(raw)[:40])), icon=":material/link_off:")  # escaped: never markdown
        st.stop()
    if team_id not in names:
        st.error(ui.t("meeting.foreign_team", value=team_id), icon=":material/block:")
        st.stop()

if not print_mode:
    chosen = st.selectbox(ui.t("meeting.team"), list(names), index=list(names).index(team_id),
                          format_func=lambda i: names[i], key="meeting_team")
    if chosen != team_id:
        st.query_params["team"] = str(chosen)
        st.rerun()
    link = f"/meeting?team={team_id}&lang={ui.lang()}"
    c1, c2 = st.columns([3, 1])
    c1.caption(ui.t("meeting.share_link", link=link))
    c2.markdown(f"[{ui.t('meeting.print')}](meeting?team={team_id}&lang={ui.lang()}&print=1)")
else:
    st.caption(ui.t("meeting.print_hint"))


SHOWN_AT_RISK = 10  # readable from across the room; the chart above shows every goal


def status_label(code: str) -> str:
    return ui.t(f"goals.status.{code}")


def value_text(value, goal) -> str:
    if value is None:
        return "—"
    if goal.metric in ("sales_won", "pipeline_created"):
        return ui.fmt_money(value)
    decimals = 0 if goal.metric in ("new_customers", "follow_ups_done", "tasks_on_time") else 1
    return ui.fmt_number(value, decimals) + (f" {goal.unit}" if goal.unit else "")


def goals_table(rows) -> pd.DataFrame:
    """For st.table, which renders every cell as markdown: user text is escaped."""
    owner, goal, actual, target = ui.t("goals.owner"), ui.t("goals.goal"), ui.t("goals.actual"), ui.t("goals.target")
    progress, status = ui.t("goals.progress"), ui.t("goals.status")
    return pd.DataFrame([{
        owner: ui.esc(g.owner), goal: ui.esc(g.title), actual: value_text(g.progress.actual, g), target: value_text(g.target, g),
        progress: "—" if g.percent is None else f"{g.percent:.0f}%", status: status_label(g.status),
    } for g in rows])


# Issue 11: a past quarter or year can be reviewed (current by default; `?period=` for print links).
from core import periods  # noqa: E402
from pages import period_ui  # noqa: E402

if print_mode:
    period = st.query_params.get("period", periods.CURRENT)
    if period not in periods.options(date.today(), period_ui.fiscal_start()):
        period = periods.CURRENT
else:
    period = period_ui.picker("meeting_period")


@st.fragment(run_every=None if print_mode else "2s")
def board(team_id: int, period: str = periods.CURRENT) -> None:
    """One cached read per tick: the revision query decides whether anything is recomputed."""
    data = ui.cached(meeting.meeting_board, team_id, date.today(), period=period, fiscal_start=period_ui.fiscal_start())
    st.header(ui.esc(data.team))
    counts = ui.derived(("meeting_counts", team_id, data.today, period), lambda: {
        s: sum(1 for g in data.goals if g.status == s) for s in (goals.ON_TRACK, goals.AT_RISK, goals.OFF_TRACK)})
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(ui.t("meeting.on_track"), counts[goals.ON_TRACK])
    c2.metric(ui.t("meeting.at_risk"), counts[goals.AT_RISK])
    c3.metric(ui.t("meeting.off_track"), counts[goals.OFF_TRACK])
    c4.metric(ui.t("meeting.overdue"), data.overdue_total)

    st.subheader(ui.t("meeting.goals"))
    if not data.goals:
        ui.empty_state(ui.t("goals.none_team"), ui.t("goals.none_team_hint"))
    else:
        ui.chart(lambda: goals.overview_spec(
            data.goals, {"title": ui.t("goals.chart.overview"), "percent": ui.t("goals.percent"), "goal": ui.t("goals.goal"),
                         "status": ui.t("goals.status")}, {s: status_label(s) for s in goals.STATUSES}, big=True),
            cache_key=("meeting_overview", team_id, date.today(), period), width="stretch")
        # Translated and converted to Arrow once per revision, not on every 2-second tick.
        st.table(ui.derived(("meeting_goals", team_id, data.today, period),
                            lambda: pa.Table.from_pandas(goals_table(data.goals), preserve_index=False)),
                 hide_index=True)
        st.caption(ui.t("goals.status_rule"))

    left, right = st.columns(2)
    with left:
        st.subheader(ui.t("meeting.leaderboard"))
        if not data.leaderboard:
            st.caption(ui.t("meeting.no_leaderboard"))
        else:
            st.table(ui.derived(("meeting_leaderboard", team_id, data.today, period), lambda: pa.Table.from_pylist([{
                ui.t("meeting.rank"): i, ui.t("common.member"): ui.esc(r["member"]), ui.t("meeting.goals_count"): r["goals"],
                ui.t("goals.percent"): f"{r['attainment'] * 100:.0f}%"} for i, r in enumerate(data.leaderboard, start=1)
            ])), hide_index=True)
        st.subheader(ui.t("meeting.at_risk_goals"))
        if not data.at_risk:
            st.success(ui.t("goals.no_at_risk"))
        else:  # the worst first, as many as a shared screen can show; one element, not one per line
            st.markdown("\n".join(
                f"- **{ui.esc(g.title)}** · {ui.esc(g.owner)} · :{'red' if g.status == goals.OFF_TRACK else 'orange'}[{status_label(g.status)}] · "
                f"{value_text(g.progress.actual, g)} / {value_text(g.target, g)}" for g in data.at_risk[:SHOWN_AT_RISK]))
            if len(data.at_risk) > SHOWN_AT_RISK:
                st.caption(ui.t("meeting.at_risk_more", n=len(data.at_risk)))
    with right:
        st.subheader(ui.t("meeting.overdue"))
        if not data.overdue:
            st.success(ui.t("meeting.no_overdue"))
        else:
            st.markdown("\n".join(f"- **{ui.esc(item['customer'])}** · {ui.esc(item['owner']) or ui.t('common.unassigned')} · "
                                   f":red[{ui.t('meeting.days_overdue', n=item['days'])}]" for item in data.overdue))
            if data.overdue_total > len(data.overdue):
                st.caption(ui.t("meeting.overdue_more", n=data.overdue_total))
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
