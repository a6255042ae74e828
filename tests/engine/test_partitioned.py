"""The partitioned engine (what the distributed agents run) against the embedded one."""

from __future__ import annotations

import itertools

import pytest

from trendmon.engine.engine import Engine
from trendmon.engine.partitioned import EntityPartition, TickMerger, VideoPartition, route
from trendmon.engine.windows import HOUR_MS
from trendmon.events import Spike, TrendScore, VideoSnapshot, Watermark, encode
from trendmon.partitioner import partition_for
from trendmon.producers.simulator.observe import Simulation
from trendmon.settings import EngineSettings, SimulatorSettings


@pytest.fixture(scope="module")
def snapshots() -> list[VideoSnapshot]:
    sim = Simulation(SimulatorSettings(videos=600, creators=150, hours=14, seed=4))
    return list(itertools.islice(sim.snapshots(), 150_000))


def embedded(
    snaps: list[VideoSnapshot], partitions: int = 1
) -> tuple[list[TrendScore], list[Spike]]:
    engine = Engine(EngineSettings(), partitions=partitions)
    scores: list[TrendScore] = []
    spikes: list[Spike] = []
    for i in range(0, len(snaps), 2500):
        out = engine.process(snaps[i : i + 2500])
        scores += out.scores
        spikes += out.spikes
    return scores, spikes


def partitioned(
    snaps: list[VideoSnapshot], upstream: int, parts: int, *, repeat: bool = False
) -> tuple[list[TrendScore], list[Spike], int]:
    """Stage 1 on ``upstream`` partitions read at uneven speeds, stage 2 on ``parts``."""
    settings = EngineSettings()
    queues = [
        [s for s in snaps if partition_for(s.video_id, upstream) == p] for p in range(upstream)
    ]
    stage1 = [VideoPartition(settings, p) for p in range(upstream)]
    stage2 = [EntityPartition(settings, p, upstream) for p in range(parts)]
    merger = TickMerger(settings, parts)
    scores: list[TrendScore] = []
    spikes: list[Spike] = []
    pos = [0] * upstream
    while any(pos[p] < len(queues[p]) for p in range(upstream)):
        for p in range(upstream):
            # Partitions move at different speeds, as consumers do on a backlog.
            step = 700 * (p + 1)
            chunk = queues[p][pos[p] : pos[p] + step]
            pos[p] += step
            out = stage1[p].process(chunk)
            # As the agent sends them: per stage-2 partition, the entities of each delta it owns.
            routed = route(out.deltas, parts)
            mark = stage1[p].watermark()
            for q in range(parts):
                deltas, owned = routed.get(q, ([], []))
                for delta, keys in zip(deltas, owned, strict=True):
                    assert all(partition_for(key, parts) == q for key in keys)
                    for _ in range(2 if repeat else 1):  # repeated: stage 1 replayed after a crash
                        stage2[q].delta(delta, keys)
                if mark is not None:
                    stage2[q].watermark(mark)
        for q in reversed(range(parts)):
            produced = stage2[q].drain()
            spikes += produced.spikes
            for tick in produced.ticks:
                scores += merger.add(tick)
                if repeat:
                    assert merger.add(tick) == []
    return scores, spikes, sum(p.stage.counters.duplicates for p in stage2)


def _bytes(events: list[TrendScore] | list[Spike]) -> list[bytes]:
    return sorted(encode(e) for e in events)


@pytest.mark.parametrize(("upstream", "parts"), [(1, 1), (3, 4)])
def test_partitioned_engine_gives_the_embedded_boards_and_spikes(
    snapshots: list[VideoSnapshot], upstream: int, parts: int
) -> None:
    want_scores, want_spikes = embedded(snapshots, upstream)
    got_scores, got_spikes, _ = partitioned(snapshots, upstream, parts)
    # The embedded engine closes a bucket on the first later delta; the partitioned one when
    # every partition is past it, so it may be one bucket behind at the very end of the log.
    last = max(s.at_ms for s in got_scores)
    assert last >= max(s.at_ms for s in want_scores) - 300_000
    assert last > min(s.at_ms for s in want_scores) + 6 * HOUR_MS
    want = [s for s in want_scores if s.at_ms <= last]
    assert len(want) > 10_000
    assert _bytes(got_scores) == _bytes(want)
    assert _bytes(got_spikes) == _bytes([s for s in want_spikes if s.detected_ms <= last])


def test_repeated_deltas_and_ticks_change_nothing(snapshots: list[VideoSnapshot]) -> None:
    once, spikes_once, none = partitioned(snapshots, 2, 3)
    twice, spikes_twice, duplicates = partitioned(snapshots, 2, 3, repeat=True)
    assert none == 0
    assert duplicates > 100_000
    assert _bytes(twice) == _bytes(once)
    assert _bytes(spikes_twice) == _bytes(spikes_once)


def test_stage2_waits_for_every_stage1_partition() -> None:
    settings = EngineSettings()
    sim = Simulation(SimulatorSettings(videos=200, creators=80, hours=3, seed=2))
    snaps = list(itertools.islice(sim.snapshots(), 20_000))
    stage1 = VideoPartition(settings, 0)
    out = stage1.process(snaps)
    mark = stage1.watermark()
    assert mark is not None
    stage2 = EntityPartition(settings, 0, upstream=2)
    for delta in out.deltas:
        stage2.delta(delta, delta.entities)
    stage2.watermark(mark)
    assert stage2.waiting_for == [1]
    assert stage2.drain().ticks == []
    assert stage2.stage.open_bucket is None
    stage2.watermark(Watermark(part=1, at_ms=mark.at_ms, first_ms=mark.first_ms))
    assert stage2.waiting_for == []
    assert stage2.drain().ticks
