"""The publish/consume interface shared by the embedded log and Kafka."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from trendmon.events import VideoSnapshot

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
    tally: str | None = None
    """What the log counts the record as, per minute of event time, so that the health page
    reads counts rather than records: a snapshot's source, a dead letter's reason (None: not
    counted)."""
    flagged: bool = False
    """Counted apart within its tally: a snapshot whose counts TikTok rounded."""


def snapshot_message(snapshot: VideoSnapshot, value: bytes) -> Message:
    """The message a snapshot is published as (``value`` is its encoding): keyed by video, at
    its collection time, under its event id, counted by source and rounded counts."""
    return Message(
        key=snapshot.video_id,
        value=value,
        timestamp_ms=int(snapshot.collected_at.timestamp() * 1000),
        event_id=snapshot.event_id,
        tally=snapshot.source,
        flagged=not snapshot.exact_counts,
    )


@dataclass(frozen=True, slots=True)
class Tally:
    """How many records of one tally (and flag) a topic received in one minute of event time."""

    minute_ms: int
    tally: str
    flagged: bool
    records: int
    last_ms: int
    """Event time of the latest of them."""


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

    def tallies(self, topic: str, from_time_ms: int | None = None) -> list[Tally] | None:
        """The counts the log keeps of a topic's records by :attr:`Message.tally`, per minute
        of event time, from ``from_time_ms`` on; None where the bus keeps none (Kafka)."""
        ...

    def close(self) -> None:
        """Flush and release connections."""
        ...
