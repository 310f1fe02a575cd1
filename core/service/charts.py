"""Service charts (Altair): response time and resolution rate."""
from __future__ import annotations

import altair as alt
import pandas as pd

from core.i18n import t


def response_time_chart(report: pd.DataFrame, group: str, lang: str) -> alt.Chart:
    """Average hours to first response per group (bar chart, hours)."""
    data = report.dropna(subset=["avg_response_hours"]).rename(columns={"avg_response_hours": "hours"})
    x_title = t(f"service.group.{group}", lang)
    return (
        alt.Chart(data, title=t("service.chart.response_time", lang))
        .mark_bar()
        .encode(
            x=alt.X("group:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
            y=alt.Y("hours:Q", title=t("service.chart.hours_axis", lang)),
            tooltip=[alt.Tooltip("group:N", title=x_title),
                     alt.Tooltip("hours:Q", title=t("service.chart.hours_axis", lang), format=".1f"),
                     alt.Tooltip("responded:Q", title=t("service.col.responded", lang))],
        )
        .properties(height=300)
    )


def resolution_rate_chart(report: pd.DataFrame, group: str, lang: str) -> alt.Chart:
    """Share of complaints resolved per group (bar chart, percent)."""
    data = report.dropna(subset=["resolution_rate"]).rename(columns={"resolution_rate": "percent"})
    x_title = t(f"service.group.{group}", lang)
    return (
        alt.Chart(data, title=t("service.chart.resolution_rate", lang))
        .mark_bar(color="#2e7d32")
        .encode(
            x=alt.X("group:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=-30, labelLimit=160)),
            y=alt.Y("percent:Q", title=t("service.chart.percent_axis", lang), scale=alt.Scale(domain=[0, 100])),
            tooltip=[alt.Tooltip("group:N", title=x_title),
                     alt.Tooltip("percent:Q", title=t("service.chart.percent_axis", lang), format=".0f"),
                     alt.Tooltip("complaints:Q", title=t("service.col.complaints", lang)),
                     alt.Tooltip("resolved:Q", title=t("service.col.resolved", lang))],
        )
        .properties(height=300)
    )
