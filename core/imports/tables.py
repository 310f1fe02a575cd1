"""Reading an uploaded file into a table, and the error and rejected-row tables given back."""
from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pandas as pd

from core import i18n
from core.errors import FieldError, InvalidInput


# ---------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------
def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """Every cell as stripped text ("" for empty). CSV in UTF-8 (with or without BOM) or GB18030
    (what Chinese Excel saves); .xlsx via openpyxl."""
    name = filename.lower()
    try:
        if name.endswith((".xlsx", ".xlsm")):
            frame = pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl")
        else:
            frame = None
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    first_line = data.split(b"\n", 1)[0].decode(encoding)
                except UnicodeDecodeError:
                    continue
                sep = max([",", "\t", ";", "|"], key=first_line.count)
                try:
                    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding=encoding, sep=sep)
                    break
                except UnicodeDecodeError:
                    continue
            if frame is None:
                raise InvalidInput("imports.unreadable", [FieldError("imports.bad_encoding")])
    except InvalidInput:
        raise
    except Exception as error:  # noqa: BLE001 - any parser failure is the user's file
        raise InvalidInput("imports.unreadable", [FieldError("imports.parse_error", {"detail": str(error)[:200]})]) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if name.endswith((".xlsx", ".xlsm")):
        frame = frame.map(_cell_text)
    else:
        frame = frame.apply(lambda column: column.str.strip())
    frame = frame.loc[~(frame == "").all(axis=1)]  # skip fully blank lines
    if frame.empty:
        raise InvalidInput("imports.empty", [FieldError("imports.empty_file")])
    return frame.reset_index(drop=True)


def _cell_text(value: Any) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def error_frame(errors: list[FieldError] | tuple[FieldError, ...], frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Every error as a row: spreadsheet row, the file's column, the value there, and the reason
    in the user's language (the downloadable error file)."""
    records = []
    for e in errors:
        value = ""
        if e.row is not None and e.column in frame.columns and 0 <= e.row - 2 < len(frame):
            value = frame.iloc[e.row - 2][e.column]
        records.append({i18n.t("move.err.row", lang): e.row, i18n.t("move.err.column", lang): e.column or "",
                        i18n.t("move.err.value", lang): value, i18n.t("move.err.reason", lang): i18n.t(e.key, lang, **e.params)})
    return pd.DataFrame.from_records(records, columns=[i18n.t(f"move.err.{c}", lang) for c in ("row", "column", "value", "reason")])


def rejected_rows(errors: list[FieldError] | tuple[FieldError, ...], frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The rows that were not imported, as they were in the file, with a column saying why: fix
    them and import this file again."""
    reasons: dict[int, list[str]] = {}
    for e in errors:
        if e.row is not None:
            reasons.setdefault(e.row, []).append(f"{e.column or ''}: {i18n.t(e.key, lang, **e.params)}")
    lines = sorted(reasons)
    rest = frame.iloc[[line - 2 for line in lines if 0 <= line - 2 < len(frame)]].copy()
    rest[i18n.t("move.err.reason", lang)] = ["; ".join(reasons[line]) for line in lines if 0 <= line - 2 < len(frame)]
    return rest.reset_index(drop=True)
