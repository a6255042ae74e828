"""Accounts, sessions and kiosk links on SQLite: ``TRENDMON_HOME/accounts.sqlite3``.

One file for every namespace (a replay's namespace has the same users). One connection shared
by the dashboard's threads behind a lock; WAL lets ``trendmon users`` change an account while
the dashboard reads, and the change is seen at the next request.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import astuple, fields
from pathlib import Path
from typing import Any, TypeVar

from trendmon.accounts.store import ApiToken, AuditEvent, Kiosk, Session, SignIn, User
from trendmon.errors import ConfigError
from trendmon.sinks.sqlite.files import open_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT, created_ms INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL,
    created_ms INTEGER NOT NULL, seen_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user);
CREATE TABLE IF NOT EXISTS kiosks (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL, token_hash TEXT UNIQUE, cookie_hash TEXT UNIQUE,
    last_used_ms INTEGER, revoked INTEGER NOT NULL DEFAULT 0,
    market TEXT NOT NULL DEFAULT '', boards TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT UNIQUE NOT NULL,
    created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, last_used_ms INTEGER,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS audit (
    at_ms INTEGER NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_time ON audit (at_ms);
CREATE TABLE IF NOT EXISTS signins (
    token_hash TEXT PRIMARY KEY, user TEXT NOT NULL, expires_ms INTEGER NOT NULL
);
"""

R = TypeVar("R", User, Session, Kiosk, SignIn, ApiToken, AuditEvent)
_COLUMNS = {
    "users": {f.name for f in fields(User)},
    "kiosks": {f.name for f in fields(Kiosk)},
    "api_tokens": {f.name for f in fields(ApiToken)},
}


def _row(cls: type[R], row: Any) -> R | None:
    if row is None:
        return None
    values = list(row)
    if cls in (User, Kiosk, ApiToken):  # booleans are stored as integers
        names = [f.name for f in fields(cls)]
        for flag in ("disabled", "revoked"):
            if flag in names:
                values[names.index(flag)] = bool(values[names.index(flag)])
    return cls(*values)


class SqliteAccounts:
    """:class:`~trendmon.accounts.store.AccountStore` on one SQLite file."""

    def __init__(self, home: Path) -> None:
        path, self._db = open_file(
            home, "accounts.sqlite3", _SCHEMA, synchronous="FULL", shared=True, timeout_s=5.0
        )
        try:
            self._migrate()
        except sqlite3.Error as exc:
            raise ConfigError(
                f"cannot open the accounts at {path} ({exc}); check TRENDMON_HOME"
            ) from None
        self._lock = threading.Lock()

    def _migrate(self) -> None:
        """Columns added since a file was made: kiosks' ``market`` and ``boards``."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(kiosks)")}
        for column in ("market", "boards"):
            if column not in have:
                self._db.execute(f"ALTER TABLE kiosks ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")

    def _run(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    def _one(self, cls: type[R], table: str, where: str, value: Any) -> R | None:
        names = ", ".join(f.name for f in fields(cls))
        with self._lock:
            row = self._db.execute(
                f"SELECT {names} FROM {table} WHERE {where} = ?", (value,)
            ).fetchone()
        return _row(cls, row)

    def _update(self, table: str, key: str, value: Any, changes: dict[str, Any]) -> bool:
        unknown = set(changes) - _COLUMNS[table]
        if unknown or not changes:
            raise ValueError(f"cannot update {sorted(unknown)} of {table}")
        sets = ", ".join(f"{k} = ?" for k in changes)
        cur = self._run(f"UPDATE {table} SET {sets} WHERE {key} = ?", (*changes.values(), value))
        return cur.rowcount > 0

    def add_user(self, user: User) -> bool:
        cur = self._run("INSERT OR IGNORE INTO users VALUES (?, ?, ?, ?, ?)", astuple(user))
        return cur.rowcount > 0

    def get_user(self, name: str) -> User | None:
        return self._one(User, "users", "name", name)

    def users(self) -> list[User]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM users ORDER BY name").fetchall()
        return [u for u in (_row(User, r) for r in rows) if u is not None]

    def update_user(self, name: str, **fields_: Any) -> bool:
        return self._update("users", "name", name, fields_)

    def remove_user(self, name: str) -> bool:
        return self._run("DELETE FROM users WHERE name = ?", (name,)).rowcount > 0

    def add_session(self, session: Session) -> None:
        self._run("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", astuple(session))

    def get_session(self, id_hash: str) -> Session | None:
        return self._one(Session, "sessions", "id_hash", id_hash)

    def touch_session(self, id_hash: str, seen_ms: int) -> None:
        self._run("UPDATE sessions SET seen_ms = ? WHERE id_hash = ?", (seen_ms, id_hash))

    def remove_session(self, id_hash: str) -> None:
        self._run("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))

    def remove_sessions(self, user: str) -> int:
        return self._run("DELETE FROM sessions WHERE user = ?", (user,)).rowcount

    def add_kiosk(self, kiosk: Kiosk) -> None:
        self._run("INSERT INTO kiosks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", astuple(kiosk))

    def kiosks(self) -> list[Kiosk]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM kiosks ORDER BY created_ms, id").fetchall()
        return [k for k in (_row(Kiosk, r) for r in rows) if k is not None]

    def find_kiosk(self, field: str, value: str) -> Kiosk | None:
        if field not in ("id", "token_hash", "cookie_hash"):
            raise ValueError(f"kiosks are not found by {field}")
        return self._one(Kiosk, "kiosks", field, value)

    def update_kiosk(self, kiosk_id: str, **fields_: Any) -> bool:
        return self._update("kiosks", "id", kiosk_id, fields_)

    def take_kiosk_token(self, token_hash: str, cookie_hash: str) -> Kiosk | None:
        with self._lock:
            cur = self._db.execute(
                "UPDATE kiosks SET token_hash = NULL, cookie_hash = ? "
                "WHERE token_hash = ? RETURNING *",
                (cookie_hash, token_hash),
            )
            return _row(Kiosk, cur.fetchone())

    def add_signin(self, signin: SignIn) -> None:
        self._run("INSERT INTO signins VALUES (?, ?, ?)", astuple(signin))

    def take_signin(self, token_hash: str) -> SignIn | None:
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM signins WHERE token_hash = ? RETURNING *", (token_hash,)
            )
            return _row(SignIn, cur.fetchone())

    def add_token(self, token: ApiToken) -> None:
        self._run("INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?)", astuple(token))

    def tokens(self) -> list[ApiToken]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM api_tokens ORDER BY created_ms, id").fetchall()
        return [t for t in (_row(ApiToken, r) for r in rows) if t is not None]

    def find_token(self, field: str, value: str) -> ApiToken | None:
        if field not in ("id", "token_hash"):
            raise ValueError(f"API tokens are not found by {field}")
        return self._one(ApiToken, "api_tokens", field, value)

    def update_token(self, token_id: str, **fields_: Any) -> bool:
        return self._update("api_tokens", "id", token_id, fields_)

    def add_audit(self, event: AuditEvent) -> None:
        self._run("INSERT INTO audit VALUES (?, ?, ?, ?, ?)", astuple(event))

    def audit(self, limit: int) -> list[AuditEvent]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM audit ORDER BY at_ms DESC, rowid DESC LIMIT ?", (limit,)
            ).fetchall()
        return [AuditEvent(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
