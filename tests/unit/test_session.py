"""Units of work: all or nothing, and every committed write moves the data revision."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from db.models import Role
from db.session import current_revision, read_session, unit_of_work


def test_a_failed_unit_of_work_leaves_nothing_behind(engine):
    with pytest.raises(RuntimeError):
        with unit_of_work(engine) as s:
            s.add(Role(code="temp", name_zh="临时", name_en="Temp"))
            s.flush()
            raise RuntimeError("boom")
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Role).where(Role.code == "temp")) == 0


def test_committed_writes_bump_the_revision_and_reads_do_not(engine):
    with read_session(engine) as s:
        start = current_revision(s)
    with unit_of_work(engine) as s:
        s.add(Role(code="temp", name_zh="临时", name_en="Temp"))
    with unit_of_work(engine) as s:
        s.execute(update(Role).where(Role.code == "temp").values(name_en="Temporary"))
    with unit_of_work(engine) as s:
        s.scalars(select(Role)).all()
    with read_session(engine) as s:
        assert current_revision(s) == start + 2


def _revision(engine) -> int:
    with read_session(engine) as s:
        return current_revision(s)


def test_bookkeeping_writes_alone_leave_the_revision_and_so_every_cache_alone(engine):
    """The worker claims a job slot every minute, sign-ins stamp their session, failed logins count,
    mail delivery leases and stamps its rows: none of it is data a page shows."""
    from datetime import datetime, timedelta

    from core import sessions
    from db.models import EmailOutbox, JobRun, LoginThrottle, User

    with unit_of_work(engine) as s:
        s.add(User(username="kept", email="kept@example.com", password_hash="x", role="member", display_name="Kept"))
    start = _revision(engine)
    with unit_of_work(engine) as s:
        s.add(JobRun(job="sla", slot="60s:1", worker="w", started_at=datetime(2026, 12, 1)))
    with unit_of_work(engine) as s:
        run = s.scalars(select(JobRun)).one()
        run.result, run.finished_at = 3, datetime(2026, 12, 1, 0, 1)
    with unit_of_work(engine) as s:
        user_id = s.scalar(select(User.id).where(User.username == "kept"))
        token = sessions.start(s, user_id)
    with unit_of_work(engine) as s:
        sessions.revoke(s, token)
    with unit_of_work(engine) as s:
        s.add(LoginThrottle(key="user:kept", failures=1))
    with unit_of_work(engine) as s:
        s.add(EmailOutbox(dedupe_key="k1", to_address="a@example.com", subject="s", body="b"))
    with unit_of_work(engine) as s:
        s.execute(update(EmailOutbox).values(sent_at=datetime(2026, 12, 1), claimed_until=datetime(2026, 12, 1) + timedelta(minutes=5)))
    assert _revision(engine) == start


def test_a_job_that_changes_data_moves_the_revision_with_its_bookkeeping(engine):
    from datetime import datetime

    from db.models import JobRun

    start = _revision(engine)
    with unit_of_work(engine) as s:
        s.add(JobRun(job="digest", slot="2026-12-01", worker="w", started_at=datetime(2026, 12, 1)))
        s.add(Role(code="job_made", name_zh="任务", name_en="Job made"))
    assert _revision(engine) == start + 1
    with unit_of_work(engine) as s:  # a delete of data counts too
        s.delete(s.scalars(select(Role).where(Role.code == "job_made")).one())
    assert _revision(engine) == start + 2


def test_a_worker_pass_with_nothing_due_leaves_the_revision(engine):
    """A pass that only claims its slots (no complaint, rule or reminder to act on) invalidates nothing."""
    from core import worker

    start = _revision(engine)
    result = worker.Worker(engine, name="test").run_pass(deliver=True)
    assert result.ran  # the slots were claimed: job_runs rows were written
    assert _revision(engine) == start


# Per-table revisions (issue 15): a cached read is invalidated only by writes to what it read ----
def test_a_write_records_the_new_revision_for_each_table_it_wrote_and_only_those(engine):
    from db.models import Customer, Team
    from db.session import table_stamps

    with read_session(engine) as s:
        before = table_stamps(s)
    with unit_of_work(engine) as s:
        s.add(Role(code="temp", name_zh="临时", name_en="Temp"))
    with read_session(engine) as s:
        after, revision = table_stamps(s), current_revision(s)
    assert after["roles"] == revision > before.get("roles", 0)
    for untouched in (Customer.__tablename__, Team.__tablename__):
        assert after.get(untouched) == before.get(untouched)
    assert "revision" not in after and "table_revisions" not in after


def test_a_bookkeeping_write_records_no_table_revision(engine):
    from db.models import JobRun
    from db.session import table_stamps

    with read_session(engine) as s:
        before = table_stamps(s)
    with unit_of_work(engine) as s:
        s.add(JobRun(job="reminders", slot="2026-12-02T14:00", worker="test"))
    with read_session(engine) as s:
        assert table_stamps(s) == before


def test_a_write_to_a_table_that_cannot_be_named_counts_for_every_table(engine):
    from sqlalchemy import text

    from db.session import EVERY_TABLE, _wrote, table_stamps

    with unit_of_work(engine) as s:
        s.execute(text("UPDATE roles SET name_en = name_en"))  # raw SQL: no table the session can see
        _wrote(s, None)  # what a statement on an unusual target records
    with read_session(engine) as s:
        assert table_stamps(s)[EVERY_TABLE] == current_revision(s)
