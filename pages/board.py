"""Board: a team's tasks in columns by member (plus Unassigned) or by status. Drag a card by its
grip to reassign or reorder it (streamlit-dnd; each drop is one version-checked transaction), or use
its Move to… menu. Also the Workload view and a New task form."""
import streamlit as st

from core import tasks, workload
from pages import task_form as tf
from pages import ui

actor = ui.page_header("board", ui.t("board.caption"))
tf.inject_css()

teams = ui.cached(tasks.board_teams)
if not teams:
    ui.empty_state(ui.t("board.no_teams"), ui.t("board.no_teams_hint"))
    st.stop()

# Labels are computed here, once per run: format functions must not depend on the session later.
SECTIONS = {"board": ui.t("board.tab.board"), "workload": ui.t("board.tab.workload"), "new": ui.t("board.tab.new")}
ALL = "all"  # a real option value: a None value would show as an empty "Choose an option"
QUADRANT_LABELS = {ALL: ui.t("common.all"), **{q: ui.t(f"board.quadrant.{q}") for q in tasks.QUADRANTS}}
DUE_LABELS = {ALL: ui.t("common.all"), **{d: ui.t(f"board.due.{d}") for d in tasks.DUE_WINDOWS}}
VIEW_LABELS = {v: ui.t(f"board.view.{v}") for v in tasks.VIEWS}

section = st.segmented_control(
    ui.t("board.view"), list(SECTIONS), default="board", key="board_section", label_visibility="collapsed",
    format_func=SECTIONS.get,
) or "board"

team_names = {t["id"]: t["name"] for t in teams}
f1, f2, f3, f4 = st.columns(4)
team_id = f1.selectbox(ui.t("board.team"), list(team_names), format_func=team_names.get, key="board_team")
quadrant = f2.selectbox(ui.t("board.priority"), list(QUADRANT_LABELS), key="board_quadrant", format_func=QUADRANT_LABELS.get)
due = f3.selectbox(ui.t("board.due"), list(DUE_LABELS), key="board_due", format_func=DUE_LABELS.get)
quadrant = None if quadrant in (ALL, None) else quadrant
due = None if due in (ALL, None) else due

# ---------------------------------------------------------------------------------------------
if section == "workload":
    frame = ui.cached(workload.workload_frame, team_id, quadrant=quadrant, due=due)
    if frame.empty:
        ui.empty_state(ui.t("workload.empty"))
        st.stop()
    st.caption(ui.t("workload.caption"))
    ui.chart(lambda: workload.workload_chart(frame, ui.lang()), cache_key=("workload", team_id, quadrant, due), width="stretch")
    table = frame[["member", "team", "open_tasks", "capacity", "overdue", "load"]].rename(columns={
        "member": ui.t("workload.member"), "team": ui.t("workload.team"), "open_tasks": ui.t("workload.open_tasks"),
        "capacity": ui.t("workload.capacity"), "overdue": ui.t("workload.overdue"), "load": ui.t("workload.load"),
    })
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        ui.t("workload.load"): st.column_config.ProgressColumn(ui.t("workload.load"), format="percent", min_value=0, max_value=1),
    })
    ui.export_buttons(table, "workload", "workload_export")
    st.stop()

if section == "new":
    tf.task_editor(None, key="board_new", team_id=team_id)
    st.stop()

# ---------------------------------------------------------------------------------------------
view = f4.segmented_control(ui.t("board.view"), list(VIEW_LABELS), default="member", key="board_view",
                            format_func=VIEW_LABELS.get) or "member"
g1, g2 = st.columns([3, 1])
customer_query = g1.text_input(ui.t("board.customer_search"), key="board_customer")
include_done = g2.toggle(ui.t("board.include_done"), key="board_done") if view == "member" else True

@st.fragment
def draw_board(team_id: int, view: str, customer_query: str, quadrant: str | None, due: str | None,
               include_done: bool) -> None:
    """The columns and cards. A fragment: a drop and a card's Move to… button rerun the board alone,
    not the app shell and filters; Show more, member paging and a move made in the dialog rerun
    the whole app."""
    # A drop reported by the browser since the last run: apply it before drawing, so this run shows
    # the result (or the refusal) from the database.
    drop = tf.pending_drop("stdnd")
    if drop:
        kind, _, target = drop["to"].removeprefix("bcol-").partition("-")
        move = {}
        if not drop["same"] and kind == "m":
            move["to_member_id"] = None if target == tasks.UNASSIGNED else int(target)
        elif not drop["same"] and kind == "s":
            move["to_status"] = target
        tf.apply_move(drop["task_id"], drop["version"], index=drop["index"], neighbours=drop["neighbours"], **move)

    limits_state = st.session_state.setdefault("_board_limits", {})
    column_limits = limits_state.get((team_id, view), {})
    member_offset = st.session_state.get(f"_board_member_offset_{team_id}", 0) if view == "member" else 0
    data = ui.cached(
        tasks.board, team_id, view, limit=tasks.DEFAULT_CARDS_PER_COLUMN, limits=tuple(sorted(column_limits.items())),
        customer_query=customer_query.strip() or None, quadrant=quadrant, due=due, include_done=include_done,
        member_offset=member_offset, member_limit=tasks.DEFAULT_MEMBERS_PER_PAGE,
    )
    members = list(data.members)  # the Move to… menu offers the whole team
    st.caption(ui.t("board.shown", shown=data.shown, total=data.total))
    if view == "member" and data.members_total > tasks.DEFAULT_MEMBERS_PER_PAGE:
        # Big teams: a page of members at a time (the Unassigned column stays on every page).
        page_size = tasks.DEFAULT_MEMBERS_PER_PAGE
        last = (data.members_total - 1) // page_size * page_size
        p1, p2, p3 = st.columns([1, 3, 1])
        if p1.button(ui.t("common.previous"), key="board_members_prev", disabled=member_offset <= 0, width="stretch"):
            st.session_state[f"_board_member_offset_{team_id}"] = max(0, member_offset - page_size)
            st.rerun()
        p2.caption(ui.t("board.members_page", first=member_offset + 1,
                        last=min(member_offset + page_size, data.members_total), total=data.members_total))
        if p3.button(ui.t("common.next"), key="board_members_next", disabled=member_offset >= last, width="stretch"):
            st.session_state[f"_board_member_offset_{team_id}"] = min(last, member_offset + page_size)
            st.rerun()
    if view == "member" and len(data.columns) == 1:
        st.info(ui.t("board.no_members"), icon=":material/group_off:")

    PER_ROW = 4
    move_label = ui.t("board.card_menu")
    prefix = "m" if view == "member" else "s"
    container_keys: list[str] = []
    drawn: dict[str, list[int]] = {}
    for start in range(0, len(data.columns), PER_ROW):
        for slot, column in zip(st.columns(PER_ROW), data.columns[start:start + PER_ROW]):
            with slot:
                if view == "status":
                    st.markdown(f"#### {ui.label('task_status', column.id)} · {column.total}")
                elif column.member_id is None:
                    st.markdown(f"#### {ui.t('board.unassigned')} · {column.total}")
                else:
                    load = ui.t("board.load", open=column.open_tasks, capacity=column.capacity)
                    st.markdown(f"#### {ui.esc(column.title)}\n{ui.esc(column.team)} · " + (f":red[**{load}**]" if column.over_capacity else load))
                key = f"bcol-{prefix}-{column.id}"
                with st.container(key=key, border=True):
                    for card in column.cards:
                        with st.container(key=tf.card_key(card), border=True):
                            tf.card_body(card, show_assignee=view == "status")
                            # One button per card (widgets dominate the rerun time): Move to… and Details.
                            if st.button(move_label, key=f"mv-{card.id}", type="tertiary"):
                                tf.open_card_dialog(card, members)
                container_keys.append(key)
                drawn[key] = [card.id for card in column.cards]
                if column.hidden:
                    step = tasks.DEFAULT_CARDS_PER_COLUMN
                    if st.button(ui.t("board.show_more", n=min(step, column.hidden), hidden=column.hidden),
                                 key=f"more-{key}", icon=":material/expand_more:"):
                        column_limits[column.id] = min(tasks.MAX_CARDS_PER_COLUMN, len(column.cards) + step)
                        limits_state[(team_id, view)] = column_limits
                        st.rerun()

    tf.remember_drawn("stdnd", drawn)
    tf.enable_dnd(container_keys, "stdnd")
    tf.show_open_dialog()


draw_board(team_id, view, customer_query, quadrant, due, include_done)
