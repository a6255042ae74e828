"""The trend engine: both stages in one process, for the embedded runtime and for replays.

Pure and deterministic: snapshots in (in log order), outputs out, no clock, no I/O. The same log
always gives the same deltas, scores, spikes and boards::

    engine = Engine(EngineSettings())
    out = engine.process(snapshots)      # any batching gives the same results
    out.deltas, out.scores, out.spikes, out.rejected

The distributed runtime runs :class:`~trendmon.engine.velocity.Stage1` and
:class:`~trendmon.engine.trends.Stage2` in separate agents; this class only wires them directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from trendmon.engine.boards import Ranker
from trendmon.engine.partitioned import EntityPartition
from trendmon.engine.state import register
from trendmon.engine.velocity import Stage1
from trendmon.events import Spike, TrendScore, VideoDelta, VideoSnapshot
from trendmon.settings import EngineSettings


@dataclass
class EngineOutput:
    """What one call of :meth:`Engine.process` produced."""

    accepted: list[int] = field(default_factory=list)
    """Positions, in the order given, of the snapshots that were accepted (not duplicates, not
    refused): the engine keeps no reference to its input, so that a caller that streams
    snapshots in need not hold them (see :meth:`select`)."""
    accepted_ms: list[int] = field(default_factory=list)
    """Their collection times in epoch ms (``int(collected_at.timestamp() * 1000)``), as the
    engine read them: the hourly forecasts need them too."""
    accepted_videos: list[int] = field(default_factory=list)
    """Their videos' numbers in stage 1's ``numbering`` (see :class:`Stage1`; -1: none), so
    that the forecasts need not look each video up again (only with
    :attr:`Engine.reads_for_forecasts`)."""
    accepted_plays: list[int] = field(default_factory=list)
    """Their plays as the snapshots say (``stats.plays``), read while they are at hand (only
    with :attr:`Engine.reads_for_forecasts`)."""
    numbering: int = 0
    deltas: list[VideoDelta] = field(default_factory=list)
    scores: list[TrendScore] = field(default_factory=list)
    spikes: list[Spike] = field(default_factory=list)
    rejected: list[tuple[VideoSnapshot, str]] = field(default_factory=list)
    """Snapshots refused by the engine, with the reason (they go to the dead-letter topic)."""
    watermark_ms: int = 0

    def select(self, snapshots: Sequence[VideoSnapshot]) -> list[VideoSnapshot]:
        """The accepted ones of the ``snapshots`` that were processed."""
        return [snapshots[i] for i in self.accepted]


class Engine:
    """Stage 1 and stage 2 wired in one process.

    ``partitions`` is the partition count of the snapshots topic whose log is processed: stage 1
    keeps a watermark per partition and stage 2 closes a bucket when all are past it, as the
    distributed runtime does, so that both give the same boards and spikes from the same log.
    With 1 (the embedded runtime's default) a bucket closes on the first later snapshot.
    """

    def __init__(self, settings: EngineSettings | None = None, *, partitions: int = 1) -> None:
        self.settings = settings or EngineSettings()
        self.stage1 = Stage1(self.settings, partitions=partitions)
        # Both stages live and are checkpointed together here, so stage 1 never hands stage 2
        # the same delta twice: the per-video dedup marks are only needed when distributed.
        self.entities = EntityPartition(self.settings, 0, partitions)
        self.stage2 = self.entities.stage
        self.ranker = Ranker(self.settings.board_size)
        self._first: list[int | None] = [None] * partitions
        self.reads_for_forecasts = False
        """Hand over the accepted snapshots' video numbers and plays (the hourly forecasts read
        them): under 1% of the engine's time, and only when a runtime scores forecasts."""

    def process(self, snapshots: Iterable[VideoSnapshot]) -> EngineOutput:
        """Run a batch of snapshots through both stages."""
        out = EngineOutput()
        stage1, entities = self.stage1, self.entities
        marks, first = stage1.marks, self._first
        deltas = out.deltas
        # Lists appended to directly: compiled, an append is a call in C, not a bound method's.
        accepted, accepted_ms = out.accepted, out.accepted_ms
        videos, plays = out.accepted_videos, out.accepted_plays
        process, feed = stage1.process, entities.delta
        hand_over = self.reads_for_forecasts
        out.numbering = stage1.numbering
        apply = entities.stage.apply
        single = stage1.partitions == 1
        # The per-snapshot path, kept lean: a delta that is not held goes straight to stage 2,
        # and with one partition nothing closes below the next mark.
        limit, next_mark = entities.open_end_ms, entities.next_mark_ms
        for pos, snap in enumerate(snapshots):
            before = len(deltas)
            process(snap, deltas)
            made = len(deltas) - before
            if not made:
                continue
            accepted.append(pos)
            accepted_ms.append(stage1.ts)
            if hand_over:
                videos.append(stage1.number)
                plays.append(snap.stats.plays)
            if made == 1:
                d = deltas[before]
                if d.collected_ms < limit and d.wm_ms < limit:
                    apply(d)
                else:
                    feed(d)
            else:
                for d in deltas[before:]:
                    feed(d)
            part = 0 if single else stage1.videos[snap.video_id].part
            mark = first[part]
            if mark is None:
                mark = first[part] = min(d.collected_ms for d in deltas[before:])
            if not single or marks[part] >= next_mark:
                entities.mark(part, marks[part], mark)
                limit, next_mark = entities.open_end_ms, entities.next_mark_ms
        stage1.evicted.clear()
        produced = entities.drain()
        publish = self.ranker.publish_ticks
        out.scores = [score for tick in produced.ticks for score in publish((tick,))]
        out.spikes = produced.spikes
        out.rejected = stage1.counters.rejected
        stage1.counters.rejected = []
        out.watermark_ms = stage1.watermark_ms
        return out


# Checkpoints: the same state in both builds (see trendmon/engine/state.py).
register(EngineOutput)
register(Engine)
