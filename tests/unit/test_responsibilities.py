"""The RACI table: responsibilities × roles (and named members), exactly one Accountable each,
validated row by row, all or nothing, within the actor's scope, audited."""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from core import responsibilities as raci
from core.errors import InvalidInput, PermissionDenied
from db.models import AuditLog, Responsibility, ResponsibilityAssignment

AM, CS, LEAD = raci.role_column("account_manager"), raci.role_column("cs_specialist"), raci.role_column("team_lead")


def row(name, rid=None, description="", **cells):
    return {"id": rid, "name": name, "description": description, **cells}


def refusal(*args) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        raci.save_raci(*args)
    return caught.value


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_saved_table_reads_back_with_roles_and_named_members_as_columns(session, world):
    actor, team = world.actors["manager_a"], world.teams["A"].id
    a1 = raci.member_column(world.members["a1"].id)
    result = raci.save_raci(session, actor, team, [
        row("Renewals", **{AM: "A", CS: "r", a1: "C"}),
        row("Complaints", description="first response", **{CS: "R", LEAD: "A"}),
    ])
    assert result == {"created": 2, "updated": 0, "deleted": 0}
    session.commit()
    grid = raci.raci_grid(session, actor, team)
    assert [c.key for c in grid.columns if c.kind == "member"] == [a1]
    table = {r["name"]: r for r in grid.frame.to_dict("records")}
    assert (table["Renewals"][AM], table["Renewals"][CS], table["Renewals"][a1]) == ("A", "R", "C")
    assert pd.isna(table["Renewals"][LEAD])  # an empty cell
    assert (table["Complaints"]["description"], table["Complaints"][LEAD]) == ("first response", "A")


def test_a_responsibility_without_an_accountable_is_named_in_the_error(session, world):
    error = refusal(session, world.actors["manager_a"], world.teams["A"].id, [row("Renewals", **{AM: "R"})])
    assert [(e.key, e.params, e.row, e.column) for e in error.errors] == [
        ("raci.no_accountable", {"name": "Renewals"}, 1, raci.COL_ACCOUNTABLE)]


def test_two_accountables_are_refused_with_the_count(session, world):
    a1 = raci.member_column(world.members["a1"].id)
    error = refusal(session, world.actors["manager_a"], world.teams["A"].id, [row("Renewals", **{AM: "A", a1: "A"})])
    assert [(e.key, e.params) for e in error.errors] == [("raci.many_accountable", {"name": "Renewals", "count": 2})]


def test_nothing_is_saved_when_one_row_is_bad(session, world):
    actor, team = world.actors["manager_a"], world.teams["A"].id
    error = refusal(session, actor, team, [row("Good", **{AM: "A"}), row("Bad", **{AM: "X", CS: "A"})])
    assert [(e.key, e.row, e.column) for e in error.errors] == [("raci.bad_letter", 2, AM)]
    session.rollback()
    assert count(session, Responsibility) == 0 and count(session, AuditLog) == 0


def test_names_are_required_and_unique_within_the_table(session, world):
    error = refusal(session, world.actors["manager_a"], world.teams["A"].id,
                    [row("Renewals", **{AM: "A"}), row("renewals", **{CS: "A"}), row(" ", **{CS: "A"})])
    assert [(e.key, e.row) for e in error.errors] == [("raci.duplicate_name", 2), ("raci.name_required", 3)]


def test_a_row_left_out_is_deleted_and_changes_are_audited(session, world):
    actor, team = world.actors["manager_a"], world.teams["A"].id
    raci.save_raci(session, actor, team, [row("Renewals", **{AM: "A"}), row("Onboarding", **{CS: "A"})])
    session.commit()
    rows = raci.raci_grid(session, actor, team).frame.to_dict("records")
    renewals = next(r for r in rows if r["name"] == "Renewals")
    renewals[AM], renewals[LEAD] = "R", "A"
    assert raci.save_raci(session, actor, team, [renewals]) == {"created": 0, "updated": 1, "deleted": 1}
    session.commit()
    assert session.scalars(select(Responsibility.name)).all() == ["Renewals"]
    cells = session.execute(select(ResponsibilityAssignment.role_id, ResponsibilityAssignment.raci)).all()
    assert sorted(letter for _, letter in cells) == ["A", "R"]
    actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["responsibility.create", "responsibility.create", "responsibility.delete", "responsibility.update"]


def test_manager_a_can_neither_read_nor_change_team_bs_table(session, world):
    with pytest.raises(PermissionDenied):
        raci.raci_grid(session, world.actors["manager_a"], world.teams["B"].id)
    with pytest.raises(PermissionDenied):
        raci.save_raci(session, world.actors["manager_a"], world.teams["B"].id, [row("Renewals", **{AM: "A"})])


def test_a_named_member_outside_scope_is_refused(session, world):
    b1 = raci.member_column(world.members["b1"].id)
    with pytest.raises(PermissionDenied):
        raci.save_raci(session, world.actors["manager_a"], world.teams["A"].id, [row("Renewals", **{AM: "A", b1: "C"})])


def test_the_organisation_wide_table_is_written_by_admins_only(session, world):
    with pytest.raises(PermissionDenied):
        raci.save_raci(session, world.actors["manager_a"], None, [row("Pricing", **{LEAD: "A"})])
    raci.save_raci(session, world.actors["admin"], None, [row("Pricing", **{LEAD: "A"})])
    session.commit()
    assert raci.raci_grid(session, world.actors["manager_a"], None).frame["name"].tolist() == ["Pricing"]


def test_members_have_no_raci_access(session, world):
    with pytest.raises(PermissionDenied):
        raci.raci_grid(session, world.actors["member_a1"], world.teams["A1"].id)


def test_the_grid_points_out_stored_responsibilities_without_exactly_one_accountable(session, world):
    team = world.teams["A"].id
    ok = Responsibility(team_id=team, name="Renewals")
    ok.assignments = [ResponsibilityAssignment(role_id=1, raci="A")]
    none = Responsibility(team_id=team, name="Imported")
    none.assignments = [ResponsibilityAssignment(role_id=1, raci="R")]
    session.add_all([ok, none])
    session.commit()
    assert raci.raci_grid(session, world.actors["manager_a"], team).not_one_accountable == ["Imported"]
