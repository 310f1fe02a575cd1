"""Exports are reports: a raw table turned into what a reader expects in a spreadsheet, in the
user's language — translated headers, labels instead of codes (`sales_won`, `at_risk`, `open`),
formatted values (money in its currency, whole percentages, dates as dates), "—" where nothing is.

`report_frame(rows, columns, lang, currency)` keeps only the columns listed (ids and internal
fields fall away unless asked for) in the order listed. Each `Col` says where its value comes from,
the catalogue key of its header and how to show it. The files themselves are written by
core.safe_export (formulas defused); pages may offer the raw table beside the report "for analysis".

`report_problems(frame)` lists what would still read as developer text in a report (a missing
value spelled None/nan, a snake_case code, a dotted catalogue key): the export tests use it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from collections.abc import Callable, Iterable, Sequence

import pandas as pd

from core import i18n

KINDS = ("text", "label", "money", "count", "decimal", "points", "share", "date", "datetime", "yesno", "hours",
         "seconds", "change", "signed", "metric", "integer")


@dataclass(frozen=True)
class Col:
    """One report column: `source` in the raw rows, `header` a catalogue key (or, with
    `literal=True`, the header text itself, e.g. a product name like "CSAT"), `kind` how to show
    it; `arg` is the label prefix (kind "label"), the decimals (kind "decimal"), the column holding
    the currency (kind "money", else the workspace's) or the column holding the metric (kind
    "metric", with `unit_col` for a goal's own unit)."""

    source: str
    header: str
    kind: str = "text"
    arg: Any = None
    unit_col: str | None = None
    literal: bool = False


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _digits(col: Col) -> int:
    """The decimals of a "decimal", "signed" or "change" column: one unless the column says."""
    return 1 if col.arg is None else int(col.arg)


def _text(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    text = str(value).strip()
    return text if text else "—"


def _label(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    return i18n.choice_label(col.arg, str(value), lang)


def _money(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    """In the row's own currency when the column names one, else the workspace's."""
    money = row.get(col.arg) if col.arg else currency
    return i18n.format_money(value, lang, money or currency, short=False)


def _whole(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    return i18n.format_number(value, lang, 0, short=False)


def _decimal(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    return i18n.format_decimal(value, lang, _digits(col))


def _points(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    return i18n.format_points(value, lang)


def _share(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    return i18n.format_percent(value, lang)


def _seconds(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    return i18n.t("service.unit.s", lang, n=i18n.format_number(value, lang, 0, short=False))


def _signed(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    """On screen: +0.4 / −1.2 (a file takes "change")."""
    return i18n.format_decimal(value, lang, _digits(col), signed=True)


def _change(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    """A number, so its sign stays a sign (text starting with + or - is defused as a formula)."""
    return round(float(value), _digits(col))


def _hours(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    return i18n.t("service.unit.h", lang, n=i18n.format_decimal(value, lang, 1))


def _date(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    """A date, a timestamp's day or an ISO text's; text that is no date is shown as it is."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.date()
    return i18n.format_date(value if isinstance(value, date) else pd.Timestamp(value).date(), lang)


def _datetime(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    """To the second; a plain date stays a date; text that is no timestamp is shown as it is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime) and isinstance(value, date):
        return i18n.format_date(value, lang)
    return i18n.format_date(pd.Timestamp(value).to_pydatetime().replace(microsecond=0), lang)


def _metric(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    """As the row's metric is measured (`arg` names its column), in the goal's own unit if any."""
    from core import metrics  # metrics formats measured values; imported late to keep this module light

    unit = row.get(col.unit_col) if col.unit_col else None
    return metrics.format_metric(float(value), row.get(col.arg), lang, currency, unit or None)


# How each kind shows a value that is there ("yesno" also shows a missing one: see _format).
_FORMATTERS: dict[str, Callable[[Col, Any, dict, str, str], Any]] = {
    "text": _text, "label": _label, "money": _money, "count": _whole, "integer": _whole, "decimal": _decimal,
    "points": _points, "share": _share, "seconds": _seconds, "signed": _signed, "change": _change, "hours": _hours,
    "date": _date, "datetime": _datetime, "metric": _metric,
}


def _format(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    kind = col.kind
    if kind == "yesno":
        return "—" if _missing(value) else i18n.t("common.yes" if bool(value) else "common.no", lang)
    if _missing(value) or (isinstance(value, str) and not value.strip() and kind != "text"):
        return "—"
    formatter = _FORMATTERS.get(kind)
    if formatter is None:
        raise ValueError(f"unknown report column kind {kind!r}")
    return formatter(col, value, row, lang, currency)


def _cell(col: Col, value: Any, row: dict, lang: str, currency: str) -> Any:
    shown = _format(col, value, row, lang, currency)
    if col.kind != "text" and isinstance(shown, str) and shown.startswith("-"):
        return "\u2212" + shown[1:]  # a true minus sign: "-12" as text would be defused as a formula
    return shown


def report_frame(rows: pd.DataFrame | Iterable[dict], columns: Sequence[Col], lang: str, currency: str) -> pd.DataFrame:
    """The report: one column per `Col` (translated header, formatted text), in that order."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    headers = [c.header if c.literal else i18n.t(c.header, lang) for c in columns]
    data = [[_cell(c, r.get(c.source), r, lang, currency) for c in columns] for r in records]
    return pd.DataFrame(data, columns=headers)


def _infer(series: pd.Series) -> str:
    values = [v for v in series.tolist() if not _missing(v)]
    if pd.api.types.is_bool_dtype(series) or (values and all(isinstance(v, bool) for v in values)):
        return "yesno"
    if pd.api.types.is_datetime64_any_dtype(series) or (values and all(isinstance(v, (date, datetime, pd.Timestamp)) for v in values)):
        stamps = [pd.Timestamp(v) for v in values]
        timed = any(isinstance(v, (datetime, pd.Timestamp)) for v in values) and \
            any((t.hour, t.minute, t.second) != (0, 0, 0) for t in stamps)
        return "datetime" if timed else "date"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "integer" if all(float(v).is_integer() for v in values) else "decimal"
    if pd.api.types.is_numeric_dtype(series) and not values:
        return "integer"
    return "text"


def formatted(frame: pd.DataFrame, lang: str, currency: str, kinds: dict[str, str | Col] | None = None) -> pd.DataFrame:
    """A table whose headers are already in the user's language, made a report: every column
    formatted by `kinds[column]` (a kind name or a full Col) or, for the others, by what it holds
    (yes/no, dates, whole numbers, one decimal, text); "—" where nothing is."""
    kinds = kinds or {}
    columns = []
    for name in frame.columns:
        given = kinds.get(name)
        if isinstance(given, Col):
            columns.append(Col(name, name, given.kind, given.arg, given.unit_col, literal=True))
        else:
            columns.append(Col(name, str(name), given or _infer(frame[name]), literal=True))
    return report_frame(frame, columns, lang, currency)


def label_values(frame: pd.DataFrame, column: str, prefix: str, lang: str) -> pd.DataFrame:
    """A copy of `frame` whose `column` holds labels instead of codes (for tables kept as is)."""
    out = frame.copy()
    out[column] = [i18n.choice_label(prefix, v, lang) if not _missing(v) else "—" for v in out[column]]
    return out


# ---------------------------------------------------------------------------------------------
# The app's reports (raw tables from core, columns as the reader expects them)
# ---------------------------------------------------------------------------------------------
CUSTOMER_COLUMNS = (
    Col("name", "common.name"), Col("external_id", "reports.col.external_id"), Col("industry", "customers.industry"),
    Col("size", "customers.size", "label", "size"), Col("region", "customers.region"), Col("tier", "customers.tier", "label", "tier"),
    Col("status", "common.status", "label", "customer_status"), Col("owner", "customers.owner"), Col("team", "customers.team"),
    Col("last_contact_at", "customers.last_contact", "datetime"), Col("next_follow_up", "customers.next_follow_up", "date"),
    Col("overdue", "common.overdue", "yesno"),
)
FOLLOW_UP_COLUMNS = (
    Col("name", "common.name"), Col("tier", "customers.tier", "label", "tier"), Col("owner", "customers.owner"),
    Col("team", "customers.team"), Col("last_contact_at", "customers.last_contact", "datetime"),
    Col("next_follow_up", "customers.next_follow_up", "date"), Col("days_overdue", "comm.days_overdue", "count"),
    Col("state", "comm.state", "label", "comm.state"),
)
LOAD_COLUMNS = (
    Col("name", "common.member"), Col("team", "common.team"), Col("load", "assignment.load_col", "count"),
    Col("capacity", "assignment.capacity_col", "count"), Col("utilisation", "assignment.utilisation", "share"),
)
SURVEY_TREND_COLUMNS = (
    Col("period", "service.group.period"), Col("group", "reports.col.group"), Col("csat_avg", "metric.csat_avg", "decimal"),
    Col("nps", "metric.nps", "integer"),
)


GOAL_COLUMNS = (
    Col("title", "goals.goal"), Col("owner", "goals.owner"), Col("metric", "goals.metric", "label", "metric"),
    Col("actual", "goals.actual", "metric", "metric", "unit"), Col("target", "goals.target", "metric", "metric", "unit"),
    Col("expected", "goals.expected", "metric", "metric", "unit"), Col("forecast", "goals.forecast", "metric", "metric", "unit"),
    Col("percent", "goals.percent", "points"), Col("status", "goals.status", "label", "goals.status"),
    Col("start_date", "goals.start", "date"), Col("end_date", "goals.ends", "date"), Col("confidence", "goals.confidence", "integer"),
)
CHECK_IN_COLUMNS = (
    Col("goal", "reports.col.goal"), Col("value", "reports.col.value", "metric", "metric", "unit"),
    Col("confidence", "reports.col.confidence", "integer"), Col("comment", "reports.col.comment"),
    Col("created_at", "reports.col.when", "datetime"),
)


def goals_workbook(frames: dict[str, pd.DataFrame], lang: str, currency: str) -> dict[str, pd.DataFrame]:
    """core.goals.export_frames as a report: a goals sheet and a check-ins sheet naming their goal."""
    goals, check_ins = frames["goals"], frames["check_ins"]
    by_id = {r["id"]: r for r in goals.to_dict("records")}
    named = [{**c, "goal": by_id.get(c["goal_id"], {}).get("title"), "metric": by_id.get(c["goal_id"], {}).get("metric"),
              "unit": by_id.get(c["goal_id"], {}).get("unit")} for c in check_ins.to_dict("records")]
    return {i18n.t("reports.sheet.goals", lang): report_frame(goals, GOAL_COLUMNS, lang, currency),
            i18n.t("reports.sheet.check_ins", lang): report_frame(named, CHECK_IN_COLUMNS, lang, currency)}


def customers(frame: pd.DataFrame, lang: str, currency: str) -> pd.DataFrame:
    """The customer list as a report (no ids; labels for size, tier and status)."""
    return report_frame(frame, CUSTOMER_COLUMNS, lang, currency)


def follow_ups(frame: pd.DataFrame, lang: str, currency: str) -> pd.DataFrame:
    return report_frame(frame, FOLLOW_UP_COLUMNS, lang, currency)


def customer_load(frame: pd.DataFrame, lang: str, currency: str) -> pd.DataFrame:
    return report_frame(frame, LOAD_COLUMNS, lang, currency)


def survey_trends(frame: pd.DataFrame, lang: str, currency: str) -> pd.DataFrame:
    return report_frame(frame, SURVEY_TREND_COLUMNS, lang, currency)


# ---------------------------------------------------------------------------------------------
# What must not be in a report
# ---------------------------------------------------------------------------------------------
MISSING_WORDS = {"nan", "NaN", "None", "none", "null", "NaT", "<NA>"}
_CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")  # sales_won, at_risk, first_response_hours
_KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")  # goals.status.at_risk
_RAW_FLOAT = re.compile(r"^-?\d+\.\d{3,}$")  # 70.91234: a value nobody formatted
_ISO_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")


def _number_problem(value: Any) -> str | None:
    """A bool, a NaN or an unformatted float cell (not text yet)."""
    if isinstance(value, bool):
        return "a bare True/False"
    if value != value:
        return "an empty value shown as nan"
    if _RAW_FLOAT.match(repr(value)):
        return f"an unformatted number {value!r}"
    return None


def _text_problem(text: str) -> str | None:
    if text in MISSING_WORDS:
        return f"{text!r}"
    if _CODE.match(text) or _KEY.match(text):
        return f"a code {text!r}"
    if _RAW_FLOAT.match(text):
        return f"an unformatted number {text!r}"
    if _ISO_STAMP.match(text):
        return f"a machine timestamp {text!r}"
    return None


def _value_problem(value: Any, allowed: set[str]) -> str | None:
    """What is wrong with one header or cell, None when it reads as text for people (or is empty)."""
    if isinstance(value, (bool, float)):
        return _number_problem(value)
    if value is None:
        return None  # an empty cell
    text = str(value).strip()
    if text in allowed:
        return None
    return _text_problem(text)


def report_problems(frame: pd.DataFrame, allowed: Iterable[str] = ()) -> list[str]:
    """Headers and cells that would read as developer text in a report."""
    allowed = set(allowed)
    problems = []
    for header in frame.columns:
        problem = _value_problem(str(header), allowed)
        if problem:
            problems.append(f"header {header!r}: {problem}")
    for header in frame.columns:
        for n, value in enumerate(frame[header].tolist()):
            if isinstance(value, (datetime, pd.Timestamp)):
                problems.append(f"{header!r} row {n + 1}: an unformatted timestamp")
                continue
            problem = _value_problem(value, allowed)
            if problem:
                problems.append(f"{header!r} row {n + 1}: {problem}")
    return problems


__all__ = ["Col", "KINDS", "report_frame", "formatted", "customers", "follow_ups", "customer_load", "survey_trends", "goals_workbook", "label_values", "report_problems", "MISSING_WORDS"]
