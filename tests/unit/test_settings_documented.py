"""Every setting the code reads from the environment is documented in the README's settings table
(issue 16 point 5, in the spirit of datasette: a test fails when a setting is undocumented)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["app.py", "core", "db", "demo", "pages", "ui", "bench", "tests"]
SETTING_NAME = re.compile(r"(CLIENTCREW_[A-Z0-9_]+|[A-Z][A-Z0-9_]*DATABASE_URL)")
ENV_READERS = {"get", "getenv", "setdefault", "pop"}
# Set by make, not read by Python: listed in the table all the same.
MAKE_VARIABLES = {"PORT"}


def _python_files():
    for name in SOURCES:
        path = ROOT / name
        yield from ([path] if path.is_file() else sorted(path.rglob("*.py")))


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (isinstance(node, ast.Name) and node.id == "environ")


def settings_in(source: str) -> set[str]:
    """Names read from the environment: the first argument of os.environ.get/setdefault/pop and
    os.getenv, os.environ[...] subscripts, and every string constant shaped like one of our
    setting names (names kept in constants, such as mailer.PASSWORD_ENV, or passed to a helper)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ENV_READERS:
            owner = node.func.value
            if (_is_environ(owner) or node.func.attr == "getenv") and node.args and isinstance(node.args[0], ast.Constant):
                found.add(str(node.args[0].value))
        elif isinstance(node, ast.Subscript) and _is_environ(node.value) and isinstance(node.slice, ast.Constant):
            found.add(str(node.slice.value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SETTING_NAME.fullmatch(node.value):
            found.add(node.value)
    return found


def settings_in_code() -> dict[str, str]:
    where: dict[str, str] = {}
    for path in _python_files():
        if path.name == Path(__file__).name:
            continue
        for name in settings_in(path.read_text(encoding="utf-8")):
            where.setdefault(name, str(path.relative_to(ROOT)))
    return where


def documented_settings() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.MULTILINE))


def test_every_setting_read_from_the_environment_is_in_the_readme_table():
    missing = {name: path for name, path in settings_in_code().items() if name not in documented_settings()}
    assert not missing, f"add these to the README's Configuration table: {missing}"


def test_every_row_of_the_table_is_a_setting_the_code_reads():
    stale = documented_settings() - set(settings_in_code()) - MAKE_VARIABLES
    assert not stale, f"the README documents settings nothing reads: {sorted(stale)}"
    assert all(f"{name} ?=" in (ROOT / "Makefile").read_text(encoding="utf-8") for name in MAKE_VARIABLES)


def test_the_scanner_finds_direct_and_indirect_reads():
    source = '''
import os
from os import environ
a = os.environ.get("DATABASE_URL")
b = os.getenv("SOME_FLAG")
c = environ["OTHER"]
PASSWORD_ENV = "CLIENTCREW_NEW_SECRET"
'''
    assert settings_in(source) == {"DATABASE_URL", "SOME_FLAG", "OTHER", "CLIENTCREW_NEW_SECRET"}
