"""Board: a team's tasks in columns by member (plus Unassigned) or by status. Drag a card by its
grip to reassign or reorder it (streamlit-dnd; each drop is one version-checked transaction), or
choose it in the board's one Move to… picker. Also the Workload view and a New task form."""
import streamlit as st

from core import avatars, drops, pickers, reports, tasks, wip_limits, workload
from core.errors import DomainError
import ui
from ui import board_wall
from ui import task_form as tf

actor = ui.page_header("board", ui.t("board.caption"))
tf.inject_css()
board_wall.inject()

teams = ui.cached(pickers.team_tree)
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

team_names = teams
f1, f2, f3, f4 = st.columns(4)
team_id = f1.selectbox(ui.t("board.team"), list(team_names), format_func=team_names.get, key="board_team")
quadrant = f2.selectbox(ui.t("board.priority"), list(QUADRANT_LABELS), key="board_quadrant", format_func=QUADRANT_LABELS.get)
due = f3.selectbox(ui.t("board.due"), list(DUE_LABELS), key="board_due", format_func=DUE_LABELS.get)
quadrant = None if quadrant in (ALL, None) else quadrant
due = None if due in (ALL, None) else due

def workload_chart(frame):
    """The workload chart of a read of core.workload.workload_frame (a chart view)."""
    return workload.workload_chart(frame, ui.lang())


# ---------------------------------------------------------------------------------------------
if section == "workload":
    frame = ui.cached(workload.workload_frame, team_id, quadrant=quadrant, due=due)
    if frame.empty:
        ui.empty_state(ui.t("workload.empty"))
        st.stop()
    st.caption(ui.t("workload.caption"))
    ui.chart(ui.chart_view(workload_chart, workload.workload_frame, team_id, quadrant=quadrant, due=due), width="stretch")
    table = frame[["member", "team", "open_tasks", "capacity", "overdue", "load"]].rename(columns={
        "member": ui.t("workload.member"), "team": ui.t("workload.team"), "open_tasks": ui.t("workload.open_tasks"),
        "capacity": ui.t("workload.capacity"), "overdue": ui.t("workload.overdue"), "load": ui.t("workload.load"),
    })
    table[ui.t("workload.load")] = table[ui.t("workload.load")] * 100  # shown in whole percent, like every share
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        ui.t("workload.load"): st.column_config.ProgressColumn(ui.t("workload.load"), format="%.0f%%", min_value=0, max_value=100),
    })
    ui.export_buttons(reports.formatted(table, ui.lang(), ui.currency(), {ui.t("workload.load"): "points"}),
                      "workload", "workload_export", raw=frame)
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

def _column_label(column: tasks.Column, view: str) -> str:
    if view == "status":
        return ui.label("task_status", column.id)
    # labels go into markdown (headings, buttons, warnings): a member's name is shown as typed
    return ui.esc(column.title) if column.member_id is not None else ui.t("board.unassigned")


def _avatar(member_id, name: str | None) -> str:
    """Initials in a coloured badge (letters and digits only: never markup)."""
    return f":{avatars.colour(member_id)}-badge[{avatars.initials(name)}]" if name else ""


def _card_markdown(card: tasks.Card) -> str:
    """A whole card in one markdown element: avatar, title, customer, due date, priority, progress."""
    meta = [tf.due_text(card), tf.quadrant_badge(card.quadrant), ui.t("board.progress", p=card.progress)]
    if card.customer:
        meta.insert(0, f":material/storefront: {ui.esc(card.customer)}")
    avatar = _avatar(card.assignee_id, card.assignee) or f":gray-badge[{ui.t('board.unassigned')}]"
    return f"{avatar} **{ui.esc(card.title)}**  \n" + " · ".join(meta)


def _quick_add_target(column_key: str, team_id: int) -> dict:
    """create_task arguments for a card added at the top of a column."""
    kind, _, target = column_key.removeprefix("bcol-").partition("-")
    if kind == "s":
        return {"team_id": team_id, "status": target}
    if target == tasks.UNASSIGNED:
        return {"team_id": team_id, "assignee_id": None}
    return {"team_id": None, "assignee_id": int(target)}  # the task joins the member's own team


def _apply_quick_add(team_id: int, labels: dict[str, str]) -> None:
    """A quick-add form submitted since the last run: create the task before drawing the board."""
    column_key = st.session_state.get("_board_qa")
    if not column_key or not st.session_state.get("qa-go"):
        return
    title = (st.session_state.get("qa-title") or "").strip()
    if ui.write(tasks.create_task, title=title, **_quick_add_target(column_key, team_id)):
        st.success(ui.t("wall.added", title=title, column=labels.get(column_key, "")), icon=":material/add_task:")


def _wip_editor(team_id: int, data: tasks.Board) -> None:
    """One popover for the status columns' limits; its body is drawn only while it is open."""
    pop = st.popover(ui.t("wall.wip.button"), icon=":material/speed:", key="board_wip", on_change="rerun")
    if pop.open is False:
        return
    with pop:
        st.caption(ui.t("wall.wip.help"))
        values = {}
        for column in data.columns:
            values[column.id] = st.number_input(ui.label("task_status", column.id), min_value=0,
                                                max_value=wip_limits.MAX_LIMIT, step=1, value=column.wip_limit or 0,
                                                key=f"wip-{team_id}-{column.id}")
        if st.button(ui.t("wall.wip.save"), type="primary", key="board_wip_save", icon=":material/save:"):
            if ui.write(wip_limits.set_wip_limits, team_id, values):
                st.session_state.pop("board_wip", None)
                st.rerun(scope="fragment")


PICK_KEY = "board_pick"


def _picked() -> None:
    """on_change of the card picker: remember the card for this run and clear the picker, so the
    same card can be chosen again after its dialog closes."""
    st.session_state["_board_picked"] = st.session_state.get(PICK_KEY)
    st.session_state[PICK_KEY] = None


def _card_picker(data: tasks.Board, view: str, prefix: str, members: list[dict], labels: dict[str, str]) -> None:
    """One Move to… / details control for the whole board (a widget per card cost ~126 elements
    on a full board): choose a card, and its dialog opens with one tap per other column, the
    assignee and status pickers and the card's details."""
    cards = {card.id: (card, f"bcol-{prefix}-{column.id}", column) for column in data.columns for card in column.cards}
    placeholder = ui.t("board.card_pick")

    def option(card_id: int) -> str:  # plain text (a select's options do not render markdown)
        card, _, column = cards[card_id]
        if view == "status":
            where = ui.label("task_status", column.id)
        else:
            where = column.title if column.member_id is not None else ui.t("board.unassigned")
        return " · ".join(part for part in (card.title, card.customer, where) if part)

    # repeated labels are numbered by ui's select wrapper (ui/widget_text.py)
    options = ui.formatter(cards, option)
    st.selectbox(placeholder, list(cards), index=None, format_func=options, placeholder=placeholder, key=PICK_KEY,
                 on_change=_picked, label_visibility="collapsed", disabled=not cards)
    picked = st.session_state.pop("_board_picked", None)
    if picked in cards:
        card, key, _ = cards[picked]
        tf.open_card_dialog(card, members, targets=[(k, label) for k, label in labels.items() if k != key])


@st.fragment
def draw_board(team_id: int, view: str, customer_query: str, quadrant: str | None, due: str | None,
               include_done: bool) -> None:
    """The columns and cards, side by side in one scrolling row. A fragment: a drop, a quick-add
    and the Move to… picker rerun the board alone, not the app shell and filters; Show more,
    member paging and a move made in the dialog rerun the whole app."""
    prefix = "m" if view == "member" else "s"
    _apply_pending_drop(prefix)
    _apply_quick_add(team_id, st.session_state.get("_board_labels", {}))

    limits_state = st.session_state.setdefault("_board_limits", {})
    column_limits = limits_state.get((team_id, view), {})
    member_offset = st.session_state.get(f"_board_member_offset_{team_id}", 0) if view == "member" else 0
    data = ui.cached(
        tasks.board, team_id, view, limit=tasks.DEFAULT_CARDS_PER_COLUMN, limits=tuple(sorted(column_limits.items())),
        customer_query=customer_query.strip() or None, quadrant=quadrant, due=due, include_done=include_done,
        member_offset=member_offset, member_limit=tasks.DEFAULT_MEMBERS_PER_PAGE,
    )
    labels = {f"bcol-{prefix}-{c.id}": _column_label(c, view) for c in data.columns}
    st.session_state["_board_labels"] = labels
    _board_header(team_id, data, view, prefix, labels, member_offset)

    open_add = st.session_state.get("_board_qa")
    drawn: dict[str, list[int]] = {}
    with st.container(key="board-row", horizontal=True, wrap=False, gap="small"):
        for column in data.columns:
            key = f"bcol-{prefix}-{column.id}"
            with st.container(key=f"bwrap-{prefix}-{column.id}", width=board_wall.COLUMN_WIDTH, gap="small"):
                st.markdown(_column_head(column, view, labels[key]))
                _quick_add(key, open_add == key)
                with st.container(key=key, border=True):
                    for card in column.cards:
                        with st.container(key=tf.card_key(card), border=True):
                            st.markdown(_card_markdown(card))
                drawn[key] = [card.id for card in column.cards]
                if column.hidden and _show_more_clicked(column, key):
                    column_limits[column.id] = min(tasks.MAX_CARDS_PER_COLUMN, len(column.cards) + tasks.DEFAULT_CARDS_PER_COLUMN)
                    limits_state[(team_id, view)] = column_limits
                    st.rerun()

    tf.remember_drawn("stdnd", drawn)
    tf.enable_dnd(list(drawn), "stdnd")
    tf.show_open_dialog()


def _apply_pending_drop(prefix: str) -> None:
    """A drop reported by the browser since the last run: applied before drawing, so this run shows
    the result (or the refusal) from the database."""
    drop = tf.pending_drop("stdnd")
    if not drop:
        return
    try:
        move = drops.board_destination(drop, prefix)
    except DomainError as error:
        ui.show_error(error)
    else:
        tf.apply_move(drop.record_id, drop.version, index=drop.index, neighbours=list(drop.neighbours), **move)


def _board_header(team_id: int, data: tasks.Board, view: str, prefix: str, labels: dict[str, str],
                  member_offset: int) -> None:
    """WIP warnings, the count line, the Move to… picker, the limits editor and member paging."""
    for column in data.columns:
        if column.over_wip_limit:
            st.warning(ui.t("wall.wip.over", column=labels[f"bcol-s-{column.id}"], n=column.wip_count,
                            limit=column.wip_limit), icon=":material/warning:")
    h1, h2, h3 = st.columns([3, 2, 1], vertical_alignment="center")
    h1.caption(ui.t("board.shown", shown=data.shown, total=data.total) + " · " + ui.t("wall.scroll_hint"))
    with h2:
        _card_picker(data, view, prefix, list(data.members), labels)  # the Move to… menu offers the whole team
    if view == "status":
        with h3:
            _wip_editor(team_id, data)
    if view == "member" and data.members_total > tasks.DEFAULT_MEMBERS_PER_PAGE:
        _member_pager(team_id, data.members_total, member_offset)
    if view == "member" and len(data.columns) == 1:
        st.info(ui.t("board.no_members"), icon=":material/group_off:")


def _member_pager(team_id: int, members_total: int, member_offset: int) -> None:
    """Very large teams: a page of members at a time (the Unassigned column stays on every page)."""
    page_size = tasks.DEFAULT_MEMBERS_PER_PAGE
    last = (members_total - 1) // page_size * page_size
    p1, p2, p3 = st.columns([1, 3, 1])
    if p1.button(ui.t("common.previous"), key="board_members_prev", disabled=member_offset <= 0, width="stretch"):
        st.session_state[f"_board_member_offset_{team_id}"] = max(0, member_offset - page_size)
        st.rerun()
    p2.caption(ui.t("board.members_page", first=member_offset + 1,
                    last=min(member_offset + page_size, members_total), total=members_total))
    if p3.button(ui.t("common.next"), key="board_members_next", disabled=member_offset >= last, width="stretch"):
        st.session_state[f"_board_member_offset_{team_id}"] = min(last, member_offset + page_size)
        st.rerun()


def _column_head(column, view: str, label: str) -> str:
    """A column's heading as one markdown: name and count, with the WIP limit (status view) or the
    member's team and load (member view)."""
    if view == "status":
        head = f"#### {label} · {column.total}"
        if column.wip_limit:
            wip = ui.t("wall.wip.count", n=column.wip_count, limit=column.wip_limit)
            head += "  \n" + (f":red[:material/warning: **{wip}**]" if column.over_wip_limit else wip)
        return head
    if column.member_id is None:
        return f"#### {label} · {column.total}"
    load = ui.t("board.load", open=column.open_tasks, capacity=column.capacity)
    return (f"#### {_avatar(column.member_id, column.title)} {ui.esc(column.title)} · {column.total}\n"
            f"{ui.esc(column.team)} · " + (f":red[**{load}**]" if column.over_capacity else load))


def _quick_add(key: str, is_open: bool) -> None:
    """The quick-add at the top of a column: a button, or (open) a one-line form and a close button."""
    if not is_open:
        if st.button(ui.t("wall.add_card"), key=f"qa-open-{key}", type="tertiary", icon=":material/add:"):
            st.session_state["_board_qa"] = key
            st.rerun(scope="fragment")
        return
    with st.form("qa-form", clear_on_submit=True, border=False):
        st.text_input(ui.t("wall.add_title"), key="qa-title", max_chars=tasks.TITLE_MAX,
                      placeholder=ui.t("wall.add_placeholder"), label_visibility="collapsed")
        st.form_submit_button(ui.t("wall.add_submit"), key="qa-go", type="primary", icon=":material/add:")
    if st.button(ui.t("wall.add_close"), key="qa-close", type="tertiary"):
        st.session_state.pop("_board_qa", None)
        st.rerun(scope="fragment")


def _show_more_clicked(column, key: str) -> bool:
    step = tasks.DEFAULT_CARDS_PER_COLUMN
    return st.button(ui.t("board.show_more", n=min(step, column.hidden), hidden=column.hidden),
                     key=f"more-{key}", icon=":material/expand_more:")


draw_board(team_id, view, customer_query, quadrant, due, include_done)
