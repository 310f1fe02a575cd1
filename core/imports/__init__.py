"""Import members, customers, deals, interactions, contacts, satisfaction surveys and complaints from CSV or Excel files.

The flow the page walks through:
1. `read_table(data, filename)` -> every cell as text;
2. `guess_mapping(headers, kind)`: each of the file's own headers (any language: "客户名称",
   "Company", "Kunde") mapped to one of our fields by a synonyms table, then a fuzzy match; the user
   confirms or changes it;
3. `unknown_values(...)`: values we do not know (a new industry, a misspelt region "华冬", a size
   written "Groß") with the closest known value; the user maps each or keeps it as new;
4. `preview(...)`: the first rows as they will be saved, and every row-level error (spreadsheet row
   number, the file's column, what to fix);
5. `commit_import(...)`: all or nothing. Any error refuses the whole file; otherwise rows are written
   with bulk inserts in chunks, reporting progress through a callback.

Rows refer to each other by name, e-mail or external id: a deal's customer and owner, an interaction's
customer, a member's team and manager (who may be another row of the same file). References
resolve only to records inside the importing manager's scope.
"""
from __future__ import annotations

from core.imports.commit import (
    commit_import,
)
from core.imports.fields import (
    CHUNK,
    FIELDS,
    KEEP,
    MAX_ERRORS,
    MODELS,
    PREVIEW_ROWS,
    RECORD_TYPES,
    STANDARD_INDUSTRIES,
    STANDARD_REGIONS,
    FieldSpec,
    fields_for,
    guess_mapping,
    mapping_problems,
    optional_here,
    template_frame,
)
from core.imports.prepare import (
    prepare,
    preview,
)
from core.imports.refs import (
    unknown_values,
)
from core.imports.rules import (
    COMPARED,
    DEFAULT_BUCKETS,
    KEY_FIELDS,
    KEYS,
    MODES,
    SUGGEST_RATIO,
    ImportPreview,
    ImportResult,
    Prepared,
    UnknownValue,
    bucket_of,
    check_buckets,
    default_key,
    default_mode,
    numeric_category_columns,
)
from core.imports.tables import (
    error_frame,
    read_table,
    rejected_rows,
)

__all__ = [
    "CHUNK",
    "COMPARED",
    "DEFAULT_BUCKETS",
    "FIELDS",
    "FieldSpec",
    "ImportPreview",
    "ImportResult",
    "KEEP",
    "KEYS",
    "KEY_FIELDS",
    "MAX_ERRORS",
    "MODELS",
    "MODES",
    "PREVIEW_ROWS",
    "Prepared",
    "RECORD_TYPES",
    "STANDARD_INDUSTRIES",
    "STANDARD_REGIONS",
    "SUGGEST_RATIO",
    "UnknownValue",
    "bucket_of",
    "check_buckets",
    "commit_import",
    "default_key",
    "default_mode",
    "error_frame",
    "fields_for",
    "guess_mapping",
    "mapping_problems",
    "numeric_category_columns",
    "optional_here",
    "prepare",
    "preview",
    "read_table",
    "rejected_rows",
    "template_frame",
    "unknown_values",
]
