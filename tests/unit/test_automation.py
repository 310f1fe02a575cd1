"""Automation rules: a dry run lists what a rule would do and writes nothing; a real run acts
once per record and audits it; conditions and scopes decide which records a rule sees."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import automation, service
from core.errors import InvalidInput, PermissionDenied
from db.models import AuditLog, AutomationRun, Customer, Notification, Task

NOW = datetime(2026, 12, 1, 2, 0)
TODAY = NOW.date()


def counts(session):
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Task, Notification, AutomationRun, AuditLog)}


def overdue_rule(session, world, who="admin", **kw):
    data = {
        "name": "Overdue follow-up: call back", "team_id": kw.pop("team_id", None), "trigger": "follow_up_overdue",
        "trigger_days": 2, "conditions": kw.pop("conditions", {}), "action": "create_task",
        "action_params": {"title": "Call back {record}", "due_in_days": 1},
    }
    data.update(kw)
    return automation.save_rule(session, world.actors[who], data)


def test_a_dry_run_lists_what_the_rule_would_do_and_writes_nothing(session, world):
    world.customers["a1"].next_follow_up = TODAY - timedelta(days=5)  # overdue by 5 days
    world.customers["b1"].next_follow_up = TODAY - timedelta(days=1)  # only 1 day: not yet
    rule_id = overdue_rule(session, world)
    session.flush()
    before = counts(session)
    plan = automation.dry_run(session, world.actors["admin"], rule_id, now=NOW)
    assert [p["record"] for p in plan] == ["Customer of Alice A1"]
    assert plan[0]["action"] == "Create task “Call back Customer of Alice A1”, due 2026-12-02"
    assert counts(session) == before
    assert not session.new and not session.dirty


def test_a_real_run_writes_once_and_audits_it(session, world):
    world.customers["a1"].next_follow_up = TODAY - timedelta(days=5)
    rule_id = overdue_rule(session, world)
    assert automation.run_rule(session, world.actors["admin"], rule_id, now=NOW) == 1
    assert automation.run_rule(session, world.actors["admin"], rule_id, now=NOW + timedelta(hours=1)) == 0
    assert automation.run_all(session, NOW + timedelta(hours=2)) == 0
    tasks = session.execute(select(Task.title, Task.assignee_id, Task.due_date).where(Task.title.like("Call back%"))).all()
    assert tasks == [("Call back Customer of Alice A1", world.members["a1"].id, date(2026, 12, 2))]
    runs = session.execute(select(AuditLog.after).where(AuditLog.action == "automation.run")).scalars().all()
    assert len(runs) == 1 and runs[0]["ref"] == f"customer:{world.customers['a1'].id}:{TODAY - timedelta(days=5)}"
    assert runs[0]["action"] == "create_task"


def test_conditions_narrow_the_records_a_rule_acts_on(session, world):
    for key in ("a1", "a2", "b1"):
        world.customers[key].next_follow_up = TODAY - timedelta(days=5)
    world.customers["a2"].tier = "A"
    rule_id = overdue_rule(session, world, conditions={"tier": "A", "team_id": world.teams["A"].id})
    plan = automation.dry_run(session, world.actors["admin"], rule_id, now=NOW)
    assert [p["record"] for p in plan] == ["Customer of Aaron A2"]


def test_a_managers_rule_sees_only_their_teams_and_must_name_one(session, world):
    for key in ("a1", "b1"):
        world.customers[key].next_follow_up = TODAY - timedelta(days=5)
    with pytest.raises(InvalidInput):
        overdue_rule(session, world, who="manager_a")
    with pytest.raises(PermissionDenied):
        overdue_rule(session, world, who="manager_a", team_id=world.teams["B"].id)
    rule_id = overdue_rule(session, world, who="manager_a", team_id=world.teams["A"].id)
    assert [p["record"] for p in automation.dry_run(session, world.actors["manager_a"], rule_id, now=NOW)] == ["Customer of Alice A1"]
    with pytest.raises(PermissionDenied):
        automation.dry_run(session, world.actors["manager_b"], rule_id, now=NOW)


def test_a_breached_complaint_rule_notifies_the_owners_manager(session, world):
    cid = service.log_complaint(session, world.actors["admin"], customer_id=world.customers["a1"].id,
                                severity="critical", title="Outage", opened_at=NOW - timedelta(hours=2))
    rule_id = automation.save_rule(session, world.actors["admin"], {
        "name": "Critical breach", "trigger": "complaint_breached", "conditions": {"priority": "critical"},
        "action": "notify", "action_params": {"to": "manager", "message": "Critical complaint late"},
    })
    assert automation.run_rule(session, world.actors["admin"], rule_id, now=NOW) == 1
    note = session.execute(select(Notification.user_id, Notification.kind, Notification.message)).one()
    assert note == (world.users["manager_a"].id, "automation", "Critical complaint late · Customer of Alice A1 · Outage")
    assert session.scalar(select(AutomationRun.ref)) == f"complaint:{cid}"


def test_a_new_customer_without_owner_is_assigned_by_the_assignment_rules(session, world):
    rule_id = automation.save_rule(session, world.actors["admin"], {
        "name": "Assign new customers", "trigger": "customer_created", "action": "assign", "created_at": NOW - timedelta(days=1),
    })
    from tests.factories import make_customer

    newcomer = make_customer(session, "Newcomer", None, team=world.teams["A1"], created_at=NOW - timedelta(hours=1))
    old = make_customer(session, "Old one", None, team=world.teams["A1"], created_at=NOW - timedelta(days=30))
    plan = automation.dry_run(session, world.actors["admin"], rule_id, now=NOW)
    assert [p["record"] for p in plan] == ["Newcomer"]  # customers from before the rule are left alone
    automation.run_rule(session, world.actors["admin"], rule_id, now=NOW)
    assert session.get(Customer, newcomer.id).owner_id in {world.members["a1"].id, world.members["a2"].id}
    assert session.get(Customer, old.id).owner_id is None


def test_the_deal_hook_runs_stage_rules_for_that_deal(session, world):
    from decimal import Decimal

    from db.models import Deal

    deal = Deal(customer_id=world.customers["b1"].id, owner_id=world.members["b1"].id, title="Renewal",
                value=Decimal("1000"), stage="won", closed_on=TODAY)
    session.add(deal)
    session.flush()
    automation.save_rule(session, world.actors["admin"], {
        "name": "Won: thank-you call", "trigger": "deal_won", "action": "create_task",
        "action_params": {"title": "Thank-you call: {record}", "due_in_days": 2},
    })
    assert automation.deal_stage_changed(session, deal.id, "negotiation", "won", now=NOW) == 1
    assert automation.deal_stage_changed(session, deal.id, "negotiation", "won", now=NOW) == 0
    assert session.scalar(select(Task.title).where(Task.title.like("Thank-you%"))) == "Thank-you call: Customer of Bella B1 · Renewal"


def test_a_rule_with_missing_parts_is_refused_with_each_problem(session, world):
    with pytest.raises(InvalidInput) as err:
        automation.save_rule(session, world.actors["admin"], {"name": "", "trigger": "moon", "action": "create_task",
                                                               "action_params": {"title": ""}})
    assert {e.column for e in err.value.errors} == {"name", "trigger", "title"}
