"""The engine cut along Kafka partitions: what each distributed agent runs, still pure.

The distributed runtime (:mod:`trendmon.runtimes.distributed`) moves records between these pieces
through topics; everything here is deterministic and free of I/O, so a test can run the whole
partitioned pipeline in one process and compare it with the embedded :class:`Engine`:

- :class:`VideoPartition`: stage 1 for one partition of the snapshots topic (keyed by video).
  It turns snapshots into :class:`~trendmon.events.VideoDelta` and reports its event-time
  progress as a :class:`~trendmon.events.Watermark`, which the agent sends to *every* partition
  of the entity-keyed topic.
- :func:`route`: a batch of deltas becomes, per stage-2 partition, the deltas with the entities
  of each that the partition owns (by the same hash as Kafka's partitioner).
- :class:`EntityPartition`: stage 2 for one partition of the entity-keyed topic (the embedded
  engine runs one for all entities). A bucket closes only when every stage-1 partition is past
  it (the smallest watermark), and each delta is applied in a bucket fixed by stage 1 (see
  :class:`EntityPartition`), so each close sees the same deltas whichever partition and worker
  they came through, and in whatever order partitions interleave. Deltas applied twice (stage 1
  replayed after a crash) are skipped by their per-video sequence number.
- :class:`TickMerger`: ranks the boards from the :class:`~trendmon.events.BoardTick` of every
  stage-2 partition, once all of them have sent the tick (repeated ticks are ignored).

Stage 2 waits for every stage-1 partition to report before it closes its first bucket: a
snapshots partition that never carries data holds the boards back (the worker warns which).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from trendmon.engine.boards import Ranker
from trendmon.engine.state import register
from trendmon.engine.trends import Stage2
from trendmon.engine.velocity import Stage1
from trendmon.events import BoardTick, Spike, TrendScore, VideoDelta, VideoSnapshot, Watermark
from trendmon.partitioner import partition_for
from trendmon.settings import EngineSettings


@dataclass
class PartitionOutput:
    """What one call of a partition's ``process`` produced."""

    snapshots: list[VideoSnapshot] = field(default_factory=list)
    """The snapshots stage 1 accepted (they made deltas)."""
    deltas: list[VideoDelta] = field(default_factory=list)
    rejected: list[tuple[VideoSnapshot, str]] = field(default_factory=list)
    ticks: list[BoardTick] = field(default_factory=list)
    spikes: list[Spike] = field(default_factory=list)
    evicted: list[str] = field(default_factory=list)
    """Videos stage 1 forgot (idle for ``video_idle_s``): their stored state goes too."""


class VideoPartition:
    """Stage 1 for one snapshots partition."""

    def __init__(self, settings: EngineSettings | None = None, part: int = 0) -> None:
        self.part = part
        self.stage = Stage1(settings)  # one partition: its watermark is this partition's
        self.first_ms: int | None = None

    def process(self, snapshots: Iterable[VideoSnapshot]) -> PartitionOutput:
        out = PartitionOutput()
        stage = self.stage
        deltas = out.deltas
        for snap in snapshots:
            before = len(deltas)
            stage.process(snap, deltas)
            if len(deltas) > before:
                out.snapshots.append(snap)
                if self.first_ms is None:
                    # As the embedded engine: the first snapshot that makes deltas opens stage 2.
                    self.first_ms = min(d.collected_ms for d in deltas[before:])
        out.rejected = stage.counters.rejected
        stage.counters.rejected = []
        out.evicted = stage.evicted
        stage.evicted = []
        return out

    def watermark(self) -> Watermark | None:
        """Where this partition stands in event time (None before its first delta)."""
        if self.first_ms is None:
            return None
        return Watermark(part=self.part, at_ms=self.stage.watermark_ms, first_ms=self.first_ms)


def route(
    deltas: Iterable[VideoDelta], parts: int
) -> dict[int, tuple[list[VideoDelta], list[list[str]]]]:
    """Deltas by stage-2 partition, each with the entities of it that partition owns.

    A delta that carries spike evidence (a new video, or a sighting of one old enough to be
    tested for a push) also goes, with no entities, to every partition that owns none of its
    entities: each counts it into its market totals (:mod:`trendmon.engine.signals`), so that
    every partition compares its entities with the whole market.
    """
    routed: dict[int, tuple[list[VideoDelta], list[list[str]]]] = {
        q: ([], []) for q in range(parts)
    }
    for d in deltas:
        owned: dict[int, list[str]] = {}
        for key in d.entities:
            owned.setdefault(partition_for(key, parts), []).append(key)
        evidence = d.posted or d.eligible
        for q in range(parts):
            keys = owned.get(q)
            if keys is None:
                if not evidence:
                    continue
                keys = []
            batch = routed[q]
            batch[0].append(d)
            batch[1].append(keys)
    return {q: batch for q, batch in routed.items() if batch[0]}


class EntityPartition:
    """Stage 2 for one partition of the entity-keyed deltas topic (or for all entities).

    A delta is applied in its *release* bucket: its own bucket, or, when it is late, the bucket
    its stage-1 partition had reached when it was made (``wm_ms``). A bucket closes once every
    stage-1 partition's watermark is past it; by then every delta released in it is in, so the
    state at each close does not depend on how partitions interleave. Deltas released in a
    bucket that is not open yet are held.
    """

    def __init__(
        self,
        settings: EngineSettings | None,
        part: int,
        upstream: int,
    ) -> None:
        self.stage = Stage2(settings, part=part)
        self.upstream = upstream
        """Partitions of the snapshots topic (stage 1): all must report before the first close."""
        self.marks: dict[int, int] = {}
        self.first_ms: int | None = None
        self.held: dict[int, list[tuple[VideoDelta, Sequence[str] | None]]] = {}
        """Deltas (with the entities of each to apply, or None for all) by release bucket."""
        self._bucket_ms = self.stage.bucket_ms
        self._next_ms = -1
        """Event time at which the open bucket may close (-1: not open yet)."""

    @property
    def next_mark_ms(self) -> int:
        """A watermark below this closes nothing: :meth:`mark` can be skipped (-1: call it)."""
        return self._next_ms if len(self.marks) >= self.upstream else -1

    @property
    def open_end_ms(self) -> int:
        """A delta made before this (and before its watermark reached it) is applied at once,
        not held: the end of the open bucket (-1 before it opens)."""
        return self.stage.next_close_ms

    @property
    def waiting_for(self) -> list[int]:
        """Stage-1 partitions that have not reported yet."""
        return [p for p in range(self.upstream) if p not in self.marks]

    def delta(self, d: VideoDelta, keys: Sequence[str] | None = None) -> None:
        """Apply (or hold) a delta for the entities ``keys`` of it, or for all it names."""
        bucket = self._bucket_ms
        release = d.collected_ms // bucket
        wm = d.wm_ms // bucket
        if wm > release:
            release = wm
        stage = self.stage
        if stage.open_bucket is not None and release <= stage.open_bucket:
            stage.apply(d, keys)
        else:
            self.held.setdefault(release, []).append((d, keys))

    def watermark(self, mark: Watermark) -> None:
        """Record a stage-1 partition's progress and close every bucket all are past."""
        self.mark(mark.part, mark.at_ms, mark.first_ms)

    def mark(self, part: int, at_ms: int, first_ms: int) -> None:
        """:meth:`watermark` without the record."""
        marks = self.marks
        if at_ms > marks.get(part, -1):
            marks[part] = at_ms
        if self.first_ms is None or first_ms < self.first_ms:
            self.first_ms = first_ms
        if at_ms < self._next_ms or len(marks) < self.upstream:
            return
        stage = self.stage
        bucket = self._bucket_ms
        if stage.open_bucket is None:
            stage.advance(self.first_ms)
            self._release()
        assert stage.open_bucket is not None
        low = min(marks.values())
        while (stage.open_bucket + 1) * bucket <= low:
            stage.advance((stage.open_bucket + 1) * bucket)
            self._release()
        self._next_ms = (stage.open_bucket + 1) * bucket

    def _release(self) -> None:
        open_bucket = self.stage.open_bucket
        assert open_bucket is not None
        for b in sorted(b for b in self.held if b <= open_bucket):
            for d, keys in self.held.pop(b):
                self.stage.apply(d, keys)

    def drain(self) -> PartitionOutput:
        produced = self.stage.drain()
        return PartitionOutput(ticks=produced.ticks, spikes=produced.spikes)


class TickMerger:
    """Ranks boards once every stage-2 partition has sent its tick for a window and time."""

    def __init__(self, settings: EngineSettings | None = None, parts: int = 1) -> None:
        self.parts = parts
        self.ranker = Ranker((settings or EngineSettings()).board_size)
        self.pending: dict[tuple[str, int], dict[int, BoardTick]] = {}
        self.done: dict[str, int] = {}
        """Per window, the latest tick time ranked (older ticks are repeats)."""

    def add(self, tick: BoardTick) -> list[TrendScore]:
        if tick.at_ms <= self.done.get(tick.window, -1):
            return []
        key = (tick.window, tick.at_ms)
        got = self.pending.setdefault(key, {})
        got[tick.part] = tick
        if len(got) < self.parts:
            return []
        del self.pending[key]
        self.done[tick.window] = tick.at_ms
        return self.ranker.publish_ticks(got[p] for p in sorted(got))


# Checkpoints: the same state in both builds (see trendmon/engine/state.py).
register(PartitionOutput)
register(VideoPartition)
register(EntityPartition, lambda p: (p.stage.settings, p.stage.part, p.upstream))
register(TickMerger)
