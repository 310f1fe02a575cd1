"""Two people move the same task at the same moment from the same drawn board: exactly one move
wins, the other is told (Conflict), and the database is consistent - on SQLite and PostgreSQL.

Each side has its own engine (its own connection pool) on the same fresh database, and its own
unit of work, as two app servers would; a barrier releases both moves together."""
from __future__ import annotations

from sqlalchemy import select

from core import tasks
from db.engine import make_engine
from db.models import AuditLog, Revision, Task
from db.session import unit_of_work
from tests.concurrency import race
from tests.factories import build_world


def test_two_simultaneous_moves_of_one_task_exactly_one_wins(db_url):
    setup = make_engine(db_url)
    with unit_of_work(setup) as s:
        world = build_world(s)
        task_id = world.tasks["a1"].id
        manager = world.actors["manager_a"]
        targets = {"to_a2": world.members["a2"].id, "to_lead": world.members["lead_a"].id}
    with unit_of_work(setup) as s:
        revision_before = s.scalar(select(Revision.value))

    def move(name: str):
        def side(s, ready):
            s.get(Task, task_id)  # both sides have read the task at version 1
            ready()
            return tasks.move_task(s, manager, task_id, 1, to_member_id=targets[name])
        return side

    winner, refusal = race(db_url, {name: move(name) for name in targets}).one_winner(
        lambda r: isinstance(r, tasks.MoveResult))
    assert refusal.key == "board.error.conflict"

    with unit_of_work(setup) as s:
        task = s.get(Task, task_id)
        assert task.version == 2
        assert task.assignee_id == targets[winner]
        moves = s.scalars(select(AuditLog).where(AuditLog.entity == "task", AuditLog.entity_id == task_id,
                                                 AuditLog.action == "task.move")).all()
        assert len(moves) == 1 and moves[0].after["assignee_id"] == targets[winner]
        assert s.scalar(select(Revision.value)) == revision_before + 1
    setup.dispose()
