"""``trendmon forecast``: backtest the forecasts (``evaluate``) and write a model (``train``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import typer

from trendmon.cli.common import BusOption, HomeOption, bus_from_options, err, fail
from trendmon.engine.accuracy import matrix_worlds
from trendmon.errors import SchemaError, TrendmonError
from trendmon.events import VideoSnapshot, decode_snapshot
from trendmon.forecast.forecaster import train
from trendmon.forecast.observations import Observations
from trendmon.forecast.report import HistoryResult, backtest_history, require_scored, summarize
from trendmon.log.base import SNAPSHOTS
from trendmon.producers.simulator import Simulation
from trendmon.settings import CoreSettings, ForecastSettings, SimulatorSettings, load
from trendmon.sinks.forecasts import write_model

FORECAST_HOURS = 72.0
"""The grid's worlds run 72 hours here (24 in ``trendmon evaluate``): the features look a day
back and a video's label is its plays at 24 hours, so a day alone leaves nothing to score."""

EVALUATE_HELP = """Backtest both forecasts with a rolling origin and print their scores.

By default on the simulator's grid of worlds (`trendmon evaluate --matrix`'s 24 worlds, run
for 72 hours with 3 times the videos, so each keeps its pace); --quick: one seed and the
15-minute interval (6 worlds); --history: on the snapshots in the log under TRENDMON_HOME
(anything imported or scraped). At each origin the models are fitted only on forecasts whose
labels were known then (a gap of one horizon), and scored on what followed.

For entities (hashtags and sounds outside the top 20 now, in each market and in all), each
method's PR-AUC, precision at 10, Brier score and skill, calibration error, lead time and
reliability table; for videos at 1, 3 and 6 hours, MAE of log1p(plays at 24 h), Spearman and
the 80% interval's coverage. Intervals are bootstrap 5-95% over days. The last line is the
model's PR-AUC over the best baseline's. See docs/forecasts.md.

Examples:

    trendmon forecast evaluate --quick
    trendmon forecast evaluate --history --home ./my-history
"""

TRAIN_HELP = """Fit the forecasts on the snapshots in the log and write a versioned model file.

The file (JSON) holds the fitted coefficients, what the backtest on the same history measured,
which method the product shows (the model only when it beat the best baseline) and the
reliability table shown beside each prediction. The runtimes load it (TRENDMON_FORECAST_MODEL,
default TRENDMON_HOME/forecast-model.json); a missing or stale one falls back to the best
baseline, with a notice.

Examples:

    trendmon forecast train
    trendmon forecast train --simulate --out model.json
"""

JobsOption = Annotated[
    int | None, typer.Option("--jobs", help="Worlds backtested at once (default: CPUs).")
]


def register(app: typer.Typer) -> None:
    """Add the command group to the app."""
    group = typer.Typer(
        name="forecast", help="Backtest and train the forecasts.", no_args_is_help=True
    )
    app.add_typer(group)

    @group.command(name="evaluate", help=EVALUATE_HELP)
    def evaluate_cmd(
        quick: Annotated[bool, typer.Option("--quick", help="A reduced grid (6 worlds).")] = False,
        history: Annotated[
            bool, typer.Option("--history", help="Backtest the log's snapshots instead.")
        ] = False,
        hours: Annotated[
            float, typer.Option("--hours", help="Hours each world of the grid runs.")
        ] = FORECAST_HOURS,
        jobs: JobsOption = None,
        bus: BusOption = None,
        home: HomeOption = None,
    ) -> None:
        try:
            if history:
                results = [backtest_history("history", _observe(_log_snapshots(bus, home)))]
            else:
                results = _grid(quick, hours, jobs)
            summary = summarize(results)
            require_scored(summary, results)
        except TrendmonError as exc:
            fail(str(exc))
        for line in summary.lines():
            typer.echo(line)

    @group.command(name="train", help=TRAIN_HELP)
    def train_cmd(
        out: Annotated[
            Path | None, typer.Option("--out", help="Model file (default: the setting's).")
        ] = None,
        simulate: Annotated[
            bool,
            typer.Option("--simulate", help="Train on a simulated 72-hour world instead."),
        ] = False,
        bus: BusOption = None,
        home: HomeOption = None,
    ) -> None:
        settings = load(ForecastSettings)
        path = out or settings.model_path(load(CoreSettings, home=home).home)
        try:
            if simulate:
                world = dict(matrix_worlds(quick=True)[0][1], hours=FORECAST_HOURS, videos=4500)
                snapshots: Iterator[VideoSnapshot] = Simulation(
                    SimulatorSettings(**world)
                ).snapshots()
            else:
                snapshots = _log_snapshots(bus, home)
            obs = _observe(snapshots)
            model = train(obs)
        except TrendmonError as exc:
            fail(str(exc))
        write_model(path, model)
        videos = ", ".join(f"{age} h {m}" for age, m in sorted(model.videos_shown.items()))
        err.print(
            f"wrote {path}: entities show {model.shown}, videos show "
            + (videos or "loglinear (too short a history to backtest)"),
            highlight=False,
        )


def _observe(snapshots: Iterator[VideoSnapshot]) -> Observations:
    obs = Observations()
    for s in snapshots:
        obs.add(s)
    return obs


def _log_snapshots(bus: str | None, home: Path | None) -> Iterator[VideoSnapshot]:
    log_ = bus_from_options(bus, home)
    try:
        for record in log_.read(SNAPSHOTS):
            try:
                yield decode_snapshot(record.value)
            except SchemaError:
                continue
    finally:
        log_.close()


def _world(item: tuple[str, dict[str, Any]]) -> HistoryResult:
    name, settings = item
    obs = _observe(Simulation(SimulatorSettings(**settings)).snapshots())
    return backtest_history(name, obs)


def _grid(quick: bool, hours: float, jobs: int | None) -> list[HistoryResult]:
    worlds = []
    for name, settings in matrix_worlds(quick=quick):
        scale = hours / settings["hours"]
        worlds.append(
            (name, {**settings, "hours": hours, "videos": round(settings["videos"] * scale)})
        )
    results = []
    workers = max(1, jobs or os.cpu_count() or 1)
    with ProcessPoolExecutor(workers) as pool:
        for i, result in enumerate(pool.map(_world, worlds), 1):
            results.append(result)
            one = summarize([result], draws=0)
            err.print(
                f"[{i}/{len(worlds)}] {result.name}: next-up PR-AUC "
                + ", ".join(f"{m} {s.pr_auc:.3f}" for m, s in one.entities.items())
                + "; video MAE ratio "
                + ", ".join(f"{a} h {one.video_ratio(a):.2f}" for a in sorted(one.videos)),
                highlight=False,
            )
    return results
