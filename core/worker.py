"""The worker: the work that happens when nobody has a page open.

    python -m core.worker            # loop, a pass every --interval seconds (default 30)
    python -m core.worker --once     # one pass, then exit (cron, tests, bench)

Each pass runs the jobs that are due: SLA warnings, breaches and escalation levels, follow-up
reminders, the month-end release of anonymous feedback, evaluation deadlines, automation rules and
the daily digest; then it sends the queued e-mail.

Exactly once, however many workers share a database: a job runs for a time slot (a minute bucket
for the frequent jobs, the local date for daily ones). A worker claims the slot by inserting the
unique (job, slot) JobRun row in the same transaction as the job's work. The first insert wins; on
PostgreSQL a second worker's insert waits for the first transaction and then fails on the unique
key, on SQLite the write lock serialises them the same way; if the first worker crashes its
transaction rolls back and the slot is free again. On top of that every notification has its own
unique key, so even a job run twice notifies once.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, case, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core import feedback, mailer, notifications, service
from core.i18n import t
from core.permissions import Actor
from db.base import utcnow
from db.models import Customer, Evaluation, EvaluationCycle, JobRun, Member, User
from db.session import unit_of_work

log = logging.getLogger("clientcrew.worker")

# The worker acts for nobody in particular: audit rows it writes carry no user.
SYSTEM = Actor(user_id=None, username="worker", role="admin", display_name="ClientCrew worker")
DEFAULT_INTERVAL_SECONDS = 30
EVALUATION_WARN_DAYS = 3


def workspace_zone(session: Session) -> ZoneInfo:
    """The workspace time zone for daily jobs (Admin → Workspace settings, core.workspace)."""
    from core import workspace

    name = workspace.get_settings(session).timezone
    try:
        return ZoneInfo(name)
    except Exception:  # a bad setting must not stop the worker
        return ZoneInfo("Asia/Shanghai")


def local_today(session: Session, now: datetime) -> date:
    return now.replace(tzinfo=ZoneInfo("UTC")).astimezone(workspace_zone(session)).date()


# ---------------------------------------------------------------------------------------------
# Jobs: each takes (session, now) and returns how many things it did
# ---------------------------------------------------------------------------------------------
def job_sla(session: Session, now: datetime) -> int:
    """Warnings, breaches and escalation levels of the service targets."""
    return service.escalate_breaches(session, now)


def job_follow_ups(session: Session, now: datetime) -> int:
    """Each owner with a login hears once a day how many follow-ups are due today and overdue."""
    today = local_today(session, now)
    rows = session.execute(
        select(Member.user_id,
               func.sum(case((Customer.next_follow_up == today, 1), else_=0)),
               func.sum(case((Customer.next_follow_up < today, 1), else_=0)))
        .join(Member, Member.id == Customer.owner_id)
        .where(Customer.next_follow_up <= today, Customer.status != "churned", Member.user_id.is_not(None),
               Member.status != "left")
        .group_by(Member.user_id)
    ).all()
    notifier = notifications.Notifier(session, now)
    ref = f"follow_ups:{today.isoformat()}"
    existing = notifier.existing([ref])
    created = 0
    langs = dict(session.execute(select(User.id, User.language).where(User.id.in_([r[0] for r in rows]))).all()) if rows else {}
    for user_id, due, overdue in rows:
        if (user_id, "follow_up_reminder", ref) in existing:
            continue
        message = t("notify.msg.follow_ups", langs.get(user_id, "zh"), due=int(due or 0), overdue=int(overdue or 0))
        created += notifier.notify(user_id, "follow_up_reminder", ref, message)
    return created


def job_feedback_release(session: Session, now: datetime) -> int:
    """Month-end release of anonymous feedback batches; each team's manager is told."""
    today = local_today(session, now)
    groups = feedback._due_groups(session, SYSTEM, today)
    if not groups:
        return 0
    released = feedback.release_due_feedback(session, SYSTEM, today)
    resolve = service.ManagerResolver(session)
    notifier = notifications.Notifier(session, now)
    period = feedback.previous_period(today)
    for team_id, target, count in groups:
        manager = resolve(None, team_id)
        if manager is not None:
            lang = session.scalar(select(User.language).where(User.id == manager)) or "zh"
            notifier.notify(manager, "feedback_released", f"feedback:{team_id}:{target}:{period}",
                            t("notify.msg.feedback_released", lang, n=count))
    return released


def job_evaluation_deadlines(session: Session, now: datetime) -> int:
    """Open cycles ending within EVALUATION_WARN_DAYS: the members in them (with a login) and the
    team's manager are reminded once per cycle."""
    today = local_today(session, now)
    cycles = session.execute(
        select(EvaluationCycle.id, EvaluationCycle.name, EvaluationCycle.team_id, EvaluationCycle.end_date)
        .where(EvaluationCycle.status == "open", EvaluationCycle.end_date >= today,
               EvaluationCycle.end_date <= today + timedelta(days=EVALUATION_WARN_DAYS))
    ).all()
    notifier = notifications.Notifier(session, now)
    resolve = service.ManagerResolver(session)
    created = 0
    for cycle in cycles:
        users = set(session.scalars(
            select(Member.user_id).join(Evaluation, Evaluation.member_id == Member.id)
            .where(Evaluation.cycle_id == cycle.id, Member.user_id.is_not(None))
        ))
        manager = resolve(None, cycle.team_id)
        if manager is not None:
            users.add(manager)
        for user_id in sorted(users):
            lang = session.scalar(select(User.language).where(User.id == user_id)) or "zh"
            from core.i18n import format_date

            created += notifier.notify(user_id, "evaluation_deadline", f"cycle:{cycle.id}",
                                       t("notify.msg.evaluation_deadline", lang, cycle=cycle.name,
                                         date=format_date(cycle.end_date, lang)))
    return created


def job_automation(session: Session, now: datetime) -> int:
    from core import automation

    return automation.run_all(session, now)


def job_digest(session: Session, now: datetime) -> int:
    return notifications.queue_digests(session, local_today(session, now), now)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Session, datetime], int]
    every_seconds: int | None  # None: daily (slot = the workspace's local date)

    def slot(self, session: Session, now: datetime) -> str:
        if self.every_seconds is None:
            return local_today(session, now).isoformat()
        bucket = int(now.replace(tzinfo=ZoneInfo("UTC")).timestamp()) // self.every_seconds
        return f"{self.every_seconds}s:{bucket}"


# How often the SLA job runs (seconds; every worker on a database must use the same value).
SLA_SECONDS = max(1, int(os.environ.get("CLIENTCREW_SLA_SECONDS", "60") or 60))

JOBS: tuple[Job, ...] = (
    Job("sla", job_sla, SLA_SECONDS),
    Job("automation", job_automation, 300),
    Job("follow_ups", job_follow_ups, None),
    Job("feedback_release", job_feedback_release, None),
    Job("evaluation_deadlines", job_evaluation_deadlines, None),
    Job("digest", job_digest, None),
)


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------
def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


@dataclass
class PassResult:
    ran: dict[str, int]
    skipped: list[str]
    mails_sent: int


class Worker:
    """Runs due jobs against one engine. Remembers the slots it has seen taken, so an idle tick
    costs one cheap query per job at most (none for a slot it already knows is done)."""

    def __init__(self, engine: Engine, name: str | None = None, jobs: tuple[Job, ...] = JOBS) -> None:
        self.engine = engine
        self.name = name or worker_name()
        self.jobs = jobs
        self._done: dict[str, str] = {}  # job -> last slot known to be taken

    def run_job(self, job: Job, now: datetime) -> int | None:
        """Run `job` for its current slot if no worker has; returns its result, or None when the
        slot was already taken (or another worker holds it right now)."""
        try:
            with unit_of_work(self.engine) as s:
                slot = job.slot(s, now)
                if self._done.get(job.name) == slot:
                    return None
                if s.scalar(select(JobRun.id).where(JobRun.job == job.name, JobRun.slot == slot)):
                    self._done[job.name] = slot
                    return None
                run = JobRun(job=job.name, slot=slot, worker=self.name, started_at=utcnow())
                s.add(run)
                s.flush()  # takes the slot (waits for a concurrent claimer; fails if it committed)
                result = int(job.run(s, now) or 0)
                run.result, run.finished_at = result, utcnow()
        except IntegrityError:
            self._done[job.name] = slot
            return None
        except OperationalError as exc:  # SQLite busy past its timeout: try again next tick
            log.warning("job %s skipped this tick: %s", job.name, exc)
            return None
        self._done[job.name] = slot
        return result

    def run_pass(self, now: datetime | None = None, deliver: bool = True) -> PassResult:
        now = now or utcnow()
        ran: dict[str, int] = {}
        skipped: list[str] = []
        for job in self.jobs:
            try:
                result = self.run_job(job, now)
            except Exception:  # one broken job must not stop the others
                log.exception("job %s failed", job.name)
                skipped.append(job.name)
                continue
            if result is None:
                skipped.append(job.name)
            else:
                ran[job.name] = result
        sent = 0
        if deliver:
            try:
                sent = mailer.deliver_outbox(self.engine, self.name, now)
            except Exception:
                log.exception("mail delivery failed")
        return PassResult(ran, skipped, sent)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--once", action="store_true", help="run one pass and exit")
    parser.add_argument("--interval", type=float, default=DEFAULT_INTERVAL_SECONDS, help="seconds between passes")
    parser.add_argument("--url", default=None, help="database URL (default: DATABASE_URL or the SQLite file)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    from db.engine import make_engine

    engine = make_engine(args.url)
    worker = Worker(engine)
    stopping = False

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("started as %s, a pass every %.0f s", worker.name, args.interval)
    while True:
        started = time.monotonic()
        result = worker.run_pass()
        if result.ran or result.mails_sent:
            log.info("ran %s, sent %d mails", result.ran, result.mails_sent)
        if args.once or stopping:
            break
        while not stopping and time.monotonic() - started < args.interval:
            time.sleep(0.5)
        if stopping:
            break
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
