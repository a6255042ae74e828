"""Fixtures of the scraper tests: settings without the environment, a clock that moves only
when asked, and the real embedded log as the bus.

Tests run with ``--import-mode=importlib``, so nothing beside them is importable by name: this
conftest loads the replay helpers (``tiktok_replay.py``) under that name for the test modules.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trendmon.settings import LogSettings, ScrapeSettings
from trendmon.streams.bus.embedded import EmbeddedLog


def _load_replay_helpers() -> None:
    if "tiktok_replay" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "tiktok_replay", Path(__file__).with_name("tiktok_replay.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tiktok_replay"] = module
    spec.loader.exec_module(module)


_load_replay_helpers()

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FakeClock:
    """Each read advances one second, so items get distinct collection times; ``sleep``
    advances by the requested time at once and records it."""

    def __init__(self, start: datetime = START, step_s: float = 1.0) -> None:
        self.now = start
        self.step = timedelta(seconds=step_s)
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


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
