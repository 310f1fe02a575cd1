"""Contact-centre call records: import a call-centre sheet (any headers, mapped to our fields),
and the call report per agent and team with its charts. The metrics themselves (answer rate,
first-contact resolution, average speed of answer, average handle time, CSAT) are defined once in
core.metrics and are goal metrics and evaluation criteria like any other.

Import rules (one place):
- Fields: agent (required: a member's name, external id or e-mail), time (required), answered
  (required: yes/no in many spellings), topic, resolved, speed of answer and talk time (seconds,
  "mm:ss", "h:mm:ss", "45s", "3m", "1h"), satisfaction (1-5).
- The whole sheet is one transaction: any bad row and nothing is saved; every problem comes back
  with its row (1-based, as the spreadsheet shows it after the header) and column.
- The same call imported again (same agent, time, topic, answered, resolved, durations, rating)
  is skipped, so next week's export with overlapping days adds only the new calls.
- Times are stored as the sheet gives them (the contact centre's local clock).
"""
from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import altair as alt
import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core import audit, metrics
from core.errors import FieldError, InvalidInput
from core.i18n import t
from core.permissions import Actor, ensure_role, scope_clause, scope_for
from db.base import utcnow
from db.models import Call, Member, Team

FIELDS = ("agent", "time", "topic", "answered", "resolved", "speed_of_answer", "talk_time", "satisfaction")
REQUIRED = ("agent", "time", "answered")
CALL_METRICS = ("call_answer_rate", "call_first_contact_resolution", "call_speed_of_answer", "call_handle_time", "call_csat")
MAX_ROWS = 200_000

# Header spellings seen in call-centre exports (compared after lower-casing and dropping spaces,
# underscores, dashes and dots).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "agent": ("agent", "agentname", "agentid", "坐席", "坐席姓名", "客服", "客服姓名", "员工", "工号", "接听人", "agente",
              "operador", "mitarbeiter", "operator", "employee", "conseiller", "user", "username", "staff"),
    "time": ("time", "date", "datetime", "calltime", "starttime", "callstart", "calldate", "通话时间", "来电时间", "时间",
             "日期", "fecha", "fechahora", "hora", "datum", "zeit", "anrufzeit", "dateheure", "heure", "timestamp"),
    "topic": ("topic", "subject", "reason", "category", "queue", "主题", "类型", "来电类型", "话题", "tema", "motivo",
              "thema", "grund", "motif", "sujet"),
    "answered": ("answered", "isanswered", "connected", "接通", "是否接通", "已接听", "接听", "atendida", "contestada",
                 "beantwortet", "angenommen", "répondu", "repondu", "décroché", "status"),
    "resolved": ("resolved", "fcr", "firstcontactresolution", "solvedfirstcall", "解决", "是否解决", "一次解决", "首次解决",
                 "resuelto", "resuelta", "gelöst", "geloest", "résolu", "resolu"),
    "speed_of_answer": ("speedofanswer", "asa", "wait", "waittime", "waitseconds", "queuetime", "ringtime", "等待时长",
                        "应答时长", "排队时长", "振铃时长", "tiempodeespera", "espera", "wartezeit", "tempsdattente", "attente"),
    "talk_time": ("talktime", "duration", "talkseconds", "calllength", "handletime", "通话时长", "时长", "duración",
                  "duracion", "gesprächsdauer", "gespraechsdauer", "dauer", "durée", "duree", "tempsdecommunication"),
    "satisfaction": ("satisfaction", "csat", "rating", "score", "满意度", "评分", "评价", "satisfacción", "satisfaccion",
                     "valoración", "zufriedenheit", "bewertung", "note"),
}
_YES = {"yes", "y", "1", "true", "t", "是", "已接通", "接通", "已解决", "解决", "sí", "si", "ja", "oui", "answered", "resolved", "x", "✓"}
_NO = {"no", "n", "0", "false", "f", "否", "未接通", "未接", "未解决", "nein", "non", "missed", "abandoned", "unanswered", "unresolved", ""}


def _norm(text: Any) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return re.sub(r"[\s_\-./()（）:]+", "", text)


def suggest_mapping(headers: list[str]) -> dict[str, str | None]:
    """Our field -> the sheet's header that means it (None when nothing fits)."""
    normalised = {h: _norm(h) for h in headers}
    out: dict[str, str | None] = {}
    taken: set[str] = set()
    for field_name in FIELDS:
        spellings = {_norm(s) for s in SYNONYMS[field_name]}
        match = next((h for h, n in normalised.items() if n in spellings and h not in taken), None)
        if match is None:  # a header that contains a spelling ("Agent (name)")
            match = next((h for h, n in normalised.items() if h not in taken and any(len(s) > 3 and s in n for s in spellings)), None)
        out[field_name] = match
        if match:
            taken.add(match)
    return out


def parse_bool(value: Any) -> bool | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return False
    if isinstance(value, bool):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m(?:in)?)?\s*(?:(\d+(?:\.\d+)?)\s*s(?:ec)?)?\s*$", re.I)


def parse_seconds(value: Any) -> tuple[int | None, bool]:
    """(seconds, ok): blank is (None, True); numbers are seconds; "mm:ss", "h:mm:ss", "1h 2m 3s"."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        return None, True
    if isinstance(value, (int, float)):
        return (int(round(value)), True) if value >= 0 else (None, False)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace("秒", "s").replace("分", "m").replace("时", "h")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return int(round(float(text))), True
    if re.fullmatch(r"\d+:\d{1,2}(:\d{1,2})?", text):
        parts = [int(p) for p in text.split(":")]
        if len(parts) == 2:
            return parts[0] * 60 + parts[1], True
        return parts[0] * 3600 + parts[1] * 60 + parts[2], True
    match = _DURATION.match(text)
    if match and any(match.groups()):
        h, m, s = (float(g) if g else 0.0 for g in match.groups())
        return int(round(h * 3600 + m * 60 + s)), True
    return None, False


_SLASHED = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})")


def day_first(values: list[Any]) -> bool:
    """Whether a column's dd/mm/yyyy-or-mm/dd/yyyy dates put the day first: decided by any value
    whose first number cannot be a month (> 12), else by one whose second cannot; else day first
    (most of the world's exports)."""
    second_over = False
    for value in values:
        match = _SLASHED.match(str(value or ""))
        if match:
            if int(match.group(1)) > 12:
                return True
            second_over = second_over or int(match.group(2)) > 12
    return not second_over


def parse_time(value: Any, dayfirst: bool = True) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        return None
    text = str(value).strip()
    parsed = pd.to_datetime(text, errors="coerce", dayfirst=dayfirst and bool(_SLASHED.match(text)))
    return None if pd.isna(parsed) else parsed.to_pydatetime().replace(tzinfo=None)


class AgentBook:
    """Agents the actor may import calls for, by normalised name, external id and e-mail."""

    def __init__(self, session: Session, actor: Actor) -> None:
        scope = scope_for(session, actor)
        self.by_key: dict[str, int] = {}
        for r in session.execute(select(Member.id, Member.name, Member.external_id, Member.email).where(scope_clause(scope, Member))):
            for key in (r.name, r.external_id, r.email):
                if key:
                    self.by_key.setdefault(_norm(key), r.id)

    def find(self, value: Any) -> int | None:
        return self.by_key.get(_norm(value))


@dataclass
class ImportResult:
    added: int
    skipped_duplicates: int
    rows: int


def _fingerprint(member_id: int, at: datetime, topic: str | None, answered: bool, resolved: bool, speed: int | None,
                 talk: int | None, csat: int | None) -> str:
    raw = "|".join(str(v) for v in (member_id, at.isoformat(timespec="seconds"), topic or "", answered, resolved, speed, talk, csat))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:64]


def read_sheet(data: bytes, filename: str) -> pd.DataFrame:
    """A CSV (UTF-8, with or without BOM; GBK accepted) or Excel call sheet, cells as the file has
    them (Excel times stay times, to the second)."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xls")):
        try:
            return pd.read_excel(io.BytesIO(data), dtype=object)
        except Exception as error:  # noqa: BLE001 - any unreadable workbook
            raise InvalidInput("calls.error.unreadable", detail=str(error)[:200]) from None
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return pd.read_csv(io.BytesIO(data), dtype=object, encoding=encoding, keep_default_na=False)
        except UnicodeDecodeError:
            continue
        except Exception as error:  # noqa: BLE001
            raise InvalidInput("calls.error.unreadable", detail=str(error)[:200]) from None
    raise InvalidInput("calls.error.unreadable", detail="encoding")


def _check_mapping(actor: Actor, frame: pd.DataFrame, mapping: dict[str, str | None]) -> None:
    """The required fields are mapped, to headers the sheet has, and the sheet is not too long."""
    missing = [f for f in REQUIRED if not mapping.get(f)]
    if missing:
        raise InvalidInput("error.invalid", errors=[FieldError("calls.error.unmapped", {"field": t(f"calls.field.{f}", actor.language)},
                                                               column=f) for f in missing])
    unknown = [h for h in mapping.values() if h and h not in frame.columns]
    if unknown:
        raise InvalidInput("calls.error.header_gone", header=unknown[0])
    if len(frame) > MAX_ROWS:
        raise InvalidInput("calls.error.too_many", n=MAX_ROWS)


@dataclass
class _Sheet:
    """The sheet's values by our field (a list of Nones for an unmapped field), read row by row."""
    columns: dict[str, str | None]  # our field -> the sheet's header
    data: dict[str, list[Any]]
    agents: AgentBook
    dayfirst: bool


@dataclass
class _ParsedCall:
    member_id: int | None
    at: datetime | None
    answered: bool | None
    resolved: bool | None
    speed: int | None
    talk: int | None
    csat: int | None
    topic: str | None


def _parse_csat(raw: Any) -> int | None:
    """A rating rounded to a whole number; -1 for text that is no number (out of 1-5: an error)."""
    if raw is not None and not (isinstance(raw, float) and pd.isna(raw)) and str(raw).strip() != "":
        try:
            return int(round(float(str(raw).strip())))
        except ValueError:
            return -1
    return None


def _parse_topic(topic: Any) -> str | None:
    return None if topic is None or (isinstance(topic, float) and pd.isna(topic)) else str(topic).strip()[:120] or None


def _parse_call(sheet: _Sheet, i: int, errors: list[FieldError]) -> _ParsedCall:
    """Row `i` of the sheet read into a call; each bad cell adds a FieldError at its row and column."""
    data, columns, row_no = sheet.data, sheet.columns, i + 1
    member_id = sheet.agents.find(data["agent"][i])
    if member_id is None:
        errors.append(FieldError("calls.error.agent", {"value": str(data["agent"][i])[:60]}, row=row_no, column=columns["agent"]))
    at = parse_time(data["time"][i], sheet.dayfirst)
    if at is None:
        errors.append(FieldError("calls.error.time", {"value": str(data["time"][i])[:40]}, row=row_no, column=columns["time"]))
    answered = parse_bool(data["answered"][i])
    if answered is None:
        errors.append(FieldError("calls.error.yes_no", {"value": str(data["answered"][i])[:40]}, row=row_no, column=columns["answered"]))
    resolved = parse_bool(data["resolved"][i]) if columns["resolved"] else False
    if resolved is None:
        errors.append(FieldError("calls.error.yes_no", {"value": str(data["resolved"][i])[:40]}, row=row_no, column=columns["resolved"]))
    speed, ok_speed = parse_seconds(data["speed_of_answer"][i])
    talk, ok_talk = parse_seconds(data["talk_time"][i])
    for ok, f in ((ok_speed, "speed_of_answer"), (ok_talk, "talk_time")):
        if not ok:
            errors.append(FieldError("calls.error.duration", {"value": str(data[f][i])[:40]}, row=row_no, column=columns[f]))
    raw_csat = data["satisfaction"][i]
    csat = _parse_csat(raw_csat)
    if csat is not None and not 1 <= csat <= 5:
        errors.append(FieldError("calls.error.csat", {"value": str(raw_csat)[:20]}, row=row_no, column=columns["satisfaction"]))
    return _ParsedCall(member_id, at, answered, resolved, speed, talk, csat, _parse_topic(data["topic"][i]))


def _call_record(call: _ParsedCall, fingerprint: str, now: datetime) -> dict[str, Any]:
    """The Call row: a call not answered is not resolved and has no durations."""
    return {"fingerprint": fingerprint, "member_id": call.member_id, "occurred_at": call.at, "topic": call.topic,
            "answered": bool(call.answered), "resolved": bool(call.resolved and call.answered),
            "speed_of_answer_seconds": call.speed if call.answered else None, "talk_seconds": call.talk if call.answered else None,
            "csat": call.csat, "imported_at": now}


def _read_calls(sheet: _Sheet, rows: int, now: datetime,
                progress: Callable[[float], None] | None) -> tuple[list[dict[str, Any]], int]:
    """The sheet's calls as Call rows and how many repeated an earlier row; once a row is wrong no
    more are kept, the rest only checked (up to 200 problems), and any problem refuses the sheet."""
    errors: list[FieldError] = []
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    duplicates = 0
    for i in range(rows):
        call = _parse_call(sheet, i, errors)
        if len(errors) > 200:
            break
        if errors:
            continue
        fingerprint = _fingerprint(call.member_id, call.at, call.topic, bool(call.answered), bool(call.resolved and call.answered),
                                   call.speed, call.talk, call.csat)
        if fingerprint in seen:
            duplicates += 1
            continue
        seen.add(fingerprint)
        records.append(_call_record(call, fingerprint, now))
        if progress and i % 500 == 0:
            progress(0.5 * i / max(rows, 1))
    if errors:
        raise InvalidInput("calls.error.rows", errors=errors[:200], n=len(errors))
    return records, duplicates


def _insert_new_calls(session: Session, records: list[dict[str, Any]], progress: Callable[[float], None] | None) -> int:
    """Insert the calls not imported before (by fingerprint); returns how many."""
    existing: set[str] = set()
    prints = [r["fingerprint"] for r in records]
    for start in range(0, len(prints), 500):
        existing.update(session.scalars(select(Call.fingerprint).where(Call.fingerprint.in_(prints[start:start + 500]))))
    fresh = [r for r in records if r["fingerprint"] not in existing]
    for start in range(0, len(fresh), 1000):
        session.execute(insert(Call), fresh[start:start + 1000])
        if progress:
            progress(0.5 + 0.5 * min(1.0, (start + 1000) / max(len(fresh), 1)))
    return len(fresh)


def import_calls(session: Session, actor: Actor, frame: pd.DataFrame, mapping: dict[str, str | None],
                 progress: Callable[[float], None] | None = None) -> ImportResult:
    """Import a call sheet with `mapping` (our field -> the sheet's header), all or nothing."""
    ensure_role(actor, "admin", "manager")
    _check_mapping(actor, frame, mapping)
    agents = AgentBook(session, actor)
    columns = {f: mapping.get(f) for f in FIELDS}
    data = {f: (frame[h].tolist() if h else [None] * len(frame)) for f, h in columns.items()}
    now = utcnow()
    sheet = _Sheet(columns, data, agents, day_first(data["time"]))
    records, duplicates = _read_calls(sheet, len(frame), now, progress)
    added = _insert_new_calls(session, records, progress)
    result = ImportResult(added=added, skipped_duplicates=duplicates + len(records) - added, rows=len(frame))
    audit.record(session, actor, "calls.import", "call", None, None,
                 {"rows": result.rows, "added": result.added, "skipped": result.skipped_duplicates})
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
REPORT_COLUMNS = ["group", "calls", *CALL_METRICS]


def call_report(session: Session, actor: Actor, *, start: date, end: date, group: str = "member") -> pd.DataFrame:
    """Per agent (or per team with its sub-teams) in the actor's scope, over calls in [start, end]:
    the number of calls and the five call metrics (core.metrics). Groups without calls are left out."""
    scope = scope_for(session, actor)
    from sqlalchemy import func

    lo, hi = datetime.combine(start, datetime.min.time()), datetime.combine(end, datetime.max.time())
    people = {r.id: r.name for r in session.execute(select(Member.id, Member.name).where(scope_clause(scope, Member)).order_by(Member.name))}
    if not people:
        return pd.DataFrame(columns=REPORT_COLUMNS)
    counts = dict(session.execute(
        select(Call.member_id, func.count()).where(Call.member_id.in_(sorted(people)), Call.occurred_at >= lo, Call.occurred_at <= hi)
        .group_by(Call.member_id)
    ).all())
    out = []
    if group == "member":
        ids = [m for m in people if counts.get(m)]
        values = {m: metrics.measure_by_member(session, m, ids, start, end) for m in CALL_METRICS} if ids else {}
        for member_id in ids:
            out.append({"group": people[member_id], "calls": counts[member_id], **{m: values[m][member_id] for m in CALL_METRICS}})
    else:
        from core.permissions import subtree_team_ids

        for team in session.execute(select(Team.id, Team.name).where(scope_clause(scope, Team)).order_by(Team.name)).all():
            members = set(session.scalars(select(Member.id).where(Member.team_id.in_(sorted(subtree_team_ids(session, {team.id}))))))
            ids = sorted(m for m in members if m in people and counts.get(m))
            if not ids:
                continue
            out.append({"group": team.name, "calls": sum(counts[m] for m in ids),
                        **{m: metrics.measure_value(session, m, member_ids=ids, start=start, end=end) for m in CALL_METRICS}})
    frame = pd.DataFrame(out, columns=REPORT_COLUMNS)
    for column in CALL_METRICS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def rates_chart(report: pd.DataFrame, lang: str) -> alt.Chart:
    """Answer rate and first-contact resolution per group (grouped bars, percent)."""
    data = report.melt(id_vars=["group"], value_vars=["call_answer_rate", "call_first_contact_resolution"],
                       var_name="metric", value_name="percent").dropna(subset=["percent"])
    data["metric"] = data["metric"].map(lambda m: t(f"metric.{m}", lang))
    return (
        alt.Chart(data, title=t("calls.chart.rates", lang))
        .mark_bar()
        .encode(
            x=alt.X("group:N", title=t("calls.chart.group", lang), sort=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
            xOffset="metric:N",
            y=alt.Y("percent:Q", title=t("service.chart.percent_axis", lang), scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("metric:N", title=t("calls.chart.metric", lang)),
            tooltip=[alt.Tooltip("group:N", title=t("calls.chart.group", lang)), alt.Tooltip("metric:N", title=t("calls.chart.metric", lang)),
                     alt.Tooltip("percent:Q", title=t("service.chart.percent_axis", lang), format=".0f")],
        )
        .properties(height=300)
    )


def times_chart(report: pd.DataFrame, lang: str) -> alt.Chart:
    """Average speed of answer and handle time per group (grouped bars, seconds)."""
    data = report.melt(id_vars=["group"], value_vars=["call_speed_of_answer", "call_handle_time"],
                       var_name="metric", value_name="seconds").dropna(subset=["seconds"])
    data["metric"] = data["metric"].map(lambda m: t(f"metric.{m}", lang))
    return (
        alt.Chart(data, title=t("calls.chart.times", lang))
        .mark_bar()
        .encode(
            x=alt.X("group:N", title=t("calls.chart.group", lang), sort=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
            xOffset="metric:N",
            y=alt.Y("seconds:Q", title=t("calls.chart.seconds_axis", lang)),
            color=alt.Color("metric:N", title=t("calls.chart.metric", lang)),
            tooltip=[alt.Tooltip("group:N", title=t("calls.chart.group", lang)), alt.Tooltip("metric:N", title=t("calls.chart.metric", lang)),
                     alt.Tooltip("seconds:Q", title=t("calls.chart.seconds_axis", lang), format=".0f")],
        )
        .properties(height=300)
    )


__all__ = ["FIELDS", "REQUIRED", "CALL_METRICS", "SYNONYMS", "suggest_mapping", "parse_bool", "parse_seconds", "parse_time",
           "read_sheet", "import_calls", "ImportResult", "call_report", "rates_chart", "times_chart"]
