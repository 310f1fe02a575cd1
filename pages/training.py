"""Training: the list of trainings, a new training (managers), attendance with pre/post scores, and
the measured effect against comparable colleagues who did not attend."""
from datetime import date

import pandas as pd
import streamlit as st

from core import metrics, pickers, reports, training
import ui

actor = ui.page_header("training", ui.t("training.caption"))
lead = actor.role in ("admin", "manager")
METRIC_LABELS = {m: ui.label("metric", m) for m in metrics.MEASURED_METRICS}

trainings = ui.cached(training.list_trainings)
names = ["list", "effect"] + (["attendance", "new"] if lead else [])
tabs = dict(zip(names, ui.tabs([ui.t(f"training.tab.{n}") for n in names], key="training_tab")))

with tabs["list"]:
    if ui.kept(tabs["list"]):
        if trainings.empty:
            ui.empty_state(ui.t("training.empty"), ui.t("training.empty_hint") if lead else None)
        else:
            shown = pd.DataFrame({
                ui.t("training.col.topic"): trainings["topic"],
                ui.t("training.col.skill"): trainings["skill"].fillna("—"),
                ui.t("training.col.held_on"): trainings["held_on"],
                ui.t("training.col.hours"): trainings["hours"],
                ui.t("training.col.trainer"): trainings["trainer"].fillna("—"),
                ui.t("common.team"): trainings["team"].fillna(ui.t("training.org_wide")),
                ui.t("training.col.effect_metric"): trainings["effect_metric"].map(lambda m: METRIC_LABELS.get(m, ui.t("training.no_metric"))),
                ui.t("training.col.attendees"): trainings["attendees"],
                ui.t("training.col.avg_pre"): trainings["avg_pre"],
                ui.t("training.col.avg_post"): trainings["avg_post"],
            })
            readable = reports.formatted(shown, ui.lang(), ui.currency(), {  # no scores yet: "—", never None
                ui.t("training.col.hours"): "decimal", ui.t("training.col.avg_pre"): "decimal", ui.t("training.col.avg_post"): "decimal"})
            st.dataframe(readable, hide_index=True, width="stretch")
            ui.export_buttons(readable, "trainings", "trn_export", raw=trainings)

labels = {r["id"]: f"{r['topic']} · {ui.fmt_date(r['held_on'])}" for r in trainings.to_dict("records")}

with tabs["effect"]:
    if ui.in_view(tabs["effect"]):  # read-only: drawn only while open
        if not labels:
            ui.empty_state(ui.t("training.empty"))
        else:
            chosen = st.selectbox(ui.t("training.pick"), list(labels), format_func=labels.get, key="trn_effect_pick",
                                  persist_state="page")
            own_metric = trainings.set_index("id").loc[chosen, "effect_metric"]
            metric_ids = list(METRIC_LABELS)
            c1, c2 = st.columns([2, 1])
            metric = c1.selectbox(ui.t("training.effect.metric"), metric_ids, format_func=METRIC_LABELS.get, key=f"trn_metric_{chosen}", persist_state="page",
                                  index=metric_ids.index(own_metric) if own_metric in metric_ids else 0)
            days = c2.number_input(ui.t("training.effect.window"), min_value=7, max_value=365, value=training.DEFAULT_WINDOW_DAYS,
                                   step=7, key="trn_window", persist_state="page")
            effect = ui.cached(training.training_effect, chosen, metric=metric, window_days=int(days))
            b, a = effect.before, effect.after
            st.caption(ui.t("training.effect.windows", b0=ui.fmt_date(b[0]), b1=ui.fmt_date(b[1]),
                            a0=ui.fmt_date(a[0]), a1=ui.fmt_date(a[1])))
            for caveat in effect.caveats:
                st.warning(ui.t(f"training.caveat.{caveat}", a=effect.attendees.n, c=effect.comparison.n, min=training.MIN_GROUP),
                           icon=":material/warning:")
            if effect.attendees.before is None and effect.comparison.before is None:
                st.info(ui.t("training.effect.not_available"))
            else:
                ui.chart(training.effect_chart(effect, ui.lang(), ui.currency()), width="stretch")

                def num(value):
                    return ui.fmt_decimal(value, 1, signed=True)

                st.markdown(ui.t("training.effect.summary", a=num(effect.attendees.change), c=num(effect.comparison.change),
                                 e=num(effect.effect)))
                numbers = pd.DataFrame([
                    {ui.t("training.effect.group_axis"): ui.t(f"training.group.{key}"), ui.t("training.effect.n"): g.n,
                     ui.t("training.window.before"): g.before, ui.t("training.window.after"): g.after,
                     ui.t("training.effect.change"): g.change}
                    for key, g in (("attendees", effect.attendees), ("comparison", effect.comparison))
                ])
                change_kinds = {ui.t("training.window.before"): "decimal", ui.t("training.window.after"): "decimal",
                                ui.t("training.effect.change"): "change"}
                on_screen = {**change_kinds, ui.t("training.effect.change"): "signed"}
                st.dataframe(reports.formatted(numbers, ui.lang(), ui.currency(), on_screen), hide_index=True, width="stretch")
                st.caption(ui.t("training.comparison_note"))
                ui.export_buttons(reports.formatted(numbers, ui.lang(), ui.currency(), change_kinds), "training_effect", "trn_effect_export")
                if lead:
                    with st.expander(ui.t("training.effect.people")):
                        people = pd.DataFrame([
                            {ui.t("training.effect.group_axis"): ui.t(f"training.group.{key}"), ui.t("common.member"): p["name"],
                             ui.t("training.window.before"): p["before"], ui.t("training.window.after"): p["after"],
                             ui.t("training.effect.change"): p["change"]}
                            for key, g in (("attendees", effect.attendees), ("comparison", effect.comparison)) for p in g.people
                        ])
                        st.dataframe(reports.formatted(people, ui.lang(), ui.currency(), on_screen), hide_index=True, width="stretch")
                        ui.export_buttons(reports.formatted(people, ui.lang(), ui.currency(), change_kinds),
                                          "training_effect_people", "trn_people_export")

if lead:
    with tabs["attendance"]:
        if ui.kept(tabs["attendance"]):
            if not labels:
                ui.empty_state(ui.t("training.empty"))
            else:
                chosen_a = st.selectbox(ui.t("training.pick"), list(labels), format_func=labels.get, key="trn_att_pick")
                rows = ui.cached(training.attendance_rows, chosen_a)
                if not rows:
                    ui.empty_state(ui.t("training.no_candidates"))
                else:
                    frame = pd.DataFrame(rows)
                    edited = st.data_editor(
                        frame, hide_index=True, width="stretch", key=f"trn_att_editor_{chosen_a}",
                        disabled=["member_id", "name", "team"], column_order=["name", "team", "attended", "pre_score", "post_score"],
                        column_config={
                            "name": st.column_config.TextColumn(ui.t("common.member")),
                            "team": st.column_config.TextColumn(ui.t("common.team")),
                            "attended": st.column_config.CheckboxColumn(ui.t("training.col.attended")),
                            "pre_score": st.column_config.NumberColumn(ui.t("training.col.pre_score"), min_value=0, max_value=100),
                            "post_score": st.column_config.NumberColumn(ui.t("training.col.post_score"), min_value=0, max_value=100),
                        },
                    )
                    if st.button(ui.t("common.save"), type="primary", key="trn_att_save"):
                        records = [
                            {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in r.items()}
                            for r in edited.to_dict("records")
                        ]
                        changed = ui.write(training.save_attendance, chosen_a, records)
                        if changed is not None:
                            ui.flash(ui.t("training.attendance_saved", n=0 if changed is True else changed))
                            st.rerun()
                    attendance = frame.drop(columns=["member_id"]).rename(columns={
                        "name": ui.t("common.member"), "team": ui.t("common.team"), "attended": ui.t("training.col.attended"),
                        "pre_score": ui.t("training.col.pre_score"), "post_score": ui.t("training.col.post_score")})
                    ui.export_buttons(reports.formatted(attendance, ui.lang(), ui.currency()), "training_attendance", "trn_att_export",
                                      raw=frame)

    with tabs["new"]:
        if ui.kept(tabs["new"]):
            team_names = ui.cached(pickers.teams)
            team_options = ([None] if actor.role == "admin" else []) + list(team_names)
            if not team_options:
                ui.empty_state(ui.t("service.targets.none"))
            else:
                with st.form("trn_new", clear_on_submit=True):
                    topic = st.text_input(ui.t("training.col.topic"), max_chars=200)
                    c1, c2 = st.columns(2)
                    held_on = c1.date_input(ui.t("training.col.held_on"), value=date.today())
                    hours = c2.number_input(ui.t("training.col.hours"), min_value=0.25, max_value=200.0, value=2.0, step=0.5)
                    trainer = c1.text_input(ui.t("training.col.trainer"))
                    skill = c2.text_input(ui.t("training.col.skill"))
                    team_id = c1.selectbox(ui.t("common.team"), team_options, placeholder=ui.t("training.org_wide"),
                                           format_func={None: ui.t("training.org_wide"), **team_names}.get)
                    effect_metric = c2.selectbox(ui.t("training.col.effect_metric"), [None, *METRIC_LABELS], placeholder=ui.t("training.no_metric"),
                                                 format_func={None: ui.t("training.no_metric"), **METRIC_LABELS}.get)
                    if st.form_submit_button(ui.t("common.create"), type="primary"):
                        if ui.write(training.create_training, team_id=team_id, topic=topic, held_on=held_on, hours=hours,
                                    trainer=trainer, skill=skill, effect_metric=effect_metric, success=ui.t("training.created")):
                            st.rerun()
