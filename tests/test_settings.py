"""Rules every component shares, kept once in ``trendmon/settings.py``: the namespace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trendmon.errors import ConfigError
from trendmon.settings import (
    DEFAULT_NAMESPACE,
    DashboardSettings,
    RedisSettings,
    check_namespace,
    load,
    resolve_namespace,
)
from trendmon.sinks.history import namespaced
from trendmon.sinks.redis.store import LiveStore
from trendmon.sinks.sqlite.history import SqliteHistory


@pytest.mark.parametrize("bad", ["", "-x", "_x", "a:b", "a b", "x" * 41, "é"])
def test_one_namespace_rule_for_every_store_and_setting(bad: str, tmp_path: Path) -> None:
    # Before, Redis and the settings took "-x" and "_x" and the history refused them.
    with pytest.raises(ConfigError, match="TRENDMON_REDIS_NAMESPACE"):
        check_namespace(bad)
    with pytest.raises(ConfigError, match="TRENDMON_REDIS_NAMESPACE"):
        load(RedisSettings, namespace=bad)
    with pytest.raises(ConfigError, match="TRENDMON_DASHBOARD_NAMESPACE"):
        load(DashboardSettings, namespace=bad)
    with pytest.raises(ConfigError, match="namespace"):
        SqliteHistory(tmp_path, namespace=bad)
    with pytest.raises(ConfigError, match="namespace"):
        LiveStore(None, namespace=bad)  # type: ignore[arg-type]  # refused before any use
    with pytest.raises(ConfigError, match="set --into to"):
        resolve_namespace(bad, "--into")


def test_the_default_namespace_is_the_live_one_everywhere() -> None:
    assert load(RedisSettings).namespace == DEFAULT_NAMESPACE == "tm"
    assert load(DashboardSettings).namespace == DEFAULT_NAMESPACE
    assert namespaced("trendmon", DEFAULT_NAMESPACE) == "trendmon"
    assert namespaced("trendmon", "replay-1") == "trendmon_replay-1"
    assert resolve_namespace("Team_2") == "Team_2"


def test_replay_refuses_the_configured_live_namespace(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trendmon", "replay", "--into", "team2", "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TRENDMON_REDIS_NAMESPACE": "team2"},
    )
    assert result.returncode != 0
    assert "--into team2 would rebuild the live namespace" in result.stderr
    assert "Traceback" not in result.stderr
