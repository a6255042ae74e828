"""The engine's outputs on a simulated day, pinned to the byte: a change to how the engine is
laid out (a table, a module, a build) must not move one of them.

A change that means to move them (a new rule, a new field) updates ``DIGEST`` and says why in
its commit. The digest was taken from the engine before stage 2's aggregates became one table
(commit a80db29) and after, both on this world.
"""

from __future__ import annotations

import hashlib

import pytest

from trendmon.engine.engine import Engine
from trendmon.events import encode
from trendmon.producers.simulator.observe import Simulation
from trendmon.settings import EngineSettings, SimulatorSettings

DIGEST = "e21ac91e8d5caa6fd3f2d2bf0a8279fefc57ce2c8f8e52dae1f6390290d5db8e"
OUTPUTS = 566_428
SPIKES = 13


@pytest.mark.slow
def test_a_simulated_day_gives_the_same_scores_and_spikes_to_the_byte() -> None:
    sim = Simulation(SimulatorSettings(videos=900, creators=200, hours=26, seed=5))
    engine = Engine(EngineSettings())
    digest = hashlib.sha256()
    outputs = spikes = 0
    batch = []
    for snap in sim.snapshots():
        batch.append(snap)
        if len(batch) == 5000:
            out = engine.process(batch)
            batch = []
            for e in (*out.scores, *out.spikes):
                digest.update(encode(e))
            outputs += len(out.scores) + len(out.spikes)
            spikes += len(out.spikes)
    out = engine.process(batch)
    for e in (*out.scores, *out.spikes):
        digest.update(encode(e))
    outputs += len(out.scores) + len(out.spikes)
    spikes += len(out.spikes)
    assert (outputs, spikes) == (OUTPUTS, SPIKES)
    assert digest.hexdigest() == DIGEST


def test_the_accepted_snapshots_come_with_their_collection_times_and_plays() -> None:
    sim = Simulation(SimulatorSettings(videos=60, creators=20, hours=3, seed=2))
    snaps = list(sim.snapshots())
    snaps = snaps + snaps[:50]  # delivered twice: not accepted again
    engine = Engine(EngineSettings())
    engine.reads_for_forecasts = True
    out = engine.process(snaps)
    assert len(out.accepted) < len(snaps)
    assert out.accepted_ms == [int(snaps[i].collected_at.timestamp() * 1000) for i in out.accepted]
    assert out.accepted_plays == [snaps[i].stats.plays for i in out.accepted]


def test_the_accepted_snapshots_come_with_their_videos_numbers() -> None:
    # One number per video, the same at each sighting, in one numbering; a checkpoint goes on
    # with its numbering, a new engine draws another.
    import pickle

    sim = Simulation(SimulatorSettings(videos=60, creators=20, hours=3, seed=2))
    snaps = list(sim.snapshots())
    half = len(snaps) // 2
    engine = Engine(EngineSettings())
    engine.reads_for_forecasts = True
    first = engine.process(snaps[:half])
    engine = pickle.loads(pickle.dumps(engine))
    second = engine.process(snaps[half:])
    assert second.numbering == first.numbering
    ids = [snaps[i].video_id for i in first.accepted] + [
        snaps[half + i].video_id for i in second.accepted
    ]
    numbers = first.accepted_videos + second.accepted_videos
    assert len(numbers) == len(ids)
    number_of: dict[str, int] = {}
    for vid, n in zip(ids, numbers, strict=True):
        assert number_of.setdefault(vid, n) == n
    assert sorted(number_of.values()) == list(range(len(number_of)))
    quiet = Engine(EngineSettings()).process(snaps[:50])  # without forecasts: not paid for
    assert quiet.accepted and not quiet.accepted_videos and not quiet.accepted_plays
    assert Engine(EngineSettings()).process(snaps[:10]).numbering != first.numbering
