"""What the distributed runtime's agents do, as plain classes that the tests run without Faust.

Each class takes one partition's records (:class:`~trendmon.log.base.Record`: offset, value,
timestamp) and returns an :class:`Output`: the records to send (topic, partition, bytes), the
dead letters, and for stage 1 the changes of its ``video-state`` table. The agents
(:mod:`trendmon.runtimes.distributed`) keep the I/O: they send, wait for the broker's
acknowledgements, then write the table, load snapshots and replay partitions; the order they
do it in is what makes delivery exact (see that module's docstring).

- :class:`VideoStage`: stage 1 over the ``snapshots`` partitions a worker holds. It drops what
  it cached of a partition that arrives at an offset it did not expect (the table, restored
  from its changelog, is right; the cache may not be), loads each video's state from the
  table, decodes, runs :class:`~trendmon.engine.partitioned.VideoPartition`, and routes the
  deltas into :class:`~trendmon.events.EntityBatch` records, one series per stage-2 partition.
- :class:`EntityStage`: stage 2 over the ``entity-deltas`` partitions. It says when a partition
  must be rebuilt (an offset it did not expect, other than records it holds already, delivered
  again), takes the loaded snapshot and the replayed records, skips what its state covers, and
  says when a snapshot is due.
- :class:`BoardRanking`: the ranker over the one ``board-ticks`` partition, rebuilt the same way.
- :class:`ForecastStage`: the hourly forecasts over the one ``forecast-input`` partition, which
  stage 1 feeds the snapshots it accepted (when forecasts are on), rebuilt the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import msgspec

from trendmon.engine.partitioned import EntityPartition, TickMerger, VideoPartition, route
from trendmon.engine.velocity import VideoState
from trendmon.events import BoardTick, EntityBatch, ForecastBatch, SinkBatch, TrendScore, encode
from trendmon.forecast.forecaster import HourlyForecasts
from trendmon.forecast.partitioned import PartitionedForecasts
from trendmon.log.base import Message, Record
from trendmon.runtimes.decoding import decode
from trendmon.settings import EngineSettings
from trendmon.sinks.history import forecast_records

log = logging.getLogger(__name__)

ENTITY_DELTAS = "entity-deltas"
DELTAS = "deltas"
BOARD_TICKS = "board-ticks"
SCORES = "scores"
SPIKES = "spikes"
FORECAST_INPUT = "forecast-input"

CHUNK = 250
"""Items per batch record (a Kafka record stays well under the broker's 1 MB)."""

_entity_batch = msgspec.json.Decoder(EntityBatch)
_tick = msgspec.json.Decoder(BoardTick)
_forecast_batch = msgspec.json.Decoder(ForecastBatch)


@dataclass(frozen=True, slots=True)
class Send:
    """One record for a topic (its name without the prefix), in an explicit partition."""

    topic: str
    partition: int
    value: bytes


@dataclass(frozen=True, slots=True)
class StateChange:
    """One key of stage 1's ``video-state`` table set (or, with None, deleted)."""

    partition: int
    key: bytes
    value: bytes | None


@dataclass
class Output:
    """What one partition's records made, for the agent to send and then store."""

    sends: list[Send] = field(default_factory=list)
    dead: list[Message] = field(default_factory=list)
    """Dead letters, keyed by their origin (not partitioned explicitly)."""
    state: list[StateChange] = field(default_factory=list)
    """Stage 1's table changes: written only once the broker holds every send and letter."""


def mark_key(partition: int) -> bytes:
    """The table key of a stage-1 partition's watermark and first delta time."""
    return f"__wm__:{partition}".encode()


def dump_state(state: VideoState) -> bytes:
    return msgspec.json.encode(state.dump())


def load_state(raw: bytes) -> VideoState:
    return VideoState.load(msgspec.json.decode(raw))


class VideoStage:
    """Stage 1 over the ``snapshots`` partitions a worker holds.

    ``stored`` reads the ``video-state`` table (None for a key it does not hold); the agent
    writes :attr:`Output.state` to it once the outputs are acknowledged.
    """

    def __init__(
        self,
        settings: EngineSettings,
        parts: int,
        stored: Callable[[bytes], bytes | None],
        *,
        forecasts: bool = False,
    ) -> None:
        self.settings = settings
        self.parts = parts
        """Partitions of ``entity-deltas`` (stage 2)."""
        self.stored = stored
        self.forecasts = forecasts
        """Send the accepted snapshots to ``forecast-input`` too."""
        self.partitions: dict[int, VideoPartition] = {}
        self.expect: dict[int, int] = {}
        """Per partition, the offset of the record that should come next."""

    def process(self, p: int, records: Sequence[Record]) -> Output:
        """Run one partition's records (in offset order) through stage 1."""
        if self.expect.get(p) != records[0].offset:
            # Started, restarted or handed this partition: what is cached here may be stale,
            # the table is not (it is restored from its changelog).
            self.partitions.pop(p, None)
        self.expect[p] = records[-1].offset + 1
        part = self.partitions.get(p)
        if part is None:
            part = self.partitions[p] = VideoPartition(self.settings, p)
            raw_mark = self.stored(mark_key(p))
            if raw_mark is not None:
                part.stage.marks[0], part.first_ms = msgspec.json.decode(raw_mark)
        decoded = decode(records)
        videos = part.stage.videos
        for snap in decoded.snapshots:
            vid = snap.video_id
            if vid not in videos:
                raw = self.stored(vid.encode())
                if raw is not None:
                    loaded = videos[vid] = load_state(raw)
                    # A crash can leave the video's state newer than the partition's mark: its
                    # watermark was at least that far.
                    marks = part.stage.marks
                    marks[0] = max(marks[0], loaded.last_ms)
        made = part.process(decoded.snapshots)
        decoded.refuse(made.rejected)
        out = Output(dead=decoded.dead)
        for i in range(0, max(len(made.snapshots), len(made.deltas)), CHUNK):
            batch = SinkBatch(
                snapshots=made.snapshots[i : i + CHUNK], deltas=made.deltas[i : i + CHUNK]
            )
            out.sends.append(Send(DELTAS, p, encode(batch)))
        if self.forecasts:
            for i in range(0, len(made.snapshots), CHUNK):
                fb = ForecastBatch(part=p, snapshots=made.snapshots[i : i + CHUNK])
                out.sends.append(Send(FORECAST_INPUT, 0, encode(fb)))
        mark = part.watermark()
        routed = route(made.deltas, self.parts)
        for q in range(self.parts):
            ds, keys = routed.get(q, ([], []))
            if not ds and mark is None:
                continue
            for i in range(0, max(len(ds), 1), CHUNK):
                record = EntityBatch(
                    part=p,
                    deltas=ds[i : i + CHUNK],
                    entities=keys[i : i + CHUNK],
                    mark=mark if i + CHUNK >= len(ds) else None,
                )
                out.sends.append(Send(ENTITY_DELTAS, q, encode(record)))
        # The table's changes: forgotten videos go, then the state of every video seen.
        for vid in made.evicted:
            if self.stored(vid.encode()) is not None:
                out.state.append(StateChange(p, vid.encode(), None))
        seen = dict.fromkeys(snap.video_id for snap in decoded.snapshots)
        for vid in seen:
            st = videos.get(vid)
            if st is not None:
                out.state.append(StateChange(p, vid.encode(), dump_state(st)))
        if seen:
            where = msgspec.json.encode([part.stage.marks[0], part.first_ms])
            out.state.append(StateChange(p, mark_key(p), where))
        return out


S = TypeVar("S")


class _Rebuilt(Generic[S]):
    """A fold of its input partitions that holds no table: rebuilt from a snapshot and replay.

    The agent asks ``must_rebuild`` before a partition's records; if so it calls
    :meth:`restore` with the partition's latest usable snapshot, replays the partition from
    the offset that returns up to the records' first, then processes the records.
    """

    def __init__(self, snapshot_interval_s: float) -> None:
        self.snapshot_interval_s = snapshot_interval_s
        self.states: dict[int, S] = {}
        self.expect: dict[int, int] = {}
        """Per partition, the offset of the record that should come next."""
        self.covered: dict[int, int] = {}
        """Per partition, the input offset its loaded snapshot covers (records below are in it:
        their outputs were acknowledged before it was written)."""
        self._due: dict[int, float] = {}

    def restore(self, p: int, loaded: tuple[int, S] | None) -> int:
        """Start partition ``p`` over from a snapshot (None: from nothing); return the offset
        to replay from."""
        self.states.pop(p, None)
        start = 0
        if loaded is not None:
            start, self.states[p] = loaded
        self.covered[p] = start
        self._due[p] = 0.0  # one after the first batch, then on the interval
        return start

    def snapshots_due(self, partitions: Iterable[int], now: float) -> list[tuple[int, int, S]]:
        """The states to snapshot now (``now``: a monotonic clock), with the offset each covers.

        Call only once the broker holds every output of the records they cover.
        """
        due: list[tuple[int, int, S]] = []
        if self.snapshot_interval_s <= 0:
            return due
        for p in partitions:
            if now < self._due.get(p, 0.0) or p not in self.states:
                continue
            self._due[p] = now + self.snapshot_interval_s
            due.append((p, max(self.expect[p], self.covered.get(p, 0)), self.states[p]))
        return due


class EntityStage(_Rebuilt[EntityPartition]):
    """Stage 2 over the ``entity-deltas`` partitions a worker holds."""

    def __init__(
        self, settings: EngineSettings, upstream: int, snapshot_interval_s: float = 0.0
    ) -> None:
        super().__init__(snapshot_interval_s)
        self.settings = settings
        self.upstream = upstream
        """Partitions of ``snapshots`` (stage 1), every one of which must report."""
        self._said: dict[int, list[int]] = {}

    def _redelivered(self, p: int, first: int) -> bool:
        # Delivered again from an earlier offset (a seek to the committed one): this state
        # already holds those records, and their outputs were sent.
        return p in self.states and first < self.expect.get(p, 0)

    def must_rebuild(self, p: int, first: int) -> bool:
        """Whether partition ``p``, arriving at offset ``first``, must be rebuilt first."""
        return not self._redelivered(p, first) and self.expect.get(p) != first

    def replayed(self, p: int, value: bytes) -> None:
        """Fold one replayed record (its outputs were sent when it was first processed)."""
        self._apply(p, value)

    def resumed(self, p: int) -> None:
        """The replay is done: drop what it made, which was sent before."""
        self.states.setdefault(p, EntityPartition(self.settings, p, self.upstream)).drain()

    def _apply(self, p: int, value: bytes) -> EntityPartition:
        part = self.states.get(p)
        if part is None:
            part = self.states[p] = EntityPartition(self.settings, p, self.upstream)
        batch = _entity_batch.decode(value)
        for d, keys in zip(batch.deltas, batch.entities, strict=True):
            part.delta(d, keys)
        if batch.mark is not None:
            part.watermark(batch.mark)
        return part

    def process(self, p: int, records: Sequence[Record]) -> Output:
        """Fold one partition's records; the ticks and spikes they close are to send."""
        first = records[0].offset
        redelivered = self._redelivered(p, first)
        if redelivered:
            self.covered[p] = max(self.covered.get(p, 0), self.expect[p])
            log.info("stage 2 partition %s: offsets from %s again, already held", p, first)
        last = records[-1].offset + 1
        self.expect[p] = max(self.expect[p], last) if redelivered else last
        # Records the snapshot covers: their outputs were acknowledged before it.
        fresh = [r.value for r in records if r.offset >= self.covered.get(p, 0)]
        out = Output()
        if not fresh:
            return out
        for value in fresh:
            self._apply(p, value)
        part = self.states[p]
        made = part.drain()
        out.sends += [Send(BOARD_TICKS, 0, encode(tick)) for tick in made.ticks]
        if made.spikes:
            out.sends.append(Send(SPIKES, p, encode(SinkBatch(spikes=made.spikes))))
        waiting = part.waiting_for
        if waiting and waiting != self._said.get(p):
            self._said[p] = waiting
            log.warning(
                "stage 2 partition %s waits for snapshots partitions %s, which have carried no "
                "data yet: boards are held until they do",
                p,
                waiting,
            )
        return out


class _OnePartition(_Rebuilt[S]):
    """A fold of a one-partition topic (partition 0): the ranker, the forecasts."""

    def must_rebuild(self, first: int) -> bool:
        """Whether the fold, given records from offset ``first``, must be rebuilt first."""
        return self.expect.get(0) != first

    def replayed(self, value: bytes) -> None:
        """Fold one replayed record (what it made was sent when it first came)."""
        self._apply(value)

    def _apply(self, value: bytes) -> object:
        raise NotImplementedError

    def _fresh(self, records: Sequence[Record]) -> list[bytes]:
        """The values of ``records`` to fold: not those below the loaded snapshot's offset,
        which are in it already (what they made was sent before it was written)."""
        covered = self.covered.get(0, 0)
        self.expect[0] = records[-1].offset + 1
        return [r.value for r in records if r.offset >= covered]


class BoardRanking(_OnePartition[TickMerger]):
    """The ranker over the one ``board-ticks`` partition (partition 0)."""

    def __init__(
        self, settings: EngineSettings, parts: int, snapshot_interval_s: float = 0.0
    ) -> None:
        super().__init__(snapshot_interval_s)
        self.settings = settings
        self.parts = parts
        """Partitions of ``entity-deltas`` (stage 2), each of which sends its ticks."""

    def _apply(self, value: bytes) -> list[TrendScore]:
        merger = self.states.get(0)
        if merger is None:
            merger = self.states[0] = TickMerger(self.settings, self.parts)
        return merger.add(_tick.decode(value))

    def process(self, records: Sequence[Record]) -> Output:
        """Merge the ticks; the boards they complete are to send."""
        made: list[TrendScore] = []
        for value in self._fresh(records):
            made += self._apply(value)
        out = Output()
        for i in range(0, len(made), CHUNK):
            out.sends.append(Send(SCORES, 0, encode(SinkBatch(scores=made[i : i + CHUNK]))))
        return out


class ForecastStage(_OnePartition[PartitionedForecasts]):
    """The hourly forecasts over the one ``forecast-input`` partition (partition 0).

    ``model`` is what the worker loaded (:func:`~trendmon.runtimes.forecasts.open_forecasts`):
    its model (or none, with its notice) is what every state here scores with, also one
    restored from a snapshot (the model file wins, as in the embedded runtime's checkpoint).
    """

    def __init__(
        self, model: HourlyForecasts, upstream: int, snapshot_interval_s: float = 0.0
    ) -> None:
        super().__init__(snapshot_interval_s)
        self.model = model
        self.upstream = upstream
        """Partitions of ``snapshots`` (stage 1), every one of which must report."""
        self._said: list[int] = []

    def restore(self, p: int, loaded: tuple[int, PartitionedForecasts] | None) -> int:
        start = super().restore(p, loaded)
        state = self.states.get(0)
        if state is not None:
            state.hourly.forecaster = self.model.forecaster
            state.hourly.notice = self.model.notice
        return start

    def _apply(self, value: bytes) -> list[dict[str, object]]:
        state = self.states.get(0)
        if state is None:
            state = self.states[0] = PartitionedForecasts(self.model.fresh(), self.upstream)
        batch = _forecast_batch.decode(value)
        return forecast_records(*state.add(batch.part, batch.snapshots))

    def process(self, records: Sequence[Record]) -> list[dict[str, object]]:
        """Feed the snapshots; the forecast records of the hours they complete, to store."""
        made: list[dict[str, object]] = []
        for value in self._fresh(records):
            made += self._apply(value)
        waiting = self.states[0].waiting_for if 0 in self.states else []
        if waiting and waiting != self._said:
            self._said = waiting
            log.warning(
                "the forecasts wait for snapshots partitions %s, which have carried no data "
                "yet: no hour is scored until they do",
                waiting,
            )
        return made
