"""Worker bench: one pass over a large workspace (every open complaint's escalation levels, every
owner's follow-up reminder, feedback, evaluation deadlines, automation, digest) and the cost of an
idle tick (every job's slot already taken), measured on a copy of the database so the source
stays as built.

    python -m demo --scale large --url sqlite:////tmp/large.db   # once (about 7 minutes)
    python -m bench.worker --url sqlite:////tmp/large.db

Reported: the workspace's open complaints and overdue follow-ups, the first pass per job (what
it created and how long it took), a second pass one minute later (the SLA job again, now with
nothing new: the steady cost every minute), and the idle tick (median of --ticks ticks).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core import worker
from db.base import utcnow
from db.engine import make_engine
from db.models import Complaint, Customer, EmailOutbox, Notification
from db.session import unit_of_work


def _copy(url: str) -> tuple[str, Path | None]:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url, None  # PostgreSQL: measured in place (the passes only add notifications)
    folder = Path(tempfile.mkdtemp(prefix="bench_worker_"))
    target = folder / "worker.db"
    source = Path(parsed.database)
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    shutil.copyfile(source, target)
    return f"sqlite:///{target}", folder


def _timed_pass(w: worker.Worker, now) -> tuple[float, dict[str, float], worker.PassResult]:
    per_job: dict[str, float] = {}
    ran: dict[str, int] = {}
    skipped: list[str] = []
    start = time.perf_counter()
    for job in w.jobs:
        t0 = time.perf_counter()
        result = w.run_job(job, now)
        per_job[job.name] = time.perf_counter() - t0
        if result is None:
            skipped.append(job.name)
        else:
            ran[job.name] = result
    from core import mailer

    t0 = time.perf_counter()
    sent = mailer.deliver_outbox(w.engine, w.name, now)
    per_job["mail"] = time.perf_counter() - t0
    return time.perf_counter() - start, per_job, worker.PassResult(ran, skipped, sent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="database holding the large demo")
    parser.add_argument("--ticks", type=int, default=20)
    args = parser.parse_args()
    url, folder = _copy(args.url)
    engine = make_engine(url)
    try:
        now = utcnow()
        today = now.date()
        with unit_of_work(engine) as s:
            open_complaints = s.scalar(select(func.count()).select_from(Complaint).where(Complaint.status != "resolved"))
            overdue = s.scalar(select(func.count()).select_from(Customer).where(Customer.next_follow_up < today,
                                                                                Customer.status != "churned"))
            before = s.scalar(select(func.count()).select_from(Notification))
        print(f"workspace: {open_complaints:,} open complaints, {overdue:,} overdue follow-ups, {before:,} notifications")
        w = worker.Worker(engine, "bench")
        total, per_job, result = _timed_pass(w, now)
        with unit_of_work(engine) as s:
            after = s.scalar(select(func.count()).select_from(Notification))
            queued = s.scalar(select(func.count()).select_from(EmailOutbox))
        print(f"first pass: {total * 1000:,.0f} ms, {after - before:,} notifications, {queued:,} mails queued")
        for name, seconds in per_job.items():
            print(f"  {name:<22} {seconds * 1000:>9,.1f} ms  {result.ran.get(name, '')}")
        total2, per_job2, result2 = _timed_pass(w, now + timedelta(seconds=61))
        print(f"pass one minute later (SLA job again, nothing new): {total2 * 1000:,.0f} ms "
              f"(sla {per_job2['sla'] * 1000:,.0f} ms, created {result2.ran.get('sla', 0)})")
        ticks = []
        for _ in range(args.ticks):
            t0 = time.perf_counter()
            w.run_pass(now=now + timedelta(seconds=62))
            ticks.append(time.perf_counter() - t0)
        print(f"idle tick (all slots taken): median {statistics.median(ticks) * 1000:.2f} ms, "
              f"max {max(ticks) * 1000:.2f} ms over {len(ticks)} ticks")
        fresh = worker.Worker(engine, "bench-fresh")  # a newly started worker knows no slots yet
        t0 = time.perf_counter()
        fresh.run_pass(now=now + timedelta(seconds=62))
        print(f"idle tick of a freshly started worker: {(time.perf_counter() - t0) * 1000:.2f} ms")
    finally:
        engine.dispose()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
