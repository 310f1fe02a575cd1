"""How big the demo is: `small` (first start, tests) and `large` (load tests, the bench). At the
large scale rows go in through bulk `insert()` in chunks of `Scale.chunk`, and interactions are planned
`Scale.customer_chunk` customers at a time so memory stays flat."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """How much of everything. Members, customers, interactions, tasks and goals are exact."""

    extra_sub_teams: tuple[int, int, int, int]  # generated sub-teams per top team, beyond the named ones
    members: int
    customers: int
    interactions: int
    deals: int
    tasks: int
    goals: int
    complaints: int
    surveys: int
    trainings: int
    recognitions: int
    chunk: int = 20_000  # rows per executemany
    customer_chunk: int = 4_000  # customers per interaction batch


SCALES: dict[str, Scale] = {
    "small": Scale((0, 0, 0, 0), members=25, customers=400, interactions=2_400, deals=260, tasks=300, goals=120,
                   complaints=60, surveys=320, trainings=8, recognitions=24),
    "large": Scale((6, 3, 6, 1), members=500, customers=100_000, interactions=1_000_000, deals=200_000, tasks=50_000,
                   goals=5_000, complaints=12_000, surveys=60_000, trainings=40, recognitions=1_500),
}
