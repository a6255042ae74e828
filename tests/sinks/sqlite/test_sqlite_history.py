"""What only the SQLite history store does: its file, namespaces, durability settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from trendmon.errors import ConfigError
from trendmon.events import Author, Stats, VideoSnapshot, new_snapshot, utc
from trendmon.sinks.factory import open_history
from trendmon.sinks.sqlite.history import SqliteHistory


def one_snapshot(video: str = "v1") -> list[VideoSnapshot]:
    return [
        new_snapshot(
            video_id=video,
            collected_at=utc(1_767_571_200),
            source="trending",
            author=Author(id="c1", unique_id="c1"),
            stats=Stats(plays=10, likes=1, comments=0, shares=0),
        )
    ]


def test_one_file_per_namespace_in_wal_mode(tmp_path: Path) -> None:
    live = SqliteHistory(tmp_path)
    replay = SqliteHistory(tmp_path, namespace="replay-1")
    try:
        live.write(one_snapshot(), [], [])
        assert live.path == tmp_path / "history-tm.sqlite3"
        assert replay.path == tmp_path / "history-replay-1.sqlite3"
        assert replay.counts()["snapshots"] == 0
        with sqlite3.connect(live.path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        live.close()
        replay.close()


def test_history_survives_reopening(tmp_path: Path) -> None:
    store = open_history("sqlite", home=tmp_path)
    store.write(one_snapshot(), [], [])
    store.close()
    again = SqliteHistory(tmp_path)
    try:
        assert again.counts()["snapshots"] == 1
        assert again.video("v1") is not None
    finally:
        again.close()


@pytest.mark.parametrize("namespace", ["", "a/b", "x" * 41, "../up", "a b"])
def test_a_bad_namespace_is_refused(tmp_path: Path, namespace: str) -> None:
    with pytest.raises(ConfigError, match="namespace"):
        SqliteHistory(tmp_path, namespace=namespace)


def test_an_unwritable_home_says_what_to_set(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="TRENDMON_HOME"):
        SqliteHistory(blocker / "home")
