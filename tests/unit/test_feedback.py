"""Anonymous feedback, 1:1s, praise and rewards.

Anonymity is checked against the whole database: every table is dumped before and after a member
sends feedback, and the only rows that change are the new feedback row and the revision counter;
neither names the sender, no audit row is written and no log line is emitted."""
from __future__ import annotations

import logging
from datetime import date, datetime

import pytest
from sqlalchemy import inspect, select, text

from core import evaluations as ev
from core import feedback as fb
from core import one_on_ones as oo
from core import recognition as rc
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from db.base import Base
from db.models import ActionItem, AuditLog, Feedback, OneOnOne, Recognition, Reward, Task

MAY, JUNE, JULY = date(2026, 5, 20), date(2026, 6, 15), date(2026, 7, 1)


def _dump(session) -> dict[str, set[tuple]]:
    tables = {}
    for table in Base.metadata.sorted_tables:
        rows = session.execute(text(f'SELECT * FROM "{table.name}"')).all()
        tables[table.name] = {tuple(str(v) for v in row) for row in rows}
    return tables


@pytest.fixture
def _colleagues(session, world):
    """Two more members with logins in Team A1: batches need three different senders (issue 12)."""
    from itertools import cycle

    from core.permissions import actor_for_user
    from tests.factories import make_member, make_user

    for name in ("member_a3", "member_a4"):
        user = make_user(session, name, "member")
        make_member(session, name.replace("_", " ").title(), world.teams["A1"], user=user)
        world.actors[name] = actor_for_user(session, user)
    session.commit()
    world.senders = cycle(["member_a1", "member_a3", "member_a4"])


@pytest.fixture(autouse=True)
def _senders_for_feedback_tests(request):
    """Feedback tests get the colleagues; 1:1, praise and reward tests keep the plain world."""
    import inspect as _inspect

    if "_send(" in _inspect.getsource(request.function):
        request.getfixturevalue("_colleagues")


def _send(session, world, who=None, target="team", body="More time for customer visits, please", today=MAY):
    fb.send_feedback(session, world.actors[who or next(world.senders)], target, body, today=today)
    session.commit()


# ---------------------------------------------------------------------------------------------
# Anonymity
# ---------------------------------------------------------------------------------------------
def test_after_sending_feedback_nothing_links_it_to_the_sender(session, world, caplog):
    sender = world.actors["member_a1"]
    user, member = world.users["member_a1"], world.members["a1"]
    before = _dump(session)
    audit_before = session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)) or 0
    with caplog.at_level(logging.DEBUG):
        _send(session, world, who="member_a1", body="The weekly report takes too long")
    after = _dump(session)
    changed = {name for name in after if after[name] != before[name]}
    # issue 12: plus one distinct-sender token (a keyed hash, never linked to the item) and its salt;
    # issue 15: the data revision per table ("feedback" was written at revision N: no person in it)
    assert changed <= {"feedback", "revision", "table_revisions", "feedback_senders", "settings"} and "feedback" in changed
    assert after["table_revisions"] - before["table_revisions"] <= {
        row for row in after["table_revisions"] if row[0] in ("feedback", "feedback_senders", "settings")}
    tokens = after["feedback_senders"] - before["feedback_senders"]
    assert len(tokens) == 1 and not any(str(member.id) == t[-1] for t in tokens)
    new_rows = after["feedback"] - before["feedback"]
    assert len(new_rows) == 1
    # the row's columns are exactly: id, team, target, month, text, released - no author, no time
    assert [c.key for c in inspect(Feedback).mapper.column_attrs] == ["id", "team_id", "target", "period", "body", "released"]
    row = session.scalars(select(Feedback)).one()
    assert (row.team_id, row.target, row.period, row.released) == (sender.team_id, "team", "2026-05", False)
    identifying = {user.username, user.display_name, user.email, member.name, member.email}
    flat = " ".join(" ".join(r) for r in new_rows)
    assert not any(value in flat for value in identifying)
    assert session.scalar(select(AuditLog.id).where(AuditLog.id > audit_before)) is None
    assert session.scalar(select(AuditLog.id).where(AuditLog.entity.like("feedback%"))) is None
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "weekly report" not in logged
    assert not any(value in logged for value in identifying)


def test_feedback_must_have_a_target_and_some_text(session, world):
    with pytest.raises(InvalidInput):
        fb.send_feedback(session, world.actors["member_a1"], "everyone", "Hello there", today=MAY)
    with pytest.raises(InvalidInput):
        fb.send_feedback(session, world.actors["member_a1"], "team", "  hi ", today=MAY)


def test_a_user_without_a_team_member_record_cannot_send(session, world):
    with pytest.raises(PermissionDenied):
        fb.send_feedback(session, world.actors["admin"], "team", "Hello team", today=MAY)


# ---------------------------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------------------------
def test_a_batch_under_three_is_not_shown_and_waits_for_the_next_month(session, world):
    manager = world.actors["manager_a"]
    _send(session, world, body="First point about meetings")
    _send(session, world, body="Second point about tools")
    assert fb.due_batches(session, manager, today=JUNE) == 0
    assert fb.release_due_feedback(session, manager, today=JUNE) == 0
    session.commit()
    assert fb.list_batches(session, manager) == []
    # one more in June: at the end of June the batch has 3 and is released together
    _send(session, world, body="Third point about training", today=JUNE)
    assert fb.release_due_feedback(session, manager, today=JUNE) == 0  # June has not ended yet
    assert fb.due_batches(session, manager, today=JULY) == 1
    assert fb.release_due_feedback(session, manager, today=JULY) == 3
    session.commit()
    [batch] = fb.list_batches(session, manager)
    assert (batch.target, batch.period) == ("team", "2026-06")  # one month for the whole batch
    assert batch.items == ("First point about meetings", "Second point about tools", "Third point about training")


def test_items_of_the_current_month_are_never_released_early(session, world):
    manager = world.actors["manager_a"]
    for body in ("Alpha feedback", "Beta feedback", "Gamma feedback"):
        _send(session, world, body=body, today=MAY)
    assert fb.release_due_feedback(session, manager, today=date(2026, 5, 31)) == 0
    assert fb.release_due_feedback(session, manager, today=JUNE) == 3


def test_team_and_manager_feedback_form_separate_batches(session, world):
    manager = world.actors["manager_a"]
    for body in ("Team one", "Team two", "Team three"):
        _send(session, world, body=body)
    for body in ("Boss one", "Boss two"):
        _send(session, world, target="manager", body=body)
    assert fb.release_due_feedback(session, manager, today=JUNE) == 3
    session.commit()
    assert [b.target for b in fb.list_batches(session, manager)] == ["team"]


def test_released_team_feedback_reaches_the_team_but_not_other_managers(session, world):
    for body in ("Team one", "Team two", "Team three"):
        _send(session, world, body=body)
    for body in ("Boss one", "Boss two", "Boss three"):
        _send(session, world, target="manager", body=body)
    fb.release_due_feedback(session, world.actors["manager_a"], today=JUNE)
    session.commit()
    assert {b.target for b in fb.list_batches(session, world.actors["manager_a"])} == {"team", "manager"}
    assert [b.target for b in fb.list_batches(session, world.actors["member_a1"])] == ["team"]
    assert fb.list_batches(session, world.actors["manager_b"]) == []
    assert fb.list_batches(session, world.actors["member_b1"]) == []


def test_members_cannot_release_batches(session, world):
    for body in ("Team one", "Team two", "Team three"):
        _send(session, world, body=body)
    assert fb.release_due_feedback(session, world.actors["member_a1"], today=JUNE) == 0


# ---------------------------------------------------------------------------------------------
# 1:1s
# ---------------------------------------------------------------------------------------------
def test_the_agenda_lists_overdue_follow_ups_open_complaints_and_at_risk_goals(session, world):
    from db.models import Complaint

    today = date(2026, 5, 20)
    customer = world.customers["a1"]
    customer.next_follow_up = date(2026, 5, 19)
    world.customers["a2"].next_follow_up = date(2026, 5, 1)  # another member's: not on Alice's agenda
    session.add(Complaint(customer_id=customer.id, assignee_id=world.members["a1"].id, title="Late delivery",
                          severity="high", status="open", opened_at=datetime(2026, 5, 10)))
    goal = world.goals["a1"]
    goal.metric, goal.target, goal.start_date, goal.end_date = "follow_ups_done", 10, date(2026, 5, 1), date(2026, 5, 31)
    session.flush()
    agenda = oo.agenda(session, world.actors["manager_a"], world.members["a1"].id, today=today)
    assert [f["name"] for f in agenda["overdue_follow_ups"]] == ["Customer of Alice A1"]
    assert [c["title"] for c in agenda["open_complaints"]] == ["Late delivery"]
    # 0 of 10 follow-ups with 19/30 of the time gone: at risk
    assert [g["title"] for g in agenda["at_risk_goals"]] == ["Goal of Alice A1"]
    assert agenda["last_evaluation"] is None


def test_one_on_ones_are_private_to_the_manager_and_the_member(session, world):
    one_id = oo.create_one_on_one(session, world.actors["manager_a"], world.members["a1"].id, MAY, "Talked about growth")
    session.commit()
    assert [v.notes for v in oo.list_one_on_ones(session, world.actors["member_a1"])] == ["Talked about growth"]
    for outsider in ("admin", "manager_b", "member_b1"):
        assert oo.list_one_on_ones(session, world.actors[outsider]) == []
    with pytest.raises((NotFound, PermissionDenied)):
        oo.update_notes(session, world.actors["member_a1"], one_id, "changed")
    audit_rows = session.scalars(select(AuditLog).where(AuditLog.entity == "one_on_one")).all()
    assert "Talked about growth" not in str([(a.before, a.after) for a in audit_rows])


def test_a_manager_holds_one_on_ones_only_with_their_teams_members(session, world):
    with pytest.raises(PermissionDenied):
        oo.create_one_on_one(session, world.actors["manager_a"], world.members["b1"].id, MAY)
    with pytest.raises(PermissionDenied):
        oo.create_one_on_one(session, world.actors["member_a1"], world.members["a1"].id, MAY)


def test_an_action_item_becomes_a_task_on_the_board(session, world):
    one_id = oo.create_one_on_one(session, world.actors["manager_a"], world.members["a1"].id, MAY)
    task_id = oo.add_action_item(session, world.actors["manager_a"], one_id, "Call the top three accounts", due_date=date(2026, 5, 27))
    session.commit()
    task = session.get(Task, task_id)
    assert (task.title, task.assignee_id, task.due_date, task.team_id) == (
        "Call the top three accounts", world.members["a1"].id, date(2026, 5, 27), world.teams["A1"].id)
    item = session.scalars(select(ActionItem).where(ActionItem.one_on_one_id == one_id)).one()
    assert item.task_id == task_id
    [view] = oo.list_one_on_ones(session, world.actors["member_a1"])
    assert view.action_items[0]["task_status"] == "todo"


# ---------------------------------------------------------------------------------------------
# Praise, rewards, leaderboard
# ---------------------------------------------------------------------------------------------
def test_praise_goes_to_teammates_and_shows_on_their_team_wall(session, world):
    a1 = world.actors["member_a1"]
    praise_id = rc.give_praise(session, a1, world.members["a2"].id, "Saved the Acme renewal", customer_id=world.customers["a2"].id)
    session.commit()
    total, wall = rc.praise_wall(session, world.actors["manager_a"])
    assert total == 1 and wall.iloc[0]["to"] == "Aaron A2" and wall.iloc[0]["customer"] == "Customer of Aaron A2"
    assert wall.iloc[0]["id"] == praise_id
    assert rc.praise_wall(session, world.actors["member_b1"])[0] == 0
    with pytest.raises(PermissionDenied):
        rc.give_praise(session, a1, world.members["b1"].id, "Great job")  # another team
    with pytest.raises(PermissionDenied):
        rc.give_praise(session, a1, world.members["a1"].id, "I am great")  # oneself


def _released_cycle(session, world, teamwork_scores):
    manager = world.actors["manager_a"]
    template_id = ev.create_template(session, manager, world.teams["A"].id, "Rated only", [ev.CriterionInput("Teamwork", "rated", 100)])
    cycle_id = ev.create_cycle(session, manager, world.teams["A"].id, template_id, "May 2026", "month", date(2026, 5, 1))
    criterion = ev.list_templates(session, manager)[0]["criteria"][0]["id"]
    evals = {e["member"]: e["evaluation_id"] for e in ev.evaluation_members(session, manager, cycle_id)}
    for name, score in teamwork_scores.items():
        ev.rate(session, manager, evals[name], criterion, score)
    ev.release_cycle(session, manager, cycle_id, confirmed=ev.RELEASE_GAPS)
    return cycle_id


def test_reward_rules_suggest_rewards_the_manager_confirms(session, world):
    manager = world.actors["manager_a"]
    cycle_id = _released_cycle(session, world, {"Alice A1": 5, "Aaron A2": 3})
    rc.create_reward_rule(session, manager, world.teams["A"].id, "evaluation_score", 4.5, "bonus", 1000, "Top score")
    assert rc.suggest_rewards(session, manager, cycle_id) == 1
    assert rc.suggest_rewards(session, manager, cycle_id) == 0  # one suggestion per member, cycle and rule
    reward = session.scalars(select(Reward)).one()
    assert (reward.member_id, reward.status, reward.kind, float(reward.amount)) == (world.members["a1"].id, "suggested", "bonus", 1000.0)
    assert "evaluation_score 5 >= 4.5" in reward.reason
    rc.decide_reward(session, manager, reward.id, True)
    assert reward.status == "confirmed" and reward.decided_by == world.users["manager_a"].id
    with pytest.raises(Conflict):
        rc.decide_reward(session, manager, reward.id, False)
    assert rc.list_rewards(session, world.actors["member_a1"])["status"].tolist() == ["confirmed"]
    assert rc.list_rewards(session, world.actors["member_b1"]).empty


def test_rewards_are_suggested_only_for_released_cycles(session, world):
    manager = world.actors["manager_a"]
    template_id = ev.create_template(session, manager, world.teams["A"].id, "Rated", [ev.CriterionInput("Teamwork", "rated", 100)])
    cycle_id = ev.create_cycle(session, manager, world.teams["A"].id, template_id, "Open", "month", date(2026, 5, 1))
    with pytest.raises(Conflict):
        rc.suggest_rewards(session, manager, cycle_id)


def test_the_leaderboard_ranks_praise_in_the_cycle_and_shows_no_scores(session, world):
    manager = world.actors["manager_a"]
    cycle_id = _released_cycle(session, world, {"Alice A1": 5, "Aaron A2": 1})
    for message in ("Great call", "Great demo"):
        rc.give_praise(session, manager, world.members["a2"].id, message)
    rows = session.scalars(select(Recognition)).all()
    for row in rows:
        row.created_at = datetime(2026, 5, 15)
    session.flush()
    board = rc.leaderboard(session, world.actors["member_a1"], cycle_id)
    assert board[["rank", "member", "praise"]].values.tolist() == [[1, "Aaron A2", 2], [2, "Alice A1", 0]]
    assert "total" not in board.columns
    with pytest.raises(PermissionDenied):
        rc.leaderboard(session, world.actors["member_b1"], cycle_id)


def test_a_free_text_agenda_from_older_one_on_ones_is_kept_as_text(session, world):
    session.add(OneOnOne(manager_user_id=world.users["manager_a"].id, member_id=world.members["a1"].id,
                         held_on=MAY, agenda="Pipeline review; vacation plans"))
    session.commit()
    [view] = oo.list_one_on_ones(session, world.actors["member_a1"])
    assert view.agenda == {"text": "Pipeline review; vacation plans"}


# Issue 12 (6): three people, not three messages; small sub-teams shown under a group of five ----
def test_three_messages_from_one_person_are_never_released(session, world):
    for body in ("Alpha point", "Beta point", "Gamma point"):
        _send(session, world, who="member_a1", body=body)
    assert fb.release_due_feedback(session, world.actors["manager_a"], today=JUNE) == 0
    _send(session, world, who="member_a3", body="Delta point")
    assert fb.release_due_feedback(session, world.actors["manager_a"], today=JUNE) == 0  # still two people
    _send(session, world, who="member_a4", body="Epsilon point")
    assert fb.release_due_feedback(session, world.actors["manager_a"], today=JUNE) == 5


def test_a_small_sub_team_is_shown_under_its_parent_group(session, world):
    from tests.factories import make_member

    for body in ("Alpha point", "Beta point", "Gamma point"):
        _send(session, world, body=body)  # Team A1: a1, a2, a3, a4 = 4 people, under five
    fb.release_due_feedback(session, world.actors["manager_a"], today=JUNE)
    session.commit()
    [batch] = fb.list_batches(session, world.actors["admin"])
    assert batch.team == "Team A"  # rolled up: Team A with its sub-team has 5 members
    make_member(session, "Newcomer", world.teams["A1"])
    session.commit()
    [batch] = fb.list_batches(session, world.actors["admin"])
    assert batch.team == "Team A1"  # five in A1 now
