"""Field names in user words (issue 12): a validation message never shows a code such as `title:`,
`password:` or “name”为必填项. Core validators name the field they refuse by its code (the
parameter or column name, `FieldError.column` and the `field` parameter) or by a translation key;
`label` turns either into the user's words, `message_lines` builds the lines a page shows for a
refusal. Texts: core/i18n/navigation.py (`field.<code>`)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core import i18n
from core.errors import DomainError, PermissionDenied


# where field names already have words: ours, the audit log's, the import's
PREFIXES = ("field", "screens.field", "imports.field")


def label(code: str | None, lang: str) -> str | None:
    """'title' -> '标题' / 'Title'; a translation key ('pipeline.col.stage') -> its text; anything
    else (an imported file's own column header, a criterion's name) is the user's own text."""
    if code is None:
        return None
    text = str(code)
    if i18n.has_key(text):
        return i18n.t(text, lang)
    for prefix in PREFIXES:
        if i18n.has_key(f"{prefix}.{text}"):
            return i18n.t(f"{prefix}.{text}", lang)
    return text


def _params(params: dict[str, Any], lang: str, escape: Callable[[Any], str]) -> dict[str, Any]:
    out = {k: escape(v) if isinstance(v, str) else v for k, v in params.items()}
    if isinstance(params.get("field"), str):
        out["field"] = escape(label(params["field"], lang))
    return out


def message_lines(error: DomainError, lang: str, escape: Callable[[Any], str] = str) -> list[str]:
    """The refusal's headline, then one line per problem ('- Title: is required', 'Row 3, Email:
    …'); parameters (often the user's own input) pass through `escape`."""
    key = error.key if i18n.has_key(error.key) else (
        "error.permission_denied" if isinstance(error, PermissionDenied) else "error.invalid")
    lines = [i18n.t(key, lang, **_params(error.params, lang, escape))]
    for item in error.errors:
        message = i18n.t(item.key, lang, **_params(item.params, lang, escape))
        column = label(item.column, lang)
        if item.row is not None:
            message = i18n.t("error.row", lang, row=item.row, column=escape(column) if column else "—", message=message)
        elif column and column not in message:  # "“Title” is required" already names it
            message = f"{escape(column)}: {message}"
        lines.append(f"- {message}")
    return lines
