"""Reads and writes of core functions: `cached` (the process-wide read cache keyed by database,
user, date and arguments, valid until a table the read used is written), `read`, `write` (one transaction, refusals shown), the loaded-version
guard of edit forms, and `view`s built from cached reads.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st

from core.errors import DomainError
from db.engine import database_url
from db.session import read_session, unit_of_work
from ui.read_cache import builder_key, check_builder, freeze
from ui.runtime import _forget_stamps, _read_cache, actor, engine, stamps
from ui.text import flash, lang, show_error


def cached(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call core `fn(session, actor, *args, **kwargs)` through a cache keyed by the database, the
    acting user and the date (entries also expire after ten minutes), each entry valid until one of
    the tables it read is written, through any server: one manager never sees another's data, and
    a write invalidates exactly the reads that depend on it. Arguments must be hashable. Each caller gets its own copy of mutable containers
    and DataFrames, so a page that relabels a column cannot change what the next run reads."""
    who = actor()
    url = database_url()
    # today: reads that work out "overdue" or "due" from the date start afresh at midnight
    key = (url, fn, who, date.today(), freeze(args), freeze(kwargs) if kwargs else ())

    def compute() -> Any:
        with read_session(engine()) as s:
            return fn(s, who, *args, **kwargs)

    return _read_cache().get(key, compute, stamps())


def read(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call core `fn(session, actor, ...)` in a read-only session, uncached."""
    with read_session(engine()) as s:
        return fn(s, actor(), *args, **kwargs)


def write(fn: Callable[..., Any], *args: Any, success: str | None = None, rerun: bool = False, **kwargs: Any) -> Any:
    """Run core `fn(session, actor, ...)` as one transaction. On a refusal, show what to fix and
    return None (nothing was saved); on success, queue `success` (already translated) to show."""
    try:
        with unit_of_work(engine()) as s:
            result = fn(s, actor(), *args, **kwargs)
    except DomainError as error:
        show_error(error)
        return None
    finally:
        _forget_stamps()
    if success:
        flash(success)
    if rerun:
        st.rerun()
    return result if result is not None else True


_LOADED_VERSIONS = "_loaded_versions"


def loaded_version(record: str, record_id: Any, current: Any) -> Any:
    """The version of `record` #`record_id` this browser's edit forms were loaded with: remembered
    the first run that shows it (`current`), kept across reruns until an edit of it is attempted,
    so a save is checked against what the user saw, not against what the click's run re-read."""
    remembered = st.session_state.setdefault(_LOADED_VERSIONS, {})
    return remembered.setdefault((record, record_id), current)


def versioned_write(record: str, record_id: Any, current: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`write(fn, ...)` with `expected_version=` the version the form was loaded with (core refuses
    a stale edit with a clear message); afterwards the next run remembers the record's new version."""
    seen = loaded_version(record, record_id, current)
    try:
        return write(fn, *args, expected_version=seen, **kwargs)
    finally:
        forget_version(record, record_id)


def forget_version(record: str, record_id: Any) -> None:
    """After an edit was attempted: the next run remembers the version it then shows."""
    st.session_state.get(_LOADED_VERSIONS, {}).pop((record, record_id), None)



def view(build: Callable[[Any], Any], source: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """What a page shows built from a cached read (a translated display table, a chart's spec and
    rows): `build(cached(source, *args, **kwargs))`, built once per read, builder, user, language
    and date, and again when a table the read used is written. The key is made from the read and the builder, never written by hand:
    the builder is a named function whose other inputs are bound with functools.partial (see
    ui.read_cache.check_builder, which refuses one that reads anything else). Build immutable
    results (Arrow tables, tuples): they are shared by every run that shows them."""
    key = (database_url(), "view", builder_key(build), source, actor(), date.today(), lang(),
           freeze(args), freeze(kwargs) if kwargs else ())

    def compute() -> Any:
        check_builder(build)
        return build(cached(source, *args, **kwargs))

    return _read_cache().get(key, compute, stamps())
