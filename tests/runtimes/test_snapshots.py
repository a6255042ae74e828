"""Stage 2's snapshots: a partition resumed from one gives what an uninterrupted one gives."""

from __future__ import annotations

import itertools

import pytest

from trendmon.engine.partitioned import EntityPartition, VideoPartition, route
from trendmon.events import VideoDelta, Watermark, encode
from trendmon.partitioner import partition_for
from trendmon.producers.simulator.observe import Simulation
from trendmon.runtimes.snapshots import decode_state, encode_state, fingerprint
from trendmon.settings import EngineSettings, SimulatorSettings

UPSTREAM = 2


Batch = tuple[list[VideoDelta], list[list[str]], Watermark | None]


def inputs() -> list[Batch]:
    """Stage 2 partition 0's input, as the agent gets it: deltas with their keys, then a mark."""
    sim = Simulation(SimulatorSettings(videos=60, creators=25, hours=4, seed=3))
    snaps = list(itertools.islice(sim.snapshots(), 4000))
    stage1 = [VideoPartition(EngineSettings(), p) for p in range(UPSTREAM)]
    batches = []
    for i in range(0, len(snaps), 250):
        for p, part in enumerate(stage1):
            mine = [s for s in snaps[i : i + 250] if partition_for(s.video_id, UPSTREAM) == p]
            out = part.process(mine)
            ds, keys = route(out.deltas, 2).get(0, ([], []))
            batches.append((ds, keys, part.watermark()))
    return batches


def run(part: EntityPartition, batches: list[Batch]) -> list[bytes]:
    made: list[bytes] = []
    for ds, keys, mark in batches:
        for d, k in zip(ds, keys, strict=True):
            part.delta(d, k)
        if mark is not None:
            part.watermark(mark)
        out = part.drain()
        made += [encode(t) for t in out.ticks] + [encode(s) for s in out.spikes]
    return made


@pytest.mark.parametrize("cut", [0.3, 0.7])
def test_a_partition_resumed_from_its_snapshot_gives_the_same_outputs(cut: float) -> None:
    batches = inputs()
    settings = EngineSettings()
    whole = run(EntityPartition(settings, 0, UPSTREAM), batches)
    assert any(b"board_tick" in m for m in whole)
    at = int(len(batches) * cut)
    first = EntityPartition(settings, 0, UPSTREAM)
    before = run(first, batches[:at])
    made_with = fingerprint(settings, 2)
    record = encode_state(first, 1234, made_with)
    loaded = decode_state(record, made_with, EntityPartition)
    assert loaded is not None
    offset, resumed = loaded
    assert offset == 1234 and resumed is not first
    assert before + run(resumed, batches[at:]) == whole


def test_a_snapshot_made_another_way_is_not_used() -> None:
    part = EntityPartition(EngineSettings(), 0, UPSTREAM)
    record = encode_state(part, 10, fingerprint(EngineSettings(), 2))
    assert decode_state(record, fingerprint(EngineSettings(), 3), EntityPartition) is None
    assert (
        decode_state(record, fingerprint(EngineSettings(board_size=5), 2), EntityPartition) is None
    )
    assert (
        decode_state(b"not a snapshot", fingerprint(EngineSettings(), 2), EntityPartition) is None
    )
