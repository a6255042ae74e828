"""``trendmon evaluate``: how well the engine finds the simulator's planted breakouts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import typer

from trendmon.cli.common import err, fail, time_progress
from trendmon.cli.simulate import (
    BreakoutsOption,
    CreatorsOption,
    HoursOption,
    IntervalOption,
    MarketsOption,
    SeedOption,
    VideosOption,
    world_settings,
)
from trendmon.errors import TrendmonError
from trendmon.events import VideoSnapshot
from trendmon.producers.simulator import Simulation
from trendmon.producers.simulator.breakouts import iso
from trendmon.settings import EngineSettings, load
from trendmon.streams.accuracy import Accuracy, evaluate, iso_ms

HELP = """Run the simulator with planted breakouts through the engine and score what it finds.

Prints precision, recall and the median detection delay (in snapshot intervals after the
onset) for spikes and for the emerging/rising stages of the 1h boards, one `name: value` per
line on stdout. Only planted breakouts count; the big organic trends the truth lists as
unplanted are neither misses nor false alarms. The engine uses its usual settings
(TRENDMON_ENGINE_*), so a changed rule can be scored before it ships. --verbose adds each
breakout's delays and the false alarms on stderr.

Example:

    trendmon evaluate --seed 3 --hours 24 --breakouts 4 --verbose
"""


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command(name="evaluate", help=HELP)
    def evaluate_cmd(
        seed: SeedOption = None,
        creators: CreatorsOption = None,
        videos: VideosOption = None,
        markets: MarketsOption = None,
        interval: IntervalOption = None,
        hours: HoursOption = None,
        breakouts: BreakoutsOption = None,
        verbose: Annotated[
            bool, typer.Option("--verbose", "-v", help="Per-breakout detail on stderr.")
        ] = False,
    ) -> None:
        try:
            sim_settings = world_settings(
                seed=seed,
                creators=creators,
                videos=videos,
                markets=markets,
                interval=interval,
                hours=hours,
                breakouts=breakouts,
            )
            engine_settings = load(EngineSettings)
        except (TrendmonError, ValueError) as exc:
            fail(str(exc))
        sim = Simulation(sim_settings)
        truth = sim.truth()
        result = evaluate(_with_progress(sim), truth, engine_settings)
        for line in result.lines():
            typer.echo(line)
        if verbose:
            _detail(result)


def _with_progress(sim: Simulation) -> Iterator[VideoSnapshot]:
    total = (sim.until or sim.start) - sim.start
    progress = time_progress("evaluating")
    task = progress.add_task("", total=total)
    with progress:
        for count, snapshot in enumerate(sim.snapshots(), 1):
            if count % 5000 == 0:
                progress.update(
                    task,
                    completed=sim.now - sim.start,
                    description=f"{count:,} snapshots, {iso(sim.now)}",
                )
            yield snapshot


def _delay(value: float | None) -> str:
    return "missed" if value is None else f"{value:.1f} intervals"


def _detail(result: Accuracy) -> None:
    err.print(
        f"spikes: {result.spikes_matched} of {result.spikes} on planted breakouts; "
        f"stage alerts: {result.alerts_matched} of {result.alerts}",
        highlight=False,
    )
    for b in result.breakouts:
        err.print(
            f"breakout {b.key} in {b.market} at {iso_ms(b.onset_ms)}: "
            f"spike {_delay(b.spike_delay)}, stage {_delay(b.stage_delay)}",
            highlight=False,
            soft_wrap=True,
        )
    for s in result.false_spikes:
        err.print(
            f"false spike {s.entity} in {s.market} at {iso_ms(s.bucket_ms)}: "
            f"{s.value:,.0f} plays/h against {s.baseline:,.0f} (strength {s.z}): {s.summary}",
            highlight=False,
            soft_wrap=True,
        )
    for a in result.false_alerts:
        err.print(
            f"false stage alert {a.entity} in {a.market} at {iso_ms(a.at_ms)}: {a.stage}, "
            f"growth {a.growth}, {a.creators} creators",
            highlight=False,
            soft_wrap=True,
        )
