"""Drag-and-drop events from the browser, checked before anything moves.

The board component (streamlit-dnd) reports a drop as a dict the browser sent: anyone can send any
value (wrong types, missing keys, a card or column that was never drawn, another team's task). A
drop is accepted only when its card was drawn in the column it left and its destination is a
column drawn on the same board; everything else is refused with one clear message, and nothing
moves. Permissions and versions are then checked by the move itself (core.tasks.move_task,
core.deals.move_stage), as for any other move.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import FieldError, InvalidInput
from core.safe_text import parse_id

MAX_INDEX = 100_000
_CARD_KEY = re.compile(r"^(?P<prefix>[a-z]+)-(?P<id>\d{1,18})-v(?P<version>\d{1,9})$")


@dataclass(frozen=True)
class Drop:
    record_id: int
    version: int
    from_container: str
    to_container: str
    from_index: int
    to_index: int
    neighbours: tuple[int, ...]  # the destination's cards as drawn, without the moved one
    index: int  # where the card lands among `neighbours`

    @property
    def same(self) -> bool:
        return self.from_container == self.to_container


def _refuse(reason: str) -> InvalidInput:
    return InvalidInput("drop.refused", [FieldError(reason)])


def parse_card_key(key: Any, prefix: str) -> tuple[int, int] | None:
    """(record id, version) from a card's container key such as "task-12-v3", else None."""
    if not isinstance(key, str):
        return None
    match = _CARD_KEY.match(key)
    if match is None or match["prefix"] != prefix:
        return None
    record_id = parse_id(match["id"])
    return (record_id, int(match["version"])) if record_id is not None else None


def _index(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _refuse("drop.error.bad_index")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) > MAX_INDEX:
        raise _refuse("drop.error.bad_index")
    return int(text)


def parse_drop(raw: Any, drawn: Mapping[str, Sequence[int]], card_prefix: str) -> Drop:
    """A drop event checked against what the board drew: `drawn` maps each column's container key
    to the ids of the cards it showed. Raises InvalidInput ("drop.refused") on anything else."""
    if not isinstance(raw, Mapping):
        raise _refuse("drop.error.malformed")
    source, target, item = raw.get("from_container"), raw.get("to_container"), raw.get("item_key")
    if not all(isinstance(v, str) and v for v in (source, target, item)):
        raise _refuse("drop.error.malformed")
    assert isinstance(source, str) and isinstance(target, str) and isinstance(item, str)  # checked just above
    parsed = parse_card_key(item, card_prefix)
    if parsed is None:
        raise _refuse("drop.error.unknown_card")
    record_id, version = parsed
    if source not in drawn or target not in drawn:
        raise _refuse("drop.error.unknown_column")
    if record_id not in drawn[source]:
        raise _refuse("drop.error.unknown_card")
    from_index, to_index = _index(raw.get("from_index", 0)), _index(raw.get("to_index", 0))
    cards = list(drawn[target])
    others = [i for i in cards if i != record_id]
    index = to_index
    # inside one column the drop index counts the dragged card itself: moved down, it lands one
    # slot earlier once it is removed
    if source == target and record_id in cards and from_index < to_index:
        index -= 1
    return Drop(record_id, version, source, target, from_index, to_index, tuple(others),
                max(0, min(index, len(others))))


def board_destination(drop: Drop, prefix: str) -> dict[str, Any]:
    """The task board's move for a drop between its columns ("bcol-m-<member id | none>" in the
    member view, "bcol-s-<status>" in the status view): keyword arguments for move_task."""
    from core.tasks import UNASSIGNED

    if drop.same:
        return {}
    kind, _, target = drop.to_container.removeprefix("bcol-").partition("-")
    if kind != prefix:
        raise _refuse("drop.error.unknown_column")
    if kind == "m":
        if target == UNASSIGNED:
            return {"to_member_id": None}
        member_id = parse_id(target)
        if member_id is None:
            raise _refuse("drop.error.unknown_column")
        return {"to_member_id": member_id}
    return {"to_status": task_status(drop, "bcol-s-")}


def task_status(drop: Drop, prefix: str) -> str:
    """The task status a drop lands on, from a column key "<prefix><status>" (My tasks: "mycol-")."""
    from db.models import TASK_STATUSES

    status = drop.to_container.removeprefix(prefix)
    if not drop.to_container.startswith(prefix) or status not in TASK_STATUSES:
        raise _refuse("drop.error.unknown_column")
    return status


def pipeline_destination(drop: Drop, stage_codes: Sequence[str]) -> str | None:
    """The stage code a pipeline drop lands on ("pcol-<code>"), None for a drop inside one column."""
    if drop.same:
        return None
    code = drop.to_container.removeprefix("pcol-")
    if not drop.to_container.startswith("pcol-") or code not in stage_codes:
        raise _refuse("drop.error.unknown_column")
    return code
