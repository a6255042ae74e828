"""Every bench script's ``--quick`` run goes end to end and ends with its figure in the expected
form (the value is not tested: timings are figures, not pass/fail). ``bench/push.py`` has its
own test, beside the browser tests (tests/dashboard/test_bench_push.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def quick_run(script: str, tmp_path: Path, **env: str) -> list[str]:
    """The stdout lines of ``bench/<script> --quick``, run from the repo root; fails with the
    end of its stderr when it does not exit 0."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--quick"],
        cwd=ROOT,
        # Its own temporary folder: bench/ingest.py caches the items it makes there, and a file
        # cached by an earlier run would hide a change to the simulator that breaks the making.
        env={**os.environ, "TMPDIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()


def test_the_quick_engine_run_prints_the_engine_decode_ratio(tmp_path: Path) -> None:
    lines = quick_run("engine.py", tmp_path)
    assert re.fullmatch(r"engine/decode speed ratio: \d+\.\d\d \(target >= 0\.2\)", lines[-1])
    # the forecast pass scored hours (its cost is measured on scoring, not only booking)
    scored = next(line for line in lines if line.startswith("engine with hourly forecasts:"))
    made, hours = re.search(r"\(([\d,]+) forecasts over (\d+) hours scored", scored).groups()
    assert int(made.replace(",", "")) > 0 and int(hours) >= 1
    # a quick run's single pair can print a small negative cost (the machine's pace drifts)
    assert any(re.search(r"forecasts cost -?\d+\.\d% of the engine's throughput", x) for x in lines)


def test_the_quick_ingest_run_prints_the_import_parse_ratio(tmp_path: Path) -> None:
    lines = quick_run("ingest.py", tmp_path)
    assert re.fullmatch(r"import/parse speed ratio: \d+\.\d\d \(target >= 0\.33\)", lines[-1])


@pytest.mark.services
def test_the_quick_pipeline_run_prints_the_throughput_ratio(
    kafka_bootstrap: str, redis_url: str, mongo_uri: str, tmp_path: Path
) -> None:
    lines = quick_run(
        "pipeline.py",
        tmp_path,
        TRENDMON_TEST_KAFKA=kafka_bootstrap,
        TRENDMON_TEST_REDIS_URL=redis_url,
        TRENDMON_TEST_MONGODB_URI=mongo_uri,
    )
    assert re.fullmatch(
        r"pipeline/passthrough throughput ratio: \d+\.\d\d \(target >= 0\.5\)", lines[-1]
    )


def test_the_quick_webhooks_run_prints_the_spike_to_delivery_p95(tmp_path: Path) -> None:
    lines = quick_run("webhooks.py", tmp_path)
    assert re.fullmatch(r"spike->delivery p95 seconds: \d+\.\d{3} \(target < 1\.0\)", lines[-1])


@pytest.mark.services
def test_the_quick_restart_run_prints_the_restart_time_growth(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    lines = quick_run("restart.py", tmp_path, TRENDMON_TEST_KAFKA=kafka_bootstrap)
    assert any("resumed from offset" in line for line in lines)
    assert re.fullmatch(r"restart time growth: \d+\.\d\d \(target <= 1\.5\)", lines[-1])


def test_the_quick_account_run_prints_the_account_import_parse_ratio(tmp_path: Path) -> None:
    lines = quick_run("account.py", tmp_path)
    assert re.fullmatch(
        r"account import/parse speed ratio: \d+\.\d\d \(target >= 0\.5\)", lines[-1]
    )


def test_the_quick_forecast_run_prints_the_forecast_cost(tmp_path: Path) -> None:
    lines = quick_run("forecast.py", tmp_path)
    assert re.fullmatch(r"engine speed ratio with/without forecasts: \d+\.\d\d", lines[-2])
    assert re.fullmatch(r"forecast cost: -?\d+\.\d% of engine time \(target < 10%\)", lines[-1])
