"""Home: a team summary for managers and admins; a member's own tasks, follow-ups and goals."""
import pandas as pd
import streamlit as st

from core import goals, home, navigation, notifications, service
import ui
from ui import automation_ui, record_links

actor = ui.page_header("home")
st.subheader(ui.t("home.greeting", name=ui.esc(actor.display_name)))

# Notifications are written by the worker (python -m core.worker); this page only reads them.
notes = ui.cached(service.list_notifications)
if notes["items"]:
    if notes["unread"]:
        st.badge(ui.t("service.notify.badge", n=notes["unread"]), icon=":material/notifications_active:", color="red")
    with st.expander(ui.t("service.notify.title"), expanded=notes["unread"] > 0, icon=":material/notifications:"):
        for note in notes["items"]:
            text = f"{notifications.kind_label(note['kind'], ui.lang())} · {ui.esc(note['message'])} · {ui.fmt_date(note['created_at'])}"
            text = text if note["read"] else f"**{text}**"
            record = navigation.record_of(note["ref"])  # each notice opens the record it names
            if record:
                record_links.link(*record, text)
            else:
                st.markdown(text)
        if notes["unread"] and st.button(ui.t("service.notify.mark_read"), key="home_notes_read"):
            ui.write(service.mark_notifications_read, success=ui.t("service.notify.marked"), rerun=True)
automation_ui.preferences_section()

if actor.role in ("admin", "manager"):
    summary = ui.cached(home.team_summary)
    if not summary.teams:
        ui.empty_state(ui.t("home.no_teams"), ui.t("home.no_teams_hint"))
    else:
        totals = summary.totals
        cols = st.columns(5)
        for col, key in zip(cols, ["members", "customers", "open_tasks", "overdue_tasks", "overdue_follow_ups"]):
            col.metric(ui.t(f"home.{key}"), ui.fmt_number(totals[key]))
        risky = ui.cached(goals.at_risk_goals)
        if risky:
            st.subheader(ui.t("goals.home_at_risk"))
            for g in risky:
                pct = ui.fmt_points(g.percent)
                color = "red" if g.status == goals.OFF_TRACK else "orange"
                record_links.link("goal", g.id, f"**{ui.esc(g.title)}** · {ui.esc(g.owner)} · :{color}[{ui.t('goals.status.' + g.status)}] · {pct}",
                                  icon=":material/flag:")
        st.subheader(ui.t("home.team_summary"))
        frame = pd.DataFrame(
            [
                {
                    ui.t("common.team"): r.name,
                    ui.t("home.parent_team"): r.parent or "—",
                    ui.t("home.members"): r.members,
                    ui.t("home.customers"): r.customers,
                    ui.t("home.open_tasks"): r.open_tasks,
                    ui.t("home.overdue_tasks"): r.overdue_tasks,
                    ui.t("home.overdue_follow_ups"): r.overdue_follow_ups,
                }
                for r in summary.teams
            ]
        )
        st.dataframe(frame, hide_index=True, width="stretch")
else:
    if actor.member_id is None:
        ui.empty_state(ui.t("home.not_a_member"))
        st.stop()
    mine = ui.cached(home.member_summary)
    left, right = st.columns(2)
    with left:
        st.subheader(ui.t("home.my_tasks"))
        if not mine.tasks:
            st.success(ui.t("home.no_tasks"))
        for task in mine.tasks:
            due = ui.fmt_date(task["due_date"])
            badge = f":red[{due}]" if task["overdue"] else due
            st.markdown(f"**{ui.esc(task['title'])}** · {ui.label('task_status', task['status'])} · {badge}"
                        + (f" · {ui.esc(task['customer'])}" if task["customer"] else ""))
            st.progress(task["progress"] / 100)
    with right:
        st.subheader(ui.t("home.my_follow_ups"))
        if not mine.follow_ups:
            st.success(ui.t("home.no_follow_ups"))
        for item in mine.follow_ups:
            when = ui.t("home.due_today") if item["days_overdue"] == 0 else ui.t("home.days_overdue", n=item["days_overdue"])
            record_links.link("customer", item.get("id"), f"**{ui.esc(item['name'])}** · {ui.label('tier', item['tier'])} · :red[{when}]",
                              icon=":material/storefront:")
    st.subheader(ui.t("home.my_goals"))
    my_goals = ui.cached(goals.list_goals, mine=True)  # with % and status (core.goals)
    if not my_goals:
        ui.empty_state(ui.t("home.no_goals"))
    for g in my_goals:
        pct = ui.fmt_points(g.percent)
        record_links.link("goal", g.id, f"**{ui.esc(g.title)}** · {pct} · {ui.t('goals.status.' + g.status)} · {ui.t('home.ends')} {ui.fmt_date(g.end_date)}",
                          icon=":material/flag:")
        st.progress(max(0.0, min(1.0, (g.percent or 0) / 100)))
