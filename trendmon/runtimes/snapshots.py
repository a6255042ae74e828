"""Snapshots of stage 2's partition states (and the ranker's), so that a worker's restart
reads a bounded tail.

Stage 2 is a deterministic fold of its ``entity-deltas`` partition. Without a snapshot a worker
that gets a partition (a start, a restart, a rebalance) folds it again from its first offset,
which takes longer the more the topic holds (its retention covers twice the longest window).
So every ``TRENDMON_KAFKA_SNAPSHOT_INTERVAL_S`` the stage-2 agent writes each partition's state
with the input offset it covers, to the ``stage2-state`` topic: compacted, keyed and partitioned
by the stage-2 partition, one record per snapshot. On a restart the agent reads the last record
of its partition of that topic and folds only what followed it.

Why a compacted topic and not the history store: the snapshot must sit with what it is a
snapshot of. It is written only after the broker has acknowledged every output of the records
it covers (so nothing those records made can be lost by skipping them), and Kafka is the one
store every worker has (``--no-sinks`` workers have no MongoDB). Compaction keeps the latest
record per key, and the last record of a partition is never compacted away, so the latest
snapshot is one read at the end of the partition, however long the worker was away.

The ranker, a fold of the one ``board-ticks`` partition, is snapshotted the same way to
``ranker-state`` (one partition).

A snapshot of another format or other engine settings (or another partition count) is not
an error, only of no use: the agent then folds the partition from its start, as before.

The value is a JSON header line (format, fingerprint of the settings and partitions, the offset) and
the partition's pickle (protocol 5, as the embedded runtime's checkpoint), zlib-compressed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import zlib
from typing import Any, Final, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]

from trendmon.settings import EngineSettings, KafkaSettings

log = logging.getLogger(__name__)

S = TypeVar("S")

STAGE2_STATE: Final = "stage2-state"
"""The compacted topic of stage 2's snapshots (one partition per stage-2 partition)."""
RANKER_STATE: Final = "ranker-state"
"""The compacted topic of the ranker's snapshots (one partition)."""
FORECAST_STATE: Final = "forecast-state"
"""The compacted topic of the hourly forecasts' snapshots (one partition)."""
FORMAT: Final = 2
"""2: the state pickles the same in both builds of the engine (:mod:`trendmon.engine.state`)."""
MAX_BYTES: Final = 64 * 1024 * 1024
"""Largest snapshot record (the topic's ``max.message.bytes``, the producer's request size)."""
TOPIC_CONFIGS: Final = {
    "cleanup.policy": "compact",
    "max.message.bytes": str(MAX_BYTES),
    # Roll segments often enough that compaction keeps the topic to a few snapshots.
    "segment.ms": str(3_600_000),
    "min.cleanable.dirty.ratio": "0.1",
}


def fingerprint(settings: EngineSettings, parts: int) -> str:
    """What a snapshot must have been made with to be of use: settings and partitions."""
    text = json.dumps([settings.model_dump(), parts], sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def encode_state(part: object, offset: int, made_with: str) -> bytes:
    """A fold's state that covers its input up to ``offset`` (exclusive), as a record."""
    header = json.dumps({"format": FORMAT, "fingerprint": made_with, "offset": offset})
    body = zlib.compress(pickle.dumps(part, protocol=5), 1)
    return header.encode() + b"\n" + body


def decode_state(raw: bytes, made_with: str, kind: type[S]) -> tuple[int, S] | None:
    """(offset, state) of a snapshot record, or None if it was made another way (or is not one)."""
    head, _, body = raw.partition(b"\n")
    try:
        header: dict[str, Any] = json.loads(head)
    except ValueError:
        return None
    if header.get("format") != FORMAT or header.get("fingerprint") != made_with:
        return None
    part = pickle.loads(zlib.decompress(body))  # our own record, in our own topic
    if not isinstance(part, kind):
        return None
    return int(header["offset"]), part


async def load_latest(
    kafka: KafkaSettings,
    partition: int,
    made_with: str,
    kind: type[S],
    topic: str = STAGE2_STATE,
) -> tuple[int, S] | None:
    """The latest usable snapshot of a ``kind`` in a partition of ``topic`` (None: fold the
    input from its start)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers.split(","),
        enable_auto_commit=False,
        group_id=None,
        client_id=f"{kafka.client_id}-snapshot",
        max_partition_fetch_bytes=MAX_BYTES,
        fetch_max_bytes=MAX_BYTES,
    )
    await consumer.start()
    try:
        tp = TopicPartition(f"{kafka.topic_prefix}{topic}", partition)
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        begin = (await consumer.beginning_offsets([tp]))[tp]
        if end <= begin:
            return None
        consumer.seek(tp, end - 1)
        for _ in range(60):  # the record is there: this only waits for the fetch
            batch = await consumer.getmany(tp, timeout_ms=1000, max_records=1)
            for record in batch.get(tp, []):
                loaded = decode_state(record.value, made_with, kind)
                if loaded is None:
                    log.warning(
                        "%s[%s]: the snapshot was made with other settings or another format; "
                        "folding the input from its start",
                        topic,
                        partition,
                    )
                return loaded
        return None
    finally:
        await consumer.stop()
