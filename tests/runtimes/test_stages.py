"""The distributed runtime's stages, the very classes its agents run, in one process.

Topics are lists, a worker is the three classes of :mod:`trendmon.runtimes.stages` driven in
the order the agents drive them (send, then write the table; rebuild when told; snapshot when
due), and its boards and spikes are compared byte for byte with the embedded engine's.
Crashes are made where the agents can crash: stage 1 after sending but before writing its
table, stage 2 and the ranker after sending but before their input offsets are committed.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec
import pytest

from trendmon.engine.engine import Engine
from trendmon.engine.partitioned import EntityPartition, TickMerger
from trendmon.engine.windows import HOUR_MS
from trendmon.events import DeadLetter, SinkBatch, Spike, TrendScore, VideoSnapshot, encode
from trendmon.log.base import SNAPSHOTS, Message, Record
from trendmon.partitioner import partition_for
from trendmon.producers.simulator.observe import Simulation
from trendmon.runtimes import snapshots as snapshot
from trendmon.runtimes.stages import (
    BOARD_TICKS,
    ENTITY_DELTAS,
    SCORES,
    SPIKES,
    BoardRanking,
    EntityStage,
    Output,
    VideoStage,
)
from trendmon.settings import EngineSettings, SimulatorSettings

SETTINGS = EngineSettings()
_sink_batch = msgspec.json.Decoder(SinkBatch)


@pytest.fixture(scope="module")
def snapshots() -> list[VideoSnapshot]:
    sim = Simulation(SimulatorSettings(videos=600, creators=150, hours=14, seed=4))
    return list(itertools.islice(sim.snapshots(), 150_000))


@pytest.fixture(scope="module")
def few() -> list[VideoSnapshot]:
    sim = Simulation(SimulatorSettings(videos=200, creators=60, hours=8, seed=6))
    return list(itertools.islice(sim.snapshots(), 30_000))


def embedded(
    snaps: list[VideoSnapshot], partitions: int = 1
) -> tuple[list[TrendScore], list[Spike]]:
    engine = Engine(SETTINGS, partitions=partitions)
    scores: list[TrendScore] = []
    spikes: list[Spike] = []
    for i in range(0, len(snaps), 2500):
        out = engine.process(snaps[i : i + 2500])
        scores += out.scores
        spikes += out.spikes
    return scores, spikes


@dataclass
class Topics:
    """Every topic as lists of values, by partition; an offset is an index."""

    held: dict[tuple[str, int], list[bytes]] = field(default_factory=lambda: defaultdict(list))
    dead: list[Message] = field(default_factory=list)

    def send(self, out: Output) -> None:
        for s in out.sends:
            self.held[s.topic, s.partition].append(s.value)
        self.dead += out.dead

    def records(
        self, topic: str, partition: int, start: int, stop: int | None = None
    ) -> list[Record]:
        values = self.held[topic, partition][start:stop]
        return [Record(topic, partition, start + i, None, 0, v) for i, v in enumerate(values)]

    def batches(self, topic: str) -> list[SinkBatch]:
        return [_sink_batch.decode(v) for (t, _), vs in self.held.items() if t == topic for v in vs]


@dataclass
class Crashes:
    """Every how many batches each stage crashes (0: never)."""

    stage_one: int = 0
    stage_two: int = 0
    ranker: int = 0
    seek_back: int = 0
    """Every how many stage-2 batches its input is delivered again from an earlier offset,
    without a restart (a seek to the committed offset)."""


class Worker:
    """The three agents of one worker, doing their I/O on :class:`Topics`."""

    def __init__(self, topics: Topics, upstream: int, parts: int, crashes: Crashes) -> None:
        self.topics = topics
        self.upstream = upstream
        self.parts = parts
        self.crashes = crashes
        self.table: dict[bytes, bytes] = {}
        self.state: dict[tuple[str, int], bytes] = {}
        """The snapshot topics: the latest snapshot of each stage-2 partition and the ranker."""
        self.made_with = snapshot.fingerprint(SETTINGS, parts)
        self.committed: dict[tuple[str, int], int] = defaultdict(int)
        self.batches: dict[str, int] = defaultdict(int)
        self.one = VideoStage(SETTINGS, parts, self.table.get)
        self.two = EntityStage(SETTINGS, upstream, snapshot_interval_s=5)
        self.ranking = BoardRanking(SETTINGS, parts, snapshot_interval_s=5)

    def _crashes(self, stage: str, every: int) -> bool:
        self.batches[stage] += 1
        return every > 0 and self.batches[stage] % every == 0

    def stage_one(self, p: int, limit: int) -> bool:
        start = self.committed[SNAPSHOTS, p]
        records = self.topics.records(SNAPSHOTS, p, start, start + limit)
        if not records:
            return False
        out = self.one.process(p, records)
        self.topics.send(out)
        if self._crashes("stage one", self.crashes.stage_one):
            # Killed once its outputs were acknowledged, before its table was written: a new
            # worker gets the batch again, with what the table held before it.
            self.one = VideoStage(SETTINGS, self.parts, self.table.get)
            return True
        for change in out.state:
            if change.value is None:
                del self.table[change.key]
            else:
                self.table[change.key] = change.value
        self.committed[SNAPSHOTS, p] = records[-1].offset + 1
        return True

    def stage_two(self, q: int) -> None:
        start = self.committed[ENTITY_DELTAS, q]
        records = self.topics.records(ENTITY_DELTAS, q, start)
        if not records:
            return
        first = records[0].offset
        if self.two.must_rebuild(q, first):
            latest = self.state.get((snapshot.STAGE2_STATE, q))
            loaded = None
            if latest is not None:
                loaded = snapshot.decode_state(latest, self.made_with, EntityPartition)
            begin = self.two.restore(q, loaded)
            for record in self.topics.records(ENTITY_DELTAS, q, begin, first):
                self.two.replayed(q, record.value)
            self.two.resumed(q)
        self.topics.send(self.two.process(q, records))
        now = self.batches["stage two"]
        for p, offset, state in self.two.snapshots_due([q], now):
            value = snapshot.encode_state(state, offset, self.made_with)
            self.state[snapshot.STAGE2_STATE, p] = value
        end = records[-1].offset + 1
        if self._crashes("stage two", self.crashes.stage_two):
            # Killed before its offsets were committed (they are on a timer): a new worker
            # gets the partition from some way back.
            self.two = EntityStage(SETTINGS, self.upstream, snapshot_interval_s=5)
            end = max(start, end - 3)
        elif self.crashes.seek_back and self.batches["stage two"] % self.crashes.seek_back == 0:
            end = max(start, end - 3)
        self.committed[ENTITY_DELTAS, q] = end

    def rank(self) -> None:
        start = self.committed[BOARD_TICKS, 0]
        records = self.topics.records(BOARD_TICKS, 0, start)
        if not records:
            return
        first = records[0].offset
        if self.ranking.must_rebuild(first):
            latest = self.state.get((snapshot.RANKER_STATE, 0))
            loaded = None
            if latest is not None:
                loaded = snapshot.decode_state(latest, self.made_with, TickMerger)
            begin = self.ranking.restore(0, loaded)
            for record in self.topics.records(BOARD_TICKS, 0, begin, first):
                self.ranking.replayed(record.value)
        self.topics.send(self.ranking.process(records))
        now = self.batches["ranker"]
        for _, offset, state in self.ranking.snapshots_due([0], now):
            value = snapshot.encode_state(state, offset, self.made_with)
            self.state[snapshot.RANKER_STATE, 0] = value
        end = records[-1].offset + 1
        if self._crashes("ranker", self.crashes.ranker):
            self.ranking = BoardRanking(SETTINGS, self.parts, snapshot_interval_s=5)
            end = max(start, end - 2)
        self.committed[BOARD_TICKS, 0] = end


def distributed(
    snaps: Sequence[bytes | VideoSnapshot],
    upstream: int,
    parts: int,
    crashes: Crashes | None = None,
) -> tuple[list[TrendScore], list[Spike], Worker]:
    """Publish ``snaps`` to ``upstream`` partitions and run one worker over them until done:
    stage 1's partitions read at uneven speeds, stage 2 on ``parts`` partitions."""
    topics = Topics()
    for item in snaps:
        if isinstance(item, bytes):
            topics.held[SNAPSHOTS, 0].append(item)  # poison, among partition 0's records
        else:
            topics.held[SNAPSHOTS, partition_for(item.video_id, upstream)].append(encode(item))
    worker = Worker(topics, upstream, parts, crashes or Crashes())
    busy = True
    while busy:
        busy = False
        for p in range(upstream):
            # Partitions move at different speeds, as consumers do on a backlog.
            busy |= worker.stage_one(p, 700 * (p + 1))
        for q in reversed(range(parts)):
            worker.stage_two(q)
        worker.rank()
    def behind(q: int) -> bool:
        return worker.committed[ENTITY_DELTAS, q] < len(topics.held[ENTITY_DELTAS, q])

    while any(behind(q) for q in range(parts)):
        for q in reversed(range(parts)):
            worker.stage_two(q)
        worker.rank()
    while worker.committed[BOARD_TICKS, 0] < len(topics.held[BOARD_TICKS, 0]):
        worker.rank()
    scores = [s for b in topics.batches(SCORES) for s in b.scores]
    spikes = [s for b in topics.batches(SPIKES) for s in b.spikes]
    return scores, spikes, worker


def _bytes(events: list[TrendScore] | list[Spike]) -> list[bytes]:
    return sorted(encode(e) for e in events)


def _distinct(events: list[TrendScore] | list[Spike]) -> list[bytes]:
    return sorted({encode(e) for e in events})


@pytest.mark.parametrize(("upstream", "parts"), [(1, 1), (3, 4)])
def test_the_stages_give_the_embedded_boards_and_spikes(
    snapshots: list[VideoSnapshot], upstream: int, parts: int
) -> None:
    want_scores, want_spikes = embedded(snapshots, upstream)
    got_scores, got_spikes, _ = distributed(snapshots, upstream, parts)
    # The embedded engine closes a bucket on the first later delta; the partitioned one when
    # every partition is past it, so it may be one bucket behind at the very end of the log.
    last = max(s.at_ms for s in got_scores)
    assert last >= max(s.at_ms for s in want_scores) - 300_000
    assert last > min(s.at_ms for s in want_scores) + 6 * HOUR_MS
    want = [s for s in want_scores if s.at_ms <= last]
    assert len(want) > 10_000
    assert _bytes(got_scores) == _bytes(want)
    assert _bytes(got_spikes) == _bytes([s for s in want_spikes if s.detected_ms <= last])


def test_crashes_anywhere_change_no_board_and_no_spike(few: list[VideoSnapshot]) -> None:
    scores, spikes, calm = distributed(few, 2, 3)
    assert len(scores) > 1000 and spikes
    crashes = Crashes(stage_one=4, stage_two=7, ranker=3)
    got_scores, got_spikes, worker = distributed(few, 2, 3, crashes)
    # Stage 1 made its deltas again, with the same seq, and stage 2 skipped them.
    duplicates = sum(part.stage.counters.duplicates for part in worker.two.states.values())
    assert duplicates > 0 and worker.batches["stage one"] > 12
    assert len(worker.topics.held[ENTITY_DELTAS, 0]) > len(calm.topics.held[ENTITY_DELTAS, 0])
    assert sum(part.stage.counters.duplicates for part in calm.two.states.values()) == 0
    # Stage 2 and the ranker rebuilt from their snapshots (and their input since).
    assert worker.two.covered and any(v > 0 for v in worker.two.covered.values())
    # Repeats are possible (the sinks keep one by id), never a different board or spike.
    assert _distinct(got_scores) == _distinct(scores) == _bytes(scores)
    assert _distinct(got_spikes) == _distinct(spikes) == _bytes(spikes)


def test_records_delivered_again_to_the_same_stage_2_are_skipped(
    few: list[VideoSnapshot],
) -> None:
    scores, spikes, _ = distributed(few, 2, 3)
    got_scores, got_spikes, worker = distributed(few, 2, 3, Crashes(seek_back=2))
    assert worker.batches["stage two"] > 10
    # Its state already held them: nothing was applied or sent twice.
    assert sum(part.stage.counters.duplicates for part in worker.two.states.values()) == 0
    assert _bytes(got_scores) == _bytes(scores)
    assert _bytes(got_spikes) == _bytes(spikes)


def test_poison_becomes_a_dead_letter_named_by_its_origin(few: list[VideoSnapshot]) -> None:
    mine = [s for s in few if partition_for(s.video_id, 2) == 0]
    poison = [b"not json at all", b'{"type":"video_snapshot","v":1,"video_id":"x"}']
    snaps: list[bytes | VideoSnapshot] = [*mine[:5], poison[0], *mine[5:9], poison[1], *mine[9:]]
    _, _, worker = distributed(snaps, 2, 3)
    letters = [msgspec.json.decode(m.value, type=DeadLetter) for m in worker.topics.dead]
    assert [(d.origin, d.raw) for d in letters] == [
        ("snapshots@0:5", poison[0].decode()),
        ("snapshots@0:10", poison[1].decode()),
    ]
    assert [m.key for m in worker.topics.dead] == ["snapshots@0:5", "snapshots@0:10"]
