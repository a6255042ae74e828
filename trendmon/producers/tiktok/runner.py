"""Running scrape targets once, or forever on their intervals, publishing snapshots and health.

One attempt fetches up to a target's budget of raw items, stamps each with the time it arrived
(its ``collected_at``, the engine's event time), skips LIVE rooms and empty ids, parses the rest
with :mod:`trendmon.producers.itemstruct`, publishes snapshots (rejects become dead letters) and
then one :class:`~trendmon.events.SourceHealth` record. A failed attempt (blocked, captcha,
timeout...) is a failure in that record with its reason, never an empty result.

Scheduling: after a success a target runs again ``interval`` later; after a retryable failure it
backs off (exponential with jitter, :class:`~trendmon.producers.tiktok.health.Backoff`); after a
terminal failure it stops. Targets run one at a time through the same browser sessions. The
clock and the sleep are parameters, so tests run a day of schedule in milliseconds::

    runner = Runner(client, bus, targets, settings=load(ScrapeSettings))
    attempts = await runner.run_once()
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson

from trendmon.errors import RetryableError, SchemaError, TerminalError
from trendmon.events import VideoSnapshot
from trendmon.log.base import Bus
from trendmon.log.dead_letters import Rejected
from trendmon.producers.itemstruct import is_live_or_empty, parse_item
from trendmon.producers.publish import Publisher
from trendmon.producers.tiktok.health import Backoff, HealthBook, publish_health
from trendmon.producers.tiktok.targets import Target
from trendmon.settings import ScrapeSettings

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


class ItemSource(Protocol):
    """Where raw items come from: :class:`~trendmon.producers.tiktok.client.TikTokClient`."""

    def items(self, target: Target) -> AsyncGenerator[dict[str, Any], None]:
        """Raw items of a target; raises SourceBlockedError when TikTok blocks."""
        ...


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclass
class Attempt:
    """What one attempt at one target did."""

    target: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    received: int = 0
    """Raw items TikTok sent (including skipped and rejected ones)."""
    skipped: int = 0
    """LIVE rooms and items without a video id."""
    published: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str | None = None
    next_attempt_at: datetime | None = None
    """None after a terminal failure: the target is not tried again."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO 8601)."""
        return {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(self).items()
        }


class Runner:
    """Attempts targets and keeps their health; see the module docstring."""

    def __init__(
        self,
        source: ItemSource,
        bus: Bus,
        targets: Sequence[Target],
        *,
        settings: ScrapeSettings,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
        on_attempt: Callable[[Attempt], None] | None = None,
    ) -> None:
        self.source = source
        self.bus = bus
        self.targets = list(targets)
        self.clock = clock
        self.sleep = sleep
        self.on_attempt = on_attempt
        self.health = HealthBook()
        self.backoff = Backoff(settings.backoff_initial_s, settings.backoff_max_s)
        self.market = None if settings.market == "unknown" else settings.market

    def _snapshot(
        self, raw: dict[str, Any], target: Target, collected_at: datetime
    ) -> VideoSnapshot | Rejected:
        try:
            return parse_item(
                raw, collected_at=collected_at, source=target.name, market=self.market
            )
        except SchemaError as exc:
            return Rejected(
                reason=getattr(exc, "reason", "invalid item"),
                origin=target.name,
                raw=orjson.dumps(raw).decode(),
                detail=str(exc),
                field=exc.field,
            )

    async def attempt(self, target: Target) -> Attempt:
        """Fetch, parse and publish one target once; publish its health; return what happened."""
        started = self.clock()
        received = skipped = 0
        error: str | None = None
        terminal = False
        with Publisher(self.bus) as publisher:
            try:
                async with aclosing(self.source.items(target)) as items:
                    async for raw in items:
                        received += 1
                        collected_at = self.clock()
                        if is_live_or_empty(raw):
                            skipped += 1
                            continue
                        publisher.add(self._snapshot(raw, target, collected_at))
            except RetryableError as exc:
                error = str(exc)
            except TerminalError as exc:
                error, terminal = str(exc), True
        finished = self.clock()
        summary = publisher.summary
        failures = self.health.get(target.name).consecutive_failures
        if error is None:
            next_at: datetime | None = finished + timedelta(seconds=target.interval_s)
            event = self.health.success(
                target.name, at=finished, items=received, next_attempt_at=next_at
            )
        else:
            next_at = (
                None if terminal else finished + timedelta(seconds=self.backoff.delay(failures + 1))
            )
            event = self.health.failure(
                target.name, at=finished, error=error, items=received, next_attempt_at=next_at
            )
        publish_health(self.bus, event)
        result = Attempt(
            target=target.name,
            started_at=started,
            finished_at=finished,
            ok=error is None,
            received=received,
            skipped=skipped,
            published=summary.published,
            duplicates=summary.duplicates,
            rejected=summary.rejected,
            error=error,
            next_attempt_at=next_at,
        )
        if self.on_attempt is not None:
            self.on_attempt(result)
        return result

    async def run_once(self) -> list[Attempt]:
        """One attempt per target, in order, without retries (failures are in the results)."""
        return [await self.attempt(target) for target in self.targets]

    async def run_forever(self, *, max_attempts: int | None = None) -> int:
        """Attempt targets when due, forever (or ``max_attempts`` times); return how many ran.

        Ends early only when every target has failed terminally. Results go to ``on_attempt``
        and to the bus, not into a list that would grow for as long as the process lives.
        """
        now = self.clock()
        due: dict[str, datetime] = {target.name: now for target in self.targets}
        order = {target.name: index for index, target in enumerate(self.targets)}
        by_name = {target.name: target for target in self.targets}
        done = 0
        while due and (max_attempts is None or done < max_attempts):
            name = min(due, key=lambda n: (due[n], order[n]))
            wait = (due[name] - self.clock()).total_seconds()
            if wait > 0:
                await self.sleep(wait)
            result = await self.attempt(by_name[name])
            done += 1
            if result.next_attempt_at is None:
                del due[name]
            else:
                due[name] = result.next_attempt_at
        return done
