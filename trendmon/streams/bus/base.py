"""The publish/consume interface shared by the embedded log and Kafka."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

SNAPSHOTS = "snapshots"
"""Video snapshots from every producer, keyed by video id."""
DEAD_LETTERS = "dead-letters"
"""Records that failed validation, with the reason and their original bytes."""
SOURCE_HEALTH = "source-health"
"""One record per scraper attempt: the dashboard's freshness and failure view."""


@dataclass(frozen=True, slots=True)
class Message:
    """One record to publish. ``timestamp_ms`` is event time (for snapshots: collected_at)."""

    key: str
    value: bytes
    timestamp_ms: int
    event_id: str | None = None
    """Unique id of the event: publishing the same id twice stores it once (embedded log)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One record read back from a topic."""

    topic: str
    partition: int
    offset: int
    key: str | None
    timestamp_ms: int
    value: bytes


@dataclass(frozen=True)
class TopicStats:
    """What a topic holds: record count, per-partition counts, offsets and event-time range.

    Event times are known for the embedded log; Kafka reports them as None (finding them would
    mean reading the topic).
    """

    topic: str
    records: int
    partitions: int
    next_offset: int
    first_offset: int | None = None
    first_ts_ms: int | None = None
    last_ts_ms: int | None = None
    by_partition: dict[int, int] = field(default_factory=dict)


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash (Java client's ``Utils.murmur2``), as an unsigned 32-bit int.

    Written here rather than imported from kafka-python so that the embedded mode never loads the
    Kafka client; a test checks it against kafka-python's own implementation.
    """
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    whole = length - length % 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & mask
        k ^= k >> 24
        k = (k * m) & mask
        h = ((h * m) & mask) ^ k
    tail = length % 4
    if tail == 3:
        h ^= data[whole + 2] << 16
    if tail >= 2:
        h ^= data[whole + 1] << 8
    if tail >= 1:
        h ^= data[whole]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h


@lru_cache(maxsize=1 << 16)
def partition_for(key: str, partitions: int) -> int:
    """The partition of a key: Kafka's default partitioner (murmur2), so both buses agree."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


class Bus(Protocol):
    """Append-only topics of keyed records, readable from an offset or from an event time."""

    def publish(self, topic: str, messages: Iterable[Message]) -> int:
        """Append messages durably (acknowledged when this returns); return how many were new."""
        ...

    def read(
        self,
        topic: str,
        *,
        from_offset: int | None = None,
        from_time_ms: int | None = None,
        to_time_ms: int | None = None,
        limit: int | None = None,
        follow: bool = False,
        from_end: bool = False,
    ) -> Iterator[Record]:
        """Records of a topic from an offset (per partition on Kafka) or an event time.

        ``from_end`` starts after the last record of each partition (to follow new ones).

        Without ``follow`` the iterator ends at the end of the topic as it was when called; with
        it, it waits for new records until the caller stops iterating.
        """
        ...

    def tail(self, topic: str, n: int) -> list[Record]:
        """The last ``n`` records of a topic (by event time across partitions)."""
        ...

    def topics(self) -> list[str]:
        """Names of the topics that exist."""
        ...

    def stats(self, topic: str) -> TopicStats:
        """Counts, offsets and (where cheap to know) the event-time range of a topic."""
        ...

    def count(self, topic: str) -> int:
        """Number of records held in a topic."""
        ...

    def close(self) -> None:
        """Flush and release connections."""
        ...
