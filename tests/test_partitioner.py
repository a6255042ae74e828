"""The partitioner is Kafka's: the embedded log, Kafka and the engine place a key alike."""

from __future__ import annotations

from kafka.partitioner.default import murmur2 as kafka_murmur2

from trendmon.partitioner import murmur2


def test_partitioner_is_kafkas() -> None:
    keys = [
        b"",
        b"a",
        b"ab",
        b"abc",
        b"abcd",
        b"7301234567890123456",
        "舞蹈".encode(),
        bytes(range(256)),
    ]
    keys += [f"video-{i}".encode() for i in range(2000)]
    for key in keys:
        assert murmur2(key) == kafka_murmur2(key), key
