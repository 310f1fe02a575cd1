"""Roster: members (edited in place), the team tree, handover when someone leaves, and the
roles-and-responsibilities (RACI) table. Managers see their teams; admins see everything."""
import pandas as pd
import streamlit as st

from core import handover, pickers, reports, responsibilities, roster
from core.i18n import has_key
from core.choices import MEMBER_STATUSES, RACI, SPECIALTY_KINDS, TEAM_KINDS
import ui

actor = ui.page_header("roster", caption=ui.t("roster.caption"))

tree = ui.cached(roster.team_tree)
teams = {n.id: n for n in tree}
roles = ui.cached(roster.list_roles)
role_names = {r["code"]: (r["name_zh"] if ui.lang() == "zh" else r["name_en"]) for r in roles}


# Widget labels are computed here, not inside format_func: AppTest calls format_func outside the
# script run, where the session's language is not available.
ALL_TEAMS, TOP_LEVEL, ORG_WIDE = ui.t("roster.all_teams"), ui.t("roster.top_level"), ui.t("raci.org_wide")
KIND_LABELS = {k: ui.label("team_kind", k) for k in TEAM_KINDS}


def role_label(code: str) -> str:
    return ui.t(f"member_role.{code}") if has_key(f"member_role.{code}") else role_names.get(code, str(code))


def team_label(team_id) -> str:
    node = teams.get(team_id)
    return node.path if node else "—"


def specialty_label(tag: str) -> str:
    parsed = roster.parse_specialty(tag)
    if not parsed:
        return str(tag)
    value = ui.label("size", parsed[1]) if parsed[0] == "size" else parsed[1]  # 'enterprise' reads 大型企业 in Chinese
    return f"{ui.label('specialty_kind', parsed[0])}: {value}"


def load_text(used: int, limit) -> str:
    limit = int(limit) if pd.notna(limit) else 0
    return f"{'⚠ ' if used > limit else ''}{used} / {limit}"


if not tree:
    ui.empty_state(ui.t("roster.no_teams"), ui.t("roster.no_teams_hint"))

tab_members, tab_teams, tab_handover, tab_raci, tab_logins = ui.tabs(
    [ui.t("roster.tab_members"), ui.t("roster.tab_teams"), ui.t("roster.tab_handover"), ui.t("roster.tab_raci"),
     ui.t("move.logins_title")],
    key="roster_tab",  # member, RACI and role editors keep their unsaved edits
)

# ---------------------------------------------------------------------------------------------
# Members, edited in place
# ---------------------------------------------------------------------------------------------
with tab_members:
    if ui.kept(tab_members):
        if tree:
            c1, c2 = st.columns([3, 1])
            # 0 stands for "all teams" (a None option would show as an empty selection)
            team_filter = c1.selectbox(ui.t("roster.filter_team"), [0] + list(teams),
                                       format_func=lambda i: team_label(i) if i else ALL_TEAMS,
                                       key="roster_team_filter") or None
            include_left = c2.toggle(ui.t("roster.include_left"), key="roster_include_left")
            frame = ui.cached(roster.roster_frame, team_filter, include_left)
            person_names = ui.cached(pickers.members, include_left=True)
            tags = sorted(set(ui.cached(pickers.specialties)) | {t for ts in frame["specialties"] for t in ts})

            view = frame.copy()
            view["customers_load"] = [load_text(u, m) for u, m in zip(frame["customers"], frame["max_customers"])]
            view["tasks_load"] = [load_text(u, m) for u, m in zip(frame["open_tasks"], frame["max_open_tasks"])]
            order = ["name", "team_id", "role", "status", "max_customers", "customers_load", "max_open_tasks", "tasks_load",
                     "manager_id", "specialties", "email", "phone", "username"]
            editor_key = f"roster_members_{team_filter or 'all'}_{int(include_left)}"
            if frame.empty:
                ui.empty_state(ui.t("roster.no_members"), ui.t("roster.no_members_hint"))
            st.caption(ui.t("roster.editor_hint"))
            edited = st.data_editor(
                view,
                key=editor_key,
                num_rows="add",
                placeholder="—",
                hide_index=True,
                width="stretch",
                column_order=order,
                disabled=["customers_load", "tasks_load", "username"],
                column_config={
                    "name": st.column_config.TextColumn(ui.t(roster.COL_NAME), required=True),
                    "team_id": st.column_config.SelectboxColumn(
                        ui.t(roster.COL_TEAM), options=list(teams), format_func=team_label, required=True, width="medium",
                        default=team_filter or next(iter(teams))),
                    "role": st.column_config.SelectboxColumn(
                        ui.t(roster.COL_ROLE), options=[r["code"] for r in roles], format_func=role_label, required=True,
                        default="account_manager" if "account_manager" in role_names else None),
                    "status": st.column_config.SelectboxColumn(
                        ui.t(roster.COL_STATUS), options=list(MEMBER_STATUSES), required=True, default="active",
                        format_func=lambda s: ui.label("member_status", s)),
                    "max_customers": st.column_config.NumberColumn(
                        ui.t(roster.COL_MAX_CUSTOMERS), min_value=0, step=1, default=roster.DEFAULT_MAX_CUSTOMERS,
                        help=ui.t("roster.max_customers_help")),
                    "customers_load": st.column_config.TextColumn(ui.t("roster.col.customers_load"), help=ui.t("roster.load_help")),
                    "max_open_tasks": st.column_config.NumberColumn(
                        ui.t(roster.COL_MAX_OPEN_TASKS), min_value=0, step=1, default=roster.DEFAULT_MAX_OPEN_TASKS),
                    "tasks_load": st.column_config.TextColumn(ui.t("roster.col.tasks_load"), help=ui.t("roster.load_help")),
                    "manager_id": st.column_config.SelectboxColumn(
                        ui.t(roster.COL_MANAGER), options=list(person_names), format_func=lambda i: person_names.get(i, "—")),
                    "specialties": st.column_config.MultiselectColumn(
                        ui.t(roster.COL_SPECIALTIES), options=tags, accept_new_options=True, format_func=specialty_label,
                        help=ui.t("roster.specialties_help", kinds=", ".join(SPECIALTY_KINDS))),
                    "email": st.column_config.TextColumn(ui.t(roster.COL_EMAIL)),
                    "phone": st.column_config.TextColumn(ui.t(roster.COL_PHONE)),
                    "username": st.column_config.TextColumn(ui.t("roster.col.username")),
                },
            )
            old_teams = dict(zip(frame["id"], frame["team_id"]))
            team_moves = [r for r in edited.to_dict("records")
                          if r.get("id") in old_teams and r.get("team_id") and r.get("team_id") != old_teams[r["id"]]]
            team_change = roster.TEAM_CHANGE_MOVE
            if team_moves:
                team_change = st.radio(
                    ui.t("screens.roster.team_change", names=", ".join(str(r.get("name")) for r in team_moves)),
                    list(roster.TEAM_CHANGES), key="roster_team_change",
                    format_func=ui.formatter(roster.TEAM_CHANGES, lambda m: ui.t(f"screens.roster.team_change.{m}")))
            if st.button(ui.t("roster.save_members"), type="primary", key="roster_save", icon=":material/save:"):
                rows = [
                    {k: row.get(k) for k in ("id", "name", "email", "phone", "team_id", "role", "manager_id", "status",
                                             "max_customers", "max_open_tasks", "specialties")}
                    for row in edited.to_dict("records")
                ]
                result = ui.write(roster.save_members, rows, team_change=team_change)
                if result:
                    ui.flash(ui.t("roster.members_saved", created=result["created"], updated=result["updated"]))
                    if result["moved_customers"] or result["moved_tasks"]:
                        ui.flash(ui.t("screens.roster.moved_with", customers=ui.count("customer", result["moved_customers"]),
                                      tasks=ui.count("task", result["moved_tasks"])), "info")
                    for over in result["below_load"]:
                        ui.flash(ui.say("screens.roster.below_load", name=over["name"],
                                      customers=f"{over['customers'][0]}/{over['customers'][1]}",
                                      tasks=f"{over['tasks'][0]}/{over['tasks'][1]}"), "warning")
                    st.session_state.pop(editor_key, None)
                    st.rerun()

            leaving_now = frame[frame["status"] == "leaving"]
            if not leaving_now.empty:
                st.warning(ui.t("roster.leaving_hint", names=ui.esc(", ".join(leaving_now["name"]))), icon=":material/logout:")

            if not frame.empty:
                st.divider()
                chosen = st.selectbox(ui.t("roster.history_for"), list(frame["id"]),
                                      format_func=lambda i: person_names.get(i, str(i)), key="roster_history_member")
                with st.expander(ui.t("common.history"), icon=":material/history:"):
                    entries = ui.cached(roster.member_history, int(chosen))
                    if not entries:
                        st.caption(ui.t("roster.no_history"))
                    def shown(change: dict, value) -> str:
                        if value is None or value == "":
                            return "—"
                        if change["field"] == "role_id":
                            return role_label(value)
                        if change["field"] == "status":
                            return ui.label("member_status", value)
                        return str(value)

                    for e in entries:
                        action_key = "roster.action." + e["action"]
                        lines = [f"**{ui.fmt_date(e['at'])}** · {ui.esc(e['who']) or '—'} · {ui.t(action_key) if has_key(action_key) else ui.esc(e['action'])}"]
                        if e["moved"]:
                            lines.append(ui.t("roster.history_moved", **{k: ui.esc(v) for k, v in e["moved"].items()}))
                        for c in e["changes"]:
                            if e["action"] == "member.create":
                                lines.append(f"{ui.t(c['column'])}: {ui.esc(shown(c, c['after']))}")
                            else:
                                lines.append(f"{ui.t(c['column'])}: {ui.esc(shown(c, c['before']))} → {ui.esc(shown(c, c['after']))}")
                        st.markdown("  \n".join(lines))

                export = frame.assign(
                    team=[team_label(t) for t in frame["team_id"]],
                    role=[role_label(r) for r in frame["role"]],
                    status=[ui.label("member_status", s) for s in frame["status"]],
                    manager=[person_names.get(m, "") if pd.notna(m) else "" for m in frame["manager_id"]],
                    specialties=["; ".join(specialty_label(t) for t in ts) for ts in frame["specialties"]],
                )[["name", "team", "role", "status", "max_customers", "customers", "max_open_tasks", "open_tasks",
                   "manager", "specialties", "email", "phone"]]
                headers = {"name": roster.COL_NAME, "team": roster.COL_TEAM, "role": roster.COL_ROLE, "status": roster.COL_STATUS,
                           "max_customers": roster.COL_MAX_CUSTOMERS, "customers": "assignment.load_col",
                           "max_open_tasks": roster.COL_MAX_OPEN_TASKS, "open_tasks": "workload.open_tasks",
                           "manager": roster.COL_MANAGER, "specialties": roster.COL_SPECIALTIES, "email": roster.COL_EMAIL,
                           "phone": roster.COL_PHONE}
                ui.export_buttons(reports.formatted(export.rename(columns={c: ui.t(k) for c, k in headers.items()}), ui.lang(), ui.currency()),
                                  "roster", key="roster_export", raw=frame.drop(columns=["specialties"]).assign(
                                      specialties=["; ".join(ts) for ts in frame["specialties"]]))

# ---------------------------------------------------------------------------------------------
# Team tree
# ---------------------------------------------------------------------------------------------
with tab_teams:
    if ui.kept(tab_teams):
        if tree:
            st.dataframe(
                pd.DataFrame([
                    {
                        ui.t("roster.team_name"): "\u3000" * n.depth + ("└ " if n.depth else "") + n.name,
                        ui.t("roster.team_kind"): ui.label("team_kind", n.kind),
                        ui.t("roster.team_leader"): n.leader_name or "—",
                        ui.t("roster.team_manager"): n.manager_name or "—",
                        ui.t("roster.team_members"): n.members,
                    }
                    for n in tree
                ]),
                hide_index=True, width="stretch", height=min(36 * (len(tree) + 1) + 3, 600),
            )
            st.subheader(ui.t("roster.edit_team"))
            team_id = st.selectbox(ui.t("roster.pick_team"), list(teams), format_func=team_label, key="roster_edit_team")
            node = teams[team_id]
            team_people = ui.cached(roster.roster_frame, team_id, False)
            leader_options = [0] + [int(i) for i in team_people["id"]]
            leader_names = dict(zip(team_people["id"], team_people["name"]))
            parent_options = ([0] if actor.is_admin or node.parent_id is None else []) + [i for i in teams if i != team_id]
            with st.form("roster_team_form"):
                c1, c2 = st.columns(2)
                name = c1.text_input(ui.t("roster.team_name"), node.name, key=f"team_name_{team_id}")
                kind = c2.selectbox(ui.t("roster.team_kind"), TEAM_KINDS, index=TEAM_KINDS.index(node.kind),
                                    format_func=KIND_LABELS.get)
                parent = c1.selectbox(ui.t("roster.team_parent"), parent_options, key=f"team_parent_{team_id}",
                                      index=parent_options.index(node.parent_id or 0) if (node.parent_id or 0) in parent_options else 0,
                                      format_func=lambda i: team_label(i) if i else TOP_LEVEL,
                                      disabled=not actor.is_admin and node.parent_id is None)
                leader = c2.selectbox(ui.t("roster.team_leader"), leader_options,
                                      index=leader_options.index(node.leader_id) if node.leader_id in leader_options else 0,
                                      format_func=lambda i: leader_names.get(i, str(i)) if i else "—")
                changes = {"name": name, "kind": kind, "leader_id": leader or None}
                if not (not actor.is_admin and node.parent_id is None):
                    changes["parent_id"] = parent or None
                if actor.is_admin:
                    managers = ui.cached(roster.manager_users)
                    manager_ids = [0] + [u["id"] for u in managers]
                    manager_names = {u["id"]: f"{u['display_name']} ({u['username']})" for u in managers}
                    changes["manager_user_id"] = c1.selectbox(
                        ui.t("roster.team_manager"), manager_ids,
                        index=manager_ids.index(node.manager_user_id) if node.manager_user_id in manager_ids else 0,
                        format_func=lambda i: manager_names.get(i, str(i)) if i else "—") or None
                if st.form_submit_button(ui.t("common.save"), type="primary", key="team_form_save"):
                    saved = ui.write(roster.update_team, team_id, **changes)
                    if saved is not None:  # None: refused (the error is shown); False: nothing to change
                        ui.flash(ui.say("roster.team_saved", name=name) if saved else ui.t("screens.nothing_changed"),
                                 "success" if saved else "info")
                        st.rerun()
            ui.remove_controls("team", team_id, node.name, f"team_remove_{team_id}", allow_delete=True)

        st.subheader(ui.t("roster.new_team"))
        with st.form("roster_new_team", clear_on_submit=True):
            c1, c2 = st.columns(2)
            new_name = c1.text_input(ui.t("roster.team_name"))
            parents = ([0] if actor.is_admin else []) + list(teams)
            new_parent = c2.selectbox(ui.t("roster.team_parent"), parents,
                                      format_func=lambda i: team_label(i) if i else TOP_LEVEL) or None
            new_kind = c1.selectbox(ui.t("roster.team_kind"), TEAM_KINDS, format_func=KIND_LABELS.get)
            extra = {}
            if actor.is_admin:
                managers = ui.cached(roster.manager_users)
                new_manager_names = {u["id"]: u["display_name"] for u in managers}
                extra["manager_user_id"] = c2.selectbox(
                    ui.t("roster.team_manager"), [0] + list(new_manager_names),
                    format_func=lambda i: new_manager_names.get(i, str(i)) if i else "—") or None
            if st.form_submit_button(ui.t("common.create"), type="primary", disabled=not parents):
                if ui.write(roster.create_team, new_name, new_parent, new_kind, success=ui.say("roster.team_created", name=new_name), **extra):
                    st.rerun()

        st.subheader(ui.t("roster.roles"))
        st.caption(ui.t("roster.roles_hint"))
        all_roles = pd.DataFrame(ui.cached(roster.list_roles, True), columns=["id", "code", "name_zh", "name_en", "active"])
        roles_key = "roster_roles_editor"
        edited_roles = st.data_editor(
            all_roles, key=roles_key, hide_index=True, width="stretch", num_rows="add" if actor.is_admin else "fixed",
            disabled=not actor.is_admin or ["id"],
            column_config={
                "id": None,
                "code": st.column_config.TextColumn(ui.t(roster.COL_ROLE_CODE), required=True),
                "name_zh": st.column_config.TextColumn(ui.t(roster.COL_ROLE_ZH), required=True),
                "name_en": st.column_config.TextColumn(ui.t(roster.COL_ROLE_EN), required=True),
                "active": st.column_config.CheckboxColumn(ui.t(roster.COL_ROLE_ACTIVE), default=True),
            },
        )
        if actor.is_admin and st.button(ui.t("roster.save_roles"), key="roster_roles_save", icon=":material/save:"):
            result = ui.write(roster.save_roles, edited_roles.to_dict("records"))
            if result:
                ui.flash(ui.t("roster.roles_saved", **result))
                st.session_state.pop(roles_key, None)
                st.rerun()

# ---------------------------------------------------------------------------------------------
# Handover of a leaving member's customers and open tasks
# ---------------------------------------------------------------------------------------------
with tab_handover:
    if ui.kept(tab_handover):
        leaving = ui.cached(handover.leaving_members)
        if not leaving:
            ui.empty_state(ui.t("handover.none_leaving"), ui.t("handover.none_leaving_hint"))
        else:
            by_id = {m["id"]: m for m in leaving}
            member_options = {i: ui.t("handover.member_option", name=m["name"], customers=m["customers"], tasks=m["open_tasks"])
                              for i, m in by_id.items()}
            who = st.selectbox(ui.t("handover.pick_member"), list(by_id), key="handover_member",
                               format_func=lambda i: member_options[i])
            proposal = ui.cached(handover.propose_handover, who)
            if not proposal.moves:
                st.success(ui.t("handover.nothing_to_hand_over", name=ui.esc(proposal.member_name)))
            else:
                names = {0: ui.t("handover.unassigned_queue")} | {c["id"]: c["name"] for c in proposal.candidates}
                plan = pd.DataFrame([
                    {
                        "accept": True,
                        "kind": ui.t(f"handover.kind_{m.kind}"),
                        "item": m.label,
                        "to": m.to_member_id or 0,
                        "reason": m.reason(ui.lang()),
                    }
                    for m in proposal.moves
                ])
                st.caption(ui.t("handover.review_hint"))
                reviewed = st.data_editor(
                    plan, key=f"handover_plan_{who}", hide_index=True, width="stretch",
                    disabled=["kind", "item", "reason"],
                    column_config={
                        "accept": st.column_config.CheckboxColumn(ui.t("handover.col_accept")),
                        "kind": st.column_config.TextColumn(ui.t("handover.col_kind")),
                        "item": st.column_config.TextColumn(ui.t("handover.col_item")),
                        "to": st.column_config.SelectboxColumn(ui.t("handover.col_to"), options=list(names),
                                                               format_func=lambda i: names.get(i, "—"), required=True),
                        "reason": st.column_config.TextColumn(ui.t("handover.col_reason"), width="large"),
                    },
                )
                if st.button(ui.t("handover.apply"), type="primary", key="handover_apply", icon=":material/swap_horiz:"):
                    moves = [
                        {"kind": m.kind, "item_id": m.item_id, "to_member_id": int(row["to"]) or None}
                        for m, row in zip(proposal.moves, reviewed.to_dict("records"))
                        if row["accept"]
                    ]
                    result = ui.write(handover.apply_handover, who, moves)
                    if result:
                        ui.flash(ui.t("handover.applied", customers=result["customers"], tasks=result["tasks"]))
                        st.session_state.pop(f"handover_plan_{who}", None)
                        st.rerun()

# ---------------------------------------------------------------------------------------------
# Roles and responsibilities (RACI)
# ---------------------------------------------------------------------------------------------
with tab_raci:
    if ui.kept(tab_raci):
        st.caption(ui.t("raci.legend"))
        raci_teams = ([0] if actor.is_admin else []) + list(teams)  # 0: the organisation-wide table
        if not raci_teams:
            ui.empty_state(ui.t("roster.no_teams"))
        else:
            c1, c2 = st.columns([1, 2])
            raci_team = c1.selectbox(ui.t("raci.team"), raci_teams, key="raci_team",
                                     format_func=lambda i: team_label(i) if i else ORG_WIDE) or None
            raci_people = ui.cached(pickers.members, include_left=True)
            extra = c2.multiselect(ui.t("raci.named_members"), list(raci_people), format_func=lambda i: raci_people[i],
                                   key=f"raci_extra_{raci_team}", help=ui.t("raci.named_members_help"),
                                   placeholder=ui.t("raci.named_members_placeholder"))
            grid = ui.cached(responsibilities.raci_grid, raci_team, tuple(sorted(extra)))
            headers = {c.key: (role_label(c.code) if c.kind == "role" else f"👤 {c.name}") for c in grid.columns}
            if grid.frame.empty:
                ui.empty_state(ui.t("raci.empty"), ui.t("raci.empty_hint"))
            elif grid.not_one_accountable:
                st.warning(ui.t("raci.fix_accountable", names=ui.esc("、".join(grid.not_one_accountable))), icon=":material/warning:")
            raci_key = f"raci_editor_{raci_team}_{'-'.join(map(str, sorted(extra)))}"
            config = {
                "id": None,
                "name": st.column_config.TextColumn(ui.t(responsibilities.COL_NAME), required=True, width="medium"),
                "description": st.column_config.TextColumn(ui.t(responsibilities.COL_DESCRIPTION)),
            }
            config["description"] = st.column_config.TextColumn(ui.t(responsibilities.COL_DESCRIPTION), width="medium")
            config.update({key: st.column_config.SelectboxColumn(label, options=list(RACI)) for key, label in headers.items()})
            edited_raci = st.data_editor(grid.frame, key=raci_key, num_rows="dynamic", hide_index=True, placeholder="—",
                                         width="stretch", column_config=config)
            b1, b2 = st.columns([1, 2])
            if b1.button(ui.t("raci.save"), type="primary", key="raci_save", icon=":material/save:"):
                result = ui.write(responsibilities.save_raci, raci_team, edited_raci.to_dict("records"))
                if result:
                    ui.flash(ui.t("raci.saved", **result))
                    st.session_state.pop(raci_key, None)
                    st.rerun()
            if not grid.frame.empty:
                export = grid.frame.drop(columns=["id"]).fillna("").rename(
                    columns={"name": ui.t(responsibilities.COL_NAME), "description": ui.t(responsibilities.COL_DESCRIPTION), **headers})
                with b2:
                    ui.export_buttons(reports.formatted(export, ui.lang(), ui.currency()), "responsibilities", key="raci_export")

# ---------------------------------------------------------------------------------------------
# Logins of the people on the roster (issue 11)
# ---------------------------------------------------------------------------------------------
with tab_logins:
    if ui.kept(tab_logins):
        from ui import roster_logins

        roster_logins.render(actor)
