"""Opening a store's SQLite file under TRENDMON_HOME, the same way for every store.

Every store is one file in WAL mode (readers never wait for the writer); each says how durable
its commits must be (``synchronous``) and whether threads share its connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from trendmon.errors import ConfigError


def open_file(
    home: Path | str,
    name: str,
    schema: str,
    *,
    synchronous: str,
    shared: bool = False,
    timeout_s: float = 30.0,
    pragmas: Sequence[str] = (),
) -> tuple[Path, sqlite3.Connection]:
    """``home/name`` opened in autocommit with WAL, ``synchronous``, ``pragmas`` and ``schema``
    applied; :class:`ConfigError` naming the folder or the file, and the fix, otherwise.

    ``shared``: threads may use the connection (the store serialises them itself).
    """
    folder = Path(home)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create TRENDMON_HOME {folder}: {exc.strerror}; set TRENDMON_HOME "
            "or --home to a writable folder"
        ) from None
    path = folder / name
    try:
        db = sqlite3.connect(
            path, timeout=timeout_s, isolation_level=None, check_same_thread=not shared
        )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={synchronous}")
        for pragma in pragmas:
            db.execute(f"PRAGMA {pragma}")
        db.executescript(schema)
    except sqlite3.Error as exc:
        raise ConfigError(
            f"cannot open {path} ({exc}); check that TRENDMON_HOME is a writable folder on a "
            "local disk"
        ) from None
    return path, db
