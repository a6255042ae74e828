"""``trendmon forecast evaluate --history`` on a history too short to score."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from trendmon.cli import app
from trendmon.events import encode
from trendmon.log.base import SNAPSHOTS, snapshot_message
from trendmon.log.embedded import EmbeddedLog
from trendmon.producers.simulator import Simulation
from trendmon.settings import LogSettings, SimulatorSettings


def test_a_history_too_short_to_score_says_how_long_one_must_be(tmp_path: Path) -> None:
    world = SimulatorSettings(seed=3, hours=4, creators=30, videos=120, interval_s=900)
    log = EmbeddedLog(tmp_path, LogSettings())
    sent = log.publish(
        SNAPSHOTS, [snapshot_message(s, encode(s)) for s in Simulation(world).snapshots()]
    )
    log.close()
    assert sent > 0
    result = CliRunner().invoke(app, ["forecast", "evaluate", "--history", "--home", str(tmp_path)])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert "no entity forecast could be scored in history" in out
    assert "about 18 hours of snapshots" in out and "longer" in out
    assert "Traceback" not in result.output
