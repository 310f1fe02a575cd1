"""Audit and history rows as sentences in the reader's language.

The audit log stores codes (`task.move`, `assignee_id: 6 → 1`); people read "陈静 moved 'X' from
刘洋 to 陈静". This module turns stored rows into that: the record's name, who did it, a verb for
the action, and each changed field with a translated label and readable values (ids become names,
codes become labels, dates are formatted). Bookkeeping fields (positions, versions) are left out.
Used by the Admin audit log, the task history and the customer's audit tab.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import i18n
from db.models import Complaint, Customer, Goal, Member, Task, Team, User

# fields that are bookkeeping, not something a person changed
HIDDEN_FIELDS = frozenset({"position", "version", "updated_at", "password_hash", "moves", "why", "event_id"})
MEMBER_FIELDS = frozenset({"assignee_id", "owner_id", "member_id", "manager_id", "to_member_id", "from_member_id",
                           "target_member_id", "leader_id"})
TEAM_FIELDS = frozenset({"team_id", "parent_id", "target_team_id"})
CUSTOMER_FIELDS = frozenset({"customer_id"})
USER_FIELDS = frozenset({"user_id", "manager_user_id", "created_by", "rater_user_id"})
# field -> choice-label prefix of its values
CHOICE_FIELDS = {"status": None, "role": "user_role", "channel": "channel", "severity": "severity", "size": "size",
                 "tier": "tier", "kind": None, "language": "language"}
STATUS_PREFIX = {"task": "task_status", "customer": "customer_status", "complaint": "complaint_status",
                 "member": "member_status", "goal": "goal_status", "evaluation_cycle": "cycle_status",
                 "reward": "reward_status"}
NAMED: dict[str, tuple[Any, Any]] = {"task": (Task, Task.title), "customer": (Customer, Customer.name), "member": (Member, Member.name),
         "team": (Team, Team.name), "user": (User, User.display_name), "goal": (Goal, Goal.title),
         "complaint": (Complaint, Complaint.title)}


class Names:
    """Id -> name lookups for a batch of audit rows, one query per kind of record."""

    def __init__(self, session: Session, rows: Iterable[dict[str, Any]]) -> None:
        wanted: dict[str, set[int]] = {k: set() for k in ("member", "team", "customer", "user", *NAMED)}
        for row in rows:
            if row.get("entity") in NAMED and row.get("entity_id"):
                wanted[row["entity"]].add(int(row["entity_id"]))
            for side in (row.get("before") or {}, row.get("after") or {}):
                for field, value in side.items():
                    if not isinstance(value, int) or isinstance(value, bool):
                        continue
                    if field in MEMBER_FIELDS:
                        wanted["member"].add(value)
                    elif field in TEAM_FIELDS:
                        wanted["team"].add(value)
                    elif field in CUSTOMER_FIELDS:
                        wanted["customer"].add(value)
                    elif field in USER_FIELDS:
                        wanted["user"].add(value)
        self.names: dict[str, dict[int, str]] = {}
        for kind, ids in wanted.items():
            if not ids or kind not in NAMED:
                self.names[kind] = {}
                continue
            model, column = NAMED[kind]
            self.names[kind] = dict(session.execute(select(model.id, column).where(model.id.in_(sorted(ids)))).all())

    def of(self, kind: str, value: Any) -> str | None:
        return self.names.get(kind, {}).get(value) if isinstance(value, int) else None


def field_label(field: str, lang: str) -> str:
    key = f"screens.field.{field}"
    return i18n.t(key, lang) if i18n.has_key(key) else i18n.t("screens.field.other", lang)


def value_text(entity: str, field: str, value: Any, lang: str, names: Names) -> str:
    """One stored value as a reader sees it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return i18n.t("common.yes" if value else "common.no", lang)
    if field in MEMBER_FIELDS:
        return names.of("member", value) or i18n.t("screens.audit.someone", lang)
    if field in TEAM_FIELDS:
        return names.of("team", value) or i18n.t("screens.audit.a_team", lang)
    if field in CUSTOMER_FIELDS:
        return names.of("customer", value) or i18n.t("screens.audit.a_customer", lang)
    if field in USER_FIELDS:
        return names.of("user", value) or i18n.t("screens.audit.someone", lang)
    if field in CHOICE_FIELDS:
        prefix = CHOICE_FIELDS[field] or STATUS_PREFIX.get(entity, f"{entity}_{field}")
        return i18n.choice_label(prefix, str(value), lang)
    if field == "reason" and isinstance(value, str):
        from core.assignment import reason_text

        return reason_text(value, lang)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            parsed = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
            return i18n.format_date(parsed, lang)
        except ValueError:
            pass
    if isinstance(value, float):
        return i18n.format_number(value, lang, 0 if value.is_integer() else 2)
    if isinstance(value, (list, dict)):
        return i18n.format_count(len(value), "item", lang)
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def record_name(entity: str, entity_id: int | None, lang: str, names: Names) -> str:
    name = names.of(entity, entity_id) if entity_id else None
    kind = i18n.t(f"screens.entity.{entity}", lang) if i18n.has_key(f"screens.entity.{entity}") else i18n.t("screens.entity.other", lang)
    return f"{kind}“{name}”" if name and lang == "zh" else (f"{kind} “{name}”" if name else kind)


def changes(entity: str, before: dict | None, after: dict | None, lang: str, names: Names) -> list[str]:
    """'Assignee: 刘洋 → 陈静' for each field a person changed."""
    before, after = before or {}, after or {}
    lines = []
    for field in [*after, *[k for k in before if k not in after]]:
        if field in HIDDEN_FIELDS:
            continue
        old, new = before.get(field), after.get(field)
        if old == new and field in before:
            continue
        new_text = value_text(entity, field, new, lang, names)
        if field in before:
            lines.append(f"{field_label(field, lang)}: {value_text(entity, field, old, lang, names)} → {new_text}")
        else:
            lines.append(f"{field_label(field, lang)}: {new_text}")
    return lines


def sentence(row: dict[str, Any], lang: str, names: Names) -> str:
    """'陈静 moved task “X”' — who, what they did, to which record."""
    who = row.get("who") or i18n.t("screens.audit.system", lang)
    action = row.get("action") or ""
    key = f"screens.audit.{action}"
    verb_key = key if i18n.has_key(key) else "screens.audit.changed"
    return i18n.t(verb_key, lang, who=who, record=record_name(row.get("entity") or "", row.get("entity_id"), lang, names))


def describe(session: Session, rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Each row with `text` (the sentence) and `details` (changed fields, one per line)."""
    names = Names(session, rows)
    return [{**row, "text": sentence(row, lang, names),
             "details": "\n".join(changes(row.get("entity") or "", row.get("before"), row.get("after"), lang, names))}
            for row in rows]
