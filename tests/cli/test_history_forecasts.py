"""``trendmon history forecasts`` prints the stored records as documented JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from trendmon.cli import app
from trendmon.forecast.forecaster import EntityForecast, VideoForecast
from trendmon.sinks.history import forecast_records
from trendmon.sinks.sqlite.history import SqliteHistory

HOUR = 3_600_000
T = 1_767_600_000_000 // HOUR * HOUR  # 2026-01-05T08:00:00Z


def test_history_forecasts_prints_json_lines_within_bounds(tmp_path: Path) -> None:
    store = SqliteHistory(tmp_path)
    store.write_forecasts(
        forecast_records(
            [
                EntityForecast("sound", "sound:77", "all", T, 6, 0.4, False, "model", 0.52),
                EntityForecast(
                    "hashtag", "hashtag:dance", "US", T + HOUR, 6, 0.1, True, "model", None
                ),
            ],
            [VideoForecast("v9", "US", T + 600_000, 1, 1200.0, 800.0, 2400.0, "model")],
        )
    )
    store.close()
    result = CliRunner().invoke(
        app,
        ["history", "forecasts", "--home", str(tmp_path), "--to", "2026-01-05T08:30:00Z"],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [r["entity_type"] for r in lines] == ["sound", "video"]
    sound, video = lines
    assert (sound["entity"], sound["market"], sound["made_at"], sound["horizon_h"]) == (
        "77",
        "all",
        "2026-01-05T08:00:00Z",
        6,
    )
    assert sound["p_top20"] == 0.4
    assert (video["video_id"], video["age_h"], video["plays_24h_low"]) == ("v9", 1, 800.0)
    assert video["plays_24h"] == 1200.0 and video["plays_24h_high"] == 2400.0
