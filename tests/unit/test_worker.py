"""The worker with no page open: breaches escalate level by level, exactly once each, and the
e-mails reach a local SMTP server in each recipient's language; due jobs run once however many
workers share the database."""
from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import calendars, mailer, notifications, service, worker
from db.engine import make_engine
from db.models import AuditLog, EmailOutbox, JobRun, Notification
from db.session import unit_of_work
from tests.factories import build_world, make_team, make_user
from tests.smtp_server import LocalSmtp

T0 = datetime(2026, 12, 1, 2, 0)  # Tuesday 10:00 in Shanghai


@pytest.fixture
def smtp():
    with LocalSmtp() as server:
        yield server


def _setup(engine, smtp_port: int) -> dict[str, int]:
    """The fixed world, a boss above Team A (the lead's manager, reading Chinese), a round-the-clock
    calendar on Team A with the lead told at the breach and the boss one hour later, mail settings
    pointing at the local server, and a critical complaint (1 h to respond) opened at T0."""
    with unit_of_work(engine) as s:
        w = build_world(s)
        boss = make_user(s, "boss", "manager", display_name="Boss", language="zh")
        w.teams["A"].parent_id = make_team(s, "Org", manager=boss).id
        w.users["manager_a"].language = "en"
        s.flush()
        admin = w.actors["admin"]
        calendars.set_calendar(s, admin, w.teams["A"].id, timezone="Asia/Shanghai", working_days=[1, 2, 3, 4, 5, 6, 7],
                               start_minute=0, end_minute=1440, lead_delay_minutes=0, manager_delay_minutes=60)
        mailer.save_settings(s, admin, host="127.0.0.1", port=smtp_port, security="none", sender="crew@example.com")
        cid = service.log_complaint(s, admin, customer_id=w.customers["a1"].id, severity="critical", title="Outage", opened_at=T0)
        return {"complaint": cid, "lead": w.users["manager_a"].id, "boss": boss.id, "owner": w.users["member_a1"].id}


def _notes(engine) -> list[tuple[int, str]]:
    with unit_of_work(engine) as s:
        return sorted(s.execute(select(Notification.user_id, Notification.kind)).all())


def test_with_no_page_open_a_breach_goes_to_the_lead_then_the_leads_manager_once_each_by_email(db_url, smtp):
    engine = make_engine(db_url)
    ids = _setup(engine, smtp.port)
    w = worker.Worker(engine, "test-worker")
    w.run_pass(now=T0 + timedelta(minutes=30))
    assert _notes(engine) == []
    w.run_pass(now=T0 + timedelta(minutes=50))  # 80 % of the hour: the owner is warned
    assert _notes(engine) == [(ids["owner"], service.WARN_RESPONSE)]
    w.run_pass(now=T0 + timedelta(minutes=61))  # breached: the lead
    w.run_pass(now=T0 + timedelta(minutes=62))
    assert _notes(engine) == sorted([(ids["owner"], service.WARN_RESPONSE), (ids["lead"], service.NOTIFY_RESPONSE)])
    w.run_pass(now=T0 + timedelta(minutes=119))  # the manager delay (60 min after the breach) not yet over
    assert (ids["boss"], service.ESCALATE_RESPONSE) not in _notes(engine)
    w.run_pass(now=T0 + timedelta(minutes=121))
    w.run_pass(now=T0 + timedelta(minutes=125))
    worker.Worker(engine, "second-worker").run_pass(now=T0 + timedelta(minutes=126))
    notes = _notes(engine)
    assert notes.count((ids["lead"], service.NOTIFY_RESPONSE)) == 1
    assert notes.count((ids["boss"], service.ESCALATE_RESPONSE)) == 1
    # the mails, in each recipient's language
    lead_mail = smtp.to("manager_a@example.com")
    boss_mail = smtp.to("boss@example.com")
    assert [m["Subject"] for m in lead_mail] == ["ClientCrew · Complaint response target breached"]
    assert [m["Subject"] for m in boss_mail] == ["ClientCrew · 投诉响应超时已升级"]
    assert "Outage" in boss_mail[0].get_content() and "首页" in boss_mail[0].get_content()
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(EmailOutbox).where(EmailOutbox.sent_at.is_(None))) == 0
    engine.dispose()


def test_a_response_before_the_next_delay_stops_the_escalation_there(db_url, smtp):
    engine = make_engine(db_url)
    ids = _setup(engine, smtp.port)
    w = worker.Worker(engine, "w")
    w.run_pass(now=T0 + timedelta(minutes=61))
    with unit_of_work(engine) as s:
        from core.permissions import actor_for_user
        from db.models import User

        admin = actor_for_user(s, s.scalar(select(User).where(User.username == "admin")))
        service.respond_to_complaint(s, admin, ids["complaint"], at=T0 + timedelta(minutes=90))
    w.run_pass(now=T0 + timedelta(hours=3))
    assert (ids["boss"], service.ESCALATE_RESPONSE) not in _notes(engine)
    engine.dispose()


def test_the_same_slot_runs_once_and_a_rerun_of_a_job_notifies_once(db_url, smtp):
    engine = make_engine(db_url)
    _setup(engine, smtp.port)
    now = T0 + timedelta(minutes=61)
    first = worker.Worker(engine, "a").run_pass(now=now, deliver=False)
    second = worker.Worker(engine, "b").run_pass(now=now, deliver=False)
    assert first.ran["sla"] == 2 and "sla" in second.skipped
    with unit_of_work(engine) as s:  # the job itself run again (a new slot) adds nothing
        assert worker.job_sla(s, now + timedelta(seconds=5)) == 0
        assert s.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == "sla")) == 1
    engine.dispose()


def test_preferences_send_a_kind_in_the_daily_digest_or_not_at_all(db_url, smtp):
    engine = make_engine(db_url)
    ids = _setup(engine, smtp.port)
    with unit_of_work(engine) as s:
        from core.permissions import actor_for_user
        from db.models import User

        lead = actor_for_user(s, s.get(User, ids["lead"]))
        owner = actor_for_user(s, s.get(User, ids["owner"]))
        assert notifications.set_preferences(s, lead, {service.NOTIFY_RESPONSE: "digest"}) == 1
        notifications.set_preferences(s, owner, {service.WARN_RESPONSE: "off"})
    w = worker.Worker(engine, "w", jobs=tuple(j for j in worker.JOBS if j.name == "sla"))
    w.run_pass(now=T0 + timedelta(minutes=61))
    assert smtp.to("manager_a@example.com") == [] and smtp.to("member_a1@example.com") == []
    with unit_of_work(engine) as s:
        assert notifications.queue_digests(s, date(2026, 12, 1), T0 + timedelta(hours=20)) == 1
        assert notifications.queue_digests(s, date(2026, 12, 1), T0 + timedelta(hours=21)) == 0
    mailer.deliver_outbox(engine, "w", T0 + timedelta(hours=21))
    (digest,) = smtp.to("manager_a@example.com")
    assert digest["Subject"] == "ClientCrew daily digest: 1 notification"
    assert "Complaint response target breached: Customer of Alice A1 · Outage" in digest.get_content()
    assert smtp.to("member_a1@example.com") == []  # "off": in-app only
    engine.dispose()


def test_follow_up_reminders_tell_each_owner_once_a_day(db_url, smtp):
    engine = make_engine(db_url)
    ids = _setup(engine, smtp.port)
    with unit_of_work(engine) as s:
        from db.models import Customer

        today = date(2026, 12, 1)
        for c, day in zip(s.scalars(select(Customer).order_by(Customer.id)), [today, today - timedelta(days=3), today]):
            c.next_follow_up = day
    now = T0
    with unit_of_work(engine) as s:
        assert worker.job_follow_ups(s, now) == 2  # a1 and b1 have logins; a2 (overdue) has none
    with unit_of_work(engine) as s:
        assert worker.job_follow_ups(s, now + timedelta(hours=1)) == 0
        message = s.scalar(select(Notification.message).where(Notification.user_id == ids["owner"]))
    assert message == "1 follow-up due today, 0 overdue"
    engine.dispose()


def test_a_mail_server_that_refuses_keeps_the_mail_queued_with_its_error(db_url):
    engine = make_engine(db_url)
    from tests.smtp_server import free_port

    _setup(engine, free_port())  # nothing listens there
    w = worker.Worker(engine, "w")
    result = w.run_pass(now=T0 + timedelta(minutes=61))
    assert result.mails_sent == 0
    with unit_of_work(engine) as s:
        rows = s.execute(select(EmailOutbox.sent_at, EmailOutbox.attempts, EmailOutbox.last_error)).all()
    assert rows and all(r.sent_at is None and r.attempts == 1 and r.last_error for r in rows)
    engine.dispose()


def test_two_workers_with_their_own_engines_run_a_due_job_exactly_once(db_url):
    """Two threads, each its own engine (as two processes would), start the same slow job for the
    same slot at the same moment: one runs it, the other skips."""
    engine = make_engine(db_url)
    with unit_of_work(engine) as s:
        build_world(s)
    engine.dispose()
    started = threading.Barrier(2)

    def slow_job(session, now):
        session.add(AuditLog(action="test.slow_job", entity="job", entity_id=None))
        session.flush()
        time.sleep(0.5)  # hold the transaction so the other worker's claim overlaps
        return 1

    job = worker.Job("slow", slow_job, 60)
    now = T0
    results: dict[str, object] = {}

    def run(name: str) -> None:
        eng = make_engine(db_url)
        try:
            w = worker.Worker(eng, name, jobs=(job,))
            started.wait()
            results[name] = w.run_job(job, now)
        finally:
            eng.dispose()

    threads = [threading.Thread(target=run, args=(n,)) for n in ("w1", "w2")]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert sorted(results.values(), key=lambda v: v is None) == [1, None]
    engine = make_engine(db_url)
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "test.slow_job")) == 1
        assert s.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == "slow")) == 1
    engine.dispose()


def test_the_command_line_runs_one_pass(sqlite_url):
    assert worker.main(["--once", "--url", sqlite_url]) == 0
    engine = make_engine(sqlite_url)
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(JobRun)) == len(worker.JOBS)
    engine.dispose()


def test_a_notification_is_part_of_its_transaction_and_rolls_back_with_it(db_url):
    """No savepoint that, on SQLite, would commit on its own before anything else was written."""
    engine = make_engine(db_url)
    ids = _setup(engine, 25)
    with pytest.raises(RuntimeError):
        with unit_of_work(engine) as s:
            assert service.escalate_breaches(s, T0 + timedelta(hours=3)) > 0
            raise RuntimeError("the action fails after the notifications were written")
    assert _notes(engine) == []
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(EmailOutbox)) == 0
    assert ids
    engine.dispose()
