"""`trendmon history spikes` and `trendmon evaluate --truth`, on both history backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from trendmon.events import Spike, utc
from trendmon.sinks.factory import open_history
from trendmon.sinks.history import HistoryStore

T0_MS = int(utc("2026-01-05T10:00:00Z").timestamp() * 1000)
MIN = 60_000


def spike(entity: str, market: str, minute: int, name: str, summary: str) -> Spike:
    return Spike(
        spike_id=f"{entity}|{market}|{minute}",
        entity=entity,
        kind=entity.split(":", 1)[0],
        name=name,
        market=market,
        bucket_ms=T0_MS + (minute - 5) * MIN,
        detected_ms=T0_MS + minute * MIN,
        value=5000.0,
        baseline=400.0,
        mad=0.0,
        z=9.5,
        severity="major",
        videos=14,
        evidence="posted",
        window_s=2700,
        new_videos=14,
        new_creators=12,
        posting_ratio=6.2,
        summary=summary,
    )


SPIKES = [
    spike("hashtag:lunadance", "US", 30, "lunadance", "14 new videos from 12 creators in 45 min"),
    spike("sound:7456000000000000001", "all", 60, "Luna Song", "9 of 15 sightings doubled"),
    spike("creator:6800000000000000001", "GB", 90, "lunafan", "6 of 8 sightings doubled"),
]


def trendmon(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trendmon", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(params=["sqlite", pytest.param("mongo", marks=pytest.mark.services)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[list[str], dict]]:  # type: ignore[type-arg]
    """The history with SPIKES written, and the flags and environment that reach it."""
    store: HistoryStore
    if request.param == "sqlite":
        home = tmp_path / "home"
        store = open_history("sqlite", home=home)
        flags, env = ["--home", str(home)], {}
    else:
        from pydantic import SecretStr

        from trendmon.settings import MongoSettings

        uri = request.getfixturevalue("mongo_uri")
        database = f"test_cli_{uuid.uuid4().hex[:12]}"
        store = open_history("mongo", mongo=MongoSettings(uri=SecretStr(uri), database=database))
        flags = ["--mongo"]
        env = {"TRENDMON_MONGO_URI": uri, "TRENDMON_MONGO_DATABASE": database}
    store.write([], [], SPIKES)
    try:
        yield flags, env
    finally:
        if request.param == "mongo":
            store.clear()
        store.close()


def test_history_spikes_prints_json_lines_oldest_first(backend: tuple[list[str], dict]) -> None:  # type: ignore[type-arg]
    flags, env = backend
    result = trendmon("history", "spikes", *flags, env=env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["entity_type"], r["entity"], r["market"]) for r in rows] == [
        ("hashtag", "lunadance", "US"),
        ("sound", "7456000000000000001", "all"),
        ("creator", "lunafan", "GB"),
    ]
    first = rows[0]
    assert first["detected_at"] == "2026-01-05T10:30:00Z"
    assert (first["severity"], first["evidence"]) == ("major", "posted")
    assert first["summary"] == "14 new videos from 12 creators in 45 min"
    assert (first["new_creators"], first["window_s"], first["strength"]) == (12, 2700, 9.5)
    # Filters: kind, market, and a time range (inclusive).
    only = trendmon(
        "history", "spikes", *flags, "--kind", "sound", "--from", "2026-01-05T10:31:00Z", env=env
    )
    assert [json.loads(line)["entity"] for line in only.stdout.splitlines()] == [
        "7456000000000000001"
    ]
    gb = trendmon("history", "spikes", *flags, "--market", "GB", "--to", "2026-01-05T11:30:00Z",
                  env=env)
    assert [json.loads(line)["entity"] for line in gb.stdout.splitlines()] == ["lunafan"]


def test_a_bad_time_is_a_usage_error(tmp_path: Path) -> None:
    result = trendmon("history", "spikes", "--home", str(tmp_path), "--from", "yesterday")
    assert result.returncode == 2
    assert "is not a time" in result.stderr and "ISO 8601" in result.stderr


def test_evaluate_truth_scores_the_stored_spikes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = open_history("sqlite", home=home)
    store.write([], [], SPIKES)
    store.close()
    truth = tmp_path / "truth.json"
    truth.write_text(
        json.dumps(
            {
                "interval_s": 900,
                "breakouts": [
                    # Found 30 minutes after its onset: two intervals.
                    {"kind": "hashtag", "id": "lunadance", "market": "US",
                     "onset": "2026-01-05T10:00:00Z"},
                    # Never found.
                    {"kind": "hashtag", "id": "missed", "onset": "2026-01-05T10:00:00Z"},
                ],
            }
        )
    )
    result = trendmon("evaluate", "--truth", str(truth), "--home", str(home))
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    # Three spikes, one of them on a listed take-off; one of two take-offs found.
    assert lines["spike_precision"] == "0.33"
    assert lines["spike_recall"] == "0.50"
    assert lines["spike_median_delay_intervals"] == "2.0"
    assert lines["stage_precision"].startswith("n/a")
    bad = tmp_path / "bad.json"
    bad.write_text('{"breakouts": [{"kind": "hashtag"}]}')
    refused = trendmon("evaluate", "--truth", str(bad), "--home", str(home))
    assert refused.returncode == 2 and "is not a truth file" in refused.stderr
