"""Failed sign-ins, counted per account and per address, in this process's memory.

After :data:`PER_ACCOUNT` failures for one account name, or :data:`PER_ADDRESS` from one
address, within :data:`WINDOW_S`, further attempts are refused without checking the password
(which also keeps Argon2's memory and time off an attacker's hands) until the oldest failure
leaves the window. A success clears the account's count. The dashboard is one process, so an
in-memory count sees every attempt; behind several processes each counts its own.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Final

WINDOW_S: Final = 900.0
PER_ACCOUNT: Final = 5
PER_ADDRESS: Final = 20
MAX_KEYS: Final = 100_000


class Throttle:
    """Sliding-window failure counts per key."""

    def __init__(self, limit: int, window_s: float = WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and now - failures[0] > self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def blocked(self, key: str, now: float | None = None) -> bool:
        with self._lock:
            return len(self._recent(key, time.monotonic() if now is None else now)) >= self.limit

    def fail(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._failures) >= MAX_KEYS:  # a flood of names must not eat the memory
                self._failures.clear()
            failures = self._failures.setdefault(key, deque())
            failures.append(now)
            while len(failures) > self.limit:
                failures.popleft()

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
