"""The embedded creator store: ``TRENDMON_HOME/creator.sqlite3`` (:mod:`trendmon.sinks.creator`).

Tables, each value with the export day it came from (``as_of``): ``creator_days`` (one row per
account, day and metric), ``creator_posts`` (the post's JSON in ``doc``), ``creator_audience``
(the newest gender and territory snapshot), ``creator_activity`` (per day and hour) and
``creator_imports`` (the log, one row per file and export day). One import is one transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import msgspec

from trendmon.creator.merge import Summary, Valued
from trendmon.creator.records import Activity, Export, Post, Share
from trendmon.sinks.creator import DayValues, MergingStore, pivot
from trendmon.sinks.sqlite.files import open_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS creator_days (
    account TEXT NOT NULL, date TEXT NOT NULL, metric TEXT NOT NULL, value INTEGER NOT NULL,
    as_of TEXT NOT NULL, PRIMARY KEY (account, date, metric)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS creator_posts (
    account TEXT NOT NULL, key TEXT NOT NULL, posted_at TEXT, as_of TEXT NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (account, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS creator_audience (
    account TEXT NOT NULL, section TEXT NOT NULL, key TEXT NOT NULL, share REAL NOT NULL,
    as_of TEXT NOT NULL, PRIMARY KEY (account, section, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS creator_activity (
    account TEXT NOT NULL, date TEXT NOT NULL, hour INTEGER NOT NULL, active INTEGER NOT NULL,
    as_of TEXT NOT NULL, PRIMARY KEY (account, date, hour)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS creator_imports (
    account TEXT NOT NULL, source TEXT NOT NULL, format TEXT NOT NULL, exported TEXT NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (account, source, format, exported)
) WITHOUT ROWID;
"""

_encode = msgspec.json.Encoder().encode
_post = msgspec.json.Decoder(Post).decode
_summary = msgspec.json.Decoder(Summary).decode


class SqliteCreator(MergingStore):
    """The creator store in ``home/creator.sqlite3``; one instance may be shared by threads."""

    def __init__(self, home: Path | str) -> None:
        self.home = Path(home)
        # Analytics can be imported again from their files: WAL's commit without a sync is
        # atomic and consistent after a crash, and makes a 20 MB import several times faster.
        self.path, self._db = open_file(
            self.home, "creator.sqlite3", _SCHEMA, synchronous="NORMAL", shared=True
        )
        self._lock = threading.RLock()

    def save(self, account: str, export: Export) -> Summary:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                out = super().save(account, export)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return out

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    # -- primitives ---------------------------------------------------------------------------
    def _load_days(self, account: str, dates: Iterable[str]) -> dict[str, DayValues]:
        wanted = sorted(set(dates))
        out: dict[str, DayValues] = {}
        if not wanted:
            return out
        rows = self._all(
            "SELECT date, metric, value, as_of FROM creator_days "
            "WHERE account = ? AND date BETWEEN ? AND ?",
            (account, wanted[0], wanted[-1]),
        )
        for day, metric, value, as_of in rows:
            out.setdefault(day, {})[metric] = (value, as_of)
        return out

    def _store_days(self, account: str, days: Mapping[str, DayValues]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO creator_days VALUES (?, ?, ?, ?, ?)",
            [(account, d, m, v, at) for d, vals in days.items() for m, (v, at) in vals.items()],
        )

    def _load_posts(self, account: str, keys: Iterable[str]) -> dict[str, tuple[Post, str]]:
        wanted = set(keys)
        rows = self._all(
            "SELECT key, doc, as_of FROM creator_posts WHERE account = ?", (account,)
        )
        return {key: (_post(doc), as_of) for key, doc, as_of in rows if key in wanted}

    def _store_posts(self, account: str, posts: list[tuple[Post, str]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO creator_posts VALUES (?, ?, ?, ?, ?)",
            [(account, p.key, p.posted_at, at, _encode(p).decode()) for p, at in posts],
        )

    def _section_as_of(self, account: str, section: str) -> str | None:
        rows = self._all(
            "SELECT max(as_of) FROM creator_audience WHERE account = ? AND section = ?",
            (account, section),
        )
        return rows[0][0] if rows else None

    def _store_section(
        self, account: str, section: str, shares: list[Share], as_of: str
    ) -> None:
        self._db.execute(
            "DELETE FROM creator_audience WHERE account = ? AND section = ?", (account, section)
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO creator_audience VALUES (?, ?, ?, ?, ?)",
            [(account, section, s.key, s.share, as_of) for s in shares],
        )

    def _load_activity(
        self, account: str, keys: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], Valued]:
        dates = sorted({d for d, _ in keys})
        if not dates:
            return {}
        rows = self._all(
            "SELECT date, hour, active, as_of FROM creator_activity "
            "WHERE account = ? AND date BETWEEN ? AND ?",
            (account, dates[0], dates[-1]),
        )
        return {(d, h): (a, at) for d, h, a, at in rows}

    def _store_activity(self, account: str, values: Mapping[tuple[str, int], Valued]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO creator_activity VALUES (?, ?, ?, ?, ?)",
            [(account, d, h, a, at) for (d, h), (a, at) in values.items()],
        )

    def _log(self, account: str, summary: Summary) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO creator_imports VALUES (?, ?, ?, ?, ?)",
            (account, summary.source, summary.format, summary.exported,
             _encode(summary).decode()),
        )  # fmt: skip

    # -- reads --------------------------------------------------------------------------------
    def accounts(self) -> list[dict[str, Any]]:
        names = [r[0] for r in self._all(
            "SELECT account FROM creator_days UNION SELECT account FROM creator_posts "
            "UNION SELECT account FROM creator_audience UNION SELECT account FROM creator_imports"
        )]  # fmt: skip
        out = []
        for name in sorted(names):
            first, last, n = self._all(
                "SELECT min(date), max(date), count(DISTINCT date) FROM creator_days "
                "WHERE account = ?", (name,),
            )[0]  # fmt: skip
            posts = self._all("SELECT count(*) FROM creator_posts WHERE account = ?", (name,))
            followers = self._all(
                "SELECT value FROM creator_days WHERE account = ? AND metric = 'followers' "
                "ORDER BY date DESC LIMIT 1", (name,),
            )  # fmt: skip
            imported = self._all(
                "SELECT max(exported) FROM creator_imports WHERE account = ?", (name,)
            )
            out.append({
                "account": name, "first_day": first, "last_day": last, "days": n,
                "posts": posts[0][0], "followers": followers[0][0] if followers else None,
                "imported": imported[0][0],
            })  # fmt: skip
        return out

    def days(
        self, account: str, start: str | None = None, end: str | None = None
    ) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT date, metric, value FROM creator_days WHERE account = ? "
            "AND date >= ? AND date <= ? ORDER BY date",
            (account, start or "0000-00-00", end or "9999-99-99"),
        )
        return pivot(rows)

    def posts(self, account: str) -> list[Post]:
        rows = self._all(
            "SELECT doc FROM creator_posts WHERE account = ? "
            "ORDER BY posted_at DESC, key", (account,),
        )  # fmt: skip
        return [_post(doc) for (doc,) in rows]

    def audience(self, account: str, section: str) -> tuple[str | None, list[Share]]:
        rows = self._all(
            "SELECT key, share, as_of FROM creator_audience WHERE account = ? AND section = ? "
            "ORDER BY share DESC, key", (account, section),
        )  # fmt: skip
        if not rows:
            return None, []
        return rows[0][2], [Share(section, k, s) for k, s, _ in rows]

    def activity(self, account: str) -> list[Activity]:
        rows = self._all(
            "SELECT date, hour, active FROM creator_activity WHERE account = ? "
            "ORDER BY date, hour", (account,),
        )  # fmt: skip
        return [Activity(d, h, a) for d, h, a in rows]

    def imports(self, account: str) -> list[Summary]:
        rows = self._all(
            "SELECT doc FROM creator_imports WHERE account = ? ORDER BY exported, source",
            (account,),
        )
        return [_summary(doc) for (doc,) in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
