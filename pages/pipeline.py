"""Pipeline: deals in columns by stage (drag a card by its grip to the next stage - streamlit-dnd,
each drop one version-checked transaction - or use its Move to… button), column totals, filters by
team, owner, product and close period; a sortable list for large pipelines; the forecast; the deal
form; stages and products for admins."""

import pyarrow as pa
import streamlit as st

from core import deals, drops, pickers
from core.errors import DomainError
from core.safe_text import parse_id
import ui
from ui import pipeline_view as pv
from ui import task_form as tf

actor = ui.page_header("pipeline", ui.t("pipeline.caption"))
is_lead = actor.role in ("admin", "manager")
st.html("""<style>
.stdnd-has-handle > .stdnd-handle { top: 0 !important; bottom: 0 !important; left: 0 !important; height: auto !important;
  width: 26px !important; border-radius: 8px 0 0 8px; opacity: 0.6 !important; background: rgba(127,127,127,0.14); }
.stdnd-has-handle > div[class*="st-key-deal-"] { padding-left: 34px !important; }
</style>""")

DND_KEY = "pipe_dnd"
DIALOG_KEY = "_deal_dialog"
ALL = 0  # option value for "any" (a None option shows as an empty box)
PAGE_SIZE = 50
SECTIONS = {"board": ui.t("pipeline.tab.board"), "list": ui.t("pipeline.tab.list"),
            "forecast": ui.t("pipeline.tab.forecast"), "new": ui.t("pipeline.tab.new")}
if actor.is_admin:
    SECTIONS["settings"] = ui.t("pipeline.tab.settings")
PERIODS = {p: ui.t(f"pipeline.period.{p}") for p in deals.CLOSE_PERIODS}
STAGES = ui.cached(deals.list_stages)
NAMES = pv.stage_names()
KIND = {s.code: s.kind for s in STAGES}


def money(value) -> str:
    return ui.fmt_money(value)  # the workspace currency


def deal_list_table(page) -> dict:
    """A page of the deal list, labelled (a view of core.deals.list_deals)."""
    rows, names = page.rows, pv.stage_names()
    return pa.Table.from_pydict({
        ui.t("pipeline.col.title"): list(rows["title"]), ui.t("pipeline.col.customer"): list(rows["customer"]),
        ui.t("pipeline.col.owner"): [o or "—" for o in rows["owner"]],
        ui.t("pipeline.col.stage"): [names.get(s, s) for s in rows["stage"]],
        ui.t("pipeline.col.amount"): [money(v) for v in rows["value"]],
        ui.t("pipeline.col.probability"): [ui.fmt_points(p) for p in rows["probability"]],
        ui.t("pipeline.col.weighted"): [money(v) for v in rows["weighted"]],
        ui.t("pipeline.col.expected_close"): [ui.fmt_date(d) if d == d else "—" for d in rows["expected_close"]],
        ui.t("pipeline.col.in_commit"): [ui.t("common.yes") if c else "" for c in rows["in_commit"]],
        ui.t("pipeline.col.next_step"): [n if isinstance(n, str) else "" for n in rows["next_step"]],
    })


section = st.segmented_control(ui.t("pipeline.tab.board"), list(SECTIONS), default="board", key="pipe_section",
                               label_visibility="collapsed", format_func=SECTIONS.get) or "board"


# ---------------------------------------------------------------------------------------------
# Filters (board and list)
# ---------------------------------------------------------------------------------------------
def filters_row() -> deals.DealFilters:
    products = {p.id: p.name for p in ui.cached(deals.list_products)}
    cols = st.columns(5 if is_lead else 3)
    team_id = owner_id = None
    if is_lead:
        teams = {ALL: ui.t("common.all"), **ui.cached(pickers.teams)}
        owners = {ALL: ui.t("common.all"), **ui.cached(pickers.members)}
        team_id = cols[0].selectbox(ui.t("pipeline.team"), list(teams), format_func=teams.get, key="pipe_team") or None
        owner_id = cols[1].selectbox(ui.t("pipeline.owner"), list(owners), format_func=owners.get, key="pipe_owner") or None
        cols = cols[2:]
    product_options = {ALL: ui.t("common.all"), **products}
    product_id = cols[0].selectbox(ui.t("pipeline.product"), list(product_options), format_func=product_options.get,
                                   key="pipe_product") or None
    period = cols[1].selectbox(ui.t("pipeline.period"), list(PERIODS), format_func=PERIODS.get, key="pipe_period")
    search = cols[2].text_input(ui.t("pipeline.search"), key="pipe_search")
    return deals.DealFilters(team_id=team_id, owner_id=owner_id, product_id=product_id, period=period or "this_quarter",
                             search=search.strip())


# ---------------------------------------------------------------------------------------------
# Moves and the deal dialog
# ---------------------------------------------------------------------------------------------
def apply_move(deal_id: int, version: int, to_stage: str, reason: str | None = None, rerun: bool = False) -> bool:
    result = ui.write(deals.move_stage, deal_id, version, to_stage, reason=reason)
    if not result:
        return False
    if not result.changed:
        text, kind = ui.t("pipeline.nothing_changed"), "info"
    elif KIND.get(to_stage) == deals.WON:
        text, kind = ui.say("pipeline.won", title=result.title), "success"
    elif KIND.get(to_stage) == deals.LOST:
        text, kind = ui.say("pipeline.lost", title=result.title), "success"
    else:
        text, kind = ui.say("pipeline.moved", title=result.title, stage=NAMES.get(to_stage, to_stage)), "success"
    if rerun:  # from a dialog: close it and show the outcome on the redrawn page
        close_dialog()
        ui.flash(text, kind)
        st.rerun()
    getattr(st, kind)(text)
    return True


def open_dialog(kind: str, deal_id: int, version: int, stage: str | None = None) -> None:
    st.session_state[DIALOG_KEY] = (kind, deal_id, version, stage)


def close_dialog() -> None:
    st.session_state.pop(DIALOG_KEY, None)


def show_dialog() -> None:
    state = st.session_state.get(DIALOG_KEY)
    if not state:
        return
    kind, deal_id, version, stage = state
    if kind == "lost":
        st.dialog(ui.t("pipeline.lost_dialog"), on_dismiss=close_dialog)(lost_body)(deal_id, version)
    else:
        st.dialog(ui.t("pipeline.dialog"), width="large", on_dismiss=close_dialog)(deal_body)(deal_id)


def lost_body(deal_id: int, version: int) -> None:
    st.caption(ui.t("pipeline.lost_hint"))
    reason = st.text_input(ui.t("pipeline.col.reason"), max_chars=deals.REASON_MAX, key="lost_reason")
    if st.button(ui.t("pipeline.close_lost"), type="primary", key="lost_submit", icon=":material/thumb_down:"):
        apply_move(deal_id, version, deals.LOST, reason=reason, rerun=True)


def deal_body(deal_id: int) -> None:
    """Move to… first (the keyboard and touch twin of a drop), then the deal form and its history."""
    try:
        detail = ui.read(deals.get_deal, deal_id)
    except DomainError as error:
        ui.show_error(error)
        return
    st.markdown(f"**{pv.plain(detail.title)}** · {pv.plain(detail.customer)} · {money(detail.value)}")
    if not detail.can_edit:
        st.info(ui.t("pipeline.read_only"), icon=":material/visibility:")
    else:
        st.markdown(f"##### {ui.t('pipeline.move_to')}")
        options = [s.code for s in STAGES if s.code != detail.stage]
        c1, c2 = st.columns([2, 3])
        target = c1.selectbox(ui.t("pipeline.move_to"), options, format_func=NAMES.get, key="dlg_stage",
                              label_visibility="collapsed")
        reason = c2.text_input(ui.t("pipeline.col.reason"), key="dlg_reason", max_chars=deals.REASON_MAX,
                               label_visibility="collapsed", placeholder=ui.t("pipeline.col.reason"))
        if st.button(ui.t("pipeline.move"), type="primary", key="dlg_move", icon=":material/move_item:"):
            apply_move(detail.id, detail.version, target, reason=reason or None, rerun=True)
        st.divider()
    deal_editor(detail, key=f"edit_{detail.id}")
    st.markdown(f"**{ui.t('pipeline.history')}**")
    for row in detail.history:
        change = ", ".join(f"{NAMES.get(v, v) if k == 'stage' else v}" for k, v in (row["after"] or {}).items()
                           if k in ("stage", "value", "close_reason"))
        st.caption(f"{ui.fmt_date(row['at'])} · {pv.plain(row['who'] or '—')} · "
                   f"{ui.t('pipeline.action.' + row['action'].split('.')[-1])}" + (f" · {pv.plain(change)}" if change else ""))


# ---------------------------------------------------------------------------------------------
# The deal form (create and edit)
# ---------------------------------------------------------------------------------------------
def deal_editor(detail: deals.DealDetail | None, key: str) -> None:
    """A new deal (`detail` None) or an existing one: its fields, products, and create / save /
    close buttons. Every widget key carries a nonce, so a created deal leaves an empty form."""
    nonce = st.session_state.get(f"{key}_nonce", 0)
    k = f"{key}_{nonce}"
    disabled = detail is not None and not detail.can_edit
    customer_id = detail.customer_id if detail else _new_deal_customer(k)
    if customer_id is None:
        return
    title = st.text_input(ui.t("pipeline.col.title"), value=detail.title if detail else "", max_chars=deals.TITLE_MAX,
                          key=f"{k}_title", disabled=disabled)
    c1, c2, c3 = st.columns(3)
    owner_id = _deal_owner(detail, k, c1, disabled)
    stage = _deal_stage(detail, k, c2)
    default_p = next((s.probability for s in STAGES if s.code == stage), 0)
    probability = c3.number_input(ui.t("pipeline.col.probability"), min_value=0, max_value=100, step=5,
                                  value=int(detail.probability) if detail else int(default_p), key=f"{k}_prob",
                                  disabled=disabled)
    d1, d2, d3 = st.columns(3)
    amount = d1.number_input(ui.t("pipeline.col.amount"), min_value=0.0, step=1000.0, format="%.2f",
                             value=float(detail.value) if detail else 0.0, key=f"{k}_amount", disabled=disabled)
    expected = d2.date_input(ui.t("pipeline.col.expected_close"), value=detail.expected_close if detail else None,
                             key=f"{k}_close", disabled=disabled, format="YYYY-MM-DD")
    in_commit = d3.toggle(ui.t("pipeline.col.in_commit"), value=detail.in_commit if detail else False, key=f"{k}_commit",
                          disabled=disabled or (detail is not None and detail.stage in deals.CLOSED))
    e1, e2 = st.columns(2)
    next_step = e1.text_input(ui.t("pipeline.col.next_step"), value=(detail.next_step or "") if detail else "",
                              max_chars=deals.NEXT_STEP_MAX, key=f"{k}_next", disabled=disabled)
    source = e2.text_input(ui.t("pipeline.col.source"), value=(detail.source or "") if detail else "",
                           max_chars=deals.SOURCE_MAX, key=f"{k}_source", disabled=disabled)
    current_collab = list(detail.collaborator_ids) if detail else []
    people = ui.cached(pickers.colleagues, "", tuple(current_collab), 500)
    collaborators = st.multiselect(ui.t("pipeline.col.collaborators"), list(people), default=current_collab,
                                   format_func=people.get, key=f"{k}_collab", disabled=disabled)
    current_lines = {line["product_id"]: line for line in detail.lines} if detail else {}
    lines = _deal_lines(current_lines, k, disabled)
    if disabled:
        return
    fields = dict(title=title, amount=amount, expected_close=expected, probability=int(probability),
                  next_step=next_step, source=source, in_commit=in_commit, collaborator_ids=tuple(collaborators))
    if detail is None:
        if st.button(ui.t("pipeline.create"), type="primary", key=f"{k}_create", icon=":material/add:"):
            created = ui.write(deals.create_deal, customer_id=customer_id, stage=stage,
                               owner_id=owner_id if is_lead else None, lines=lines or None, **fields)
            if created:
                st.session_state[f"{key}_nonce"] = nonce + 1
                ui.flash(ui.say("pipeline.created", title=title.strip()))
                st.rerun()
        return
    if lines is not None and not lines and current_lines:
        fields["lines"] = []
    elif lines:
        fields["lines"] = lines
    _deal_buttons(detail, k, owner_id, fields)


def _new_deal_customer(k: str) -> int | None:
    """A new deal's customer, found by a search (None: nothing found, said so)."""
    query = st.text_input(ui.t("pipeline.customer_search"), key=f"{k}_cq")
    found = ui.cached(pickers.customers, query, 30)
    if not found:
        st.info(ui.t("pipeline.no_customers"))
        return None
    return st.selectbox(ui.t("pipeline.col.customer"), list(found), format_func=found.get, key=f"{k}_customer")


def _deal_owner(detail: deals.DealDetail | None, k: str, cell, disabled: bool) -> int | None:
    """Who owns the deal: a lead picks among the people they lead; a member owns their own."""
    owner_id = detail.owner_id if detail else actor.member_id
    if not is_lead:
        cell.text_input(ui.t("pipeline.col.owner"), value=actor.display_name, disabled=True, key=f"{k}_owner_ro")
        return owner_id
    owners = ui.cached(pickers.members)
    if owner_id is not None and owner_id not in owners and detail is not None:
        owners = {owner_id: detail.owner or "—", **owners}
    if not owners:
        return owner_id
    options = list(owners)
    return cell.selectbox(ui.t("pipeline.col.owner"), options, format_func=owners.get, key=f"{k}_owner",
                          index=options.index(owner_id) if owner_id in options else 0, disabled=disabled)


def _deal_stage(detail: deals.DealDetail | None, k: str, cell) -> str | None:
    """A new deal starts in an open stage of the user's choice; an existing one moves on the board."""
    if detail is None:
        open_stages = [s for s in STAGES if s.kind == "open"]
        return cell.selectbox(ui.t("pipeline.col.stage"), [s.code for s in open_stages], format_func=NAMES.get,
                              key=f"{k}_stage")
    cell.text_input(ui.t("pipeline.col.stage"), value=NAMES.get(detail.stage, detail.stage), disabled=True,
                    key=f"{k}_stage_ro")
    return detail.stage


def _deal_lines(current_lines: dict, k: str, disabled: bool) -> list[dict] | None:
    """The products on the deal with quantity and price (None: the catalogue is empty)."""
    products = {p.id: p for p in ui.cached(deals.list_products)}
    for pid, line in current_lines.items():
        if pid not in products:
            products[pid] = deals.ProductInfo(pid, None, line["product"], line["unit_price"], "", False)
    if not products:
        return None
    st.caption(ui.t("pipeline.lines_hint"))
    chosen = st.multiselect(ui.t("pipeline.lines"), list(products), default=list(current_lines),
                            format_func=lambda p: products[p].name, key=f"{k}_products", disabled=disabled)
    lines = []
    for pid in chosen:
        l1, l2, l3 = st.columns([2, 1, 1])
        l1.markdown(pv.plain(products[pid].name))
        qty = l2.number_input(ui.t("pipeline.col.quantity"), min_value=0.01, step=1.0,
                              value=float(current_lines.get(pid, {}).get("quantity", 1)), key=f"{k}_q{pid}",
                              disabled=disabled)
        price = l3.number_input(ui.t("pipeline.col.unit_price"), min_value=0.0, step=100.0, format="%.2f",
                                value=float(current_lines.get(pid, {}).get("unit_price", products[pid].unit_price)),
                                key=f"{k}_p{pid}", disabled=disabled)
        lines.append({"product_id": pid, "quantity": qty, "unit_price": price})
    return lines


def _deal_buttons(detail: deals.DealDetail, k: str, owner_id: int | None, fields: dict) -> None:
    """Save, and for an open deal close it won or lost."""
    b1, b2, b3 = st.columns(3)
    if b1.button(ui.t("pipeline.save"), type="primary", key=f"{k}_save", icon=":material/save:"):
        result = ui.write(deals.update_deal, detail.id, detail.version, owner_id=owner_id, **fields)
        if result:
            close_dialog()
            ui.flash(ui.say("pipeline.saved", title=result.title) if result.changed else ui.t("pipeline.nothing_changed"))
            st.rerun()
    if detail.stage not in deals.CLOSED:
        if b2.button(ui.t("pipeline.close_won"), key=f"{k}_won", icon=":material/thumb_up:"):
            apply_move(detail.id, detail.version, deals.WON, rerun=True)
        if b3.button(ui.t("pipeline.close_lost"), key=f"{k}_lost", icon=":material/thumb_down:"):
            open_dialog("lost", detail.id, detail.version)
            st.rerun()


# ---------------------------------------------------------------------------------------------
# Board
# ---------------------------------------------------------------------------------------------
@st.fragment
def draw_board(filters: deals.DealFilters, per_column: int) -> None:
    """The stage columns and their cards. A fragment: a drop and a card's button rerun the board
    alone. A drop is applied before drawing, so this run shows the result (or the refusal)."""
    drop = tf.pending_drop(DND_KEY, "deal")
    if drop:
        try:
            to_stage = drops.pipeline_destination(drop, list(KIND))
        except DomainError as error:
            ui.show_error(error)
            to_stage = None
        if to_stage is not None and KIND.get(to_stage) == deals.LOST:
            open_dialog("lost", drop.record_id, drop.version)
        elif to_stage is not None:
            apply_move(drop.record_id, drop.version, to_stage)

    limits_state = st.session_state.setdefault("_pipe_limits", {})
    data = ui.cached(deals.pipeline, filters, limit=per_column, limits=tuple(sorted(limits_state.items())))
    if data.total == 0:
        if filters == deals.DealFilters():
            ui.empty_state(ui.t("pipeline.empty"), ui.t("pipeline.empty_hint"))
        else:
            ui.empty_state(ui.t("pipeline.none_match"), ui.t("pipeline.none_match_hint"))
    open_cols = [c for c in data.columns if c.stage.kind == "open"]
    st.caption(ui.t("pipeline.totals", n=ui.fmt_number(sum(c.count for c in open_cols)),
                    amount=money(sum(c.amount for c in open_cols)), weighted=money(sum(c.weighted for c in open_cols)),
                    shown=data.shown))
    label = ui.t("pipeline.card_menu")
    container_keys: list[str] = []
    drawn: dict[str, list[int]] = {}
    per_row = 6
    for start in range(0, len(data.columns), per_row):
        for slot, column in zip(st.columns(per_row), data.columns[start:start + per_row]):
            with slot:
                # the stage and its totals in one element (a caption beside it was one more per column)
                totals = ui.t("pipeline.column_totals", n=column.count, amount=money(column.amount), weighted=money(column.weighted))
                st.markdown(f"**{pv.plain(NAMES.get(column.stage.code, column.stage.code))}** · "
                            f"{ui.fmt_points(column.stage.probability)}  \n:gray[:small[{totals}]]")
                if column.cards:  # one picker per column, not a button per card (widgets dominate a rerun)
                    titles = {c.id: " · ".join(p for p in (c.title, c.customer) if p) for c in column.cards}
                    nonce = st.session_state.get("_pipe_pick_nonce", 0)
                    picked = st.selectbox(label, list(titles), index=None, format_func=titles.get, placeholder=label,
                                          key=f"dpick-{column.stage.code}-{nonce}", label_visibility="collapsed")
                    if picked is not None:
                        st.session_state["_pipe_pick_nonce"] = nonce + 1
                        open_dialog("deal", picked, next(c.version for c in column.cards if c.id == picked))
                key = f"pcol-{column.stage.code}"
                with st.container(key=key, border=True):
                    for card in column.cards:
                        with st.container(key=f"deal-{card.id}-v{card.version}", border=True):
                            card_body(card)
                container_keys.append(key)
                drawn[key] = [card.id for card in column.cards]
                if column.hidden:
                    more = min(deals.DEFAULT_CARDS_PER_COLUMN, column.hidden)
                    if st.button(ui.t("pipeline.show_more", n=more, hidden=column.hidden), key=f"pmore-{column.stage.code}",
                                 icon=":material/expand_more:"):
                        limits_state[column.stage.code] = min(deals.MAX_CARDS_PER_COLUMN, len(column.cards) + more)
                        st.rerun()
    tf.remember_drawn(DND_KEY, drawn)
    tf.enable_dnd(container_keys, DND_KEY)
    show_dialog()


def card_body(card: deals.DealCard) -> None:
    meta = [f":material/storefront: {pv.plain(card.customer)}", money(card.value)]
    if card.owner:
        meta.append(f":material/person: {pv.plain(card.owner)}")
    if card.stage in deals.CLOSED:
        meta.append(ui.t("pipeline.closed_on", date=ui.fmt_date(card.closed_on)))
    elif card.expected_close:
        text = ui.t("pipeline.close_on", date=ui.fmt_date(card.expected_close))
        meta.append(f":red[**{text}**]" if card.overdue else text)
    if card.in_commit:
        meta.append(f":blue-badge[{ui.t('pipeline.commit_badge')}]")
    if card.long_in_stage:
        meta.append(f":orange-badge[{ui.t('pipeline.days_in_stage', n=card.days_in_stage)}]")
    st.markdown(f"**{pv.plain(card.title)}**  \n" + " · ".join(meta))


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------
# /pipeline?deal=<id> (a scorecard's "records behind this number"): opens that deal once per link
linked_deal = st.query_params.get("deal")
if parse_id(linked_deal) and st.session_state.get("_deal_linked") != linked_deal:
    st.session_state["_deal_linked"] = linked_deal
    open_dialog("deal", parse_id(linked_deal), 0)

if section == "board":
    filters = filters_row()
    per_column = st.select_slider(ui.t("pipeline.per_column"), options=[5, 10, 20, 50], value=10, key="pipe_per_column")
    draw_board(filters, per_column)

elif section == "list":
    filters = filters_row()
    sorts = {s: ui.t(f"pipeline.sort.{s}") for s in deals.SORTS}
    s1, s2 = st.columns([3, 1])
    sort = s1.selectbox(ui.t("pipeline.sort"), list(sorts), format_func=sorts.get, key="pipe_sort")
    descending = s2.toggle(ui.t("pipeline.descending"), value=True, key="pipe_desc")
    if (filters, sort, descending) != st.session_state.get("_pipe_list_key"):
        st.session_state["_pipe_list_key"] = (filters, sort, descending)
        st.session_state["pipe_list_page"] = 1
    total = ui.cached(deals.list_deals, filters, sort, descending, 0, 1).total
    if total == 0:
        ui.empty_state(ui.t("pipeline.none_match"), ui.t("pipeline.none_match_hint"))
        st.stop()
    st.caption(ui.t("pipeline.list_count", n=ui.fmt_number(total)))
    offset = ui.pager(total, PAGE_SIZE, "pipe_list")
    page = ui.cached(deals.list_deals, filters, sort, descending, offset, PAGE_SIZE)

    shown = ui.view(deal_list_table, deals.list_deals, filters, sort, descending, offset, PAGE_SIZE)
    picked = st.dataframe(shown, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                          key="pipe_list_table")
    selected = picked.selection.rows if picked else []
    if selected:
        row = page.rows.iloc[selected[0]]
        open_dialog("deal", int(row["id"]), int(row["version"]))
    show_dialog()

elif section == "forecast":
    pv.forecast_section("pipe_fc", choose_team=True, show_stuck=True)

elif section == "new":
    deal_editor(None, key="pipe_new")

elif section == "settings" and actor.is_admin:
    st.subheader(ui.t("pipeline.stages"))
    st.caption(ui.t("pipeline.stages_hint"))
    all_stages = ui.cached(deals.list_stages, include_inactive=True)
    kinds = {k: ui.t(f"stage_kind.{k}") for k in ("open", "won", "lost")}
    st.dataframe({
        ui.t("pipeline.col.stage_name"): [s.label(ui.lang()) for s in all_stages],
        ui.t("pipeline.col.kind"): [kinds[s.kind] for s in all_stages],
        ui.t("pipeline.col.probability"): [ui.fmt_points(s.probability) for s in all_stages],
        ui.t("pipeline.col.position"): [s.position for s in all_stages],
        ui.t("pipeline.col.active"): [ui.t("common.yes") if s.active else ui.t("common.no") for s in all_stages],
    }, hide_index=True, width="stretch")
    with st.form("stage_form", clear_on_submit=True):
        NEW = "__new__"
        options = [NEW] + [s.code for s in all_stages]
        names = {NEW: ui.t("pipeline.new_item"), **{s.code: s.label(ui.lang()) for s in all_stages}}
        code = st.selectbox(ui.t("pipeline.edit_existing"), options, format_func=names.get, key="stage_code")
        f1, f2, f3, f4 = st.columns(4)
        name = f1.text_input(ui.t("pipeline.col.stage_name"), max_chars=deals.STAGE_NAME_MAX, key="stage_name")
        probability = f2.number_input(ui.t("pipeline.col.probability"), 0, 100, 50, 5, key="stage_probability")
        position = f3.number_input(ui.t("pipeline.col.position"), 0, 999, len(all_stages), 1, key="stage_position")
        active = f4.checkbox(ui.t("pipeline.col.active"), value=True, key="stage_active")
        if st.form_submit_button(ui.t("pipeline.save"), type="primary"):
            existing = None if code == NEW else code
            if existing and not name.strip():
                name = next((s.name or "" for s in all_stages if s.code == existing), "")
            ui.write(deals.save_stage, existing, name=name, probability=int(probability), position=int(position),
                     active=active, success=ui.t("pipeline.stage_saved"), rerun=True)

    st.subheader(ui.t("pipeline.products"))
    all_products = ui.cached(deals.list_products, include_inactive=True)
    if not all_products:
        st.caption(ui.t("pipeline.no_products"))
    else:
        st.dataframe({
            ui.t("pipeline.col.product"): [p.name for p in all_products],
            ui.t("pipeline.col.product_code"): [p.code or "" for p in all_products],
            ui.t("pipeline.col.unit_price"): [ui.fmt_money(p.unit_price, p.currency) for p in all_products],
            ui.t("pipeline.col.active"): [ui.t("common.yes") if p.active else ui.t("common.no") for p in all_products],
        }, hide_index=True, width="stretch")
    with st.form("product_form", clear_on_submit=True):
        NEW_ID = 0
        options = {NEW_ID: ui.t("pipeline.new_item"), **{p.id: p.name for p in all_products}}
        product_id = st.selectbox(ui.t("pipeline.edit_existing"), list(options), format_func=options.get, key="product_id")
        g1, g2, g3, g4 = st.columns(4)
        pname = g1.text_input(ui.t("pipeline.col.product"), max_chars=deals.PRODUCT_NAME_MAX, key="product_name")
        pcode = g2.text_input(ui.t("pipeline.col.product_code"), max_chars=40, key="product_code")
        price = g3.number_input(ui.t("pipeline.col.unit_price"), min_value=0.0, step=100.0, format="%.2f", key="product_price")
        pactive = g4.checkbox(ui.t("pipeline.col.active"), value=True, key="product_active")
        if st.form_submit_button(ui.t("pipeline.save"), type="primary"):
            ui.write(deals.save_product, product_id or None, name=pname, unit_price=price, code=pcode, active=pactive,
                     success=ui.say("pipeline.product_saved", name=pname.strip()), rerun=True)
