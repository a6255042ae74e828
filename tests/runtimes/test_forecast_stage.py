"""Hourly forecasts in the distributed runtime's classes, in one process: stage 1 feeds the
snapshots it accepts to ``forecast-input`` as its partitions move at uneven speeds, and the
forecast stage, restarted from a snapshot on the way, stores the very forecasts the embedded
runtime stores from the same log."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from trendmon.events import encode
from trendmon.forecast import partitioned
from trendmon.forecast.forecaster import HourlyForecasts
from trendmon.forecast.partitioned import PartitionedForecasts
from trendmon.log.base import SNAPSHOTS, Record, snapshot_message
from trendmon.log.embedded import EmbeddedLog
from trendmon.partitioner import partition_for
from trendmon.producers.simulator import Simulation
from trendmon.runtimes import snapshots as snapshot
from trendmon.runtimes.embedded import EmbeddedRuntime, Sinks
from trendmon.runtimes.stages import FORECAST_INPUT, ForecastStage, VideoStage
from trendmon.settings import EngineSettings, SimulatorSettings
from trendmon.sinks.sqlite.history import SqliteHistory

pytestmark = pytest.mark.slow

# As tests/runtimes/test_forecasts.py: the smallest world in which the fallback forecasts.
WORLD = dict(seed=9, hours=34, creators=40, videos=180, interval_s=3600, breakouts=1, markets="US")
UPSTREAM = 3
SETTINGS = EngineSettings()


@pytest.fixture(scope="module")
def world() -> list:
    return list(Simulation(SimulatorSettings(**WORLD)).snapshots())


def embedded(tmp_path: Path, snaps: list) -> list[dict]:
    """What the embedded runtime stores, reading the log in order, with the stage-1
    partitions of the distributed run."""
    log = EmbeddedLog(tmp_path)
    log.publish(SNAPSHOTS, [snapshot_message(s, encode(s)) for s in snaps])
    history = SqliteHistory(tmp_path, "embedded")
    runtime = EmbeddedRuntime(
        log,
        Sinks(history=history),
        SETTINGS,
        namespace="embedded",
        partitions=UPSTREAM,
        forecasts=HourlyForecasts(None),
    )
    runtime.run(follow=False)
    stored = history.forecasts()
    runtime.sinks.close()
    log.close()
    return stored


def distributed(snaps: list) -> list[dict]:
    """Stage 1 on ``UPSTREAM`` partitions read at uneven speeds, its forecast input read by the
    forecast stage in batches, which is killed twice and rebuilt from its latest snapshot."""
    queues: dict[int, list[bytes]] = defaultdict(list)
    for s in snaps:
        queues[partition_for(s.video_id, UPSTREAM)].append(encode(s))
    table: dict[bytes, bytes] = {}
    one = VideoStage(SETTINGS, 4, table.get, forecasts=True)
    made_with = snapshot.fingerprint(SETTINGS, 4)
    forecast_input: list[bytes] = []
    stage = ForecastStage(HourlyForecasts(None), UPSTREAM, snapshot_interval_s=1)
    latest: bytes | None = None
    stored: dict[str, dict] = {}
    committed, batches, kills = 0, 0, 0
    pos = dict.fromkeys(range(UPSTREAM), 0)
    while True:
        moved = False
        for p in range(UPSTREAM):
            step = 40 * (p + 1)
            values = queues[p][pos[p] : pos[p] + step]
            if not values:
                continue
            records = [
                Record(SNAPSHOTS, p, pos[p] + i, None, 0, v) for i, v in enumerate(values)
            ]
            pos[p] += len(values)
            out = one.process(p, records)
            forecast_input += [s.value for s in out.sends if s.topic == FORECAST_INPUT]
            assert {s.partition for s in out.sends if s.topic == FORECAST_INPUT} <= {0}
            for change in out.state:
                if change.value is None:
                    table.pop(change.key, None)
                else:
                    table[change.key] = change.value
            moved = True
        # The forecast agent: a batch from its committed offset.
        pending = forecast_input[committed : committed + 25]
        if pending:
            records = [
                Record(FORECAST_INPUT, 0, committed + i, None, 0, v) for i, v in enumerate(pending)
            ]
            if stage.must_rebuild(committed):
                loaded = None
                if latest is not None:
                    loaded = snapshot.decode_state(latest, made_with, PartitionedForecasts)
                begin = stage.restore(0, loaded)
                for value in forecast_input[begin:committed]:
                    stage.replayed(value)
            for record in stage.process(records):
                stored[str(record["id"])] = record
            batches += 1
            for _, offset, state in stage.snapshots_due([0], batches):
                latest = snapshot.encode_state(state, offset, made_with)
            committed += len(pending)
            if batches % 40 == 0 and kills < 2:
                # Killed once its forecasts were stored: a new worker starts it over.
                stage = ForecastStage(HourlyForecasts(None), UPSTREAM, snapshot_interval_s=1)
                kills += 1
            moved = True
        if not moved:
            break
    assert kills == 2
    return list(stored.values())


def _by_id(records: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in records}


def test_the_forecast_stage_stores_what_the_embedded_runtime_stores(
    tmp_path: Path, world: list
) -> None:
    want = _by_id(embedded(tmp_path, world))
    assert any(r["entity_type"] == "video" for r in want.values())
    assert any(r["entity_type"] == "hashtag" for r in want.values())
    got = _by_id(distributed(world))
    assert got == want


def held(forecasts: PartitionedForecasts) -> list[tuple[int, int]]:
    """Release and collection times of the snapshots held (what was read of them)."""
    pairs = (zip(release, cols.ms, strict=True) for release, cols in forecasts.held)
    return [(int(r), int(ms)) for pair in pairs for r, ms in pair]


def test_an_hour_waits_for_every_partition_and_what_came_late_for_the_next() -> None:
    sim = list(Simulation(SimulatorSettings(**{**WORLD, "hours": 5})).snapshots())
    hour = 3_600_000
    forecasts = PartitionedForecasts(HourlyForecasts(None), 2)
    a = [s for s in sim if partition_for(s.video_id, 2) == 0]
    b = [s for s in sim if partition_for(s.video_id, 2) == 1]
    forecasts.add(0, a)
    # Partition 1 has sent nothing: no hour passes, everything is held.
    assert forecasts.next_origin is None and forecasts.waiting_for == [1]
    assert len(held(forecasts)) == len(a)
    forecasts.add(1, b[: len(b) // 2])  # partition 1 is hours behind
    marks = forecasts.marks
    assert marks[0] == max(s.collected_at.timestamp() * 1000 for s in a)
    # Every hour both partitions passed was scored, from what was released before it; the
    # rest waits, and a late snapshot is released at its partition's mark when it came.
    last = forecasts.next_origin - 1
    assert last == min(marks.values()) // hour
    assert held(forecasts) and all(r >= last * hour for r, _ in held(forecasts))
    late = a[0]
    forecasts.add(0, [late])
    assert held(forecasts)[-1] == (marks[0], int(late.collected_at.timestamp() * 1000))


def test_booking_what_the_next_hour_reads_early_makes_the_same_forecasts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = list(Simulation(SimulatorSettings(**{**WORLD, "hours": 5})).snapshots())
    parts = [[s for s in sim if partition_for(s.video_id, 2) == p] for p in (0, 1)]
    made = []
    for book_held in (0, 10**9):  # after every batch, only at each origin
        monkeypatch.setattr(partitioned, "BOOK_HELD", book_held)
        forecasts = PartitionedForecasts(HourlyForecasts(None), 2)
        for i in range(0, max(map(len, parts)), 250):
            for p in (0, 1):
                forecasts.add(p, parts[p][i : i + 250])
        assert forecasts.next_origin is not None
        forecasts._book_before(forecasts.next_origin * 3_600_000)  # as the next origin will
        obs = forecasts.hourly.obs
        first, last = obs.hours
        made.append((forecasts.next_origin, obs.scopes(), obs.gains(first, last + 1).tolist()))
    assert made[0] == made[1]


def test_a_checkpoint_that_held_the_snapshots_goes_on_the_same() -> None:
    # Checkpoints written before the snapshots were read as they came held the snapshots.
    import pickle

    import numpy as np

    from trendmon.forecast.observations import times_ms

    sim = list(Simulation(SimulatorSettings(**{**WORLD, "hours": 5})).snapshots())
    a = [s for s in sim if partition_for(s.video_id, 2) == 0]
    b = [s for s in sim if partition_for(s.video_id, 2) == 1]
    ref = PartitionedForecasts(HourlyForecasts(None), 2)
    ref.add(0, a)
    ref.add(1, b)
    times = times_ms([s.collected_at for s in a])
    release = np.maximum.accumulate(times)
    fresh = PartitionedForecasts(HourlyForecasts(None), 2)
    old = {
        **fresh.__dict__,
        "marks": {0: int(release[-1])},
        "firsts": {0: int(times[0])},
        "held": [(release, a, times)],
    }
    restored = PartitionedForecasts.__new__(PartitionedForecasts)
    restored.__setstate__(pickle.loads(pickle.dumps(old)))
    restored.add(1, b)
    assert restored.next_origin == ref.next_origin
    for f in (ref, restored):
        f._book_before(f.next_origin * 3_600_000)
    obs, want = restored.hourly.obs, ref.hourly.obs
    first, last = want.hours
    assert obs.hours == want.hours and obs.scopes() == want.scopes()
    assert obs.gains(first, last + 1).tolist() == want.gains(first, last + 1).tolist()


def test_the_stage_says_which_partitions_it_waits_for(caplog: pytest.LogCaptureFixture) -> None:
    from trendmon.events import ForecastBatch

    snaps = list(Simulation(SimulatorSettings(**{**WORLD, "hours": 2})).snapshots())
    stage = ForecastStage(HourlyForecasts(None), 2)
    values = [encode(ForecastBatch(part=0, snapshots=snaps))] * 2
    records = [Record(FORECAST_INPUT, 0, i, None, 0, v) for i, v in enumerate(values)]
    assert stage.process(records[:1]) == [] and stage.process(records[1:]) == []
    said = [r.getMessage() for r in caplog.records if "wait for" in r.getMessage()]
    assert said == [
        "the forecasts wait for snapshots partitions [1], which have carried no data yet: "
        "no hour is scored until they do"
    ]  # once, not for every batch
