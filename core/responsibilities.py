"""The roles-and-responsibilities (RACI) table of a team: responsibilities × roles (and named
members), each cell R, A, C, I or empty.

`raci_grid` reads a team's table as a DataFrame (one column per role, `role:<code>`, and per named
member, `member:<id>`); `save_raci` replaces the team's table with an edited one after checking
every row: a name, no duplicate names, only R/A/C/I letters, and exactly one Accountable per
responsibility. Nothing is saved unless every row is valid; every change is audited.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import FieldError, InvalidInput, NotFound
from core.permissions import Actor, Scope, ensure_member, ensure_role, ensure_team, scope_for
from core.roster import _blank, _text
from db.models import RACI, Member, Responsibility, ResponsibilityAssignment, Role, Team

COL_NAME = "raci.col.name"
COL_DESCRIPTION = "raci.col.description"
COL_ACCOUNTABLE = "raci.col.accountable"


def role_column(code: str) -> str:
    return f"role:{code}"


def member_column(member_id: int) -> str:
    return f"member:{member_id}"


@dataclass
class RaciColumn:
    key: str  # role:<code> | member:<id>
    kind: str  # role | member
    code: str | None = None  # role code
    member_id: int | None = None
    name: str = ""  # member name, or the role's English name (pages translate role codes)
    name_zh: str = ""


@dataclass
class RaciGrid:
    team_id: int | None
    frame: pd.DataFrame  # id, name, description, then one column per RaciColumn
    columns: list[RaciColumn] = field(default_factory=list)
    # responsibilities stored without exactly one Accountable (e.g. imported), to point out
    not_one_accountable: list[str] = field(default_factory=list)


def _check_team(session: Session, actor: Actor, scope: Scope, team_id: int | None, write: bool) -> None:
    ensure_role(actor, "admin", "manager")
    if team_id is None:
        if write:
            ensure_role(actor, "admin")  # the organisation-wide table belongs to admins
        return
    if session.get(Team, team_id) is None:
        raise NotFound("error.not_found")
    ensure_team(scope, team_id)


def raci_grid(session: Session, actor: Actor, team_id: int | None, extra_member_ids: tuple[int, ...] = ()) -> RaciGrid:
    """The team's table (team None: the organisation-wide one). Roles are columns; named members
    are columns when they hold a letter somewhere or are asked for in `extra_member_ids`."""
    scope = scope_for(session, actor)
    _check_team(session, actor, scope, team_id, write=False)
    responsibilities = list(session.scalars(
        select(Responsibility)
        .where(Responsibility.team_id.is_(None) if team_id is None else Responsibility.team_id == team_id)
        .order_by(Responsibility.name)
    ))
    ids = [r.id for r in responsibilities]
    cells = list(session.scalars(select(ResponsibilityAssignment).where(ResponsibilityAssignment.responsibility_id.in_(ids)))) if ids else []
    roles = list(session.scalars(select(Role).where(Role.active.is_(True)).order_by(Role.id)))
    role_by_id = {r.id: r for r in session.scalars(select(Role))}
    member_ids = sorted({c.member_id for c in cells if c.member_id} | {int(m) for m in extra_member_ids if scope.has_member(int(m))})
    members = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(member_ids)))} if member_ids else {}
    columns = [RaciColumn(role_column(r.code), "role", code=r.code, name=r.name_en, name_zh=r.name_zh) for r in roles]
    columns += [RaciColumn(member_column(m), "member", member_id=m, name=members[m].name, name_zh=members[m].name)
                for m in member_ids if m in members]
    data = []
    for r in responsibilities:
        row: dict[str, Any] = {"id": r.id, "name": r.name, "description": r.description or ""}
        row.update({c.key: None for c in columns})  # empty cell
        data.append(row)
    by_id = {row["id"]: row for row in data}
    for c in cells:
        key = role_column(role_by_id[c.role_id].code) if c.role_id else member_column(c.member_id)
        if key in by_id[c.responsibility_id]:
            by_id[c.responsibility_id][key] = c.raci
    frame = pd.DataFrame(data, columns=["id", "name", "description"] + [c.key for c in columns])
    frame["id"] = frame["id"].astype("Int64")
    accountable = {r.id: 0 for r in responsibilities}
    for c in cells:
        if c.raci == "A":
            accountable[c.responsibility_id] += 1
    problems = [r.name for r in responsibilities if accountable[r.id] != 1]
    return RaciGrid(team_id, frame, columns, problems)


def _letters(session: Session, scope: Scope, row: dict, position: int, roles: dict[str, int],
             errors: list[FieldError]) -> dict[tuple[str, int], str]:
    """{("role"|"member", id): letter} for one row; bad cells become FieldErrors."""
    out: dict[tuple[str, int], str] = {}
    for key, value in row.items():
        if not isinstance(key, str) or ":" not in key:
            continue
        kind, _, ref = key.partition(":")
        letter = _text(value)
        if letter is None:
            continue
        letter = letter.upper()
        if letter not in RACI:
            errors.append(FieldError("raci.bad_letter", {"value": value}, row=position, column=key))
            continue
        if kind == "role":
            if ref not in roles:
                errors.append(FieldError("raci.unknown_role", {"value": ref}, row=position, column=key))
                continue
            out[("role", roles[ref])] = letter
        elif kind == "member":
            member_id = int(ref)
            ensure_member(scope, member_id)
            if session.get(Member, member_id) is None:
                raise NotFound("error.not_found")
            out[("member", member_id)] = letter
    return out


_Planned = tuple[Responsibility | None, str, str | None, dict[tuple[str, int], str]]  # row, name, description, letters


def _name_error(name: str | None, position: int, names: dict[str, int]) -> FieldError | None:
    """A row's name: required, at most 160 characters, unique in the table (case aside); `names`
    keeps the row of each name seen."""
    if not name:
        return FieldError("raci.name_required", row=position, column=COL_NAME)
    if len(name) > 160:
        return FieldError("raci.too_long", {"max": 160}, row=position, column=COL_NAME)
    if name.lower() in names:
        return FieldError("raci.duplicate_name", {"name": name, "other": names[name.lower()]}, row=position, column=COL_NAME)
    names[name.lower()] = position
    return None


def _accountable_error(label: str, letters: dict[tuple[str, int], str], position: int) -> FieldError | None:
    """Exactly one A per responsibility."""
    accountable = [k for k, v in letters.items() if v == "A"]
    if not accountable:
        return FieldError("raci.no_accountable", {"name": label}, row=position, column=COL_ACCOUNTABLE)
    if len(accountable) > 1:
        return FieldError("raci.many_accountable", {"name": label, "count": len(accountable)}, row=position, column=COL_ACCOUNTABLE)
    return None


def _raci_plan(session: Session, scope: Scope, rows: list[dict], existing: dict[int, Responsibility]) -> list[_Planned]:
    """Every row checked first; any problem refuses the whole table, listing each."""
    roles = {code: rid for rid, code in session.execute(select(Role.id, Role.code))}
    errors: list[FieldError] = []
    plan: list[_Planned] = []
    names: dict[str, int] = {}
    for position, raw in enumerate(rows, start=1):
        row = dict(raw)
        rid = None if _blank(row.get("id")) else int(row["id"])
        if rid is not None and rid not in existing:
            raise NotFound("error.not_found")
        name = _text(row.get("name"))
        letters = _letters(session, scope, row, position, roles, errors)
        for error in (_name_error(name, position, names), _accountable_error(name or f"#{position}", letters, position)):
            if error is not None:
                errors.append(error)
        plan.append((existing.get(rid) if rid else None, name or "", _text(row.get("description")), letters))
    if errors:
        raise InvalidInput("raci.rows_invalid", errors, count=len({e.row for e in errors}))
    return plan


def _delete_missing(session: Session, actor: Actor, existing: dict[int, Responsibility], plan: list[_Planned]) -> int:
    """Delete the responsibilities the edited table no longer has."""
    kept = {r.id for r, *_ in plan if r is not None}
    deleted = 0
    for rid, resp in existing.items():
        if rid not in kept:
            audit.record(session, actor, "responsibility.delete", "responsibility", rid, _state(resp), None)
            session.delete(resp)
            deleted += 1
    return deleted


def _create_responsibility(session: Session, actor: Actor, team_id: int | None, name: str, description: str | None,
                           letters: dict[tuple[str, int], str]) -> None:
    resp = Responsibility(team_id=team_id, name=name, description=description)
    resp.assignments = [_cell(resp, k, v) for k, v in letters.items()]
    session.add(resp)
    session.flush()
    audit.record(session, actor, "responsibility.create", "responsibility", resp.id, None, _state(resp))


def _update_responsibility(session: Session, actor: Actor, resp: Responsibility, name: str, description: str | None,
                           letters: dict[tuple[str, int], str]) -> bool:
    """Write a row onto its responsibility, changing only the cells that differ; True if anything changed."""
    before = _state(resp)
    resp.name, resp.description = name, description
    current = {_cell_key(c): c for c in resp.assignments}
    for key, cell in current.items():
        if key not in letters:
            resp.assignments.remove(cell)
        elif cell.raci != letters[key]:
            cell.raci = letters[key]
    for key, letter in letters.items():
        if key not in current:
            resp.assignments.append(_cell(resp, key, letter))
    session.flush()
    after = _state(resp)
    if after == before:
        return False
    old, new = audit.changed(before, after)
    audit.record(session, actor, "responsibility.update", "responsibility", resp.id, old, new)
    return True


def save_raci(session: Session, actor: Actor, team_id: int | None, rows: list[dict]) -> dict[str, int]:
    """Replace the team's RACI table with `rows` (the whole edited table: rows missing from it are
    deleted). Each row: id (None for a new responsibility), name, description and cells keyed
    `role:<code>` / `member:<id>`. Returns {"created", "updated", "deleted"}."""
    scope = scope_for(session, actor)
    _check_team(session, actor, scope, team_id, write=True)
    existing = {r.id: r for r in session.scalars(
        select(Responsibility).where(Responsibility.team_id.is_(None) if team_id is None else Responsibility.team_id == team_id)
    )}
    plan = _raci_plan(session, scope, rows, existing)
    counts = {"created": 0, "updated": 0, "deleted": 0}
    counts["deleted"] = _delete_missing(session, actor, existing, plan)
    session.flush()  # free the names of deleted rows before reusing them
    for resp, name, description, letters in plan:
        if resp is None:
            _create_responsibility(session, actor, team_id, name, description, letters)
            counts["created"] += 1
        elif _update_responsibility(session, actor, resp, name, description, letters):
            counts["updated"] += 1
    return counts


def _cell_key(cell: ResponsibilityAssignment) -> tuple[str, int]:
    return ("role", cell.role_id) if cell.role_id is not None else ("member", cell.member_id)


def _cell(resp: Responsibility, key: tuple[str, int], letter: str) -> ResponsibilityAssignment:
    kind, ref = key
    return ResponsibilityAssignment(role_id=ref if kind == "role" else None, member_id=ref if kind == "member" else None, raci=letter)


def _state(resp: Responsibility) -> dict[str, Any]:
    return {
        "name": resp.name,
        "description": resp.description,
        "cells": {f"{k}:{ref}": c.raci for c in resp.assignments for k, ref in [_cell_key(c)]},
    }
