"""Fair, explainable customer assignment.

- Rules map a customer type (industry, size, region; empty means any) to a team or a member.
- `suggest_owner` scores candidates: 2 points per matching specialty (industry, size, region) plus
  the free share of their capacity (1 - load/capacity); members at capacity are never suggested.
  Each suggestion says why, e.g. "industry match, 12/40 customers".
- New customers are assigned by the rules and the suggestion; when nobody has room the customer
  stays in its team's visible unassigned queue (owner empty) and the audit log says why.
- `propose_rebalance` moves customers from the most to the least loaded members: a move only goes
  to someone with room whose load is at least two below the source's (or one below when the source
  is over capacity), so nobody ends over capacity and the spread (max - min) never grows.
- `propose_handover` spreads a leaving member's customers; `apply_moves` applies accepted moves in
  the caller's single transaction after re-checking scope, current owners and capacity.

Every ownership change writes AssignmentHistory (from, to, who, when, why) and an audit row.
Loads count the customers a member owns that have not churned.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit, i18n
from core.errors import Conflict, FieldError, InvalidInput, NotFound
from core.permissions import (
    READ,
    WRITE,
    Actor,
    Scope,
    allowed,
    ensure,
    ensure_member,
    ensure_role,
    ensure_team,
    scope_clause,
    scope_for,
    subtree_team_ids,
    team_filter,
)
from db.models import (
    CUSTOMER_SIZES,
    AssignmentHistory,
    AssignmentRule,
    Customer,
    Member,
    MemberSpecialty,
    Team,
)

MATCH_KINDS = ("industry", "size", "region")
MATCH_POINTS = 2.0
RULE_POINTS = 3.0
MAX_QUEUE_BATCH = 500


# ---------------------------------------------------------------------------------------------
# Reasons: stored as a translation key with parameters, shown in the reader's language
# ---------------------------------------------------------------------------------------------
def encode_reason(key: str, **params: Any) -> str:
    text = json.dumps({"k": key, "p": params}, ensure_ascii=False, default=str)
    return text if len(text) <= 300 else json.dumps({"k": key, "p": {}})


def reason_text(stored: str | None, lang: str) -> str:
    """A stored reason in `lang`: a key with parameters, or free text a manager typed."""
    if not stored:
        return ""
    try:
        data = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(data, dict) or "k" not in data:
        return stored
    params = dict(data.get("p") or {})
    if "why" in params and isinstance(params["why"], list):
        params["why"] = ("; " + explain(params["why"], lang)) if params["why"] else ""
    if "note" in params:
        params["why"] = params.get("why", "") + f" ({params['note']})" 
    return i18n.t(data["k"], lang, **params)


def explain(reasons: list, lang: str) -> str:
    """Join reason parts [[key, params], ...] into one human sentence."""
    return ", ".join(i18n.t(key, lang, **params) for key, params in reasons)


# ---------------------------------------------------------------------------------------------
# Loads and candidates
# ---------------------------------------------------------------------------------------------
@dataclass
class Candidate:
    member_id: int
    name: str
    team_id: int
    team: str
    capacity: int
    load: int
    specialties: dict[str, set[str]] = field(default_factory=dict)

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity


def customer_loads(session: Session, member_ids: list[int]) -> dict[int, int]:
    """Non-churned customers owned, per member (one grouped query)."""
    if not member_ids:
        return {}
    rows = session.execute(
        select(Customer.owner_id, func.count()).where(Customer.owner_id.in_(member_ids), Customer.status != "churned")
        .group_by(Customer.owner_id)
    ).all()
    loads = {m: 0 for m in member_ids}
    loads.update({owner: n for owner, n in rows})
    return loads


def _candidates(session: Session, scope: Scope, team_ids: set[int] | None = None,
                exclude: set[int] | None = None) -> list[Candidate]:
    """Active members the actor may assign to, optionally only within `team_ids`."""
    stmt = (select(Member.id, Member.name, Member.team_id, Team.name, Member.max_customers)
            .join(Team, Team.id == Member.team_id)
            .where(scope_clause(scope, Member), Member.status == "active"))
    if team_ids is not None:
        stmt = stmt.where(Member.team_id.in_(sorted(team_ids)))
    rows = [r for r in session.execute(stmt.order_by(Member.id)).all() if not exclude or r[0] not in exclude]
    ids = [r[0] for r in rows]
    loads = customer_loads(session, ids)
    specs: dict[int, dict[str, set[str]]] = {i: {} for i in ids}
    if ids:
        for member_id, kind, value in session.execute(
            select(MemberSpecialty.member_id, MemberSpecialty.kind, MemberSpecialty.value)
            .where(MemberSpecialty.member_id.in_(ids), MemberSpecialty.kind.in_(MATCH_KINDS))
        ).all():
            specs[member_id].setdefault(kind, set()).add(value.strip().lower())
    return [Candidate(r[0], r[1], r[2], r[3], r[4], loads[r[0]], specs[r[0]]) for r in rows]


def _attrs(obj: Any) -> dict[str, Any]:
    if isinstance(obj, Customer):
        return {"industry": obj.industry, "size": obj.size, "region": obj.region, "team_id": obj.team_id}
    return {k: obj.get(k) for k in ("industry", "size", "region", "team_id")}


def _matches(candidate: Candidate, attrs: dict[str, Any]) -> list[str]:
    return [kind for kind in MATCH_KINDS
            if attrs.get(kind) and str(attrs[kind]).strip().lower() in candidate.specialties.get(kind, set())]


@dataclass(frozen=True)
class Suggestion:
    member_id: int
    name: str
    team: str
    score: float
    load: int
    capacity: int
    matches: tuple[str, ...]
    by_rule: bool
    reasons: tuple  # ((key, params), ...)

    @property
    def has_room(self) -> bool:
        return self.load < self.capacity

    def explanation(self, lang: str) -> str:
        return explain(list(self.reasons), lang)


def score_candidate(candidate: Candidate, attrs: dict[str, Any], by_rule: bool = False) -> Suggestion:
    """Score = 2 x matching specialties + free share of capacity (+3 when a rule names the member)."""
    matches = _matches(candidate, attrs)
    free = (1 - candidate.load / candidate.capacity) if candidate.capacity > 0 else 0.0
    score = MATCH_POINTS * len(matches) + max(free, 0.0) + (RULE_POINTS if by_rule else 0.0)
    reasons: list = []
    if by_rule:
        reasons.append(("assignment.why_rule", {}))
    reasons.extend((f"assignment.why_{kind}", {}) for kind in matches)
    if not matches and not by_rule:
        reasons.append(("assignment.why_no_match", {}))
    reasons.append(("assignment.why_load", {"load": candidate.load, "capacity": candidate.capacity}))
    if not candidate.has_room:
        reasons.append(("assignment.why_full", {}))
    return Suggestion(candidate.member_id, candidate.name, candidate.team, round(score, 4), candidate.load,
                      candidate.capacity, tuple(matches), by_rule, tuple(reasons))


def _rank(suggestions: list[Suggestion]) -> list[Suggestion]:
    """Members with room first, best score first; ties go to the lighter load, then the lower id."""
    return sorted(suggestions, key=lambda s: (not s.has_room, -s.score, s.load / max(s.capacity, 1), s.member_id))


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------
def active_rules(session: Session, scope: Scope) -> list[AssignmentRule]:
    """The active rules the actor's teams own, lowest priority number first."""
    stmt = select(AssignmentRule).where(AssignmentRule.active.is_(True))
    if not scope.everything:
        if not scope.team_ids:
            return []
        stmt = stmt.where(AssignmentRule.team_id.in_(sorted(scope.team_ids)))
    return list(session.scalars(stmt.order_by(AssignmentRule.priority, AssignmentRule.id)))


def matching_rule(session: Session, scope: Scope, attrs: dict[str, Any],
                  rules: list[AssignmentRule] | None = None, memo: dict[int, set[int]] | None = None) -> AssignmentRule | None:
    """The first active rule (lowest priority number, then most specific) whose criteria all hold.
    A rule applies only inside the team that owns it (and its sub-teams): a customer of another
    team is never routed by it (a customer without a team may be). Pass `rules` (from
    active_rules) to match many customers without a query each."""
    best = None
    team_id = attrs.get("team_id")
    memo = {} if memo is None else memo
    for rule in active_rules(session, scope) if rules is None else rules:
        if team_id is not None and team_id not in _subtree(session, rule.team_id, memo):
            continue
        fits = all(getattr(rule, k) in (None, "") or str(getattr(rule, k)).strip().lower() == str(attrs.get(k) or "").strip().lower()
                   for k in MATCH_KINDS)
        if not fits:
            continue
        specificity = sum(1 for k in MATCH_KINDS if getattr(rule, k))
        if best is None or (rule.priority, -specificity) < (best[0].priority, -best[1]):
            best = (rule, specificity)
    return best[0] if best else None


def _subtree(session: Session, team_id: int, memo: dict[int, set[int]] | None = None) -> set[int]:
    """A team and its sub-teams; `memo` (owned by the caller, e.g. one import) saves the query
    when many customers ask for the same few teams."""
    if memo is None:
        return subtree_team_ids(session, {team_id})
    if team_id not in memo:
        memo[team_id] = subtree_team_ids(session, {team_id})
    return memo[team_id]


def rule_target_team(session: Session, rule: AssignmentRule | None, team_id: int | None,
                     memo: dict[int, set[int]] | None = None) -> int | None:
    """Where a rule sends a customer: its target team, unless the customer already belongs to a
    team that the target is not inside (a named team is kept; its own members are the pool)."""
    if rule is None or not rule.target_team_id:
        return team_id
    if team_id is None or rule.target_team_id in _subtree(session, team_id, memo):
        return rule.target_team_id
    return team_id


RULE_COLUMNS = ["id", "team_id", "team", "industry", "size", "region", "target_team_id", "target_team",
                "target_member_id", "target_member", "priority", "active"]


def rules_frame(session: Session, actor: Actor) -> pd.DataFrame:
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    stmt = select(AssignmentRule).order_by(AssignmentRule.priority, AssignmentRule.id)
    if not scope.everything:
        stmt = stmt.where(AssignmentRule.team_id.in_(sorted(scope.team_ids) or [-1]))
    rules = list(session.scalars(stmt))
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    member_ids = [r.target_member_id for r in rules if r.target_member_id]
    members = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(member_ids))).all()) if member_ids else {}
    records = [
        (r.id, r.team_id, teams.get(r.team_id), r.industry, r.size, r.region, r.target_team_id,
         teams.get(r.target_team_id), r.target_member_id, members.get(r.target_member_id), r.priority, r.active)
        for r in rules
    ]
    return pd.DataFrame.from_records(records, columns=RULE_COLUMNS)


def save_rule(session: Session, actor: Actor, data: dict[str, Any], rule_id: int | None = None) -> int:
    """Create or change a rule. Its owning team and its target must be inside the actor's scope."""
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    clean: dict[str, Any] = {k: (v.strip() if isinstance(v, str) else v) or None for k, v in data.items()}
    errors: list[FieldError] = []
    if not clean.get("team_id"):
        errors.append(FieldError("error.required", {"field": "team_id"}, column="team_id"))
    if not clean.get("target_team_id") and not clean.get("target_member_id"):
        errors.append(FieldError("assignment.rule_needs_target", column="target"))
    if clean.get("size") and clean["size"] not in CUSTOMER_SIZES:
        errors.append(FieldError("customers.bad_choice", {"value": clean["size"], "allowed": ", ".join(CUSTOMER_SIZES)}, column="size"))
    try:
        priority = int(clean.get("priority") or 100)
    except (TypeError, ValueError):
        priority = -1
    if priority < 0:
        errors.append(FieldError("assignment.bad_priority", column="priority"))
    if errors:
        raise InvalidInput("error.invalid", errors)
    ensure_team(scope, clean["team_id"])
    if clean.get("target_team_id"):
        ensure_team(scope, clean["target_team_id"])
    if clean.get("target_member_id"):
        ensure_member(scope, clean["target_member_id"])
    if rule_id is None:
        rule = AssignmentRule(team_id=clean["team_id"])
        session.add(rule)
        before = None
    else:
        rule = session.get(AssignmentRule, rule_id)
        if rule is None or not (scope.everything or rule.team_id in scope.team_ids):
            raise NotFound("error.not_found")
        before = audit.snapshot(rule)
    rule.team_id = clean["team_id"]
    for key in ("industry", "size", "region", "target_team_id", "target_member_id"):
        setattr(rule, key, clean.get(key))
    rule.priority = priority
    rule.active = bool(data.get("active", True))
    session.flush()
    audit.record(session, actor, "assignment_rule.save", "assignment_rule", rule.id, before, audit.snapshot(rule))
    return rule.id


def delete_rule(session: Session, actor: Actor, rule_id: int) -> None:
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    rule = session.get(AssignmentRule, rule_id)
    if rule is None or not (scope.everything or rule.team_id in scope.team_ids):
        raise NotFound("error.not_found")
    before = audit.snapshot(rule)
    session.delete(rule)
    session.flush()
    audit.record(session, actor, "assignment_rule.delete", "assignment_rule", rule_id, before, None)


# ---------------------------------------------------------------------------------------------
# Suggest and assign
# ---------------------------------------------------------------------------------------------
def _pool_for(session: Session, scope: Scope, attrs: dict[str, Any], rule: AssignmentRule | None) -> set[int] | None:
    """Teams whose members are candidates: the rule's target team, else the customer's team (with
    sub-teams), else everyone the actor may assign to (None)."""
    team_id = rule_target_team(session, rule, attrs.get("team_id"))
    if team_id is None:
        return None
    return subtree_team_ids(session, {team_id})


def suggest_owner(session: Session, actor: Actor, customer_or_attrs: Any, limit: int = 5,
                  exclude: set[int] | None = None) -> list[Suggestion]:
    """Ranked owners for a customer (or for attributes of one not yet saved), each with its reasons.
    Members at capacity are listed last and flagged; they are never picked automatically."""
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    if isinstance(customer_or_attrs, Customer):
        if not allowed(session, actor, READ, customer_or_attrs):
            raise NotFound("customers.not_found", id=str(customer_or_attrs.id))
        exclude = set(exclude or set()) | ({customer_or_attrs.owner_id} - {None})
    attrs = _attrs(customer_or_attrs)
    if attrs.get("team_id") is not None and not isinstance(customer_or_attrs, Customer):
        ensure_team(scope, attrs["team_id"])
    rule = matching_rule(session, scope, attrs)
    pool = _pool_for(session, scope, attrs, rule)
    candidates = _candidates(session, scope, pool, exclude)
    rule_member = rule.target_member_id if rule else None
    ranked = _rank([score_candidate(c, attrs, by_rule=c.member_id == rule_member) for c in candidates])
    return ranked[:limit] if limit else ranked


def suggestions_frame(session: Session, actor: Actor, customer_id: int, lang: str = "zh", limit: int = 5) -> pd.DataFrame:
    """Picklable suggestions for a saved customer (for the page)."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("customers.not_found", id=str(customer_id))
    rows = [(s.member_id, s.name, s.team, s.score, s.load, s.capacity, s.has_room, s.explanation(lang))
            for s in suggest_owner(session, actor, customer, limit=limit)]
    return pd.DataFrame.from_records(rows, columns=["member_id", "name", "team", "score", "load", "capacity", "has_room", "why"])


def set_owner(session: Session, actor: Actor | None, customer: Customer, to_member_id: int | None,
              reason_key: str, **params: Any) -> bool:
    """Change the owner and record it (history + audit). Callers have checked permissions.
    The customer follows its new owner's team. Returns False when nothing changed."""
    if customer.owner_id == to_member_id:
        return False
    before = audit.snapshot(customer, ["owner_id", "team_id"])
    from_id = customer.owner_id
    customer.owner_id = to_member_id
    if to_member_id is not None:
        team_id = session.scalar(select(Member.team_id).where(Member.id == to_member_id))
        customer.team_id = team_id
    reason = encode_reason(reason_key, **params)
    session.add(AssignmentHistory(customer_id=customer.id, from_member_id=from_id, to_member_id=to_member_id,
                                  changed_by=actor.user_id if actor else None, reason=reason))
    session.flush()
    after = audit.snapshot(customer, ["owner_id", "team_id"])
    audit.record(session, actor, "customer.assign", "customer", customer.id, before, {**after, "reason": reason})
    return True


def auto_assign(session: Session, actor: Actor, customer: Customer) -> int | None:
    """Assign a new (or queued) customer by the rules and the suggestion. Leaves it in the
    unassigned queue, with an audit note, when nobody suitable has room."""
    scope = scope_for(session, actor)
    attrs = _attrs(customer)
    rule = matching_rule(session, scope, attrs)
    if rule and rule.target_team_id and customer.team_id is None:
        customer.team_id = rule.target_team_id
        attrs["team_id"] = rule.target_team_id
    pool = _pool_for(session, scope, attrs, rule)
    candidates = _candidates(session, scope, pool)
    rule_member = rule.target_member_id if rule else None
    ranked = [s for s in _rank([score_candidate(c, attrs, by_rule=c.member_id == rule_member) for c in candidates]) if s.has_room]
    if ranked:
        best = ranked[0]
        set_owner(session, actor, customer, best.member_id, "assignment.reason_auto", why=[list(r) for r in best.reasons])
        return best.member_id
    session.flush()
    audit.record(session, actor, "customer.queued", "customer", customer.id, None,
                 {"reason": encode_reason("assignment.reason_no_capacity"), "team_id": customer.team_id})
    return None


def move_customer(session: Session, actor: Actor, customer_id: int, to_member_id: int | None, reason: str | None = None) -> None:
    """A manager moves one customer to another member of their scope (or back to the queue)."""
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    customer = session.get(Customer, customer_id)
    if customer is None or not allowed(session, actor, READ, customer, scope):
        raise NotFound("customers.not_found", id=str(customer_id))
    ensure(session, actor, WRITE, customer, scope)
    ensure_member(scope, to_member_id)
    if to_member_id is not None:
        member = session.get(Member, to_member_id)
        if member is None or member.status != "active":
            raise InvalidInput("error.invalid", [FieldError("assignment.owner_unavailable", column="owner_id")])
        load = customer_loads(session, [to_member_id])[to_member_id]
        if customer.owner_id != to_member_id and load + 1 > member.max_customers:
            raise InvalidInput("error.invalid", [FieldError("assignment.over_capacity",
                                                            {"name": member.name, "load": load, "capacity": member.max_customers},
                                                            column="owner_id")])
    text = (reason or "").strip()
    if text.startswith("assignment."):
        set_owner(session, actor, customer, to_member_id, text)
    else:
        set_owner(session, actor, customer, to_member_id, "assignment.reason_manual_note", note=text[:200]) if text else \
            set_owner(session, actor, customer, to_member_id, "assignment.reason_manual")


def assign_queue(session: Session, actor: Actor, customer_ids: list[int] | None = None) -> dict[str, int]:
    """Try to assign queued (owner-less) visible customers again, e.g. after capacity was added.
    Returns how many were assigned and how many are still waiting."""
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    stmt = select(Customer).where(scope_clause(scope, Customer), Customer.owner_id.is_(None), Customer.status != "churned")
    if customer_ids:
        stmt = stmt.where(Customer.id.in_(customer_ids))
    assigned = waiting = 0
    for customer in session.scalars(stmt.order_by(Customer.tier, Customer.id).limit(MAX_QUEUE_BATCH)).all():
        if auto_assign(session, actor, customer) is None:
            waiting += 1
        else:
            assigned += 1
    return {"assigned": assigned, "waiting": waiting}


def load_frame(session: Session, actor: Actor, team_id: int | None = None) -> pd.DataFrame:
    """Load against capacity per visible active member."""
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    teams = None
    if team_id is not None:
        ensure_team(scope, team_id)
        teams = subtree_team_ids(session, {team_id})
    rows = [(c.member_id, c.name, c.team, c.load, c.capacity, (c.load / c.capacity) if c.capacity else None)
            for c in _candidates(session, scope, teams)]
    frame = pd.DataFrame.from_records(rows, columns=["member_id", "name", "team", "load", "capacity", "utilisation"])
    return frame.sort_values(["team", "name"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Rebalance and handover
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Move:
    customer_id: int
    customer_name: str
    from_member_id: int | None
    from_name: str | None
    to_member_id: int | None
    to_name: str | None
    reason_key: str
    reason_params: tuple = ()  # ((name, value), ...) so the move stays hashable

    def reason(self, lang: str) -> str:
        params = dict(self.reason_params)
        params["why"] = ("; " + explain([list(p) for p in params["why"]], lang)) if params.get("why") else ""
        return i18n.t(self.reason_key, lang, **params)


def moves_frame(moves: list[Move], lang: str) -> pd.DataFrame:
    rows = [(m.customer_id, m.customer_name, m.from_name, m.to_name, m.reason(lang)) for m in moves]
    return pd.DataFrame.from_records(rows, columns=["customer_id", "customer", "from", "to", "reason"])


def _customers_of(session: Session, member_id: int) -> list[tuple]:
    return list(session.execute(
        select(Customer.id, Customer.name, Customer.industry, Customer.size, Customer.region)
        .where(Customer.owner_id == member_id, Customer.status != "churned").order_by(Customer.id)
    ).all())


def propose_rebalance(session: Session, actor: Actor, team_id: int | None = None, max_moves: int = 200) -> list[Move]:
    """Moves that even out customer load among the active members in scope (or in one team).

    Invariants: a target always has room (load < capacity before the move) and its load is below
    the source's by two or more (by one or more when the source is over capacity), so no one ends
    over capacity and max - min never grows. Among the source's customers, the one that best fits
    the target's specialties moves first."""
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    teams = None
    if team_id is not None:
        ensure_team(scope, team_id)
        teams = subtree_team_ids(session, {team_id})
    people = {c.member_id: c for c in _candidates(session, scope, teams)}
    load = {m: c.load for m, c in people.items()}
    pending: dict[int, list[tuple]] = {}
    moves: list[Move] = []
    while len(moves) < max_moves:
        move = None
        for src in sorted(load, key=lambda m: (-load[m], m)):
            over = load[src] > people[src].capacity
            gap = 1 if over else 2
            targets = [t for t in load if t != src and load[t] < people[t].capacity and load[t] <= load[src] - gap]
            if not targets:
                continue
            if src not in pending:
                pending[src] = _customers_of(session, src)
            if not pending[src]:
                continue
            tgt = min(targets, key=lambda t: (load[t], t))

            def fit(row: tuple, tgt: int = tgt, src: int = src) -> tuple:
                attrs = {"industry": row[2], "size": row[3], "region": row[4]}
                return (-len(_matches(people[tgt], attrs)), len(_matches(people[src], attrs)), row[0])

            row = min(pending[src], key=fit)
            pending[src].remove(row)
            attrs = {"industry": row[2], "size": row[3], "region": row[4]}
            why: list[tuple[str, dict[str, Any]]] = [("assignment.why_" + k, {}) for k in _matches(people[tgt], attrs)]
            params = (("from_load", load[src]), ("from_cap", people[src].capacity),
                      ("to_load", load[tgt]), ("to_cap", people[tgt].capacity), ("why", tuple(why)))
            move = Move(row[0], row[1], src, people[src].name, tgt, people[tgt].name,
                        "assignment.reason_rebalance_over" if over else "assignment.reason_rebalance", params)
            load[src] -= 1
            load[tgt] += 1
            break
        if move is None:
            break
        moves.append(move)
    return moves


def propose_handover(session: Session, actor: Actor, member_id: int) -> list[Move]:
    """Where a leaving (or team-changing) member's customers should go: the best-scoring colleague
    with room, preferring the member's own team; customers nobody can take go to the unassigned
    queue of the team (to None), shown as such."""
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    ensure_member(scope, member_id)
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("error.not_found")
    own_team = subtree_team_ids(session, {member.team_id})
    people = _candidates(session, scope, None, exclude={member_id})
    moves: list[Move] = []
    for row in _customers_of(session, member_id):
        attrs = {"industry": row[2], "size": row[3], "region": row[4]}
        scored = [(c, score_candidate(c, attrs)) for c in people if c.has_room]
        scored.sort(key=lambda cs: (cs[0].team_id not in own_team, -cs[1].score, cs[0].load / max(cs[0].capacity, 1), cs[0].member_id))
        if scored:
            cand, sug = scored[0]
            params = (("name", member.name), ("why", tuple((k, p) for k, p in sug.reasons)))
            moves.append(Move(row[0], row[1], member_id, member.name, cand.member_id, cand.name, "assignment.reason_handover", params))
            cand.load += 1
        else:
            moves.append(Move(row[0], row[1], member_id, member.name, None, None, "assignment.reason_handover_queue",
                              (("name", member.name),)))
    return moves


def _as_move(item: Any) -> Move:
    if isinstance(item, Move):
        return item
    return Move(int(item["customer_id"]), str(item.get("customer_name", "")), item.get("from_member_id"),
                item.get("from_name"), item.get("to_member_id"), item.get("to_name"),
                item.get("reason_key", "assignment.reason_manual"), tuple(item.get("reason_params", ()) or ()))


def _movable_customers(session: Session, actor: Actor, scope: Scope, items: list[Move]) -> dict[int, Customer]:
    """Each move's customer, checked: visible and writable to the actor, the target in scope, and
    still owned by the member the proposal moved it from (else a Conflict: the proposal is stale)."""
    customers: dict[int, Customer] = {}
    for move in items:
        customer = session.get(Customer, move.customer_id)
        if customer is None or not allowed(session, actor, READ, customer, scope):
            raise NotFound("customers.not_found", id=str(move.customer_id))
        ensure(session, actor, WRITE, customer, scope)
        ensure_member(scope, move.to_member_id)
        if customer.owner_id != move.from_member_id:
            raise Conflict("assignment.stale_move", customer=customer.name)
        customers[move.customer_id] = customer
    return customers


def _net_moves(items: list[Move]) -> tuple[dict[int, int], dict[int, int]]:
    """How many customers the batch moves to and away from each member."""
    incoming: dict[int, int] = {}
    outgoing: dict[int, int] = {}
    for m in items:
        if m.to_member_id is not None:
            incoming[m.to_member_id] = incoming.get(m.to_member_id, 0) + 1
        if m.from_member_id is not None:
            outgoing[m.from_member_id] = outgoing.get(m.from_member_id, 0) + 1
    return incoming, outgoing


def _target_errors(session: Session, items: list[Move]) -> list[FieldError]:
    """A target that is not active, or that the batch pushes over capacity (counting what it gives
    away in the same batch)."""
    targets = sorted({m.to_member_id for m in items if m.to_member_id is not None})
    if not targets:
        return []
    errors: list[FieldError] = []
    members = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(targets)))}
    loads = customer_loads(session, targets)
    incoming, outgoing = _net_moves(items)
    for target in targets:
        member = members.get(target)
        if member is None or member.status != "active":
            errors.append(FieldError("assignment.owner_unavailable", {"name": member.name if member else target}))
            continue
        final = loads[target] + incoming.get(target, 0) - outgoing.get(target, 0)
        if final > member.max_customers:
            errors.append(FieldError("assignment.over_capacity", {"name": member.name, "load": final, "capacity": member.max_customers}))
    return errors


def _move_params(move: Move, note: str) -> dict[str, Any]:
    """The audit parameters of one move: its reason's, the reasons made JSON lists, the note cut to 120."""
    params = dict(move.reason_params)
    if "why" in params:
        params["why"] = [list(p) for p in params["why"]]
    if note:
        params["note"] = note[:120]
    return params


def apply_moves(session: Session, actor: Actor, moves: list[Any], reason: str | None = None) -> int:
    """Apply accepted moves in the caller's one transaction. Every customer and target is checked
    against the actor's scope; a customer whose owner changed since the proposal is a Conflict;
    a target pushed over capacity refuses the whole batch. Returns the number of moves applied."""
    ensure_role(actor, "admin", "manager")
    scope = scope_for(session, actor)
    items = [_as_move(m) for m in moves]
    customers = _movable_customers(session, actor, scope, items)
    errors = _target_errors(session, items)
    if errors:
        raise InvalidInput("error.invalid", errors)
    note = (reason or "").strip()
    applied = 0
    for move in items:
        if set_owner(session, actor, customers[move.customer_id], move.to_member_id, move.reason_key, **_move_params(move, note)):
            applied += 1
    return applied


__all__ = [
    "Candidate", "Suggestion", "Move", "score_candidate", "suggest_owner", "suggestions_frame", "matching_rule",
    "rules_frame", "save_rule", "delete_rule", "set_owner", "auto_assign", "move_customer", "assign_queue",
    "load_frame", "propose_rebalance", "propose_handover", "apply_moves", "moves_frame", "customer_loads",
    "reason_text", "encode_reason", "explain", "team_filter",
]
