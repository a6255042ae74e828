"""The embedded log: ordering, idempotence, reads by offset and time, several processes, kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from trendmon.errors import BusError
from trendmon.log.base import Message
from trendmon.log.embedded import EmbeddedLog
from trendmon.partitioner import partition_for
from trendmon.settings import LogSettings


def messages(n: int, start: int = 0) -> list[Message]:
    return [
        Message(
            key=f"video-{i % 50}", value=b'{"i": %d}' % i, timestamp_ms=i * 1000, event_id=f"e{i}"
        )
        for i in range(start, start + n)
    ]


def test_append_read_back_in_order_with_kafka_partitions(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path, LogSettings(partitions=4))
    assert log.publish("snapshots", messages(500)) == 500
    records = list(log.read("snapshots"))
    assert [r.value for r in records] == [m.value for m in messages(500)]
    assert [r.offset for r in records] == sorted(r.offset for r in records)
    assert all(r.partition == partition_for(r.key or "", 4) for r in records)
    assert len({r.partition for r in records}) == 4


def test_republishing_the_same_events_changes_nothing(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path)
    log.publish("snapshots", messages(100))
    assert log.publish("snapshots", messages(150)) == 50
    assert log.count("snapshots") == 150


def test_read_from_offset_time_and_limit(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path)
    log.publish("snapshots", messages(100))
    offsets = [r.offset for r in log.read("snapshots")]
    assert [r.offset for r in log.read("snapshots", from_offset=offsets[90])] == offsets[90:]
    in_window = list(log.read("snapshots", from_time_ms=20_000, to_time_ms=30_000))
    assert [r.timestamp_ms for r in in_window] == list(range(20_000, 30_000, 1000))
    assert len(list(log.read("snapshots", limit=7))) == 7
    assert list(log.read("snapshots", from_time_ms=10**12)) == []


def test_the_log_counts_what_it_stores_by_tally_and_minute(tmp_path: Path) -> None:
    def message(i: int, tally: str | None, rounded: bool = False) -> Message:
        return Message(f"v{i}", b"{}", 60_000 * (i // 3) + i, f"e{i}", tally, rounded)

    with EmbeddedLog(tmp_path) as log:
        batch = [message(i, "trending", rounded=i % 2 == 1) for i in range(6)]
        batch += [message(6, "hashtag:dance"), message(7, None), message(0, "trending")]
        assert log.publish("snapshots", batch) == 8  # the repeat of e0 is not stored
        # Published again (a producer that crashed and ran again): stored once, counted once.
        assert log.publish("snapshots", [*batch, message(8, "hashtag:dance")]) == 1
        kept = log.tallies("snapshots")
        assert [(t.minute_ms, t.tally, t.flagged, t.records, t.last_ms) for t in kept] == [
            (0, "trending", False, 2, 2),
            (0, "trending", True, 1, 1),
            (60_000, "trending", False, 1, 60_004),
            (60_000, "trending", True, 2, 60_005),
            (120_000, "hashtag:dance", False, 2, 120_008),
        ]
        assert [t.tally for t in log.tallies("snapshots", from_time_ms=120_001)] == [
            "hashtag:dance"
        ]
        assert log.tallies("dead-letters") == []


def test_stats(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path, LogSettings(partitions=3))
    log.publish("snapshots", messages(30))
    st = log.stats("snapshots")
    assert st.records == 30 and st.partitions == 3
    assert sum(st.by_partition.values()) == 30
    assert (st.first_ts_ms, st.last_ts_ms) == (0, 29_000)


def test_unknown_topic_names_the_file_and_the_fix(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path)
    with pytest.raises(BusError, match=r"no topic .nope.*TRENDMON_HOME"):
        list(log.read("nope"))


def test_follow_sees_records_written_by_another_process(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path)
    log.publish("snapshots", messages(1))
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER.format(home=str(tmp_path), n=200, batch=20, sleep=0.01)]
    )
    try:
        seen = []
        for record in log.read("snapshots", follow=True):
            seen.append(record)
            if len(seen) == 201:
                break
        assert [r.value for r in seen[1:]] == [m.value for m in messages(200, start=1)]
    finally:
        writer.wait(timeout=30)


_WRITER = textwrap.dedent(
    """
    import time
    from trendmon.log.embedded import EmbeddedLog
    from trendmon.log.base import Message
    log = EmbeddedLog({home!r})
    for b in range(1, {n} + 1, {batch}):
        log.publish("snapshots", [
            Message(key=f"video-{{i % 50}}", value=b'{{"i": %d}}' % i, timestamp_ms=i * 1000,
                    event_id=f"e{{i}}")
            for i in range(b, min(b + {batch}, {n} + 1))
        ])
        time.sleep({sleep})
    """
)


@pytest.mark.slow
def test_kill_9_mid_write_leaves_no_torn_or_duplicated_records_and_resumes(tmp_path: Path) -> None:
    total, batch = 60_000, 500
    script = _WRITER.format(home=str(tmp_path), n=total, batch=batch, sleep=0)
    proc = subprocess.Popen([sys.executable, "-c", script])
    db = tmp_path / "log.sqlite3"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            count = (
                sqlite3.connect(db).execute('SELECT COUNT(*) FROM "log:snapshots"').fetchone()[0]
            )
        except sqlite3.OperationalError:
            continue
        if count >= 5 * batch:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    log = EmbeddedLog(tmp_path)
    mid = log.count("snapshots")
    assert 0 < mid < total, "the writer must have been killed mid-stream"
    assert mid % batch == 0, "a batch is one transaction: never half of one"
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Resuming is running the same producer again: ids already there are ignored.
    subprocess.run([sys.executable, "-c", script], check=True)
    values = [r.value for r in EmbeddedLog(tmp_path).read("snapshots")]
    assert values == [m.value for m in messages(total, start=1)]

