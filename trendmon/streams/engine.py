"""The trend engine: both stages in one process, for the embedded runtime and for replays.

Pure and deterministic: snapshots in (in log order), outputs out, no clock, no I/O. The same log
always gives the same deltas, scores, spikes and boards::

    engine = Engine(EngineSettings())
    out = engine.process(snapshots)      # any batching gives the same results
    out.deltas, out.scores, out.spikes, out.rejected

The distributed runtime runs :class:`~trendmon.streams.velocity.Stage1` and
:class:`~trendmon.streams.trends.Stage2` in separate agents; this class only wires them directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from trendmon.events import Spike, TrendScore, VideoDelta, VideoSnapshot
from trendmon.settings import EngineSettings
from trendmon.streams.trends import Stage2
from trendmon.streams.velocity import Stage1


@dataclass
class EngineOutput:
    """What one call of :meth:`Engine.process` produced."""

    snapshots: list[VideoSnapshot] = field(default_factory=list)
    """The snapshots that were accepted (not duplicates, not refused)."""
    deltas: list[VideoDelta] = field(default_factory=list)
    scores: list[TrendScore] = field(default_factory=list)
    spikes: list[Spike] = field(default_factory=list)
    rejected: list[tuple[VideoSnapshot, str]] = field(default_factory=list)
    """Snapshots refused by the engine, with the reason (they go to the dead-letter topic)."""
    watermark_ms: int = 0


class Engine:
    """Stage 1 and stage 2 wired in one process."""

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings()
        self.stage1 = Stage1(self.settings)
        # Both stages live and are checkpointed together here, so stage 1 never hands stage 2
        # the same delta twice: the per-video dedup marks are only needed when distributed.
        self.stage2 = Stage2(self.settings, dedupe=False)
        self._hour = -1

    def process(self, snapshots: Iterable[VideoSnapshot]) -> EngineOutput:
        """Run a batch of snapshots through both stages."""
        out = EngineOutput()
        stage1, stage2 = self.stage1, self.stage2
        deltas = out.deltas
        accepted = out.snapshots
        for snap in snapshots:
            before = len(deltas)
            stage1.process(snap, deltas)
            if len(deltas) == before:
                continue
            accepted.append(snap)
            for d in deltas[before:]:
                if d.collected_ms >= stage2.next_close_ms:
                    stage2.advance(d.collected_ms)
                    self._hourly()
                stage2.apply(d)
        produced = stage2.drain()
        out.scores = produced.scores
        out.spikes = produced.spikes
        out.rejected = stage1.counters.rejected
        stage1.counters.rejected = []
        out.watermark_ms = stage1.watermark_ms
        return out

    def _hourly(self) -> None:
        # Driven by event time inside the stream, never by batch boundaries, so that any batching
        # of the same log evicts the same videos at the same point.
        hour = self.stage2.closed // self.stage2.bph
        if hour > self._hour:
            self._hour = hour
            self.stage1.evict(self.stage2.closed * self.stage2.bucket_ms)
