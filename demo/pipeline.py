"""The sales pipeline: products, deals with their lines and stage history, collaborators and
account teams."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from db.models import CustomerCollaborator, Deal, DealCollaborator, DealLine, DealStage, Product
from demo.plans import Picker
from demo.vocabulary import (
    DEAL_KINDS,
    DEAL_SOURCES,
    DEAL_STAGE_WEIGHTS,
    DEAL_VALUE_BY_SIZE,
    LOST_REASONS,
    NEXT_STEPS,
    PRODUCT_CATALOGUE,
    TOP_TEAMS,
    WON_REASONS,
)

if TYPE_CHECKING:
    from demo.builder import Builder


def build_deals(b: Builder) -> None:
    """The live pipeline: products, deals in every stage with lines, probabilities, next steps
    and commit flags, deal collaborators, and account teams on the key accounts."""
    rng, today = b.rng, b.today
    t_ord, w_ord = today.toordinal(), b.window_start.toordinal()
    stage_pick = Picker(DEAL_STAGE_WEIGHTS)
    probability = dict(b.s.execute(select(DealStage.code, DealStage.probability)).all())
    product_ids = b.insert(Product, [dict(name=n, code=c, unit_price=p, currency="CNY", active=True)
                                        for n, c, p in PRODUCT_CATALOGUE], returning=True)
    prices = [p for _, _, p in PRODUCT_CATALOGUE]
    q_end = b.cur_q[1]
    candidates = [c for c in b.customers if c.owner is not None]
    weights = [{"A": 3.0, "B": 1.5, "C": 0.6}[c.tier] * (0.5 if c.status == "churned" else 1.0) for c in candidates]
    by_top: dict[int, list[int]] = defaultdict(list)
    for m in b.members:
        if m.status == "active":
            by_top[b.teams[m.team].top].append(m.idx)
    rows, lines, helpers = [], [], []
    for k, c in enumerate(rng.choices(candidates, weights=weights, k=b.scale.deals)):
        owner = b.members[c.owner]
        stage = "lost" if c.status == "churned" and rng.random() < 0.7 else stage_pick(rng)
        if c.status == "prospect" and stage == "won":
            stage = "proposal"
        lo, hi = DEAL_VALUE_BY_SIZE[c.size]
        product = rng.randrange(len(prices))
        qty = max(1, round(rng.uniform(lo, hi) * (1 + 0.1 * owner.quality) / float(prices[product])))
        price = (prices[product] * Decimal(str(round(rng.uniform(0.85, 1.0), 2)))).quantize(Decimal("0.01"))
        value = price * qty
        commit, reason, next_step = False, None, None
        if stage in ("won", "lost"):
            closed = max(w_ord, c.created_at.toordinal() + 1, t_ord - 182 + int(rng.random() * 181))
            closed = min(closed, t_ord - 1)
            created = b.dt(max(c.created_at.toordinal(), closed - rng.randint(14, 90)))
            expected = date.fromordinal(closed + rng.randint(-10, 10))
            closed_on = date.fromordinal(closed)
            entered = b.dt(closed)
            reason = rng.choice(WON_REASONS if stage == "won" else LOST_REASONS)
        else:
            created = b.dt(max(c.created_at.toordinal(), t_ord - rng.randint(3, 120)))
            closed_on = None
            expected = today + timedelta(days=rng.randint(-20, 120))  # a few are slipping
            entered = b.past_dt(created)
            next_step = rng.choice(NEXT_STEPS)
            commit = stage in ("proposal", "negotiation") and expected <= q_end and rng.random() < 0.55
        rows.append(dict(external_id=f"D{k + 1:07d}", customer_id=c.id, owner_id=owner.id,
                         title=f"{PRODUCT_CATALOGUE[product][0]} {rng.choice(DEAL_KINDS)}", value=value,
                         currency="CNY", stage=stage, probability=probability[stage], expected_close=expected,
                         closed_on=closed_on, created_at=created, stage_entered_at=entered, updated_at=entered,
                         next_step=next_step, source=rng.choice(DEAL_SOURCES), in_commit=commit,
                         close_reason=reason, version=1))
        lines.append((product, qty, price))
        team_mates = by_top[b.teams[owner.team].top]
        helpers.append(rng.choice(team_mates) if rng.random() < 0.2 and len(team_mates) > 1 else None)
    ids = b.insert(Deal, rows, returning=True)
    b.insert(DealLine, [dict(deal_id=i, product_id=product_ids[p], quantity=Decimal(q), unit_price=u)
                           for i, (p, q, u) in zip(ids, lines)])
    b.insert(DealCollaborator, [dict(deal_id=i, member_id=b.members[h].id)
                                   for i, h, row in zip(ids, helpers, rows)
                                   if h is not None and b.members[h].id != row["owner_id"]])
    build_account_teams(b, by_top)


def build_account_teams(b: Builder, by_top: dict[int, list[int]]) -> None:
    """Key accounts (tier A) are worked by a team: a colleague in sales and someone from the
    service centre (service or technical support)."""
    rng = b.rng
    support = [m for top, ms in by_top.items() if TOP_TEAMS[top].kind == "support" for m in ms]
    rows = []
    for c in b.customers:
        if c.owner is None or c.tier != "A" or c.status == "churned":
            continue
        taken = {c.owner}
        sales = [m for m in by_top[b.teams[b.members[c.owner].team].top] if m not in taken]
        if sales and rng.random() < 0.7:
            m = rng.choice(sales)
            taken.add(m)
            rows.append(dict(customer_id=c.id, member_id=b.members[m].id, role="sales"))
        if support:
            m = rng.choice(support)
            if m not in taken:
                role = "technical" if b.members[m].role == "tech_support" else "service"
                rows.append(dict(customer_id=c.id, member_id=b.members[m].id, role=role))
    b.insert(CustomerCollaborator, rows)
