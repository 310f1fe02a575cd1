"""Layering rules that a reader could break without noticing."""
from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["core", "db", "demo"])
def test_core_and_db_never_import_streamlit(folder):
    offenders = [str(p.relative_to(ROOT)) for p in _python_files(folder) if "streamlit" in _imports(p)]
    assert offenders == [], f"{folder}/ must not import streamlit: {offenders}"


# Command-line entry points that live in db/ by name (the issue asks for `python -m db.setup`) but
# sit above core like app.py does: they parse arguments and call one core service.
DB_ENTRY_POINTS = {"db/setup.py"}


def test_db_never_imports_core_pages_or_ui():
    offenders = [str(p.relative_to(ROOT)) for p in _python_files("db")
                 if _imports(p) & {"core", "pages", "ui"} and str(p.relative_to(ROOT)) not in DB_ENTRY_POINTS]
    assert offenders == []


def test_db_entry_points_never_import_pages_and_nothing_in_db_imports_them():
    for entry in DB_ENTRY_POINTS:
        assert "pages" not in _imports(ROOT / entry)
    module = {e[:-3].replace("/", ".") for e in DB_ENTRY_POINTS}
    users = [str(p.relative_to(ROOT)) for p in _python_files("db")
             if any(name in p.read_text(encoding="utf-8") for name in module) and str(p.relative_to(ROOT)) not in DB_ENTRY_POINTS]
    assert users == []


def test_core_never_imports_pages():
    offenders = [str(p.relative_to(ROOT)) for p in _python_files("core") if "pages" in _imports(p)]
    assert offenders == []


# The layers above core (issue 16 point 1). Our own top-level packages and modules; anything else a
# file imports is the standard library or a third-party library.
FIRST_PARTY = {"app", "bench", "core", "db", "demo", "pages", "tests", "ui"}
# Who may import db: db itself, core (its queries), ui (engine, sessions, the revision), app.py,
# the benches and tests (they build databases), and the demo generator (it writes the models).
DB_IMPORTERS = ("core/", "db/", "ui/", "bench/", "tests/", "demo/", "app.py")


def _first_party_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for folder in sorted(FIRST_PARTY - {"app"}):
        if (ROOT / folder).is_dir():
            files += _python_files(folder)
    return files


def _layer_offenders(paths: list[Path], forbidden: set[str]) -> list[str]:
    """`path: [forbidden names it imports]` for each path importing any of `forbidden`."""
    return [f"{p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}: {sorted(_imports(p) & forbidden)}"
            for p in paths if _imports(p) & forbidden]


def test_pages_import_only_core_and_ui():
    """A page reads widgets, calls core through ui, renders: no db, no other page, no bench."""
    offenders = _layer_offenders(_python_files("pages"), FIRST_PARTY - {"core", "ui"})
    assert offenders == [], "pages import only core, ui, the standard library and third-party libraries:\n" + "\n".join(offenders)


def test_only_ui_app_and_the_lower_layers_import_db():
    paths = [p for p in _first_party_files() if not str(p.relative_to(ROOT)).startswith(DB_IMPORTERS)]
    offenders = _layer_offenders(paths, {"db"})
    assert offenders == [], "only ui, app.py, core and db import db:\n" + "\n".join(offenders)


def test_core_imports_neither_streamlit_nor_ui():
    offenders = _layer_offenders(_python_files("core"), {"streamlit", "ui", "pages"})
    assert offenders == []


def test_ui_never_imports_pages():
    """ui is the framework the pages stand on; a page that ui needs would belong in ui."""
    offenders = _layer_offenders(_python_files("ui"), {"pages"})
    assert offenders == []


def test_pages_holds_only_the_pages():
    """Every file in pages/ is a page app.py registers (core.navigation.PAGES, and the screens of
    the signed-out and first-password states): a cold server lists pages/ as pages, so a helper
    module there would show up as one."""
    from core.navigation import PAGES

    pages = {spec.file for spec in PAGES} | {"pages/welcome.py", "pages/first_password.py"}
    found = {str(p.relative_to(ROOT)) for p in _python_files("pages")}
    assert found - pages == set()


def test_the_layer_checker_catches_a_page_importing_db(tmp_path):
    bad = tmp_path / "bad_page.py"
    bad.write_text("import streamlit as st\nimport pandas as pd\nimport ui\nfrom core import tasks\n"
                   "from db.models import TASK_STATUSES\nfrom pages import home\n")
    assert _layer_offenders([bad], FIRST_PARTY - {"core", "ui"}) == [f"{bad}: ['db', 'pages']"]


def test_pages_hold_no_sql():
    """Pages (and the ui they stand on) call core; queries and writes live in core/ and db/."""
    offenders = []
    for path in _python_files("pages") + _python_files("ui"):
        source = path.read_text(encoding="utf-8")
        if "sqlalchemy" in _imports(path) or any(
            f"session.{verb}(" in source for verb in ("execute", "query", "add", "delete", "scalar", "scalars")
        ):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_architecture_checker_catches_a_streamlit_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import streamlit as st\nfrom streamlit import session_state\n")
    assert "streamlit" in _imports(bad)


# Numbers, money and percentages on screens go through one formatter (core.i18n / core.metrics.
# format_metric, via ui.fmt_*): an f-string format spec, a hand-made "%" or a round() for display
# in a page is how "70.91%" ends up beside "87.8%" and "¥500.00" beside "¥3,000".
AD_HOC_NUMBER = [
    (r"\{[^{}]*:[^{}]*[0-9]f\}", "f-string number format"),
    (r"\{[^{}]*:,\}", "f-string thousands format"),
    (r"\}%[\"' )]", "hand-made percent sign"),
    (r"\bround\(", "round() for display"),
    (r"format=\"percent\"", "Streamlit's percent format (two decimals)"),
    (r"format=\"%\.[1-9]f%%\"", "a percent column with decimals (whole percentages everywhere)"),
]
# Inputs may show cents and fractional hours; they are values being typed, not read.
AD_HOC_ALLOWED = ("number_input(", "NumberColumn(ui.t(\"service.targets.", "* 3600)")


def _ad_hoc_number_formats(source: str) -> list[str]:
    import re

    found = []
    for n, line in enumerate(source.splitlines(), start=1):
        if any(allowed in line for allowed in AD_HOC_ALLOWED):
            continue
        for pattern, what in AD_HOC_NUMBER:
            if re.search(pattern, line):
                found.append(f"{n}: {what}: {line.strip()}")
    return found


def test_pages_format_numbers_only_through_the_one_formatter():
    offenders = []
    for path in _python_files("pages") + _python_files("ui"):
        offenders += [f"{path.relative_to(ROOT)}:{hit}" for hit in _ad_hoc_number_formats(path.read_text(encoding="utf-8"))]
    assert offenders == [], "use ui.fmt_number / fmt_money / fmt_percent / fmt_points / fmt_decimal / fmt_metric:\n" + "\n".join(offenders)


def test_the_number_format_checker_catches_each_ad_hoc_form():
    for line in ('pct = f"{g.percent:.0f}%"', 'total = f"{card.total:.2f}"', 'x = f"{n:,}"', 'p = f"{p}%"',
                 "v = round(g.percent, 1)", 'ProgressColumn(format="percent")', 'NumberColumn(format="%.1f%%")'):
        assert _ad_hoc_number_formats(line), line
    assert _ad_hoc_number_formats('ui.fmt_points(g.percent)') == []


# Core code that writes labels, chart text and reports formats through core.i18n too (round() for
# computing stays allowed there; a SQL LIKE pattern f"%{text}%" is not a number).
CORE_LABEL_MODULES = ("scorecard_report", "training", "meeting_wall", "forecast", "goals", "evaluations", "service",
                      "calls", "workload", "home", "meeting", "audit_text", "reports", "notifications")


def test_core_labels_and_charts_format_numbers_only_through_the_one_formatter():
    offenders = []
    for name in CORE_LABEL_MODULES:
        # a module, or a package split by concern (core/goals/*.py)
        paths = [ROOT / "core" / f"{name}.py", *sorted((ROOT / "core" / name).glob("*.py"))]
        for path in paths:
            if not path.exists():
                continue
            for hit in _ad_hoc_number_formats(path.read_text(encoding="utf-8")):
                if "round() for display" in hit or "like" in hit.lower():
                    continue
                offenders.append(f"{path.relative_to(ROOT)}:{hit}")
    assert offenders == [], "\n".join(offenders)


def test_two_cache_mechanisms_process_resources_and_the_read_cache():
    """Issue 16: st.cache_resource for process-wide resources (engine, the read cache, keys,
    static assets) and the read cache for everything read; no st.cache_data, no hand-written
    view keys (ui.view derives them from the read and the builder)."""
    offenders = []
    for path in [ROOT / "app.py", *_python_files("pages"), *_python_files("ui")]:
        source = path.read_text(encoding="utf-8")
        for needle in ("cache_data", "ui.derived", "cache_key=", "lru_cache", "functools.cache"):
            if needle in source:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
        if "cache_resource" in source and path.name not in ("runtime.py", "board_wall.py"):
            offenders.append(f"{path.relative_to(ROOT)}: cache_resource outside ui/runtime.py")
    assert offenders == []


# Issue 16 point 3: functions everywhere (core, demo, db, ui, the pages, app.py) stay under ruff's complexity limit (C901,
# max-complexity in pyproject.toml) by being split into named steps, not by waiving the rule.
_C901_WAIVER = re.compile(r"#\s*(ruff:\s*)?noqa\b:?[^#\n]*\bC90", re.IGNORECASE)


def _complexity_waivers(text: str) -> list[str]:
    return [f"{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), start=1) if _C901_WAIVER.search(line)]


@pytest.mark.parametrize("folder", ["core", "demo", "db", "ui", "pages", "bench", "app.py"])
def test_no_function_waives_the_complexity_rule(folder):
    offenders = []
    for path in ([ROOT / folder] if folder.endswith(".py") else _python_files(folder)):
        offenders += [f"{path.relative_to(ROOT)}:{hit}" for hit in _complexity_waivers(path.read_text(encoding="utf-8"))]
    assert offenders == [], "split the function into named steps instead of `# noqa: C901`:\n" + "\n".join(offenders)


def test_the_complexity_rule_is_not_switched_off_outside_the_tests_in_pyproject():
    ruff = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]["lint"]
    assert not any(code.startswith("C90") for code in ruff.get("ignore", []))
    waived = {pattern: codes for pattern, codes in ruff.get("per-file-ignores", {}).items()
              if not pattern.startswith("tests") and any(code.startswith("C90") for code in codes)}
    assert waived == {}


def test_the_complexity_waiver_checker_catches_each_form():
    for line in ("def f():  # noqa: C901", "def f():  # noqa: C901 - issue 16 point 3: to be split",
                 "def f():  # noqa: B023, C901", "# ruff: noqa: C901", "def f():  # NOQA:C901"):
        assert _complexity_waivers(line), line
    assert _complexity_waivers("def f():  # noqa: B023 - used in this iteration only") == []


# The picker queries (issue 16 point 3): what a select box may offer is read in one module,
# core/pickers.py, so every picker applies the scope the same way and has one shape. A function
# named *_choices / *_options elsewhere that reads the database (takes a session or builds a
# select) is a picker in the wrong place; pure ones (building options from values) are fine.
PICKER_MODULE = "core/pickers.py"


def _db_pickers(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if not (node.name.endswith("_choices") or node.name.endswith("_options")):
            continue
        params = {a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if "session" in params or "session" in names or "select" in names:
            found.append(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno} {node.name}")
    return found


def test_only_core_pickers_defines_database_picker_queries():
    offenders = [hit for p in _first_party_files() if not str(p.relative_to(ROOT)).startswith("tests/")
                 and str(p.relative_to(ROOT)) != PICKER_MODULE for hit in _db_pickers(p)]
    assert offenders == [], f"picker queries belong in {PICKER_MODULE}: {offenders}"


def test_the_picker_checker_catches_a_query_but_not_a_pure_function(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def team_choices(session, actor):\n    return dict(session.execute(q).all())\n\n"
                   "def owner_options(actor):\n    return select(1)\n\n"
                   "def size_options(values):\n    return sorted(values)\n\n"
                   "def list_teams(session, actor):\n    return []\n")
    assert [hit.split(" ")[1] for hit in _db_pickers(bad)] == ["team_choices", "owner_options"]


def _ungated_tab_bodies(source: str) -> list[str]:
    """`with tab:` bodies of ui.tabs tabs that do not start with `if ui.in_view(tab)` or
    `if ui.kept(tab)`: such a body is drawn on every run, open or not (issue 15)."""
    tree = ast.parse(source)
    tab_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and "ui.tabs(" in ast.unparse(node.value):
            for target in node.targets:
                tab_names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.With):
            continue
        expr = node.items[0].context_expr
        base = expr.value if isinstance(expr, ast.Subscript) else expr
        if not (isinstance(base, ast.Name) and base.id in tab_names):
            continue
        first = node.body[0]
        test = ast.unparse(first.test) if isinstance(first, ast.If) else ""
        gate = f"ui.in_view({ast.unparse(expr)})", f"ui.kept({ast.unparse(expr)})"
        if not any(test.startswith(g) for g in gate):
            found.append(f"line {node.lineno}: with {ast.unparse(expr)}")
    return found


def test_every_tab_body_is_drawn_only_when_open_or_kept():
    offenders = [f"{p.relative_to(ROOT)} {o}" for p in _python_files("pages") + _python_files("ui")
                 for o in _ungated_tab_bodies(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_pages_make_tabs_only_through_ui_tabs():
    """Plain st.tabs draws every body on every run and forgets the open tab after a save."""
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in _python_files("pages")
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "st.tabs(" in line]
    assert offenders == []


def test_the_tab_gate_checker_catches_an_ungated_body():
    source = (
        "a, b = ui.tabs(['A', 'B'], key='k')\n"
        "tabs = dict(zip(n, ui.tabs(['C'], key='j')))\n"
        "with a:\n    if ui.kept(a):\n        x()\n"
        "with b:\n    x()\n"
        "with tabs['c']:\n    if ui.in_view(tabs['c']) and y:\n        x()\n"
        "with tabs['d']:\n    if ui.in_view(tabs['c']):\n        x()\n"
    )
    assert _ungated_tab_bodies(source) == ["line 6: with b", "line 11: with tabs['d']"]
