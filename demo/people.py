"""The workspace and its people: top teams and sub-teams, members with roles and specialties, the
logins (password `vocabulary.DEMO_PASSWORD`), responsibilities, assignment rules, follow-up cadences and
service targets."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from core.auth import hash_password
from db.models import (
    AssignmentRule,
    FollowUpCadence,
    Member,
    MemberSpecialty,
    Responsibility,
    ResponsibilityAssignment,
    Role,
    ServiceTarget,
    Team,
    User,
)
from demo.plans import MemberPlan, TeamPlan
from demo.vocabulary import (
    DEMO_MEMBER,
    DEMO_PASSWORD,
    EMAIL_DOMAIN,
    ENGLISH_SHARE,
    INDUSTRIES,
    OWNER_WEIGHT,
    PRODUCTS,
    REGIONS,
    RESPONSIBILITIES,
    ROLE_FAMILY,
    SERVICE_TARGETS,
    TOP_TEAMS,
)

if TYPE_CHECKING:
    from demo.builder import Builder


def _load_roles(b: Builder) -> None:
    b.role_ids = dict(b.s.execute(select(Role.code, Role.id)).all())
    missing = sorted(set(ROLE_FAMILY) - set(b.role_ids))
    if missing:
        raise RuntimeError(f"roles missing (run the migrations first): {missing}")


_SubTeam = tuple[TeamPlan, tuple[str, ...]]  # a sub-team and the roles of its named members


def _plan_teams(b: Builder) -> list[_SubTeam]:
    """The top teams first, then their sub-teams (named ones, then generated ones), top team by top team."""
    for k, top in enumerate(TOP_TEAMS):
        b.teams.append(TeamPlan(len(b.teams), top.name, top.kind, k, None, top.description))
    subs_by_top: dict[int, list[_SubTeam]] = defaultdict(list)
    for k, top in enumerate(TOP_TEAMS):
        named = list(top.sub_teams)
        for n in range(b.scale.extra_sub_teams[k]):
            named.append((top.extra_name.format(n=len(top.sub_teams) + n + 1), ()))
        for name, roles in named:
            t = TeamPlan(len(b.teams), name, top.kind, k, k, f"{top.name}下属小组。")
            b.teams.append(t)
            subs_by_top[k].append((t, roles))
    return [pair for k in range(len(TOP_TEAMS)) for pair in subs_by_top[k]]


def _plan_top_leads(b: Builder) -> None:
    """One lead per top team: the manager's own member record."""
    for k, top in enumerate(TOP_TEAMS):
        name, local = top.manager_name
        b.used_emails.add(local)
        m = MemberPlan(len(b.members), name, f"{local}@{EMAIL_DOMAIN}", k, "team_lead", True, False, top.username)
        b.members.append(m)
        b.teams[k].leader = m.idx


def _sub_team_sizes(b: Builder, all_subs: list[_SubTeam]) -> list[int]:
    """The named members of each sub-team; larger scales spread the rest evenly over every sub-team."""
    others = b.scale.members - len(TOP_TEAMS)
    named_total = sum(len(roles) for _, roles in all_subs)
    sizes = [len(roles) for _, roles in all_subs]
    if others > named_total:  # larger scales: spread the rest evenly over every sub-team
        base, extra = divmod(others, len(all_subs))
        sizes = [base + (1 if i < extra else 0) for i in range(len(all_subs))]
    elif others < named_total:
        raise ValueError("a scale needs at least as many members as the named sub-teams hold")
    return sizes


def _plan_sub_team_members(b: Builder, all_subs: list[_SubTeam]) -> None:
    """Each sub-team's members, its first one the lead; the `member` login is the second of 大客户组."""
    sizes = _sub_team_sizes(b, all_subs)
    b.used_emails.add(DEMO_MEMBER[1])
    for (t, roles), size in zip(all_subs, sizes):
        pattern = TOP_TEAMS[t.top].roles
        for j in range(size):
            role = roles[j] if j < len(roles) else pattern[(j - len(roles)) % len(pattern)]
            if t.name == "大客户组" and j == 1:
                name, local, username = DEMO_MEMBER[0], DEMO_MEMBER[1], "member"
            else:
                (name, local), username = b.person(english=b.rng.random() < ENGLISH_SHARE), None
            m = MemberPlan(len(b.members), name, f"{local}@{EMAIL_DOMAIN}", t.idx, role, False, j == 0, username)
            if j == 0:
                t.leader = m.idx
            b.members.append(m)


def _plan_managers(b: Builder) -> None:
    """Each member's quality, manager (a sub-lead's is the top lead, everyone else's the sub-lead)
    and weight when customers are shared out."""
    for m in b.members:
        team = b.teams[m.team]
        m.quality = b.rng.gauss(0.0, 1.0)
        if m.is_top_lead:
            m.manager = None
        elif m.is_sub_lead:
            m.manager = b.teams[team.top].leader
        else:
            m.manager = team.leader
        m.owner_weight = 0.0 if m.is_top_lead else OWNER_WEIGHT.get(m.role, 0.0) * TOP_TEAMS[team.top].customer_share
        if m.is_sub_lead:
            m.owner_weight *= 0.7


def _plan_leavers(b: Builder) -> None:
    """A few members are leaving (their customers and tasks wait for a handover)."""
    candidates = [m for m in b.members if not m.is_top_lead and not m.is_sub_lead and m.username is None]
    for m in b.rng.sample(candidates, max(2, len(b.members) // 100)):
        m.status = "leaving"
    # `manager` sees a leaving member in their own tree.
    if not any(m.status == "leaving" and b.teams[m.team].top == 0 for m in b.members):
        next(m for m in candidates if b.teams[m.team].top == 0).status = "leaving"


def _insert_users(b: Builder) -> None:
    """Users: admin, the top-team managers, member. One bcrypt hash for all."""
    password_hash = hash_password(DEMO_PASSWORD)
    created = datetime.combine(b.today - timedelta(days=400), time(2, 0))
    user_rows: list[dict[str, Any]] = [dict(username="admin", display_name="系统管理员", email=f"admin@{EMAIL_DOMAIN}",
                      password_hash=password_hash, role="admin", language="zh", active=True, failed_logins=0,
                      created_at=created)]
    for m in b.members:
        if m.username:
            user_rows.append(dict(username=m.username, display_name=m.name, email=m.email, password_hash=password_hash,
                                  role="manager" if m.is_top_lead else "member", language="zh", active=True,
                                  failed_logins=0, created_at=created))
    ids = b.insert(User, user_rows, returning=True)
    b.users = {row["username"]: uid for row, uid in zip(user_rows, ids)}
    for m in b.members:
        if m.username:
            m.user_id = b.users[m.username]


def _insert_teams(b: Builder) -> None:
    team_created = datetime.combine(b.today - timedelta(days=900), time(2, 0))
    for level in (True, False):  # parents before children
        level_teams = [t for t in b.teams if (t.parent is None) == level]
        rows = [dict(name=t.name, kind=t.kind, parent_id=b.teams[t.parent].id if t.parent is not None else None,
                     manager_user_id=b.users[TOP_TEAMS[t.top].username] if t.parent is None else None,
                     description=t.description, created_at=team_created) for t in level_teams]
        for t, tid in zip(level_teams, b.insert(Team, rows, returning=True)):
            t.id = tid


def _insert_members(b: Builder) -> None:
    """The members, then their managers and the team leaders (which refer to members).
    Capacity is decided after the customers are planned (see build_customers); insert now with
    the defaults and let build_customers/build_tasks_and_goals set the real numbers."""
    rows = []
    for m in b.members:
        joined = b.today - timedelta(days=b.rng.randint(90, 2600))
        rows.append(dict(external_id=f"E{m.idx + 1:05d}", name=m.name, email=m.email, phone=b.phone(),
                         user_id=m.user_id, team_id=b.teams[m.team].id, manager_id=None,
                         role_id=b.role_ids[m.role], max_customers=0, max_open_tasks=15, status=m.status,
                         joined_on=joined, created_at=datetime.combine(joined, time(2, 0))))
    for m, mid in zip(b.members, b.insert(Member, rows, returning=True)):
        m.id = mid
    b.s.execute(update(Member), [{"id": m.id, "manager_id": b.members[m.manager].id}
                                    for m in b.members if m.manager is not None])
    b.s.execute(update(Team), [{"id": t.id, "leader_id": b.members[t.leader].id} for t in b.teams])


def _member_specialties(b: Builder, m: MemberPlan) -> list[tuple[str, str]]:
    """One or two industries, the top team's main region (or another of its own, sometimes one more
    anywhere), a customer size (大客户组: the large ones), a product and the languages spoken."""
    rng = b.rng
    top = TOP_TEAMS[b.teams[m.team].top]
    values: list[tuple[str, str]] = [("industry", v) for v in rng.sample(INDUSTRIES, rng.randint(1, 2))]
    values.append(("region", top.regions[0] if rng.random() < 0.7 else rng.choice(top.regions)))
    if rng.random() < 0.3:
        values.append(("region", rng.choice(REGIONS)))
    sizes_for_team = ("large", "enterprise") if b.teams[m.team].name == "大客户组" else ("small", "medium", "large")
    values.append(("size", rng.choice(sizes_for_team)))
    values.append(("product", rng.choice(PRODUCTS)))
    values.append(("language", "普通话"))
    if rng.random() < 0.3:
        values.append(("language", "英语"))
    if top.regions[0] == "华南" and rng.random() < 0.5:
        values.append(("language", "粤语"))
    return values


def _insert_specialties(b: Builder) -> None:
    """Each member's specialties once each; the first industry is kept in `b.specialty_industry`."""
    specialties: list[dict[str, Any]] = []
    for m in b.members:
        seen = set()
        for kind, value in _member_specialties(b, m):
            if (kind, value) not in seen:
                seen.add((kind, value))
                specialties.append(dict(member_id=m.id, kind=kind, value=value))
    for row in specialties:
        if row["kind"] == "industry":
            b.specialty_industry.setdefault(row["member_id"], row["value"])
    b.insert(MemberSpecialty, specialties)


def build_org(b: Builder) -> None:
    _load_roles(b)
    all_subs = _plan_teams(b)
    _plan_top_leads(b)
    _plan_sub_team_members(b, all_subs)
    _plan_managers(b)
    _plan_leavers(b)
    _insert_users(b)
    _insert_teams(b)
    _insert_members(b)
    _insert_specialties(b)


def build_rules(b: Builder) -> None:
    rng = b.rng
    tops = [t for t in b.teams if t.parent is None]
    resp_rows, resp_cells = [], []
    for team in [*tops, None]:
        kind = team.kind if team else None
        for name, cells in RESPONSIBILITIES[kind]:
            resp_rows.append(dict(team_id=team.id if team else None, name=name,
                                  description=f"{name}的职责分工（RACI）。"))
            resp_cells.append((team, cells))
    ids = b.insert(Responsibility, resp_rows, returning=True)
    rows = []
    for rid, (team, cells) in zip(ids, resp_cells):
        for role, letter in cells.items():
            if letter == "A" and team is not None and rng.random() < 0.4:
                # Accountable is sometimes a named person: the team's lead.
                rows.append(dict(responsibility_id=rid, role_id=None, member_id=b.members[team.leader].id, raci="A"))
            else:
                rows.append(dict(responsibility_id=rid, role_id=b.role_ids[role], member_id=None, raci=letter))
    b.insert(ResponsibilityAssignment, rows)

    by_name = {t.name: t for t in b.teams}
    east, south = b.teams[0], b.teams[2]
    east_member = next(m for m in b.members if m.team == by_name["成长客户组"].idx and not m.is_sub_lead)
    rules = [
        dict(team_id=east.id, industry=None, size="enterprise", region=None, target_team_id=by_name["大客户组"].id,
             target_member_id=None, priority=10, active=True),
        dict(team_id=east.id, industry=None, size="large", region="华东", target_team_id=by_name["大客户组"].id,
             target_member_id=None, priority=20, active=True),
        dict(team_id=east.id, industry="互联网", size=None, region=None, target_team_id=by_name["新客拓展组"].id,
             target_member_id=None, priority=30, active=True),
        dict(team_id=east.id, industry=None, size="small", region=None, target_team_id=by_name["成长客户组"].id,
             target_member_id=None, priority=40, active=True),
        dict(team_id=east.id, industry="医疗", size="medium", region="华中", target_team_id=None,
             target_member_id=east_member.id, priority=50, active=True),
        dict(team_id=south.id, industry="制造业", size=None, region="华南", target_team_id=by_name["深圳组"].id,
             target_member_id=None, priority=10, active=True),
        dict(team_id=south.id, industry=None, size=None, region="西南", target_team_id=by_name["广州组"].id,
             target_member_id=None, priority=20, active=True),
        dict(team_id=south.id, industry="零售", size="small", region=None, target_team_id=by_name["广州组"].id,
             target_member_id=None, priority=90, active=False),
    ]
    b.insert(AssignmentRule, rules)

    cadences = [dict(team_id=t.id, tier=tier, days=days) for t in tops if TOP_TEAMS[t.top].cadence
                for tier, days in TOP_TEAMS[t.top].cadence.items()]
    b.insert(FollowUpCadence, cadences)

    targets = []
    for t in tops:
        table = SERVICE_TARGETS.get(t.kind)
        if table:
            for severity, (resp, res) in table.items():
                targets.append(dict(team_id=t.id, severity=severity, response_seconds=resp, resolution_seconds=res))
    b.insert(ServiceTarget, targets)
