"""Pipeline widgets shared by the Pipeline, Goals and Meeting pages: stage labels, safe text, and
the forecast section (forecast bar against the quota, stage funnel, review table, stuck deals).

Other pages call `forecast_section(key=..., team_id=...)` once; not a page itself (app.py only
registers the files listed in core/navigation.py)."""
from __future__ import annotations

from dataclasses import replace
from functools import partial
from datetime import date

import streamlit as st

from core import deals, forecast, pickers
import ui

QUARTERS_BACK = 8  # past quarters reachable from the quarter picker


def plain(text: object) -> str:
    """User text inside st.markdown on one line: escaped by the one helper (ui.esc, core.safe_text),
    so no links, images, colours or markup from data; line breaks become spaces."""
    return ui.esc(" ".join(str(text).splitlines()) if text is not None else None)


def stage_names(include_inactive: bool = True) -> dict[str, str]:
    """Stage code -> the label the user reads (the workspace's name or the translated default)."""
    stages = ui.cached(deals.list_stages, include_inactive=include_inactive)
    return {s.code: s.label(ui.lang()) for s in stages}


def _quarter_picker(key: str) -> int:
    today = date.today()
    options = list(range(0, -QUARTERS_BACK - 1, -1))
    labels = {q: forecast.quarter_label(deals.quarter_of(today, q)[0], ui.lang()) for q in options}
    return st.selectbox(ui.t("forecast.quarter"), options, format_func=labels.get, key=f"{key}_quarter")


def _pct(value) -> str:
    return "—" if value is None else ui.fmt_percent(value / 100.0, 0)


def forecast_section(key: str, team_id: int | None = None, *, choose_team: bool = False, show_table: bool = True,
                     show_stuck: bool = False, choose_quarter: bool = True) -> None:
    """The quarter's forecast for `team_id` (None: the actor's organisation or teams, or a member
    themselves): headline, forecast bar against the quota, stage funnel, the review table."""
    actor = ui.actor()
    c1, c2, c3 = st.columns([1, 1, 1])
    with c1:
        quarter = _quarter_picker(key) if choose_quarter else 0
    if choose_team and actor.role != "member":
        teams = ui.cached(pickers.teams)
        everyone = 0
        options = {everyone: ui.t("forecast.organisation" if actor.is_admin else "forecast.my_teams"), **teams}
        chosen = c2.selectbox(ui.t("pipeline.team"), list(options), format_func=options.get, key=f"{key}_team")
        team_id = None if chosen == everyone else chosen
    stuck_days = forecast.DEFAULT_STUCK_DAYS
    if show_stuck:
        stuck_days = int(c3.number_input(ui.t("pipeline.stuck_days"), min_value=1, max_value=365,
                                         value=forecast.DEFAULT_STUCK_DAYS, step=1, key=f"{key}_stuck"))
    result = ui.cached(forecast.forecast, team_id=team_id, quarter=quarter, stuck_days=stuck_days)  # the views below read it too
    total, currency = result.total, result.currency

    def money(value) -> str:
        return ui.fmt_money(value, currency)

    m = st.columns(5)
    m[0].metric(ui.t("forecast.won"), money(total.won),
                delta=None if total.attainment is None else ui.t("forecast.attainment") + " " + _pct(total.attainment),
                delta_color="off")
    m[1].metric(ui.t("forecast.commit"), money(total.commit))
    m[2].metric(ui.t("forecast.weighted"), money(total.weighted))
    m[3].metric(ui.t("forecast.best_case"), money(total.best_case))
    m[4].metric(ui.t("forecast.quota"), "—" if total.quota is None else money(total.quota))
    n = st.columns(5)
    n[0].metric(ui.t("forecast.win_rate"), _pct(total.win_rate))
    n[1].metric(ui.t("forecast.average_deal"), "—" if total.average_deal is None else money(total.average_deal))
    n[2].metric(ui.t("forecast.cycle_days"), "—" if total.cycle_days is None else ui.fmt_number(total.cycle_days, 0))
    n[3].metric(ui.t("forecast.coverage"), "—" if total.coverage is None else f"{ui.fmt_number(total.coverage, 1)}×")
    n[4].metric(ui.t("forecast.stuck"), ui.fmt_number(total.stuck))
    if total.quota is None:
        st.caption(ui.t("forecast.no_quota"))
    if result.other_currency:
        st.caption(ui.t("forecast.other_currency", n=result.other_currency))
    if total.best_case == 0 and total.won_count == 0 and total.lost_count == 0:
        ui.empty_state(ui.t("forecast.empty"))
        return
    read = dict(team_id=team_id, quarter=quarter, stuck_days=stuck_days)
    left, right = st.columns([3, 2])
    ui.chart(ui.chart_view(_forecast_chart, forecast.forecast, **read), left, width="stretch")
    ui.chart(ui.chart_view(partial(_funnel_chart, result.start, currency), forecast.stage_funnel,
                           team_id=team_id, quarter=quarter), right, width="stretch")
    if show_table:
        st.dataframe(ui.view(partial(_table, currency=currency), forecast.forecast, **read), hide_index=True, width="stretch")
    if show_stuck:
        st.markdown(f"**{ui.t('pipeline.stuck_title', days=stuck_days)}**")
        stuck = ui.cached(deals.stuck_deals, stuck_days, deals.DealFilters(team_id=team_id, period="all"), 20)
        if stuck.empty:
            st.caption(ui.t("pipeline.no_stuck"))
        else:
            names = stage_names()
            st.dataframe({
                ui.t("pipeline.col.title"): list(stuck["title"]), ui.t("pipeline.col.customer"): list(stuck["customer"]),
                ui.t("pipeline.col.owner"): [o or "—" for o in stuck["owner"]],
                ui.t("pipeline.col.stage"): [names.get(s, s) for s in stuck["stage"]],
                ui.t("pipeline.col.amount"): [money(v) for v in stuck["value"]],
                ui.t("pipeline.col.days_in_stage"): list(stuck["days"]),
            }, hide_index=True, width="stretch")


def _forecast_chart(result: forecast.Forecast):
    return forecast.forecast_chart(result, ui.lang())


def _funnel_chart(start, currency: str, funnel):
    return forecast.funnel_chart(funnel, ui.lang(), start, currency)


def _table(result: forecast.Forecast, currency: str) -> dict:
    """The review table from the aggregated rows (one per member or team, then the total)."""
    rows = list(result.rows)
    if not (len(rows) == 1 and rows[0].kind == "member"):
        name = result.total.label or ui.t(result.total_key)
        rows.append(replace(result.total, label=ui.t("forecast.total", name=name)))

    def money(value) -> str:
        return "—" if value is None else ui.fmt_money(value, currency)

    columns = {
        "forecast.col.name": lambda r: r.label,
        "forecast.won": lambda r: money(r.won),
        "forecast.commit": lambda r: money(r.commit),
        "forecast.weighted": lambda r: money(r.weighted),
        "forecast.best_case": lambda r: money(r.best_case),
        "forecast.quota": lambda r: money(r.quota),
        "forecast.attainment": lambda r: _pct(r.attainment),
        "forecast.coverage": lambda r: "—" if r.coverage is None else f"{ui.fmt_number(r.coverage, 1)}×",
        "forecast.win_rate": lambda r: _pct(r.win_rate),
        "forecast.average_deal": lambda r: money(r.average_deal),
        "forecast.cycle_days": lambda r: "—" if r.cycle_days is None else ui.fmt_number(r.cycle_days, 0),
        "forecast.open_count": lambda r: r.open_count,
        "forecast.stuck": lambda r: r.stuck,
    }
    return {ui.t(k): [fn(r) for r in rows] for k, fn in columns.items()}


def forecast_panel(key: str, team_id: int | None = None, print_mode: bool = False) -> None:
    """The forecast under its own heading (Meeting page: the team on the screen; printed: this
    quarter, no pickers)."""
    st.subheader(ui.t("forecast.title"))
    forecast_section(key, team_id, show_table=False, choose_quarter=not print_mode)


def forecast_expander(key: str) -> None:
    """The forecast in a panel that runs only while open (Goals page)."""
    panel = st.expander(ui.t("forecast.title"), icon=":material/trending_up:", key=f"{key}_panel", on_change="rerun")
    with panel:
        if ui.in_view(panel):
            forecast_section(key, choose_team=True)


def account_team_section(customer_id: int, can_manage: bool) -> None:
    """The customer's account team (owner and collaborators with their roles); those who manage
    the customer add, re-role and remove collaborators. Runs only while open."""
    from core import account_teams
    from core.choices import ACCOUNT_ROLES

    panel = st.expander(ui.t("account.title"), icon=":material/diversity_3:", key=f"acct_panel_{customer_id}",
                        on_change="rerun")
    with panel:
        if not ui.in_view(panel):
            return
        st.caption(ui.t("account.caption"))
        team = ui.cached(account_teams.account_team, customer_id)
        for person in team:
            c1, c2 = st.columns([4, 1])
            left = "" if person["active"] else " " + ui.t("account.left")
            c1.markdown(f"{pv_name(person['name'])}{left} · {ui.t('account.role.' + person['role'])}")
            if can_manage and person["role"] != "owner":
                if c2.button(ui.t("account.remove"), key=f"acct_rm_{customer_id}_{person['member_id']}", type="tertiary"):
                    ui.write(account_teams.remove_collaborator, customer_id, person["member_id"],
                             success=ui.say("account.removed", name=person["name"]), rerun=True)
        if len(team) <= 1:
            st.caption(ui.t("account.empty"))
        if not can_manage:
            return
        with st.form(f"acct_add_{customer_id}", clear_on_submit=True):
            people = ui.cached(pickers.colleagues, "", (), 1000)
            member = st.selectbox(ui.t("account.member"), list(people), format_func=people.get, index=None,
                                  key=f"acct_member_{customer_id}")
            roles = {r: ui.t(f"account.role.{r}") for r in ACCOUNT_ROLES}
            role = st.selectbox(ui.t("account.role"), list(roles), format_func=roles.get, key=f"acct_role_{customer_id}")
            if st.form_submit_button(ui.t("account.add"), type="primary") and member is not None:
                ui.write(account_teams.add_collaborator, customer_id, member, role,
                         success=ui.say("account.added", name=people.get(member, "")), rerun=True)


def pv_name(name: str) -> str:
    return f"**{plain(name)}**"
