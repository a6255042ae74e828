"""Two small tools the data module needs: a TTL cache, and a thread that owns a connection.

- :class:`TTLCache` keeps a query's answer for a few seconds, so that ten wall displays and a
  page refreshing its charts ask the history store once.
- :class:`Confined` runs calls on one dedicated thread. SQLite connections (the embedded history
  store and log) belong to the thread that opened them, while the web server answers each
  request on a thread of its own; confining every call to one thread satisfies SQLite without
  changing the stores, and costs nothing with MongoDB or Kafka.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from trendmon.errors import ServiceUnavailableError

T = TypeVar("T")


class TTLCache:
    """Answers kept for ``ttl_s`` seconds, at most ``size`` of them (least recently used go).

    >>> cache = TTLCache(ttl_s=10)
    >>> cache.get_or(("series", "7001"), lambda: [1, 2])
    [1, 2]
    """

    def __init__(self, ttl_s: float, size: int = 4096) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or(self, key: Hashable, compute: Callable[[], T], ttl_s: float | None = None) -> T:
        """The cached answer for ``key``, or ``compute()`` (stored for ``ttl_s``)."""
        ttl = self.ttl_s if ttl_s is None else ttl_s
        if ttl <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] > now:
                self._items.move_to_end(key)
                value: T = hit[1]
                return value
        # Computed outside the lock: two threads may both compute a miss, which is harmless,
        # whereas holding the lock would queue every page behind one slow query.
        value = compute()
        with self._lock:
            self._items[key] = (now + ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Confined:
    """Run calls on one thread of their own (see the module docstring for why).

    ``timeout_s`` bounds the wait; a call that takes longer raises
    :class:`~trendmon.errors.ServiceUnavailableError` naming ``what``.
    """

    def __init__(self, what: str, timeout_s: float = 30.0) -> None:
        self.what = what
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"trendmon-{what}")

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on the owning thread; its exceptions are raised here."""
        future = self._pool.submit(fn, *args, **kwargs)
        try:
            return future.result(timeout=self.timeout_s)
        except FutureTimeout:
            raise ServiceUnavailableError(
                f"the {self.what} did not answer within {self.timeout_s:.0f} s; it may be busy "
                "(a long replay?) or stuck: try again, or restart the dashboard",
                f"the {self.what}",
            ) from None

    def close(self, cleanup: Callable[[], None] | None = None) -> None:
        """Run ``cleanup`` on the owning thread (close connections), then stop the thread."""
        if cleanup is not None:
            with contextlib.suppress(FutureTimeout):
                self._pool.submit(cleanup).result(timeout=self.timeout_s)
        self._pool.shutdown(wait=False, cancel_futures=True)
