"""Six months of interactions, the complaints and the surveys that hang off them."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from db.models import Complaint, Interaction, Survey
from demo.plans import CustomerPlan, Picker
from demo.vocabulary import CHANNEL_WEIGHTS, OUTCOMES, REACTIONS, SUMMARY_TEMPLATES, SURVEY_COMMENTS, TOPICS

if TYPE_CHECKING:
    from demo.builder import Builder


def build_interactions(b: Builder) -> None:
    rng, scale = b.rng, b.scale
    channel_pick = Picker(CHANNEL_WEIGHTS)
    pools = {ch: [t.format(topic=topic, reaction=r) for t in temps for topic in TOPICS for r in REACTIONS]
             for ch, temps in SUMMARY_TEMPLATES.items()}
    members = b.members
    chunk = scale.customer_chunk
    total = len(b.customers)
    for start in range(0, total, chunk):
        plain: list[dict[str, Any]] = []
        linked: list[dict[str, Any]] = []  # rows whose ids a survey or complaint needs
        meta: list[tuple[str, Any]] = []  # what each linked row is for
        loose_surveys: list[tuple[CustomerPlan, int | None]] = []
        for c in b.customers[start:start + chunk]:
            owner = c.owner
            # Regular contacts: n_reg - 1 before the latest one, spread over the customer's window.
            span = (c.r_last - c.start).total_seconds()
            times = sorted(c.start + timedelta(seconds=int(rng.random() * span)) for _ in range(c.n_reg - 1))
            times.append(c.r_last)
            latest_complaint = max((b.complaint_plan[k]["opened_at"] for k in c.complaints), default=None)
            last_is_regular = latest_complaint is None or latest_complaint <= c.r_last
            survey_slots: dict[int, int] = {}
            n_linked = min(c.n_surveys, len(times))
            for pos in rng.sample(range(len(times)), n_linked) if n_linked else ():
                survey_slots[pos] = 1
            unlinked_surveys = c.n_surveys - n_linked
            for pos, at in enumerate(times):
                who = c.prev_owner if c.reassigned_at is not None and at < c.reassigned_at else owner
                channel = channel_pick(rng) if owner is not None else "other"
                if pos == len(times) - 1 and last_is_regular:
                    follow = c.next_fu
                elif rng.random() < 0.2:
                    follow = None
                else:
                    follow = at.date() + timedelta(days=max(1, c.cadence + rng.randint(-2, 3)))
                row = dict(customer_id=c.id, member_id=members[who].id if who is not None else None, channel=channel,
                           occurred_at=at, summary=rng.choice(pools[channel]), outcome=rng.choice(OUTCOMES),
                           next_follow_up=follow, created_by=members[who].user_id if who is not None else None)
                if pos in survey_slots:
                    linked.append(row)
                    meta.append(("survey", (c, who, at)))
                else:
                    plain.append(row)
            for k in c.complaints:
                p = b.complaint_plan[k]
                who = owner
                follow = c.next_fu if not last_is_regular and p["opened_at"] == latest_complaint else \
                    p["opened_at"].date() + timedelta(days=1)
                linked.append(dict(customer_id=c.id, member_id=members[who].id, channel=rng.choice(("phone", "email", "wechat")),
                                   occurred_at=p["opened_at"], summary=f"客户投诉：{p['title']}。{p['description']}已登记并转交处理。",
                                   outcome="已登记投诉", next_follow_up=follow, created_by=members[who].user_id))
                meta.append(("complaint", p))
            loose_surveys.extend([(c, owner)] * unlinked_surveys)
        b.insert(Interaction, plain)
        ids = b.insert(Interaction, linked, returning=True)
        complaints, complaint_plans, surveys = [], [], []
        for iid, (kind, payload) in zip(ids, meta):
            if kind == "complaint":
                p = payload
                assignee = p["assignee"]
                complaint_plans.append(p)
                complaints.append(dict(customer_id=p["customer"].id, interaction_id=iid, team_id=b.teams[assignee.team].id,
                                       assignee_id=assignee.id, severity=p["severity"], title=p["title"],
                                       description=p["description"], status=p["status"], opened_at=p["opened_at"],
                                       first_response_at=p["first_response_at"], resolved_at=p["resolved_at"],
                                       created_by=b.members[p["customer"].owner].user_id))
            else:
                c, who, at = payload
                surveys.append(survey_row(b, c, who, at, iid))
        surveys.extend(survey_row(b, c, who, None, None) for c, who in loose_surveys)
        for p, cid in zip(complaint_plans, b.insert(Complaint, complaints, returning=True)):
            p["id"] = cid
        b.insert(Survey, surveys)
        b.progress("interactions, complaints and surveys", 0.375 + 0.125 * min(1.0, (start + chunk) / total))


def survey_row(b: Builder, c: CustomerPlan, who: int | None, at: datetime | None, interaction_id: int | None) -> dict[str, Any]:
    rng = b.rng
    if at is None:
        responded = b.past_dt(c.start)
    else:
        responded = min(at + timedelta(hours=rng.uniform(1, 48)), b.midnight - timedelta(minutes=rng.randint(1, 600)))
        responded = max(responded, at)
    q = b.members[who].quality if who is not None else 0.0
    roll = rng.random()
    csat = None if roll < 0.12 else max(1, min(5, round(4.15 + 0.35 * q + rng.gauss(0, 0.8))))
    nps = None if 0.12 <= roll < 0.27 else max(0, min(10, round(8.0 + 0.7 * q + rng.gauss(0, 1.7))))
    comment = rng.choice(SURVEY_COMMENTS) if rng.random() < 0.25 else None
    return dict(customer_id=c.id, interaction_id=interaction_id, member_id=b.members[who].id if who is not None else None,
                csat=csat, nps=nps, comment=comment, responded_at=responded)
