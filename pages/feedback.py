"""Feedback and recognition: 1:1s with an automatic agenda, anonymous feedback in batches, the praise
wall, rewards from transparent rules, and a leaderboard per cycle."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core import feedback as fb
from core import one_on_ones as oo
from core import pickers
from core import recognition as rc
from core import safe_text
from core.choices import REWARD_KINDS
import ui
from ui import record_links

actor = ui.page_header("feedback", ui.t("feedback.caption"))
manages = actor.role in ("admin", "manager")
kind_labels = {k: ui.t("reward_kind." + k) for k in REWARD_KINDS}

if record_links.arrival("tab") == "feedback":  # the "feedback released" notice's link
    st.session_state["feedback_tab"] = ui.t("feedback.tab.feedback")
tab_one, tab_feedback, tab_praise, tab_rewards, tab_board = ui.tabs([
    ui.t("feedback.tab.one_on_ones"), ui.t("feedback.tab.feedback"), ui.t("feedback.tab.praise"),
    ui.t("feedback.tab.rewards"), ui.t("feedback.tab.leaderboard"),
], key="feedback_tab")


def render_agenda(agenda: dict) -> None:
    """The automatic agenda: overdue follow-ups, at-risk goals, open complaints, last evaluation."""
    if "text" in agenda:  # a free-text agenda (older or imported 1:1s)
        st.markdown(ui.esc(agenda["text"]))
        return
    follow = agenda.get("overdue_follow_ups") or []
    goals = agenda.get("at_risk_goals") or []
    complaints = agenda.get("open_complaints") or []
    last = agenda.get("last_evaluation")
    st.markdown(f"**{ui.t('one_on_one.agenda.follow_ups', n=len(follow))}**")
    # each item opens the record it names (older stored agendas may lack the ids: shown as text)
    for f in follow:
        record_links.link("customer", f.get("id"), f"{ui.esc(f['name'])} · {ui.t('one_on_one.due')} {ui.fmt_date(date.fromisoformat(f['due']))}",
                          icon=":material/storefront:")
    st.markdown(f"**{ui.t('one_on_one.agenda.goals', n=len(goals))}**")
    for g in goals:
        pct = ui.fmt_points(g.get("percent"))
        record_links.link("goal", g.get("id"), f"{ui.esc(g['title'])} · {ui.label('goals.status', g.get('status'))} · {pct}",
                          icon=":material/flag:")
    st.markdown(f"**{ui.t('one_on_one.agenda.complaints', n=len(complaints))}**")
    for c in complaints:
        record_links.link("complaint", c.get("id"), f"{ui.esc(c['title'])} · {ui.label('severity', c['severity'])} · {ui.fmt_date(date.fromisoformat(c['opened']))}",
                          icon=":material/support_agent:")
    st.markdown(f"**{ui.t('one_on_one.agenda.last_evaluation')}**")
    if last is None:
        st.caption(ui.t("one_on_one.no_evaluation"))
    else:
        total = ui.fmt_decimal(last["total"], 2)
        st.markdown(f"- {ui.esc(last['cycle'])} · {ui.t('cycle_status.' + last['status'])} · {total}")


def _praise_markdown(row) -> str:
    """One praise of the wall (the wall is one markdown element, not a container, markdown and
    caption per praise): who, for what, then from whom, when and about which goal or customer."""
    # a missing goal or customer comes back from the table as NaN: show nothing, never "nan"
    link = " · ".join(f"{icon} {value}" for icon, value in (("🎯", row.goal), ("🏢", row.customer))
                      if isinstance(value, str) and value)
    meta = f"{ui.esc(row.giver) or '—'} · {ui.fmt_date(row.at)}" + (f" · {ui.esc(link)}" if link else "")
    return f"🎉 **{ui.esc(row.to)}** — {ui.esc(row.message)}  \n:gray[:small[{meta}]]"


# ---------------------------------------------------------------------------------------------
# 1:1s
# ---------------------------------------------------------------------------------------------
with tab_one:
    if ui.kept(tab_one):
        st.caption(ui.t("one_on_one.privacy"))
        if manages:
            people = ui.cached(pickers.one_on_one_members)
            if not people:
                ui.empty_state(ui.t("one_on_one.no_members"))
            else:
                linked = st.query_params.get("member")  # /feedback?member=<id>: the Meeting screen's 1:1 links
                linked_id = safe_text.parse_id(linked)  # anything but a plain id is ignored, never raised on
                if linked_id in people and st.session_state.get("_oo_linked") != linked:
                    st.session_state["oo_member"] = linked_id  # once per link: the user may choose another
                    st.session_state["_oo_linked"] = linked
                member_id = st.selectbox(ui.t("common.member"), list(people), format_func=people.get, key="oo_member")
                with st.expander(ui.t("one_on_one.agenda_now"), expanded=True):
                    render_agenda(ui.cached(oo.agenda, member_id))
                with st.form("oo_new", clear_on_submit=True):
                    held_on = st.date_input(ui.t("common.date"), value=date.today(), key="oo_date")
                    notes = st.text_area(ui.t("one_on_one.notes"), key="oo_notes")
                    if st.form_submit_button(ui.t("one_on_one.record"), type="primary"):
                        if ui.write(oo.create_one_on_one, member_id, held_on, notes, success=ui.t("one_on_one.recorded")):
                            st.rerun()
        history = ui.cached(oo.list_one_on_ones, st.session_state.get("oo_member") if manages else None)
        if not history:
            ui.empty_state(ui.t("one_on_one.none"))
        for view in history:
            with st.expander(f"{ui.fmt_date(view.held_on)} · {ui.esc(view.member)}"):
                render_agenda(view.agenda)
                notes_head = f"**{ui.t('one_on_one.notes')}**"
                # The action items as one markdown list (one element, not one per item), after the
                # read-only notes in the same element.
                actions = f"**{ui.t('one_on_one.actions')}**" + "".join(
                    f"\n- {'✅' if item['done'] else '⬜'} {ui.esc(item['text'])} · {ui.t('one_on_one.due')} "
                    f"{ui.fmt_date(item['due_date']) if item['due_date'] else '—'} · {ui.t('one_on_one.on_board')}: "
                    f"{ui.label('task_status', item['task_status']) if item['task_status'] else '—'}"
                    for item in view.action_items)
                if view.mine_to_edit:
                    st.markdown(notes_head)
                    with st.form(f"oo_notes_{view.id}"):
                        text = st.text_area(ui.t("one_on_one.notes"), value=view.notes or "", key=f"oo_notes_text_{view.id}", label_visibility="collapsed")
                        if st.form_submit_button(ui.t("common.save")):
                            if ui.write(oo.update_notes, view.id, text, success=ui.t("common.saved")):
                                st.rerun()
                    st.markdown(actions)
                else:
                    st.markdown(f"{notes_head}\n\n{ui.esc(view.notes) or '—'}\n\n{actions}")
                if view.mine_to_edit:
                    with st.form(f"oo_item_{view.id}", clear_on_submit=True):
                        text = st.text_input(ui.t("one_on_one.new_action"), key=f"oo_item_text_{view.id}")
                        due = st.date_input(ui.t("one_on_one.due"), value=None, key=f"oo_item_due_{view.id}")
                        if st.form_submit_button(ui.t("one_on_one.add_action")):
                            if ui.write(oo.add_action_item, view.id, text, None, due, success=ui.t("one_on_one.action_added")):
                                st.rerun()

# ---------------------------------------------------------------------------------------------
# Anonymous feedback
# ---------------------------------------------------------------------------------------------
with tab_feedback:
    if ui.kept(tab_feedback):
        st.info(ui.t("feedback.anonymity_rule", n=fb.MIN_BATCH), icon=":material/visibility_off:")
        if actor.member_id is not None:
            # Sent through ui.write only: never cached, never audited, nothing returned.
            with st.form("feedback_send", clear_on_submit=True):
                target = st.radio(ui.t("feedback.to"), ["team", "manager"], format_func={v: ui.t("feedback.target." + v) for v in ("team", "manager")}.get,
                                  horizontal=True, key="feedback_target")
                body = st.text_area(ui.t("feedback.body"), max_chars=fb.MAX_LENGTH, key="feedback_body")
                if st.form_submit_button(ui.t("feedback.send"), type="primary", icon=":material/send:"):
                    if ui.write(fb.send_feedback, target, body, success=ui.t("feedback.sent")):
                        st.rerun()
        due = ui.cached(fb.due_batches) if manages else 0
        if due:
            st.warning(ui.t("feedback.due", n=due), icon=":material/mark_email_unread:")
            if st.button(ui.t("feedback.release"), type="primary", key="feedback_release"):
                n = ui.write(fb.release_due_feedback)
                if n:
                    ui.flash(ui.t("feedback.released_n", n=n))
                    st.rerun()
        if ui.in_view(tab_feedback):  # the released batches are read-only: drawn only while the tab is open
            batches = ui.cached(fb.list_batches)
            st.subheader(ui.t("feedback.released"))
            if not batches:
                ui.empty_state(ui.t("feedback.no_batches"), ui.t("feedback.no_batches_hint", n=fb.MIN_BATCH))
            for batch in batches:
                with st.container(border=True):  # a batch and its items in one markdown element
                    st.markdown(f"**{ui.esc(batch.period)}** · {ui.esc(batch.team)} · {ui.t('feedback.target.' + batch.target)} · {ui.t('feedback.items', n=len(batch.items))}"
                                + "".join(f"\n\n> {ui.esc(item)}" for item in batch.items))

# ---------------------------------------------------------------------------------------------
# Praise wall
# ---------------------------------------------------------------------------------------------
with tab_praise:
    if ui.kept(tab_praise):
        choices = ui.cached(pickers.praise_targets)
        if choices.members:
            people = choices.members
            with st.form("praise_new", clear_on_submit=True):
                to = st.selectbox(ui.t("praise.to"), list(people), format_func=people.get, key="praise_to")
                message = st.text_area(ui.t("praise.for_what"), max_chars=rc.MAX_MESSAGE, key="praise_msg")
                goals = choices.goals
                customers = choices.customers
                goal_id = st.selectbox(ui.t("praise.goal"), [None, *goals], placeholder="—", format_func={None: "—", **goals}.get, key="praise_goal")
                customer_id = st.selectbox(ui.t("praise.customer"), [None, *customers], placeholder="—", format_func={None: "—", **customers}.get, key="praise_customer")
                if st.form_submit_button(ui.t("praise.give"), type="primary", icon=":material/celebration:"):
                    if ui.write(rc.give_praise, to, message, goal_id, customer_id, success=ui.t("praise.given")):
                        st.rerun()
        if ui.in_view(tab_praise):  # the wall is read-only: drawn only while the tab is open
            total = ui.cached(rc.praise_wall, 30, 0)[0]
            offset = ui.pager(total, 30, "praise") if total > 30 else 0
            total, wall = ui.cached(rc.praise_wall, 30, offset)
            if wall.empty:
                ui.empty_state(ui.t("praise.none"))
            else:
                st.markdown("\n\n---\n\n".join(_praise_markdown(row) for row in wall.itertuples()))

# ---------------------------------------------------------------------------------------------
# Rewards
# ---------------------------------------------------------------------------------------------
with tab_rewards:
    if ui.kept(tab_rewards):
        rules = ui.cached(rc.list_reward_rules)
        st.markdown(f"**{ui.t('reward.rules')}**")
        st.caption(ui.t("reward.rules_help"))
        if rules.empty:
            ui.empty_state(ui.t("reward.no_rules"))
        elif ui.in_view(tab_rewards):  # read-only grids are drawn only while their tab is open
            st.dataframe(pd.DataFrame({
                ui.t("common.team"): rules["team"],
                ui.t("reward.when"): [ui.t("reward.rule_text", metric=ui.t("reward_metric." + m), threshold=f"{t:g}") for m, t in zip(rules["metric"], rules["threshold"])],
                ui.t("reward.kind"): [ui.t("reward_kind." + k) for k in rules["reward_kind"]],
                ui.t("reward.amount"): [ui.fmt_money(a) if a is not None and not pd.isna(a) else "—" for a in rules["amount"]],
                ui.t("reward.description"): rules["description"],
            }), hide_index=True, width="stretch")
        if manages:
            teams = ui.cached(pickers.led_teams)
            if teams:
                with st.expander(ui.t("reward.new_rule")):
                    with st.form("rule_new", clear_on_submit=True):
                        team_id = st.selectbox(ui.t("common.team"), list(teams), format_func=teams.get, key="rule_team")
                        metric = st.selectbox(ui.t("reward.metric"), ["evaluation_score", "goal_attainment"], format_func={m: ui.t("reward_metric." + m) for m in ("evaluation_score", "goal_attainment")}.get, key="rule_metric")
                        threshold = st.number_input(ui.t("reward.threshold"), value=4.5, step=0.5, help=ui.t("reward.threshold_help"), key="rule_threshold")
                        kind = st.selectbox(ui.t("reward.kind"), list(REWARD_KINDS), format_func=kind_labels.get, key="rule_kind")
                        amount = st.number_input(ui.t("reward.amount"), value=None, min_value=0.0, step=100.0, key="rule_amount")
                        description = st.text_input(ui.t("reward.description"), key="rule_desc")
                        if st.form_submit_button(ui.t("common.create"), type="primary"):
                            if ui.write(rc.create_reward_rule, team_id, metric, threshold, kind, amount, description, success=ui.t("reward.rule_created")):
                                st.rerun()
            cycles = [c for c in ui.cached(rc.leaderboard_cycles)]
            if cycles:
                names = {c["id"]: c["name"] for c in cycles}
                c1, c2 = st.columns([3, 1])
                cycle_id = c1.selectbox(ui.t("reward.apply_to"), list(names), format_func=names.get, key="reward_cycle")
                if c2.button(ui.t("reward.suggest"), key="reward_suggest", icon=":material/auto_awesome:"):
                    made = ui.write(rc.suggest_rewards, cycle_id)
                    if made is not None:
                        ui.flash(ui.t("reward.suggested", n=0 if made is True else made))
                        st.rerun()
            suggested = ui.cached(rc.list_rewards, "suggested")
            st.markdown(f"**{ui.t('reward.to_confirm', n=len(suggested))}**")
            for r in (suggested.itertuples() if ui.in_view(tab_rewards) else ()):  # buttons only: no input to lose
                with st.container(border=True):
                    st.markdown(f"**{ui.esc(r.member)}** · {ui.t('reward_kind.' + r.kind)}" + (f" · {ui.fmt_money(r.amount)}" if r.amount is not None and not pd.isna(r.amount) else "")
                                + (f" · {r.cycle}" if r.cycle else ""))
                    st.caption(f"{ui.t('reward.reason')}: {ui.esc(r.reason)}")
                    b1, b2 = st.columns(2)
                    if b1.button(ui.t("reward.confirm"), key=f"reward_ok_{r.id}", type="primary"):
                        if ui.write(rc.decide_reward, r.id, True, success=ui.t("reward.confirmed")):
                            st.rerun()
                    if b2.button(ui.t("reward.reject"), key=f"reward_no_{r.id}"):
                        if ui.write(rc.decide_reward, r.id, False, success=ui.t("reward.rejected")):
                            st.rerun()
            people = ui.cached(pickers.one_on_one_members)
            if people:
                with st.expander(ui.t("reward.nominate")):
                    with st.form("reward_nominate", clear_on_submit=True):
                        member_id = st.selectbox(ui.t("common.member"), list(people), format_func=people.get, key="nom_member")
                        kind = st.selectbox(ui.t("reward.kind"), list(REWARD_KINDS), format_func=kind_labels.get, key="nom_kind")
                        amount = st.number_input(ui.t("reward.amount"), value=None, min_value=0.0, step=100.0, key="nom_amount")
                        reason = st.text_input(ui.t("reward.reason"), key="nom_reason")
                        if st.form_submit_button(ui.t("reward.nominate"), type="primary"):
                            if ui.write(rc.nominate_reward, member_id, kind, reason, amount, success=ui.t("reward.nominated")):
                                st.rerun()
        rewards = ui.cached(rc.list_rewards)
        st.markdown(f"**{ui.t('reward.history') if manages else ui.t('reward.mine')}**")
        if rewards.empty:
            ui.empty_state(ui.t("reward.none"))
        elif ui.in_view(tab_rewards):
            st.dataframe(pd.DataFrame({
                ui.t("common.member"): rewards["member"], ui.t("reward.kind"): [ui.t("reward_kind." + k) for k in rewards["kind"]],
                ui.t("reward.amount"): [ui.fmt_money(a) if a is not None and not pd.isna(a) else "—" for a in rewards["amount"]],
                ui.t("reward.reason"): rewards["reason"], ui.t("common.status"): [ui.t("reward_status." + s) for s in rewards["status"]],
                ui.t("common.date"): [ui.fmt_date(d) for d in rewards["created_at"]],
            }), hide_index=True, width="stretch")

# ---------------------------------------------------------------------------------------------
# Leaderboard
# ---------------------------------------------------------------------------------------------
with tab_board:
    if ui.in_view(tab_board):  # read-only: drawn only while open
        st.caption(ui.t("leaderboard.rule"))
        cycles = ui.cached(rc.leaderboard_cycles)
        if not cycles:
            ui.empty_state(ui.t("leaderboard.no_cycles"))
        else:
            names = {c["id"]: c["name"] for c in cycles}
            cycle_id = st.selectbox(ui.t("evaluations.cycle"), list(names), format_func=names.get, key="board_cycle",
                                    persist_state="page")
            board = ui.cached(rc.leaderboard, cycle_id)
            if board.empty:
                ui.empty_state(ui.t("leaderboard.empty"))
            else:
                ui.chart(rc.leaderboard_chart(board, ui.t("leaderboard.chart", cycle=names[cycle_id]), ui.t("leaderboard.axis_praise"),
                                                     ui.t("common.member"), ui.t("leaderboard.rewards")), width="stretch")
                st.dataframe(board.rename(columns={"rank": ui.t("leaderboard.rank"), "member": ui.t("common.member"),
                                                   "praise": ui.t("leaderboard.praise"), "rewards": ui.t("leaderboard.rewards")}),
                             hide_index=True, width="stretch")
