"""Customers and their contacts, owners and reassignment history; the plan of complaints and of
each customer's last contact, which the activity step turns into rows."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from db.models import AssignmentHistory, Contact, Customer, Member
from demo.plans import CustomerPlan, MemberPlan, Picker
from demo.vocabulary import (
    COMPLAINTS,
    CONTACT_TITLES,
    CUSTOMER_NOTES,
    ENGLISH_SHARE,
    INDUSTRIES,
    REGIONS,
    SEVERITY_WEIGHTS,
    SIZE_WEIGHTS,
    TIER_BY_SIZE,
    TOP_TEAMS,
)

if TYPE_CHECKING:
    from demo.builder import Builder


class _CompanyNames:
    """Unique company names from Faker: a repeated name gets a city (Chinese) or a branch (English)."""

    def __init__(self, b: Builder) -> None:
        self.b = b
        self.seen: set[str] = set()
        self.cities = [b.fake_zh.city_name() for _ in range(60)]

    def __call__(self, english: bool) -> str:
        b = self.b
        for _ in range(20):
            name = b.fake_en.company() if english else b.fake_zh.company()
            if name not in self.seen:
                break
            name = (f"{name} ({b.rng.choice(('Shanghai', 'Shenzhen', 'Beijing'))})" if english
                    else f"{b.rng.choice(self.cities)}{name}")
            if name not in self.seen:
                break
        self.seen.add(name)
        return name


def _plan_status_and_age(b: Builder, c: CustomerPlan, owner: MemberPlan | None) -> None:
    """Without an owner a new lead of the last month; else active, prospect (often new) or churned,
    created in the window or up to three years before it."""
    rng, today, window_start = b.rng, b.today, b.window_start
    if owner is None:  # new leads waiting for an owner
        c.status = "prospect"
        c.created_at = b.dt(today - timedelta(days=rng.randint(1, 30)))
    else:
        roll = rng.random()
        c.status = "churned" if roll < 0.07 else "prospect" if roll < 0.17 else "active"
        new = rng.random() < (0.6 if c.status == "prospect" else 0.08)
        if new:
            c.created_at = b.dt(today - timedelta(days=rng.randint(7, (today - window_start).days)))
        else:
            c.created_at = b.dt(window_start - timedelta(days=rng.randint(1, 1100)))


def _plan_reassignment(b: Builder, c: CustomerPlan, owner: MemberPlan | None, owners: list[MemberPlan]) -> None:
    """Some owned customers came from another owner of the same top team, a month or more after
    they were created and at least a week ago."""
    rng = b.rng
    c.prev_owner, c.reassigned_at = None, None
    if owner is not None and rng.random() < 0.12:
        same_top = [m.idx for m in owners if b.teams[m.team].top == b.teams[owner.team].top and m.idx != owner.idx]
        earliest = c.created_at + timedelta(days=30)
        latest = b.midnight - timedelta(days=7)
        if same_top and earliest < latest:
            c.prev_owner = rng.choice(same_top)
            c.reassigned_at = b.past_dt(max(earliest, c.start), latest)


def _plan_customers(b: Builder) -> None:
    """The customers' plans: owner (a few unassigned), size, tier, name, status, age, reassignment;
    four of `member`'s customers are marked to have an overdue follow-up."""
    rng = b.rng
    owners = [m for m in b.members if m.owner_weight > 0]
    owner_pick = Picker([(m.idx, m.owner_weight) for m in owners])
    size_pick = Picker(SIZE_WEIGHTS)
    tier_picks = {size: Picker(w) for size, w in TIER_BY_SIZE.items()}
    window_dt = datetime.combine(b.window_start, time.min)
    company = _CompanyNames(b)
    demo_member = next(m for m in b.members if m.username == "member")
    forced_overdue = 0
    for i in range(b.scale.customers):
        c = CustomerPlan()
        c.idx = i
        c.owner = owner_pick(rng) if rng.random() > 0.025 else None
        owner = b.members[c.owner] if c.owner is not None else None
        c.team = owner.team if owner else rng.choice((0, 2))  # the unassigned pool of a core top team
        c.size = size_pick(rng)
        c.tier = tier_picks[c.size](rng)
        c.cadence = b.cadence(c.team)[c.tier]
        c.name = company(rng.random() < ENGLISH_SHARE)
        _plan_status_and_age(b, c, owner)
        c.start = max(c.created_at, window_dt)
        _plan_reassignment(b, c, owner, owners)
        c.complaints, c.n_surveys = [], 0
        c.r_last = None  # planned below
        if owner is not None:
            owner.owned += 1
        b.customers.append(c)
        if (c.owner == demo_member.idx and c.status != "churned" and forced_overdue < 4
                and c.start.date() <= b.today - timedelta(days=c.cadence + 1)):
            c.next_fu = "overdue"  # marker: `member` always has overdue follow-ups
            forced_overdue += 1
        else:
            c.next_fu = None


def _set_capacities(b: Builder) -> None:
    """Capacity: room above what each member owns (a few exactly at capacity)."""
    rng = b.rng
    for m in b.members:
        if m.owner_weight <= 0:
            m.cap = 0 if m.is_top_lead or m.role in ("finance_support", "logistics_support") else 10
        else:
            slack = 0 if rng.random() < 0.1 else rng.randint(2, max(3, m.owned // 4 + 5))
            m.cap = m.owned + slack
    b.s.execute(update(Member), [{"id": m.id, "max_customers": m.cap} for m in b.members])


def _customer_row(b: Builder, c: CustomerPlan) -> dict[str, Any]:
    """A customer's row: mostly in its top team's regions, often in its owner's industry, last
    contacted at its latest regular contact or complaint."""
    rng = b.rng
    owner = b.members[c.owner] if c.owner is not None else None
    top = TOP_TEAMS[b.teams[c.team].top]
    region = rng.choice(top.regions) if rng.random() < 0.75 else rng.choice(REGIONS)
    industry = (b.specialty_industry.get(owner.id) if owner and rng.random() < 0.5 else None) or rng.choice(INDUSTRIES)
    last_at = max([c.r_last, *[b.complaint_plan[k]["opened_at"] for k in c.complaints]])
    return dict(external_id=f"C{c.idx + 1:06d}", name=c.name, industry=industry, size=c.size, region=region,
                tier=c.tier, status=c.status, owner_id=owner.id if owner else None,
                team_id=b.teams[c.team].id, last_contact_at=last_at, next_follow_up=c.next_fu,
                notes=rng.choice(CUSTOMER_NOTES) if rng.random() < 0.2 else None, created_at=c.created_at)


def _insert_customers(b: Builder) -> None:
    """The customers, then their ids back into the plans and each owner's list."""
    b.insert(Customer, [_customer_row(b, c) for c in b.customers])
    ids = dict(b.s.execute(select(Customer.external_id, Customer.id).where(Customer.external_id.like("C%"))).all())
    for c in b.customers:
        c.id = ids[f"C{c.idx + 1:06d}"]
        if c.owner is not None:
            b.owned[c.owner].append(c.id)


def _customer_contacts(b: Builder, c: CustomerPlan) -> list[dict[str, Any]]:
    """One to three contacts (English names for an English company), the first the primary one."""
    rng = b.rng
    english = not any("\u4e00" <= ch <= "\u9fff" for ch in c.name)
    contacts = []
    for k in range(1 if rng.random() < 0.35 else rng.randint(2, 3)):
        name, local = b.person(english=english, unique=False)
        contacts.append(dict(customer_id=c.id, name=name, title=rng.choice(CONTACT_TITLES), phone=b.phone(),
                             email=f"{local}@cust{c.idx + 1:06d}.example.cn" if rng.random() < 0.7 else None,
                             is_primary=k == 0))
    return contacts


_FIRST_ASSIGNMENT_REASONS = ("按分配规则自动分配", "新客户分配", "按区域分配")
_REASSIGNMENT_REASONS = ("客户升级，转大客户经理负责", "负责人调整", "工作量平衡", "成员岗位调整，客户交接")


def _customer_history(b: Builder, c: CustomerPlan) -> list[dict[str, Any]]:
    """An owned customer's assignment history: the first owner at creation, then the reassignment if any."""
    rng = b.rng
    owner = b.members[c.owner]
    first = c.prev_owner if c.prev_owner is not None else c.owner
    changer = b.top_manager_user(owner)
    history = [dict(customer_id=c.id, from_member_id=None, to_member_id=b.members[first].id,
                    changed_by=changer, changed_at=c.created_at, reason=rng.choice(_FIRST_ASSIGNMENT_REASONS))]
    if c.prev_owner is not None:
        history.append(dict(customer_id=c.id, from_member_id=b.members[c.prev_owner].id, to_member_id=owner.id,
                            changed_by=changer, changed_at=c.reassigned_at, reason=rng.choice(_REASSIGNMENT_REASONS)))
    return history


def _insert_contacts_and_history(b: Builder) -> None:
    """Contacts and assignment history; the last month's reassignments are in the audit trail too."""
    contacts: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for c in b.customers:
        contacts.extend(_customer_contacts(b, c))
        if c.owner is not None:
            history.extend(_customer_history(b, c))
    b.insert(Contact, contacts)
    b.insert(AssignmentHistory, history)
    recent = [h for h in history if h["from_member_id"] is not None and h["changed_at"] >= b.midnight - timedelta(days=30)]
    b.audit_rows += [dict(at=h["changed_at"], user_id=h["changed_by"], action="customer.reassign", entity="customer",
                            entity_id=h["customer_id"], before={"owner_id": h["from_member_id"]},
                            after={"owner_id": h["to_member_id"], "reason": h["reason"]}) for h in recent[:200]]


def build_customers(b: Builder) -> None:
    _plan_customers(b)
    plan_complaints(b)
    plan_last_contacts(b)
    _set_capacities(b)
    _insert_customers(b)
    _insert_contacts_and_history(b)


def plan_complaints(b: Builder) -> None:
    """Complaints first (their times shape each customer's last contact)."""
    rng, midnight = b.rng, b.midnight
    window_dt = datetime.combine(b.window_start, time.min)
    candidates = [c for c in b.customers if c.owner is not None and c.status != "prospect" and c.next_fu != "overdue"]
    weights = [{"A": 3.0, "B": 1.5, "C": 1.0}[c.tier] for c in candidates]
    severity_pick = Picker(SEVERITY_WEIGHTS)
    service = [m for m in b.members_of(1) if m.role in ("cs_specialist", "tech_support") and m.status == "active"]
    for c in rng.choices(candidates, weights=weights, k=b.scale.complaints):
        recent = rng.random() < 0.12
        lo = midnight - timedelta(days=7) if recent else max(c.start, window_dt)
        opened = b.past_dt(max(lo, c.start), midnight - timedelta(hours=1))
        severity = severity_pick(rng)
        owner = b.members[c.owner]
        if service and rng.random() < 0.55 and b.teams[owner.team].top != 1:
            assignee = rng.choice(service)
        else:
            assignee = owner
        resp_target, res_target = b.target(assignee.team, severity)
        on_time = rng.random() < min(0.97, max(0.55, 0.85 + 0.07 * assignee.quality))
        response = resp_target * (rng.uniform(0.05, 0.95) if on_time else rng.uniform(1.05, 3.0))
        resolved_ok = rng.random() < 0.8
        resolution = max(response * 1.2, res_target * (rng.uniform(0.15, 0.95) if resolved_ok else rng.uniform(1.05, 2.5)))
        first_response = opened + timedelta(seconds=int(response))
        resolved = opened + timedelta(seconds=int(resolution))
        if first_response >= midnight:
            first_response = resolved = None
        elif resolved >= midnight or rng.random() < 0.03:  # a few stay stuck after the first reply
            resolved = None
        title, description = rng.choice(COMPLAINTS)
        k = len(b.complaint_plan)
        b.complaint_plan.append(dict(customer=c, opened_at=opened, severity=severity, assignee=assignee,
                                        first_response_at=first_response, resolved_at=resolved, title=title,
                                        description=description))
        c.complaints.append(k)
    # At least a few complaints are still open (no response yet): the newest ones.
    newest = sorted(range(len(b.complaint_plan)), key=lambda k: b.complaint_plan[k]["opened_at"], reverse=True)
    want_open = max(3, len(b.complaint_plan) // 25)
    for k in newest[:want_open]:
        b.complaint_plan[k]["first_response_at"] = b.complaint_plan[k]["resolved_at"] = None
    for p in b.complaint_plan:
        p["status"] = "resolved" if p["resolved_at"] else "responded" if p["first_response_at"] else "open"


def plan_last_contacts(b: Builder) -> None:
    """Each customer's latest regular contact and next follow-up (some overdue), and how many
    interactions and surveys it gets, so the interactions add up exactly."""
    rng, today = b.rng, b.today
    t_ord = today.toordinal()
    for c in b.customers:
        start_ord = c.start.toordinal()
        cad = c.cadence
        if c.owner is None:
            c.r_last, c.next_fu = c.created_at, (c.created_at + timedelta(days=2)).date()
            continue
        overdue = c.next_fu == "overdue" or (c.status != "churned" and rng.random() < 0.16)
        if c.status == "churned":
            hi = max(start_ord, t_ord - 60)
            c.r_last = b.dt(rng.randint(start_ord, hi))
            c.next_fu = None
        elif overdue and start_ord <= t_ord - cad - 1:
            due = rng.randint(max(start_ord + cad, t_ord - min(45, cad + 20)), t_ord - 1)
            c.r_last = b.dt(due - cad)
            c.next_fu = date.fromordinal(due)
        else:
            due = rng.randint(t_ord, t_ord + cad - 1)
            last = max(start_ord, min(due - cad, t_ord - 1))
            c.r_last = b.dt(last)
            c.next_fu = date.fromordinal(max(due, last + 1))
        if c.r_last < c.start:
            c.r_last = c.start + timedelta(minutes=1)
        latest_complaint = max((b.complaint_plan[k]["opened_at"] for k in c.complaints), default=None)
        if latest_complaint is not None and latest_complaint > c.r_last:
            c.next_fu = latest_complaint.date() + timedelta(days=1)  # the complaint promised a call back
    # Interaction counts: one regular contact per customer at least; the rest by tier and age.
    n_complaints = len(b.complaint_plan)
    spare = b.scale.interactions - len(b.customers) - n_complaints
    if spare < 0:
        raise ValueError("a scale needs at least one interaction per customer plus one per complaint")
    weights = []
    for c in b.customers:
        w = {"A": 5.0, "B": 2.2, "C": 1.0}[c.tier] * {"active": 1.0, "prospect": 0.6, "churned": 0.4}[c.status]
        span = max(0.0, (c.r_last - c.start).total_seconds()) / 86400
        weights.append(w * min(1.0, span / 120) if c.owner is not None else 0.0)
    counts = [1] * len(b.customers)
    if spare:
        for k in rng.choices(range(len(b.customers)), weights=weights, k=spare):
            counts[k] += 1
    for c, k in zip(b.customers, counts):
        c.n_reg = k
    if b.scale.surveys:
        eligible = [c for c in b.customers if c.owner is not None]
        for c in rng.choices(eligible, weights=[c.n_reg for c in eligible], k=b.scale.surveys):
            c.n_surveys += 1
