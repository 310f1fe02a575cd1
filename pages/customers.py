"""Customers: the customer book (search, filters, paging in the database), one customer's full
picture (`?customer=<id>`), follow-ups, assignment (rules, queue, rebalance, handover) and imports."""
from __future__ import annotations

from datetime import date
from functools import partial

import pandas as pd
import pyarrow as pa
import streamlit as st

from core import assignment, communication, customers, imports, pickers, reports, safe_export
from core.customers import CustomerFilters
from core.errors import DomainError
from core.choices import CHANNELS, CUSTOMER_SIZES, CUSTOMER_STATUSES, CUSTOMER_TIERS
import ui
from ui import import_panel, pipeline_view, record_links, task_form

actor = ui.page_header("customers")
lead = actor.role in ("admin", "manager")
lang = ui.lang()
PAGE_SIZE = 50


def _cols(frame: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    """Keep and rename columns for display."""
    return frame[[c for c in mapping if c in frame.columns]].rename(columns=mapping)


def _table(frame: pd.DataFrame, mapping: dict[str, str], **kwargs) -> None:
    if frame.empty:
        st.caption(ui.t("customers.no_records"))
        return
    st.dataframe(_cols(frame, mapping), hide_index=True, width="stretch", **kwargs)


def _open(customer_id: int) -> None:
    st.query_params["customer"] = str(customer_id)
    st.rerun()


# ---------------------------------------------------------------------------------------------
# One customer
# ---------------------------------------------------------------------------------------------
def shown_columns(lead: bool) -> dict[str, str]:
    """The list's columns and their headers: a lead sees who owns what."""
    if not lead:
        return {"name": ui.t("common.name"), "tier": ui.t("customers.tier"),
                "next_follow_up": ui.t("customers.next_follow_up"), "overdue": ui.t("common.overdue")}
    return {"name": ui.t("common.name"), "industry": ui.t("customers.industry"), "size": ui.t("customers.size"),
            "region": ui.t("customers.region"), "tier": ui.t("customers.tier"), "owner": ui.t("customers.owner"),
            "team": ui.t("customers.team"), "last_contact_at": ui.t("customers.last_contact"),
            "next_follow_up": ui.t("customers.next_follow_up"), "overdue": ui.t("common.overdue")}


def customer_arrow(lead: bool, page) -> pa.Table:
    """A page of the customer list, labelled, as Arrow (a view of core.customers.list_customers):
    only what is shown goes to the browser."""
    frame = page.rows[list(shown_columns(lead))]
    frame["tier"] = [ui.label("tier", v) for v in frame["tier"]]
    if lead:
        frame["size"] = [ui.label("size", v) for v in frame["size"]]
        frame["owner"] = frame["owner"].fillna(ui.t("common.unassigned"))
    frame["overdue"] = ["⚠️" if v else "" for v in frame["overdue"]]
    return pa.Table.from_pandas(frame, preserve_index=False)


def render_detail(raw_id: str) -> None:
    if st.button(ui.t("customers.back"), icon=":material/arrow_back:", key="back"):
        del st.query_params["customer"]
        st.rerun()
    try:
        detail = ui.cached(customers.get_customer, raw_id, lang)
    except DomainError as error:
        ui.show_error(error)
        return
    customer_id = int(detail.info["id"])
    _detail_header(detail.info)
    if detail.can_log:
        _log_contact_form(detail.info)
        with st.expander(ui.t("board.quick_add"), icon=":material/add_task:"):
            task_form.quick_add_form(customer_id, key="cust_quick_task")
    if detail.can_edit:
        render_manage(detail)
    pipeline_view.account_team_section(customer_id, detail.can_edit)  # issue 13: owner + collaborators
    _detail_tabs(detail)


def _detail_header(info: dict) -> None:
    """The customer's name, badges, owner and team, contact dates and notes."""
    st.subheader(ui.esc(info["name"]))
    badges = [ui.label("tier", info["tier"]), ui.label("customer_status", info["status"]), ui.label("size", info["size"]),
              info["industry"], info["region"]]
    st.caption(" · ".join(str(b) for b in badges if b) + (f" · {ui.esc(info['external_id'])}" if info.get("external_id") else ""))
    if info["overdue"]:
        st.warning(ui.t("customers.overdue_badge") + f": {ui.fmt_date(info['next_follow_up'])}", icon=":material/schedule:")
    c1, c2 = st.columns(2)
    c1.metric(ui.t("customers.owner"), info["owner"] or ui.t("common.unassigned"))
    c2.metric(ui.t("customers.team"), info["team"] or "—")
    c3, c4 = st.columns(2)
    c3.metric(ui.t("customers.last_contact"), ui.fmt_date(info["last_contact_at"]))
    c4.metric(ui.t("customers.next_follow_up"), ui.fmt_date(info["next_follow_up"]))
    if info.get("notes"):
        st.markdown(ui.esc(info["notes"]))


def _log_contact_form(info: dict) -> None:
    """Log a contact (and the next follow-up) with this customer."""
    with st.expander(ui.t("comm.log"), expanded=not lead, icon=":material/add_call:"):
        with st.form("log_contact", clear_on_submit=True):
            channel = st.selectbox(ui.t("comm.channel"), CHANNELS, format_func=ui.formatter(CHANNELS, lambda c: ui.label("channel", c)))
            summary = st.text_area(ui.t("comm.summary"), help=ui.t("comm.summary_help"), height=80)
            outcome = st.text_input(ui.t("comm.outcome"))
            follow = st.date_input(ui.t("comm.next_follow_up"), value=None, min_value=date.today())
            if st.form_submit_button(ui.t("comm.save"), type="primary", width="stretch"):
                if ui.write(communication.log_interaction, int(info["id"]), channel, summary, outcome or None, follow):
                    ui.flash(ui.t("comm.logged", date=ui.fmt_date(ui.read(communication.follow_up_after, int(info["id"])))))
                    st.rerun()


def _detail_tabs(detail) -> None:
    """The customer's history, one tab per kind of record."""
    info = detail.info
    tabs = ui.tabs([ui.t("customers.communication"), ui.t("customers.contacts"), ui.t("customers.assignment_history"),
                    ui.t("customers.deals"), ui.t("customers.complaints"), ui.t("customers.surveys"), ui.t("customers.tasks"),
                    ui.t("customers.audit")], key="customer_detail_tab")
    with tabs[0]:
        if ui.kept(tabs[0]):
            frame = detail.interactions.copy()
            frame["channel"] = [ui.label("channel", c) for c in frame["channel"]]
            _table(frame, {"occurred_at": ui.t("comm.occurred_at"), "channel": ui.t("comm.channel"), "member": ui.t("comm.member"),
                           "summary": ui.t("comm.summary"), "outcome": ui.t("comm.outcome"), "next_follow_up": ui.t("customers.next_follow_up")})
    with tabs[1]:
        if ui.kept(tabs[1]):
            _contacts_tab(detail, int(info["id"]))
    with tabs[2]:
        if ui.kept(tabs[2]):
            _table(detail.assignments, {"changed_at": ui.t("customers.col.when"), "from": ui.t("customers.col.from"),
                                        "to": ui.t("customers.col.to"), "by": ui.t("customers.col.by"), "reason": ui.t("customers.col.reason")})
    with tabs[3]:
        if ui.kept(tabs[3]):
            frame = detail.deals.copy()
            stage_names = pipeline_view.stage_names()
            frame["stage"] = [stage_names.get(s, s) for s in frame["stage"]]
            frame["value"] = [ui.fmt_money(v, c) for v, c in zip(frame["value"], frame["currency"])]
            _table(frame, {"title": ui.t("customers.col.title"), "stage": ui.t("customers.col.stage"), "value": ui.t("customers.col.value"),
                           "owner": ui.t("customers.owner"), "expected_close": ui.t("customers.col.expected_close")})
    with tabs[4]:
        if ui.kept(tabs[4]):
            frame = detail.complaints.copy()
            frame["severity"] = [ui.label("severity", s) for s in frame["severity"]]
            frame["status"] = [ui.label("complaint_status", s) for s in frame["status"]]
            _table(frame, {"opened_at": ui.t("common.date"), "title": ui.t("customers.col.title"),
                           "severity": ui.t("customers.col.severity"), "status": ui.t("common.status"), "assignee": ui.t("common.member")})
    with tabs[5]:
        if ui.kept(tabs[5]):
            _table(detail.surveys, {"responded_at": ui.t("common.date"), "csat": "CSAT", "nps": "NPS", "comment": ui.t("customers.col.comment")})
    with tabs[6]:
        if ui.kept(tabs[6]):
            frame = detail.tasks.copy()
            frame["status"] = [ui.label("task_status", s) for s in frame["status"]]
            _table(frame, {"title": ui.t("customers.col.title"), "status": ui.t("common.status"), "assignee": ui.t("common.member"),
                           "due_date": ui.t("customers.col.due"), "progress": ui.t("customers.col.progress")},
                   column_config={ui.t("customers.col.progress"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f%%")})
    with tabs[7]:
        if ui.kept(tabs[7]):
            _table(detail.audit, {"at": ui.t("customers.col.when"), "who": ui.t("customers.col.by"),
                                  "action": ui.t("customers.col.action"), "change": ui.t("customers.col.change")})


def _contacts_tab(detail, customer_id: int) -> None:
    """The contacts, and for an editor a form to add one."""
    _table(detail.contacts, {"name": ui.t("customers.contact_name"), "title": ui.t("customers.contact_title"),
                             "phone": ui.t("customers.contact_phone"), "email": ui.t("customers.contact_email"),
                             "is_primary": ui.t("customers.contact_primary")})
    if detail.can_edit:
        with st.form("add_contact", clear_on_submit=True):
            st.markdown(f"**{ui.t('customers.add_contact')}**")
            name = st.text_input(ui.t("customers.contact_name"))
            title = st.text_input(ui.t("customers.contact_title"))
            phone = st.text_input(ui.t("customers.contact_phone"))
            email = st.text_input(ui.t("customers.contact_email"))
            primary = st.checkbox(ui.t("customers.contact_primary"))
            if st.form_submit_button(ui.t("customers.add_contact")):
                if ui.write(customers.add_contact, customer_id, name, title, phone, email, primary,
                            success=ui.t("customers.contact_added")):
                    st.rerun()




def render_manage(detail) -> None:
    info = detail.info
    cid = int(info["id"])
    options = ui.cached(pickers.customer_filters)
    with st.expander(ui.t("assignment.move_to"), icon=":material/swap_horiz:"):
        suggestions = ui.cached(assignment.suggestions_frame, cid, lang)
        if not suggestions.empty:
            st.markdown(f"**{ui.t('assignment.suggest')}**")
            _table(suggestions, {"name": ui.t("common.member"), "team": ui.t("common.team"), "score": "Score", "why": ui.t("customers.col.reason")})
        with st.form("move_owner"):
            owner_ids = [None, *options.owners]
            current = info.get("owner_id")
            to = st.selectbox(ui.t("assignment.move_to"), owner_ids, placeholder=ui.t("common.unassigned"), index=owner_ids.index(current) if current in owner_ids else 0,
                              format_func=ui.formatter(owner_ids, lambda m: options.owners.get(m, ui.t("common.unassigned")) if m else ui.t("common.unassigned")))
            reason = st.text_input(ui.t("assignment.move_reason"))
            if st.form_submit_button(ui.t("assignment.move")):
                if ui.write(assignment.move_customer, cid, to, reason, success=ui.t("assignment.moved")):
                    st.rerun()
    ui.loaded_version("customer", cid, info.get("version"))
    with st.expander(ui.t("customers.edit"), icon=":material/edit:"):
        with st.form("edit_customer"):
            name = st.text_input(ui.t("common.name"), info["name"])
            industry = st.text_input(ui.t("customers.industry"), info["industry"])
            region = st.text_input(ui.t("customers.region"), info["region"])
            size = st.selectbox(ui.t("customers.size"), CUSTOMER_SIZES, index=CUSTOMER_SIZES.index(info["size"]),
                                format_func=ui.formatter(CUSTOMER_SIZES, lambda v: ui.label("size", v)))
            tier = st.selectbox(ui.t("customers.tier"), CUSTOMER_TIERS, index=CUSTOMER_TIERS.index(info["tier"]),
                                format_func=ui.formatter(CUSTOMER_TIERS, lambda v: ui.label("tier", v)))
            status = st.selectbox(ui.t("customers.status"), CUSTOMER_STATUSES, index=CUSTOMER_STATUSES.index(info["status"]),
                                  format_func=ui.formatter(CUSTOMER_STATUSES, lambda v: ui.label("customer_status", v)))
            external_id = st.text_input(ui.t("customers.external_id"), info.get("external_id") or "")
            notes = st.text_area(ui.t("customers.notes"), info.get("notes") or "")
            if st.form_submit_button(ui.t("common.save"), type="primary"):
                data = {"name": name, "industry": industry, "region": region, "size": size, "tier": tier, "status": status,
                        "external_id": external_id, "notes": notes}
                # the version the form was loaded with (remembered when it was first shown), not the click's re-read
                seen = {k: info.get(k) for k in data} | {"version": ui.loaded_version("customer", cid, info.get("version"))}
                ui.forget_version("customer", cid)
                if ui.write(customers.update_customer, cid, data, seen, success=ui.t("customers.saved")):
                    st.rerun()
    ui.remove_controls("customer", cid, info["name"], "cust_remove", allow_delete=True,
                       after=lambda: st.query_params.pop("customer", None))


# ---------------------------------------------------------------------------------------------
# The list
# ---------------------------------------------------------------------------------------------
FILTER_KEYS = ("f_industry", "f_size", "f_region", "f_tier", "f_owner", "f_team", "f_overdue", "f_unassigned",
               "f_sort", "f_desc")
KEPT_FILTERS = "_cust_filter_values"


def filter_panel(options: customers.FilterOptions) -> dict:
    """The filters, in a panel whose widgets exist only while it is open (ten widgets less on every
    rerun of the list otherwise). Their values are kept in the session while it is closed, so the
    filters keep applying; the list's count line says how many are active."""
    kept = st.session_state.setdefault(KEPT_FILTERS, {
        "f_industry": [], "f_size": [], "f_region": [], "f_tier": [], "f_owner": [], "f_team": [],
        "f_overdue": False, "f_unassigned": False, "f_sort": next(iter(customers.SORTS)), "f_desc": False,
    })
    panel = st.expander(ui.t("common.filter"), icon=":material/filter_list:", key="f_panel", on_change="rerun")
    with panel:
        if ui.in_view(panel):
            shown = [k for k in FILTER_KEYS if lead or k not in ("f_owner", "f_team", "f_unassigned")]
            available = {"f_industry": options.industries, "f_region": options.regions, "f_owner": options.owners,
                         "f_team": options.teams, "f_size": CUSTOMER_SIZES, "f_tier": CUSTOMER_TIERS}
            for key in shown:  # a widget reopened after the panel was closed starts from the kept value
                value = kept[key]
                if key in available:  # an owner or team that is gone meanwhile is dropped, not an error
                    value = [v for v in value if v in available[key]]
                st.session_state.setdefault(key, value)
            st.multiselect(ui.t("customers.industry"), options.industries, key="f_industry")
            st.multiselect(ui.t("customers.size"), CUSTOMER_SIZES, format_func=ui.formatter(CUSTOMER_SIZES, lambda v: ui.label("size", v)), key="f_size")
            st.multiselect(ui.t("customers.region"), options.regions, key="f_region")
            st.multiselect(ui.t("customers.tier"), CUSTOMER_TIERS, format_func=ui.formatter(CUSTOMER_TIERS, lambda v: ui.label("tier", v)), key="f_tier")
            if lead:
                st.multiselect(ui.t("customers.owner"), list(options.owners), format_func=lambda m: options.owners.get(m, m), key="f_owner")
                st.multiselect(ui.t("customers.team"), list(options.teams), format_func=lambda t: options.teams.get(t, t), key="f_team")
            st.checkbox(ui.t("customers.overdue_only"), key="f_overdue")
            if lead:
                st.checkbox(ui.t("customers.unassigned_only"), key="f_unassigned")
            st.selectbox(ui.t("customers.sort"), list(customers.SORTS), format_func=ui.formatter(customers.SORTS, lambda s: ui.t(f"customers.sort.{s}")), key="f_sort")
            st.checkbox(ui.t("customers.descending"), key="f_desc")
            kept.update({key: st.session_state[key] for key in shown})
    return kept


@st.fragment
def render_list() -> None:
    """Search, filters, the page of customers and its exports. A fragment: changing a filter or
    the page reruns this list only, not the app shell and the rest of the page (opening a
    customer or creating one reruns the whole app)."""
    options = ui.cached(pickers.customer_filters)
    search = st.text_input(ui.t("customers.search"), key="f_search", icon=":material/search:")
    relations = {"all": ui.t("customers.relation.all"), **{r: ui.t(f"customers.relation.{r}") for r in customers.RELATIONS}}
    relation = st.segmented_control(ui.t("customers.relation"), list(relations), default="all", format_func=relations.get,
                                    key="f_relation", label_visibility="collapsed") or "all"
    chosen = filter_panel(options)
    industries, sizes, regions, tiers = chosen["f_industry"], chosen["f_size"], chosen["f_region"], chosen["f_tier"]
    owners, teams = (chosen["f_owner"], chosen["f_team"]) if lead else ([], [])
    overdue, unassigned = chosen["f_overdue"], chosen["f_unassigned"] and lead
    sort, descending = chosen["f_sort"], chosen["f_desc"]
    filters = CustomerFilters(search=search, industries=tuple(industries), sizes=tuple(sizes), regions=tuple(regions),
                              tiers=tuple(tiers), owner_ids=tuple(owners), team_ids=tuple(teams), overdue_only=overdue,
                              unassigned_only=unassigned, relation="" if relation == "all" else relation)
    if filters != st.session_state.get("_cust_filters"):
        st.session_state["_cust_filters"] = filters
        st.session_state["cust_page"] = 1
        st.session_state.pop("cust_export", None)
    total = ui.cached(customers.count_customers, filters)
    if total == 0:
        if filters == CustomerFilters():
            ui.empty_state(ui.t("customers.empty"), ui.t("customers.empty_hint_manager" if lead else "customers.empty_hint_member"))
        else:
            ui.empty_state(ui.t("customers.none_match"), ui.t("customers.none_match_hint"))
        if lead:
            render_create()
        return
    active = sum(1 for key in FILTER_KEYS if key not in ("f_sort", "f_desc") and chosen[key])
    st.caption(ui.t("customers.count", total=ui.fmt_number(total))
               + (" · " + ui.t("customers.filters_active", n=active) if active else ""))
    offset = ui.pager(total, PAGE_SIZE, "cust")
    page = ui.cached(customers.list_customers, filters, sort, descending, offset, PAGE_SIZE)
    shown = shown_columns(lead)
    # Labelled and converted to Arrow once per data revision and page of results, not on every rerun.
    shown_table = ui.view(partial(customer_arrow, lead), customers.list_customers, filters, sort, descending, offset, PAGE_SIZE)
    # Headers through column_config, not a renamed copy: this table redraws on every filter change.
    config = {column: st.column_config.Column(label) for column, label in shown.items()}
    config["last_contact_at"] = st.column_config.DatetimeColumn(ui.t("customers.last_contact"), format="YYYY-MM-DD")
    config["next_follow_up"] = st.column_config.DateColumn(ui.t("customers.next_follow_up"), format="YYYY-MM-DD")
    event = st.dataframe(shown_table, column_config=config, hide_index=True, width="stretch",
                         on_select="rerun", selection_mode="single-row", key="cust_table")
    st.caption(ui.t("customers.select_hint"))
    selected = getattr(getattr(event, "selection", None), "rows", None) if event is not None else None
    if selected:
        _open(int(page.rows["id"].iloc[selected[0]]))
    names = dict(zip(page.rows["id"], page.rows["name"]))
    pick = st.selectbox(ui.t("customers.open"), [None, *names], placeholder="—", format_func=lambda i: names.get(i, "—") if i else "—", key="cust_pick")
    if pick:
        st.session_state["cust_pick"] = None
        _open(int(pick))
    render_export(filters, total, page.rows)
    if lead:
        render_create()


def render_export(filters: CustomerFilters, total: int, rows: pd.DataFrame) -> None:
    if total <= len(rows):
        raw = rows.drop(columns=["owner_id", "team_id"])
        ui.export_buttons(reports.customers(raw, ui.lang(), ui.currency()), "customers", "cust_export_page", raw=raw)
        return
    if st.button(ui.t("customers.export_all", total=ui.fmt_number(total)), icon=":material/download:", key="cust_export_prepare"):
        bar = st.progress(0.0, text=ui.t("customers.exporting"))
        frame = ui.read(customers.export_frame, filters, lambda f: bar.progress(f, text=ui.t("customers.exporting")))
        bar.empty()
        # the report is formatted once here, not on every rerun (the whole list can be 100,000 rows)
        st.session_state["cust_export"] = (frame, reports.customers(frame, ui.lang(), ui.currency()))
    prepared = st.session_state.get("cust_export")
    if prepared is not None:
        frame, report = prepared
        if list(report.columns) != list(reports.customers(frame.head(0), ui.lang(), ui.currency()).columns):
            report = reports.customers(frame, ui.lang(), ui.currency())  # the language changed since
            st.session_state["cust_export"] = (frame, report)
        st.success(ui.t("customers.export_ready", total=ui.fmt_number(len(frame))))
        ui.export_buttons(report, "customers", "cust_export_all", raw=frame)


NEW_CUSTOMER_OPEN = "_cust_new_open"


def render_create() -> None:
    """A button that opens the new-customer form in a dialog: the form's widgets are built only
    while it is open, not on every filter change of the list."""
    if st.button(ui.t("customers.new"), icon=":material/add_business:", key="cust_new"):
        st.session_state[NEW_CUSTOMER_OPEN] = True
    if st.session_state.get(NEW_CUSTOMER_OPEN):
        st.dialog(ui.t("customers.new"), width="large",
                  on_dismiss=lambda: st.session_state.pop(NEW_CUSTOMER_OPEN, None))(_create_form)()


def _create_form() -> None:
    options = ui.cached(pickers.customer_filters)
    with st.form("new_customer", clear_on_submit=True):
        name = st.text_input(ui.t("common.name"), key="new_name")
        industry = st.text_input(ui.t("customers.industry"), placeholder=", ".join(options.industries[:5]), key="new_industry")
        region = st.text_input(ui.t("customers.region"), placeholder=", ".join(options.regions[:5]), key="new_region")
        size = st.selectbox(ui.t("customers.size"), CUSTOMER_SIZES, format_func=ui.formatter(CUSTOMER_SIZES, lambda v: ui.label("size", v)))
        tier = st.selectbox(ui.t("customers.tier"), CUSTOMER_TIERS, index=1, format_func=ui.formatter(CUSTOMER_TIERS, lambda v: ui.label("tier", v)))
        team_ids = list(options.teams)
        team = st.selectbox(ui.t("customers.team"), team_ids, format_func=lambda t: options.teams.get(t, t)) if team_ids else None
        owner = st.selectbox(ui.t("customers.owner"), [None, *options.owners], placeholder=ui.t("customers.owner_auto"),
                             format_func=ui.formatter([None, *options.owners], lambda m: options.owners.get(m, m) if m else ui.t("customers.owner_auto")))
        external_id = st.text_input(ui.t("customers.external_id"))
        if st.form_submit_button(ui.t("common.create"), type="primary"):
            data = {"name": name, "industry": industry, "region": region, "size": size, "tier": tier, "team_id": team,
                    "owner_id": owner, "external_id": external_id}
            cid = ui.write(customers.create_customer, data)
            if cid:
                detail = ui.read(customers.get_customer, cid, lang)
                owner_name = detail.info["owner"]
                ui.flash(ui.say("customers.created_owner", owner=owner_name) if owner_name else ui.t("customers.created_queue"),
                         "success" if owner_name else "warning")
                st.session_state.pop(NEW_CUSTOMER_OPEN, None)
                st.rerun()


# ---------------------------------------------------------------------------------------------
# Follow-ups
# ---------------------------------------------------------------------------------------------
def render_follow_ups() -> None:
    st.subheader(ui.t("comm.due_title"))
    horizon = st.segmented_control(ui.t("comm.horizon"), [0, 7, 30], default=0, key="fu_horizon",
                                   format_func=ui.formatter([0, 7, 30], lambda d: ui.t("common.today") if d == 0 else f"+{d}")) or 0
    result = ui.cached(communication.due_follow_ups, None, horizon, None, 0, 200)
    c1, c2 = st.columns(2)
    c1.metric(ui.t("common.overdue"), ui.fmt_number(result.overdue))
    c2.metric(ui.t("comm.state.due_today"), ui.fmt_number(result.due_today))
    if result.total == 0:
        st.success(ui.t("comm.all_clear"))
    else:
        frame = result.rows.copy()
        frame["state"] = [ui.t(f"comm.state.{s}") for s in frame["state"]]
        frame["tier"] = [ui.label("tier", v) for v in frame["tier"]]
        frame["owner"] = frame["owner"].fillna(ui.t("common.unassigned"))
        shown = {"name": ui.t("common.name"), "tier": ui.t("customers.tier"), "next_follow_up": ui.t("customers.next_follow_up"),
                 "days_overdue": ui.t("comm.days_overdue"), "state": ui.t("comm.state")}
        if lead:
            shown = {**shown, "owner": ui.t("customers.owner"), "team": ui.t("customers.team")}
        _table(frame, shown)
        names = dict(zip(result.rows["customer_id"], result.rows["name"]))
        pick = st.selectbox(ui.t("comm.pick_customer"), [None, *names], placeholder="—", format_func=lambda i: names.get(i, "—") if i else "—",
                            key="fu_pick")
        if pick:
            st.session_state["fu_pick"] = None
            _open(int(pick))
        ui.export_buttons(reports.follow_ups(result.rows, ui.lang(), ui.currency()), "follow_ups", "fu_export", raw=result.rows)
    if lead:
        st.subheader(ui.t("comm.rollup"))
        rollup = ui.cached(communication.follow_up_rollup)
        frame = rollup.copy()
        frame["owner"] = frame["owner"].fillna(ui.t("common.unassigned"))
        _table(frame, {"owner": ui.t("customers.owner"), "team": ui.t("customers.team"), "overdue": ui.t("common.overdue"),
                       "due_today": ui.t("comm.state.due_today"), "due_this_week": ui.t("comm.due_this_week")})
        st.subheader(ui.t("comm.cadence"))
        st.caption(ui.t("comm.cadence_help"))
        cadence = ui.cached(communication.cadence_frame)
        if not cadence.empty:
            edited = st.data_editor(
                cadence[["team_id", "team", *CUSTOMER_TIERS]], hide_index=True, width="stretch", key="cadence_editor",
                disabled=["team_id", "team"],
                column_config={"team_id": None, "team": ui.t("common.team"),
                               **{t: st.column_config.NumberColumn(ui.label("tier", t), min_value=1, max_value=366, step=1) for t in CUSTOMER_TIERS}},
            )
            if st.button(ui.t("common.save"), key="cadence_save"):
                ok = True
                for before, after in zip(cadence.to_dict("records"), edited.to_dict("records")):
                    changed = {t: after[t] for t in CUSTOMER_TIERS if after[t] != before[t]}
                    if changed and not ui.write(communication.set_cadence, int(before["team_id"]), changed):
                        ok = False
                        break
                if ok:
                    ui.flash(ui.t("comm.cadence_saved"))
                    st.rerun()


# ---------------------------------------------------------------------------------------------
# Assignment
# ---------------------------------------------------------------------------------------------
def _moves_review(moves: list, state_key: str, reason_default: str) -> None:
    if not moves:
        st.success(ui.t("assignment.no_moves"))
        return
    frame = assignment.moves_frame(moves, lang)
    frame.insert(0, "accept", True)
    frame["to"] = frame["to"].fillna(ui.t("common.unassigned"))
    edited = st.data_editor(
        frame, hide_index=True, width="stretch", key=f"{state_key}_editor", disabled=["customer", "from", "to", "reason"],
        column_config={"accept": st.column_config.CheckboxColumn(ui.t("assignment.accept")), "customer_id": None,
                       "customer": ui.t("common.customer"), "from": ui.t("customers.col.from"), "to": ui.t("customers.col.to"),
                       "reason": ui.t("customers.col.reason")},
    )
    chosen = [m for m, keep in zip(moves, edited["accept"]) if keep]
    reason = st.text_input(ui.t("assignment.move_reason"), reason_default, key=f"{state_key}_reason")
    if st.button(ui.t("assignment.apply", n=len(chosen)), type="primary", disabled=not chosen, key=f"{state_key}_apply"):
        applied = ui.write(assignment.apply_moves, chosen, reason)
        if applied:
            st.session_state.pop(state_key, None)
            ui.flash(ui.t("assignment.applied", n=applied))
            st.rerun()


def render_assignment() -> None:
    options = ui.cached(pickers.customer_filters)
    st.subheader(ui.t("assignment.load"))
    loads = ui.cached(assignment.load_frame)
    if loads.empty:
        ui.empty_state(ui.t("common.empty"))
    else:
        st.dataframe(
            loads.drop(columns=["member_id"]).assign(utilisation=loads["utilisation"] * 100), hide_index=True, width="stretch",
            column_config={"name": ui.t("common.member"), "team": ui.t("common.team"), "load": ui.t("assignment.load_col"),
                           "capacity": ui.t("assignment.capacity_col"),
                           "utilisation": st.column_config.ProgressColumn(ui.t("assignment.utilisation"), min_value=0, max_value=100, format="%.0f%%")},
        )
        ui.export_buttons(reports.customer_load(loads, ui.lang(), ui.currency()), "load", "load_export", raw=loads)

    st.subheader(ui.t("assignment.queue"))
    queue_filters = CustomerFilters(unassigned_only=True, statuses=("prospect", "active"))
    waiting = ui.cached(customers.count_customers, queue_filters)
    if waiting == 0:
        st.success(ui.t("assignment.queue_empty"))
    else:
        st.warning(ui.t("assignment.queue_count", n=ui.fmt_number(waiting)), icon=":material/inbox:")
        queue = ui.cached(customers.list_customers, queue_filters, "tier", False, 0, 20)
        queue_rows = queue.rows.copy()
        queue_rows["tier"] = [ui.label("tier", v) for v in queue_rows["tier"]]
        _table(queue_rows, {"name": ui.t("common.name"), "industry": ui.t("customers.industry"), "region": ui.t("customers.region"),
                            "tier": ui.t("customers.tier"), "team": ui.t("customers.team")})
        if st.button(ui.t("assignment.assign_queue"), key="queue_assign", icon=":material/auto_fix_high:"):
            result = ui.write(assignment.assign_queue)
            if result:
                ui.flash(ui.t("assignment.queue_result", **result), "success" if result["waiting"] == 0 else "warning")
                st.rerun()

    st.subheader(ui.t("assignment.rebalance"))
    st.caption(ui.t("assignment.rebalance_help"))
    team_ids = [None, *options.teams]
    team = st.selectbox(ui.t("common.team"), team_ids, placeholder=ui.t("common.all"), format_func=ui.formatter(team_ids, lambda t: options.teams.get(t, t) if t else ui.t("common.all")),
                        key="rebalance_team")
    if st.button(ui.t("assignment.propose"), key="rebalance_propose", icon=":material/balance:"):
        st.session_state["rebalance_moves"] = ui.read(assignment.propose_rebalance, team)
    if "rebalance_moves" in st.session_state:
        _moves_review(st.session_state["rebalance_moves"], "rebalance_moves", "")

    st.subheader(ui.t("assignment.handover"))
    member = st.selectbox(ui.t("common.member"), [None, *options.owners], placeholder="—", format_func=lambda m: options.owners.get(m, m) if m else "—",
                          key="handover_member")
    if member and st.button(ui.t("assignment.propose"), key="handover_propose"):
        st.session_state["handover_moves"] = ui.read(assignment.propose_handover, member)
    if "handover_moves" in st.session_state:
        _moves_review(st.session_state["handover_moves"], "handover_moves", "")

    st.subheader(ui.t("assignment.rules"))
    st.caption(ui.t("assignment.rules_help"))
    rules = ui.cached(assignment.rules_frame)
    if rules.empty:
        st.info(ui.t("assignment.no_rules"))
    else:
        frame = rules.copy()
        frame["size"] = [ui.label("size", v) if v else ui.t("assignment.any") for v in frame["size"]]
        for col in ("industry", "region"):
            frame[col] = frame[col].fillna(ui.t("assignment.any"))
        _table(frame, {"id": "#", "team": ui.t("assignment.rule_owner_team"), "industry": ui.t("customers.industry"),
                       "size": ui.t("customers.size"), "region": ui.t("customers.region"), "target_team": ui.t("assignment.target_team"),
                       "target_member": ui.t("assignment.target_member"), "priority": ui.t("assignment.priority"),
                       "active": ui.t("assignment.active")})
        doomed = st.selectbox(ui.t("assignment.delete_rule"), [None, *rules["id"]], placeholder="—", format_func=lambda i: f"#{i}" if i else "—", key="rule_delete")
        if doomed and st.button(ui.t("common.delete"), key="rule_delete_btn"):
            if ui.write(assignment.delete_rule, int(doomed), success=ui.t("assignment.rule_deleted")):
                st.rerun()
    with st.expander(ui.t("assignment.add_rule"), icon=":material/add:"):
        with st.form("new_rule", clear_on_submit=True):
            teams = list(options.teams)
            owner_team = st.selectbox(ui.t("assignment.rule_owner_team"), teams, format_func=lambda t: options.teams.get(t, t))
            industry = st.text_input(ui.t("customers.industry"), placeholder=ui.t("assignment.any"))
            size = st.selectbox(ui.t("customers.size"), [None, *CUSTOMER_SIZES], placeholder=ui.t("assignment.any"), format_func=ui.formatter([None, *CUSTOMER_SIZES], lambda v: ui.label("size", v) if v else ui.t("assignment.any")))
            region = st.text_input(ui.t("customers.region"), placeholder=ui.t("assignment.any"))
            target_team = st.selectbox(ui.t("assignment.target_team"), [None, *teams], placeholder="—", format_func=lambda t: options.teams.get(t, t) if t else "—")
            target_member = st.selectbox(ui.t("assignment.target_member"), [None, *options.owners], placeholder="—",
                                         format_func=lambda m: options.owners.get(m, m) if m else "—")
            priority = st.number_input(ui.t("assignment.priority"), min_value=0, value=100, step=10)
            if st.form_submit_button(ui.t("common.save"), type="primary"):
                data = {"team_id": owner_team, "industry": industry, "size": size, "region": region, "target_team_id": target_team,
                        "target_member_id": target_member, "priority": priority}
                if ui.write(assignment.save_rule, data, success=ui.t("assignment.rule_saved")):
                    st.rerun()


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------
def roster_roles(session, actor):
    from core.roster import list_roles

    return list_roles(session, actor)


def render_import() -> None:
    """The import wizard: kind and file, column mapping, options, unknown values, check, commit."""
    _last_import_outcome()
    kind = st.selectbox(ui.t("imports.kind"), imports.RECORD_TYPES, format_func=ui.formatter(imports.RECORD_TYPES, lambda k: ui.t(f"imports.kind.{k}")), key="imp_kind")
    generation = st.session_state.get("imp_generation", 0)
    file = import_panel.read_upload(kind, "imp", generation)
    if file is None:
        return
    frame, digest, upload = file

    specs = {s.name: s for s in imports.fields_for(kind)}
    mapping = _column_mapping(kind, frame, digest, specs)
    import_options = _import_options(kind, mapping, digest)
    problems = imports.mapping_problems(mapping, kind, default_role=import_options.get("default_role"))
    if problems:
        ui.show_error(DomainError("imports.mapping_incomplete", problems))
        return
    _size_buckets(kind, frame, mapping, digest, specs, import_options)
    value_map = _value_mapping(kind, frame, mapping, digest, specs)
    if value_map is None:
        return
    check_key = f"imp_checked_{kind}_{digest}"
    result = _checked_preview(kind, frame, mapping, value_map, import_options, digest, check_key)
    if result is None:
        return
    partial = _show_preview(result, frame, digest)
    if partial is None:
        return
    _commit_button(kind, frame, mapping, value_map, import_options, result, partial, upload.name,
                   check_key=check_key, generation=generation)


def _commit_button(kind: str, frame: pd.DataFrame, mapping: dict[str, str | None], value_map: dict,
                   import_options: dict, result, partial: bool, filename: str, *, check_key: str,
                   generation: int) -> None:
    """Import the checked rows, all or nothing, with progress; then offer what the import gave back
    and start over with an empty uploader."""
    if st.button(ui.t("imports.commit", total=ui.fmt_number(result.total - result.error_rows)), type="primary", key="imp_commit", icon=":material/upload:"):
        bar = st.progress(0.0)

        def progress(fraction: float, phase: str) -> None:
            bar.progress(fraction, text=ui.t("imports.progress", phase=ui.t(f"imports.phase.{phase}"), pct=int(fraction * 100)))

        done = ui.write(imports.commit_import, kind, frame, mapping, value_map, progress=progress, filename=filename,
                        partial=partial, **import_options)
        if done:
            ui.flash(ui.t("move.done", new=done.created, updated=done.updated, unchanged=done.unchanged, refused=done.refused))
            if kind == "customers" and done.created:
                ui.flash(ui.t("imports.done_assigned", created=done.created, assigned=done.assigned, queued=done.queued))
            if done.teams:
                ui.flash(ui.t("move.tree_built", teams=done.teams))
            st.session_state["imp_outcome"] = (
                imports.rejected_rows(done.errors, frame, ui.lang()) if done.errors else None,
                pd.DataFrame(done.logins, columns=[ui.t("move.col.member"), ui.t("move.col.username"), ui.t("move.one_time_password")])
                if done.logins else None)
            st.session_state["imp_generation"] = generation + 1
            st.session_state.pop(check_key, None)
            st.session_state.pop("imp_preview", None)
            st.rerun()


def _last_import_outcome() -> None:
    """What the last import gave back: the rows to fix, the new logins."""
    outcome = st.session_state.get("imp_outcome")
    if outcome:
        rest, logins = outcome
        if rest is not None:
            st.download_button(ui.t("move.rest_file"), safe_export.to_csv_bytes(rest), "rows_to_fix.csv", "text/csv",
                               key="imp_rest_file", icon=":material/download:")
        if logins is not None:
            st.download_button(ui.t("move.logins_file"), safe_export.to_csv_bytes(logins), "new_logins.csv", "text/csv",
                               key="imp_logins_file", icon=":material/key:")


def _column_mapping(kind: str, frame: pd.DataFrame, digest: str, specs: dict) -> dict[str, str | None]:
    """Each column of the file mapped to one of our fields (guessed from its header) or ignored."""
    st.markdown(f"#### {ui.t('imports.step_mapping')}")
    guess = imports.guess_mapping(list(frame.columns), kind)
    choices = [None, *specs]

    def field_label(name):
        if name is None:
            return ui.t("imports.ignore")
        text = ui.t(f"imports.field.{name}")
        return ui.t("imports.required_mark", field=text) if specs[name].required else text

    mapping: dict[str, str | None] = {}
    for index, column in enumerate(frame.columns):
        sample = ", ".join(v for v in frame[column].head(3) if v)
        mapping[column] = st.selectbox(f"{ui.esc(column)}  ·  {ui.esc(sample[:60])}", choices, index=choices.index(guess[column]),
                                       format_func=ui.formatter(choices, field_label), key=f"imp_map_{kind}_{digest}_{index}")
    return mapping


def _import_options(kind: str, mapping: dict[str, str | None], digest: str) -> dict:
    """The mode, the key records are matched by, and (members) the default role and logins."""
    # Issue 11: the mode, the key records are matched by, and what a file may leave out.
    c1, c2 = st.columns(2)
    modes = list(imports.MODES)
    first_choice = imports.default_mode(kind, mapping)  # a file no key can match starts on "create only"
    mode = c1.segmented_control(ui.t("move.mode"), modes, default=first_choice, key=f"imp_mode_{kind}",
                                format_func=ui.formatter(modes, lambda m: ui.t(f"move.mode.{m}"))) or first_choice
    keys = list(imports.KEYS[kind])
    match_key = c2.selectbox(ui.t("move.key"), keys, index=keys.index(imports.default_key(kind, mapping)),
                             format_func=ui.formatter(keys, lambda k: ui.t(f"move.key.{k}")), key=f"imp_key_{kind}_{digest}_{abs(hash(tuple(sorted(v for v in mapping.values() if v))))}")
    import_options: dict = {"mode": mode, "key": match_key}
    if kind == "members":
        if "role" not in set(mapping.values()):
            role_codes = [r["code"] for r in ui.cached(roster_roles)]
            import_options["default_role"] = st.selectbox(ui.t("move.default_role"), role_codes, key=f"imp_default_role_{digest}",
                                                   format_func=ui.formatter(role_codes, lambda c: ui.label("member_role", c)))
        import_options["create_logins"] = st.toggle(ui.t("move.create_logins"), key=f"imp_logins_{digest}")
    return import_options


def _size_buckets(kind: str, frame: pd.DataFrame, mapping: dict[str, str | None], digest: str, specs: dict,
                  import_options: dict) -> None:
    """Head counts where we keep a size: the user sets the limits of each size band."""
    for column, target in imports.numeric_category_columns(kind, frame, mapping):
        choices_of = specs[target].choices
        defaults = list(imports.DEFAULT_BUCKETS.get(target, range(1, len(choices_of))))
        st.markdown(ui.say("move.buckets", column=column))
        cells = st.columns(len(choices_of) - 1)
        limits = [cells[i].number_input(ui.t("move.bucket_upto", label=ui.label(specs[target].label_prefix, code)),
                                        min_value=1.0, value=float(defaults[i]), step=1.0, key=f"imp_bucket_{digest}_{target}_{i}")
                  for i, code in enumerate(choices_of[:-1])]
        st.caption(ui.t("move.bucket_rest", label=ui.label(specs[target].label_prefix, choices_of[-1])))
        import_options.setdefault("buckets", {})[target] = limits


def _value_mapping(kind: str, frame: pd.DataFrame, mapping: dict[str, str | None], digest: str,
                   specs: dict) -> dict[str, dict[str, str]] | None:
    """Each value we do not know mapped to one we do (or kept as new); None: the file cannot be read."""
    st.markdown(f"#### {ui.t('imports.step_values')}")
    try:
        unknown = ui.read(imports.unknown_values, kind, frame, mapping)
    except DomainError as error:
        ui.show_error(error)
        return None
    value_map: dict[str, dict[str, str]] = {}
    if not unknown:
        st.caption(ui.t("imports.no_unknowns"))
    new_ones = [item for item in unknown if item.may_create and item.suggestion is None]
    if len(new_ones) > 1 and st.button(ui.t("move.accept_all_new", n=len(new_ones)), key="imp_accept_all", icon=":material/done_all:"):
        for index, item in enumerate(unknown):
            if item in new_ones:
                st.session_state[f"imp_val_{kind}_{digest}_{index}"] = imports.KEEP
    for index, item in enumerate(unknown):
        options = ([imports.KEEP] if item.may_create else [None]) + list(item.options)
        default = options.index(item.suggestion) if item.suggestion in options else 0

        def fmt(value, item=item):
            if value == imports.KEEP:
                return ui.t("imports.keep_new", value=item.value)
            if value is None:
                return ui.t("imports.must_map")
            return ui.label(specs[item.field].label_prefix, value) if specs[item.field].label_prefix else value

        label = f"{ui.t(f'imports.field.{item.field}')}: " + ui.t("imports.value_count", value=item.value, n=item.count)
        picked = st.selectbox(label, options, index=default, format_func=ui.formatter(options, fmt), key=f"imp_val_{kind}_{digest}_{index}")
        if picked is not None:
            value_map.setdefault(item.field, {})[item.value] = picked
    return value_map


def _checked_preview(kind: str, frame: pd.DataFrame, mapping: dict[str, str | None], value_map: dict,
                     import_options: dict, digest: str, check_key: str):
    """The checked plan of the import, once the user asks for it (None until then, or refused)."""
    st.markdown(f"#### {ui.t('imports.step_preview')}")
    if st.button(ui.t("imports.check"), key="imp_check", icon=":material/fact_check:"):
        st.session_state[check_key] = True
    if not st.session_state.get(check_key):
        return None
    # a large file takes seconds to check: keep the result while the mapping and file stay the same
    signature = (digest, kind, tuple(mapping.items()), tuple((f, tuple(sorted(v.items()))) for f, v in sorted(value_map.items())),
                 repr(sorted(import_options.items())))
    cached_preview = st.session_state.get("imp_preview")
    if cached_preview and cached_preview[0] == signature:
        result = cached_preview[1]
    else:
        try:
            with st.spinner(ui.t("imports.phase.validate")):
                result = ui.read(imports.preview, kind, frame, mapping, value_map,
                                 **{k: v for k, v in import_options.items() if k != "create_logins"})
        except DomainError as error:
            ui.show_error(error)
            return None
        st.session_state["imp_preview"] = (signature, result)
    return result


def _show_preview(result, frame: pd.DataFrame, digest: str) -> bool | None:
    """The plan and its row errors; whether to import the valid rows only (None: fix the file first)."""
    st.dataframe(result.rows, hide_index=True, width="stretch",
                 column_config={"row": st.column_config.NumberColumn("#"), "ok": st.column_config.CheckboxColumn("✓")})
    st.info(ui.t("move.plan", new=ui.fmt_number(result.new), updated=ui.fmt_number(result.updated),
                 unchanged=ui.fmt_number(result.unchanged), refused=ui.fmt_number(result.error_rows)), icon=":material/summarize:")
    partial = False
    if result.error_rows:
        st.error(ui.t("move.preview_errors", rows=result.error_rows, total=result.total), icon=":material/error:")
        errors = imports.error_frame(result.errors, frame, ui.lang())
        st.dataframe(errors, hide_index=True, width="stretch", height=min(36 * (len(errors) + 1) + 3, 400))
        st.download_button(ui.t("move.error_file"), safe_export.to_csv_bytes(errors), "import_errors.csv", "text/csv",
                           key="imp_error_file", icon=":material/download:")
        partial = st.checkbox(ui.t("move.partial"), key=f"imp_partial_{digest}")
        if not partial:
            return None
    else:
        st.success(ui.t("imports.preview_ok", total=ui.fmt_number(result.total)))
    return partial


# ---------------------------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------------------------
requested = st.query_params.get("customer")
if requested:
    render_detail(requested)
    st.stop()

names = ["customers.tab_list", "customers.tab_follow_ups"] + (["customers.tab_assignment", "customers.tab_import"] if lead else [])
if record_links.arrival("tab") == "follow_ups":  # the follow-up reminder's link
    st.session_state["customers_tab"] = ui.t("customers.tab_follow_ups")
tabs = ui.tabs([ui.t(n) for n in names], key="customers_tab")  # rules editor, upload
with tabs[0]:
    if ui.kept(tabs[0]):
        render_list()
with tabs[1]:
    if ui.kept(tabs[1]):
        render_follow_ups()
if lead:
    with tabs[2]:
        if ui.kept(tabs[2]):
            render_assignment()
    with tabs[3]:
        if ui.kept(tabs[3]):
            render_import()
