"""Fixtures of the scraper tests: settings without the environment, a clock that moves only
when asked, and the real embedded log as the bus.

Tests run with ``--import-mode=importlib``, so nothing beside them is importable by name: this
conftest loads the replay helpers (``tiktok_replay.py``) under that name for the test modules.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from trendmon.log.embedded import EmbeddedLog
from trendmon.settings import LogSettings, ScrapeSettings


def _load_replay_helpers() -> ModuleType:
    if "tiktok_replay" in sys.modules:
        return sys.modules["tiktok_replay"]
    spec = importlib.util.spec_from_file_location(
        "tiktok_replay", Path(__file__).with_name("tiktok_replay.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tiktok_replay"] = module
    spec.loader.exec_module(module)
    return module


replay = _load_replay_helpers()


@pytest.fixture
def clock() -> Any:
    """A :class:`tiktok_replay.FakeClock` at 2026-01-05 09:00 UTC."""
    return replay.FakeClock()


@pytest.fixture
def settings() -> ScrapeSettings:
    return ScrapeSettings(
        _env_file=None,  # type: ignore[call-arg]
        ms_tokens="replay-ms-token",
        timeout_s=5,
        backoff_initial_s=30,
        backoff_max_s=1800,
    )


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[EmbeddedLog]:
    log = EmbeddedLog(tmp_path / "home", LogSettings())
    yield log
    log.close()
