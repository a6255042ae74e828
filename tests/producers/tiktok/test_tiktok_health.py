"""Backoff and health records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trendmon.events import SourceHealth, decode_event
from trendmon.producers.tiktok.health import Backoff, HealthBook, health_message

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_backoff_doubles_from_initial_to_maximum_with_jitter() -> None:
    backoff = Backoff(30, 1800)
    for failures in range(1, 12):
        nominal = min(30 * 2 ** (failures - 1), 1800)
        waits = [backoff.delay(failures) for _ in range(200)]
        # Equal jitter: half fixed, half random, so never sooner than half the nominal wait.
        assert all(nominal / 2 <= w <= nominal for w in waits), (failures, min(waits), max(waits))
        assert len(set(waits)) > 150  # jittered, also at the maximum
    means = [sum(backoff.delay(n) for _ in range(400)) / 400 for n in (1, 2, 3, 4)]
    assert means == sorted(means) and means[3] > 6 * means[0]


def test_backoff_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Backoff(60, 30)


def test_failures_grow_last_success_is_kept_and_success_resets() -> None:
    book = HealthBook()
    ok = book.success("trending", at=T0, items=30, next_attempt_at=T0 + timedelta(minutes=10))
    assert (ok.ok, ok.items, ok.consecutive_failures, ok.last_success) == (True, 30, 0, T0)
    t1, t2 = T0 + timedelta(minutes=10), T0 + timedelta(minutes=11)
    first = book.failure("trending", at=t1, error="captcha", next_attempt_at=t2)
    second = book.failure("trending", at=t2, error="empty response", next_attempt_at=None)
    assert (first.ok, first.consecutive_failures, first.last_error) == (False, 1, "captcha")
    assert second.consecutive_failures == 2
    assert second.last_success == T0  # staleness stays visible: when it last worked
    assert (second.last_error, second.last_error_at) == ("empty response", t2)
    back = book.success("trending", at=t2 + timedelta(minutes=1), items=5, next_attempt_at=None)
    assert back.consecutive_failures == 0
    assert back.last_error == "empty response"  # the last error is history, not state
    other = book.failure("hashtag:dance", at=t1, error="timeout", next_attempt_at=None)
    assert other.consecutive_failures == 1 and other.last_success is None


def test_health_message_is_keyed_by_target_at_check_time() -> None:
    event = HealthBook().failure("user:therock", at=T0, error="captcha", next_attempt_at=None)
    message = health_message(event)
    assert message.key == "user:therock"
    assert message.timestamp_ms == int(T0.timestamp() * 1000)
    decoded = decode_event(message.value)
    assert isinstance(decoded, SourceHealth) and decoded == event
    again = HealthBook().failure("user:therock", at=T0, error="captcha", next_attempt_at=None)
    assert health_message(again).event_id == message.event_id
