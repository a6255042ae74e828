"""`trendmon log tail|stats|export` on both buses."""

from __future__ import annotations

import uuid
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from trendmon.cli import app
from trendmon.events import decode_snapshot, encode
from trendmon.log.base import SNAPSHOTS, Message
from trendmon.log.embedded import EmbeddedLog
from trendmon.log.kafka import KafkaBus
from trendmon.settings import KafkaSettings

from ..engine.factory import snap

SNAPS = [
    snap(video=str(7_000_000_000_000_000_000 + i % 3), minutes=i, plays=1000 + i) for i in range(12)
]


def messages() -> list[Message]:
    return [
        Message(s.video_id, encode(s), int(s.collected_at.timestamp() * 1000), s.event_id)
        for s in SNAPS
    ]


def test_stats_export_and_tail_on_the_embedded_log(tmp_path: Path) -> None:
    EmbeddedLog(tmp_path).publish(SNAPSHOTS, messages())
    runner = CliRunner()
    stats = runner.invoke(app, ["log", "stats", "--home", str(tmp_path)])
    assert stats.exit_code == 0, stats.output
    (topic,) = orjson.loads(stats.stdout)
    assert (topic["topic"], topic["records"]) == ("snapshots", 12)
    assert topic["first_event_time"] == "2026-01-05T00:00:00+00:00"

    export = runner.invoke(
        app,
        ["log", "export", "snapshots", "--from", "2026-01-05T00:05:00Z", "--home", str(tmp_path)],
    )
    assert [decode_snapshot(line) for line in export.stdout.splitlines()] == SNAPS[5:]

    tail = runner.invoke(app, ["log", "tail", "-n", "3", "--home", str(tmp_path)])
    lines = tail.stdout.splitlines()
    assert len(lines) == 3 and "plays  1.01K" in lines[-1] and "#dance" in lines[-1]


def test_unknown_topic_is_one_clear_line(tmp_path: Path) -> None:
    EmbeddedLog(tmp_path).publish(SNAPSHOTS, messages())
    result = CliRunner().invoke(app, ["log", "export", "nope", "--home", str(tmp_path)])
    assert result.exit_code != 0
    assert "no topic 'nope'" in str(result.exception or result.output)


@pytest.mark.services
def test_stats_and_export_on_kafka(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = f"cli-{uuid.uuid4().hex[:8]}."
    bus = KafkaBus(
        KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=prefix, partitions=2)
    )
    bus.publish(SNAPSHOTS, messages())
    bus.close()
    monkeypatch.setenv("TRENDMON_KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("TRENDMON_KAFKA_TOPIC_PREFIX", prefix)
    runner = CliRunner()
    stats = runner.invoke(app, ["log", "stats", "snapshots", "--bus", "kafka"])
    assert stats.exit_code == 0, stats.output
    assert orjson.loads(stats.stdout)["records"] == 12
    export = runner.invoke(app, ["log", "export", "snapshots", "--bus", "kafka"])
    assert sorted(decode_snapshot(x).event_id for x in export.stdout.splitlines()) == sorted(
        s.event_id for s in SNAPS
    )
