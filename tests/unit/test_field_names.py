"""Issue 12: validation messages name fields in the user's words, never by a code (`title: …`,
`password: …`, “name”为必填项). Every field code core's validators use has words in both
languages, and the lines a page shows for the forms' real refusals hold no snake_case name."""
from __future__ import annotations

import ast
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core import auth, communication, customers, field_names, goals, imports, tasks, training
from core.errors import FieldError, InvalidInput

ROOT = Path(__file__).resolve().parents[2]
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
LANGS = ("zh", "en")


def _codes_in_core() -> set[str]:
    """Every field code written as a literal in a FieldError (its column, its "field" parameter)."""
    codes: set[str] = set()
    for path in sorted((ROOT / "core").rglob("*.py")):  # modules and the packages split by concern
        if "i18n" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "FieldError"):
                continue
            for kw in node.keywords:
                if kw.arg == "column" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    codes.add(kw.value.value)
            for arg in node.args[1:2]:
                if isinstance(arg, ast.Dict):
                    codes.update(v.value for k, v in zip(arg.keys, arg.values)
                                 if isinstance(k, ast.Constant) and k.value == "field" and isinstance(v, ast.Constant))
    return codes


# Names core builds at run time (loops over a record's fields, the import's fields, the delays)
BUILT = set(customers.EDITABLE_FIELDS) | {s.name for specs in imports.FIELDS.values() for s in specs} | {"lead_delay", "manager_delay"}


def test_the_scan_finds_the_codes():
    codes = _codes_in_core()
    assert {"title", "password", "name", "held_on", "display_name"} <= codes


@pytest.mark.parametrize("lang", LANGS)
def test_every_field_code_has_words_in_both_languages(lang):
    missing = sorted(code for code in _codes_in_core() | BUILT
                     if re.fullmatch(r"[a-z][a-z0-9_]*", code) and field_names.label(code, lang) == code)
    assert not missing, missing


def _lines(error: InvalidInput, lang: str) -> str:
    return "\n".join(field_names.message_lines(error, lang))


def _refusals(session=None, world=None) -> list[InvalidInput]:
    found = []

    def catch(call):
        with pytest.raises(InvalidInput) as exc:
            call()
        found.append(exc.value)

    catch(lambda: customers.validate_customer({"name": "", "size": "huge", "external_id": "x" * 99}))
    catch(lambda: auth.create_user(session, world.actors["admin"], username="x", display_name="", email="bad",
                                   password="short", role="boss"))
    now = datetime(2026, 11, 1, 12, 0)
    catch(lambda: communication.validate_interaction("fax", "", None, now + timedelta(days=2), (now - timedelta(days=9)).date(), now))
    errors: list[FieldError] = []
    tasks._validate({"title": "", "status": "nowhere"}, errors)
    found.append(InvalidInput("error.invalid", errors))
    found.append(InvalidInput("error.invalid", goals._validate(goals.GoalDraft(title="", metric="nope", target=None,
                                                                                start_date=None, end_date=None))))
    found.append(InvalidInput("error.invalid", training._validate("", None, -1, "nope")))
    found.append(InvalidInput("error.invalid", auth.password_problems("short")))
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_the_forms_refusals_name_fields_in_user_words(session, world, lang):
    refusals = _refusals(session, world)
    assert all(r.errors for r in refusals)
    for refusal in refusals:
        text = _lines(refusal, lang)
        assert not SNAKE.findall(text), text
        for item in refusal.errors:  # no bare code in front of a message ("title: …")
            if item.column:
                assert not re.search(rf"(?m)^- {re.escape(item.column)}:", text), text
    shown = _lines(refusals[0], lang)
    assert ("“名称”为必填项" if lang == "zh" else "“Name” is required") in shown
    assert "name" not in shown.replace("Name", "")


def test_a_column_of_an_imported_file_is_shown_as_the_file_names_it():
    error = InvalidInput("error.invalid", [FieldError("customers.bad_choice", {"value": "x", "allowed": "a"}, row=3, column="Kundengröße")])
    assert "Kundengröße" in _lines(error, "en")
