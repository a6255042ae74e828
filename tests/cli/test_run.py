"""`trendmon run` and `trendmon replay` from the command line, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from trendmon.events import encode

from ..engine.factory import snap


def trendmon(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trendmon", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_once_with_an_import_processes_the_whole_file(tmp_path: Path) -> None:
    items = tmp_path / "items.jsonl"
    made = trendmon(
        "simulate",
        "--hours",
        "1",
        "--videos",
        "30",
        "--creators",
        "20",
        "--format",
        "itemstruct",
        "--out",
        str(items),
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    home = tmp_path / "home"
    result = trendmon(
        "run", "--once", "--no-simulate", "--import", str(items), "--home", str(home), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    lines = len(items.read_bytes().splitlines())
    # Every line became a snapshot in the log, and the engine took them all (bar duplicates
    # the simulator plants, which stage 1 drops).
    assert lines > 100
    processed = int(last.split("snapshots ")[1].split()[0].replace(",", ""))
    assert lines * 0.95 < processed <= lines


def test_an_import_that_fails_is_reported_in_one_line(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_bytes(encode(snap()) + b"\n")
    # trendmon's own events are not a TikTok format the importer reads: the run says so.
    result = trendmon(
        "run",
        "--once",
        "--no-simulate",
        "--import",
        str(events),
        "--home",
        str(tmp_path / "home"),
        cwd=tmp_path,
    )
    assert result.returncode == 0
    assert "the import events.jsonl stopped" in result.stderr and "Traceback" not in result.stderr


def test_a_corrupt_checkpoint_is_one_line_and_leaves_nothing_running(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "engine-tm.ckpt").write_bytes(b"not a checkpoint")
    result = trendmon("run", "--home", str(home), "--port", "18999", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "cannot read the engine checkpoint" in result.stderr
    # Nothing was started: the checkpoint is read before any child process.
    assert (
        not (home / "logs" / "simulator.log").exists()
        or not (home / "logs" / "simulator.log").read_text()
    )


def test_error_messages_with_brackets_are_printed_as_given(tmp_path: Path) -> None:
    result = trendmon(
        "replay",
        "--from",
        "[/bold]yesterday",
        "--into",
        "x",
        "--home",
        str(tmp_path / "h"),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "[/bold]yesterday" in result.stderr


def test_the_namespace_setting_reaches_run(tmp_path: Path) -> None:
    # TRENDMON_REDIS_NAMESPACE names the stores `run` writes when --namespace is not given.
    items = tmp_path / "items.jsonl"
    made = trendmon(
        "simulate", "--hours", "1", "--videos", "20", "--creators", "10", "--format",
        "itemstruct", "--out", str(items), cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    home = tmp_path / "home"
    result = subprocess.run(
        [sys.executable, "-m", "trendmon", "run", "--once", "--no-simulate", "--import",
         str(items), "--home", str(home)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**os.environ, "TRENDMON_REDIS_NAMESPACE": "team2"},
    )
    assert result.returncode == 0, result.stderr
    from trendmon.sinks.factory import open_history

    ours, default = (open_history("sqlite", home=home, namespace=ns) for ns in ("team2", "tm"))
    try:
        assert ours.counts()["snapshots"] > 0 and default.counts()["snapshots"] == 0
    finally:
        ours.close()
        default.close()
