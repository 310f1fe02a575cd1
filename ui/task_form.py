"""Task widgets shared by the Board, My tasks and other pages: cards, the drag-and-drop glue for
streamlit-dnd, the Move to… and Details dialogs, the task form and the quick-add form.

Other pages use `quick_add_form(customer_id=..., key=...)` (customer page) to add a task in place.
Not a page itself: app.py only registers the files listed in core/navigation.py."""
from __future__ import annotations

import contextlib
from typing import Any

import streamlit as st
from streamlit_dnd import dnd

from core import drops, pickers, tasks
from core.errors import DomainError
from core.tasks import KEEP
from core.choices import TASK_STATUSES
import ui

NONE = 0  # option value for "no customer / goal / assignee" (a None option shows as an empty box)


def _id(value: Any) -> int | None:
    return None if value in (NONE, None) else value


QUADRANT_COLOURS = {"do": "red", "schedule": "blue", "delegate": "orange", "eliminate": "gray"}

# The default streamlit-dnd grip is a 22-px glyph in a corner; make it a full-height strip on the
# left of every card (easy to find and to hit, with mouse or finger) and keep the text clear of it.
_CSS = """
<style>
.stdnd-has-handle > .stdnd-handle {
  top: 0 !important; bottom: 0 !important; left: 0 !important; height: auto !important;
  width: 26px !important; border-radius: 8px 0 0 8px; opacity: 0.6 !important;
  background: rgba(127, 127, 127, 0.14); font-size: 18px;
}
.stdnd-has-handle > .stdnd-handle:hover { opacity: 1 !important; background: rgba(255, 75, 75, 0.18); }
.stdnd-has-handle > div[class*="st-key-task-"] { padding-left: 34px !important; }
</style>
"""


def inject_css() -> None:
    st.html(_CSS)


# ---------------------------------------------------------------------------------------------
# Cards
# ---------------------------------------------------------------------------------------------
def card_key(card: tasks.Card) -> str:
    """The card's container key carries the version it was drawn at (the move's expected version)."""
    return f"task-{card.id}-v{card.version}"


def quadrant_badge(quadrant: str) -> str:
    return f":{QUADRANT_COLOURS[quadrant]}-badge[{ui.t(f'board.quadrant.hint.{quadrant}')}]"


def due_text(card: tasks.Card) -> str:
    if card.due_date is None:
        return ui.t("board.no_due")
    if card.overdue:
        return f":red[**{ui.t('board.overdue_on', date=ui.fmt_date(card.due_date))}**]"
    return ui.t("board.due_on", date=ui.fmt_date(card.due_date))


def card_body(card: tasks.Card, show_assignee: bool = False, show_status: bool = False, show_progress: bool = True) -> None:
    """Title, customer, due date (overdue in red), quadrant badge, progress."""
    meta = [due_text(card), quadrant_badge(card.quadrant)]
    if card.customer:
        meta.insert(0, f":material/storefront: {ui.esc(card.customer)}")
    if show_assignee:
        meta.append(f":material/person: {ui.esc(card.assignee) or ui.t('board.unassigned')}")
    if show_status:
        meta.append(ui.label("task_status", card.status))
    st.markdown(f"**{ui.esc(card.title)}**  \n" + " · ".join(meta))
    if show_progress:
        st.progress(card.progress / 100, text=ui.t("board.progress", p=card.progress))


# ---------------------------------------------------------------------------------------------
# Drag and drop
# ---------------------------------------------------------------------------------------------
DRAWN_KEY = "_task_dnd_drawn"


def remember_drawn(dnd_key: str, columns: dict[str, list[int]]) -> None:
    """What each drop container showed in this run, to turn the next drop's indices into neighbours."""
    st.session_state[f"{DRAWN_KEY}_{dnd_key}"] = columns


def pending_drop(dnd_key: str, card_prefix: str = "task") -> drops.Drop | None:
    """The drop the browser reported since the last run, read *before* the board is drawn so one run
    applies it and draws the result. Marks it seen the way streamlit-dnd 0.2.0 does (its
    `_stdnd_seen_<key>`), so the `dnd()` call later in the run does not report it again. A malformed
    or forged drop (core.drops checks it against what this board drew) is refused with a message."""
    raw = st.session_state.get(dnd_key)
    if not raw:
        return None
    seen_key = f"_stdnd_seen_{dnd_key}"
    event_id = raw.get("event_id") if isinstance(raw, dict) else repr(raw)
    if st.session_state.get(seen_key) == event_id:
        return None
    st.session_state[seen_key] = event_id
    drawn = st.session_state.get(f"{DRAWN_KEY}_{dnd_key}", {})
    try:
        return drops.parse_drop(raw, drawn, card_prefix)
    except DomainError as error:
        ui.show_error(error)
        return None


def enable_dnd(container_keys: list[str], dnd_key: str) -> None:
    if container_keys:
        # the component's own reading of a malformed value may raise: pending_drop already refused it
        with contextlib.suppress(AttributeError, KeyError, TypeError):
            dnd(container_keys, handle=True, handle_corner="top-left", handle_icon=":material/drag_indicator:",
                indicator="line", placeholder=ui.t("board.drop_here"), key=dnd_key)


def apply_move(task_id: int, version: int, title: str | None = None, *, to_member_id: Any = KEEP,
               to_status: str | None = None, index: int | None = None, neighbours: list[int] | None = None,
               rerun: bool = False) -> bool:
    """One move as one transaction; says what happened (moved, warning, or why it was refused)."""
    result = ui.write(tasks.move_task, task_id, version, to_member_id=to_member_id, to_status=to_status,
                      to_index=index, neighbours=neighbours)
    if not result:
        return False
    messages = []
    if result.changed:
        name = result.title or title or f"#{task_id}"
        moved = to_member_id is not KEEP or to_status is not None
        messages.append(("success", ui.say("board.moved" if moved else "board.reordered", title=name)))
    else:
        messages.append(("info", ui.t("board.nothing_changed")))
    if result.warning:
        messages.append(("warning", ui.t(result.warning, **result.params)))
    for kind, text in messages:
        if rerun:
            ui.flash(text, kind)
        else:
            getattr(st, kind)(text)
    if rerun:
        st.rerun()
    return True


# ---------------------------------------------------------------------------------------------
# Dialogs: Move to… and Details
# ---------------------------------------------------------------------------------------------
DIALOG_KEY = "_task_dialog"


def open_card_dialog(card: tasks.Card, members: list[dict] | None, targets: list[tuple[str, str]] | None = None) -> None:
    """`targets`: the board's other columns as (container key, label), shown as one-tap buttons."""
    st.session_state[DIALOG_KEY] = ("card", (card, members, targets))


def open_move_dialog(card: tasks.Card, members: list[dict] | None = None) -> None:
    st.session_state[DIALOG_KEY] = ("move", (card, members))


def _close_dialog() -> None:
    st.session_state.pop(DIALOG_KEY, None)


def show_open_dialog() -> None:
    """Draw the dialog a card's button opened (kept in the session until closed or done, so
    widgets inside it keep working across reruns)."""
    state = st.session_state.get(DIALOG_KEY)
    if not state:
        return
    kind, args = state
    if kind == "card":
        st.dialog(ui.t("board.card_dialog"), width="large", on_dismiss=_close_dialog)(_card_body)(*args)
    elif kind == "move":
        st.dialog(ui.t("board.move_to"), on_dismiss=_close_dialog)(_move_body)(*args)


def _card_body(card: tasks.Card, members: list[dict] | None, targets: list[tuple[str, str]] | None = None) -> None:
    """Move to… first (the keyboard and touch twin of a drop), then the details, notes and history."""
    if targets:
        _move_sheet(card, targets)
    st.markdown(f"##### {ui.t('board.move_to')}")
    _move_body(card, members)
    st.divider()
    st.markdown(f"##### {ui.t('common.edit')}")
    _details_body(card.id)


def _move_sheet(card: tasks.Card, targets: list[tuple[str, str]]) -> None:
    """One tap per destination column (touch screens: no drag needed). Keys are the board's
    container keys: bcol-m-<member id | none> or bcol-s-<status>."""
    st.markdown(f"##### {ui.t('wall.move_sheet')}")
    st.caption(ui.t("wall.move_sheet_hint"))
    with st.container(horizontal=True, gap="small", key="move-sheet"):
        for key, label in targets:
            if st.button(label, key=f"sheet-{key}", icon=":material/arrow_forward:"):
                kind, _, target = key.removeprefix("bcol-").partition("-")
                _close_dialog()
                if kind == "s":
                    apply_move(card.id, card.version, card.title, to_status=target, rerun=True)
                else:
                    apply_move(card.id, card.version, card.title,
                               to_member_id=None if target == tasks.UNASSIGNED else int(target), rerun=True)
    st.divider()


def _move_body(card: tasks.Card, members: list[dict] | None) -> None:
    """Keyboard- and touch-friendly twin of a drop: choose an assignee and/or a status."""
    st.markdown(f"**{ui.esc(card.title)}**")
    to_member: Any = KEEP
    if members is not None:
        names = {NONE: ui.t("board.unassigned"), **{m["id"]: m["name"] for m in members}}
        options = list(names)
        current = card.assignee_id if card.assignee_id in names else NONE
        to_member = _id(st.selectbox(ui.t("board.move_to_member"), options, index=options.index(current),
                                     format_func=names.get, key="move_member"))
    labels = {s: ui.label("task_status", s) for s in TASK_STATUSES}
    status = st.selectbox(ui.t("board.move_to_status"), TASK_STATUSES, index=TASK_STATUSES.index(card.status),
                          format_func=labels.get, key="move_status")
    if st.button(ui.t("board.move"), type="primary", key="move_submit", icon=":material/move_item:"):
        _close_dialog()
        apply_move(card.id, card.version, card.title,
                   to_member_id=to_member if to_member is not KEEP and to_member != card.assignee_id else KEEP,
                   to_status=status if status != card.status else None, rerun=True)


def _details_body(task_id: int) -> None:
    detail = ui.read(tasks.get_task, task_id)
    task_editor(detail, key=f"edit_{task_id}")
    if detail.notes:
        st.markdown(f"**{ui.t('board.notes')}**")
        for note in detail.notes:
            st.caption(f"{ui.fmt_date(note['at'])} · {ui.esc(note['who']) or '—'}")
            st.text(note["body"])
    history_view(task_id)
    ui.remove_controls("task", task_id, detail.title, f"task_remove_{task_id}", allow_delete=True, after=_close_dialog)


def history_view(task_id: int) -> None:
    st.markdown(f"**{ui.t('board.history')}**")
    rows = ui.read(tasks.task_history_text, task_id, ui.lang())
    if not rows:
        st.caption(ui.t("board.history_empty"))
        return
    for row in rows:
        st.caption(f"{ui.fmt_date(row['at'])} · {ui.esc(row['text'])}")
        if row["details"]:
            st.text(row["details"])


# ---------------------------------------------------------------------------------------------
# Task form (create and edit)
# ---------------------------------------------------------------------------------------------
def _customer_picker(key: str, current_id: int | None, current_name: str | None) -> int | None:
    query = st.text_input(ui.t("board.customer_search"), key=f"{key}_cq", value=current_name or "")
    found = ui.cached(pickers.customers, query, 20, current_id)
    names = {NONE: ui.t("common.none"), **found}
    options = list(names)
    index = options.index(current_id) if current_id in options else 0
    return _id(st.selectbox(ui.t("board.field.customer"), options, index=index, key=f"{key}_customer", format_func=names.get))


def task_editor(detail: tasks.TaskDetail | None, key: str, team_id: int | None = None) -> int | None:
    """The full task form. `detail` None = create (in `team_id`). Returns the task id once saved."""
    actor = ui.actor()
    nonce = st.session_state.get(f"{key}_nonce", 0)
    k = f"{key}_{nonce}"
    title = st.text_input(ui.t("board.field.title"), value=detail.title if detail else "", max_chars=200, key=f"{k}_title")
    description = st.text_area(ui.t("board.field.description"), value=(detail.description or "") if detail else "",
                               key=f"{k}_desc", height=80)
    customer_id = _customer_picker(k, detail.customer_id if detail else None, detail.customer if detail else None)
    team_for_choices = detail.team_id if detail else team_id
    goals = ui.cached(pickers.goals, team_for_choices)
    goal_names = {NONE: ui.t("common.none"), **goals}
    if detail and detail.goal_id and detail.goal_id not in goal_names:
        goal_names[detail.goal_id] = detail.goal or f"#{detail.goal_id}"
    goal_options = list(goal_names)
    goal_id = _id(st.selectbox(ui.t("board.field.goal"), goal_options,
                               index=goal_options.index(detail.goal_id) if detail and detail.goal_id in goal_options else 0,
                               format_func=goal_names.get, key=f"{k}_goal"))
    assignee_id = detail.assignee_id if detail else actor.member_id
    if actor.role != "member":
        members = ui.cached(pickers.assignees, team_for_choices)
        member_names = {NONE: ui.t("board.unassigned"), **members}
        if detail and detail.assignee_id and detail.assignee_id not in member_names:
            member_names[detail.assignee_id] = ui.t("screens.assignee_current")  # leaving: kept, not offered
        options = list(member_names)
        if team_for_choices is not None:
            ranked = ui.cached(tasks.suggest_assignees, team_for_choices, customer_id, 3)
            if ranked:
                st.caption(ui.t("board.suggested", names="; ".join(
                    ui.t("board.suggestion", name=ui.esc(s.name), open=s.open_tasks, capacity=s.capacity,
                         matches=ui.t("board.suggestion_matches", m=ui.esc(", ".join(s.matches))) if s.matches else "")
                    for s in ranked)))
                if detail is None:
                    assignee_id = ranked[0].member_id
        assignee_id = _id(st.selectbox(ui.t("board.field.assignee"), options,
                                       index=options.index(assignee_id) if assignee_id in options else 0,
                                       format_func=member_names.get,
                                       # a new customer's top suggestion replaces the default, not a stale pick
                                       key=f"{k}_assignee" if detail else f"{k}_assignee_{customer_id or 0}"))
    due_date = st.date_input(ui.t("board.field.due_date"), value=detail.due_date if detail else None, key=f"{k}_due",
                             format="YYYY-MM-DD")
    importance = st.toggle(ui.t("board.field.importance"), value=bool(detail.importance) if detail else False, key=f"{k}_imp")
    urgency = st.toggle(ui.t("board.field.urgency"), value=bool(detail.urgency) if detail else False, key=f"{k}_urg")
    q = tasks.quadrant_of(importance, urgency)
    st.markdown(ui.t("board.quadrant_is", q=ui.t(f"board.quadrant.{q}"), hint=quadrant_badge(q)))
    status_labels = {s: ui.label("task_status", s) for s in TASK_STATUSES}
    status = st.selectbox(ui.t("board.field.status"), TASK_STATUSES,
                          index=TASK_STATUSES.index(detail.status) if detail else 0,
                          format_func=status_labels.get, key=f"{k}_status")
    progress = st.slider(ui.t("board.field.progress"), 0, 100, value=detail.progress if detail else 0, step=5, key=f"{k}_progress")
    fields = dict(title=title, description=description, customer_id=customer_id, goal_id=goal_id, due_date=due_date,
                  importance=int(importance), urgency=int(urgency), status=status, progress=progress)
    if detail is None:
        if st.button(ui.t("common.create"), type="primary", key=f"{k}_create", icon=":material/add_task:"):
            task_id = ui.write(tasks.create_task, team_id=team_id, assignee_id=assignee_id, **fields,
                               success=ui.say("board.created", title=title.strip()))
            if task_id:
                st.session_state[f"{key}_nonce"] = nonce + 1
                st.rerun()
        return None
    if actor.role != "member":
        fields["assignee_id"] = assignee_id
    if st.button(ui.t("common.save"), type="primary", key=f"{k}_save", icon=":material/save:"):
        result = ui.write(tasks.update_task, detail.id, detail.version, **fields)
        if result:
            _close_dialog()
            ui.flash(ui.say("board.saved", title=title.strip()) if result.changed else ui.t("board.nothing_changed"),
                     "success" if result.changed else "info")
            if result.warning:
                ui.flash(ui.t(result.warning, **result.params), "warning")
            st.rerun()
    return detail.id


def quick_add_form(customer_id: int, key: str) -> None:
    """A small form to add a task about one customer (assigned to the customer's owner; a member
    adds it for themselves). For the customer page."""
    with st.form(key, clear_on_submit=True, border=True):
        st.markdown(f"**{ui.t('board.quick_add')}**")
        title = st.text_input(ui.t("board.field.title"), max_chars=200, key=f"{key}_title")
        due_date = st.date_input(ui.t("board.field.due_date"), value=None, key=f"{key}_due", format="YYYY-MM-DD")
        importance = st.toggle(ui.t("board.field.importance"), key=f"{key}_imp")
        urgency = st.toggle(ui.t("board.field.urgency"), key=f"{key}_urg")
        if st.form_submit_button(ui.t("common.create"), type="primary", icon=":material/add_task:"):
            if ui.write(tasks.quick_add_for_customer, customer_id, title, due_date=due_date, importance=int(importance),
                        urgency=int(urgency), success=ui.say("board.created", title=title.strip())):
                st.rerun()
