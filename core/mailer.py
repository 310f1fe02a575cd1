"""E-mail over SMTP: the workspace's mail settings (Admin), a test send, and delivery of the
outbox that notifications, digests and scorecard reports fill.

Rules (one place):
- Settings live in the `settings` table (keys `mail.*`): host, port, security (none / starttls /
  ssl), sender, user name. The password is never stored in the database: it comes from the
  CLIENTCREW_SMTP_PASSWORD environment variable of the worker (and of the app for a test send).
- Without a host, mail stays queued (nothing is lost; the in-app centre still shows everything).
- Delivery leases each row (claimed_by / claimed_until, set with UPDATE ... WHERE unclaimed), so
  two workers never send one mail twice; a failed send is retried on later passes, at most
  MAX_ATTEMPTS times, and its error is kept on the row.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, parseaddr

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, FieldError, InvalidInput
from core.permissions import Actor, ensure_role
from db.base import utcnow
from db.models import EmailOutbox, Setting
from db.session import rowcount, unit_of_work

SECURITY = ("none", "starttls", "ssl")
KEYS = ("host", "port", "security", "sender", "username")
PASSWORD_ENV = "CLIENTCREW_SMTP_PASSWORD"
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class MailConfig:
    host: str
    port: int
    security: str
    sender: str
    username: str | None = None
    password: str | None = None


def _read(session: Session) -> dict[str, str]:
    rows = session.execute(select(Setting.key, Setting.value).where(Setting.key.like("mail.%"))).all()
    return {k.removeprefix("mail."): v for k, v in rows}


def get_settings(session: Session, actor: Actor) -> dict[str, object]:
    """The mail settings for the Admin form (admins only; never the password)."""
    ensure_role(actor, "admin")
    raw = _read(session)
    return {
        "host": raw.get("host", ""), "port": int(raw.get("port") or 587), "security": raw.get("security", "starttls"),
        "sender": raw.get("sender", ""), "username": raw.get("username", ""),
        "password_set": bool(os.environ.get(PASSWORD_ENV)),
    }


def save_settings(session: Session, actor: Actor, *, host: str, port: int, security: str, sender: str,
                  username: str = "") -> None:
    ensure_role(actor, "admin")
    host, sender, username = (host or "").strip(), (sender or "").strip(), (username or "").strip()
    errors = []
    if host and (len(host) > 253 or any(c.isspace() for c in host)):
        errors.append(FieldError("automation.mail.error.host", column="host"))
    if not isinstance(port, int) or not 1 <= port <= 65535:
        errors.append(FieldError("automation.mail.error.port", column="port"))
    if security not in SECURITY:
        errors.append(FieldError("automation.mail.error.security", column="security"))
    if host and "@" not in parseaddr(sender)[1]:
        errors.append(FieldError("automation.mail.error.sender", column="sender"))
    if errors:
        raise InvalidInput("error.invalid", errors=errors)
    before = _read(session)
    values = {"host": host, "port": str(port), "security": security, "sender": sender, "username": username}
    for key, value in values.items():
        row = session.get(Setting, f"mail.{key}")
        if row is None:
            session.add(Setting(key=f"mail.{key}", value=value))
        else:
            row.value = value
    session.flush()
    audit.record(session, actor, "mail.settings", "setting", None, before, values)


def config(session: Session) -> MailConfig | None:
    """The SMTP configuration the worker sends with; None while no host is set."""
    raw = _read(session)
    if not raw.get("host"):
        return None
    return MailConfig(raw["host"], int(raw.get("port") or 587), raw.get("security", "starttls"), raw.get("sender", ""),
                      raw.get("username") or None, os.environ.get(PASSWORD_ENV) or None)


def build_message(cfg: MailConfig, to: str, subject: str, body: str, attachment_name: str | None = None,
                  attachment: bytes | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr(("ClientCrew", cfg.sender)) if "<" not in cfg.sender else cfg.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if attachment is not None and attachment_name:
        maintype, subtype = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if attachment_name.endswith(".pdf"):
            subtype = "pdf"
        message.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=attachment_name)
    return message


def send(cfg: MailConfig, message: EmailMessage) -> None:
    """One SMTP conversation (raises OSError / smtplib.SMTPException on failure)."""
    if cfg.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(cfg.host, cfg.port, timeout=TIMEOUT_SECONDS)
    with client:
        if cfg.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if cfg.username and cfg.password:
            client.login(cfg.username, cfg.password)
        client.send_message(message)


def send_test(session: Session, actor: Actor, to: str | None = None) -> str:
    """The Admin page's test button: send one mail now to `to` (default: the admin's address).
    Returns the address; a refused or unreachable server is a Conflict with the server's reason."""
    ensure_role(actor, "admin")
    from core.i18n import t
    from db.models import User

    cfg = config(session)
    if cfg is None:
        raise Conflict("automation.mail.error.no_host")
    user = session.get(User, actor.user_id)
    to = (to or (user.email if user else "") or "").strip()
    if "@" not in parseaddr(to)[1]:
        raise InvalidInput("error.invalid", errors=[FieldError("automation.mail.error.to", column="to")])
    lang = user.language if user else "zh"
    try:
        send(cfg, build_message(cfg, to, t("automation.mail.test_subject", lang), t("automation.mail.test_body", lang)))
    except (OSError, smtplib.SMTPException) as exc:
        raise Conflict("automation.mail.error.send_failed", reason=str(exc)[:200]) from exc
    audit.record(session, actor, "mail.test", "setting", None, None, {"to": to})
    return to


def deliver_outbox(engine: Engine, worker: str, now: datetime | None = None, batch: int = 50) -> int:
    """Send what is queued (oldest first), each row leased before sending. Returns how many were
    sent. Each claim and each result is its own short transaction."""
    now = now or utcnow()
    with unit_of_work(engine) as s:
        cfg = config(s)
        if cfg is None:
            return 0
        candidates = list(s.scalars(
            select(EmailOutbox.id).where(
                EmailOutbox.sent_at.is_(None), EmailOutbox.attempts < MAX_ATTEMPTS,
                or_(EmailOutbox.claimed_until.is_(None), EmailOutbox.claimed_until < now),
            ).order_by(EmailOutbox.id).limit(batch)
        ))
    sent = 0
    for outbox_id in candidates:
        with unit_of_work(engine) as s:
            claimed = rowcount(s.execute(
                update(EmailOutbox)
                .where(EmailOutbox.id == outbox_id, EmailOutbox.sent_at.is_(None),
                       or_(EmailOutbox.claimed_until.is_(None), EmailOutbox.claimed_until < now))
                .values(claimed_by=worker, claimed_until=now + LEASE, attempts=EmailOutbox.attempts + 1)
                .execution_options(synchronize_session=False)
            ))
            row = s.get(EmailOutbox, outbox_id) if claimed == 1 else None
        if row is None:
            continue  # another worker has it
        error = None
        try:
            send(cfg, build_message(cfg, row.to_address, row.subject, row.body, row.attachment_name, row.attachment))
        except (OSError, smtplib.SMTPException) as exc:
            error = str(exc)[:500] or exc.__class__.__name__
        with unit_of_work(engine) as s:
            values = {"last_error": error, "claimed_until": None} if error else {"sent_at": utcnow(), "last_error": None}
            s.execute(update(EmailOutbox).where(EmailOutbox.id == outbox_id).values(**values)
                      .execution_options(synchronize_session=False))
        sent += error is None
    return sent


__all__ = ["MailConfig", "SECURITY", "get_settings", "save_settings", "config", "build_message", "send", "send_test",
           "deliver_outbox"]
