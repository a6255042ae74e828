"""The partitioned engine's pieces; tests/runtimes/test_stages.py runs them as the distributed
agents do and compares their boards and spikes with the embedded engine's."""

from __future__ import annotations

import itertools

from trendmon.engine.partitioned import EntityPartition, VideoPartition, route
from trendmon.events import Watermark
from trendmon.partitioner import partition_for
from trendmon.producers.simulator.observe import Simulation
from trendmon.settings import EngineSettings, SimulatorSettings


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


def test_route_gives_every_entity_of_a_delta_to_its_owner_once() -> None:
    sim = Simulation(SimulatorSettings(videos=100, creators=40, hours=2, seed=5))
    out = VideoPartition(EngineSettings(), 0).process(itertools.islice(sim.snapshots(), 5000))
    routed = route(out.deltas, 4)
    sent: list[tuple[str, int, str]] = []
    for q, (deltas, owned) in routed.items():
        for d, keys in zip(deltas, owned, strict=True):
            assert all(partition_for(key, 4) == q for key in keys)
            sent += [(d.video_id, d.seq, key) for key in keys]
    assert len(sent) > 1000
    made = [(d.video_id, d.seq, key) for d in out.deltas for key in d.entities]
    assert sorted(sent) == sorted(made)
