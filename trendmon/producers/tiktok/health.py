"""Per-target health of the scraper, and how long to wait after failures.

After every attempt the scraper publishes a :class:`~trendmon.events.SourceHealth` record to the
``source-health`` topic: when the target last worked, its last error, how many attempts in a row
failed and when it will be tried next. The dashboard shows a source as stale from these records,
which is why a blocked attempt is always a failure here, never "no trends".
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime

from trendmon.events import SourceHealth, encode
from trendmon.log.base import SOURCE_HEALTH, Bus, Message


class Backoff:
    """Seconds to wait after ``failures`` attempts in a row failed: exponential, with jitter.

    The wait doubles from ``initial`` up to ``maximum``; half of it is fixed and half random
    ("equal jitter"), so a blocked target is never retried sooner than half the nominal wait,
    and several targets blocked at once do not retry in lockstep, even at the maximum.

    This is a schedule, not a retry loop (the runner comes back to a target among others), so
    it is computed here rather than by a retry library's loop.
    """

    def __init__(self, initial: float, maximum: float, rng: random.Random | None = None) -> None:
        if initial <= 0 or maximum < initial:
            raise ValueError(f"backoff needs 0 < initial <= maximum, got {initial}, {maximum}")
        self.initial = initial
        self.maximum = maximum
        self._rng = rng or random.Random()

    def delay(self, failures: int) -> float:
        """The wait after the ``failures``-th failure in a row (1 for the first)."""
        exponent = min(max(1, failures) - 1, 60)  # 2**60 s is past any maximum
        half = min(self.initial * 2.0**exponent, self.maximum) / 2
        return half + self._rng.uniform(0, half)


@dataclass
class TargetHealth:
    """What is known about one target's recent attempts."""

    target: str
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    next_attempt_at: datetime | None = None


class HealthBook:
    """Health of every target, updated after each attempt and turned into events."""

    def __init__(self) -> None:
        self._records: dict[str, TargetHealth] = {}

    def get(self, target: str) -> TargetHealth:
        return self._records.setdefault(target, TargetHealth(target))

    def success(
        self, target: str, *, at: datetime, items: int, next_attempt_at: datetime | None
    ) -> SourceHealth:
        """Record a successful attempt; consecutive failures start again from zero."""
        record = self.get(target)
        record.last_success = at
        record.consecutive_failures = 0
        record.next_attempt_at = next_attempt_at
        return self._event(record, at=at, ok=True, items=items)

    def failure(
        self,
        target: str,
        *,
        at: datetime,
        error: str,
        items: int = 0,
        next_attempt_at: datetime | None,
    ) -> SourceHealth:
        """Record a failed attempt (``items`` counts what arrived before it failed)."""
        record = self.get(target)
        record.last_error = error
        record.last_error_at = at
        record.consecutive_failures += 1
        record.next_attempt_at = next_attempt_at
        return self._event(record, at=at, ok=False, items=items)

    @staticmethod
    def _event(record: TargetHealth, *, at: datetime, ok: bool, items: int) -> SourceHealth:
        return SourceHealth(
            target=record.target,
            checked_at=at,
            ok=ok,
            items=items,
            last_success=record.last_success,
            last_error=record.last_error,
            last_error_at=record.last_error_at,
            consecutive_failures=record.consecutive_failures,
            next_attempt_at=record.next_attempt_at,
        )


def health_message(event: SourceHealth) -> Message:
    """The bus message of a health event: keyed by target, stamped with its check time."""
    key = f"{event.target}|{event.checked_at.isoformat()}|{event.ok}|{event.consecutive_failures}"
    return Message(
        key=event.target,
        value=encode(event),
        timestamp_ms=int(event.checked_at.timestamp() * 1000),
        event_id=hashlib.blake2b(key.encode(), digest_size=12).hexdigest(),
    )


def publish_health(bus: Bus, event: SourceHealth) -> None:
    """Append one health record to the ``source-health`` topic."""
    bus.publish(SOURCE_HEALTH, [health_message(event)])
