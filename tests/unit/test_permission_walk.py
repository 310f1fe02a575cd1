"""Walk every public core function that takes (session, actor, ...) with outsiders - a manager and
a member of Team A - aimed at Team B's records, and fail on any leak:

- a call aimed at a Team B record must be refused (a DomainError) or come back empty;
- no call may return anything naming Team B's people, customers, tasks or goals.

A new core function is walked automatically; one the walk cannot call must be listed in
NOT_WALKED with the reason, so the record rules cannot be forgotten. The seven gaps found in the
issue-17 probe are named cases in test_permission_gaps.py."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import date, datetime
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

import core
from core.errors import DomainError
from db.models import AuditLog

OUTSIDERS = ("manager_a", "member_a1")
SECRETS = ("Bella B1", "Customer of Bella B1", "Task of Bella B1", "Goal of Bella B1", "Goal of Team B", "Team B")
SKIP_MODULES = {"core.permissions", "core.audit", "core.i18n", "core.errors", "core.config", "core.sessions",
                "core.login_throttle", "core.safe_text", "core.safe_export", "core.versions", "core.navigation"}
# functions the walk cannot call meaningfully, and why (each is covered by its own module's tests)
NOT_WALKED = {
    "core.imports.commit_import": "needs a mapped upload; scope per row in test_imports",
    "core.pickers.colleagues": "the organisation's directory of colleagues' names (account teams cross "
                               "team lines by design); adding one is checked in test_permissions",
}

TARGETS = {  # parameter name -> (world collection, key) of a Team B record
    "customer_id": ("customers", "b1"), "task_id": ("tasks", "b1"), "goal_id": ("goals", "b1"),
    "member_id": ("members", "b1"), "to_member_id": ("members", "b1"), "assignee_id": ("members", "b1"),
    "owner_id": ("members", "b1"), "team_id": ("teams", "B"), "parent_id": ("goals", "B"),
    "to_team_id": ("teams", "B"), "new_owner_id": ("members", "b1"), "user_id": ("users", "member_b1"),
}


def _functions():
    found = []
    for info in pkgutil.iter_modules(core.__path__):
        name = f"core.{info.name}"
        if name in SKIP_MODULES:
            continue
        module = importlib.import_module(name)
        # a package split by concern (core.goals.queries, ...) is walked through the names it exports
        for fname, fn in vars(module).items():
            if fname.startswith("_") or not inspect.isfunction(fn):
                continue
            if fn.__module__ != name and not (info.ispkg and fn.__module__.startswith(f"{name}.")):
                continue
            params = list(inspect.signature(fn).parameters)
            if params[:2] == ["session", "actor"]:
                found.append((f"{name}.{fname}", fn))
    return sorted(found)


def _guess(param: inspect.Parameter) -> Any:
    annotation = str(param.annotation)
    if "date" in annotation and "datetime" not in annotation:
        return date.today()
    if "datetime" in annotation:
        return datetime.now()
    if "DataFrame" in annotation:
        return pd.DataFrame()
    if "dict" in annotation:
        return {}
    if "list" in annotation or "Sequence" in annotation or "Iterable" in annotation:
        return []
    if "float" in annotation:
        return 1.0
    if "int" in annotation or param.name.endswith("_id") or param.name.endswith("version"):
        return 1
    if "bool" in annotation:
        return False
    return "probe"


def _args(fn, world) -> tuple[list, dict, bool]:
    """Positional and keyword arguments; True when one of them is aimed at a Team B record."""
    positional, keywords, aimed = [], {}, False
    for param in list(inspect.signature(fn).parameters.values())[2:]:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.name in TARGETS:
            collection, key = TARGETS[param.name]
            value, aimed = getattr(world, collection)[key].id, True
        elif param.default is not inspect.Parameter.empty:
            continue
        else:
            value = _guess(param)
        if param.kind == param.KEYWORD_ONLY:
            keywords[param.name] = value
        else:
            positional.append(value)
    return positional, keywords, aimed


def _shown(result: Any) -> str:
    """Everything a result carries, as text (frames in full, not a truncated repr)."""
    if isinstance(result, pd.DataFrame):
        return result.to_csv()
    if isinstance(result, dict):
        return "".join(f"{k!r}:{_shown(v)}" for k, v in result.items())
    if isinstance(result, (list, tuple)):
        return "".join(_shown(v) for v in result)
    return repr(result)


def _writes(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditLog))


FUNCTIONS = [(name, fn) for name, fn in _functions() if name not in NOT_WALKED]


def test_the_walk_covers_the_core():
    names = {name for name, _ in _functions()}
    assert len(names) > 80, len(names)
    assert set(NOT_WALKED) <= names  # no stale entries


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("name,fn", FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_no_core_function_leaks_to_an_outsider(session, world, name, fn, outsider):
    positional, keywords, aimed = _args(fn, world)
    savepoint = session.begin_nested()
    writes_before = _writes(session)
    try:
        result = fn(session, world.actors[outsider], *positional, **keywords)
        session.flush()
        wrote = _writes(session) > writes_before  # every core write is audited
    except DomainError:
        return  # refused: no leak
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        pytest.skip(f"the walk's guessed arguments do not fit {name}: {error!r}")
    finally:
        if savepoint.is_active:
            savepoint.rollback()
    leaked = [secret for secret in SECRETS if secret in _shown(result)]
    assert not leaked, f"{name} as {outsider} returned {leaked}"
    assert not (aimed and wrote), f"{name} as {outsider} changed something through a Team B record"
