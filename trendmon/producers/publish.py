"""Publishing snapshots: batches onto a bus, dead letters for rejects, a summary of both.

Every producer (scraper, importers, simulator) hands its output to one :class:`Publisher`, so
that batching, dead-lettering and counting are the same everywhere::

    with Publisher(bus, origin_prefix="import:apify") as pub:
        for item in parsed:          # VideoSnapshot or Rejected
            pub.add(item)
    print(pub.summary.published, pub.summary.dead_lettered)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

from trendmon.events import VideoSnapshot, encode
from trendmon.log.base import DEAD_LETTERS, SNAPSHOTS, Bus, Message, snapshot_message
from trendmon.log.dead_letters import Rejected


@dataclass
class Summary:
    """What a producer run did: records read, published (new), duplicates, dead letters."""

    read: int = 0
    published: int = 0
    duplicates: int = 0
    dead_lettered: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(self.dead_lettered.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "published": self.published,
            "duplicates": self.duplicates,
            "dead_lettered": self.rejected,
            "dead_letter_reasons": dict(self.dead_lettered.most_common()),
            "notes": list(self.notes),
        }


class Publisher:
    """Collects snapshots and rejects, writes them to the bus in batches."""

    def __init__(
        self,
        bus: Bus,
        *,
        batch_size: int = 2000,
        topic: str = SNAPSHOTS,
        max_future_s: int | None = None,
    ) -> None:
        self.bus = bus
        self.topic = topic
        self.batch_size = batch_size
        if max_future_s is None:
            from trendmon.settings import CoreSettings, load

            max_future_s = load(CoreSettings).max_future_s
        self.max_future_s = max_future_s
        """A snapshot collected this far ahead of the wall clock is dead-lettered (a gap in a
        stream, however long, never is: the engine reads no clock)."""
        self.summary = Summary()
        self._batch: list[Message] = []
        self._dead: list[Message] = []

    def add(self, item: VideoSnapshot | Rejected) -> None:
        self.summary.read += 1
        if isinstance(item, Rejected):
            self.reject(item)
            return
        ahead = (item.collected_at - datetime.now(UTC)).total_seconds()
        if ahead > self.max_future_s:
            self.reject(
                Rejected(
                    reason="from the future",
                    origin=f"video {item.video_id}",
                    raw=encode(item),
                    detail=f"collected_at {item.collected_at.isoformat()} is {ahead:.0f} s ahead "
                    f"of this machine's clock (more than {self.max_future_s} s): fix the "
                    "scraper's clock, or raise TRENDMON_MAX_FUTURE_S",
                    field="collected_at",
                )
            )
            return
        self._batch.append(snapshot_message(item, encode(item)))
        if len(self._batch) >= self.batch_size:
            self.flush()

    def add_all(self, items: Iterable[VideoSnapshot | Rejected]) -> Summary:
        for item in items:
            self.add(item)
        self.flush()
        return self.summary

    def reject(self, rejected: Rejected) -> None:
        """Dead-letter a record (counted by reason); it is written with the next flush."""
        self._dead.append(rejected.message(datetime.now(UTC)))
        self.summary.dead_lettered[rejected.reason] += 1
        if len(self._dead) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self._batch:
            new = self.bus.publish(self.topic, self._batch)
            self.summary.published += new
            self.summary.duplicates += len(self._batch) - new
            self._batch = []
        if self._dead:
            self.bus.publish(DEAD_LETTERS, self._dead)
            self._dead = []

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.flush()
