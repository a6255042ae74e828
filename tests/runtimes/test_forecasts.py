"""Hourly forecasts in the embedded runtime: stored as the plain class makes them, and the same
after a restart from a checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from trendmon.events import decode_snapshot, encode
from trendmon.forecast.forecaster import HourlyForecasts
from trendmon.log.base import SNAPSHOTS, snapshot_message
from trendmon.log.embedded import EmbeddedLog
from trendmon.producers.simulator import Simulation
from trendmon.runtimes.embedded import EmbeddedRuntime, Sinks
from trendmon.settings import EngineSettings, SimulatorSettings
from trendmon.sinks.history import forecast_records
from trendmon.sinks.sqlite.history import SqliteHistory

pytestmark = pytest.mark.slow

# The smallest world in which the fallback makes entity forecasts (a day of features, then
# two horizons of labels to fit on) and videos reach 24 hours.
WORLD = dict(seed=5, hours=34, creators=40, videos=180, interval_s=3600, breakouts=1, markets="US")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    log = EmbeddedLog(home)
    log.publish(
        SNAPSHOTS,
        [
            snapshot_message(s, encode(s))
            for s in Simulation(SimulatorSettings(**WORLD)).snapshots()
        ],
    )
    log.close()
    return home


@pytest.fixture(scope="module")
def expected(home: Path) -> list[dict]:
    """What the plain class gives on the log's snapshots, in the log's order."""
    log = EmbeddedLog(home)
    try:
        snaps = [decode_snapshot(r.value) for r in log.read(SNAPSHOTS)]
    finally:
        log.close()
    return forecast_records(*HourlyForecasts(None).add(snaps))


def _stored(home: Path, namespace: str) -> list[dict]:
    store = SqliteHistory(home, namespace)
    try:
        return store.forecasts()
    finally:
        store.close()


def _by_id(records: list[dict]) -> dict[str, dict]:
    return {r["id"]: {k: v for k, v in r.items()} for r in records}


def test_the_runtime_stores_what_the_plain_class_makes(home: Path, expected: list[dict]) -> None:
    log = EmbeddedLog(home)
    runtime = EmbeddedRuntime(
        log,
        Sinks(history=SqliteHistory(home, "whole")),
        EngineSettings(),
        namespace="whole",
        forecasts=HourlyForecasts(None),
    )
    runtime.run(follow=False)
    runtime.sinks.close()
    log.close()
    assert any(r["entity_type"] == "video" for r in expected)
    assert any(r["entity_type"] == "hashtag" for r in expected)
    assert _by_id(_stored(home, "whole")) == _by_id(expected)
    assert runtime.stats.forecasts == len(expected)
    # the videos were found by the engine's numbers (the plain class went by their ids)
    assert runtime.forecasts is not None
    obs = runtime.forecasts.hourly.obs
    assert obs._numbering == runtime.engine.stage1.numbering
    assert (obs._by_number >= 0).sum() == len(obs._rows)


def test_a_restart_from_the_checkpoint_gives_the_same_forecasts(
    home: Path, expected: list[dict]
) -> None:
    log = EmbeddedLog(home)
    first = EmbeddedRuntime(
        log,
        Sinks(history=SqliteHistory(home, "restart")),
        EngineSettings(),
        namespace="restart",
        batch_size=1000,
        forecasts=HourlyForecasts(None),
    )
    total = log.count(SNAPSHOTS)
    while first.stats.records < total * 0.6:
        first.step()
    first.checkpoint(background=False)
    first.sinks.close()
    second = EmbeddedRuntime(
        log,
        Sinks(history=SqliteHistory(home, "restart")),
        EngineSettings(),
        namespace="restart",
        batch_size=1000,
        forecasts=HourlyForecasts(None),
    )
    assert second.restore()
    assert second.engine.reads_for_forecasts
    second.run(follow=False)
    second.sinks.close()
    log.close()
    assert _by_id(_stored(home, "restart")) == _by_id(expected)
