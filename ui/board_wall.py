"""The board's Trello-style layout (issue 15): every column side by side in one horizontally
scrolling row, fixed-width columns, and the auto-scroll script that lets a dragged card reach a
column that is off screen. Not a page: app.py registers only the files in core/navigation.py."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

COLUMN_WIDTH = 272  # px, as Trello: four columns on a laptop, one and a bit on a phone

# One row that never wraps: the row scrolls sideways, each column keeps its width. The keyed
# containers carry Streamlit's st-key-* classes (the same ones streamlit-dnd relies on).
_CSS = f"""
<style>
.st-key-board-row {{
  flex-wrap: nowrap !important; overflow-x: auto !important; overflow-y: hidden;
  align-items: flex-start !important; padding-bottom: 10px; overscroll-behavior-x: contain;
}}
.st-key-board-row > div {{ flex: 0 0 {COLUMN_WIDTH}px !important; width: {COLUMN_WIDTH}px !important;
  min-width: {COLUMN_WIDTH}px !important; }}
.st-key-board-row [class*="st-key-bwrap-"] {{ background: rgba(127, 127, 127, 0.07); border-radius: 10px;
  padding: 8px 8px 4px 8px; }}
.st-key-board-row [class*="st-key-bwrap-"] h4 {{ padding: 0; font-size: 1.05rem; }}
.st-key-board-row [data-testid="stMarkdownContainer"] p {{ font-size: 0.875rem; line-height: 1.45; }}
.st-key-board-row [class*="st-key-bcol-"] {{ min-height: 64px; }}
</style>
"""

_SCRIPT = Path(__file__).resolve().parent / "assets" / "board_autoscroll.js"


@st.cache_resource(show_spinner=False)
def _script() -> str:
    return "<script>" + _SCRIPT.read_text(encoding="utf-8") + "</script>"


def inject() -> None:
    """The row's CSS and (once per page load; the script guards itself) the auto-scroll script."""
    st.html(_CSS + _script(), unsafe_allow_javascript=True)
