"""Plain in-memory plans of teams, members and customers (ids are filled in as rows are inserted),
and small helpers for choosing and for periods."""
from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any


@dataclass
class TeamPlan:
    idx: int
    name: str
    kind: str
    top: int  # index into TOP_TEAMS
    parent: int | None
    description: str
    id: int = 0
    leader: int | None = None  # member idx


@dataclass
class MemberPlan:
    idx: int
    name: str
    email: str
    team: int
    role: str
    is_top_lead: bool
    is_sub_lead: bool
    username: str | None = None
    status: str = "active"
    manager: int | None = None
    quality: float = 0.0
    owner_weight: float = 0.0
    owned: int = 0
    cap: int = 0  # max_customers
    cap_tasks: int = 15  # max_open_tasks
    id: int = 0
    user_id: int | None = None


class CustomerPlan:
    """One customer's plan (slots: there can be 100,000 of them)."""

    __slots__ = ("idx", "id", "owner", "team", "prev_owner", "reassigned_at", "tier", "status", "size", "created_at",
                 "start", "r_last", "next_fu", "n_reg", "complaints", "n_surveys", "name", "cadence")

    idx: int
    id: int
    owner: int | None
    team: int
    prev_owner: int | None
    reassigned_at: datetime | None
    tier: str
    status: str
    size: str
    created_at: datetime
    start: datetime
    r_last: datetime | None
    next_fu: date | str | None  # "overdue" marks a follow-up still to be dated
    n_reg: int
    complaints: list[int]  # indexes into complaint_plan
    n_surveys: int
    name: str
    cadence: int


class Picker:
    """Fast repeated weighted choice (cumulative weights + bisect)."""

    def __init__(self, weighted: Sequence[tuple[Any, float]]) -> None:
        self.values = [v for v, _ in weighted]
        self.cum: list[float] = []
        total = 0.0
        for _, w in weighted:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def quarter(d: date, offset: int = 0) -> tuple[date, date]:
    q = (d.month - 1) // 3 + offset
    year, q = d.year + q // 4, q % 4
    start = date(year, 3 * q + 1, 1)
    nxt = date(year + 1, 1, 1) if q == 3 else date(year, 3 * q + 4, 1)
    return start, nxt - timedelta(days=1)


def month(d: date, offset: int = 0) -> tuple[date, date]:
    m = d.month - 1 + offset
    year, m = d.year + m // 12, m % 12
    start = date(year, m + 1, 1)
    nxt = date(year + 1, 1, 1) if m == 11 else date(year, m + 2, 1)
    return start, nxt - timedelta(days=1)


