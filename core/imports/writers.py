"""The writer of each import kind: customers (with owners by room), members (with teams and logins), deals, interactions and the simple kinds."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import i18n
from core.assignment import (
    _candidates,
    active_rules,
    encode_reason,
    matching_rule,
    rule_target_team,
    score_candidate,
)
from core.communication import DEFAULT_CADENCE, cadence_for, next_follow_up_date
from core.errors import FieldError, InvalidInput
from core.imports.bulk import _bulk, _chunks, _insert_returning_ids
from core.imports.rules import _ENTITY, _MODELS, ImportResult
from core.permissions import (
    Actor,
    scope_clause,
    scope_for,
    subtree_team_ids,
)
from db.base import utcnow
from db.models import (
    AssignmentHistory,
    AuditLog,
    Customer,
    Deal,
    DealStage,
    Interaction,
    Member,
    Team,
)


def _write_customers(session: Session, actor: Actor, rows: list[dict], report) -> ImportResult:
    scope = scope_for(session, actor)
    now = utcnow()
    people = {c.member_id: c for c in _candidates(session, scope)}
    by_team: dict[int, list] = {}
    for c in people.values():
        by_team.setdefault(c.team_id, []).append(c)
    subtree_cache: dict[int, list] = {}

    def pool(team_id: int | None) -> list:
        if team_id is None:
            return list(people.values())
        if team_id not in subtree_cache:
            subtree_cache[team_id] = [c for t in subtree_team_ids(session, {team_id}) for c in by_team.get(t, [])]
        return subtree_cache[team_id]

    member_team = {mid: c.team_id for mid, c in people.items()}
    member_team.update(dict(session.execute(select(Member.id, Member.team_id).where(scope_clause(scope, Member))).all()))
    cadences: dict[int | None, dict[str, int]] = {}
    rules = active_rules(session, scope)
    subtrees: dict[int, set[int]] = {}  # team -> its sub-teams, for matching rules to rows
    inserts, why_by_row = [], []
    assigned = queued = 0
    for row in rows:
        attrs = {"industry": row["industry"], "size": row["size"], "region": row["region"], "team_id": row.get("team_id")}
        owner_id = row.get("owner_id")
        team_id = row.get("team_id")
        why: tuple[str, dict[str, Any]] | None = None
        if owner_id is not None:
            team_id = member_team.get(owner_id, team_id)
            why = ("assignment.reason_import", {})
        else:
            rule = matching_rule(session, scope, attrs, rules, subtrees)
            if rule and rule.target_team_id and team_id is None:
                team_id = rule.target_team_id
                attrs["team_id"] = team_id
            rule_member = rule.target_member_id if rule else None
            candidates = pool(rule_target_team(session, rule, team_id, subtrees))
            best = _best_with_room(candidates, attrs, rule_member)
            if best is not None:
                owner_id = best.member_id
                team_id = member_team.get(owner_id, team_id)
                why = ("assignment.reason_auto", {"why": [list(r) for r in score_candidate(best, attrs, owner_id == rule_member).reasons]})
                best.load += 1
            else:
                queued += 1
        if owner_id is not None:
            assigned += 1
        if team_id is None and not scope.everything:
            team_id = next(iter(sorted(scope.team_ids)), None)
        if team_id not in cadences:
            cadences[team_id] = cadence_for(session, team_id) if team_id else dict(DEFAULT_CADENCE)
        tier = row.get("tier") or "B"
        last = row.get("last_contact_at")
        follow = next_follow_up_date(last or now, tier, cadences[team_id])
        inserts.append({
            "external_id": row.get("external_id"), "name": row["name"], "industry": row["industry"], "size": row["size"],
            "region": row["region"], "tier": tier, "status": row.get("status") or "active", "owner_id": owner_id,
            "team_id": team_id, "last_contact_at": last, "next_follow_up": follow, "notes": row.get("notes"),
            "created_at": now,
        })
        why_by_row.append(why)
    ids = _insert_returning_ids(session, Customer, inserts, report)
    history, logs = [], []
    for cid, values, why in zip(ids, inserts, why_by_row):
        if values["owner_id"] is not None:
            history.append({"customer_id": cid, "from_member_id": None, "to_member_id": values["owner_id"],
                            "changed_by": actor.user_id, "changed_at": now, "reason": encode_reason(why[0], **why[1])})
        logs.append({"at": now, "user_id": actor.user_id, "action": "customer.import", "entity": "customer", "entity_id": cid,
                     "before": None, "after": {"name": values["name"], "owner_id": values["owner_id"], "team_id": values["team_id"],
                                               "tier": values["tier"]}})
    report(0.75)
    _bulk(session, AssignmentHistory, history)
    report(0.85)
    _bulk(session, AuditLog, logs)
    report(1.0)
    return ImportResult("customers", len(ids), assigned, queued)


def _best_with_room(candidates: list, attrs: dict[str, Any], rule_member: int | None):
    """The candidate `suggest_owner` would rank first among those with room (same score and
    tie-breaks as core.assignment), computed without building every suggestion: imports score
    100,000 rows."""
    wanted = [(kind, str(attrs[kind]).strip().lower()) for kind in ("industry", "size", "region") if attrs.get(kind)]
    best, best_key = None, None
    for c in candidates:
        if c.load >= c.capacity:
            continue
        specs = c.specialties
        matches = sum(1 for kind, value in wanted if value in specs.get(kind, ()))
        score = round(2.0 * matches + max(1 - c.load / c.capacity, 0.0) + (3.0 if c.member_id == rule_member else 0.0), 4)
        key = (-score, c.load / c.capacity, c.member_id)
        if best_key is None or key < best_key:
            best, best_key = c, key
    return best


def _write_members(session: Session, actor: Actor, rows: list[dict], report, matched: list[dict] | None = None,
                   create_logins: bool = False) -> ImportResult:
    """New members (and, for a file with manager/office columns but no team column, the team tree:
    office -> one team per manager, led by that manager); managers may be rows of the same file."""
    scope = scope_for(session, actor)
    now = utcnow()
    known: dict[int, int] = {-(r["_line"] - 1): r["_match"] for r in (matched or [])}  # file ref -> member id
    teams_made = _plan_teams(session, actor, rows, matched or [], known) if any(r.get("team_id") is None for r in rows) else {}
    inserts = []
    for row in rows:
        if row.get("team_id") is not None and not scope.has_team(row["team_id"]) and row["team_id"] not in teams_made.get("ids", ()):
            raise InvalidInput("imports.has_errors", [FieldError("imports.unknown_team", {"value": row["team_id"]}, row=row["_line"])])
        inserts.append({
            "external_id": row.get("external_id"), "name": row["name"], "email": row.get("email"), "phone": row.get("phone"),
            "team_id": row["team_id"], "role_id": row["role_id"], "max_customers": row.get("max_customers") if row.get("max_customers") is not None else 40,
            "max_open_tasks": row.get("max_open_tasks") if row.get("max_open_tasks") is not None else 15,
            "status": "active", "joined_on": row.get("joined_on"), "created_at": now,
        })
    ids = _insert_returning_ids(session, Member, inserts, report, 0.7) if inserts else []
    for row, mid in zip(rows, ids):
        known[-(row["_line"] - 1)] = mid
    updates = []
    for row, mid in zip(rows, ids):
        manager = row.get("manager_id")
        if manager is not None:
            resolved = known.get(manager) if manager < 0 else manager
            if resolved is not None and resolved != mid:
                updates.append({"id": mid, "manager_id": resolved})
    for row in matched or []:
        manager = (row.get("_changes") or {}).get("manager_id")
        if isinstance(manager, int) and manager < 0:
            row["_manager_resolved"] = known.get(manager)
    if updates:
        session.execute(update(Member), updates)
    leaders = teams_made.get("leaders", {})
    for team_id, ref in leaders.items():
        leader = known.get(ref) if ref < 0 else ref
        if leader is not None:
            team = session.get(Team, team_id)
            team.leader_id = leader
    session.flush()
    _bulk(session, AuditLog, [{"at": now, "user_id": actor.user_id, "action": "member.import", "entity": "member", "entity_id": mid,
                               "before": None, "after": {"name": v["name"], "team_id": v["team_id"]}} for mid, v in zip(ids, inserts)])
    logins = _create_logins(session, actor, ids) if create_logins else ()
    report(1.0)
    return ImportResult("members", len(ids), logins=logins, teams=len(teams_made.get("ids", ())))


def _plan_teams(session: Session, actor: Actor, rows: list[dict], matched: list[dict], known: dict[int, int]) -> dict:
    """Find or create the teams a one-file roster implies: one team per office (top level for an
    admin, under the manager's own team otherwise) and, inside it, one team per manager, named
    after them and led by them. Sets `team_id` on every new row that had none."""
    from core import roster
    from core.workspace import get_settings

    lang = get_settings(session).language
    scope = scope_for(session, actor)
    everyone = rows + matched
    name_of = {-(r["_line"] - 1): r.get("name") or "" for r in everyone}
    office_of = {-(r["_line"] - 1): r.get("office") for r in everyone}
    bosses = {r.get("manager_id") for r in everyone if r.get("manager_id") is not None}
    existing_names = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_([b for b in bosses if b > 0] or [0]))).all())
    base_parent = None
    if not actor.is_admin:
        base_parent = next(iter(sorted(scope.team_ids)), None)
    created: set[int] = set()
    leaders: dict[int, int] = {}
    cache: dict[tuple, int] = {}

    def team(name: str, parent: int | None) -> int:
        probe = (name.lower(), parent)
        if probe in cache:
            return cache[probe]
        found = session.scalar(select(Team.id).where(func.lower(Team.name) == name.lower(),
                                                    Team.parent_id.is_(None) if parent is None else Team.parent_id == parent))
        if found is None:
            found = roster.create_team(session, actor, name, parent)
            created.add(found)
        cache[probe] = found
        return found

    def office_team(office: str | None) -> int:
        return team(office or i18n.t("move.no_office", lang), base_parent)

    def team_of(boss: int, office: str | None) -> int:
        boss_name = name_of.get(boss) if boss < 0 else existing_names.get(boss, "")
        tid = team(i18n.t("move.team_of", lang, name=boss_name), office_team(office_of.get(boss) or office))
        leaders.setdefault(tid, boss)
        return tid

    for row in rows:
        if row.get("team_id") is not None:
            continue
        me = -(row["_line"] - 1)
        boss = row.get("manager_id")
        if boss is not None:
            row["team_id"] = team_of(boss, row.get("office"))
        elif me in bosses:
            row["team_id"] = team_of(me, row.get("office"))
        else:
            row["team_id"] = office_team(row.get("office"))
    for row in matched:  # a manager already on the roster still leads the team named after them
        me = -(row["_line"] - 1)
        if me in bosses:
            team_of(me, row.get("office"))
    return {"ids": created, "leaders": {t: ref for t, ref in leaders.items()}}


def _login_name(member: Member, taken: set[str]) -> str:
    base = ""
    if member.email and "@" in member.email:
        base = re.sub(r"[^a-z0-9._-]", "", member.email.split("@", 1)[0].lower())
    if len(base) < 2:
        base = re.sub(r"[^a-z0-9]+", ".", member.name.lower()).strip(".")
    if len(base) < 2:
        base = f"member{member.id}"
    base = base[:56]
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


def _create_logins(session: Session, actor: Actor, member_ids: list[int]) -> tuple[tuple[str, str, str], ...]:
    """A login with a one-time password for every new member (leaders become managers)."""
    from core.member_logins import create_login
    from db.models import User

    taken = set(session.scalars(select(User.username)))
    made = []
    for mid in member_ids:
        member = session.get(Member, mid)
        username = _login_name(member, taken)
        user, password = create_login(session, actor, mid, username)
        made.append((member.name, user.username, password))
    return tuple(made)


def _write_deals(session: Session, actor: Actor, rows: list[dict], report) -> ImportResult:
    from core.workspace import currency

    workspace_currency = currency(session)
    refs_owner = {}
    now = utcnow()
    cids = sorted({r["customer_id"] for r in rows})
    for start in range(0, len(cids), 900):
        refs_owner.update(dict(session.execute(select(Customer.id, Customer.owner_id).where(Customer.id.in_(cids[start:start + 900]))).all()))
    probability = dict(session.execute(select(DealStage.code, DealStage.probability)).all())  # the stage's default
    inserts = [{
        "external_id": r.get("external_id"), "customer_id": r["customer_id"],
        "owner_id": r.get("owner_id") if r.get("owner_id") is not None else refs_owner.get(r["customer_id"]),
        "title": r["title"], "value": r["value"], "currency": (r.get("currency") or workspace_currency).upper(), "stage": r.get("stage") or "lead",
        "expected_close": r.get("expected_close"), "closed_on": r.get("closed_on"), "created_at": now,
        "probability": probability.get(r.get("stage") or "lead", 0), "stage_entered_at": now, "version": 1,
    } for r in rows]
    ids = _insert_returning_ids(session, Deal, inserts, report, 0.8)
    _bulk(session, AuditLog, [{"at": now, "user_id": actor.user_id, "action": "deal.import", "entity": "customer",
                               "entity_id": v["customer_id"], "before": None,
                               "after": {"deal_id": i, "title": v["title"], "value": float(v["value"]), "stage": v["stage"]}}
                              for i, v in zip(ids, inserts)])
    report(1.0)
    return ImportResult("deals", len(ids))


def _write_interactions(session: Session, actor: Actor, rows: list[dict], report) -> ImportResult:
    now = utcnow()
    cids = sorted({r["customer_id"] for r in rows})
    info: dict[int, tuple] = {}
    for start in range(0, len(cids), 900):
        for cid, owner, team, tier, last, nxt in session.execute(
            select(Customer.id, Customer.owner_id, Customer.team_id, Customer.tier, Customer.last_contact_at, Customer.next_follow_up)
            .where(Customer.id.in_(cids[start:start + 900]))
        ).all():
            info[cid] = (owner, team, tier, last, nxt)
    inserts = [{
        "customer_id": r["customer_id"],
        "member_id": r.get("member_id") if r.get("member_id") is not None else info[r["customer_id"]][0],
        "channel": r["channel"], "occurred_at": r["occurred_at"], "summary": r["summary"], "outcome": r.get("outcome"),
        "next_follow_up": r.get("next_follow_up"), "created_by": actor.user_id,
    } for r in rows]
    _bulk(session, Interaction, inserts)
    report(0.7)
    latest: dict[int, dict] = {}
    for r in inserts:
        current = latest.get(r["customer_id"])
        if current is None or r["occurred_at"] > current["occurred_at"]:
            latest[r["customer_id"]] = r
    cadences: dict[int | None, dict[str, int]] = {}
    updates = []
    for cid, r in latest.items():
        owner, team, tier, last, nxt = info[cid]
        if last is not None and last >= r["occurred_at"]:
            continue
        if team not in cadences:
            cadences[team] = cadence_for(session, team)
        follow = r["next_follow_up"] or next_follow_up_date(r["occurred_at"], tier, cadences[team])
        updates.append({"id": cid, "last_contact_at": r["occurred_at"], "next_follow_up": follow})
    for _, chunk in _chunks(updates):
        session.execute(update(Customer), chunk)
    _bulk(session, AuditLog, [{"at": now, "user_id": actor.user_id, "action": "customer.contacted", "entity": "customer",
                               "entity_id": u["id"], "before": None,
                               "after": {"last_contact_at": u["last_contact_at"].isoformat(), "next_follow_up": u["next_follow_up"].isoformat(),
                                         "source": "import"}} for u in updates])
    report(1.0)
    return ImportResult("interactions", len(inserts))


def _write_simple(session: Session, actor: Actor, kind: str, rows: list[dict], report) -> ImportResult:
    """Contacts, surveys and complaints: bulk inserts; a survey counts for the customer's owner and
    a complaint goes to the customer's team and owner unless the file names someone (a survey's
    interaction names who handled it); a survey without a date is dated now."""
    now = utcnow()
    cids = sorted({r["customer_id"] for r in rows})
    info: dict[int, tuple] = {}
    for start in range(0, len(cids), 900):
        info.update({cid: (owner, team) for cid, owner, team in session.execute(
            select(Customer.id, Customer.owner_id, Customer.team_id).where(Customer.id.in_(cids[start:start + 900])))})
    if kind == "contacts":
        inserts = [{"customer_id": r["customer_id"], "name": r["name"], "title": r.get("title"), "phone": r.get("phone"),
                    "email": r.get("email"), "is_primary": bool(r.get("is_primary"))} for r in rows]
    elif kind == "surveys":
        inserts = [{"customer_id": r["customer_id"], "interaction_id": r.get("interaction_id"),
                    "member_id": r.get("member_id") if r.get("member_id") is not None else info[r["customer_id"]][0],
                    "csat": r.get("csat"), "nps": r.get("nps"), "comment": r.get("comment"),
                    "responded_at": r.get("responded_at") or now} for r in rows]
    else:
        inserts = [{"customer_id": r["customer_id"], "interaction_id": None, "team_id": info[r["customer_id"]][1],
                    "assignee_id": r.get("assignee_id") if r.get("assignee_id") is not None else info[r["customer_id"]][0],
                    "severity": r.get("severity") or "medium", "title": r["title"], "description": r.get("description"),
                    "status": r.get("status") or ("resolved" if r.get("resolved_at") else "responded" if r.get("first_response_at") else "open"),
                    "opened_at": r["opened_at"], "first_response_at": r.get("first_response_at"), "resolved_at": r.get("resolved_at"),
                    "created_by": actor.user_id} for r in rows]
    _bulk(session, _MODELS[kind], inserts)
    report(0.8)
    _bulk(session, AuditLog, [{"at": now, "user_id": actor.user_id, "action": f"{_ENTITY[kind]}.import", "entity": "customer",
                               "entity_id": v["customer_id"], "before": None, "after": {"kind": _ENTITY[kind]}} for v in inserts])
    report(1.0)
    return ImportResult(kind, len(inserts))
