"""The app's Streamlit framework, beside the pages that use it (pages/ holds only pages).

Pages write `import ui` and call `ui.t(...)`, `ui.cached(core_fn, ...)`, `ui.write(core_fn, ...)`:
read widgets, call core through these, render. The names come from the modules by concern:

- `ui.runtime`: engine, the run's table revisions, app.py's login-gate reads, the acting user,
  the runpy workaround for a page opened directly, units of work for screens without an actor;
- `ui.data`: cached and uncached reads, writes, loaded versions of edit forms, views built from cached reads
  (over `ui.read_cache`, the process-wide read cache);
- `ui.text`: language, translation, escaping, formatting, messages after an action;
- `ui.widgets`: page header, tabs, empty states, charts, exports, paging, remove controls.

Screen parts shared by several pages are modules of their own, imported by name (`from ui import
task_form`): task_form, pipeline_view, period_ui, record_links, automation_ui, roster_logins,
workspace_admin, board_wall, import_panel (one import kind of core.imports), login_session (the session
cookie) and widget_text.
"""
from __future__ import annotations

import gc

from ui.data import (
    cached,
    forget_version,
    loaded_version,
    read,
    versioned_write,
    view,
    write,
)
from ui.runtime import (
    ACTOR_KEY,
    ENTRY_SCRIPT,
    FLASH_KEY,
    LANG_KEY,
    _enter_through_app,
    _forget_stamps,
    _read_cache,
    actor,
    actor_for,
    build_demo,
    cookie_key,
    demo_on,
    engine,
    must_change_password,
    needs_setup,
    run_unit,
    workspace_settings,
)
from ui.text import (
    count,
    currency,
    date_format,
    esc,
    flash,
    fmt_date,
    fmt_decimal,
    fmt_metric,
    fmt_money,
    fmt_number,
    fmt_percent,
    fmt_points,
    label,
    lang,
    say,
    set_lang,
    show_error,
    show_flashes,
    t,
)
from ui.widgets import (
    ChartData,
    chart,
    chart_view,
    empty_state,
    export_buttons,
    formatter,
    in_view,
    kept,
    page_header,
    pager,
    remove_controls,
    require_page,
    tabs,
    to_xlsx,
)

__all__ = [
    "ACTOR_KEY", "ENTRY_SCRIPT", "FLASH_KEY", "LANG_KEY", "actor", "actor_for", "build_demo", "cached", "chart", "chart_view", "ChartData",
    "cookie_key", "count", "currency", "date_format", "demo_on", "empty_state", "engine", "esc",
    "export_buttons", "flash", "fmt_date", "fmt_decimal", "fmt_metric", "fmt_money", "fmt_number", "fmt_percent",
    "fmt_points", "forget_version", "formatter", "in_view", "kept", "label", "lang", "loaded_version", "must_change_password",
    "needs_setup", "page_header", "pager", "read", "remove_controls", "require_page", "run_unit", "say",
    "set_lang", "show_error", "show_flashes", "t", "tabs", "to_xlsx", "versioned_write", "view", "workspace_settings",
    "write", "_enter_through_app", "_forget_stamps", "_read_cache",
]

# This package is imported once per server process, after Streamlit, pandas, Altair and SQLAlchemy.
# Their hundreds of thousands of objects live as long as the process: move them out of the
# garbage collector's view, so its occasional full collection does not scan them all in the
# middle of a user's click (the Meeting page's live refresh spiked from 50 to 200 ms on those).
gc.freeze()
