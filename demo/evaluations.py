"""Scorecard templates, evaluation cycles, evaluations, ratings and rewards. The released cycle's
measured scores come from `core.metrics` (`Builder.measured`), so its stored totals agree with what
core computes."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from db.models import Criterion, Evaluation, EvaluationCycle, PeerReviewer, Rating, Reward, RewardRule, ScorecardTemplate
from demo.vocabulary import EVAL_SUMMARIES, TOP_TEAMS

if TYPE_CHECKING:
    from demo.builder import Builder
    from demo.plans import MemberPlan


def _thresholds(b: Builder, evaluated: list[MemberPlan], metric: str, default: list[float], step: float) -> list[float]:
    """Score thresholds at the 20/40/60/80th percentile of what the evaluated members measured last
    quarter (rounded to `step`, rising), so the demo's scores spread; `default` when too few differ."""
    start, end = b.prev_q
    values = sorted(v for v in (b.measured(metric, [m.idx], start, end) for m in evaluated) if v is not None)
    if len(set(values)) < 3:
        return default
    picks = [values[min(len(values) - 1, int(len(values) * q))] for q in (0.2, 0.4, 0.6, 0.8)]
    result: list[float] = []
    for p in picks:
        p = max(step, round(p / step) * step)
        if result and p <= result[-1]:
            p = result[-1] + step
        result.append(float(p))
    return result


_Line = tuple[str, str, str | None, int, dict[str, Any] | None]  # name, kind, metric, weight, scale


def _templates(b: Builder, evaluated: list[MemberPlan]) -> list[tuple[str, int | None, list[_Line]]]:
    """The two scorecards: the east customer team's (two thresholds measured) and the service teams'."""
    return [
        ("客户团队季度考核", b.teams[0].id, [
            ("成交金额", "measured", "sales_won", 25,
             {"thresholds": _thresholds(b, evaluated, "sales_won", [50_000, 100_000, 200_000, 400_000], 10_000), "higher_is_better": True}),
            ("客户满意度", "measured", "csat_avg", 15, {"thresholds": [3.5, 4.0, 4.3, 4.6], "higher_is_better": True}),
            ("客户跟进次数", "measured", "follow_ups_done", 15,
             {"thresholds": _thresholds(b, evaluated, "follow_ups_done", [5, 10, 20, 40], 1), "higher_is_better": True}),
            ("新增客户", "measured", "new_customers", 10, {"thresholds": [1, 2, 3, 5], "higher_is_better": True}),
            ("工作态度", "rated", None, 10, None),
            ("责任心", "rated", None, 10, None),
            ("团队协作", "rated", None, 10, None),
            ("创新", "rated", None, 5, None),
        ]),
        ("服务团队季度考核", None, [
            ("首次响应时长", "measured", "first_response_hours", 25, {"thresholds": [24, 8, 4, 2], "higher_is_better": False}),
            ("投诉解决率", "measured", "resolution_rate", 20, {"thresholds": [60, 75, 85, 95], "higher_is_better": True}),
            ("客户满意度", "measured", "csat_avg", 20, {"thresholds": [3.5, 4.0, 4.3, 4.6], "higher_is_better": True}),
            ("工作态度", "rated", None, 10, None),
            ("责任心", "rated", None, 10, None),
            ("团队协作", "rated", None, 10, None),
            ("创新", "rated", None, 5, None),
        ]),
    ]


def _insert_templates(b: Builder, evaluated: list[MemberPlan]) -> tuple[list[int], list[tuple[int, dict[str, Any]]]]:
    """The templates and their criteria; returns the template ids and the east template's criteria (id, row)."""
    templates = _templates(b, evaluated)
    template_ids = b.insert(ScorecardTemplate, [dict(team_id=team_id, name=name) for name, team_id, _ in templates],
                               returning=True)
    criteria_rows: list[dict[str, Any]]
    criteria_rows = [dict(template_id=tid, name=name, kind=kind, metric=metric, weight=weight, position=pos,
                          **({"scale": scale} if scale else {}))
                     for tid, (_, _, lines) in zip(template_ids, templates)
                     for pos, (name, kind, metric, weight, scale) in enumerate(lines)]
    criterion_ids = b.insert(Criterion, criteria_rows, returning=True)
    east_criteria = [(cid, row) for cid, row in zip(criterion_ids, criteria_rows) if row["template_id"] == template_ids[0]]
    return template_ids, east_criteria


def _cycle_name(start: date) -> str:
    return f"{start.year} 年第 {(start.month - 1) // 3 + 1} 季度考核"


def _insert_cycles(b: Builder, template_id: int, released_at: datetime) -> list[int]:
    """Last quarter's cycle, released; this quarter's, open."""
    start, end = b.prev_q
    cur_start, cur_end = b.cur_q
    east = b.teams[0]
    return b.insert(EvaluationCycle, [
        dict(team_id=east.id, template_id=template_id, name=_cycle_name(start), kind="quarter",
             start_date=start, end_date=end, status="released", released_at=released_at),
        dict(team_id=east.id, template_id=template_id, name=_cycle_name(cur_start), kind="quarter",
             start_date=cur_start, end_date=cur_end, status="open", released_at=None),
    ], returning=True)


def _score_members(b: Builder, evaluated: list[MemberPlan],
                   east_criteria: list[tuple[int, dict[str, Any]]]) -> tuple[dict[int, float], dict[int, dict[int, int]]]:
    """Last quarter's totals (measured lines scored on their thresholds, rated ones drawn around the
    member's quality; a line without a value does not count) and the rated scores by criterion."""
    rng = b.rng
    start, end = b.prev_q
    totals: dict[int, float] = {}
    rated_scores: dict[int, dict[int, int]] = {}
    for m in evaluated:
        lines, scores = [], {}
        for cid, row in east_criteria:
            if row["kind"] == "measured":
                value = b.measured(row["metric"], [m.idx], start, end)
                score = None if value is None else 1 + sum(1 for t in row["scale"]["thresholds"] if value >= t)
            else:
                score = max(1, min(5, round(3.4 + 0.6 * m.quality + rng.gauss(0, 0.6))))
                scores[cid] = score
            lines.append((row["weight"], score))
        present = [(w, s) for w, s in lines if s is not None]
        totals[m.idx] = round(sum(w * s for w, s in present) / sum(w for w, _ in present), 2)
        rated_scores[m.idx] = scores
    return totals, rated_scores


def _insert_evaluations(b: Builder, evaluated: list[MemberPlan], cycle_ids: list[int], totals: dict[int, float],
                        computed_at: datetime) -> tuple[dict[int, int], dict[int, int]]:
    """One evaluation per member in each cycle; returns the evaluation ids by member idx (released, open)."""
    evaluation_rows = []
    for m in evaluated:
        total = totals[m.idx]
        summary = next(text for floor, text in EVAL_SUMMARIES if total >= floor)
        evaluation_rows.append(dict(cycle_id=cycle_ids[0], member_id=m.id, total=total, summary=summary, computed_at=computed_at))
    for m in evaluated:
        evaluation_rows.append(dict(cycle_id=cycle_ids[1], member_id=m.id, total=None, summary=None, computed_at=None))
    evaluation_ids = b.insert(Evaluation, evaluation_rows, returning=True)
    released_ids = dict(zip([m.idx for m in evaluated], evaluation_ids[:len(evaluated)]))
    open_ids = dict(zip([m.idx for m in evaluated], evaluation_ids[len(evaluated):]))
    return released_ids, open_ids


def _peer_reviewers(b: Builder, evaluated: list[MemberPlan], m: MemberPlan, demo: MemberPlan) -> list[MemberPlan]:
    """Two colleagues of the same sub-team (else anyone evaluated); the `member` login is one of its
    team-mates' reviewers, so it has peer reviews to write."""
    same_sub = [x for x in evaluated if x.team == m.team and x.idx != m.idx] or [x for x in evaluated if x.idx != m.idx]
    chosen = b.rng.sample(same_sub, min(2, len(same_sub)))
    if demo.idx != m.idx and m.team == demo.team and demo not in chosen:
        chosen = [demo, *chosen[:1]]  # `member` has peer reviews to write
    return chosen


_COMMENTS = ("表现稳定。", "主动承担重点客户工作。", "与同事配合默契。", "提出了改进跟进流程的好建议。", "责任心强。", None)


def _released_ratings(b: Builder, m: MemberPlan, cid: int, score: int, evaluation_id: int, demo: MemberPlan | None,
                      computed_at: datetime) -> list[dict[str, Any]]:
    """The released cycle's ratings of one rated line: the manager's, the member's own (with a
    login) and the `member` login's as a peer (when chosen)."""
    rng = b.rng
    ratings = [dict(evaluation_id=evaluation_id, criterion_id=cid, rater_user_id=b.users["manager"],
                    rater_kind="manager", score=score, comment=rng.choice(_COMMENTS), created_at=computed_at - timedelta(days=3))]
    if m.user_id:
        ratings.append(dict(evaluation_id=evaluation_id, criterion_id=cid, rater_user_id=m.user_id,
                            rater_kind="self", score=max(1, min(5, score + rng.choice((0, 0, 1)))),
                            comment="自评：本季度尽力完成了各项工作。", created_at=computed_at - timedelta(days=6)))
    if demo is not None:
        ratings.append(dict(evaluation_id=evaluation_id, criterion_id=cid, rater_user_id=demo.user_id,
                            rater_kind="peer", score=max(1, min(5, score + rng.choice((-1, 0, 0, 1)))),
                            comment=None, created_at=computed_at - timedelta(days=5)))
    return ratings


def _open_ratings(b: Builder, m: MemberPlan, rated_ids: list[int], evaluation_id: int) -> list[dict[str, Any]]:
    """The open cycle is under way: a few manager ratings and `member`'s own self-review."""
    rng = b.rng
    ratings: list[dict[str, Any]] = []
    if rng.random() < 0.4 or m.user_id:
        for cid in rated_ids[:2]:
            kind, rater = ("self", m.user_id) if m.user_id else ("manager", b.users["manager"])
            ratings.append(dict(evaluation_id=evaluation_id, criterion_id=cid, rater_user_id=rater, rater_kind=kind,
                                score=max(1, min(5, round(3.5 + 0.5 * m.quality))), comment=None,
                                created_at=b.dt(b.today - timedelta(days=rng.randint(1, 10)))))
    return ratings


def _insert_reviews(b: Builder, evaluated: list[MemberPlan], east_criteria: list[tuple[int, dict[str, Any]]],
                    rated_scores: dict[int, dict[int, int]], released_ids: dict[int, int], open_ids: dict[int, int],
                    computed_at: datetime) -> None:
    """Peer reviewers in both cycles and the ratings of the rated lines."""
    demo = next(m for m in b.members if m.username == "member")
    ratings, peers = [], []
    rated_ids = [cid for cid, row in east_criteria if row["kind"] == "rated"]
    for m in evaluated:
        chosen = _peer_reviewers(b, evaluated, m, demo)
        for eval_ids in (released_ids, open_ids):
            for p in chosen:
                peers.append(dict(evaluation_id=eval_ids[m.idx], reviewer_member_id=p.id))
        for cid in rated_ids:
            ratings.extend(_released_ratings(b, m, cid, rated_scores[m.idx][cid], released_ids[m.idx],
                                             demo if demo in chosen else None, computed_at))
        ratings.extend(_open_ratings(b, m, rated_ids, open_ids[m.idx]))
    b.insert(PeerReviewer, peers)
    b.insert(Rating, ratings)


def _reward_levels(totals: dict[int, float]) -> tuple[float, float]:
    """The bonus and gift thresholds: the second-best total (at least 3.0) and the median (at least 2.5, below the bonus)."""
    ranked = sorted(totals.values(), reverse=True)
    bonus_at = max(3.0, int(ranked[min(1, len(ranked) - 1)] * 10) / 10)
    gift_at = round(max(2.5, min(bonus_at - 0.1, int(ranked[min(len(ranked) - 1, len(ranked) // 2)] * 10) / 10)), 1)
    return bonus_at, gift_at


def _insert_reward_rules(b: Builder, bonus_at: float, gift_at: float) -> list[int]:
    east = b.teams[0]
    rules = [dict(team_id=east.id, metric="evaluation_score", threshold=bonus_at, reward_kind="bonus",
                  amount=Decimal("3000.00"), description=f"季度考核 ≥ {bonus_at} 分：奖金 3000 元"),
             dict(team_id=east.id, metric="evaluation_score", threshold=gift_at, reward_kind="gift",
                  amount=Decimal("500.00"), description=f"季度考核 ≥ {gift_at} 分：购物卡 500 元"),
             dict(team_id=east.id, metric="goal_attainment", threshold=120.0, reward_kind="extra_leave", amount=None,
                  description="个人目标达成率 ≥ 120%：额外 1 天假期")]
    for k in range(1, len(TOP_TEAMS)):
        rules.append(dict(team_id=b.teams[k].id, metric="evaluation_score", threshold=4.2, reward_kind="bonus",
                          amount=Decimal("2000.00"), description="季度考核 ≥ 4.2 分：奖金 2000 元"))
    return b.insert(RewardRule, rules, returning=True)


def _insert_rewards(b: Builder, evaluated: list[MemberPlan], totals: dict[int, float], cycle_id: int,
                    released_at: datetime) -> None:
    """Reward rules and the rewards the released cycle earned (every other one confirmed, best first)."""
    manager_user = b.users["manager"]
    bonus_at, gift_at = _reward_levels(totals)
    rule_ids = _insert_reward_rules(b, bonus_at, gift_at)
    rewards = []
    for n, m in enumerate(sorted(evaluated, key=lambda x: -totals[x.idx])):
        total = totals[m.idx]
        if total >= bonus_at:
            rule, kind, amount = rule_ids[0], "bonus", Decimal("3000.00")
        elif total >= gift_at:
            rule, kind, amount = rule_ids[1], "gift", Decimal("500.00")
        else:
            continue
        status = "confirmed" if n % 2 == 0 else "suggested"
        rewards.append(dict(member_id=m.id, cycle_id=cycle_id, rule_id=rule, kind=kind, amount=amount,
                            reason=f"{_cycle_name(b.prev_q[0])} {total} 分", status=status,
                            decided_by=manager_user if status == "confirmed" else None,
                            decided_at=released_at + timedelta(days=1) if status == "confirmed" else None,
                            created_at=released_at))
    b.insert(Reward, rewards)


def build_evaluations(b: Builder) -> None:
    _, end = b.prev_q
    evaluated = [m for m in b.members if b.teams[m.team].top == 0 and not m.is_top_lead and m.status != "left"]
    template_ids, east_criteria = _insert_templates(b, evaluated)
    released_at = datetime.combine(min(end + timedelta(days=10), b.today - timedelta(days=1)), time(3, 0))
    computed_at = released_at - timedelta(hours=2)
    cycle_ids = _insert_cycles(b, template_ids[0], released_at)
    totals, rated_scores = _score_members(b, evaluated, east_criteria)
    released_ids, open_ids = _insert_evaluations(b, evaluated, cycle_ids, totals, computed_at)
    _insert_reviews(b, evaluated, east_criteria, rated_scores, released_ids, open_ids, computed_at)
    _insert_rewards(b, evaluated, totals, cycle_ids[0], released_at)
    b.audit_rows.append(dict(at=released_at, user_id=b.users["manager"], action="evaluation.release", entity="evaluation_cycle",
                             entity_id=cycle_ids[0], before={"status": "open"}, after={"status": "released"}))
