"""The demo builder: one transaction (`unit_of_work`) that plans and inserts the whole workspace,
step by step (people, customers, activity, pipeline, goals, evaluations, team life).

Speed: rows go in with bulk `insert()` executemany in chunks (never one ORM object per row); ids
come back through `RETURNING` (sorted by parameter order) only for the tables whose ids are needed
later; customers are matched back through their unique `external_id`. No explicit ids are passed,
so PostgreSQL sequences stay right."""
from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from faker import Faker
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core.communication import DEFAULT_CADENCE
from core.service import DEFAULT_TARGETS
from db.base import Base
from db.models import User
from db.session import read_session, unit_of_work
from demo.activity import build_interactions
from demo.customers import build_customers
from demo.evaluations import build_evaluations
from demo.goals import build_tasks_and_goals
from demo.measure import Measurer
from demo.people import build_org, build_rules
from demo.pipeline import build_deals
from demo.plans import CustomerPlan, MemberPlan, TeamPlan, quarter
from demo.scale import SCALES, Scale
from demo.team_life import build_team_life
from demo.vocabulary import DEFAULT_SEED, GIVEN_NAMES, SERVICE_TARGETS, SURNAMES, TOP_TEAMS

Progress = Callable[[str, float], None]


class Builder:
    """The state of one build: the plans, the ids rows got, one seeded random stream."""


    def __init__(self, session: Session, scale: Scale, seed: int, today: date, progress: Progress | None) -> None:
        self.s = session
        self.scale = scale
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today
        self.midnight = datetime.combine(today, time.min)  # nothing happens at or after this instant
        self.window_start = min(today - timedelta(days=182), quarter(today, -1)[0])
        self.cur_q = quarter(today)
        self.prev_q = quarter(today, -1)
        self.fake_zh = Faker("zh_CN")
        self.fake_zh.seed_instance(seed)
        self.fake_en = Faker("en_US")
        self.fake_en.seed_instance(seed + 1)
        self.progress = progress or (lambda label, fraction: None)
        self.teams: list[TeamPlan] = []
        self.members: list[MemberPlan] = []
        self.customers: list[CustomerPlan] = []
        self.users: dict[str, int] = {}
        self.role_ids: dict[str, int] = {}
        self.owned: dict[int, list[int]] = defaultdict(list)  # member idx -> customer ids
        self.goal_ids_by_member: dict[int, list[int]] = defaultdict(list)
        self.task_ids_by_member: dict[int, list[int]] = defaultdict(list)
        self.complaint_plan: list[dict[str, Any]] = []
        self.used_emails: set[str] = set()
        self.specialty_industry: dict[int, str] = {}  # member id -> first industry specialty
        self.audit_rows: list[dict[str, Any]] = []
        self.goal_rows: list[tuple[int, dict[str, Any]]] = []
        self.measured = Measurer(session, self.members)  # core.metrics on the rows inserted so far

    # -- helpers ------------------------------------------------------------------------------
    def insert(self, model: type[Base], rows: list[dict[str, Any]], returning: bool = False) -> list[int]:
        """Bulk insert in chunks; with `returning`, the new ids in the order of `rows`."""
        ids: list[int] = []
        step = self.scale.chunk
        # render_nulls: bind None as NULL instead of leaving the key out, so rows are not split into
        # one batch per combination of missing keys (JSON columns: leave the key out for SQL NULL).
        stmt = insert(model).execution_options(render_nulls=True)
        if returning:
            stmt = stmt.returning(model.__table__.c.id, sort_by_parameter_order=True)
        for start in range(0, len(rows), step):
            chunk = rows[start:start + step]
            if returning:
                ids.extend(self.s.scalars(stmt, chunk).all())
            else:
                self.s.execute(stmt, chunk)
        return ids

    def dt(self, day: date | int, minutes: int | None = None) -> datetime:
        """A working-hours timestamp (09:00-18:00 Beijing = 01:00-10:00 UTC) on a day."""
        if isinstance(day, int):
            day = date.fromordinal(day)
        if minutes is None:
            minutes = 60 + int(self.rng.random() * 540)
        return datetime.combine(day, time.min) + timedelta(minutes=minutes)

    def past_dt(self, start: datetime, end: datetime | None = None) -> datetime:
        end = end or self.midnight
        return start + timedelta(seconds=int(self.rng.random() * max(1, (end - start).total_seconds())))

    def person(self, english: bool = False, unique: bool = True) -> tuple[str, str]:
        """(display name, email local part; unique across calls with `unique`)."""
        if english:
            first, last = self.fake_en.first_name(), self.fake_en.last_name()
            name, local = f"{first} {last}", f"{first}.{last}".lower()
        else:
            (sn, sp), (gn, gp) = self.rng.choice(SURNAMES), self.rng.choice(GIVEN_NAMES)
            name, local = sn + gn, f"{sp}.{gp}"
        if not unique:
            return name, local
        base, n = local, 1
        while local in self.used_emails:
            n += 1
            local = f"{base}{n}"
        self.used_emails.add(local)
        return name, local

    def phone(self) -> str:
        return f"1{self.rng.choice('35789')}{self.rng.randint(0, 999_999_999):09d}"

    def members_of(self, top: int) -> list[MemberPlan]:
        return [m for m in self.members if self.teams[m.team].top == top]

    def subtree(self, team: int) -> list[int]:
        result, stack = [], [team]
        while stack:
            t = stack.pop()
            result.append(t)
            stack.extend(x.idx for x in self.teams if x.parent == t)
        return result

    def user_of(self, m: int | None) -> int | None:
        return self.members[m].user_id if m is not None else None

    def top_manager_user(self, m: MemberPlan) -> int:
        return self.users[TOP_TEAMS[self.teams[m.team].top].username]

    def cadence(self, team: int) -> dict[str, int]:
        return TOP_TEAMS[self.teams[team].top].cadence or DEFAULT_CADENCE

    def target(self, team: int, severity: str) -> tuple[int, int]:
        kind = TOP_TEAMS[self.teams[team].top].kind
        return SERVICE_TARGETS.get(kind, DEFAULT_TARGETS)[severity]

    # -- the build ----------------------------------------------------------------------------
    def build(self) -> None:
        steps = [
            ("users and teams", build_org),
            ("responsibilities and rules", build_rules),
            ("customers", build_customers),
            ("interactions, complaints and surveys", build_interactions),
            ("deals", build_deals),
            ("tasks and goals", build_tasks_and_goals),
            ("evaluations and rewards", build_evaluations),
            ("meetings, 1:1s, feedback and training", build_team_life),
        ]
        for n, (label, step) in enumerate(steps):
            self.progress(label, n / len(steps))
            step(self)
        self.progress("done", 1.0)


def table_counts(session: Session) -> dict[str, int]:
    """Rows per table, in dependency order."""
    return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def build_demo(engine: Engine, scale: str = "small", seed: int = DEFAULT_SEED, today: date | None = None,
               progress: Progress | None = None) -> dict[str, int]:
    """Build the demo organisation into an empty, migrated database in one transaction; return the
    row count of every table. `progress(label, fraction)` is called between steps."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r} (choose from {', '.join(SCALES)})")
    with unit_of_work(engine) as session:
        if session.scalar(select(func.count()).select_from(User)):
            raise ValueError("the database already has users: the demo is built into an empty database only")
        Builder(session, SCALES[scale], seed, today or date.today(), progress).build()
        session.flush()
        return table_counts(session)


def ensure_demo(engine: Engine) -> bool:
    """First start: build the small demo when there are no users yet. True when it built it.
    Safe when several app servers start at once: the loser of the race returns False."""
    with read_session(engine) as session:
        if session.scalar(select(func.count()).select_from(User)):
            return False
    try:
        build_demo(engine)
    except (IntegrityError, OperationalError):
        with read_session(engine) as session:
            if session.scalar(select(func.count()).select_from(User)):
                return False  # another server built it first
        raise
    return True
