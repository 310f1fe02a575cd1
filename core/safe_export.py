"""The one way a table leaves the app as a file: CSV and XLSX with spreadsheet formulas defused.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by Excel,
LibreOffice or Google Sheets (CSV injection, OWASP); openpyxl even turns any string starting with
`=` into a live formula cell. Text cells get a leading apostrophe (the spreadsheet convention for
"this is text") and are written to XLSX as string cells; numbers, dates and booleans stay typed.
Every export in pages/ goes through here (ui.export_buttons, ui.to_xlsx in ui/widgets.py).
"""
from __future__ import annotations

import io
import math
from datetime import date, datetime
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text value that a spreadsheet would evaluate, made inert; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column headers are neutralised."""
    out = frame.copy()
    out.columns = [neutralise(str(c)) if not isinstance(c, str) else neutralise(c) for c in out.columns]
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            out[column] = series.map(neutralise).astype(object)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel shows Chinese correctly; CRLF line ends as Excel writes them."""
    # CRLF rows: the csv module then quotes any cell holding a bare CR, which readers would split
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()  # numpy scalars
        except (ValueError, AttributeError):
            pass
    return value


def to_xlsx_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    """One sheet per frame. Text is written as string cells (never formulas)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet_name, frame in frames.items():
        sheet = workbook.create_sheet(title=_sheet_title(sheet_name))
        safe = safe_frame(frame)
        rows = [list(safe.columns)] + safe.astype(object).where(pd.notna(safe), None).values.tolist()
        for r, row in enumerate(rows, start=1):
            for c, raw in enumerate(row, start=1):
                value = _cell_value(raw)
                if value is None:
                    continue
                if not isinstance(value, (int, float, bool, date, datetime)):
                    value = str(value)
                cell = sheet.cell(row=r, column=c)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = TYPE_STRING  # openpyxl would make "=..." a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(name: str) -> str:
    cleaned = "".join("_" if ch in '[]:*?/\\' else ch for ch in str(name)).strip("'") or "Sheet"
    return cleaned[:31]
