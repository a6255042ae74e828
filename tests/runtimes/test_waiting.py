"""Agents wait for a store that is away, and only for that."""

from __future__ import annotations

import asyncio
import logging

import pytest

from trendmon.errors import ConfigError, ServiceUnavailableError
from trendmon.runtimes.waiting import until_available


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits asked for, without waiting them."""
    asked: list[float] = []

    async def sleep(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return asked


def test_a_store_that_is_away_is_waited_for_from_1_s_doubling_to_10_s(
    waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def write() -> None:
        calls.append(len(calls))
        if len(calls) <= 6:
            raise ServiceUnavailableError("Redis at 127.0.0.1:1 refused", "the live store")

    with caplog.at_level(logging.WARNING, logger="trendmon.runtimes.waiting"):
        asyncio.run(until_available(write, "sink"))
    assert len(calls) == 7
    assert waits == [1, 2, 4, 8, 10, 10]
    assert caplog.messages.count("sink waits for its store: Redis at 127.0.0.1:1 refused") == 6


def test_any_other_error_is_raised_at_once(waits: list[float]) -> None:
    calls: list[int] = []

    def write() -> None:
        calls.append(1)
        raise ConfigError("no such namespace")

    with pytest.raises(ConfigError, match="no such namespace"):
        asyncio.run(until_available(write, "sink"))
    assert calls == [1] and waits == []
