"""The embedded alert store: ``TRENDMON_HOME/alerts.sqlite3`` (see :mod:`trendmon.sinks.alerts`).

Tables: ``subscriptions`` (the subscription's JSON, its secrets and target sealed: see
:data:`trendmon.sinks.alerts.SEALED_FIELDS`), ``deliveries`` (columns for the queries, the
whole record in ``doc``), ``delivery_spikes`` (one row per subscription and spike: what
makes offering a spike twice harmless), ``attempts`` (the log) and ``cooldowns`` (per
subscription and entity, the event time of the last alert). WAL, so ``trendmon alerts`` and
the dashboard can read and write while ``trendmon run`` delivers; ``BEGIN IMMEDIATE`` around
every change, so two processes claiming deliveries never take the same one.

One instance may be shared by threads (a lock serialises them).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from trendmon.accounts.sealing import Sealer
from trendmon.alerts.records import Attempt, Delivery, Status
from trendmon.alerts.subscriptions import Subscription
from trendmon.errors import UnknownAlertError
from trendmon.events import Spike
from trendmon.sinks.alerts import open_subscription, reseal_subscription, seal_subscription
from trendmon.sinks.sqlite.files import open_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY, sub_id TEXT NOT NULL, status TEXT NOT NULL, sealed INTEGER NOT NULL,
    created_ms INTEGER NOT NULL, due_ms INTEGER NOT NULL, lease_ms INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, due_ms);
CREATE INDEX IF NOT EXISTS deliveries_sub ON deliveries (sub_id, created_ms);
CREATE TABLE IF NOT EXISTS delivery_spikes (
    sub_id TEXT NOT NULL, spike_id TEXT NOT NULL, delivery_id TEXT NOT NULL,
    PRIMARY KEY (sub_id, spike_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attempts (
    delivery_id TEXT NOT NULL, n INTEGER NOT NULL, sub_id TEXT NOT NULL, at_ms INTEGER NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (delivery_id, n)
);
CREATE INDEX IF NOT EXISTS attempts_sub ON attempts (sub_id, at_ms);
CREATE TABLE IF NOT EXISTS cooldowns (
    sub_id TEXT NOT NULL, entity TEXT NOT NULL, last_ms INTEGER NOT NULL,
    spike_id TEXT NOT NULL, PRIMARY KEY (sub_id, entity)
) WITHOUT ROWID;
"""

_encode = msgspec.json.Encoder().encode
_sub = msgspec.json.Decoder(Subscription).decode
_delivery = msgspec.json.Decoder(Delivery).decode
_attempt = msgspec.json.Decoder(Attempt).decode


class SqliteAlerts:
    """The alert store in ``home/alerts.sqlite3``."""

    def __init__(self, home: Path | str, *, sealer: Sealer) -> None:
        self.home = Path(home)
        self.sealer = sealer
        # FULL: a queued alert survives a power cut; secure_delete: a replaced secret leaves
        # no old bytes in the file.
        self.path, self._db = open_file(
            self.home, "alerts.sqlite3", _SCHEMA, synchronous="FULL", shared=True,
            pragmas=("secure_delete=ON",),
        )  # fmt: skip
        self._lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # -- subscriptions ------------------------------------------------------------------------

    def add_subscription(self, sub: Subscription) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO subscriptions (id, created_ms, doc) VALUES (?, ?, ?)",
                (sub.id, sub.created_ms, self._stored(sub)),
            )

    def subscription(self, sub_id: str) -> Subscription:
        rows = self._all("SELECT doc FROM subscriptions WHERE id = ?", (sub_id,))
        if not rows:
            raise UnknownAlertError(
                f"no subscription {sub_id!r}; `trendmon alerts list` shows their ids"
            )
        return self._opened(rows[0][0])

    def subscriptions(self) -> list[Subscription]:
        rows = self._all("SELECT doc FROM subscriptions ORDER BY created_ms, id")
        return [self._opened(r[0]) for r in rows]

    def _stored(self, sub: Subscription) -> str:
        return _encode(seal_subscription(sub, self.sealer)).decode()

    def _opened(self, doc: str) -> Subscription:
        return open_subscription(_sub(doc), self.sealer)

    def reseal(self) -> int:
        with self.transaction():
            rows = self._db.execute("SELECT doc FROM subscriptions").fetchall()
            for (doc,) in rows:
                sub = reseal_subscription(_sub(doc), self.sealer)
                self._db.execute(
                    "UPDATE subscriptions SET doc = ? WHERE id = ?",
                    (_encode(sub).decode(), sub.id),
                )
        # Old ciphertexts should not linger in the WAL or in free pages (secure_delete already
        # zeroes what a change frees). Best effort: another process reading the file (a running
        # `trendmon run`) can keep the WAL from being emptied now; its next checkpoint does it.
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._db.execute("VACUUM")
            except sqlite3.OperationalError:
                pass
        return len(rows)

    def save_subscription(self, sub: Subscription) -> None:
        with self.transaction():
            cur = self._db.execute(
                "UPDATE subscriptions SET doc = ? WHERE id = ?", (self._stored(sub), sub.id)
            )
            if cur.rowcount == 0:
                self.subscription(sub.id)  # raises

    def remove_subscription(self, sub_id: str) -> None:
        with self.transaction():
            cur = self._db.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,))
            if cur.rowcount == 0:
                self.subscription(sub_id)  # raises
            self._db.execute("DELETE FROM cooldowns WHERE sub_id = ?", (sub_id,))

    # -- queueing -----------------------------------------------------------------------------

    def has_spike(self, sub_id: str, spike_id: str) -> bool:
        rows = self._all(
            "SELECT 1 FROM delivery_spikes WHERE sub_id = ? AND spike_id = ?", (sub_id, spike_id)
        )
        return bool(rows)

    def pass_cooldown(
        self, sub_id: str, entity: str, spike_id: str, detected_ms: int, cooldown_ms: int
    ) -> bool:
        with self.transaction():
            row = self._db.execute(
                "SELECT last_ms, spike_id FROM cooldowns WHERE sub_id = ? AND entity = ?",
                (sub_id, entity),
            ).fetchone()
            if row is not None and row[1] != spike_id and detected_ms < row[0] + cooldown_ms:
                return False
            self._db.execute(
                "INSERT OR REPLACE INTO cooldowns (sub_id, entity, last_ms, spike_id) "
                "VALUES (?, ?, ?, ?)",
                (sub_id, entity, max(detected_ms, row[0] if row else 0), spike_id),
            )
            return True

    def append_open(self, sub_id: str, spike: Spike) -> bool:
        with self.transaction():
            row = self._db.execute(
                "SELECT doc FROM deliveries WHERE sub_id = ? AND status = 'pending' "
                "AND sealed = 0 ORDER BY created_ms DESC LIMIT 1",
                (sub_id,),
            ).fetchone()
            if row is None:
                return False
            d = _delivery(row[0])
            d.spike_ids.append(spike.spike_id)
            d.spikes.append(spike)
            self._db.execute(
                "UPDATE deliveries SET doc = ? WHERE id = ?", (_encode(d).decode(), d.id)
            )
            self._db.execute(
                "INSERT OR IGNORE INTO delivery_spikes VALUES (?, ?, ?)",
                (sub_id, spike.spike_id, d.id),
            )
            return True

    def last_created_ms(self, sub_id: str) -> int | None:
        rows = self._all("SELECT max(created_ms) FROM deliveries WHERE sub_id = ?", (sub_id,))
        return rows[0][0] if rows and rows[0][0] is not None else None

    def create_delivery(self, delivery: Delivery) -> bool:
        with self.transaction():
            cur = self._db.execute(
                "INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    delivery.id,
                    delivery.sub_id,
                    delivery.status,
                    int(delivery.sealed),
                    delivery.created_ms,
                    delivery.due_ms,
                    delivery.lease_ms,
                    _encode(delivery).decode(),
                ),
            )
            if cur.rowcount == 0:
                return False
            self._db.executemany(
                "INSERT OR IGNORE INTO delivery_spikes VALUES (?, ?, ?)",
                [(delivery.sub_id, s, delivery.id) for s in delivery.spike_ids],
            )
            return True

    # -- dispatching --------------------------------------------------------------------------

    def claim(self, now_ms: int, lease_ms: int) -> Delivery | None:
        with self.transaction():
            row = self._db.execute(
                "SELECT doc FROM deliveries WHERE status = 'pending' AND due_ms <= ? "
                "AND lease_ms <= ? ORDER BY due_ms LIMIT 1",
                (now_ms, now_ms),
            ).fetchone()
            if row is None:
                return None
            d = _delivery(row[0])
            d.sealed = True
            d.lease_ms = now_ms + lease_ms
            self._write(d)
            return d

    def _write(self, d: Delivery) -> None:
        self._db.execute(
            "UPDATE deliveries SET status = ?, sealed = ?, due_ms = ?, lease_ms = ?, doc = ? "
            "WHERE id = ?",
            (d.status, int(d.sealed), d.due_ms, d.lease_ms, _encode(d).decode(), d.id),
        )

    def finish(self, delivery: Delivery, attempt: Attempt | None) -> None:
        with self.transaction():
            self._write(delivery)
            if attempt is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO attempts VALUES (?, ?, ?, ?, ?)",
                    (
                        attempt.delivery_id,
                        attempt.n,
                        attempt.sub_id,
                        attempt.at_ms,
                        _encode(attempt).decode(),
                    ),
                )

    def next_due_ms(self) -> int | None:
        rows = self._all(
            "SELECT min(max(due_ms, lease_ms)) FROM deliveries WHERE status = 'pending'"
        )
        return rows[0][0] if rows and rows[0][0] is not None else None

    # -- the log ------------------------------------------------------------------------------

    def delivery(self, delivery_id: str) -> Delivery:
        rows = self._all("SELECT doc FROM deliveries WHERE id = ?", (delivery_id,))
        if not rows:
            raise UnknownAlertError(
                f"no delivery {delivery_id!r}; `trendmon alerts log SUB` shows their ids"
            )
        return _delivery(rows[0][0])

    def deliveries(
        self,
        sub_id: str | None = None,
        status: Status | None = None,
        since_ms: int | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        sql, params = "SELECT doc FROM deliveries WHERE 1 = 1", list[Any]()
        for column, value in (("sub_id", sub_id), ("status", status)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        if since_ms is not None:
            sql += " AND created_ms >= ?"
            params.append(since_ms)
        sql += " ORDER BY created_ms DESC, id LIMIT ?"
        params.append(limit)
        return [_delivery(r[0]) for r in self._all(sql, tuple(params))]

    def attempts(
        self, delivery_id: str | None = None, sub_id: str | None = None, limit: int = 100
    ) -> list[Attempt]:
        sql, params = "SELECT doc FROM attempts WHERE 1 = 1", list[Any]()
        for column, value in (("delivery_id", delivery_id), ("sub_id", sub_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        sql += " ORDER BY at_ms DESC, n DESC LIMIT ?"
        params.append(limit)
        return [_attempt(r[0]) for r in self._all(sql, tuple(params))]

    def close(self) -> None:
        with self._lock:
            self._db.close()
