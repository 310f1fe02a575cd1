"""Written feedback after an evaluation: a released scorecard sent to the member as a readable
report, an e-mail body plus the scorecard as an XLSX attachment, in the member's language.

Rules (one place):
- Only a released cycle's scorecard, sent by a manager of the cycle's team or an admin
  (core.evaluations decides who may see it), to the member's login e-mail (else the member's own
  e-mail). The mail is queued in the outbox (the worker sends it) and the member also gets an
  in-app notification. Sending the same scorecard again queues nothing new.
- Text cells in the attachment that a spreadsheet would run as a formula are prefixed with '.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, evaluations, metrics, notifications, safe_export, workspace
from core.errors import Conflict, NotFound
from core.i18n import DEFAULT_CURRENCY, format_date, format_decimal, t
from core.permissions import Actor, ensure_role
from db.base import utcnow
from db.models import EmailOutbox, Evaluation, EvaluationCycle, Member, User

_safe = safe_export.neutralise  # cells that a spreadsheet would run as formulas made inert (one rule)


def _score(value: float | None, lang: str = "en") -> str:
    return format_decimal(value, lang, 1)


def _value(line: evaluations.Line, lang: str, currency: str) -> str:
    """A measured line's value as the screens show it (core.metrics.format_metric)."""
    return metrics.format_metric(line.value, line.metric, lang, currency, evaluations.METRIC_UNITS.get(line.metric or ""))


def report_text(card: evaluations.Scorecard, lang: str, currency: str = DEFAULT_CURRENCY) -> tuple[str, str]:
    """(subject, body): the scorecard as a letter the member can read."""
    subject = t("report.subject", lang, cycle=card.cycle_name)
    lines = [
        t("report.greeting", lang, name=card.member_name),
        "",
        t("report.intro", lang, cycle=card.cycle_name, start=format_date(card.start, lang), end=format_date(card.end, lang)),
        t("report.total", lang, total=format_decimal(card.total, lang, 2)),
        "",
    ]
    for line in card.lines:
        lines.append(t("report.line", lang, name=line.name, weight=line.weight, score=_score(line.score, lang)))
        if line.kind == "measured" and line.value is not None:
            lines.append("  " + t("report.measured", lang, value=_value(line, lang, currency)))
        if line.manager_comment:
            lines.append("  " + t("report.comment", lang, comment=line.manager_comment))
    lines += ["", t("report.attached", lang), t("notify.mail.footer", lang)]
    return subject, "\n".join(lines)


def report_xlsx(card: evaluations.Scorecard, lang: str, currency: str = DEFAULT_CURRENCY) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = t("report.sheet", lang)[:31]
    sheet.append([_safe(t("report.subject", lang, cycle=card.cycle_name))])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([t("report.member", lang), _safe(card.member_name)])
    sheet.append([t("report.period", lang), f"{format_date(card.start, lang)} – {format_date(card.end, lang)}"])
    sheet.append([t("report.total_label", lang), card.total])
    sheet.append([])
    header = [t("report.col.criterion", lang), t("report.col.weight", lang), t("report.col.value", lang),
              t("report.col.score", lang), t("report.col.self", lang), t("report.col.comment", lang)]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for line in card.lines:
        sheet.append([_safe(line.name), line.weight, _value(line, lang, currency) if line.kind == "measured" else "—",
                      line.score, line.self_score, _safe(line.manager_comment or "")])
    for column, width in zip("ABCDEF", (34, 10, 12, 10, 10, 50)):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def send_scorecard(session: Session, actor: Actor, evaluation_id: int) -> str:
    """Queue the member's released scorecard as a report e-mail; returns the address."""
    ensure_role(actor, "admin", "manager")
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound("error.not_found")
    card = evaluations.get_scorecard(session, actor, evaluation_id)
    cycle = session.get(EvaluationCycle, evaluation.cycle_id)
    if cycle.status != "released":
        raise Conflict("report.error.not_released")
    member = session.get(Member, evaluation.member_id)
    user = session.get(User, member.user_id) if member.user_id else None
    address = (user.email if user else None) or member.email
    if not address:
        raise Conflict("report.error.no_email", name=member.name)
    lang = user.language if user else "zh"
    key = f"scorecard:{evaluation_id}"
    if session.scalar(select(EmailOutbox.id).where(EmailOutbox.dedupe_key == key)):
        raise Conflict("report.error.already_sent", name=member.name)
    currency = workspace.currency(session)
    subject, body = report_text(card, lang, currency)
    session.add(EmailOutbox(
        dedupe_key=key, user_id=user.id if user else None, to_address=address, subject=subject[:300], body=body,
        attachment_name=f"scorecard-{evaluation_id}.xlsx", attachment=report_xlsx(card, lang, currency), created_at=utcnow(),
    ))
    if user is not None:
        notifications.Notifier(session).notify(user.id, "scorecard_report", key, card.cycle_name)
    session.flush()
    audit.record(session, actor, "evaluation.report_sent", "evaluation", evaluation_id, None, {"to": address})
    return address


__all__ = ["report_text", "report_xlsx", "send_scorecard"]
