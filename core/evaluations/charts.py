"""Evaluation charts (Altair): trend, distribution, heatmap, member versus team."""
from __future__ import annotations

import altair as alt
import pandas as pd


def trend_chart(frame: pd.DataFrame, title: str, x_title: str, y_title: str) -> alt.Chart:
    """A member's total (1-5) per cycle; provisional points (open cycles) hollow."""
    base = alt.Chart(frame).encode(
        x=alt.X("cycle:N", sort=None, title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("total:Q", title=y_title, scale=alt.Scale(domain=[1, 5])),
        tooltip=[alt.Tooltip("cycle:N", title=x_title), alt.Tooltip("total:Q", title=y_title, format=".2f")],
    )
    return (base.mark_line(point=False) + base.mark_point(size=80, filled=True)).properties(title=title, height=260)


def distribution_chart(frame: pd.DataFrame, title: str, x_title: str, y_title: str) -> alt.Chart:
    """How many members fall in each half-point band of the total (1-5)."""
    data = frame.dropna(subset=["total"])
    return (
        alt.Chart(data).mark_bar()
        .encode(
            x=alt.X("total:Q", bin=alt.Bin(extent=[1, 5], step=0.5), title=x_title),
            y=alt.Y("count():Q", title=y_title, axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("count():Q", title=y_title)],
        )
        .properties(title=title, height=240)
    )


def heatmap_chart(frame: pd.DataFrame, title: str, x_title: str, y_title: str, score_title: str) -> alt.Chart:
    """Member x criterion scores (1-5); missing cells stay blank."""
    data = frame.dropna(subset=["score"])
    base = alt.Chart(data).encode(
        x=alt.X("criterion:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=-30, labelOverlap=False, labelLimit=160)),
        y=alt.Y("member:N", title=y_title, axis=alt.Axis(labelOverlap=False)),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("score:Q", title=score_title, scale=alt.Scale(domain=[1, 5], scheme="blues")),
        tooltip=[alt.Tooltip("member:N", title=y_title), alt.Tooltip("criterion:N", title=x_title),
                 alt.Tooltip("score:Q", format=".1f", title=score_title)],
    )
    text = base.mark_text(fontSize=12).encode(text=alt.Text("score:Q", format=".1f"))
    return (rect + text).properties(title=title, height=alt.Step(28))


def versus_chart(frame: pd.DataFrame, title: str, x_title: str, y_title: str, legend: str, labels: dict[str, str]) -> alt.Chart:
    """A member's score per criterion beside the team average (1-5)."""
    data = frame.dropna(subset=["score"]).assign(who=lambda f: f["who"].map(labels))  # no bar, no "NaN" tooltip
    return (
        alt.Chart(data).mark_bar()
        .encode(
            x=alt.X("criterion:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=-30)),
            xOffset=alt.XOffset("who:N"),
            y=alt.Y("score:Q", title=y_title, scale=alt.Scale(domain=[0, 5])),
            color=alt.Color("who:N", title=legend),
            tooltip=[alt.Tooltip("criterion:N", title=x_title), alt.Tooltip("who:N", title=legend),
                     alt.Tooltip("score:Q", title=y_title, format=".1f")],
        )
        .properties(title=title, height=260)
    )
