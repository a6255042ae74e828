"""Hourly scoring: the same forecasts whatever the batching, a model file round trip, and
the fallback to the best baseline when there is no model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trendmon.errors import ModelFileError
from trendmon.forecast.forecaster import Forecaster, HourlyForecasts, train
from trendmon.forecast.observations import Observations
from trendmon.producers.simulator import Simulation
from trendmon.settings import SimulatorSettings
from trendmon.sinks.forecasts import read_model, write_model

WORLD = dict(
    seed=5, hours=46, creators=80, videos=460, interval_s=3600, breakouts=2, markets="US,GB"
)


@pytest.fixture(scope="module")
def snapshots() -> list:
    return list(Simulation(SimulatorSettings(**WORLD)).snapshots())


@pytest.fixture(scope="module")
def model(snapshots: list) -> Forecaster:
    obs = Observations()
    obs.add_all(snapshots)
    return train(obs)


def _run(snapshots: list, batch: int, model: Forecaster | None) -> tuple[list, list]:
    hourly = HourlyForecasts(model)
    entities, videos = [], []
    for i in range(0, len(snapshots), batch):
        e, v = hourly.add(snapshots[i : i + batch])
        entities += e
        videos += v
    return entities, videos


def test_fallback_scores_hourly_the_same_whatever_the_batching(snapshots: list) -> None:
    one = _run(snapshots, len(snapshots), None)
    many = _run(snapshots, 997, None)
    assert one == many
    entities, videos = one
    assert entities and videos
    assert {e.method for e in entities} == {"velocity"}
    assert all(0 <= e.p_top20 <= 1 for e in entities)
    assert all(v.plays_24h_low <= v.plays_24h <= v.plays_24h_high for v in videos)
    assert all(e.made_ms % 3_600_000 == 0 for e in entities)


def test_train_writes_a_model_file_the_runtime_reads(
    snapshots: list, model: Forecaster, tmp_path: Path
) -> None:
    path = tmp_path / "model.json"
    write_model(path, model)
    again = read_model(path)
    assert again.to_dict() == model.to_dict()
    assert again.shown in ("model", "persistence", "velocity")
    entities, _ = _run(snapshots, 5000, again)
    assert entities and {e.method for e in entities} == {again.shown}


def test_a_missing_or_foreign_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="forecast train"):
        read_model(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text('{"format": "other/9"}')
    with pytest.raises(ModelFileError, match="format 'other/9'"):
        read_model(tmp_path / "bad.json")


def test_a_stale_model_falls_back_with_a_notice(snapshots: list, model: Forecaster) -> None:
    old = Forecaster(0, model.entity, model.videos, model.shown, model.videos_shown)
    hourly = HourlyForecasts(old, stale_after_h=1)
    entities, _ = hourly.add(snapshots)
    assert "stale" in hourly.notice
    assert {e.method for e in entities} == {"velocity"}


def test_fresh_keeps_the_model_and_forgets_what_was_booked(
    snapshots: list, model: Forecaster
) -> None:
    used = HourlyForecasts(model, stale_after_h=30, notice="a notice")
    used.add(snapshots[:5000])
    fresh = used.fresh()
    assert (fresh.forecaster, fresh.stale_after_ms, fresh.notice) == (
        model,
        30 * 3_600_000,
        "a notice",
    )
    # Nothing booked: it forecasts the whole stream as one that never saw the first part.
    assert fresh.add(snapshots) == HourlyForecasts(model, 30, "a notice").add(snapshots)


def test_a_model_file_of_the_former_features_is_refused(model: Forecaster, tmp_path: Path) -> None:
    old = model.to_dict()
    old["format"] = "trendmon-forecast/1"
    for seg in old["entity"].values():
        seg["model"]["weights"] = seg["model"]["weights"][:5]
    (tmp_path / "old.json").write_text(json.dumps(old))
    with pytest.raises(ModelFileError, match=r"other entity features.*forecast train"):
        read_model(tmp_path / "old.json")
    old["format"] = model.to_dict()["format"]  # the right name, the wrong width
    (tmp_path / "odd.json").write_text(json.dumps(old))
    with pytest.raises(ModelFileError, match="5 entity weights"):
        read_model(tmp_path / "odd.json")
