"""Where a keyed record goes: Kafka's default partitioner, shared by the log and the engine.

The log places a record by its key (the embedded log and Kafka agree on it), and the engine cuts
its work along the same lines (a video's stage-1 owner, an entity's stage-2 owner), so both
import it from here, the bottom of the package, rather than one from the other.
"""

from __future__ import annotations

from functools import lru_cache


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
