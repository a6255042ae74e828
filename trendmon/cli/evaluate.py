"""``trendmon evaluate``: how well the engine finds the simulator's planted breakouts."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from trendmon.cli.common import HomeOption, err, fail, time_progress
from trendmon.cli.history import MongoOption, NamespaceOption, open_store
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
from trendmon.engine.accuracy import (
    STAGE_WINDOW,
    Accuracy,
    Cell,
    breakouts_of,
    evaluate,
    iso_ms,
    matrix_worlds,
    summarize,
    worst,
)
from trendmon.errors import TrendmonError
from trendmon.events import VideoSnapshot
from trendmon.producers.simulator import Simulation
from trendmon.producers.simulator.breakouts import iso
from trendmon.settings import EngineSettings, SimulatorSettings, load

HELP = """Run the simulator with planted breakouts through the engine and score what it finds.

Prints precision, recall and the median detection delay (in snapshot intervals after the
onset) for spikes and for the emerging/rising stages of the 1h boards, one `name: value` per
line on stdout. Only planted breakouts count; the big organic trends the truth lists as
unplanted are neither misses nor false alarms. The engine uses its usual settings
(TRENDMON_ENGINE_*), so a changed rule can be scored before it ships. --verbose adds each
breakout's delays and the false alarms on stderr.

With --matrix, scores a grid of worlds (breakout mechanisms x scraper coverage x scrape
interval x two seeds, decoys and an outage in every world, the engine's settings the same in all)
and prints a line per world, then the worst cell last; --quick runs a reduced grid.

With --truth FILE, scores what the engine already found in TRENDMON_HOME (or --namespace, or
MongoDB with --mongo) against your own truth file: {"breakouts": [{"kind": "hashtag", "id":
"NAME", "onset": "2026-01-05T10:00:00Z", "market": "US"}]} (see docs/detection.md).

Examples:

    trendmon evaluate --seed 3 --hours 24 --breakouts 4 --verbose
    trendmon evaluate --matrix
    trendmon evaluate --truth my-trends.json
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
        matrix: Annotated[
            bool, typer.Option("--matrix", help="Score the grid of worlds; worst cell last.")
        ] = False,
        quick: Annotated[
            bool, typer.Option("--quick", help="With --matrix: a reduced grid.")
        ] = False,
        truth: Annotated[
            Path | None, typer.Option("--truth", help="Score the stored history against FILE.")
        ] = None,
        mongo: MongoOption = False,
        namespace: NamespaceOption = None,
        home: HomeOption = None,
    ) -> None:
        if matrix:
            _matrix(quick, verbose)
            return
        if truth is not None:
            _stored(truth, mongo, namespace, home, verbose)
            return
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
        result = evaluate(_with_progress(sim), sim.truth(), engine_settings)
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


def _matrix(quick: bool, verbose: bool) -> None:
    engine_settings = load(EngineSettings)
    cells = []
    worlds = matrix_worlds(quick=quick)
    started = time.monotonic()
    for i, (name, settings) in enumerate(worlds, 1):
        sim = Simulation(SimulatorSettings(**settings))
        acc = evaluate(sim.snapshots(), sim.truth(), engine_settings)
        cells.append(Cell(name, acc))
        typer.echo(f"{name}: {_cell_line(acc)}")
        if verbose:
            err.print(f"[{i}/{len(worlds)}] {name}", highlight=False)
            _detail(acc)
    minutes = (time.monotonic() - started) / 60
    typer.echo(f"grid of {len(worlds)} worlds in {minutes:.1f} min (target < 20)")
    typer.echo(worst(cells).line())


def _cell_line(a: Accuracy) -> str:
    return (
        f"spikes {_fmt(a.spike_precision)}/{_fmt(a.spike_recall)}/{_fmt(a.spike_median_delay, 1)}"
        f", stages {_fmt(a.stage_precision)}/{_fmt(a.stage_recall)}/"
        f"{_fmt(a.stage_median_delay, 1)} (precision/recall/delay)"
    )


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _stored(
    path: Path, mongo: bool, namespace: str | None, home: Path | None, verbose: bool
) -> None:
    """Score the stored spikes (all of them) and the 1h stages of the truth's entities."""
    try:
        truth: dict[str, Any] = json.loads(path.read_text())
        breakouts, _ = breakouts_of(truth)
    except OSError as exc:
        fail(f"cannot read the truth file {path}: {exc.strerror}")
    except (ValueError, KeyError, TypeError) as exc:
        fail(
            f'{path} is not a truth file ({exc}); write {{"breakouts": [{{"kind": '
            f'"hashtag", "id": "NAME", "onset": "2026-01-05T10:00:00Z"}}]}}'
        )
    try:
        store = open_store(mongo, namespace, home)
    except (TrendmonError, ValueError) as exc:
        fail(str(exc))
    try:
        spikes = list(reversed(store.spikes(limit=10_000_000)))
        scores = []
        for b in breakouts:
            markets = {b.market, "all"}
            for market in markets:
                scores.extend(store.entity_series(b.key, market, STAGE_WINDOW))
    finally:
        store.close()
    scores.sort(key=lambda s: (s.at_ms, s.entity, s.market))
    result = summarize(spikes, scores, truth)
    for line in result.lines():
        if line.startswith("stage_precision"):
            line = "stage_precision: n/a (only the truth's entities are read back)"
        typer.echo(line)
    if verbose:
        _detail(result)
