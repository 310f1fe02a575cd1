"""Record rules live in one place: core modules ask core.permissions.scoped / scope_clause for a
model's rule instead of calling the per-model filter helpers, so a rule changed in permissions.py
changes every query that lists that model."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from core import permissions
from db.models import Customer, Interaction, Task

CORE = Path(__file__).resolve().parents[2] / "core"
HELPERS = sorted(name for name in dir(permissions) if name.endswith("_filter") and callable(getattr(permissions, name)))


def test_the_per_model_filters_are_known():
    assert {"team_filter", "member_filter", "customer_filter", "task_filter", "deal_filter"} <= set(HELPERS)


@pytest.mark.parametrize("path", sorted(p for p in CORE.rglob("*.py") if p.name != "permissions.py"),
                         ids=lambda p: str(p.relative_to(CORE)))
def test_no_core_query_calls_a_per_model_filter_directly(path):
    text = path.read_text(encoding="utf-8")
    calls = [name for name in HELPERS if re.search(rf"\b{name}\(", text)]
    assert not calls, f"{path.name} calls {calls}: use permissions.scope_clause(scope, Model) or scoped(...)"


def test_scope_clause_gives_the_customer_book_or_what_collaborators_read(session, world):
    scope = permissions.scope_for(session, world.actors["member_b1"])
    owned = str(permissions.scope_clause(scope, Customer).compile())
    readable = str(permissions.scope_clause(scope, Customer, collaborating=True).compile())
    assert owned == str(permissions.customer_filter(scope).compile())
    assert readable == str(permissions.customer_read_filter(scope).compile())
    assert str(permissions.scope_clause(scope, Task).compile()) == str(permissions.task_filter(scope).compile())
    assert str(permissions.scope_clause(scope, Interaction).compile()) == str(permissions.interaction_filter(scope).compile())
