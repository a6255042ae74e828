"""`trendmon simulate|import --bus kafka`: the producers publish to the real broker."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trendmon.cli import app
from trendmon.events import decode_snapshot
from trendmon.log.base import DEAD_LETTERS, SNAPSHOTS
from trendmon.log.kafka import KafkaBus
from trendmon.settings import KafkaSettings

pytestmark = pytest.mark.services

SMALL = [
    "--seed",
    "5",
    "--creators",
    "30",
    "--videos",
    "40",
    "--markets",
    "US",
    "--interval",
    "10m",
    "--hours",
    "1",
    "--breakouts",
    "1",
]


@pytest.fixture
def kafka(kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KafkaSettings:
    monkeypatch.chdir(tmp_path)
    prefix = f"cli-{uuid.uuid4().hex[:8]}."
    monkeypatch.setenv("TRENDMON_KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("TRENDMON_KAFKA_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("TRENDMON_KAFKA_RETENTION_HOURS", "1000000")  # months-old event times
    monkeypatch.setenv("TRENDMON_SIM_LIFETIME_H", "1")
    return KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=prefix)


def test_simulate_publishes_to_kafka_keyed_by_video(kafka: KafkaSettings) -> None:
    result = CliRunner().invoke(app, ["simulate", *SMALL, "--bus", "kafka"])
    assert result.exit_code == 0, result.stderr
    bus = KafkaBus(kafka)
    try:
        records = list(bus.read(SNAPSHOTS))
    finally:
        bus.close()
    assert len(records) > 100
    assert f"published {len(records):,}" in result.stderr
    for record in records[::25]:
        assert record.key == decode_snapshot(record.value).video_id


def test_import_publishes_to_kafka_and_dead_letters_there(
    kafka: KafkaSettings, tmp_path: Path
) -> None:
    items = tmp_path / "items.jsonl"
    made = CliRunner().invoke(
        app, ["simulate", *SMALL, "--format", "itemstruct", "--out", str(items)]
    )
    assert made.exit_code == 0, made.stderr
    with items.open("ab") as fp:
        fp.write(b'{"id": "not a video"}\n')
    lines = len(items.read_bytes().splitlines())
    result = CliRunner().invoke(app, ["import", str(items), "--bus", "kafka"])
    assert result.exit_code == 0, result.stderr
    bus = KafkaBus(kafka)
    try:
        assert bus.count(SNAPSHOTS) == lines - 1
        assert bus.count(DEAD_LETTERS) == 1
    finally:
        bus.close()
