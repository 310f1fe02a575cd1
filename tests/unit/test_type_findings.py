"""Real bugs the type checker found (issue 16 point 5): refusals that passed their numbers as the
error list, so the message showed its placeholders ({members}, {n}) instead of the numbers."""
from __future__ import annotations

import pytest

from core import evaluations as ev
from core import i18n, removal
from core.errors import Conflict
from tests.unit.test_evaluations import cycle  # noqa: F401 - the fixture


def _shown(error: Conflict) -> str:
    return i18n.t(error.key, "en", **error.params)


def test_archiving_a_team_still_in_use_says_how_many_members_and_sub_teams_it_has(session, world):
    with pytest.raises(Conflict) as refused:
        removal.archive(session, world.actors["admin"], "team", world.teams["A1"].id)
    assert refused.value.errors == [] and refused.value.params["members"] >= 1
    assert "{" not in _shown(refused.value) and str(refused.value.params["members"]) in _shown(refused.value)


def test_releasing_with_unconfirmed_gaps_says_how_many_gaps(session, world, cycle):
    with pytest.raises(Conflict) as refused:
        ev.release_cycle(session, world.actors["manager_a"], cycle["id"], confirmed=())
    assert refused.value.errors == [] and refused.value.params["n"] >= 1
    assert "{" not in _shown(refused.value)
