"""``trendmon simulate``: run the synthetic TikTok world into the bus or a JSON Lines file."""

from __future__ import annotations

import re
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Annotated

import typer

from trendmon.cli.common import BusOption, HomeOption, bus_from_options, err, fail, time_progress
from trendmon.errors import TrendmonError
from trendmon.producers.publish import Publisher
from trendmon.producers.simulator import (
    FastClock,
    ItemStructRenderer,
    RealClock,
    Simulation,
    event_line,
    wall_now,
    write_truth,
)
from trendmon.producers.simulator.breakouts import iso, parse_kinds
from trendmon.settings import SimulatorSettings, load

HELP = """Run a synthetic TikTok world: creators, videos, hashtags, sounds, planted breakouts.

By default snapshots are published to the bus; with --out they are written as JSON Lines
(--format events: the event schema; itemstruct: TikTok's web item shape with a _collected_at
key). --truth writes the planted breakouts (the ground truth for evaluation) as JSON.
--fast (the default) runs from TRENDMON_SIM_START as fast as possible and is byte-for-byte
repeatable for a seed; --realtime starts now and follows the wall clock (times --speed), forever
unless --hours is given.

Example:

    trendmon simulate --seed 3 --hours 6 --breakouts 4 --truth truth.json --out - | head

    trendmon simulate --realtime --speed 60 --markets US,GB
"""

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """Seconds in ``300``, ``90s``, ``5m``, ``1h``."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise typer.BadParameter(f"{text!r} is not a duration: use 300, 90s, 5m or 1h")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


# The world's options, shared by every command that runs a simulated world (simulate, evaluate).
SeedOption = Annotated[int | None, typer.Option(help="Seed of the world.")]
CreatorsOption = Annotated[int | None, typer.Option(help="Creators in the world.")]
VideosOption = Annotated[
    int | None, typer.Option(help="Videos posted per --hours of simulated time.")
]
MarketsOption = Annotated[str | None, typer.Option(help="Comma-separated markets.")]
IntervalOption = Annotated[
    str | None, typer.Option(help="Time between snapshots of a video (300, 5m).")
]
HoursOption = Annotated[float | None, typer.Option(help="Simulated hours to run.")]
BreakoutsOption = Annotated[int | None, typer.Option(help="Planted breakouts per --hours.")]


def world_settings(
    *,
    seed: int | None,
    creators: int | None,
    videos: int | None,
    markets: str | None,
    interval: str | None,
    hours: float | None,
    breakouts: int | None,
    **more: object,
) -> SimulatorSettings:
    """The simulator's settings with the world's options applied (checked, or a usage error)."""
    settings = load(
        SimulatorSettings,
        seed=seed,
        creators=creators,
        videos=videos,
        markets=markets,
        interval_s=parse_interval(interval) if interval is not None else None,
        hours=hours,
        breakouts=breakouts,
        **more,
    )
    parse_kinds(settings.breakout_kinds)
    return settings


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command(help=HELP)
    def simulate(
        seed: SeedOption = None,
        creators: CreatorsOption = None,
        videos: VideosOption = None,
        markets: MarketsOption = None,
        interval: IntervalOption = None,
        hours: HoursOption = None,
        breakouts: BreakoutsOption = None,
        realtime: Annotated[
            bool, typer.Option("--realtime/--fast", help="Follow the wall clock, or go flat out.")
        ] = False,
        speed: Annotated[
            float | None, typer.Option(help="Real-time speed-up (simulated s per wall s).")
        ] = None,
        round_counts: Annotated[
            bool | None,
            typer.Option("--round-counts/--exact-counts", help="Round counts like TikTok."),
        ] = None,
        truth: Annotated[
            Path | None, typer.Option(help="Write the ground truth (JSON) to this file.")
        ] = None,
        output_format: Annotated[
            str, typer.Option("--format", help="events or itemstruct (itemstruct needs --out).")
        ] = "events",
        out: Annotated[
            str | None, typer.Option(help="Write JSON Lines here instead of the bus ('-': stdout).")
        ] = None,
        bus: BusOption = None,
        home: HomeOption = None,
    ) -> None:
        if output_format not in ("events", "itemstruct"):
            fail(f"--format {output_format!r}: use events or itemstruct")
        if output_format == "itemstruct" and out is None:
            fail("--format itemstruct writes a file: pass --out FILE (or --out - for stdout)")
        try:
            settings = world_settings(
                seed=seed,
                creators=creators,
                videos=videos,
                markets=markets,
                interval=interval,
                hours=hours,
                breakouts=breakouts,
                speed=speed,
                round_counts=round_counts,
            )
        except (TrendmonError, ValueError) as exc:
            fail(str(exc))
        _run(
            settings,
            realtime=realtime,
            forever=realtime and hours is None,
            truth=truth,
            output_format=output_format,
            out=out,
            bus=bus,
            home=home,
        )


def _run(
    settings: SimulatorSettings,
    *,
    realtime: bool,
    forever: bool,
    truth: Path | None,
    output_format: str,
    out: str | None,
    bus: str | None,
    home: Path | None,
) -> None:
    with ExitStack() as stack:
        sink: IO[bytes] | None = None
        publisher: Publisher | None = None
        if out == "-":
            sink = sys.stdout.buffer
        elif out is not None:
            try:
                sink = stack.enter_context(open(out, "wb"))
            except OSError as exc:
                fail(f"cannot write {out}: {exc.strerror}")
        else:
            opened = bus_from_options(bus, home)
            stack.callback(opened.close)
            publisher = stack.enter_context(Publisher(opened))

        def flush() -> None:
            if publisher is not None:
                publisher.flush()
            elif sink is not None:
                sink.flush()

        start = wall_now() if realtime else None
        sim = Simulation(
            settings,
            start=start,
            forever=forever,
            on_chunk=(lambda s: write_truth(truth, s.truth())) if truth is not None else None,
        )
        sim.clock = (
            RealClock(sim.start, speed=settings.speed, on_idle=flush) if realtime else (FastClock())
        )
        renderer = ItemStructRenderer() if output_format == "itemstruct" else None
        began = time.perf_counter()
        total = None if sim.until is None else sim.until - sim.start
        progress = time_progress("simulating")
        task = progress.add_task("", total=total)
        try:
            with progress:
                for count, (video, snapshot) in enumerate(sim.observations(), 1):
                    if publisher is not None:
                        publisher.add(snapshot)
                    elif renderer is not None:
                        assert sink is not None
                        sink.write(renderer.line(video, snapshot))
                    else:
                        assert sink is not None
                        sink.write(event_line(snapshot))
                    if count % 5000 == 0 or realtime:
                        progress.update(
                            task,
                            completed=sim.now - sim.start,
                            description=f"{count:,} snapshots, {iso(sim.now)}",
                        )
        except KeyboardInterrupt:
            err.print("interrupted: stopping after what was produced", highlight=False)
        except BrokenPipeError:
            sys.stderr.close()  # stdout reader went away (| head): stop quietly
            return
        flush()
        if truth is not None:
            write_truth(truth, sim.truth())
        _summary(sim, publisher, time.perf_counter() - began, truth)


def _summary(
    sim: Simulation, publisher: Publisher | None, elapsed: float, truth: Path | None
) -> None:
    c = sim.counters
    rate = c.snapshots / elapsed if elapsed > 0 else 0.0
    planted = [b for b in sim.breakouts if b.surge.onset < sim.now]
    err.print(
        f"simulated {iso(sim.start)} to {iso(sim.now)}: {c.videos:,} videos, "
        f"{c.snapshots:,} snapshots ({c.duplicates:,} duplicates, {c.late:,} late) in "
        f"{elapsed:.1f} s ({rate:,.0f}/s); {len(planted)} breakouts past their onset",
        highlight=False,
    )
    if publisher is not None:
        s = publisher.summary
        err.print(
            f"published {s.published:,} ({s.duplicates:,} already in the log)", highlight=False
        )
    if truth is not None:
        err.print(f"ground truth: {truth}", highlight=False)
