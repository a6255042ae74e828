"""Engine speed against decode-only speed, memory per tracked video, replay speed (issue 3).

In one run:

1. 1,000,000 of the simulator's snapshots are encoded as they sit in the log (JSON bytes). The
   world has 30,000 videos posted per 12 h (about 35,000 tracked at once, 17,000 entities): the
   scale trendmon is built for, where scoring ticks (every 5 minutes of event time) are shared
   by many snapshots. The default demo world is 15 times smaller and spends most of its time in
   ticks; ``--videos 2000`` measures that one;
2. decode only: ``msgspec`` decoding of every one into a VideoSnapshot (the baseline the issue
   names);
3. engine: the same decoding plus both stages (what the runtime does per record), on one core,
   each decoded snapshot streamed into the engine;
4. engine with hourly forecasts: the same, and every batch's accepted snapshots fed to
   :class:`~trendmon.forecast.forecaster.HourlyForecasts` through
   :class:`~trendmon.forecast.partitioned.PartitionedForecasts` (what the embedded runtime does
   with ``TRENDMON_FORECAST_ENABLED``), with a model trained beforehand on a separate 40-hour
   world of the simulator, so that every hour that closes is scored (entities and videos) as in
   a runtime with a model file. Its ratio to decoding is printed beside the one without, and the
   forecasts' cost as a share of the engine's throughput (target < 10%): the CPU time of a pass
   with them over the same pass without them (decoding, the engine and selecting the accepted
   snapshots), passes alternating ``--pairs`` times and medians taken, since the machine's pace
   drifts between passes more than within one. That counts what the forecasts slow the engine
   by (their arrays push its state out of the processor's caches) as well as their own calls,
   whose CPU time is printed beside it as a share of the engine's (booking, and scoring the hours
   that closed), with how much slower the engine ran beside them. The runtime has a model file
   or fits the baselines itself once it has a day and a half of event time; this world's
   snapshots cover about two and a half hours, so the model file's case is measured;
5. memory held by stage 1 per tracked video (tracemalloc, on a separate smaller run);
6. replay of the embedded runtime with its sinks attached (embedded Redis and SQLite history) on
   a slice of the same snapshots, in records per second (a figure, no target).

Each timed part runs once after a warm-up; the last line is the ratio and its target.
``--quick`` does all of it on 20,000 snapshots of the demo-sized world (2,000 videos, seen
every 30 minutes so that they span hours and the forecast pass scores some) and replays 5,000,
in a few seconds (a check that the benchmark works, not a measurement).

    .venv/bin/python bench/engine.py [--snapshots 1000000] [--replay 100000] [--videos 30000]
                                     [--pairs 3]
    .venv/bin/python bench/engine.py --quick
"""

from __future__ import annotations

import argparse
import gc
import itertools
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import msgspec

from trendmon.engine.engine import Engine
from trendmon.engine.velocity import Stage1
from trendmon.events import VideoDelta, VideoSnapshot, encode
from trendmon.forecast.forecaster import (
    EntityForecast,
    Forecaster,
    HourlyForecasts,
    VideoForecast,
    train,
)
from trendmon.forecast.observations import Observations, Read
from trendmon.forecast.partitioned import PartitionedForecasts
from trendmon.log.base import SNAPSHOTS, Message
from trendmon.log.embedded import EmbeddedLog
from trendmon.producers.simulator.observe import Simulation
from trendmon.runtimes.embedded import Sinks, replay
from trendmon.settings import EngineSettings, LogSettings, SimulatorSettings
from trendmon.sinks.factory import open_history
from trendmon.sinks.redis.store import LiveStore


def simulate(count: int, videos: int, interval_s: float = 300) -> list[bytes]:
    sim = Simulation(
        SimulatorSettings(
            videos=videos, creators=max(300, videos // 6), hours=12, interval_s=interval_s
        )
    )
    return [encode(s) for s in itertools.islice(sim.snapshots(), count)]


def decode_only(blobs: list[bytes]) -> float:
    decode = msgspec.json.Decoder(VideoSnapshot).decode
    start = time.perf_counter()
    for blob in blobs:
        decode(blob)
    return len(blobs) / (time.perf_counter() - start)


def engine_speed(blobs: list[bytes], batch: int = 5000) -> tuple[float, Engine]:
    """Each batch streamed through decoding and the engine, as a consumer that does not hold
    the snapshots: the engine keeps no reference to its input (it reports the positions of
    those it accepted)."""
    decode = msgspec.json.Decoder(VideoSnapshot).decode
    engine = Engine(EngineSettings())
    start = time.perf_counter()
    for i in range(0, len(blobs), batch):
        engine.process(decode(b) for b in blobs[i : i + batch])
    return len(blobs) / (time.perf_counter() - start), engine


def trained_model(videos: int) -> Forecaster:
    """A model trained on a separate world of ``videos`` posted per 12 hours, seen every hour
    for 40 hours (what ``trendmon forecast train`` needs: 36 hours or more)."""
    sim = Simulation(
        SimulatorSettings(
            videos=round(videos * 40 / 12),
            creators=max(100, videos // 6),
            hours=40,
            interval_s=3600,
        )
    )
    obs = Observations()
    obs.add_all(list(sim.snapshots()))
    return train(obs)


@dataclass
class ForecastRun:
    speed: float
    """Snapshots per second (wall time), decoding, engine and forecasts."""
    made: int
    hours: int
    engine_cpu: float
    """CPU seconds of decoding and the engine."""
    booking_cpu: float
    scoring_cpu: float
    """CPU seconds of the forecasts: scoring the hours that closed, and the rest (reading
    and booking the snapshots)."""
    cpu: float
    """CPU seconds of the whole pass."""


def forecast_speed(
    blobs: list[bytes], model: Forecaster, batch: int = 5000, *, forecasts_on: bool = True
) -> ForecastRun:
    """As :func:`engine_speed`, each batch's accepted snapshots then fed to the hourly
    forecasts, with the CPU time of each part (``forecasts_on`` False: the same pass without
    the forecasts, the baseline of their cost)."""
    decode = msgspec.json.Decoder(VideoSnapshot).decode
    engine = Engine(EngineSettings())
    engine.reads_for_forecasts = forecasts_on
    # As the embedded runtime feeds them (runtimes/forecasts.py), by stage-1 partition.
    hourly = HourlyForecasts(model)
    forecasts = PartitionedForecasts(hourly, 1)
    scoring = [0.0]
    score = hourly.score

    def timed(origin: int) -> tuple[list[EntityForecast], list[VideoForecast]]:
        started = time.process_time()
        try:
            return score(origin)
        finally:
            scoring[0] += time.process_time() - started

    hourly.score = timed  # type: ignore[method-assign]
    made = scored = 0
    engine_cpu = forecasts_cpu = 0.0
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(blobs), batch):
        t0 = time.process_time()
        snapshots = [decode(b) for b in blobs[i : i + batch]]
        out = engine.process(snapshots)
        accepted = out.select(snapshots)
        t1 = time.process_time()
        engine_cpu += t1 - t0
        if not forecasts_on:
            continue
        entities, videos = forecasts.add(
            0,
            accepted,
            out.accepted_ms,
            Read(out.numbering, out.accepted_videos, out.accepted_plays),
        )
        forecasts_cpu += time.process_time() - t1
        made += len(entities) + len(videos)
        scored += len({e.made_ms for e in entities})
    cpu = time.process_time() - cpu
    speed = len(blobs) / (time.perf_counter() - start)
    return ForecastRun(speed, made, scored, engine_cpu, forecasts_cpu - scoring[0], scoring[0], cpu)


def bytes_per_video(blobs: list[bytes]) -> tuple[float, int]:
    decode = msgspec.json.Decoder(VideoSnapshot).decode
    snaps = [decode(b) for b in blobs]
    gc.collect()
    tracemalloc.start()
    stage = Stage1(EngineSettings())
    before = tracemalloc.get_traced_memory()[0]
    out: list[VideoDelta] = []
    for i, snap in enumerate(snaps):
        stage.process(snap, out)
        if i % 10_000 == 0:
            out.clear()
    out.clear()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return held / len(stage.videos), len(stage.videos)


def replay_speed(blobs: list[bytes]) -> float:
    decode = msgspec.json.Decoder(VideoSnapshot).decode
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        log = EmbeddedLog(home, LogSettings())
        for i in range(0, len(blobs), 5000):
            chunk = [decode(b) for b in blobs[i : i + 5000]]
            log.publish(
                SNAPSHOTS,
                [
                    Message(s.video_id, b, int(s.collected_at.timestamp() * 1000), s.event_id)
                    for s, b in zip(chunk, blobs[i : i + 5000], strict=True)
                ],
            )
        sinks = Sinks(
            LiveStore.open(home=home, namespace="bench"),
            open_history("sqlite", home=home, namespace="bench"),
        )
        try:
            stats = replay(log, sinks, EngineSettings(), namespace="bench")
            elapsed = time.monotonic() - stats.started
        finally:
            sinks.close()
            log.close()
    return stats.records / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=1_000_000)
    parser.add_argument("--replay", type=int, default=100_000)
    parser.add_argument("--videos", type=int, default=30_000, help="videos posted per 12 h")
    parser.add_argument(
        "--pairs", type=int, default=3, help="passes without and with forecasts, alternating"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a small world for a few seconds (a smoke run)"
    )
    args = parser.parse_args()
    if args.quick:
        args.snapshots, args.replay = min(args.snapshots, 20_000), min(args.replay, 5000)
        args.videos = min(args.videos, 2000)
        args.pairs = 1
    started = time.perf_counter()
    # --quick: a scraper passing every half hour, so that its snapshots span hours and the
    # forecast pass scores some (seen every 5 minutes, they would not fill one).
    blobs = simulate(args.snapshots, args.videos, 1800 if args.quick else 300)
    size = sum(map(len, blobs)) / len(blobs)
    print(
        f"{len(blobs):,} simulator snapshots ({size:,.0f} bytes each) "
        f"made in {time.perf_counter() - started:.1f} s"
    )
    decode_only(blobs[:50_000])  # warm-up
    decode = decode_only(blobs)
    print(f"decode only: {decode:,.0f} snapshots/s")
    engine, state = engine_speed(blobs)
    print(
        f"engine (decode + stage 1 + stage 2): {engine:,.0f} snapshots/s "
        f"({len(state.stage1.videos):,} videos and {len(state.stage2.entities):,} entities "
        "tracked at the end)"
    )
    started = time.perf_counter()
    model = trained_model(150 if args.quick else 600)
    trained = time.perf_counter() - started
    # Passes without and with forecasts, alternating: the machine's pace drifts between runs
    # more than within one, and the cost includes what the forecasts slow the engine by.
    without, runs = [], []
    for _ in range(args.pairs):
        without.append(forecast_speed(blobs, model, forecasts_on=False))
        runs.append(forecast_speed(blobs, model))
    run = runs[-1]
    print(
        f"engine with hourly forecasts: {run.speed:,.0f} snapshots/s ({run.made:,} forecasts "
        f"over {run.hours} hours scored; the model, trained in {trained:.0f} s before, not timed)"
    )
    base, cpu = median(r.cpu for r in without), median(r.cpu for r in runs)
    booking = median(r.booking_cpu / r.engine_cpu for r in runs)
    scoring = median(r.scoring_cpu / r.engine_cpu for r in runs)
    slowed = median(r.engine_cpu for r in runs) / median(r.engine_cpu for r in without) - 1
    speed = median(r.speed for r in runs)
    print(
        f"engine/decode speed ratio with hourly forecasts: {speed / decode:.2f} "
        f"(without: {median(r.speed for r in without) / decode:.2f}); forecasts cost "
        f"{cpu / base - 1:.1%} of the engine's throughput (CPU time of a pass with them over "
        f"one without, medians of {args.pairs} alternating pairs: their own calls booking "
        f"{booking:.1%} and scoring {scoring:.1%} of the engine's time, which ran {slowed:+.1%} "
        "beside them; target < 10%)"
    )
    per_video, videos = bytes_per_video(blobs[:200_000])
    print(
        f"memory held per tracked video (stage 1): {per_video:,.0f} bytes over {videos:,} "
        "videos (target < 1024)"
    )
    print(
        f"replay of the embedded runtime with sinks: {replay_speed(blobs[: args.replay]):,.0f} "
        f"records/s over {min(args.replay, len(blobs)):,} records"
    )
    print(f"engine/decode speed ratio: {engine / decode:.2f} (target >= 0.2)")


if __name__ == "__main__":
    main()
