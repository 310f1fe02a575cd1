"""Which tables a read touched: every statement run on an app engine names its tables, and while
`collecting()` is active in this thread (a cache entry being computed, perhaps inside another),
those names are added to each open collector. The read cache stores them with the entry and keeps
it until one of them is written (db.session records the revision of every written table).

The match is on the SQL text against the schema's table names, so it can only over-count (a
column that happens to share a table's name), never miss a table a statement read."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Engine, event

from db.base import Base

_OPEN: ContextVar[tuple[set[str], ...]] = ContextVar("clientcrew_read_collectors", default=())
_NAMES: re.Pattern[str] | None = None


def _pattern() -> re.Pattern[str]:
    global _NAMES
    if _NAMES is None:
        import db.models  # noqa: F401 - the tables are declared there

        names = sorted(Base.metadata.tables, key=len, reverse=True)
        _NAMES = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    return _NAMES


def tables_in(sql: str) -> set[str]:
    """The schema's tables a statement's text names."""
    return set(_pattern().findall(sql))


@contextmanager
def collecting() -> Iterator[set[str]]:
    """Collect the tables read in this block (nested blocks add to every enclosing one)."""
    tables: set[str] = set()
    token = _OPEN.set((*_OPEN.get(), tables))
    try:
        yield tables
    finally:
        _OPEN.reset(token)


def note(tables: Iterable[str]) -> None:
    """Add tables to every open collector (a cache hit inside a computation that is collecting:
    the outer entry depends on what the inner one read)."""
    for collector in _OPEN.get():
        collector.update(tables)


def _before_cursor_execute(_conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    if _OPEN.get():
        note(tables_in(statement))


def install(engine: Engine) -> None:
    """Listen on an app engine (db.engine.make_engine does it for every engine)."""
    if not event.contains(engine, "before_cursor_execute", _before_cursor_execute):
        event.listen(engine, "before_cursor_execute", _before_cursor_execute)
