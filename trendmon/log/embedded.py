"""The embedded durable log: SQLite in WAL mode under ``TRENDMON_HOME``.

It stands in for Kafka when trendmon runs on one machine, and promises what a log must:

- **append-only, ordered**: each topic is a table whose ``offset`` is its integer primary key
  (AUTOINCREMENT, so an offset is never reused). One
  offset sequence is shared by the topic's partitions; each record still carries the partition its
  key hashes to (Kafka's partitioner, :func:`partition_for`), so both buses agree on placement.
- **atomic, crash-safe appends**: a batch is one transaction, so a ``kill -9`` mid-write leaves
  either the whole batch or none of it, never a torn record; WAL lets reader processes read while
  one writer appends.
- **idempotent publish**: a unique index on ``event_id`` makes re-publishing the same event a
  no-op (``INSERT OR IGNORE``), so a producer that crashed can simply run again.
- **replayable**: read from an offset, or from an event time through an index on ``ts``.
- **counted**: records published with a :attr:`~trendmon.log.base.Message.tally` are added to
  the ``tallies`` table (per topic, minute of event time, tally and flag) in the transaction
  that stores them, so the health page reads a few rows instead of the records.

A consumer keeps its own position (the embedded runtime keeps it in its checkpoint, with the
state it belongs to). Records are kept for good: the log is what replays rebuild from.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from trendmon.errors import BusError
from trendmon.log.base import Message, Record, Tally, TopicStats
from trendmon.partitioner import partition_for
from trendmon.settings import LogSettings

_READ_CHUNK = 2000
_FOLLOW_POLL_S = 0.1


def _table(topic: str) -> str:
    if not topic or any(c in topic for c in '"\0') or len(topic) > 200:
        raise BusError(f"invalid topic name {topic!r}: use letters, digits, '-', '_' or '.'")
    return f'"log:{topic}"'


class EmbeddedLog:
    """The log under ``home`` (``home/log.sqlite3``). One instance per thread."""

    def __init__(self, home: Path | str, settings: LogSettings | None = None) -> None:
        self.settings = settings or LogSettings()
        self.home = Path(home)
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BusError(
                f"cannot create TRENDMON_HOME {self.home}: {exc.strerror}; set TRENDMON_HOME "
                "or --home to a writable folder"
            ) from None
        self.path = self.home / "log.sqlite3"
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL keeps every committed transaction across a process crash (kill -9); only a
        # power loss can roll back the last transactions, never tear one.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS topics (
                name TEXT PRIMARY KEY, partitions INTEGER NOT NULL, created_ms INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS tallies (
                topic TEXT NOT NULL, minute_ms INTEGER NOT NULL, tally TEXT NOT NULL,
                flagged INTEGER NOT NULL, records INTEGER NOT NULL, last_ms INTEGER NOT NULL,
                PRIMARY KEY (topic, minute_ms, tally, flagged)) WITHOUT ROWID;
            """
        )
        self._partitions: dict[str, int] = {}

    # -- topics -------------------------------------------------------------------------------

    def create_topic(self, topic: str, partitions: int | None = None) -> int:
        """Create a topic if it does not exist; return its partition count."""
        if topic in self._partitions:
            return self._partitions[topic]
        table = _table(topic)
        row = self._db.execute("SELECT partitions FROM topics WHERE name = ?", (topic,)).fetchone()
        if row is None:
            count = partitions or self.settings.partitions
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} ("
                    " offset INTEGER PRIMARY KEY AUTOINCREMENT,"
                    " partition INTEGER NOT NULL, key TEXT, ts INTEGER NOT NULL,"
                    " event_id TEXT, value BLOB NOT NULL)"
                )
                idx = topic.replace('"', "")
                self._db.execute(
                    f'CREATE UNIQUE INDEX IF NOT EXISTS "log:{idx}:event_id" ON {table}(event_id)'
                )
                self._db.execute(
                    f'CREATE INDEX IF NOT EXISTS "log:{idx}:ts" ON {table}(ts, offset)'
                )
                self._db.execute(
                    "INSERT OR IGNORE INTO topics VALUES (?, ?, ?)",
                    (topic, count, int(time.time() * 1000)),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            row = self._db.execute(
                "SELECT partitions FROM topics WHERE name = ?", (topic,)
            ).fetchone()
        self._partitions[topic] = int(row[0])
        return self._partitions[topic]

    def topics(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT name FROM topics ORDER BY name")]

    def _require(self, topic: str) -> str:
        if topic not in self._partitions:
            row = self._db.execute(
                "SELECT partitions FROM topics WHERE name = ?", (topic,)
            ).fetchone()
            if row is None:
                known = ", ".join(self.topics()) or "none yet"
                raise BusError(
                    f"no topic {topic!r} in {self.path} (topics: {known}); check --home / "
                    "TRENDMON_HOME, or publish to it first"
                )
            self._partitions[topic] = int(row[0])
        return _table(topic)

    # -- writing ------------------------------------------------------------------------------

    def publish(self, topic: str, messages: Iterable[Message]) -> int:
        """Append a batch in one transaction; return how many were new (not seen event ids)."""
        partitions = self.create_topic(topic)
        table = _table(topic)
        batch = list(messages)
        rows = [
            (partition_for(m.key, partitions), m.key, m.timestamp_ms, m.event_id, m.value)
            for m in batch
        ]
        if not rows:
            return 0
        self._db.execute("BEGIN IMMEDIATE")
        try:
            last = self._next_offset(table)
            before = self._db.total_changes
            self._db.executemany(
                f"INSERT OR IGNORE INTO {table} (partition, key, ts, event_id, value)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            new = self._db.total_changes - before
            if new and any(m.tally is not None for m in batch):
                self._count(topic, table, last, batch)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return new

    def _count(self, topic: str, table: str, first_new: int, batch: list[Message]) -> None:
        """Add the records of ``batch`` that were stored (not already-seen event ids) to the
        tallies, in the transaction that stores them: the counts are exact and never torn."""
        stored = {
            row[0]
            for row in self._db.execute(
                f"SELECT event_id FROM {table} WHERE offset >= ?", (first_new,)
            )
        }
        counts: Counter[tuple[int, str, bool]] = Counter()
        last: dict[tuple[int, str, bool], int] = {}
        for m in batch:
            if m.event_id is not None:
                if m.event_id not in stored:
                    continue
                stored.discard(m.event_id)  # a repeat within the batch was ignored too
            if m.tally is None:
                continue
            key = (m.timestamp_ms // 60_000 * 60_000, m.tally, m.flagged)
            counts[key] += 1
            last[key] = max(last.get(key, m.timestamp_ms), m.timestamp_ms)
        self._db.executemany(
            "INSERT INTO tallies VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (topic, minute_ms, tally, flagged) DO UPDATE SET"
            " records = records + excluded.records, last_ms = max(last_ms, excluded.last_ms)",
            [(topic, *key, n, last[key]) for key, n in counts.items()],
        )

    def tallies(self, topic: str, from_time_ms: int | None = None) -> list[Tally]:
        """The counts kept of the records published with a :attr:`Message.tally`, per minute
        of event time from ``from_time_ms`` on (records older than the counts are not in them)."""
        rows = self._db.execute(
            "SELECT minute_ms, tally, flagged, records, last_ms FROM tallies"
            " WHERE topic = ? AND minute_ms >= ? ORDER BY minute_ms, tally, flagged",
            (topic, -(2**62) if from_time_ms is None else from_time_ms // 60_000 * 60_000),
        )
        return [Tally(m, t, bool(f), n, last) for m, t, f, n, last in rows]

    # -- reading ------------------------------------------------------------------------------

    def first_offset_at(self, topic: str, ts_ms: int) -> int | None:
        """The lowest offset whose event time is at or after ``ts_ms`` (index range on ts)."""
        table = self._require(topic)
        row = self._db.execute(f"SELECT MIN(offset) FROM {table} WHERE ts >= ?", (ts_ms,))
        value = row.fetchone()[0]
        return None if value is None else int(value)

    def read(
        self,
        topic: str,
        *,
        from_offset: int | None = None,
        from_time_ms: int | None = None,
        to_time_ms: int | None = None,
        limit: int | None = None,
        follow: bool = False,
        from_end: bool = False,
    ) -> Iterator[Record]:
        """Records in offset order, from an offset and/or within an event-time range.

        ``from_end`` starts after the last record (with ``follow``: only new records).

        Without ``follow`` the iterator stops at the end of the topic as it was when called.
        """
        table = self._require(topic)
        start = self._next_offset(table) if from_end else from_offset or 0
        if from_time_ms is not None:
            first = self.first_offset_at(topic, from_time_ms)
            if first is None and not follow:
                return
            start = max(start, first or 0)
        end = self._next_offset(table) if not follow else None
        conds, params = ["offset >= ?"], [start]
        # "+ts" keeps SQLite on the primary key: we want offset order, not a sort.
        if from_time_ms is not None:
            conds.append("+ts >= ?")
            params.append(from_time_ms)
        if to_time_ms is not None:
            conds.append("+ts < ?")
            params.append(to_time_ms)
        if end is not None:
            conds.append("offset < ?")
            params.append(end)
        sql = (
            f"SELECT offset, partition, key, ts, value FROM {table} WHERE {' AND '.join(conds)}"
            f" ORDER BY offset LIMIT {_READ_CHUNK}"
        )
        remaining = limit
        while True:
            rows = self._db.execute(sql, params).fetchall()
            for offset, partition, key, ts, value in rows:
                yield Record(topic, partition, offset, key, ts, value)
                if remaining is not None:
                    remaining -= 1
                    if remaining <= 0:
                        return
            if rows:
                params[0] = rows[-1][0] + 1
            elif follow:
                time.sleep(_FOLLOW_POLL_S)
            else:
                return

    def _next_offset(self, table: str) -> int:
        row = self._db.execute(f"SELECT MAX(offset) FROM {table}").fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def tail(self, topic: str, n: int) -> list[Record]:
        if n <= 0:
            return []
        start = max(0, self._next_offset(self._require(topic)) - n)
        records = sorted(
            self.read(topic, from_offset=start), key=lambda r: (r.timestamp_ms, r.offset)
        )
        return records[-n:]

    def count(self, topic: str) -> int:
        table = self._require(topic)
        return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def stats(self, topic: str) -> TopicStats:
        table = self._require(topic)
        records, first, lo, hi = self._db.execute(
            f"SELECT COUNT(*), MIN(offset), MIN(ts), MAX(ts) FROM {table}"
        ).fetchone()
        by_partition = dict(
            self._db.execute(
                f"SELECT partition, COUNT(*) FROM {table} GROUP BY partition ORDER BY partition"
            ).fetchall()
        )
        return TopicStats(
            topic=topic,
            records=int(records),
            partitions=self._partitions[topic],
            next_offset=self._next_offset(table),
            first_offset=first,
            first_ts_ms=lo,
            last_ts_ms=hi,
            by_partition=by_partition,
        )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EmbeddedLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
