"""`trendmon worker` refuses what it could not run exactly, before it touches Kafka."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_retention_too_short_to_rebuild_stage_2_is_refused(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TRENDMON_KAFKA_RETENTION_HOURS": "48",
        # Nothing listens there: the check comes first, so it must not matter.
        "TRENDMON_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
    }
    run = subprocess.run(
        [sys.executable, "-m", "trendmon", "worker"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert run.returncode == 2
    assert "TRENDMON_KAFKA_RETENTION_HOURS=48" in run.stderr
    assert "337 h" in run.stderr and "TRENDMON_ENGINE_WINDOWS" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_help_names_the_settings() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "trendmon", "worker", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0
    assert "TRENDMON_KAFKA_" in run.stdout and "--no-sinks" in run.stdout
