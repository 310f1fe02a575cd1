"""The demo workspace (the demo/ package): on first start every page has something real to show, the demo
logins work, and the same seed and day always build the same rows.

Read-only rules share one small demo per backend (built once per module); tests that build or
compare builds get fresh databases."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core import evaluations as evaluations_core
from core import metrics
from core.auth import check_password
from core.permissions import actor_for_user, scope_for
from db.base import Base
from demo import DEMO_PASSWORD, build_demo, ensure_demo
from demo.measure import Measurer
from demo.plans import MemberPlan
from db.engine import make_engine
from db.models import (
    Complaint,
    Criterion,
    Customer,
    Deal,
    Evaluation,
    EvaluationCycle,
    Feedback,
    Goal,
    Interaction,
    Member,
    Rating,
    Responsibility,
    ResponsibilityAssignment,
    ScorecardTemplate,
    Survey,
    Task,
    Team,
    User,
)
from db.session import read_session
from tests.conftest import BACKENDS, _fresh_url

TODAY = date(2026, 11, 23)
MIDNIGHT = datetime(2026, 11, 23)


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request, tmp_path_factory, sqlite_template, pg_admin, pg_template):
    """(engine, counts) of one small demo built with TODAY, shared by the read-only tests."""
    url = _fresh_url(request.param, tmp_path_factory.mktemp("demo"), sqlite_template, pg_admin, pg_template)
    engine = make_engine(url)
    counts = build_demo(engine, today=TODAY)
    yield engine, counts
    engine.dispose()
    if request.param == "postgresql":
        pg_admin.drop(make_url(url).database)


def _actor(session, username: str):
    return actor_for_user(session, session.scalar(select(User).where(User.username == username)))


# ---------------------------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------------------------
def test_the_small_demo_has_the_promised_sizes(demo):
    _, counts = demo
    assert 20 <= counts["members"] <= 30
    assert 350 <= counts["customers"] <= 450
    assert counts["interactions"] >= 5 * counts["customers"]
    assert counts["evaluation_cycles"] >= 1
    assert counts["settings"] == 1


def test_every_table_has_rows(demo):
    _, counts = demo
    assert set(counts) == {t.name for t in Base.metadata.sorted_tables}
    # issue 12: sender tokens exist only while feedback waits for release, and scorecard snapshots
    # are written by core's release (the demo stores its released cycle's totals directly);
    # issue 17: sign-in sessions and login throttles are made by people signing in, not by the demo
    runtime_only = {"feedback_senders", "scorecard_snapshots", "user_sessions", "login_throttles"}
    assert [name for name, n in counts.items() if n == 0 and name not in runtime_only] == []


def test_the_organisation_is_three_or_four_top_teams_with_sub_teams(demo):
    engine, _ = demo
    with read_session(engine) as s:
        tops = s.scalars(select(Team).where(Team.parent_id.is_(None))).all()
        assert 3 <= len(tops) <= 4
        assert {t.kind for t in tops} == {"core", "support", "management"}
        assert all(t.manager_user_id is not None for t in tops)
        subs = s.scalar(select(func.count()).select_from(Team).where(Team.parent_id.is_not(None)))
        assert subs >= len(tops)
        assert s.scalar(select(func.count()).select_from(Team).where(Team.leader_id.is_(None))) == 0
        roles_used = s.scalar(select(func.count(func.distinct(Member.role_id))))
        assert roles_used == 8
        assert s.scalar(select(func.count()).select_from(Member).where(Member.status == "leaving")) >= 2


def test_the_interactions_cover_six_months_and_nothing_happens_after_today(demo):
    engine, _ = demo
    with read_session(engine) as s:
        first, last = s.execute(select(func.min(Interaction.occurred_at), func.max(Interaction.occurred_at))).one()
        assert first <= MIDNIGHT - timedelta(days=175)
        assert last < MIDNIGHT
        assert s.scalar(select(func.max(Complaint.opened_at))) < MIDNIGHT
        assert s.scalar(select(func.max(Survey.responded_at))) < MIDNIGHT
        won_before = s.scalar(select(func.count()).select_from(Deal).where(
            Deal.stage == "won", Deal.closed_on < TODAY - timedelta(days=190)))
        assert won_before == 0
        stages = set(s.scalars(select(Deal.stage).distinct()))
        assert stages == {"lead", "qualified", "proposal", "negotiation", "won", "lost"}
        assert set(s.scalars(select(Task.status).distinct())) == {"todo", "in_progress", "blocked", "done"}
        assert set(s.scalars(select(Complaint.status).distinct())) == {"open", "responded", "resolved"}


# ---------------------------------------------------------------------------------------------
# Logins and visibility
# ---------------------------------------------------------------------------------------------
def test_the_demo_logins_use_the_demo_password(demo):
    engine, _ = demo
    with read_session(engine) as s:
        users = {u.username: u for u in s.scalars(select(User))}
        s.expunge_all()
    assert {"admin", "manager", "member"} <= set(users)
    assert [users[name].role for name in ("admin", "manager", "member")] == ["admin", "manager", "member"]
    for name in ("admin", "manager", "member"):
        assert check_password(DEMO_PASSWORD, users[name].password_hash)
    assert all(u.role == "manager" for name, u in users.items() if "." in name)


def test_manager_leads_a_team_with_sub_teams_and_sees_the_member(demo):
    engine, _ = demo
    with read_session(engine) as s:
        manager, member = _actor(s, "manager"), _actor(s, "member")
        scope = scope_for(s, manager)
        assert len(scope.team_ids) >= 3
        assert member.member_id in scope.member_ids
        managed = s.scalars(select(Team.id).where(Team.manager_user_id == manager.user_id, Team.parent_id.is_(None))).all()
        assert any(s.scalar(select(func.count()).select_from(Team).where(Team.parent_id == t)) >= 2 for t in managed)
        assert s.scalar(select(func.count()).select_from(Member).where(
            Member.team_id.in_(scope.team_ids), Member.status == "leaving")) >= 1


def test_member_has_customers_tasks_goals_and_overdue_follow_ups(demo):
    engine, _ = demo
    with read_session(engine) as s:
        me = _actor(s, "member").member_id
        assert s.scalar(select(func.count()).select_from(Customer).where(Customer.owner_id == me)) >= 5
        overdue = s.scalar(select(func.count()).select_from(Customer).where(
            Customer.owner_id == me, Customer.next_follow_up < TODAY))
        assert overdue >= 3
        statuses = set(s.scalars(select(Task.status).where(Task.assignee_id == me)))
        assert statuses == {"todo", "in_progress", "blocked", "done"}
        assert s.scalar(select(func.count()).select_from(Task).where(
            Task.assignee_id == me, Task.status != "done", Task.due_date < TODAY)) >= 1
        metrics = set(s.scalars(select(Goal.metric).where(Goal.member_id == me)))
        assert "manual" in metrics and len(metrics) >= 2


def test_customers_follow_up_state_matches_their_latest_interaction(demo):
    engine, _ = demo
    with read_session(engine) as s:
        latest = (select(Interaction.customer_id, func.max(Interaction.occurred_at).label("at"))
                  .group_by(Interaction.customer_id).subquery())
        rows = s.execute(
            select(Customer.last_contact_at, Customer.next_follow_up, latest.c.at, Interaction.next_follow_up)
            .join(latest, latest.c.customer_id == Customer.id)
            .join(Interaction, (Interaction.customer_id == Customer.id) & (Interaction.occurred_at == latest.c.at))
        ).all()
        assert len(rows) == s.scalar(select(func.count()).select_from(Customer))
        assert all(last == at and nxt == fu for last, nxt, at, fu in rows)
        overdue = s.scalar(select(func.count()).select_from(Customer).where(Customer.next_follow_up < TODAY))
        assert 0 < overdue < len(rows) / 2


def test_owned_records_sit_in_their_owners_team(demo):
    engine, _ = demo
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Customer).join(Member, Member.id == Customer.owner_id)
                        .where(Customer.team_id != Member.team_id)) == 0
        assert s.scalar(select(func.count()).select_from(Task).join(Member, Member.id == Task.assignee_id)
                        .where(Task.team_id != Member.team_id)) == 0
        owned = select(func.count()).where(Customer.owner_id == Member.id).scalar_subquery()
        assert s.scalar(select(func.count()).select_from(Member).where(Member.max_customers < owned)) == 0


# ---------------------------------------------------------------------------------------------
# Responsibilities, scorecards, evaluations, feedback
# ---------------------------------------------------------------------------------------------
def test_every_responsibility_has_exactly_one_accountable(demo):
    engine, _ = demo
    with read_session(engine) as s:
        accountable = dict(s.execute(
            select(Responsibility.id, func.count(ResponsibilityAssignment.id))
            .outerjoin(ResponsibilityAssignment, (ResponsibilityAssignment.responsibility_id == Responsibility.id)
                       & (ResponsibilityAssignment.raci == "A"))
            .group_by(Responsibility.id)
        ).all())
    assert accountable and set(accountable.values()) == {1}


def test_every_scorecard_template_weighs_exactly_100(demo):
    engine, _ = demo
    with read_session(engine) as s:
        sums = s.execute(select(ScorecardTemplate.id, func.sum(Criterion.weight))
                         .join(Criterion, Criterion.template_id == ScorecardTemplate.id)
                         .group_by(ScorecardTemplate.id)).all()
        assert sums and all(total == 100 for _, total in sums)
        measured = s.scalars(select(Criterion).where(Criterion.kind == "measured")).all()
        assert measured and all(len(c.scale["thresholds"]) == 4 for c in measured)
        assert s.scalar(select(func.count()).select_from(Criterion).where(
            Criterion.kind == "rated", Criterion.scale.is_not(None))) == 0


def test_the_released_cycle_of_managers_team_has_scored_evaluations(demo):
    engine, _ = demo
    with read_session(engine) as s:
        manager = _actor(s, "manager")
        cycles = {c.status: c for c in s.scalars(select(EvaluationCycle))}
        assert {"released", "open"} <= set(cycles)
        released = cycles["released"]
        assert released.team_id in scope_for(s, manager).team_ids
        assert released.end_date < TODAY <= cycles["open"].end_date
        totals = s.scalars(select(Evaluation.total).where(Evaluation.cycle_id == released.id)).all()
        assert len(totals) >= 5 and all(t is not None and 1 <= t <= 5 for t in totals)
        kinds = set(s.scalars(select(Rating.rater_kind).join(Evaluation, Evaluation.id == Rating.evaluation_id)
                              .where(Evaluation.cycle_id == released.id)))
        assert {"manager", "self"} <= kinds


def test_the_released_cycles_stored_totals_are_what_core_metrics_measures(demo):
    """The demo stores the released cycle's totals itself (no release ran): each one is the weighted
    total of core.metrics' measured values on the criteria's scales and the manager's ratings."""
    engine, _ = demo
    with read_session(engine) as s:
        cycle = s.scalars(select(EvaluationCycle).where(EvaluationCycle.status == "released")).one()
        criteria = s.scalars(select(Criterion).where(Criterion.template_id == cycle.template_id)
                             .order_by(Criterion.position)).all()
        assert {c.kind for c in criteria} == {"measured", "rated"}
        evaluations = s.scalars(select(Evaluation).where(Evaluation.cycle_id == cycle.id)).all()
        scored = 0
        for evaluation in evaluations:
            manager = {r.criterion_id: r.score for r in s.scalars(select(Rating).where(
                Rating.evaluation_id == evaluation.id, Rating.rater_kind == "manager"))}
            lines = []
            for c in criteria:
                if c.kind == "measured":
                    value = metrics.measure_value(s, c.metric, member_ids=[evaluation.member_id],
                                                  start=cycle.start_date, end=cycle.end_date)
                    scored += value is not None
                    lines.append((c.weight, evaluations_core.scale_score(value, c.scale)))
                else:
                    lines.append((c.weight, manager.get(c.id)))
            assert evaluation.total == evaluations_core.weighted_total(lines)[0]
        assert scored >= len(evaluations)  # measured criteria really scored, not all missing


def test_the_demos_measurements_are_core_metrics(demo):
    """demo.measure reads one member from a grouped query: the same numbers as measuring them alone."""
    engine, _ = demo
    with read_session(engine) as s:
        members = s.scalars(select(Member).order_by(Member.id)).all()
        plans = [MemberPlan(k, m.name, "", 0, "", False, False, id=m.id) for k, m in enumerate(members)]
        measured = Measurer(s, plans)
        start, end = date(2026, 7, 1), date(2026, 9, 30)
        for metric in ("sales_won", "new_customers", "csat_avg", "nps", "retention_rate", "first_response_hours",
                       "resolution_rate", "follow_ups_done", "tasks_on_time"):
            for k, m in enumerate(members):
                assert measured(metric, [k], start, end) == metrics.measure_value(
                    s, metric, member_ids=[m.id], start=start, end=end), (metric, m.name)
            team = measured(metric, list(range(len(members))), start, end)
            assert team == metrics.measure_value(s, metric, member_ids=[m.id for m in members], start=start, end=end)
        assert measured("follow_ups_done", list(range(len(members))), start, end) > 0


def test_anonymous_feedback_has_a_released_batch_of_at_least_three(demo):
    engine, _ = demo
    with read_session(engine) as s:
        batches = s.execute(select(Feedback.team_id, Feedback.target, Feedback.period, func.count())
                            .where(Feedback.released.is_(True))
                            .group_by(Feedback.team_id, Feedback.target, Feedback.period)).all()
    assert batches and all(n >= 3 and period < f"{TODAY:%Y-%m}" for _, _, period, n in batches)


# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------
def _digest(engine) -> str:
    h = hashlib.sha256()
    with read_session(engine) as s:
        for stmt in (
            select(Member.name, Member.email, Member.team_id, Member.role_id, Member.status).order_by(Member.id),
            select(Customer.external_id, Customer.name, Customer.owner_id, Customer.tier, Customer.region,
                   Customer.last_contact_at, Customer.next_follow_up).order_by(Customer.id),
            select(Interaction.customer_id, Interaction.member_id, Interaction.occurred_at, Interaction.summary).order_by(Interaction.id),
            select(Task.title, Task.assignee_id, Task.status, Task.due_date, Task.position, Task.goal_id).order_by(Task.id),
            select(Goal.title, Goal.parent_id, Goal.target, Goal.start_date).order_by(Goal.id),
            select(Deal.customer_id, Deal.stage, Deal.value, Deal.closed_on).order_by(Deal.id),
            select(Evaluation.member_id, Evaluation.total).order_by(Evaluation.id),
        ):
            for row in s.execute(stmt):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def test_the_same_seed_and_day_build_the_same_workspace(engine, tmp_path, sqlite_template, pg_admin, pg_template):
    backend = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
    other_url = _fresh_url(backend, tmp_path, sqlite_template, pg_admin, pg_template)
    other = make_engine(other_url)
    try:
        first = build_demo(engine, seed=7, today=date(2027, 1, 1))  # also: the first day of a year and quarter
        second = build_demo(other, seed=7, today=date(2027, 1, 1))
        assert first == second
        assert _digest(engine) == _digest(other)
    finally:
        other.dispose()
        if backend == "postgresql":
            pg_admin.drop(make_url(other_url).database)


def test_ensure_demo_builds_only_into_an_empty_workspace(engine):
    assert ensure_demo(engine) is True
    with read_session(engine) as s:
        users = s.scalar(select(func.count()).select_from(User))
    assert ensure_demo(engine) is False
    with pytest.raises(ValueError):
        build_demo(engine)
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(User)) == users
