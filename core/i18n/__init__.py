"""One translation layer for every UI string and message: Simplified Chinese and English.

Catalogues live beside this file, one module per domain, each defining
`MESSAGES = {key: (zh, en)}`; they are merged here. `t(key, lang, **params)` formats with
str.format. Dates, numbers and money are formatted for the language here too.
"""
from __future__ import annotations

import importlib
import pkgutil
from datetime import date, datetime
from decimal import Decimal
from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
DEFAULT_CURRENCY = "CNY"
CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "GBP": "£"}


def _load_catalogue() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, pair in getattr(module, "MESSAGES", {}).items():
            if key in merged and merged[key] != pair:
                raise ValueError(f"translation key {key!r} defined twice with different texts")
            merged[key] = pair
    return merged


CATALOGUE: dict[str, tuple[str, str]] = _load_catalogue()


def normalise_language(lang: str | None) -> str:
    lang = (lang or "").strip().lower()
    if lang.startswith("zh"):
        return "zh"
    if lang.startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def t(key: str, lang: str, **params: Any) -> str:
    """Translate `key`. An unknown key shows itself (and a test makes sure none is unknown)."""
    pair = CATALOGUE.get(key)
    if pair is None:
        return key
    text = pair[0] if normalise_language(lang) == "zh" else pair[1]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def has_key(key: str) -> bool:
    return key in CATALOGUE


def choice_label(prefix: str, value: str | None, lang: str) -> str:
    """Label for an enumerated value, e.g. choice_label('status', 'todo', 'zh') -> '待办'."""
    if value is None:
        return "—"
    key = f"{prefix}.{value}"
    return t(key, lang) if key in CATALOGUE else str(value)


def format_date(value: date | datetime | None, lang: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        if normalise_language(lang) == "zh":
            return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
        return value.strftime("%d %b %Y %H:%M")
    if normalise_language(lang) == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.strftime("%d %b %Y")


def format_number(value: float | int | Decimal | None, lang: str, decimals: int = 0) -> str:
    if value is None:
        return "—"
    number = float(value)
    if normalise_language(lang) == "zh" and abs(number) >= 100_000_000:
        return f"{number / 100_000_000:,.{max(decimals, 1)}f}亿"
    if normalise_language(lang) == "zh" and abs(number) >= 10_000:
        return f"{number / 10_000:,.{max(decimals, 1)}f}万"
    return f"{number:,.{decimals}f}"


def format_money(value: float | int | Decimal | None, lang: str, currency: str = DEFAULT_CURRENCY) -> str:
    if value is None:
        return "—"
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    amount = float(value)
    if normalise_language(lang) == "zh" and abs(amount) >= 10_000:
        return f"{symbol}{format_number(amount, lang, 1)}"  # 万 / 亿 with one decimal
    return f"{symbol}{amount:,.{2 if abs(amount) < 1_000 else 0}f}"


def format_percent(value: float | None, lang: str, decimals: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{decimals}f}%"


def format_count(n: int | float | None, noun: str, lang: str) -> str:
    """A count of countable things in words: "1 complaint" / "3 complaints" / "3 项投诉".
    `noun` names a catalogue entry `count.<noun>` whose English text is "singular|plural"
    (with {n}); counts are whole numbers, so a fractional value is rounded."""
    if n is None:
        return "—"
    whole = int(round(float(n)))
    text = t(f"count.{noun}", lang, n=format_number(whole, lang))
    if "|" in text:
        one, many = text.split("|", 1)
        text = one if whole == 1 else many
    return text
