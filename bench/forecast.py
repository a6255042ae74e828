"""What hourly forecasts cost the runtime: engine speed with and without them (issue 20).

The simulator's snapshots (3,000 videos per 12 hours, each seen every hour, over 40
hours so that every hour of event time closes and is scored) are encoded as in the log, then
run twice on one core: decoding and the engine; decoding, the engine and
:class:`~trendmon.forecast.forecaster.HourlyForecasts` fed the accepted snapshots (with a model
trained beforehand on the same snapshots, as a runtime with a model file runs). The last line is
the cost of the forecasts as a share of the engine's time, and its target.

``--quick`` runs 20,000 snapshots of a small world without a model (the fallback, which fits
its baselines itself), in a few seconds: a check that the benchmark works, not a measurement.

    .venv/bin/python bench/forecast.py [--snapshots 2000000] [--videos 3000]
    .venv/bin/python bench/forecast.py --quick
"""

from __future__ import annotations

import argparse
import itertools
import time

import msgspec

from trendmon.engine.engine import Engine
from trendmon.events import VideoSnapshot, encode
from trendmon.forecast.forecaster import Forecaster, HourlyForecasts, train
from trendmon.forecast.observations import Observations, Read
from trendmon.producers.simulator.observe import Simulation
from trendmon.settings import EngineSettings, SimulatorSettings


def simulate(count: int, videos: int, hours: float, interval_s: float) -> list[bytes]:
    sim = Simulation(
        SimulatorSettings(
            videos=round(videos * hours / 12),
            creators=max(300, videos // 6),
            hours=hours,
            interval_s=interval_s,
        )
    )
    return [encode(s) for s in itertools.islice(sim.snapshots(), count)]


def run(blobs: list[bytes], forecaster: Forecaster | None, forecasts: bool) -> tuple[float, int]:
    """Seconds for decoding and the engine (and the forecasts), and how many forecasts."""
    decode = msgspec.json.Decoder(VideoSnapshot).decode
    engine = Engine(EngineSettings())
    engine.reads_for_forecasts = forecasts
    hourly = HourlyForecasts(forecaster) if forecasts else None
    made = 0
    start = time.perf_counter()
    for i in range(0, len(blobs), 5000):
        batch = [decode(b) for b in blobs[i : i + 5000]]
        out = engine.process(batch)
        if hourly is not None:
            e, v = hourly.add(
                out.select(batch), Read(out.numbering, out.accepted_videos, out.accepted_plays)
            )
            made += len(e) + len(v)
    return time.perf_counter() - start, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=2_000_000)
    parser.add_argument("--videos", type=int, default=3_000, help="Videos posted per 12 hours.")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        blobs = simulate(20_000, 600, 40.0, 3600.0)
    else:
        blobs = simulate(args.snapshots, args.videos, 40.0, 3600.0)
    forecaster = None
    if not args.quick:
        obs = Observations()
        decode = msgspec.json.Decoder(VideoSnapshot).decode
        for b in blobs:
            obs.add(decode(b))
        forecaster = train(obs)
    run(blobs[: min(len(blobs), 5000)], forecaster, True)  # warm-up
    without, _ = run(blobs, forecaster, False)
    with_, made = run(blobs, forecaster, True)
    print(f"snapshots: {len(blobs):,}, forecasts made: {made:,}")
    print(f"engine alone: {len(blobs) / without:,.0f} snapshots/s")
    print(f"engine with hourly forecasts: {len(blobs) / with_:,.0f} snapshots/s")
    print(f"engine speed ratio with/without forecasts: {without / with_:.2f}")
    print(f"forecast cost: {(with_ - without) / without:.1%} of engine time (target < 10%)")


if __name__ == "__main__":
    main()
