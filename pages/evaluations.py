"""Evaluations: cycles and scorecards blending measured results with ratings, calibration, release.

Managers: pick a cycle, rate members, open the records behind every measured number, calibrate and
release. Members: their released results and trend, their self-review, and peer reviews they were
asked for (never anyone else's scores)."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core import evaluations as ev
from core import pickers, reports, scorecard_report
import ui
from ui import record_links

actor = ui.page_header("evaluations", ui.t("evaluations.caption"))
manages = actor.role in ("admin", "manager")
SCORES = [1, 2, 3, 4, 5]


def _fmt_value(value, metric) -> str:
    return ui.fmt_metric(value, metric, ev.METRIC_UNITS.get(metric or "", ""))


def _starter_row(row: dict) -> dict:
    """A starter criterion (core.evaluations.starter_template) as the editor shows it: named in the
    reader's language, thresholds as the comma-separated text the editor edits."""
    return {"name": ui.t("evaluations.default." + row["name_key"]), "kind": row["kind"], "metric": row["metric"],
            "weight": row["weight"], "thresholds": ", ".join(f"{t:g}" for t in row["thresholds"]),
            "higher_is_better": row["higher_is_better"]}


def _metric_label(metric: str | None) -> str:
    return ui.t("evaluations.metric.goal_attainment") if metric == ev.GOAL_ATTAINMENT else ui.label("metric", metric)


def _rule_text(scale: dict) -> str:
    steps = [f"{score} ({op} {ui.fmt_number(t, 0 if float(t).is_integer() else 1)})" for score, op, t in ev.scale_steps(scale)]
    direction = ui.t("evaluations.higher_better") if scale.get("higher_is_better", True) else ui.t("evaluations.lower_better")
    return f"{direction}: " + " · ".join(steps) + f" · 1 {ui.t('evaluations.otherwise')}"


def _score_text(score) -> str:
    return ui.t("evaluations.missing") if score is None else f"{ui.fmt_number(score, 0 if float(score).is_integer() else 1)}/5"


def render_card(card: ev.Scorecard, show_self: bool) -> None:
    """The scorecard: total, coverage, one block per criterion; measured numbers open their records."""
    total = ui.fmt_decimal(card.total, 2)
    c1, c2 = st.columns(2)
    c1.metric(ui.t("evaluations.total"), total, help=ui.t("evaluations.total_rule"))
    c2.metric(ui.t("evaluations.coverage"), ui.fmt_percent(card.coverage), help=ui.t("evaluations.coverage_help"))
    if card.total is None:
        st.info(ui.t("evaluations.no_total"))
    for line in card.lines:
        with st.container(border=True):
            st.markdown(f"**{ui.esc(line.name)}** · {ui.t('evaluations.weight')} {ui.fmt_points(line.weight)} · "
                        f"{ui.t('evaluations.kind.' + line.kind)} · {ui.t('evaluations.score')}: **{_score_text(line.score)}**")
            if line.kind == "measured":
                st.markdown(f"{_metric_label(line.metric)}: **{_fmt_value(line.value, line.metric)}**"
                            + ("" if line.value is not None else f" — {ui.t('evaluations.no_data')}"))
                if line.metric == "sales_won":
                    for currency, (n, amount) in ui.cached(ev.other_currency_sales, card.evaluation_id).items():
                        st.warning(ui.t("screens.currency.left_out", deals=ui.count("deal", n),
                                        amount=ui.fmt_money(amount, currency)), icon=":material/currency_exchange:")
                st.caption(ui.t("evaluations.scale_rule") + " " + _rule_text(line.scale))
                # the records table is read and sent only while its expander is open (one per measured line)
                records = st.expander(ui.t("evaluations.records", n=len(line.records)), icon=":material/receipt_long:",
                                      key=f"ev_records_{card.evaluation_id}_{line.criterion_id}", on_change="rerun")
                if records.open is not False:
                    with records:
                        if not line.records:
                            st.caption(ui.t("evaluations.no_records"))
                        else:
                            records_table(card.evaluation_id, line.criterion_id)
            else:
                if line.manager_comment:
                    st.caption(f"{ui.t('evaluations.manager_comment')}: {ui.esc(line.manager_comment)}")
                if show_self:
                    st.caption(f"{ui.t('evaluations.self')}: {_score_text(line.self_score)}"
                               + (f" — {ui.esc(line.self_comment)}" if line.self_comment else "")
                               + f" · {ui.t('evaluations.peers')}: "
                               + (f"{ui.fmt_decimal(line.peer_avg, 1)}/5 ({line.peer_count})" if line.peer_avg is not None else "—"))


def records_table(evaluation_id: int, criterion_id: int) -> None:
    """The records behind a measured number, readable (what, name, customer, person, date, one
    detail); each row's "Open" goes to the page that shows the record."""
    rows = ui.cached(ev.records_table, evaluation_id, criterion_id, ui.lang())
    headers = {c: ui.t(f"reports.col.{c}") for c in ev.RECORD_COLUMNS if c != "link"}
    st.dataframe([{**{headers[c]: r[c] for c in headers}, ui.t("reports.col.open"): r["link"]} for r in rows],
                 hide_index=True, width="stretch", column_config={
                     ui.t("reports.col.open"): st.column_config.LinkColumn(display_text=ui.t("reports.open"), width="small")})
    st.caption(ui.t("reports.records_hint"))


def rating_form(evaluation_id: int, key: str) -> None:
    """The actor's own ratings of one scorecard (manager, self or peer)."""
    form = ui.cached(ev.review_form, evaluation_id)
    if not form["criteria"]:
        st.caption(ui.t("evaluations.no_rated"))
        return
    if form["locked"]:
        st.info(ui.t("evaluations.locked"))
        return
    # a self or peer rating touches only the rater's own rows; the manager's form edits the scorecard
    # that its other managers (and the peer choice) share, so it carries the version it was loaded with
    shared = form["rater_kind"] == "manager"
    if shared:
        ui.loaded_version("evaluation", evaluation_id, form["version"])
    with st.form(f"{key}_form_{evaluation_id}"):
        st.markdown(f"**{ui.t('evaluations.rate_as.' + form['rater_kind'])}** · {ui.esc(form['member'])}")
        values = {}
        for c in form["criteria"]:
            score = st.radio(f"{ui.esc(c['name'])} ({ui.fmt_points(c['weight'])})", SCORES, index=(c["score"] - 1) if c["score"] else None,
                             horizontal=True, key=f"{key}_score_{evaluation_id}_{c['id']}")
            comment = st.text_input(ui.t("evaluations.comment"), value=c["comment"] or "", key=f"{key}_comment_{evaluation_id}_{c['id']}")
            values[c["id"]] = (score, comment)
        if st.form_submit_button(ui.t("evaluations.save_ratings"), type="primary", key=f"{key}_submit_{evaluation_id}"):
            chosen = {cid: v for cid, v in values.items() if v[0] is not None}
            if not chosen:
                st.warning(ui.t("evaluations.pick_a_score"))
            elif shared:  # the manager's scorecard: refused when it changed since this form was loaded
                if ui.versioned_write("evaluation", evaluation_id, form["version"], ev.rate_many, evaluation_id, chosen,
                                      success=ui.t("evaluations.ratings_saved", n=len(chosen))):
                    st.rerun()
            elif ui.write(ev.rate_many, evaluation_id, chosen, success=ui.t("evaluations.ratings_saved", n=len(chosen))):
                st.rerun()


def trend_block(member_id: int) -> None:
    trend = ui.cached(ev.member_trend, member_id)
    if trend.empty:
        ui.empty_state(ui.t("evaluations.no_trend"))
        return
    ui.chart(ev.trend_chart(trend, ui.t("evaluations.chart.trend"), ui.t("evaluations.cycle"), ui.t("evaluations.axis.total")),
                    width="stretch")


# ---------------------------------------------------------------------------------------------
# Members: own results, self-review, peer reviews
# ---------------------------------------------------------------------------------------------
if not manages:
    if actor.member_id is None:
        ui.empty_state(ui.t("evaluations.not_a_member"))
        st.stop()
    mine = ui.cached(ev.my_evaluations)
    released = [e for e in mine if e["status"] == "released"]
    open_ = [e for e in mine if e["status"] == "open"]
    peers = ui.cached(ev.peer_requests)
    member_labels = [ui.t("evaluations.tab.my_results"), ui.t("evaluations.tab.self_review", n=len(open_)),
                     ui.t("evaluations.tab.peer", n=len(peers))]
    # Nothing released yet but a review to write: the page opens where the member has work to do.
    first = member_labels[1] if open_ and not released else None
    tab_results, tab_self, tab_peer = ui.tabs(member_labels, key="evaluations_tab", default=first)
    with tab_results:
        if ui.kept(tab_results):  # the cycle picker is input; the live card is drawn only while open
            if not released:
                ui.empty_state(ui.t("evaluations.no_released"), ui.t("evaluations.no_released_hint"))
            else:
                names = {e["evaluation_id"]: f"{e['cycle']} ({ui.fmt_date(e['start'])} – {ui.fmt_date(e['end'])})" for e in released}
                linked_card = record_links.arrival_id("evaluation")  # the "scorecard sent" notice's link
                if linked_card in names:
                    st.session_state["my_cycle"] = linked_card
                chosen = st.selectbox(ui.t("evaluations.cycle"), list(names), format_func=names.get, key="my_cycle")

                @st.fragment(run_every="10s")
                def my_result() -> None:
                    render_card(ui.cached(ev.get_scorecard, chosen), show_self=True)
                    trend_block(actor.member_id)

                if ui.in_view(tab_results):  # a hidden card refreshing every 10 s is work nobody sees
                    my_result()
    with tab_self:
        if ui.kept(tab_self):
            if not open_:
                ui.empty_state(ui.t("evaluations.no_open"))
            for e in open_:
                st.subheader(ui.esc(e["cycle"]))
                rating_form(e["evaluation_id"], "self")
    with tab_peer:
        if ui.kept(tab_peer):
            st.caption(ui.t("evaluations.peer_hint"))
            if not peers:
                ui.empty_state(ui.t("evaluations.no_peer_requests"))
            for p in peers:
                st.subheader(f"{ui.esc(p['member'])} · {ui.esc(p['cycle'])}")
                rating_form(p["evaluation_id"], "peer")
    st.stop()


# ---------------------------------------------------------------------------------------------
# Managers and admins
# ---------------------------------------------------------------------------------------------
cycles = ui.cached(ev.list_cycles)
templates = ui.cached(ev.list_templates)
teams = ui.cached(pickers.led_teams)
tab_cards, tab_cal, tab_cycles, tab_templates = ui.tabs([
    ui.t("evaluations.tab.scorecards"), ui.t("evaluations.tab.calibration"), ui.t("evaluations.tab.cycles"), ui.t("evaluations.tab.templates"),
], key="evaluations_tab")

cycle = None
if cycles:
    by_id = {c["id"]: c for c in cycles}
    label = {c["id"]: f"{c['name']} · {c['team']} · {ui.t('cycle_status.' + c['status'])}" for c in cycles}
    with st.sidebar:
        linked_cycle = record_links.arrival_id("cycle")  # the evaluation deadline notice's link
        if linked_cycle in by_id:
            st.session_state["cycle_pick"] = linked_cycle
        cycle_id = st.selectbox(ui.t("evaluations.cycle"), list(by_id), format_func=label.get, key="cycle_pick")
    cycle = by_id[cycle_id]

with tab_cards:
    if ui.kept(tab_cards):
        if cycle is None:
            ui.empty_state(ui.t("evaluations.no_cycles"), ui.t("evaluations.no_cycles_hint"))
        else:
            st.caption(f"{ui.esc(cycle['name'])} · {ui.fmt_date(cycle['start'])} – {ui.fmt_date(cycle['end'])} · "
                       f"{ui.t('cycle_status.' + cycle['status'])}")
            results = ui.cached(ev.list_results, cycle["id"])
            if results.empty:
                ui.empty_state(ui.t("evaluations.no_members"))
            else:
                shown = pd.DataFrame({
                    ui.t("common.member"): results["member"],
                    ui.t("evaluations.total"): [ui.fmt_decimal(v, 2) for v in results["total"]],  # "—" without a total
                    ui.t("evaluations.coverage"): results["coverage"] * 100,
                })
                st.dataframe(shown, hide_index=True, width="stretch", column_config={
                    ui.t("evaluations.total"): st.column_config.TextColumn(help=ui.t("evaluations.total_rule")),
                    ui.t("evaluations.coverage"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f%%"),
                })
                members = dict(zip(results["evaluation_id"], results["member"]))
                evaluation_id = st.selectbox(ui.t("common.member"), list(members), format_func=members.get, key="card_member")
                left, right = st.columns([3, 2])
                with left:
                    render_card(ui.cached(ev.get_scorecard, evaluation_id), show_self=True)
                with right:
                    rating_form(evaluation_id, "mgr")
                    if cycle["status"] == "released" and st.button(ui.t("report.send"), key=f"report_{evaluation_id}",
                                                                   icon=":material/forward_to_inbox:"):
                        sent_to = ui.write(scorecard_report.send_scorecard, evaluation_id)
                        if sent_to:
                            st.success(ui.say("report.sent", to=sent_to))
                    if cycle["status"] == "open":
                        form = ui.cached(ev.review_form, evaluation_id)
                        ui.loaded_version("evaluation", evaluation_id, form["version"])
                        candidates = ui.cached(ev.peer_candidates, evaluation_id)
                        names = {c["member_id"]: c["member"] for c in candidates}
                        with st.form(f"peers_{evaluation_id}"):
                            chosen = st.multiselect(ui.t("evaluations.choose_peers"), list(names), default=[p for p in form["peers"] if p in names],
                                                    format_func=names.get, key=f"peers_pick_{evaluation_id}")
                            if st.form_submit_button(ui.t("evaluations.save_peers")):
                                if ui.versioned_write("evaluation", evaluation_id, form["version"], ev.set_peers, evaluation_id,
                                                      chosen, success=ui.t("evaluations.peers_saved")):
                                    st.rerun()
                if cycle["status"] == "open":
                    st.divider()
                    st.markdown(f"**{ui.t('evaluations.release_title')}**")
                    st.caption(ui.t("evaluations.release_help"))
                    checklist = ui.cached(ev.release_checklist, cycle["id"])
                    confirmed = []
                    gaps = [g for g in ev.RELEASE_GAPS if checklist[g]]
                    if gaps:
                        st.warning(ui.t("screens.release.gaps"), icon=":material/checklist:")
                    for gap in gaps:
                        if st.checkbox(ui.t(f"screens.release.gap.{gap}", n=checklist[gap], total=checklist["scorecards"]),
                                       key=f"release_gap_{cycle['id']}_{gap}"):
                            confirmed.append(gap)
                    sure = st.checkbox(ui.t("evaluations.release_confirm"), key="release_confirm")
                    ready = sure and len(confirmed) == len(gaps)
                    if st.button(ui.t("evaluations.release"), type="primary", disabled=not ready, key="release_btn", icon=":material/lock:"):
                        n = ui.write(ev.release_cycle, cycle["id"], confirmed=tuple(confirmed))
                        if n:
                            ui.flash(ui.t("evaluations.released", n=n))
                            st.rerun()
                else:
                    st.success(ui.t("evaluations.is_released", when=ui.fmt_date(cycle["released_at"])))
                    if actor.is_admin:
                        sure_reopen = st.checkbox(ui.t("screens.release.reopen_confirm"), key=f"reopen_sure_{cycle['id']}")
                        if st.button(ui.t("screens.release.reopen"), key="reopen_btn", disabled=not sure_reopen,
                                     icon=":material/lock_open:"):
                            if ui.write(ev.reopen_cycle, cycle["id"], success=ui.t("screens.release.reopened")):
                                st.rerun()
                ui.export_buttons(reports.formatted(shown, ui.lang(), ui.currency(), {ui.t("evaluations.coverage"): "points"}),
                    "evaluation_results", "results_export", raw=results)

with tab_cal:
    if ui.in_view(tab_cal):  # read-only and live (refreshes every 5 s): drawn only while open
        if cycle is None:
            ui.empty_state(ui.t("evaluations.no_cycles"))
        else:
            @st.fragment(run_every="5s")
            def calibration_view() -> None:
                """Redrawn live: the reads are cached on the data revision, so a rating anywhere shows here."""
                cal = ui.cached(ev.calibration, cycle["id"])
                if cal.results.empty:
                    ui.empty_state(ui.t("evaluations.no_members"))
                    return
                c1, c2 = st.columns(2)
                c1.metric(ui.t("evaluations.mean"), ui.fmt_decimal(cal.mean, 2))
                c2.metric(ui.t("evaluations.stdev"), ui.fmt_decimal(cal.stdev, 2))
                st.caption(ui.t("evaluations.outlier_rule"))
                left, right = st.columns(2)
                with left:
                    ui.chart(ev.distribution_chart(cal.results, ui.t("evaluations.chart.distribution"), ui.t("evaluations.axis.total"),
                                                          ui.t("evaluations.axis.members")), width="stretch")
                with right:
                    if cal.heatmap.dropna(subset=["score"]).empty:
                        ui.empty_state(ui.t("evaluations.no_scores"))
                    else:
                        ui.chart(ev.heatmap_chart(cal.heatmap, ui.t("evaluations.chart.heatmap"), ui.t("evaluations.axis.criterion"),
                                                         ui.t("common.member"), ui.t("evaluations.axis.score")), width="stretch")
                outliers = cal.results[cal.results["outlier"]]
                st.markdown(f"**{ui.t('evaluations.outliers')}**")
                if outliers.empty:
                    st.caption(ui.t("evaluations.no_outliers"))
                else:
                    st.dataframe(reports.formatted(outliers[["member", "total", "z"]].rename(columns={
                        "member": ui.t("common.member"), "total": ui.t("evaluations.total"), "z": ui.t("evaluations.z")}),
                        ui.lang(), ui.currency(), {ui.t("evaluations.total"): reports.Col("", "", "decimal", 2),
                                                   ui.t("evaluations.z"): reports.Col("", "", "decimal", 2)}),
                        hide_index=True, width="stretch")
                st.markdown(f"**{ui.t('evaluations.gaps')}**")
                st.caption(ui.t("evaluations.gap_rule"))
                if cal.gaps.empty:
                    st.caption(ui.t("evaluations.no_gaps"))
                else:
                    gaps = cal.gaps.rename(columns={"member": ui.t("common.member"), "criterion": ui.t("evaluations.axis.criterion"),
                                                    "self": ui.t("evaluations.self"), "manager": ui.t("evaluations.manager"),
                                                    "peer_avg": ui.t("evaluations.peers"), "gap": ui.t("evaluations.gap"),
                                                    "flagged": ui.t("evaluations.flagged")})
                    st.dataframe(reports.formatted(gaps, ui.lang(), ui.currency(), {ui.t("evaluations.peers"): "decimal"}),
                                 hide_index=True, width="stretch")  # "—" where a score is missing, never None

            calibration_view()
            results = ui.cached(ev.list_results, cycle["id"])
            if not results.empty:
                st.divider()
                people = dict(zip(results["member_id"], results["member"]))
                member_id = st.selectbox(ui.t("evaluations.compare_member"), list(people), format_func=people.get, key="cal_member",
                                         persist_state="page")

                @st.fragment(run_every="5s")
                def member_charts() -> None:
                    versus = ui.cached(ev.team_average_by_criterion, cycle["id"], member_id)
                    left, right = st.columns(2)
                    with left:
                        trend_block(member_id)
                    with right:
                        if versus.empty:
                            ui.empty_state(ui.t("evaluations.no_scores"))
                        else:
                            ui.chart(ev.versus_chart(
                                versus, ui.t("evaluations.chart.versus"), ui.t("evaluations.axis.criterion"), ui.t("evaluations.axis.score"),
                                ui.t("evaluations.legend"), {"member": people[member_id], "team": ui.t("evaluations.team_average")},
                            ), width="stretch")

                member_charts()

with tab_cycles:
    if ui.kept(tab_cycles):
        if not templates:
            ui.empty_state(ui.t("evaluations.no_templates"), ui.t("evaluations.no_templates_hint"))
        elif not teams:
            ui.empty_state(ui.t("evaluations.no_teams"))
        else:
            with st.form("new_cycle"):
                st.markdown(f"**{ui.t('evaluations.new_cycle')}**")
                team_names = teams
                team_id = st.selectbox(ui.t("common.team"), list(team_names), format_func=team_names.get, key="cycle_team")
                template_names = {t["id"]: t["name"] for t in templates}
                template_id = st.selectbox(ui.t("evaluations.template"), list(template_names), format_func=template_names.get, key="cycle_template")
                name = st.text_input(ui.t("common.name"), placeholder=ui.t("evaluations.cycle_name_hint"), key="cycle_name")
                kind = st.radio(ui.t("evaluations.cycle_kind"), ["month", "quarter", "custom"], format_func={k: ui.t("cycle_kind." + k) for k in ("month", "quarter", "custom")}.get,
                                horizontal=True, key="cycle_kind")
                start = st.date_input(ui.t("evaluations.start"), value=date.today(), key="cycle_start")
                end = st.date_input(ui.t("evaluations.end_custom"), value=date.today(), key="cycle_end")
                st.caption(ui.t("evaluations.period_help"))
                if st.form_submit_button(ui.t("evaluations.create_cycle"), type="primary"):
                    if ui.write(ev.create_cycle, team_id, template_id, name, kind, start, end if kind == "custom" else None,
                                success=ui.t("evaluations.cycle_created")):
                        st.rerun()
        if cycles:
            st.dataframe(pd.DataFrame([{
                ui.t("common.name"): c["name"], ui.t("common.team"): c["team"], ui.t("evaluations.cycle_kind"): ui.t("cycle_kind." + c["kind"]),
                ui.t("evaluations.start"): c["start"], ui.t("evaluations.end"): c["end"], ui.t("common.status"): ui.t("cycle_status." + c["status"]),
            } for c in cycles]), hide_index=True, width="stretch")

with tab_templates:
    if ui.kept(tab_templates):
        for t in templates:
            with st.expander(ui.esc(t["name"])):
                st.dataframe(pd.DataFrame([{
                    ui.t("common.name"): c["name"], ui.t("evaluations.weight"): c["weight"], ui.t("evaluations.kind_label"): ui.t("evaluations.kind." + c["kind"]),
                    ui.t("evaluations.metric"): _metric_label(c["metric"]) if c["metric"] else "—",
                    ui.t("evaluations.scale_rule"): _rule_text(c["scale"]) if c["scale"] else "—",
                } for c in t["criteria"]]), hide_index=True, width="stretch")
        if teams:
            st.markdown(f"**{ui.t('evaluations.new_template')}**")
            st.caption(ui.t("evaluations.template_help"))
            starter = pd.DataFrame([_starter_row(row) for row in ev.starter_template()])
            metric_options = list(ev.MEASURABLE)
            edited = st.data_editor(starter, num_rows="dynamic", width="stretch", key="template_rows", column_config={
                "name": st.column_config.TextColumn(ui.t("common.name"), required=True),
                "kind": st.column_config.SelectboxColumn(ui.t("evaluations.kind_label"), options=["measured", "rated"], required=True),
                "metric": st.column_config.SelectboxColumn(ui.t("evaluations.metric"), options=metric_options, help=ui.t("evaluations.metric_help")),
                "weight": st.column_config.NumberColumn(ui.t("evaluations.weight"), min_value=0, max_value=100, step=1, required=True),
                "thresholds": st.column_config.TextColumn(ui.t("evaluations.thresholds"), help=ui.t("evaluations.thresholds_help")),
                "higher_is_better": st.column_config.CheckboxColumn(ui.t("evaluations.higher_better")),
            })
            weight_sum = int(pd.to_numeric(edited["weight"], errors="coerce").fillna(0).sum())
            (st.success if weight_sum == ev.WEIGHT_TOTAL else st.warning)(ui.t("evaluations.weight_sum", total=weight_sum))
            with st.form("new_template"):
                team_names = teams
                team_id = st.selectbox(ui.t("common.team"), list(team_names), format_func=team_names.get, key="template_team")
                name = st.text_input(ui.t("common.name"), key="template_name")
                if st.form_submit_button(ui.t("evaluations.create_template"), type="primary"):
                    criteria = []
                    for row in edited.to_dict("records"):
                        if not str(row.get("name") or "").strip():
                            continue
                        parts = [p.strip() for p in str(row.get("thresholds") or "").replace("，", ",").split(",") if p.strip()]
                        try:
                            thresholds = [float(p) for p in parts]
                        except ValueError:
                            thresholds = parts
                        weight = row.get("weight")
                        criteria.append(ev.CriterionInput(
                            str(row["name"]), str(row.get("kind") or ""), int(weight) if weight is not None and not pd.isna(weight) else 0,
                            row.get("metric") or None,
                            {"thresholds": thresholds, "higher_is_better": bool(row.get("higher_is_better", True))} if row.get("kind") == "measured" else None,
                        ))
                    if ui.write(ev.create_template, team_id, name, criteria, success=ui.t("evaluations.template_created")):
                        st.rerun()
