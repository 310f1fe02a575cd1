"""The cookie key: created once, privately and atomically; shared by servers that start together;
a key that is too short is a clear error, not a silent new key at every start."""
from __future__ import annotations

import multiprocessing as mp
import os
import stat
from pathlib import Path

import pytest

from core import config


def _start_server(key_file: str, barrier, results) -> None:
    os.environ.pop("CLIENTCREW_COOKIE_KEY", None)
    os.environ["CLIENTCREW_COOKIE_KEY_FILE"] = key_file
    barrier.wait()
    results.put(config.cookie_key(Path("/nonexistent/secrets.toml")))


def test_servers_starting_at_once_all_read_the_same_new_key(tmp_path):
    key_file = tmp_path / "keys" / "cookie_key"
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(8), ctx.Queue()
    processes = [ctx.Process(target=_start_server, args=(str(key_file), barrier, results)) for _ in range(8)]
    for p in processes:
        p.start()
    keys = [results.get(timeout=30) for _ in processes]
    for p in processes:
        p.join(timeout=30)
    assert len(set(keys)) == 1 and len(keys[0]) >= config.MIN_COOKIE_KEY_BYTES
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == keys[0]
    assert [p.name for p in key_file.parent.iterdir()] == ["cookie_key"]  # no temporary files left


def test_the_key_survives_restarts(tmp_path, monkeypatch):
    monkeypatch.delenv("CLIENTCREW_COOKIE_KEY", raising=False)
    monkeypatch.setenv("CLIENTCREW_COOKIE_KEY_FILE", str(tmp_path / "cookie_key"))
    first = config.cookie_key(tmp_path / "no-secrets.toml")
    assert config.cookie_key(tmp_path / "no-secrets.toml") == first


def test_a_world_readable_key_file_is_made_private(tmp_path, monkeypatch):
    key_file = tmp_path / "cookie_key"
    key_file.write_text("k" * 48)
    key_file.chmod(0o644)
    monkeypatch.delenv("CLIENTCREW_COOKIE_KEY", raising=False)
    monkeypatch.setenv("CLIENTCREW_COOKIE_KEY_FILE", str(key_file))
    assert config.cookie_key(tmp_path / "no-secrets.toml") == "k" * 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


@pytest.mark.parametrize("where", ["env", "secrets", "file"])
def test_a_too_short_key_is_a_clear_error(tmp_path, monkeypatch, where):
    monkeypatch.delenv("CLIENTCREW_COOKIE_KEY", raising=False)
    monkeypatch.setenv("CLIENTCREW_COOKIE_KEY_FILE", str(tmp_path / "cookie_key"))
    secrets_path = tmp_path / "secrets.toml"
    if where == "env":
        monkeypatch.setenv("CLIENTCREW_COOKIE_KEY", "short")
    elif where == "secrets":
        secrets_path.write_text('cookie_key = "short"\n')
    else:
        (tmp_path / "cookie_key").write_text("short\n")
    with pytest.raises(config.ConfigError, match="at least 32"):
        config.cookie_key(secrets_path)
    if where == "secrets":
        assert secrets_path.read_text() == 'cookie_key = "short"\n'  # never appended to


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "nan", "inf"])
def test_session_timeouts_must_be_sensible_numbers(monkeypatch, raw):
    monkeypatch.setenv("CLIENTCREW_SESSION_IDLE_HOURS", raw)
    with pytest.raises(config.ConfigError):
        config.session_idle_timeout()


def test_session_timeouts_default_to_eight_hours_and_seven_days(monkeypatch):
    monkeypatch.delenv("CLIENTCREW_SESSION_IDLE_HOURS", raising=False)
    monkeypatch.delenv("CLIENTCREW_SESSION_LIFETIME_DAYS", raising=False)
    assert config.session_idle_timeout().total_seconds() == 8 * 3600
    assert config.session_lifetime().days == 7
