"""My tasks: a member's own tasks, updated in under a minute on a phone (status, progress, note
per task, one tap to save), or dragged between their own status columns on a larger screen."""

import streamlit as st

from core import drops, tasks
from core.errors import DomainError
from core.choices import TASK_STATUSES
import ui
from ui import task_form as tf

actor = ui.page_header("my_tasks", ui.t("my_tasks.caption"))
if actor.member_id is None:
    ui.empty_state(ui.t("my_tasks.not_a_member"))
    st.stop()
tf.inject_css()

DND_KEY = "my_tasks_dnd"
drop = tf.pending_drop(DND_KEY)
if drop:
    try:
        move = {} if drop.same else {"to_status": drops.task_status(drop, "mycol-")}
    except DomainError as error:
        ui.show_error(error)
    else:
        tf.apply_move(drop.record_id, drop.version, index=drop.index, neighbours=list(drop.neighbours), **move)

cards = ui.cached(tasks.my_tasks)
if not cards:
    ui.empty_state(ui.t("my_tasks.none"))
    st.stop()
open_cards = [c for c in cards if c.status != "done"]
st.caption(ui.t("my_tasks.open_count", n=len(open_cards), overdue=sum(c.overdue for c in open_cards)))

PAGE = 8
MODES = {m: ui.t(f"my_tasks.tab.{m}") for m in ("list", "board")}
STATUS_LABELS = {s: ui.label("task_status", s) for s in TASK_STATUSES}
mode = st.segmented_control(ui.t("board.view"), list(MODES), default="list", key="my_tasks_mode",
                            label_visibility="collapsed", format_func=MODES.get) or "list"

if mode == "list":
    # One narrow column of small forms: works on a phone without any dragging.
    # Overdue first, then by due date; a few at a time (each is a small form), recent done ones folded.
    order = tasks.work_order(open_cards)
    shown = st.session_state.get("_my_tasks_shown", PAGE)
    for card in order[:shown]:
        with st.form(f"my-{card.id}-v{card.version}", border=True):
            tf.card_body(card, show_progress=False)
            status = st.segmented_control(ui.t("board.field.status"), list(TASK_STATUSES), default=card.status,
                                          format_func=STATUS_LABELS.get, key=f"my-st-{card.id}-{card.version}")
            progress = st.slider(ui.t("board.field.progress"), 0, 100, value=card.progress, step=10,
                                 key=f"my-pr-{card.id}-{card.version}")
            note = st.text_input(ui.t("board.field.note"), placeholder=ui.t("my_tasks.note_placeholder"),
                                 key=f"my-nt-{card.id}-{card.version}")
            if st.form_submit_button(ui.t("my_tasks.save"), type="primary", icon=":material/check:", width="stretch"):
                result = ui.write(tasks.report_progress, card.id, card.version, status=status or card.status,
                                  progress=progress, note=note)
                if result:
                    ui.flash(ui.say("my_tasks.saved", title=card.title) if result.changed else ui.t("board.nothing_changed"),
                             "success" if result.changed else "info")
                    st.rerun()
    if len(order) > shown:
        if st.button(ui.t("board.show_more", n=min(PAGE, len(order) - shown), hidden=len(order) - shown),
                     key="my_tasks_more", icon=":material/expand_more:", width="stretch"):
            st.session_state["_my_tasks_shown"] = shown + PAGE
            st.rerun()
    done = [c for c in cards if c.status == "done"]
    if done:
        with st.expander(ui.t("my_tasks.recently_done", n=len(done))):
            st.markdown("\n".join(f"- {ui.esc(c.title)}" + (f" · {ui.esc(c.customer)}" if c.customer else "") for c in done))
else:
    st.caption(ui.t("my_tasks.drag_hint"))
    keys, drawn = [], {}
    for slot, status in zip(st.columns(len(TASK_STATUSES)), TASK_STATUSES):
        column = [c for c in cards if c.status == status][:tasks.MAX_CARDS_PER_COLUMN]
        with slot:
            st.markdown(f"#### {ui.label('task_status', status)} · {len(column)}")
            key = f"mycol-{status}"
            with st.container(key=key, border=True):
                for card in column:
                    with st.container(key=tf.card_key(card), border=True):
                        tf.card_body(card)
            keys.append(key)
            drawn[key] = [c.id for c in column]
    tf.remember_drawn(DND_KEY, drawn)
    tf.enable_dnd(keys, DND_KEY)
