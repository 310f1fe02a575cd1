"""Domain errors. Each carries a translation key and parameters, so the page can tell the user, in
their language, what was refused and what to fix."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One problem in one place: a form field, or a row and column of an imported file or an edited
    table (row numbers are 1-based as the user sees them)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    row: int | None = None
    column: str | None = None


class DomainError(Exception):
    """Base of every refusal a user can act on."""

    def __init__(self, key: str, errors: list[FieldError] | None = None, **params: Any) -> None:
        self.key = key
        self.params = params
        self.errors = list(errors or [])
        super().__init__(f"{key} {params}" if params else key)


class PermissionDenied(DomainError):
    """The acting user may not read or change this."""


class InvalidInput(DomainError):
    """The input breaks a rule; `errors` says where and what to fix."""


class NotFound(DomainError):
    """The record does not exist (or is not visible to the acting user)."""


class Conflict(DomainError):
    """Someone else changed the record first, or the change clashes with existing data."""
