"""``trendmon simulate``: files, stdout, the bus, the truth file, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from trendmon.cli import app
from trendmon.events import decode_snapshot
from trendmon.log.base import SNAPSHOTS
from trendmon.log.embedded import EmbeddedLog
from trendmon.settings import LogSettings

SMALL = ["--seed", "5", "--creators", "40", "--videos", "60", "--markets", "US,GB",
         "--interval", "10m", "--hours", "2", "--breakouts", "2"]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without .env; videos observed for two hours only (a small run)."""
    monkeypatch.chdir(tmp_path)
    for name in ("TRENDMON_BUS", "TRENDMON_HOME", "TRENDMON_SIM_START", "TRENDMON_SIM_SEED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRENDMON_SIM_LIFETIME_H", "2")
    return tmp_path


def test_writes_events_and_truth_deterministically(env: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["simulate", *SMALL, "--out", "a.jsonl", "--truth", "t.json"])
    assert first.exit_code == 0, first.stderr
    second = runner.invoke(app, ["simulate", *SMALL, "--out", "b.jsonl"])
    assert second.exit_code == 0, second.stderr
    data = (env / "a.jsonl").read_bytes()
    assert data == (env / "b.jsonl").read_bytes()
    lines = data.splitlines()
    assert len(lines) > 500
    assert all(decode_snapshot(line).source in ("simulator", "trending") for line in lines[::50])
    truth = json.loads((env / "t.json").read_text())
    assert [b["kind"] for b in truth["breakouts"] if b["planted"]] == ["hashtag", "sound"]
    assert truth["start"] == "2026-01-05T00:00:00Z" and truth["interval_s"] == 600
    assert "snapshots" in first.stderr and "ground truth: t.json" in first.stderr


def test_itemstruct_to_stdout(env: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", *SMALL, "--format", "itemstruct", "--out", "-"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout_bytes.splitlines()
    item = orjson.loads(lines[0])
    assert item["_collected_at"].endswith("Z") and len(item["id"]) == 19
    assert "statsV2" in item and "bitrateInfo" in item["video"]


def test_publishes_to_the_embedded_bus(env: Path) -> None:
    home = env / "home"
    result = CliRunner().invoke(app, ["simulate", *SMALL, "--home", str(home)])
    assert result.exit_code == 0, result.stderr
    with EmbeddedLog(home, LogSettings()) as log:
        count = log.count(SNAPSHOTS)
        first = decode_snapshot(next(iter(log.read(SNAPSHOTS, limit=1))).value)
    assert count > 500
    assert first.source == "simulator"
    assert f"published {count:,}" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "itemstruct"], "pass --out"),
        (["--format", "csv", "--out", "-"], "use events or itemstruct"),
        (["--creators", "0", "--out", "-"], "TRENDMON_SIM_CREATORS"),
    ],
)
def test_bad_options_are_one_line(env: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["simulate", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_interval_must_be_a_duration(env: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", "--interval", "soon", "--out", "-"])
    assert result.exit_code == 2
    assert "not a duration" in result.stderr
