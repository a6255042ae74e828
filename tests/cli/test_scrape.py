"""``trendmon scrape``: its errors, its --once summary, against replayed TikTok answers."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from trendmon.cli import app
from trendmon.events import SourceHealth, VideoSnapshot, decode_event
from trendmon.log.base import SNAPSHOTS, SOURCE_HEALTH
from trendmon.log.embedded import EmbeddedLog
from trendmon.settings import LogSettings

TRENDING = "/api/recommend/item_list/"


def _replay() -> ModuleType:
    """The replay helpers beside the scraper tests (importlib mode imports nothing by name)."""
    if "tiktok_replay" in sys.modules:
        return sys.modules["tiktok_replay"]
    path = Path(__file__).parents[1] / "producers" / "tiktok" / "tiktok_replay.py"
    spec = importlib.util.spec_from_file_location("tiktok_replay", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tiktok_replay"] = module
    spec.loader.exec_module(module)
    return module


replay = _replay()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without .env, an msToken, a file standing in for Chromium."""
    monkeypatch.chdir(tmp_path)
    for name in ("TRENDMON_SCRAPE_BUDGET", "TRENDMON_SCRAPE_INTERVAL", "TRENDMON_BUS"):
        monkeypatch.delenv(name, raising=False)
    chromium = tmp_path / "chromium"
    chromium.write_text("")
    monkeypatch.setenv("TRENDMON_SCRAPE_MS_TOKENS", "replay-ms-token")
    monkeypatch.setenv("TRENDMON_SCRAPE_CHROMIUM_PATH", str(chromium))
    return tmp_path


def replay_tiktok(monkeypatch: pytest.MonkeyPatch, routes: dict[str, object]) -> object:
    """Sessions on a replayed page instead of the browser; the rest is the real command."""
    sessions = replay.ReplaySessions(routes)
    monkeypatch.setattr("trendmon.producers.tiktok.client.open_browser_sessions", sessions)
    return sessions


def test_once_publishes_and_prints_a_summary(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items = replay.trending_items()
    replay_tiktok(monkeypatch, {TRENDING: replay.page(items)})
    home = env / "home"
    result = CliRunner().invoke(
        app, ["scrape", "--target", "trending", "--budget", "5", "--once", "--home", str(home)]
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["published"] == 5 and summary["failed"] == []
    [row] = summary["targets"]
    assert (row["target"], row["ok"], row["received"], row["published"]) == ("trending", True, 5, 5)
    assert "scraping trending once" in result.stderr
    assert "trending: 5 items, 5 new snapshots" in result.stderr
    log = EmbeddedLog(home, LogSettings())
    try:
        published = [decode_event(r.value) for r in log.read(SNAPSHOTS)]
        health = [decode_event(r.value) for r in log.read(SOURCE_HEALTH)]
    finally:
        log.close()
    assert [s.video_id for s in published if isinstance(s, VideoSnapshot)] == [
        i["id"] for i in items[:5]
    ]
    assert [(h.target, h.ok) for h in health if isinstance(h, SourceHealth)] == [("trending", True)]


def test_once_with_a_blocked_target_exits_1_and_says_why(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay_tiktok(
        monkeypatch, {TRENDING: replay.page(replay.trending_items()), "/api/music/item_list/": ""}
    )
    result = CliRunner().invoke(
        app,
        [
            "scrape",
            "-t",
            "trending",
            "-t",
            "sound:7016547803243022337",
            "--once",
            "--home",
            str(env / "home"),
        ],
    )
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["failed"] == ["sound:7016547803243022337"]
    assert summary["targets"][1]["error"].startswith("empty response")
    assert "sound:7016547803243022337: failed after 0 items: empty response" in result.stderr


def test_targets_file(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    replay_tiktok(monkeypatch, {TRENDING: replay.page(replay.trending_items())})
    (env / "targets.toml").write_text('[[target]]\nkind = "trending"\nbudget = 3\n')
    result = CliRunner().invoke(
        app, ["scrape", "--targets-file", "targets.toml", "--once", "--home", str(env / "home")]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["published"] == 3


def one_error_line(result: object) -> str:
    stderr: str = result.stderr  # type: ignore[attr-defined]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_missing_ms_token_is_one_clear_line(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRENDMON_SCRAPE_MS_TOKENS")
    result = CliRunner().invoke(app, ["scrape", "-t", "trending", "--once", "--home", str(env)])
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "set TRENDMON_SCRAPE_MS_TOKENS" in line and "msToken cookie" in line
    assert result.stdout == ""


def test_missing_chromium_is_one_clear_line(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRENDMON_SCRAPE_CHROMIUM_PATH", str(env / "no-chromium"))
    result = CliRunner().invoke(app, ["scrape", "-t", "trending", "--once", "--home", str(env)])
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "TRENDMON_SCRAPE_CHROMIUM_PATH" in line and "apt-get install chromium" in line


def test_bad_targets_are_one_line_naming_the_place(env: Path) -> None:
    (env / "t.toml").write_text('[[target]]\nkind = "hashtag"\n')
    result = CliRunner().invoke(app, ["scrape", "--targets-file", "t.toml", "--home", str(env)])
    assert result.exit_code == 2
    assert "t.toml:1: target field 'value': hashtag needs a value" in one_error_line(result)
    result = CliRunner().invoke(app, ["scrape", "--home", str(env)])
    assert "no targets: pass --target trending" in one_error_line(result)


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(app, ["scrape", "--help"])
    assert result.exit_code == 0
    assert "trendmon scrape --target trending --target hashtag:dance" in result.stdout
    assert "TRENDMON_SCRAPE_MS_TOKENS" in result.stdout
