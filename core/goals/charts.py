"""Goal charts and frames: burn-up and the overview (Altair)."""
from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from datetime import date

import altair as alt
import pandas as pd

from core.goals.rules import AT_RISK, NO_DATA, NOT_STARTED, OFF_TRACK, ON_TRACK, STATUSES, GoalRow

STATUS_COLORS = {ON_TRACK: "#2e7d32", AT_RISK: "#f9a825", OFF_TRACK: "#c62828", NO_DATA: "#9e9e9e", NOT_STARTED: "#90a4ae"}


def burnup_chart(goal: GoalRow, series: pd.DataFrame, labels: dict[str, str], today: date | None = None) -> alt.LayerChart | alt.FacetChart:
    """Actual against the expected pace, with the forecast to the end date and the target line.
    `labels` (translated by the page): title, date, value, actual, expected, forecast, target."""
    today = today or date.today()
    p = goal.progress
    pace = pd.DataFrame({"date": [goal.start_date, goal.end_date], "value": [p.start_value, goal.target], "line": labels["expected"]})
    actual = series.assign(line=labels["actual"]) if not series.empty else pd.DataFrame(columns=["date", "value", "line"])
    parts = [pace, actual]
    if p.forecast is not None and p.actual is not None and today < goal.end_date:
        parts.append(pd.DataFrame({"date": [min(today, goal.end_date), goal.end_date], "value": [p.actual, p.forecast],
                                   "line": labels["forecast"]}))
    data = pd.concat([x for x in parts if not x.empty], ignore_index=True)
    data["date"] = pd.to_datetime(data["date"])
    data["value"] = data["value"].astype(float)
    domain = [labels["expected"], labels["actual"], labels["forecast"]]
    color = alt.Color("line:N", title=None, scale=alt.Scale(domain=domain, range=["#9e9e9e", "#1565c0", STATUS_COLORS[p.status]]),
                      legend=alt.Legend(orient="bottom"))
    unit = f" ({goal.unit})" if goal.unit else ""
    lines = alt.Chart(data).mark_line(point=True, strokeWidth=3).encode(
        x=alt.X("date:T", title=labels["date"], axis=alt.Axis(format="%Y-%m-%d", labelAngle=-30)),
        y=alt.Y("value:Q", title=labels["value"] + unit),
        color=color,
        strokeDash=alt.StrokeDash("line:N", scale=alt.Scale(domain=domain, range=[[6, 4], [1, 0], [2, 3]]), legend=None),
        tooltip=[alt.Tooltip("line:N", title=" "), alt.Tooltip("date:T", title=labels["date"], format="%Y-%m-%d"),
                 alt.Tooltip("value:Q", title=labels["value"], format=",.1~f")],
    )
    target = alt.Chart(pd.DataFrame({"value": [goal.target], "label": [labels["target"]]})).mark_rule(
        color="#c62828", strokeDash=[2, 2]).encode(y="value:Q", tooltip=[alt.Tooltip("value:Q", title=labels["target"])])
    return alt.layer(lines, target).properties(title=labels["title"], height=320)


def overview_frame(goals: Sequence[GoalRow]) -> pd.DataFrame:
    """One row per goal: owner, title, % of target, status (codes; the page translates labels)."""
    return pd.DataFrame([{
        "id": g.id, "title": g.title, "owner": g.owner, "metric": g.metric, "target": g.target, "unit": g.unit,
        "actual": g.progress.actual, "expected": g.progress.expected, "forecast": g.progress.forecast,
        "percent": None if g.percent is None else round(g.percent, 1), "status": g.status,
        "start_date": g.start_date, "end_date": g.end_date, "confidence": g.confidence,
    } for g in goals], columns=["id", "title", "owner", "metric", "target", "unit", "actual", "expected", "forecast",
                                "percent", "status", "start_date", "end_date", "confidence"])


def overview_chart(goals: Sequence[GoalRow], labels: dict[str, str], status_labels: dict[str, str],
                   big: bool = False) -> alt.LayerChart | alt.FacetChart:
    """Horizontal bars: % of target per goal, coloured by status, with the 100 % line.
    `labels`: title, percent, goal, status."""
    order = [status_labels[s] for s in STATUSES]
    bars = alt.Chart().mark_bar().encode(
        x=alt.X("percent:Q", title=labels["percent"], scale=alt.Scale(domain=[0, 150])),
        y=alt.Y("name:N", title=labels["goal"], sort="-x", axis=alt.Axis(labelLimit=320)),
        color=alt.Color("status_label:N", title=labels["status"],
                        scale=alt.Scale(domain=order, range=[STATUS_COLORS[s] for s in STATUSES]), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("name:N", title=labels["goal"]), alt.Tooltip("percent:Q", title=labels["percent"], format=".0f"),
                 alt.Tooltip("status_label:N", title=labels["status"])],
    )
    rule = alt.Chart().mark_rule(color="#424242", strokeDash=[4, 4]).encode(x=alt.datum(100))
    chart = alt.layer(bars, rule, data={"values": _overview_records(goals, status_labels)}).properties(
        title=labels["title"], height=alt.Step(40 if big else 30))
    if big:  # readable across a meeting room
        chart = (chart.configure_axis(labelFontSize=18, titleFontSize=18, labelLimit=480)
                 .configure_legend(labelFontSize=17, titleFontSize=17).configure_title(fontSize=22))
    return chart


def _overview_records(goals: Sequence[GoalRow], status_labels: dict[str, str]) -> list[dict]:
    return [{
        "name": f"{g.owner} · {g.title}",
        "percent": 0.0 if g.percent is None else min(max(round(g.percent, 1), 0.0), 150.0),
        "status_label": status_labels[g.status],
    } for g in goals]


def overview_spec(goals: Sequence[GoalRow], labels: dict[str, str], status_labels: dict[str, str],
                  big: bool = False) -> dict:
    """`overview_chart` as a Vega-Lite spec, for live pages. Building the Altair objects costs far
    more than the data (the Meeting page redraws this after every write), so the chart without
    rows is built once per language and size and the rows are put into a copy of it."""
    skeleton = _overview_skeleton(tuple(labels.items()), tuple(status_labels.items()), big)
    spec = copy.deepcopy(skeleton)
    spec["data"] = {"values": _overview_records(goals, status_labels)}
    return spec


@functools.lru_cache(maxsize=32)
def _overview_skeleton(labels: tuple, status_labels: tuple, big: bool) -> dict:
    spec = overview_chart([], dict(labels), dict(status_labels), big).to_dict(validate=False)
    spec.pop("datasets", None)
    spec.pop("data", None)
    return spec
