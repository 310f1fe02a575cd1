"""The demo's statistics are core's: what a member or a team achieved is read back from the rows
already inserted in the build's transaction through `core.metrics`, so goal targets are set against
what the Goals page will measure and the released evaluation cycle stores the scores core computes.

One member's value comes from a grouped query for everyone (`measure_by_member`, cached per metric
and period): at the large scale that is a few dozen queries instead of one per goal."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from core import metrics
from demo.plans import MemberPlan


class Measurer:
    def __init__(self, session: Session, members: list[MemberPlan]) -> None:
        self.session = session
        self.members = members  # the builder's list: filled (with ids) before anything is measured
        self._by_member: dict[tuple[str, date, date], dict[int, float | None]] = {}

    def __call__(self, metric: str, members: Sequence[int], start: date, end: date) -> float | None:
        """`metric` for the planned members (indexes into the builder's members) over start..end."""
        ids = [self.members[m].id for m in members]
        # A goal starting today has measured nothing yet: its first day stands for it (the demo writes
        # nothing at or after today 00:00), so counts are 0, averages None and a cohort still a cohort.
        end = max(end, start)
        if len(ids) != 1:
            return metrics.measure_value(self.session, metric, member_ids=ids, start=start, end=end)
        key = (metric, start, end)
        if key not in self._by_member:
            everyone = [m.id for m in self.members]
            self._by_member[key] = metrics.measure_by_member(self.session, metric, everyone, start, end)
        return self._by_member[key][ids[0]]
