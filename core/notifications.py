"""Notifications: the in-app centre's rows plus the e-mails they cause, by each user's preference
per kind (immediate / daily digest / off), written in the recipient's language.

Rules (one place):
- A notification is unique per (user, kind, ref): creating it twice creates it once, whoever
  (which worker, which server) tries; the e-mail is queued in the same transaction, keyed by the
  notification, so it is queued once too. core.mailer sends the queue.
- Preferences: a user's row for the kind, else DEFAULT_MODE (immediate). "off" means in-app only.
- The daily digest gathers a user's digest-mode notifications created since their previous digest
  (or the last day) into one mail, once per user and local day.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import InvalidInput
from core.i18n import t
from core.permissions import Actor
from db.base import utcnow
from db.upsert import insert_ignore
from db.models import NOTIFY_MODES, EmailOutbox, Notification, NotificationPreference, User

# Every kind the app raises (the preference screen lists them).
KINDS = (
    "complaint_response_warning",
    "complaint_resolution_warning",
    "complaint_response_breach",
    "complaint_resolution_breach",
    "complaint_response_escalated",
    "complaint_resolution_escalated",
    "follow_up_reminder",
    "feedback_released",
    "evaluation_deadline",
    "automation",
    "scorecard_report",
)
DEFAULT_MODE = "immediate"


def kind_label(kind: str, lang: str) -> str:
    return t(f"notify.kind.{kind}", lang)


@dataclass(frozen=True)
class Recipient:
    id: int
    email: str | None
    language: str
    active: bool


class Notifier:
    """Creates notifications for many users in one pass, loading users and preferences once."""

    def __init__(self, session: Session, now: datetime | None = None) -> None:
        self.session = session
        self.now = now or utcnow()
        self._users: dict[int, Recipient] = {}
        self._prefs: dict[tuple[int, str], str] | None = None

    def _user(self, user_id: int) -> Recipient | None:
        if user_id not in self._users:
            row = self.session.execute(select(User.id, User.email, User.language, User.active).where(User.id == user_id)).first()
            if row is None:
                return None
            self._users[user_id] = Recipient(row.id, row.email, row.language, row.active)
        return self._users[user_id]

    def mode(self, user_id: int, kind: str) -> str:
        if self._prefs is None:
            self._prefs = {(r.user_id, r.kind): r.mode for r in self.session.scalars(select(NotificationPreference))}
        return self._prefs.get((user_id, kind), DEFAULT_MODE)

    def existing(self, refs: Iterable[str]) -> set[tuple[int, str, str]]:
        refs = sorted(set(refs))
        found: set[tuple[int, str, str]] = set()
        for start in range(0, len(refs), 500):
            found.update(self.session.execute(
                select(Notification.user_id, Notification.kind, Notification.ref).where(Notification.ref.in_(refs[start:start + 500]))
            ).all())
        return found

    def notify(self, user_id: int, kind: str, ref: str, message: str) -> bool:
        """Create the notification (and queue its immediate e-mail); False when it already exists."""
        user = self._user(user_id)
        if user is None or not user.active:
            return False
        note_id = insert_ignore(self.session, Notification, {"user_id": user_id, "kind": kind, "ref": ref,
                                                             "message": message[:300], "created_at": self.now},
                                ["user_id", "kind", "ref"])
        if note_id is None:  # someone else wrote it first
            return False
        if user.email and self.mode(user_id, kind) == "immediate":
            lang = user.language
            label = kind_label(kind, lang)
            insert_ignore(self.session, EmailOutbox, {
                "dedupe_key": f"notification:{note_id}", "user_id": user_id, "to_address": user.email,
                "subject": f"ClientCrew · {label}"[:300],
                "body": "\n\n".join([label, message, t("notify.mail.footer", lang)]),
                "created_at": self.now, "attempts": 0,
            }, ["dedupe_key"])
        return True


def notify(session: Session, user_id: int, kind: str, ref: str, message: str, now: datetime | None = None) -> bool:
    return Notifier(session, now).notify(user_id, kind, ref, message)


# ---------------------------------------------------------------------------------------------
# Preferences
# ---------------------------------------------------------------------------------------------
def preferences(session: Session, actor: Actor) -> dict[str, str]:
    """The actor's own mode for every kind."""
    rows = dict(session.execute(
        select(NotificationPreference.kind, NotificationPreference.mode).where(NotificationPreference.user_id == actor.user_id)
    ).all())
    return {kind: rows.get(kind, DEFAULT_MODE) for kind in KINDS}


def set_preferences(session: Session, actor: Actor, modes: dict[str, str]) -> int:
    """Save the actor's own modes (only their own: preferences are personal). Returns how many changed."""
    bad = [k for k, m in modes.items() if k not in KINDS or m not in NOTIFY_MODES]
    if bad:
        raise InvalidInput("automation.error.bad_preference")
    current = {p.kind: p for p in session.scalars(select(NotificationPreference).where(NotificationPreference.user_id == actor.user_id))}
    changed = 0
    for kind, mode in modes.items():
        row = current.get(kind)
        if row is None:
            if mode == DEFAULT_MODE:
                continue
            session.add(NotificationPreference(user_id=actor.user_id, kind=kind, mode=mode))
            changed += 1
        elif row.mode != mode:
            row.mode = mode
            changed += 1
    if changed:
        session.flush()
        audit.record(session, actor, "notification.preferences", "user", actor.user_id, None, dict(modes))
    return changed


# ---------------------------------------------------------------------------------------------
# Daily digest
# ---------------------------------------------------------------------------------------------
def queue_digests(session: Session, today: date, now: datetime | None = None) -> int:
    """One digest mail per user with digest-mode notifications from the last day (since the
    previous digest's creation). Keyed by user and day, so a rerun queues nothing new."""
    now = now or utcnow()
    digest_prefs = session.execute(
        select(NotificationPreference.user_id, NotificationPreference.kind).where(NotificationPreference.mode == "digest")
    ).all()
    kinds_by_user: dict[int, set[str]] = {}
    for user_id, kind in digest_prefs:
        kinds_by_user.setdefault(user_id, set()).add(kind)
    queued = 0
    for user_id, kinds in sorted(kinds_by_user.items()):
        key = f"digest:{user_id}:{today.isoformat()}"
        if session.scalar(select(EmailOutbox.id).where(EmailOutbox.dedupe_key == key)):
            continue
        user = session.get(User, user_id)
        if user is None or not user.active or not user.email:
            continue
        previous = session.scalar(
            select(EmailOutbox.created_at).where(EmailOutbox.dedupe_key.like(f"digest:{user_id}:%"))
            .order_by(EmailOutbox.created_at.desc()).limit(1)
        )
        since = previous or (now - timedelta(days=1))
        notes = session.execute(
            select(Notification.kind, Notification.message, Notification.created_at)
            .where(Notification.user_id == user_id, Notification.kind.in_(sorted(kinds)), Notification.created_at > since,
                   Notification.created_at <= now)
            .order_by(Notification.created_at)
        ).all()
        if not notes:
            continue
        lang = user.language
        lines = [f"- {kind_label(n.kind, lang)}: {n.message}" for n in notes]
        queued += insert_ignore(session, EmailOutbox, {
            "dedupe_key": key, "user_id": user_id, "to_address": user.email,
            "subject": t("notify.mail.digest_subject", lang, n=len(notes)),
            "body": "\n".join([t("notify.mail.digest_intro", lang, n=len(notes)), "", *lines, "", t("notify.mail.footer", lang)]),
            "created_at": now, "attempts": 0,
        }, ["dedupe_key"]) is not None
    return queued


__all__ = ["KINDS", "DEFAULT_MODE", "Notifier", "notify", "kind_label", "preferences", "set_preferences", "queue_digests"]
