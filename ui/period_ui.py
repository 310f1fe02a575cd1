"""The period choice of the history views (Goals, Meeting, their exports): current, a quarter or
fiscal year, or all; current by default. Quarters follow the workspace's fiscal-year start."""
from __future__ import annotations

from datetime import date

import streamlit as st

from core import periods
import ui


def label(code: str) -> str:
    if code == periods.CURRENT:
        return ui.t("move.period.current")
    if code == periods.ALL:
        return ui.t("move.period.all")
    parts = code.split(":")
    if parts[0] == "q":
        return ui.t("move.period.quarter", year=parts[1], q=parts[2])
    return ui.t("move.period.year", year=parts[1])


def fiscal_start() -> int:
    return ui.workspace_settings().fiscal_year_start


def picker(key: str, container=None) -> str:
    codes = periods.options(date.today(), fiscal_start())
    return (container or st).selectbox(ui.t("move.period"), codes, key=key, format_func=ui.formatter(codes, label),
                                       persist_state="page") or periods.CURRENT
