"""The roster: the team tree and its members (role, specialties, capacity, manager, status).

Teams: `team_tree` lists the visible tree; `create_team` and `update_team` (rename, kind, leader,
move under another parent, managing user for admins) refuse cycles and targets outside the actor's
scope. Members: `roster_frame` lists visible members with their current load next to capacity;
`save_members` validates a whole edited table first (one FieldError per offending row and column)
and writes nothing unless every row is valid, then creates and updates members in the caller's
transaction, each change audited.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import assignment, audit, i18n, limits
from core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from core.permissions import (
    READ,
    WRITE,
    Actor,
    Scope,
    ensure,
    ensure_role,
    ensure_team,
    load,
    scope_clause,
    scope_for,
    subtree_team_ids,
)
from db.models import (
    MEMBER_STATUSES,
    SPECIALTY_KINDS,
    TEAM_KINDS,
    Customer,
    Member,
    MemberSpecialty,
    Role,
    Task,
    Team,
    User,
)

# Column keys of the member table: also the translation keys of its headers, so a FieldError's
# column is shown in the user's language.
COL_NAME = "roster.col.name"
COL_EMAIL = "roster.col.email"
COL_PHONE = "roster.col.phone"
COL_TEAM = "roster.col.team"
COL_ROLE = "roster.col.role"
COL_MANAGER = "roster.col.manager"
COL_STATUS = "roster.col.status"
COL_MAX_CUSTOMERS = "roster.col.max_customers"
COL_MAX_OPEN_TASKS = "roster.col.max_open_tasks"
COL_SPECIALTIES = "roster.col.specialties"

DEFAULT_MAX_CUSTOMERS = 40
DEFAULT_MAX_OPEN_TASKS = 15
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MEMBER_FIELDS = ("name", "email", "phone", "team_id", "role_id", "manager_id", "status", "max_customers", "max_open_tasks")
_TEAM_FIELDS = ("name", "kind", "parent_id", "leader_id", "manager_user_id")


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
def _blank(value: Any) -> bool:
    if value is None:
        return True
    if pd.api.types.is_list_like(value):
        return len(value) == 0
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(value, str) and not value.strip()


def _text(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip()


def _int_or_none(value: Any) -> int | None:
    if _blank(value):
        return None
    return int(value)


def _count(value: Any) -> tuple[int | None, str | None]:
    """(integer, None) or (None, error key) for a capacity cell."""
    if _blank(value):
        return None, "roster.capacity_required"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, "roster.capacity_not_number"
    if not number.is_integer():
        return None, "roster.capacity_not_number"
    if number < 0:
        return None, "roster.capacity_negative"
    return int(number), None


def _specialty_kind(text: str) -> str | None:
    """'industry', 'Industry' or '行业' -> 'industry'."""
    wanted = text.strip().lower()
    for kind in SPECIALTY_KINDS:
        labels = {kind, *(label.lower() for label in i18n.CATALOGUE.get(f"specialty_kind.{kind}", ()))}
        if wanted in labels:
            return kind
    return None


def parse_specialty(tag: str) -> tuple[str, str] | None:
    """'industry:retail' (also 'Industry: retail', '行业：零售') -> ('industry', 'retail')."""
    text = str(tag).replace("：", ":")
    if ":" not in text:
        return None
    kind_text, _, value = text.partition(":")
    kind = _specialty_kind(kind_text)
    value = value.strip()
    if kind is None or not value or len(value) > 60:
        return None
    return kind, value


def specialty_tag(kind: str, value: str) -> str:
    return f"{kind}:{value}"


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in re.split(r"[;,，；\n]", value) if part.strip()]
    if _blank(value):
        return []
    return [str(v) for v in value if not _blank(v)]


def member_load(session: Session, member_ids: list[int]) -> dict[int, tuple[int, int]]:
    """member id -> (customers owned that have not churned, open tasks), two grouped queries.
    Counted as assignment counts load, so the roster and the assignment agree."""
    if not member_ids:
        return {}
    customers = dict(session.execute(
        select(Customer.owner_id, func.count())
        .where(Customer.owner_id.in_(member_ids), Customer.status != "churned")
        .group_by(Customer.owner_id)
    ).all())
    tasks = dict(session.execute(
        select(Task.assignee_id, func.count())
        .where(Task.assignee_id.in_(member_ids), Task.status != "done")
        .group_by(Task.assignee_id)
    ).all())
    return {m: (customers.get(m, 0), tasks.get(m, 0)) for m in member_ids}


def _ensure_lead(actor: Actor) -> None:
    ensure_role(actor, "admin", "manager")


# ---------------------------------------------------------------------------------------------
# Roles (the managed list)
# ---------------------------------------------------------------------------------------------
def list_roles(session: Session, actor: Actor, include_inactive: bool = False) -> list[dict]:
    query = select(Role).order_by(Role.id)
    if not include_inactive:
        query = query.where(Role.active.is_(True))
    return [
        {"id": r.id, "code": r.code, "name_zh": r.name_zh, "name_en": r.name_en, "active": r.active}
        for r in session.scalars(query)
    ]


_ROLE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
COL_ROLE_CODE = "roster.col.role_code"
COL_ROLE_ZH = "roster.col.role_name_zh"
COL_ROLE_EN = "roster.col.role_name_en"
COL_ROLE_ACTIVE = "roster.col.role_active"


def save_roles(session: Session, actor: Actor, rows: list[dict]) -> dict[str, int]:
    """Admins maintain the managed list of member roles: rows with id (None for a new role),
    code, name_zh, name_en, active. Codes are fixed once created (they key translations and
    RACI columns). A role still held by current members cannot be switched off. All or nothing."""
    ensure_role(actor, "admin")
    existing = {r.id: r for r in session.scalars(select(Role))}
    in_use = set(session.scalars(select(Member.role_id).where(Member.status != "left").distinct()))
    errors: list[FieldError] = []
    plan: list[tuple[Role | None, dict[str, Any]]] = []
    codes: dict[str, int] = {}
    for position, raw in enumerate(rows, start=1):
        row = dict(raw)
        role_id = _int_or_none(row.get("id"))
        role = existing.get(role_id) if role_id is not None else None
        if role_id is not None and role is None:
            raise NotFound("error.not_found")
        code = role.code if role is not None else (_text(row.get("code")) or "").lower()
        if role is None:
            if not _ROLE_CODE.match(code):
                errors.append(FieldError("roster.bad_role_code", {"value": code}, row=position, column=COL_ROLE_CODE))
            elif code in codes or any(r.code == code for r in existing.values()):
                errors.append(FieldError("roster.role_code_taken", {"value": code}, row=position, column=COL_ROLE_CODE))
        codes.setdefault(code, position)
        values: dict[str, Any] = {"name_zh": _text(row.get("name_zh")), "name_en": _text(row.get("name_en")),
                  "active": True if _blank(row.get("active")) else bool(row.get("active"))}
        for key, column in (("name_zh", COL_ROLE_ZH), ("name_en", COL_ROLE_EN)):
            if not values[key]:
                errors.append(FieldError("roster.role_name_required", row=position, column=column))
            elif len(values[key]) > 60:
                errors.append(FieldError("roster.too_long", {"max": 60}, row=position, column=column))
        if role is not None and role.active and not values["active"] and role.id in in_use:
            errors.append(FieldError("roster.role_in_use", {"value": role.code}, row=position, column=COL_ROLE_ACTIVE))
        plan.append((role, {"code": code, **values}))
    if errors:
        raise InvalidInput("roster.rows_invalid", errors, count=len({e.row for e in errors}))
    counts = {"created": 0, "updated": 0}
    for role, values in plan:
        if role is None:
            role = Role(**values)
            session.add(role)
            session.flush()
            audit.record(session, actor, "role.create", "role", role.id, None, values)
            counts["created"] += 1
            continue
        before = audit.snapshot(role, ("name_zh", "name_en", "active"))
        after = {k: values[k] for k in before}
        if after != before:
            for key, value in after.items():
                setattr(role, key, value)
            old, new = audit.changed(before, after)
            audit.record(session, actor, "role.update", "role", role.id, old, new)
            counts["updated"] += 1
    session.flush()
    return counts


# ---------------------------------------------------------------------------------------------
# Teams
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamNode:
    id: int
    name: str
    path: str  # "Team A / Team A1": unique, used as a label
    depth: int
    kind: str
    parent_id: int | None
    leader_id: int | None
    leader_name: str | None
    manager_user_id: int | None
    manager_name: str | None
    members: int


def team_tree(session: Session, actor: Actor) -> list[TeamNode]:
    """The visible teams in tree order (each team followed by its sub-teams), with paths."""
    scope = scope_for(session, actor)
    rows = session.execute(
        select(Team.id, Team.name, Team.kind, Team.parent_id, Team.leader_id, Team.manager_user_id, User.display_name)
        .outerjoin(User, User.id == Team.manager_user_id)
        .where(scope_clause(scope, Team), Team.archived_at.is_(None))
        .order_by(Team.name)
    ).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    by_id = {r.id: r for r in rows}
    counts = dict(session.execute(
        select(Member.team_id, func.count()).where(Member.team_id.in_(ids), Member.status != "left").group_by(Member.team_id)
    ).all())
    leader_ids = [r.leader_id for r in rows if r.leader_id]
    leaders = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(leader_ids))).all()) if leader_ids else {}
    children: dict[int | None, list[int]] = {}
    for r in rows:
        parent = r.parent_id if r.parent_id in by_id else None  # roots of the visible forest
        children.setdefault(parent, []).append(r.id)
    out: list[TeamNode] = []

    def walk(team_id: int, depth: int, prefix: str) -> None:
        r = by_id[team_id]
        path = f"{prefix} / {r.name}" if prefix else r.name
        out.append(TeamNode(r.id, r.name, path, depth, r.kind, r.parent_id, r.leader_id, leaders.get(r.leader_id),
                            r.manager_user_id, r.display_name, counts.get(r.id, 0)))
        for child in children.get(team_id, []):
            walk(child, depth + 1, path)

    for root in children.get(None, []):
        walk(root, 0, "")
    return out


def manager_users(session: Session, actor: Actor) -> list[dict]:
    """Users who can manage a team (admins choose a team's managing user)."""
    ensure_role(actor, "admin")
    return [
        {"id": u.id, "display_name": u.display_name, "username": u.username}
        for u in session.scalars(
            select(User).where(User.role.in_(("manager", "admin")), User.active.is_(True)).order_by(User.display_name)
        )
    ]


def _team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("error.not_found")
    return team


def _check_team_fields(session: Session, actor: Actor, scope: Scope, team: Team | None, name: str | None,
                       kind: str, parent_id: int | None, *, parent_changed: bool, leader_id: int | None = None,
                       manager_user_id: int | None = None) -> list[FieldError]:
    """Row-independent checks of a team's fields. Permission problems and cycles raise at once;
    fixable input comes back as FieldErrors."""
    if parent_changed:
        if parent_id is None:
            if not actor.is_admin:  # a top-level team would be outside every manager's scope
                raise PermissionDenied("roster.top_level_admin_only")
        else:
            if session.get(Team, parent_id) is None:
                raise NotFound("error.not_found")
            ensure_team(scope, parent_id)
            if team is not None and parent_id in subtree_team_ids(session, {team.id}):
                raise Conflict("roster.team_cycle", team=team.name)
    errors: list[FieldError] = []
    if not name:
        errors.append(FieldError("roster.team_name_required", column="roster.team_name"))
    elif len(name) > 120:
        errors.append(FieldError("roster.too_long", {"max": 120}, column="roster.team_name"))
    else:
        same_parent = Team.parent_id.is_(None) if parent_id is None else Team.parent_id == parent_id
        clash = session.scalar(select(Team.id).where(Team.name == name, same_parent))
        if clash is not None and (team is None or clash != team.id):
            errors.append(FieldError("roster.team_name_taken", {"name": name}, column="roster.team_name"))
    if kind not in TEAM_KINDS:
        errors.append(FieldError("roster.unknown_team_kind", {"value": kind}, column="roster.team_kind"))
    if leader_id is not None:
        leader = session.get(Member, leader_id)
        allowed_teams = subtree_team_ids(session, {team.id}) if team is not None else set()
        if leader is None or not scope.has_member(leader_id) or leader.team_id not in allowed_teams or leader.status == "left":
            errors.append(FieldError("roster.leader_not_in_team", column="roster.team_leader"))
    if manager_user_id is not None:
        user = session.get(User, manager_user_id)
        if user is None or user.role not in ("manager", "admin") or not user.active:
            errors.append(FieldError("roster.not_a_manager_user", column="roster.team_manager"))
    return errors


def create_team(session: Session, actor: Actor, name: str, parent_id: int | None = None, kind: str = "core",
                manager_user_id: int | None = None, description: str | None = None) -> int:
    """A new team (admins: anywhere, with a managing user) or sub-team (managers: under a team of
    theirs). Returns the new id."""
    _ensure_lead(actor)
    scope = scope_for(session, actor)
    name = _text(name) or ""
    if manager_user_id is not None:
        ensure_role(actor, "admin")
    errors = _check_team_fields(session, actor, scope, None, name, kind, parent_id, parent_changed=True,
                                manager_user_id=manager_user_id)
    if errors:
        raise InvalidInput("roster.team_invalid", errors)
    team = Team(name=name, kind=kind, parent_id=parent_id, manager_user_id=manager_user_id, description=_text(description))
    session.add(team)
    session.flush()
    audit.record(session, actor, "team.create", "team", team.id, None, audit.snapshot(team, _TEAM_FIELDS))
    return team.id


_KEEP: Any = object()


def update_team(session: Session, actor: Actor, team_id: int, *, name: Any = _KEEP, kind: Any = _KEEP,
                parent_id: Any = _KEEP, leader_id: Any = _KEEP, manager_user_id: Any = _KEEP) -> bool:
    """Rename, change kind, set the leader, move under another parent, and (admins only) set the
    managing user. Only the given fields change. Returns True when anything changed."""
    _ensure_lead(actor)
    scope = scope_for(session, actor)
    team = _team(session, team_id)
    ensure(session, actor, WRITE, team, scope)
    before = audit.snapshot(team, _TEAM_FIELDS)
    new = dict(before)
    if name is not _KEEP:
        new["name"] = _text(name) or ""
    if kind is not _KEEP:
        new["kind"] = kind
    if parent_id is not _KEEP:
        new["parent_id"] = _int_or_none(parent_id)
    if leader_id is not _KEEP:
        new["leader_id"] = _int_or_none(leader_id)
    if manager_user_id is not _KEEP and _int_or_none(manager_user_id) != before["manager_user_id"]:
        ensure_role(actor, "admin")
        new["manager_user_id"] = _int_or_none(manager_user_id)
    if new == before:
        return False
    parent_changed = new["parent_id"] != before["parent_id"]
    if parent_changed and not actor.is_admin and team.id in _managed_roots(session, actor):
        raise PermissionDenied("roster.move_own_root")  # managers move sub-teams, not the team they were given
    errors = _check_team_fields(
        session, actor, scope, team, new["name"], new["kind"], new["parent_id"], parent_changed=parent_changed,
        leader_id=new["leader_id"] if new["leader_id"] != before["leader_id"] else None,
        manager_user_id=new["manager_user_id"] if new["manager_user_id"] != before["manager_user_id"] else None,
    )
    if errors:
        raise InvalidInput("roster.team_invalid", errors)
    for key, value in new.items():
        setattr(team, key, value)
    session.flush()
    old, changed_to = audit.changed(before, new)
    action = "team.move" if "parent_id" in changed_to else "team.update"
    audit.record(session, actor, action, "team", team.id, old, changed_to)
    return True


def _managed_roots(session: Session, actor: Actor) -> set[int]:
    return set(session.scalars(select(Team.id).where(Team.manager_user_id == actor.user_id)))


def move_team(session: Session, actor: Actor, team_id: int, new_parent_id: int | None) -> bool:
    """Move a sub-team under another parent (refuses cycles and parents outside the scope)."""
    return update_team(session, actor, team_id, parent_id=new_parent_id)


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------
def roster_frame(session: Session, actor: Actor, team_id: int | None = None, include_left: bool = False) -> pd.DataFrame:
    """Visible members (of one team and its sub-teams, or all), with load next to capacity.

    Columns: id, name, email, phone, team_id, role, manager_id, status, max_customers, customers,
    max_open_tasks, open_tasks, specialties (list of 'kind:value'), username."""
    _ensure_lead(actor)
    scope = scope_for(session, actor)
    query = (
        select(Member, Role.code, User.username)
        .join(Role, Role.id == Member.role_id)
        .outerjoin(User, User.id == Member.user_id)
        .where(scope_clause(scope, Member))
        .order_by(Member.team_id, Member.name, Member.id)
    )
    if team_id is not None:
        query = query.where(Member.team_id.in_(sorted(subtree_team_ids(session, {team_id}))))
    if not include_left:
        query = query.where(Member.status != "left")
    rows = session.execute(query).all()
    ids = [m.id for m, _, _ in rows]
    load = member_load(session, ids)
    tags: dict[int, list[str]] = {}
    if ids:
        for member_id, kind, value in session.execute(
            select(MemberSpecialty.member_id, MemberSpecialty.kind, MemberSpecialty.value)
            .where(MemberSpecialty.member_id.in_(ids)).order_by(MemberSpecialty.kind, MemberSpecialty.value)
        ):
            tags.setdefault(member_id, []).append(specialty_tag(kind, value))
    columns = ["id", "name", "email", "phone", "team_id", "role", "manager_id", "status", "max_customers",
               "customers", "max_open_tasks", "open_tasks", "specialties", "username"]
    data = [
        {
            "id": m.id, "name": m.name, "email": m.email, "phone": m.phone, "team_id": m.team_id, "role": code,
            "manager_id": m.manager_id, "status": m.status, "max_customers": m.max_customers,
            "customers": load[m.id][0], "max_open_tasks": m.max_open_tasks, "open_tasks": load[m.id][1],
            "specialties": tags.get(m.id, []), "username": username,
        }
        for m, code, username in rows
    ]
    frame = pd.DataFrame(data, columns=columns)
    for col in ("id", "team_id", "max_customers", "customers", "max_open_tasks", "open_tasks"):
        frame[col] = frame[col].astype("int64")
    frame["manager_id"] = frame["manager_id"].astype("Int64")
    return frame


@dataclass
class _CleanRow:
    index: int  # 1-based row number as the user sees it
    id: int | None
    values: dict[str, Any]
    specialties: list[tuple[str, str]]


@dataclass
class _Table:
    """What every row of an edited member table is checked against; `seen_emails` fills as rows
    are read (e-mail -> the first row that used it)."""
    session: Session
    scope: Scope
    roles: dict[str, int]  # active role code -> id
    team_ids: set[int]  # every team
    existing: dict[int, Member]  # the members the table's rows edit
    seen_emails: dict[str, int]


class _RowErrors:
    """The problems of one row, each at this row and the named column."""

    def __init__(self, position: int) -> None:
        self.position = position
        self.errors: list[FieldError] = []

    def __call__(self, key: str, column: str, **params: Any) -> None:
        self.errors.append(FieldError(key, params, row=self.position, column=column))


def _edited_members(session: Session, rows: list[dict]) -> dict[int, Member]:
    existing_ids = [r["id"] for r in (dict(x) for x in rows) if not _blank(r.get("id"))]
    existing: dict[int, Member] = {}
    if existing_ids:
        for m in session.scalars(select(Member).where(Member.id.in_([int(i) for i in existing_ids]))):
            existing[m.id] = m
    return existing


def _row_member_id(table: _Table, row: dict) -> int | None:
    """The member a row edits (None: a new one); an unknown or out-of-scope id refuses the whole save."""
    member_id = _int_or_none(row.get("id"))
    if member_id is not None:
        if table.existing.get(member_id) is None:
            raise NotFound("error.not_found")
        if not table.scope.has_member(member_id):
            raise PermissionDenied("error.permission_denied")
    return member_id


def _row_name(row: dict, err: _RowErrors) -> str | None:
    name = _text(row.get("name"))
    if not name:
        err("roster.name_required", COL_NAME)
    elif len(name) > 120:
        err("roster.too_long", COL_NAME, max=120)
    return name


def _row_email(table: _Table, row: dict, err: _RowErrors) -> str | None:
    """Lower-cased; well-formed and not used by an earlier row of the same table."""
    email = _text(row.get("email"))
    if email is not None:
        email = email.lower()
        if not _EMAIL.match(email) or len(email) > 255:
            err("roster.bad_email", COL_EMAIL, value=email)
        elif email in table.seen_emails:
            err("roster.duplicate_email", COL_EMAIL, value=email, other=table.seen_emails[email])
        else:
            table.seen_emails[email] = err.position
    return email


def _row_team(table: _Table, row: dict, err: _RowErrors) -> int | None:
    team_id = _int_or_none(row.get("team_id"))
    if team_id is None or team_id not in table.team_ids:
        err("roster.team_required", COL_TEAM)
    elif not table.scope.everything and team_id not in table.scope.team_ids:
        err("roster.team_out_of_scope", COL_TEAM)
    return team_id


def _row_role(table: _Table, row: dict, err: _RowErrors) -> int | None:
    role = _text(row.get("role"))
    if role is None:
        err("roster.role_required", COL_ROLE)
    elif role not in table.roles:
        err("roster.unknown_role", COL_ROLE, value=role)
    return table.roles.get(role)


def _row_manager(table: _Table, row: dict, member_id: int | None, err: _RowErrors) -> int | None:
    manager_id = _int_or_none(row.get("manager_id"))
    if manager_id is not None:
        if member_id is not None and manager_id == member_id:
            err("roster.own_manager", COL_MANAGER)
        elif not table.scope.has_member(manager_id) or table.session.get(Member, manager_id) is None:
            err("roster.manager_out_of_scope", COL_MANAGER)
    return manager_id


def _row_status(row: dict, err: _RowErrors) -> str:
    status = _text(row.get("status")) or "active"
    if status not in MEMBER_STATUSES:
        err("roster.unknown_status", COL_STATUS, value=status)
    return status


def _row_capacities(row: dict, member_id: int | None, err: _RowErrors) -> dict[str, int | None]:
    """max_customers and max_open_tasks: whole numbers, the defaults for a new member's blank cell."""
    values: dict[str, int | None] = {}
    for key, column, default in (
        ("max_customers", COL_MAX_CUSTOMERS, DEFAULT_MAX_CUSTOMERS),
        ("max_open_tasks", COL_MAX_OPEN_TASKS, DEFAULT_MAX_OPEN_TASKS),
    ):
        cell = row.get(key)
        if member_id is None and _blank(cell):
            cell = default
        number, problem = _count(cell)
        if problem:
            err(problem, column, value=cell)
        else:  # bounded in core.limits (0-100,000): 1e10 is a row error here, not a failed save
            err.errors.extend(limits.problems(Member, {key: number}, row=err.position, columns={key: column}))
        values[key] = number
    return values


def _row_specialties(row: dict, err: _RowErrors) -> list[tuple[str, str]]:
    specialties: list[tuple[str, str]] = []
    for tag in _tags(row.get("specialties")):
        parsed = parse_specialty(tag)
        if parsed is None:
            err("roster.bad_specialty", COL_SPECIALTIES, value=tag, kinds=", ".join(SPECIALTY_KINDS))
        elif parsed not in specialties:
            specialties.append(parsed)
    return specialties


def _check_row(table: _Table, position: int, raw: dict) -> tuple[_CleanRow, list[FieldError]]:
    """One row's cells cleaned, with its problems in column order."""
    row = dict(raw)
    member_id = _row_member_id(table, row)
    err = _RowErrors(position)
    values: dict[str, Any] = {}
    values["name"] = _row_name(row, err)
    values["email"] = _row_email(table, row, err)
    values["phone"] = _text(row.get("phone"))
    values["team_id"] = _row_team(table, row, err)
    values["role_id"] = _row_role(table, row, err)
    values["manager_id"] = _row_manager(table, row, member_id, err)
    values["status"] = _row_status(row, err)
    values.update(_row_capacities(row, member_id, err))
    specialties = _row_specialties(row, err)
    return _CleanRow(position, member_id, values, specialties), err.errors


def _emails_taken(session: Session, clean: list[_CleanRow]) -> list[FieldError]:
    """E-mail addresses already used by members outside this table."""
    errors: list[FieldError] = []
    emails = {c.values["email"]: c for c in clean if c.values["email"]}
    if emails:
        edited_ids = {c.id for c in clean if c.id is not None}
        for other_id, other_email in session.execute(
            select(Member.id, func.lower(Member.email)).where(func.lower(Member.email).in_(list(emails)))
        ):
            if other_id not in edited_ids:
                c = emails[other_email]
                errors.append(FieldError("roster.email_taken", {"value": other_email}, row=c.index, column=COL_EMAIL))
    return errors


def _left_with_work(session: Session, clean: list[_CleanRow], existing: dict[int, Member]) -> list[FieldError]:
    """Nobody may leave while still holding customers or open tasks: hand over first."""
    errors: list[FieldError] = []
    leaving = [c for c in clean if c.id is not None and c.values["status"] == "left" and existing[c.id].status != "left"]
    if leaving:
        load = member_load(session, [c.id for c in leaving])
        for c in leaving:
            customers, tasks = load[c.id]
            if customers or tasks:
                errors.append(FieldError("roster.left_with_work", {"customers": customers, "tasks": tasks},
                                         row=c.index, column=COL_STATUS))
    return errors


def _manager_cycles(session: Session, clean: list[_CleanRow]) -> list[FieldError]:
    """Manager chains must not loop (a manages b manages a), counting the table's edits."""
    errors: list[FieldError] = []
    managers = dict(session.execute(select(Member.id, Member.manager_id)).all())
    for c in clean:
        if c.id is not None:  # a member named as their own manager is reported once, by _row_manager
            managers[c.id] = None if c.values["manager_id"] == c.id else c.values["manager_id"]
    for c in clean:
        if c.id is None or c.values["manager_id"] is None or c.values["manager_id"] == c.id:
            continue
        seen = {c.id}
        current = c.values["manager_id"]
        while current is not None:
            if current in seen:
                errors.append(FieldError("roster.manager_cycle", row=c.index, column=COL_MANAGER))
                break
            seen.add(current)
            current = managers.get(current)
    return errors


def _validate_rows(session: Session, actor: Actor, scope: Scope, rows: list[dict]) -> tuple[list[_CleanRow], list[FieldError]]:
    roles = {code: rid for rid, code in session.execute(select(Role.id, Role.code).where(Role.active.is_(True)))}
    existing = _edited_members(session, rows)
    table = _Table(session, scope, roles, set(session.scalars(select(Team.id))), existing, {})
    errors: list[FieldError] = []
    clean: list[_CleanRow] = []
    for position, raw in enumerate(rows, start=1):
        row, row_errors = _check_row(table, position, raw)
        clean.append(row)
        errors.extend(row_errors)
    errors.extend(_emails_taken(session, clean))
    errors.extend(_left_with_work(session, clean, existing))
    errors.extend(_manager_cycles(session, clean))
    errors.sort(key=lambda e: (e.row or 0))
    return clean, errors


def _member_snapshot(member: Member, specialties: list[str]) -> dict[str, Any]:
    data = audit.snapshot(member, _MEMBER_FIELDS)
    data["specialties"] = sorted(specialties)
    return data


TEAM_CHANGE_MOVE, TEAM_CHANGE_HANDOVER, TEAM_CHANGE_KEEP = "move", "handover", "keep"
TEAM_CHANGES = (TEAM_CHANGE_MOVE, TEAM_CHANGE_HANDOVER, TEAM_CHANGE_KEEP)


def _follow_team_change(session: Session, actor: Actor, member: Member, old_team_id: int, mode: str) -> dict[str, int]:
    """What happens to a member's customers and open tasks when the member changes team, in the
    same transaction: they move with the member (default), are handed over to the old team's
    queue (unowned, still in the old team, for its manager to give out), or are kept as they are."""

    counts = {"customers": 0, "tasks": 0}
    if mode == TEAM_CHANGE_KEEP:
        return counts
    customers = session.scalars(select(Customer).where(Customer.owner_id == member.id)).all()
    open_tasks = session.scalars(select(Task).where(Task.assignee_id == member.id, Task.status != "done")).all()
    for customer in customers:
        if mode == TEAM_CHANGE_MOVE:
            if customer.team_id != member.team_id:
                before = audit.snapshot(customer, ["team_id"])
                customer.team_id = member.team_id
                audit.record(session, actor, "customer.team", "customer", customer.id, before, {"team_id": member.team_id})
                counts["customers"] += 1
        else:
            customer.team_id = customer.team_id or old_team_id
            if assignment.set_owner(session, actor, customer, None, "screens.reason.team_change", name=member.name):
                counts["customers"] += 1
    for task in open_tasks:
        before = audit.snapshot(task, ["assignee_id", "team_id"])
        if mode == TEAM_CHANGE_MOVE:
            if task.team_id == member.team_id:
                continue
            task.team_id = member.team_id
        else:
            task.assignee_id = None
        task.version += 1
        audit.record(session, actor, "task.reassign", "task", task.id, before, audit.snapshot(task, ["assignee_id", "team_id"]))
        counts["tasks"] += 1
    session.flush()
    return counts


def _create_member(session: Session, actor: Actor, c: _CleanRow, tags: list[str]) -> None:
    member = Member(**c.values)
    member.specialties = [MemberSpecialty(kind=k, value=v) for k, v in c.specialties]
    session.add(member)
    session.flush()
    audit.record(session, actor, "member.create", "member", member.id, None, _member_snapshot(member, tags))


def _below_load(session: Session, member: Member) -> dict[str, Any] | None:
    """The member's load against the new capacity, when it carries more than that (saved, but said)."""
    customers_now, tasks_now = member_load(session, [member.id])[member.id]
    over_c = member.max_customers is not None and customers_now > member.max_customers
    over_t = member.max_open_tasks is not None and tasks_now > member.max_open_tasks
    if over_c or over_t:
        return {"name": member.name, "customers": (customers_now, member.max_customers),
                "tasks": (tasks_now, member.max_open_tasks)}
    return None


def _set_specialties(member: Member, specialties: list[tuple[str, str]]) -> None:
    """Remove the tags no longer listed and add the new ones; the rows of unchanged tags stay."""
    keep = {(k, v) for k, v in specialties}
    for s in list(member.specialties):
        if (s.kind, s.value) not in keep:
            member.specialties.remove(s)
    have = {(s.kind, s.value) for s in member.specialties}
    for k, v in specialties:
        if (k, v) not in have:
            member.specialties.append(MemberSpecialty(kind=k, value=v))


@dataclass
class _SaveResult:
    created: int = 0
    updated: int = 0
    moved_customers: int = 0
    moved_tasks: int = 0
    below_load: list[dict[str, Any]] = field(default_factory=list)


def _update_member(session: Session, actor: Actor, c: _CleanRow, tags: list[str], team_change: str, result: _SaveResult) -> None:
    """Write one edited row onto its member (nothing when nothing changed): a changed team is
    followed by the member's work (`team_change`), a lowered capacity is reported in `result`."""
    member = session.get(Member, c.id)
    current_tags = sorted(specialty_tag(s.kind, s.value) for s in member.specialties)
    before = _member_snapshot(member, current_tags)
    after = dict(before)
    after.update(c.values)
    after["specialties"] = tags
    if after == before:
        return
    old_team_id = member.team_id
    for key, value in c.values.items():
        setattr(member, key, value)
    if member.team_id != old_team_id:
        session.flush()
        moved = _follow_team_change(session, actor, member, old_team_id, team_change)
        result.moved_customers += moved["customers"]
        result.moved_tasks += moved["tasks"]
    if before.get("max_customers") != after.get("max_customers") or before.get("max_open_tasks") != after.get("max_open_tasks"):
        below = _below_load(session, member)
        if below is not None:
            result.below_load.append(below)
    if tags != current_tags:
        _set_specialties(member, c.specialties)
    session.flush()
    old, new = audit.changed(before, after)
    action = "member.status" if set(new) == {"status"} else "member.update"
    audit.record(session, actor, action, "member", member.id, old, new)
    result.updated += 1


def save_members(session: Session, actor: Actor, rows: list[dict], team_change: str = TEAM_CHANGE_MOVE) -> dict[str, Any]:
    """Create and update members from an edited table: each row a dict with id (None for a new
    member), name, email, phone, team_id, role (code), manager_id, status, max_customers,
    max_open_tasks, specialties ('kind:value' tags). Every row is checked first; if any is wrong,
    InvalidInput lists each problem with its row and column and nothing is written.
    A member whose team changes takes their customers and open tasks along, hands them over to
    the old team or keeps them where they are (`team_change`), in the same transaction.
    Returns {"created": n, "updated": n, "moved_customers": n, "moved_tasks": n, "below_load":
    [{"name", "customers": (load, capacity), "tasks": (load, capacity)}]} — the members whose new
    capacity is below what they already carry (saved, but said)."""
    _ensure_lead(actor)
    if team_change not in TEAM_CHANGES:
        raise InvalidInput("error.invalid")
    scope = scope_for(session, actor)
    clean, errors = _validate_rows(session, actor, scope, rows)
    if errors:
        raise InvalidInput("roster.rows_invalid", errors, count=len({e.row for e in errors}))
    result = _SaveResult()
    for c in clean:
        tags = sorted(specialty_tag(k, v) for k, v in c.specialties)
        if c.id is None:
            _create_member(session, actor, c, tags)
            result.created += 1
        else:
            _update_member(session, actor, c, tags, team_change, result)
    return {"created": result.created, "updated": result.updated, "moved_customers": result.moved_customers,
            "moved_tasks": result.moved_tasks, "below_load": result.below_load}


_FIELD_COLUMNS = {
    "name": COL_NAME, "email": COL_EMAIL, "phone": COL_PHONE, "team_id": COL_TEAM, "role_id": COL_ROLE,
    "manager_id": COL_MANAGER, "status": COL_STATUS, "max_customers": COL_MAX_CUSTOMERS,
    "max_open_tasks": COL_MAX_OPEN_TASKS, "specialties": COL_SPECIALTIES,
}


def member_history(session: Session, actor: Actor, member_id: int, limit: int = 50) -> list[dict]:
    """The audit trail of one member, newest first (roster changes, handovers). Each entry has
    at, who, action, and `changes`: [{"column": <column key>, "before", "after"}] with ids
    resolved to readable values (team path, role code, manager name); a handover has `moved`
    ({"customers": n, "tasks": n})."""
    _ensure_lead(actor)
    load(session, actor, Member, member_id, READ)
    entries = audit.history(session, "member", member_id, limit)
    ids: dict[str, set[int]] = {"team_id": set(), "role_id": set(), "manager_id": set()}
    for e in entries:
        for snap in (e["before"] or {}, e["after"] or {}):
            for field_name, bucket in ids.items():
                if isinstance(snap.get(field_name), int):
                    bucket.add(snap[field_name])
    teams = dict(session.execute(select(Team.id, Team.name).where(Team.id.in_(ids["team_id"]))).all()) if ids["team_id"] else {}
    roles = dict(session.execute(select(Role.id, Role.code).where(Role.id.in_(ids["role_id"]))).all()) if ids["role_id"] else {}
    people = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(ids["manager_id"]))).all()) if ids["manager_id"] else {}
    lookups = {"team_id": teams, "role_id": roles, "manager_id": people}

    def shown(field_name: str, value: Any) -> Any:
        if value is None:
            return None
        if field_name in lookups:
            return lookups[field_name].get(value, f"#{value}")
        if isinstance(value, list):
            return ", ".join(value)
        return value

    out = []
    for e in entries:
        before, after = e["before"] or {}, e["after"] or {}
        entry = {"at": e["at"], "who": e["who"], "action": e["action"], "changes": [], "moved": None}
        if e["action"] == "member.handover":
            entry["moved"] = {"customers": after.get("customers", 0), "tasks": after.get("tasks", 0)}
        else:
            for field_name, value in after.items():
                if field_name in _FIELD_COLUMNS:
                    entry["changes"].append({"column": _FIELD_COLUMNS[field_name], "field": field_name,
                                             "before": shown(field_name, before.get(field_name)) if before else None,
                                             "after": shown(field_name, value)})
        out.append(entry)
    return out
