"""Limits enforced in core on both databases: NUL bytes refused, notes bounded, clear messages."""
from __future__ import annotations

import pytest

from core import customers, service
from core.errors import InvalidInput
from db.models import Customer


def _keys(exc) -> set[str]:
    return {e.key for e in exc.value.errors}


def test_a_customer_note_of_a_million_characters_is_refused(session, world):
    with pytest.raises(InvalidInput) as exc:
        customers.update_customer(session, world.actors["manager_a"], world.customers["a1"].id, {"notes": "x" * 1_000_000})
    assert "limits.too_long" in _keys(exc)
    assert session.get(Customer, world.customers["a1"].id).notes is None


@pytest.mark.parametrize("field", ["name", "notes", "region"])
def test_nul_bytes_are_refused_before_they_reach_the_database(session, world, field):
    with pytest.raises(InvalidInput) as exc:
        customers.update_customer(session, world.actors["manager_a"], world.customers["a1"].id, {field: "Acme\x00Ltd"})
    assert "sec.nul_refused" in _keys(exc)


def test_complaint_text_is_limited_too(session, world):
    with pytest.raises(InvalidInput) as exc:
        service.log_complaint(session, world.actors["manager_a"], customer_id=world.customers["a1"].id, severity="low",
                              title="Bad\x00title", description="y" * 20_000)
    assert {"sec.nul_refused", "limits.too_long"} <= _keys(exc)
