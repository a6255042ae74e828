"""Hourly forecasts in the runtimes: load the model file, or fall back, and say which.

Both runtimes build their :class:`~trendmon.forecast.forecaster.HourlyForecasts` here, feed it
the snapshots the engine accepted, by stage-1 partition, through
:class:`~trendmon.forecast.partitioned.PartitionedForecasts`, and write what it returns to the
history store, so the two give the same forecasts from the same log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from trendmon.errors import ModelFileError
from trendmon.events import VideoSnapshot
from trendmon.forecast.forecaster import HourlyForecasts
from trendmon.forecast.observations import Read
from trendmon.forecast.partitioned import PartitionedForecasts
from trendmon.settings import ForecastSettings, load
from trendmon.sinks.forecasts import read_model
from trendmon.sinks.history import HistoryStore, forecast_records

log = logging.getLogger(__name__)


def open_forecasts(home: Path, settings: ForecastSettings | None = None) -> HourlyForecasts | None:
    """The runtime's hourly forecasts (None when TRENDMON_FORECAST_ENABLED is false)."""
    settings = settings or load(ForecastSettings)
    if not settings.enabled:
        return None
    path = settings.model_path(home)
    try:
        model = read_model(path)
        notice = ""
    except ModelFileError as exc:
        model = None
        notice = f"{exc}; showing the best baseline (velocity) fitted on the data seen so far"
        log.warning("forecasts: %s", notice)
    return HourlyForecasts(model, settings.stale_after_h, notice)


def score_into(
    forecasts: PartitionedForecasts | None,
    accepted: list[VideoSnapshot],
    history: HistoryStore | None,
    partition_of: Callable[[str], int] = lambda video_id: 0,
    ms: list[int] | None = None,
    read: Read | None = None,
) -> int:
    """Feed ``accepted`` (each to its stage-1 partition, ``partition_of`` its video; ``ms``
    their collection times and ``read`` what else the engine read of them, when it gave them)
    and store the forecasts of the hours that closed; how many."""
    if forecasts is None:
        return 0
    if forecasts.parts == 1:
        parts = [(0, accepted, ms, read)]
    else:
        by_part: dict[int, list[int]] = {}
        for i, s in enumerate(accepted):
            by_part.setdefault(partition_of(s.video_id), []).append(i)
        parts = [
            (
                p,
                [accepted[i] for i in at],
                None if ms is None else [ms[i] for i in at],
                None if read is None else read.part(at),
            )
            for p, at in sorted(by_part.items())
        ]
    records = []
    for p, snaps, times, given in parts:
        if snaps:
            records += forecast_records(*forecasts.add(p, snaps, times, given))
    if records and history is not None:
        history.write_forecasts(records)
    return len(records)
