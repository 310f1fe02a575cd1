"""The translation layer: every key the code asks for exists, in both languages, and the
formatters follow the language."""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from core import i18n

ROOT = Path(__file__).resolve().parents[2]
# ui.t("key"...), i18n.t("key", ...), t("key", lang...) with a literal key
KEY_CALL = re.compile(r"""\b(?:ui\.t|i18n\.t|\bt)\(\s*["']([a-z_]+\.[A-Za-z0-9_.]+)["']""")


def _used_keys() -> dict[str, str]:
    used = {}
    for folder in ("app.py", "pages", "ui", "core", "demo"):
        paths = [ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py"))
        for path in paths:
            if "i18n" in path.parts:
                continue
            for key in KEY_CALL.findall(path.read_text(encoding="utf-8")):
                if not key.endswith("."):  # "prefix." + value: built at run time
                    used.setdefault(key, str(path.relative_to(ROOT)))
    return used


def test_every_key_used_in_the_code_has_a_translation():
    missing = {key: where for key, where in _used_keys().items() if not i18n.has_key(key)}
    assert missing == {}


def test_the_key_scanner_finds_keys():
    keys = _used_keys()
    assert "login.title" in keys and "common.saved" in keys and len(keys) > 300


def test_every_entry_has_chinese_and_english():
    incomplete = [key for key, (zh, en) in i18n.CATALOGUE.items() if not (zh.strip() and en.strip())]
    assert incomplete == [] and len(i18n.CATALOGUE) > 500


def test_placeholders_agree_between_languages():
    field = re.compile(r"\{(\w+)\}")
    differing = {k: (zh, en) for k, (zh, en) in i18n.CATALOGUE.items() if set(field.findall(zh)) != set(field.findall(en))}
    assert differing == {}


def test_language_codes_are_normalised():
    assert i18n.normalise_language("en-US") == "en"
    assert i18n.normalise_language("zh_CN") == "zh"
    assert i18n.normalise_language(None) == i18n.DEFAULT_LANGUAGE


def test_dates_numbers_and_money_follow_the_language():
    assert i18n.format_date(date(2026, 11, 23), "zh") == "2026年11月23日"
    assert i18n.format_date(date(2026, 11, 23), "en") == "23 Nov 2026"
    assert i18n.format_date(datetime(2026, 11, 23, 9, 5), "zh") == "2026年11月23日 09:05"
    assert i18n.format_number(12345, "en") == "12,345"
    assert i18n.format_number(12345, "zh") == "1.2万"
    assert i18n.format_money(20000, "en") == "¥20,000"
    assert i18n.format_money(99.5, "en") == "¥99.50"
    assert i18n.format_money(250000, "zh") == "¥25.0万"
    assert i18n.t("nav.home", "zh") == "首页" and i18n.t("nav.home", "en") == "Home"
