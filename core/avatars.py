"""Avatars on board cards: a person's initials and a colour that stays the same for that person.

Chinese names show their last two characters (the given name, as colleagues address each other:
张伟 -> 张伟, 欧阳明华 -> 明华); other names show the first letters of the first and last word
(Alice Wong -> AW). Only letters and digits survive, so an avatar never carries markup."""
from __future__ import annotations

import unicodedata
import zlib

COLOURS = ("blue", "green", "orange", "violet", "red", "gray")


def _is_cjk(ch: str) -> bool:
    return "CJK" in unicodedata.name(ch, "")


def initials(name: str | None) -> str:
    """Up to two characters for an avatar; "?" for an empty name."""
    text = "".join(ch for ch in (name or "") if ch.isalnum() or ch.isspace()).strip()
    if not text:
        return "?"
    if any(_is_cjk(ch) for ch in text):
        hanzi = [ch for ch in text if _is_cjk(ch)]
        return "".join(hanzi[-2:]) if len(hanzi) > 2 else "".join(hanzi)
    words = text.split()
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def colour(key: str | int | None) -> str:
    """A stable colour name (one of COLOURS) for a person, from their id or name."""
    return COLOURS[zlib.crc32(str(key).encode("utf-8")) % len(COLOURS)]
