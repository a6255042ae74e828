"""Pacing: as fast as possible (tests, benchmarks) or with the wall clock (the demo).

The simulation itself never reads a clock: it asks its clock to wait until a simulated time has
come. :class:`FastClock` returns at once; :class:`RealClock` sleeps until the wall clock, scaled
by ``speed``, reaches it, and calls ``on_idle`` first (the CLI flushes its publisher there, so
that batching never holds back a snapshot whose time has come).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def wait_until(self, sim_t: float) -> None:
        """Return when simulated time ``sim_t`` has come."""
        ...


class FastClock:
    """Simulated time runs as fast as the CPU allows."""

    def wait_until(self, sim_t: float) -> None:
        return None


class RealClock:
    """Simulated time advances with the wall clock from ``sim_start``, ``speed`` times faster."""

    def __init__(
        self,
        sim_start: float,
        *,
        speed: float = 1.0,
        on_idle: Callable[[], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.sim_start = sim_start
        self.speed = speed
        self.on_idle = on_idle
        self._monotonic = monotonic
        self._sleep = sleep
        self._wall_start = monotonic()

    def wait_until(self, sim_t: float) -> None:
        delay = self._wall_start + (sim_t - self.sim_start) / self.speed - self._monotonic()
        if delay > 0.001:
            if self.on_idle is not None:
                self.on_idle()
            self._sleep(delay)


def wall_now() -> int:
    """Now, in whole epoch seconds: the start of a real-time run."""
    return int(time.time())
