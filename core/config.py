"""Deployment configuration read from the environment and key files.

The cookie key signs login sessions (core.sessions keeps only a keyed hash of each cookie token).
Several app servers behind one PostgreSQL must share it: give them the same `CLIENTCREW_COOKIE_KEY`
or the same key file. On a single machine with neither, the key file is created on first start:
mode 0600, written to a temporary file and linked into place, so two servers starting at once end
up with the same key (the second one's link fails and it reads the first one's file)."""
from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tomllib
from datetime import timedelta
from pathlib import Path

from core.i18n import DEFAULT_LANGUAGE, normalise_language

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"
DEFAULT_KEY_FILE = PROJECT_ROOT / ".streamlit" / "cookie_key"
MIN_COOKIE_KEY_BYTES = 32
COOKIE_NAME = "clientcrew_session"
DEFAULT_IDLE_HOURS = 8.0
DEFAULT_LIFETIME_DAYS = 7.0


class ConfigError(RuntimeError):
    """A deployment setting is wrong; the message says which and how to fix it (shown to the admin
    starting the server, in English: it is the operator's log, not the users' UI)."""


def _read_secrets(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return {}


def _checked(key: str, source: str) -> str:
    if len(key.encode("utf-8")) < MIN_COOKIE_KEY_BYTES:
        raise ConfigError(
            f"The cookie key from {source} is {len(key.encode('utf-8'))} bytes long; it must have at least "
            f"{MIN_COOKIE_KEY_BYTES}. Generate one with: python -c \"import secrets; print(secrets.token_urlsafe(48))\""
        )
    return key


def key_file_path() -> Path:
    configured = os.environ.get("CLIENTCREW_COOKIE_KEY_FILE", "").strip()
    return Path(configured) if configured else DEFAULT_KEY_FILE


def _create_key_file(path: Path) -> None:
    """Write a new random key to `path` exactly once: a private temporary file, then a hard link
    (which fails if another process got there first; its key then wins)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")  # 64 characters
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _read_key_file(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        os.chmod(path, 0o600)  # an older or hand-made file readable by others: make it private
    return _checked(path.read_text(encoding="utf-8").strip(), str(path))


def cookie_key(secrets_path: Path = SECRETS_PATH) -> str:
    """The session key: `CLIENTCREW_COOKIE_KEY`, else `cookie_key` in .streamlit/secrets.toml, else
    the key file (created on first start). A key that is set but too short is an error."""
    key = os.environ.get("CLIENTCREW_COOKIE_KEY", "").strip()
    if key:
        return _checked(key, "CLIENTCREW_COOKIE_KEY")
    key = str(_read_secrets(secrets_path).get("cookie_key", "")).strip()
    if key:
        return _checked(key, f"cookie_key in {secrets_path}")
    path = key_file_path()
    if not path.exists():
        _create_key_file(path)
    return _read_key_file(path)


def _positive_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not (0 < value < 10_000):
        raise ConfigError(f"{name}={raw!r} must be a positive number below 10000")
    return value


def session_idle_timeout() -> timedelta:
    """A session unused for this long ends (`CLIENTCREW_SESSION_IDLE_HOURS`, default 8)."""
    return timedelta(hours=_positive_float("CLIENTCREW_SESSION_IDLE_HOURS", DEFAULT_IDLE_HOURS))


def session_lifetime() -> timedelta:
    """A session ends this long after login however active (`CLIENTCREW_SESSION_LIFETIME_DAYS`, default 7)."""
    return timedelta(days=_positive_float("CLIENTCREW_SESSION_LIFETIME_DAYS", DEFAULT_LIFETIME_DAYS))


def default_language() -> str:
    return normalise_language(os.environ.get("CLIENTCREW_DEFAULT_LANGUAGE", DEFAULT_LANGUAGE))
