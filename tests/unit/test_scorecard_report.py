"""Written feedback after an evaluation: the released scorecard goes to the member as a readable
e-mail with the scorecard attached as XLSX, in the member's language, once."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core import evaluations as ev
from core import mailer, scorecard_report
from core.errors import Conflict, PermissionDenied
from db.models import EmailOutbox, User
from tests.unit.test_evaluations import cycle  # noqa: F401 - the fixture


def test_a_released_scorecard_is_mailed_to_the_member_in_their_language_with_the_xlsx(session, world, cycle):
    manager = world.actors["manager_a"]
    evaluation_id = cycle["evals"]["Alice A1"]
    ev.rate(session, manager, evaluation_id, cycle["criteria"]["Teamwork"], 3, "=HYPERLINK(\"x\") works well with others")
    with pytest.raises(Conflict):  # not released yet
        scorecard_report.send_scorecard(session, manager, evaluation_id)
    ev.release_cycle(session, manager, cycle["id"], confirmed=ev.RELEASE_GAPS)  # issue 12: gaps confirmed
    session.get(User, world.users["member_a1"].id).language = "zh"
    assert scorecard_report.send_scorecard(session, manager, evaluation_id) == "member_a1@example.com"
    mail = session.scalar(select(EmailOutbox))
    assert mail.subject == "您的评估结果：May 2026"
    assert mail.body.startswith("Alice A1，您好：") and "总分：4.00 / 5" in mail.body  # the total as the screens show it
    assert "Teamwork（权重" in mail.body
    sheet = load_workbook(io.BytesIO(mail.attachment)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[5] == ["评估项", "权重 %", "实测值", "得分（1-5）", "自评", "经理评语"]
    assert next(r for r in rows if r[0] == "CSAT")[2] == "4.5/5"  # the measured value formatted as on screen
    teamwork = next(r for r in rows if r[0] == "Teamwork")
    assert teamwork[3] == 3 and teamwork[5].startswith("'=HYPERLINK")  # a formula is never live
    with pytest.raises(Conflict):
        scorecard_report.send_scorecard(session, manager, evaluation_id)
    message = mailer.build_message(mailer.MailConfig("h", 25, "none", "crew@example.com"), mail.to_address, mail.subject,
                                   mail.body, mail.attachment_name, mail.attachment)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == f"scorecard-{evaluation_id}.xlsx"


def test_only_the_cycles_managers_send_reports(session, world, cycle):
    ev.release_cycle(session, world.actors["manager_a"], cycle["id"], confirmed=ev.RELEASE_GAPS)
    with pytest.raises(PermissionDenied):
        scorecard_report.send_scorecard(session, world.actors["manager_b"], cycle["evals"]["Alice A1"])
    with pytest.raises(PermissionDenied):
        scorecard_report.send_scorecard(session, world.actors["member_a1"], cycle["evals"]["Alice A1"])
