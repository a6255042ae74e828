"""One subscription to the live store's change channel, fanned out to every open stream.

A Redis subscription holds a connection for as long as it lasts. With one per open ``/stream``,
the dashboard's TVs and tabs used up its Redis pool (100 connections), and then every page and
export failed with them. :class:`ChangeHub` subscribes once, on a thread of its own, and puts
each change message into the :class:`Listener` of every open stream; a stream waits on its
listener, which costs no connection at all.

When the subscription fails (Redis restarted, gone), every listener gets the error (its stream
sends an error event and ends; the page opens a new one) and the hub subscribes again, backing
off up to :data:`MAX_BACKOFF_S`. A stream that joins while the hub has no subscription waits
for one up to ``join_timeout_s``, then gets the last error.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from trendmon.errors import ServiceUnavailableError
from trendmon.sinks.redis.store import ChangeFeed

log = logging.getLogger(__name__)

POLL_S: Final = 0.5
"""Longest the hub blocks in Redis at a time (how soon it notices :meth:`ChangeHub.stop`)."""
MAX_BACKOFF_S: Final = 5.0
MAX_PENDING: Final = 1000
"""Messages a listener holds for a stream that does not read them; older ones are dropped."""


class Listener:
    """One stream's inbox: the change messages since it joined, or the error that ended them."""

    def __init__(self, hub: ChangeHub) -> None:
        self._hub = hub
        self._items: deque[dict[str, Any]] = deque(maxlen=MAX_PENDING)
        self._error: ServiceUnavailableError | None = None
        self._woken = False
        self._ready = threading.Condition()

    def put(self, change: dict[str, Any]) -> None:
        with self._ready:
            self._items.append(change)
            self._ready.notify()

    def fail(self, error: ServiceUnavailableError) -> None:
        with self._ready:
            self._error = error
            self._ready.notify()

    def wake(self) -> None:
        """End the current :meth:`get` early (the server stops)."""
        with self._ready:
            self._woken = True
            self._ready.notify()

    def get(self, timeout: float) -> dict[str, Any] | None:
        """The next change message, or None after ``timeout`` seconds (or a :meth:`wake`);
        raises the hub's :class:`ServiceUnavailableError` once its subscription failed."""
        with self._ready:
            if not self._items and self._error is None and not self._woken:
                self._ready.wait(timeout)
            self._woken = False
            if self._items:
                return self._items.popleft()
            if self._error is not None:
                raise self._error
            return None

    def close(self) -> None:
        self._hub.leave(self)


class ChangeHub:
    """Fans one :class:`~trendmon.sinks.redis.store.ChangeFeed` out to many listeners.

    >>> hub = ChangeHub(store.subscribe)          # doctest: +SKIP
    >>> listener = hub.join()                     # doctest: +SKIP
    >>> listener.get(timeout=5)                   # a change message, or None
    """

    def __init__(
        self, subscribe: Callable[[], ChangeFeed], *, join_timeout_s: float = 5.0
    ) -> None:
        self._subscribe = subscribe
        self.join_timeout_s = join_timeout_s
        self._listeners: set[Listener] = set()
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._stopping = threading.Event()
        self._error: ServiceUnavailableError | None = None
        self._thread: threading.Thread | None = None

    @property
    def listeners(self) -> int:
        with self._lock:
            return len(self._listeners)

    @property
    def subscribed(self) -> bool:
        return self._subscribed.is_set()

    def join(self) -> Listener:
        """A listener that gets every change published from now on.

        Raises :class:`ServiceUnavailableError` when there is no subscription within
        ``join_timeout_s`` (the live store is away) or the hub stopped.
        """
        with self._lock:
            if self._stopping.is_set():
                raise ServiceUnavailableError("the dashboard is stopping", "the dashboard")
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="trendmon-change-hub", daemon=True
                )
                self._thread.start()
        self._subscribed.wait(self.join_timeout_s)
        with self._lock:
            # Checked again under the lock: a listener added here is in every broadcast until
            # the subscription fails, and then it gets the error.
            if not self._subscribed.is_set():
                raise self._error or ServiceUnavailableError(
                    "no subscription to the live store's changes within "
                    f"{self.join_timeout_s:g} s",
                    "the live store (Redis)",
                )
            listener = Listener(self)
            self._listeners.add(listener)
        return listener

    def leave(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the subscription thread and wake every listener."""
        self._stopping.set()
        with self._lock:
            listeners, thread = list(self._listeners), self._thread
        for listener in listeners:
            listener.wake()
        if thread is not None:
            thread.join(timeout_s)

    def _broadcast(self, change: dict[str, Any]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener.put(change)

    def _run(self) -> None:
        feed: ChangeFeed | None = None
        backoff = 0.25
        try:
            while not self._stopping.is_set():
                if feed is None:
                    try:
                        feed = self._subscribe()
                    except ServiceUnavailableError as exc:
                        self._fail(exc)
                        self._stopping.wait(backoff)
                        backoff = min(backoff * 2, MAX_BACKOFF_S)
                        continue
                    backoff = 0.25
                    with self._lock:
                        self._error = None
                        self._subscribed.set()
                try:
                    change = feed.get(timeout=POLL_S)
                except ServiceUnavailableError as exc:
                    feed.close()
                    feed = None
                    self._fail(exc)
                    continue
                except ValueError:  # a message that is not JSON: not ours, skip it
                    log.warning("push streams: skipped a change message that is not JSON")
                    continue
                if change is not None:
                    self._broadcast(change)
        finally:
            self._subscribed.clear()
            if feed is not None:
                feed.close()

    def _fail(self, error: ServiceUnavailableError) -> None:
        """No subscription: every listener ends with ``error`` (their pages open new streams)."""
        log.warning("push streams: %s", " ".join(str(error).split()))
        with self._lock:
            self._error = error
            self._subscribed.clear()
            listeners = list(self._listeners)
            self._listeners.clear()
        for listener in listeners:
            listener.fail(error)
