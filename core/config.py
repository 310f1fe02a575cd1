"""Deployment configuration read from the environment and `.streamlit/secrets.toml`.

The cookie key signs login cookies. Several app servers behind one PostgreSQL must share it, so it
comes from `CLIENTCREW_COOKIE_KEY` or the secrets file; on a single machine with neither, one is
generated on first start and stored in the (gitignored) secrets file."""
from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path

from core.i18n import DEFAULT_LANGUAGE, normalise_language

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"
MIN_COOKIE_KEY_BYTES = 32
COOKIE_NAME = "clientcrew_auth"
COOKIE_EXPIRY_DAYS = 7


def _read_secrets(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return {}


def cookie_key(path: Path = SECRETS_PATH) -> str:
    key = os.environ.get("CLIENTCREW_COOKIE_KEY", "").strip()
    if len(key.encode()) >= MIN_COOKIE_KEY_BYTES:
        return key
    key = str(_read_secrets(path).get("cookie_key", "")).strip()
    if len(key.encode()) >= MIN_COOKIE_KEY_BYTES:
        return key
    key = secrets.token_urlsafe(48)  # 64 characters
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f'\n# Generated on first start; signs login cookies. Share it across app servers.\ncookie_key = "{key}"\n')
    return key


def default_language() -> str:
    return normalise_language(os.environ.get("CLIENTCREW_DEFAULT_LANGUAGE", DEFAULT_LANGUAGE))
