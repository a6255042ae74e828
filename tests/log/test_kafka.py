"""The Kafka bus against the real broker from `make services`."""

from __future__ import annotations

import uuid

import pytest

from trendmon.log.base import Message
from trendmon.log.kafka import KafkaBus
from trendmon.partitioner import partition_for
from trendmon.settings import KafkaSettings

pytestmark = pytest.mark.services


@pytest.fixture
def bus(kafka_bootstrap: str):  # type: ignore[no-untyped-def]
    kafka = KafkaBus(
        KafkaSettings(
            bootstrap_servers=kafka_bootstrap,
            partitions=3,
            topic_prefix=f"test-{uuid.uuid4().hex[:8]}.",
            request_timeout_ms=10_000,
        )
    )
    yield kafka
    kafka.close()


def messages(n: int) -> list[Message]:
    return [
        Message(
            key=f"video-{i % 7}", value=b'{"i": %d}' % i, timestamp_ms=1_767_571_200_000 + i * 1000
        )
        for i in range(n)
    ]


def test_publish_then_read_everything_back_on_kafka_partitions(bus: KafkaBus) -> None:
    assert bus.publish("snapshots", messages(60)) == 60
    assert "snapshots" in bus.topics()
    records = list(bus.read("snapshots"))
    assert sorted(r.value for r in records) == sorted(m.value for m in messages(60))
    for r in records:
        assert r.partition == partition_for(r.key or "", 3)
    # Order holds within a key (a partition is a log).
    by_key: dict[str, list[int]] = {}
    for r in records:
        by_key.setdefault(r.key or "", []).append(r.timestamp_ms)
    assert all(ts == sorted(ts) for ts in by_key.values())
    stats = bus.stats("snapshots")
    assert stats.records == 60 and stats.partitions == 3
    assert sum(stats.by_partition.values()) == 60


def test_read_by_event_time_and_limit(bus: KafkaBus) -> None:
    bus.publish("snapshots", messages(40))
    start = 1_767_571_200_000
    window = list(bus.read("snapshots", from_time_ms=start + 10_000, to_time_ms=start + 20_000))
    assert sorted(r.timestamp_ms for r in window) == [start + i * 1000 for i in range(10, 20)]
    assert len(list(bus.read("snapshots", limit=5))) == 5


def test_tail_takes_the_newest_records_across_uneven_partitions(bus: KafkaBus) -> None:
    keys = {partition_for(f"video-{i}", 3): f"video-{i}" for i in range(50)}
    busy, quiet = keys[0], keys[1]
    start = 1_767_571_200_000
    bus.publish("snapshots", [Message(busy, b"%d" % i, start + i) for i in range(10)])
    bus.publish("snapshots", [Message(quiet, b"newest", start + 100)])
    assert [r.value for r in bus.tail("snapshots", 3)] == [b"8", b"9", b"newest"]
