"""An in-process cache of read results keyed by the data revision.

Every key carries the revision read at the start of the run (see db/session.py), so an entry is
never stale: a write anywhere makes a new revision and so new keys, and old entries simply age out
of the LRU. Keeping the objects themselves (rather than pickled copies, as `st.cache_data` does)
saves a pickle round-trip and the hashing of every argument on each hit; `fresh_copy` hands each
caller its own copies of frames and containers so no caller can change another's result.
"""
from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import pandas as pd


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


class ReadCache:
    """A thread-safe LRU of computed values, each kept at most `ttl` seconds: keys carry the data
    revision, but some reads also depend on the clock (what is overdue, due today), so an idle
    database must not keep them forever. Two sessions asking for the same missing key at once
    may both compute it; the values are equal, so the second simply replaces the first."""

    def __init__(self, max_entries: int = 2000, ttl: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(key)
                self.hits += 1
                return fresh_copy(entry[1])
            self.misses += 1
        value = compute()
        with self._lock:
            self._entries[key] = (now + self.ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return fresh_copy(value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
