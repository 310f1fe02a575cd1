"""An in-process cache of read results, each valid until a table it read is written.

An entry remembers the tables its computation read (db.read_tracking) and the newest revision at
which any of them had been written (db.session records one per table); it is used only while that
is still the newest, checked against the revisions read once at the start of the run. So an
entry is never stale, a write invalidates only what depends on it, and old entries age out of
the LRU. Keeping the objects themselves (rather than pickled copies, as Streamlit's data cache does)
saves a pickle round-trip and the hashing of every argument on each hit; `fresh_copy` hands each
caller its own copies of frames and containers so no caller can change another's result.
"""
from __future__ import annotations

import copy
import dis
import functools
import inspect
import threading
import types
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, NamedTuple

import pandas as pd

from db import read_tracking
from db.session import EVERY_TABLE


_SCALARS = (str, int, float, bool, type(None))
COPY_DEPTH = 2


def fresh_copy(value: Any, depth: int = COPY_DEPTH) -> Any:
    """A copy safe to change in its top `depth` levels (a result and its rows): DataFrames are
    copied shallowly (pandas' copy on write keeps the cached data intact), dicts, lists and sets
    are rebuilt, mutable dataclasses are copied. Tuples and frozen dataclasses are values: shared
    as they are (a page that changes a frame held by one copies the frame first)."""
    if depth <= 0 or isinstance(value, _SCALARS):
        return value
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=False)
    depth -= 1
    if isinstance(value, list):
        return [v if type(v) in _SHARED_TYPES else fresh_copy(v, depth) for v in value]
    if isinstance(value, dict):
        return {k: v if type(v) in _SHARED_TYPES else fresh_copy(v, depth) for k, v in value.items()}
    if isinstance(value, set):
        return set(value)
    fields = getattr(type(value), "__dataclass_fields__", None)
    if fields is not None and not type(value).__dataclass_params__.frozen:
        clone = copy.copy(value)
        for name in fields:
            setattr(clone, name, fresh_copy(getattr(value, name), depth))
        return clone
    if isinstance(value, tuple) or fields is not None:
        _SHARED_TYPES.add(type(value))  # tuples and frozen dataclasses: values, shared as they are
    return value


# Types whose instances are shared without a look (rows of a long list are usually all one type).
_SHARED_TYPES: set[type] = {str, int, float, bool, type(None)}


def freeze(value: Any) -> Hashable:
    """A hashable stand-in for an argument, for cache keys: lists and tuples become tuples,
    dicts sorted item tuples, sets frozensets, DataFrames are refused (pass ids instead)."""
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return ("__dict__",) + tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return frozenset(freeze(v) for v in value)
    if isinstance(value, (pd.DataFrame, pd.Series)):
        raise TypeError("DataFrames are not cache keys; pass the ids they were read from")
    hash(value)
    return value


def builder_key(build: Callable[..., Any]) -> Hashable:
    """The cache key of a view's builder: where it is defined, and the arguments bound to it with
    functools.partial. A page's functions are new objects on every run of its script, so they are
    named by file and qualified name, not by identity."""
    if isinstance(build, functools.partial):
        return ("partial", builder_key(build.func), tuple(_bound_key(a) for a in build.args),
                tuple(sorted((k, _bound_key(v)) for k, v in build.keywords.items())))
    if isinstance(build, types.FunctionType):
        return (build.__code__.co_filename, build.__qualname__)
    hash(build)
    return build


def _bound_key(value: Any) -> Hashable:
    return builder_key(value) if isinstance(value, (types.FunctionType, functools.partial)) else freeze(value)


def check_builder(build: Callable[..., Any]) -> None:
    """Refuse a builder whose result could depend on something its key does not name: a lambda or
    a function closing over local variables, or one reading a variable of its page (a widget's value
    read at the top of a page changes without the key changing). What it uses comes in as
    arguments (functools.partial), from the read it wraps, or from the run (user, language, date,
    data revision), which the key carries. Functions of the same file that it calls are checked too."""
    _check_function(build, set())


def _check_function(build: Any, seen: set[int]) -> None:
    if isinstance(build, functools.partial):
        for value in (build.func, *build.args, *build.keywords.values()):
            if isinstance(value, (types.FunctionType, functools.partial)):
                _check_function(value, seen)
        return
    if not isinstance(build, types.FunctionType) or id(build.__code__) in seen:
        return
    seen.add(id(build.__code__))
    name = build.__qualname__
    if build.__name__ == "<lambda>" or build.__closure__:
        raise TypeError(f"a view's builder must be a named module-level function, not {name}: "
                        "pass what it uses as arguments (functools.partial)")
    for global_name in _globals_read(build.__code__):
        value = build.__globals__.get(global_name, _MISSING)
        if value is _MISSING or inspect.ismodule(value) or isinstance(value, type):
            continue
        if isinstance(value, types.FunctionType):
            if value.__code__.co_filename == build.__code__.co_filename:
                _check_function(value, seen)
            continue
        if callable(value):
            continue
        raise TypeError(f"the view builder {name} reads the variable {global_name!r} of its module: "
                        "pass it as an argument (functools.partial) so the cache key names it")


_MISSING = object()


def _globals_read(code: types.CodeType) -> tuple[str, ...]:
    names: list[str] = []
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            names.append(str(instruction.argval))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):  # comprehensions and nested functions
            names.extend(_globals_read(const))
    return tuple(dict.fromkeys(names))


class _Entry(NamedTuple):
    expires: float
    value: Any
    tables: frozenset[str]  # what computing it read (db.read_tracking)
    stamp: int | None  # the newest revision among those tables when it was computed


def stamp_of(tables: Iterable[str], stamps: Mapping[str, int]) -> int:
    """The newest revision at which any of `tables` (or an unnamed table) was written."""
    return max(stamps.get(t, 0) for t in (*tables, EVERY_TABLE))


class ReadCache:
    """A thread-safe LRU of computed values, each kept at most `ttl` seconds (some reads depend on
    the clock: what is overdue, due today, so an idle database must not keep them forever).

    Given `stamps` (the revision at which each table was last written, read once per run), an
    entry records the tables its computation read and is used only while none of them has been
    written since: a write elsewhere leaves it warm. Without `stamps` the key alone decides.
    Two sessions asking for the same missing key at once may both compute it; the values are
    equal, so the second simply replaces the first."""

    def __init__(self, max_entries: int = 2000, ttl: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], Any], stamps: Mapping[str, int] | None = None) -> Any:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires > now and (
                    stamps is None or entry.stamp == stamp_of(entry.tables, stamps)):
                self._entries.move_to_end(key)
                self.hits += 1
                hit = entry
            else:
                hit = None
                self.misses += 1
        if hit is not None:
            read_tracking.note(hit.tables)  # an enclosing computation depends on them too
            return fresh_copy(hit.value)
        with read_tracking.collecting() as tables:
            value = compute()
        stamp = None if stamps is None else stamp_of(tables, stamps)
        with self._lock:
            self._entries[key] = _Entry(now + self.ttl, value, frozenset(tables), stamp)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return fresh_copy(value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
