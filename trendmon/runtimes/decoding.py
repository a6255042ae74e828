"""Snapshot records in, snapshots and dead letters out: the one decoding both runtimes share.

A record that is not a valid snapshot, and a snapshot stage 1 refuses, becomes a dead letter
named by its origin, ``topic@partition:offset``, its reason and its bytes, so that the same
record processed again after a crash makes the same letter (the embedded log stores it once;
on Kafka it is keyed by its origin). The partition is the one its offset counts in: the
record's on Kafka, 0 on the embedded log, whose offsets run across the topic's partitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from trendmon.errors import SchemaError
from trendmon.events import VideoSnapshot, decode_snapshot, utc
from trendmon.log.base import Message, Record
from trendmon.log.dead_letters import Rejected


def origin(record: Record, *, one_sequence: bool = False) -> str:
    """Where a record was read, the dead letter's origin and key: ``snapshots@3:1200``.

    ``one_sequence``: the offsets run across the topic's partitions (the embedded log), so the
    origin names partition 0, whichever partition the record's key hashes to.
    """
    partition = 0 if one_sequence else record.partition
    return f"{record.topic}@{partition}:{record.offset}"


def dead_letter(
    record: Record,
    reason: str,
    snapshot: VideoSnapshot | None = None,
    *,
    one_sequence: bool = False,
) -> Message:
    """The dead letter of ``record``, at the snapshot's time if it decoded, else the record's.

    Bytes that are not UTF-8 are kept whole (``raw_b64``).
    """
    at = snapshot.collected_at if snapshot is not None else _record_time(record)
    where = origin(record, one_sequence=one_sequence)
    return Rejected(reason=reason, origin=where, raw=record.value).message(at)


def _record_time(record: Record) -> datetime:
    return utc(record.timestamp_ms / 1000)


@dataclass
class Decoded:
    """A batch of records as snapshots, and the dead letters of those that are not."""

    snapshots: list[VideoSnapshot] = field(default_factory=list)
    dead: list[Message] = field(default_factory=list)
    one_sequence: bool = False
    """The records come from the embedded log (see :func:`origin`)."""
    _records: dict[int, Record] = field(default_factory=dict)
    """The record of each snapshot (by its id), to name a refused one's origin."""

    def refuse(self, rejected: Iterable[tuple[VideoSnapshot, str]]) -> None:
        """Add the dead letters of the snapshots stage 1 refused (with its reasons)."""
        for snap, reason in rejected:
            record = self._records[id(snap)]
            self.dead.append(dead_letter(record, reason, snap, one_sequence=self.one_sequence))


def decode(records: Iterable[Record], *, one_sequence: bool = False) -> Decoded:
    """Decode snapshot records, in order; what does not decode becomes a dead letter.

    ``one_sequence``: they come from the embedded log (see :func:`origin`).
    """
    out = Decoded(one_sequence=one_sequence)
    for record in records:
        try:
            snap = decode_snapshot(record.value)
        except SchemaError as exc:
            out.dead.append(dead_letter(record, str(exc), one_sequence=one_sequence))
            continue
        out._records[id(snap)] = record
        out.snapshots.append(snap)
    return out
