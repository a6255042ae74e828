"""The embedded history store: one SQLite file, ``TRENDMON_HOME/history-{namespace}.sqlite3``.

Tables (each row keeps its event's JSON in ``doc``, so reads return exactly what was written):

- ``snapshots``: primary key ``event_id``, unique (video_id, collected_ms), the counts as columns
  for :meth:`~SqliteHistory.video_series`;
- ``snapshot_entities``: one row per (entity key, video, collected_ms) of each stored snapshot,
  the indexed "array field" behind :meth:`~SqliteHistory.videos_with`;
- ``scores``: primary key ``entity|market|window|at_ms``; ``ticks``: one row per board and tick;
- ``spikes``: primary key ``spike_id``.

A batch is one transaction of ``INSERT OR IGNORE`` statements, so writing it again changes
nothing and a crash leaves all of it or none. WAL lets the dashboard read while the engine writes.
One instance per thread (sqlite3 connections are not shared across threads).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from trendmon.events import Spike, TrendScore, VideoSnapshot
from trendmon.settings import DEFAULT_NAMESPACE, check_namespace
from trendmon.sinks.history import (
    COLLECTIONS,
    KEYFRAME_MS,
    SeriesPoint,
    board_ticks,
    collected_ms,
    entity_keys,
    rebuild_board,
    score_id,
)
from trendmon.sinks.sqlite.files import open_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    event_id TEXT PRIMARY KEY,
    video_id TEXT NOT NULL,
    collected_ms INTEGER NOT NULL,
    plays INTEGER NOT NULL, likes INTEGER NOT NULL, comments INTEGER NOT NULL,
    shares INTEGER NOT NULL, saves INTEGER NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (video_id, collected_ms)
);
CREATE TABLE IF NOT EXISTS snapshot_entities (
    entity TEXT NOT NULL, video_id TEXT NOT NULL, collected_ms INTEGER NOT NULL,
    PRIMARY KEY (entity, video_id, collected_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scores (
    id TEXT PRIMARY KEY,
    entity TEXT NOT NULL, kind TEXT NOT NULL, market TEXT NOT NULL, win TEXT NOT NULL,
    at_ms INTEGER NOT NULL, rank INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scores_entity ON scores (entity, market, win, at_ms);
CREATE INDEX IF NOT EXISTS scores_board ON scores (kind, market, win, at_ms, rank);
CREATE TABLE IF NOT EXISTS ticks (
    kind TEXT NOT NULL, market TEXT NOT NULL, win TEXT NOT NULL, at_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, market, win, at_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS spikes (
    spike_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL, kind TEXT NOT NULL, market TEXT NOT NULL,
    detected_ms INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS spikes_time ON spikes (detected_ms);
CREATE INDEX IF NOT EXISTS spikes_entity ON spikes (entity, detected_ms);
CREATE INDEX IF NOT EXISTS spikes_kind ON spikes (kind, market, detected_ms);
CREATE TABLE IF NOT EXISTS forecasts (
    id TEXT PRIMARY KEY, made_ms INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS forecasts_time ON forecasts (made_ms, id);
"""

_encode = msgspec.json.Encoder().encode
_decode_doc = msgspec.json.Decoder(dict[str, Any]).decode
_decode_score = msgspec.json.Decoder(TrendScore).decode
_decode_spike = msgspec.json.Decoder(Spike).decode


def _range(column: str, since_ms: int | None, until_ms: int | None) -> tuple[str, list[int]]:
    sql, params = "", []
    if since_ms is not None:
        sql += f" AND {column} >= ?"
        params.append(since_ms)
    if until_ms is not None:
        sql += f" AND {column} <= ?"
        params.append(until_ms)
    return sql, params


class SqliteHistory:
    """The history store in ``home/history-{namespace}.sqlite3``."""

    def __init__(self, home: Path | str, namespace: str = DEFAULT_NAMESPACE) -> None:
        self.home = Path(home)
        # NORMAL keeps every committed batch across a process crash; a power loss may roll back
        # the last batches, which the sink rewrites on replay (writes are idempotent).
        self.path, self._db = open_file(
            self.home, f"history-{check_namespace(namespace)}.sqlite3", _SCHEMA,
            synchronous="NORMAL",
        )  # fmt: skip

    # -- writes -------------------------------------------------------------------------------

    def write(
        self,
        snapshots: list[VideoSnapshot],
        scores: list[TrendScore],
        spikes: list[Spike],
    ) -> None:
        snapshot_rows: list[tuple[Any, ...]] = []
        entity_rows: list[tuple[str, str, int, str]] = []
        for s in snapshots:
            ms = collected_ms(s)
            st = s.stats
            snapshot_rows.append(
                (
                    s.event_id,
                    s.video_id,
                    ms,
                    st.plays,
                    st.likes,
                    st.comments,
                    st.shares,
                    st.saves or 0,
                    _encode(s).decode(),
                )
            )
            entity_rows.extend((key, s.video_id, ms, s.event_id) for key in entity_keys(s))
        score_rows = [
            (
                score_id(c),
                c.entity,
                c.kind,
                c.market,
                c.window,
                c.at_ms,
                c.rank,
                _encode(c).decode(),
            )
            for c in scores
        ]
        spike_rows = [
            (p.spike_id, p.entity, p.kind, p.market, p.detected_ms, _encode(p).decode())
            for p in spikes
        ]
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT OR IGNORE INTO snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", snapshot_rows
            )
            # Only for the snapshot actually stored: another event of the same video and time
            # (a second scraper) was ignored above and must not add its keys to that point.
            db.executemany(
                "INSERT OR IGNORE INTO snapshot_entities SELECT ?, ?, ?"
                " WHERE EXISTS (SELECT 1 FROM snapshots WHERE event_id = ?)",
                entity_rows,
            )
            db.executemany(
                "INSERT OR IGNORE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?)", score_rows
            )
            db.executemany("INSERT OR IGNORE INTO ticks VALUES (?, ?, ?, ?)", board_ticks(scores))
            db.executemany("INSERT OR IGNORE INTO spikes VALUES (?, ?, ?, ?, ?, ?)", spike_rows)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def write_forecasts(self, records: list[dict[str, Any]]) -> None:
        rows = [(r["id"], r["made_ms"], _encode(r).decode()) for r in records]
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR IGNORE INTO forecasts VALUES (?, ?, ?)", rows)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- queries ------------------------------------------------------------------------------

    def forecasts(
        self,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 10_000_000,
        ids: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        where, params = _range("made_ms", since_ms, until_ms)
        named: list[str] = []
        if ids is not None:
            where += f" AND id IN ({', '.join('?' * len(ids))})"
            named = list(ids)
        rows = self._db.execute(
            f"SELECT doc FROM forecasts WHERE 1 = 1{where} ORDER BY made_ms, id LIMIT ?",
            [*params, *named, limit],
        )
        return [_decode_doc(r[0]) for r in rows]

    def video_series(
        self, video_id: str, since_ms: int | None = None, until_ms: int | None = None
    ) -> list[SeriesPoint]:
        where, params = _range("collected_ms", since_ms, until_ms)
        rows = self._db.execute(
            "SELECT collected_ms, plays, likes, comments, shares, saves FROM snapshots"
            f" WHERE video_id = ?{where} ORDER BY collected_ms",
            [video_id, *params],
        )
        return [
            SeriesPoint(
                collected_ms=r[0], plays=r[1], likes=r[2], comments=r[3], shares=r[4], saves=r[5]
            )
            for r in rows
        ]

    def holds(self, event_ids: Iterable[str]) -> bool:
        return all(
            self._db.execute("SELECT 1 FROM snapshots WHERE event_id = ?", (e,)).fetchone()
            for e in event_ids
        )

    def video(self, video_id: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT doc FROM snapshots WHERE video_id = ? ORDER BY collected_ms DESC LIMIT 1",
            (video_id,),
        ).fetchone()
        return None if row is None else _decode_doc(row[0])

    def entity_series(
        self,
        entity: str,
        market: str = "all",
        window: str = "24h",
        since_ms: int | None = None,
        until_ms: int | None = None,
    ) -> list[TrendScore]:
        where, params = _range("at_ms", since_ms, until_ms)
        rows = self._db.execute(
            "SELECT doc FROM scores WHERE entity = ? AND market = ? AND win = ?"
            f"{where} ORDER BY at_ms",
            [entity, market, window, *params],
        )
        return [_decode_score(r[0]) for r in rows]

    def spikes(
        self,
        since_ms: int | None = None,
        until_ms: int | None = None,
        kind: str | None = None,
        market: str | None = None,
        entity: str | None = None,
        limit: int = 500,
    ) -> list[Spike]:
        where, params = _range("detected_ms", since_ms, until_ms)
        filters: list[Any] = []
        for column, value in (("kind", kind), ("market", market), ("entity", entity)):
            if value is not None:
                where += f" AND {column} = ?"
                filters.append(value)
        rows = self._db.execute(
            f"SELECT doc FROM spikes WHERE 1 = 1{where}"
            " ORDER BY detected_ms DESC, spike_id LIMIT ?",
            [*params, *filters, limit],
        )
        return [_decode_spike(r[0]) for r in rows]

    def board_at(
        self, kind: str, market: str, window: str, at_ms: int, n: int = 50
    ) -> list[TrendScore]:
        board = (kind, market, window)
        keyframe = self._db.execute(
            "SELECT MAX(at_ms) FROM ticks WHERE kind = ? AND market = ? AND win = ?"
            " AND at_ms <= ? AND at_ms % ? = 0",
            (*board, at_ms, KEYFRAME_MS),
        ).fetchone()[0]
        if keyframe is None:  # the history starts after the last keyframe: take it all
            keyframe = self._db.execute(
                "SELECT MIN(at_ms) FROM ticks WHERE kind = ? AND market = ? AND win = ?", board
            ).fetchone()[0]
        if keyframe is None or keyframe > at_ms:
            return []
        rows = self._db.execute(
            "SELECT doc FROM scores WHERE kind = ? AND market = ? AND win = ?"
            " AND at_ms >= ? AND at_ms <= ?",
            (*board, keyframe, at_ms),
        )
        return rebuild_board((_decode_score(r[0]) for r in rows), n)

    def videos_with(
        self, entity: str, since_ms: int | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        where, params = _range("collected_ms", since_ms, None)
        rows = self._db.execute(
            "SELECT s.doc FROM ("
            "  SELECT video_id, MAX(collected_ms) AS ms FROM snapshot_entities"
            f"  WHERE entity = ?{where} GROUP BY video_id ORDER BY ms DESC, video_id LIMIT ?"
            ") AS latest JOIN snapshots AS s"
            " ON s.video_id = latest.video_id AND s.collected_ms = latest.ms"
            " ORDER BY latest.ms DESC, latest.video_id",
            [entity, *params, limit],
        )
        return [_decode_doc(r[0]) for r in rows]

    # -- housekeeping -------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        return {
            name: int(self._db.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0])
            for name in COLLECTIONS
        }

    def clear(self) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in (
                "snapshots",
                "snapshot_entities",
                "scores",
                "ticks",
                "spikes",
                "forecasts",
            ):
                db.execute(f"DELETE FROM {table}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()
