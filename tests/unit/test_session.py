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
