"""One translation layer for every UI string and message: Simplified Chinese and English.

Catalogues live beside this file, one module per domain, each defining
`MESSAGES = {key: (zh, en)}`; they are merged here. `t(key, lang, **params)` formats with
str.format. Dates, numbers and money are formatted for the language here too.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
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


_PLURAL = re.compile(r"\[([^\[\]|]*)\|([^\[\]|]*)\]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _is_one(value: Any) -> bool:
    try:
        return float(str(value).replace(",", "")) == 1
    except (TypeError, ValueError):
        return False


def _plural(text: str, params: dict[str, Any]) -> str:
    """English plurals in a catalogue text: "{n} [complaint|complaints]" picks by the count in
    the placeholder before the marker ("{customers} [customer|customers], {tasks} [task|tasks]")."""
    def pick(match: re.Match) -> str:
        before = _PLACEHOLDER.findall(text, 0, match.start())
        count = params.get(before[-1]) if before else params.get("n")
        return match.group(1) if _is_one(count) else match.group(2)

    return _PLURAL.sub(pick, text)


def t(key: str, lang: str, **params: Any) -> str:
    """Translate `key`. An unknown key shows itself (and a test makes sure none is unknown).
    With a count `n`, "[singular|plural]" in the text picks the right English form."""
    pair = CATALOGUE.get(key)
    if pair is None:
        return key
    text = pair[0] if normalise_language(lang) == "zh" else pair[1]
    if params and "[" in text:
        text = _plural(text, params)
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
    if _missing(value):
        return "—"
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        if normalise_language(lang) == "zh":
            return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
        return value.strftime("%d %b %Y %H:%M")
    if normalise_language(lang) == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.strftime("%d %b %Y")


def format_number(value: float | int | Decimal | None, lang: str, decimals: int = 0, short: bool = True) -> str:
    """A number for reading: thousands separated, 万/亿 in Chinese from 10,000 on (`short`; a
    report that must keep every digit passes short=False)."""
    if _missing(value):
        return "—"
    number = float(value)
    if not short:
        return f"{number:,.{decimals}f}"
    if normalise_language(lang) == "zh" and abs(number) >= 100_000_000:
        return f"{number / 100_000_000:,.{max(decimals, 1)}f}亿"
    if normalise_language(lang) == "zh" and abs(number) >= 10_000:
        return f"{number / 10_000:,.{max(decimals, 1)}f}万"
    return f"{number:,.{decimals}f}"


def format_money(value: float | int | Decimal | None, lang: str, currency: str = DEFAULT_CURRENCY, short: bool = True) -> str:
    """Every amount: the currency's symbol, whole units (cents only on a small non-whole amount);
    in Chinese from 10,000 on in 万/亿 unless `short` is False (reports keep every digit)."""
    if _missing(value):
        return "—"
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    amount = float(value)
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    if short and normalise_language(lang) == "zh" and amount >= 10_000:
        return f"{sign}{symbol}{format_number(amount, lang, 1)}"  # 万 / 亿 with one decimal
    # Whole amounts never grow ".00" (¥500 beside ¥3,000); cents show only on small amounts that have them.
    cents = amount < 1_000 and round(amount, 2) != round(amount)
    return f"{sign}{symbol}{amount:,.{2 if cents else 0}f}"


def _missing(value: Any) -> bool:
    """None, NaN or NaT: a value that is not there (shown as "—", never as None/nan)."""
    if value is None:
        return True
    try:
        return value != value  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):
        return False


def format_percent(value: float | None, lang: str, decimals: int = 0) -> str:
    """A share (0.42) as a percentage ("42%"). One rule everywhere: whole percentages unless a
    caller needs more; the same number of decimals for every value of one table."""
    if _missing(value):
        return "—"
    return f"{float(value) * 100:,.{decimals}f}%"


def format_points(value: float | None, lang: str, decimals: int = 0) -> str:
    """A value already in percent (42.0 for 42 %), formatted like format_percent."""
    if _missing(value):
        return "—"
    return format_percent(float(value) / 100.0, lang, decimals)


def format_decimal(value: float | None, lang: str, decimals: int = 1, signed: bool = False) -> str:
    """An average or score (4.3, 12.5 h): always `decimals` places, no 万 shortening; `signed`
    shows a change with its sign (+0.4, -1.2)."""
    if _missing(value):
        return "—"
    return f"{float(value):{'+' if signed else ''},.{decimals}f}"


def format_count(n: int | float | None, noun: str, lang: str) -> str:
    """A count of countable things in words: "1 complaint" / "3 complaints" / "3 项投诉".
    `noun` names a catalogue entry `count.<noun>` whose English text is "singular|plural"
    (with {n}); counts are whole numbers, so a fractional value is rounded."""
    if _missing(n):
        return "—"
    whole = int(round(float(n)))
    text = t(f"count.{noun}", lang, n=format_number(whole, lang))
    if "|" in text:
        one, many = text.split("|", 1)
        text = one if whole == 1 else many
    return text
