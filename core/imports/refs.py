"""The existing records an upload refers to (teams, members, customers, choices) and values that match none."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import i18n
from core.imports.fields import STANDARD_INDUSTRIES, STANDARD_REGIONS, _enum_lookup, fields_for
from core.imports.rules import UnknownValue, _number, _similar, importer_roles
from core.permissions import (
    Actor,
    ensure_role,
    scope_clause,
    scope_for,
)
from db.models import (
    Customer,
    Interaction,
    Member,
    Role,
    Team,
)


# ---------------------------------------------------------------------------------------------
# Reference data (what names resolve to)
# ---------------------------------------------------------------------------------------------
@dataclass
class _Refs:
    teams: dict[str, list[int]] = field(default_factory=dict)
    team_names: dict[int, str] = field(default_factory=dict)
    members: dict[str, list[int]] = field(default_factory=dict)
    member_team: dict[int, int] = field(default_factory=dict)
    customers: dict[str, list[int]] = field(default_factory=dict)  # by external id and by name
    customer_codes: dict[str, list[int]] = field(default_factory=dict)  # by external id only: a code wins over a name
    customer_info: dict[int, tuple] = field(default_factory=dict)  # id -> (owner_id, team_id, tier, last_contact_at)
    roles: dict[str, int] = field(default_factory=dict)
    free: dict[str, Counter] = field(default_factory=dict)
    interactions: dict[int, tuple[int, int | None]] = field(default_factory=dict)  # id -> (customer_id, member_id)


def _add(index: dict[str, list[int]], key: Any, value: int) -> None:
    if key:
        bucket = index.setdefault(str(key).strip().lower(), [])
        if value not in bucket:
            bucket.append(value)


def _load_refs(session: Session, actor: Actor, kind: str) -> _Refs:
    scope = scope_for(session, actor)
    refs = _Refs()
    for tid, name in session.execute(select(Team.id, Team.name).where(scope_clause(scope, Team))).all():
        _add(refs.teams, name, tid)
        refs.team_names[tid] = name
    for mid, name, email, ext, team_id in session.execute(
        select(Member.id, Member.name, Member.email, Member.external_id, Member.team_id).where(scope_clause(scope, Member), Member.status != "left")
    ).all():
        for key in (ext, email, name):
            _add(refs.members, key, mid)
        refs.member_team[mid] = team_id
    for rid, code, zh, en in session.execute(select(Role.id, Role.code, Role.name_zh, Role.name_en).where(Role.active.is_(True))).all():
        for key in (code, zh, en, i18n.t(f"member_role.{code}", "zh"), i18n.t(f"member_role.{code}", "en")):
            refs.roles[str(key).strip().lower()] = rid
    if kind in ("deals", "interactions", "contacts", "surveys", "complaints"):
        for cid, name, ext, owner, team, tier, last in session.execute(
            select(Customer.id, Customer.name, Customer.external_id, Customer.owner_id, Customer.team_id, Customer.tier,
                   Customer.last_contact_at).where(scope_clause(scope, Customer))
        ).all():
            _add(refs.customers, ext, cid)
            _add(refs.customers, name, cid)
            _add(refs.customer_codes, ext, cid)
            refs.customer_info[cid] = (owner, team, tier, last)
    if kind == "customers":
        for column, standard in (("industry", STANDARD_INDUSTRIES), ("region", STANDARD_REGIONS)):
            col = getattr(Customer, column)
            counts = Counter({v: n for v, n in session.execute(
                select(col, func.count()).where(scope_clause(scope, Customer)).group_by(col)).all()})
            for value in standard:
                counts.setdefault(value, 0)
            refs.free[column] = counts
    return refs


def _load_interactions(session: Session, actor: Actor, refs: _Refs, values: list[str]) -> None:
    """The interactions a file names by id (a survey's), among the customers in the actor's scope:
    one outside it is unknown, like one that does not exist."""
    ids = sorted({int(v) for v in values if str(v).strip().isdecimal() and int(v) < 2**31})
    scope = scope_for(session, actor)
    for start in range(0, len(ids), 900):
        for iid, cid, mid in session.execute(
            select(Interaction.id, Interaction.customer_id, Interaction.member_id)
            .join(Customer, Customer.id == Interaction.customer_id)
            .where(Interaction.id.in_(ids[start:start + 900]), scope_clause(scope, Customer))
        ).all():
            refs.interactions[iid] = (cid, mid)


def unknown_values(session: Session, actor: Actor, kind: str, frame: pd.DataFrame,
                   mapping: dict[str, str | None]) -> list[UnknownValue]:
    """Values of mapped columns that match nothing we know, each with the closest known value."""
    ensure_role(actor, *importer_roles(kind))
    refs = _load_refs(session, actor, kind)
    specs = {s.name: s for s in fields_for(kind)}
    result: list[UnknownValue] = []
    for column, target in mapping.items():
        if not target or column not in frame.columns:
            continue
        spec = specs[target]
        counts = Counter(v for v in frame[column] if v)
        if spec.kind == "free":
            if target not in refs.free:
                continue  # a free text without a known list (a member's office): nothing to ask
            known = refs.free.get(target, Counter())
            lower = {k.lower() for k in known}
            for value, n in sorted(counts.items()):
                if value.lower() not in lower:
                    options = sorted(known, key=lambda k: -known[k])
                    result.append(UnknownValue(target, column, value, n, _similar(value, options, known), tuple(options), True))
        elif spec.kind == "enum":
            if counts and all(_number(v) is not None for v in counts):
                continue  # numbers (a head count for the size): bucket limits are asked once instead
            table = _enum_lookup(spec)
            for value, n in sorted(counts.items()):
                if value.lower() not in table:
                    labels = list(table)
                    close = _similar(value, labels)
                    result.append(UnknownValue(target, column, value, n, table[close] if close else None, spec.choices, False))
        elif spec.kind == "team":
            for value, n in sorted(counts.items()):
                if value.lower() not in refs.teams:
                    options = sorted(refs.team_names.values())
                    result.append(UnknownValue(target, column, value, n, _similar(value, options), tuple(options), False))
    return result
