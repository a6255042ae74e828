"""When a failed delivery is tried again: a list of waits, each moved by a little jitter.

The default (``TRENDMON_ALERTS_SCHEDULE``) is Svix's: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
10 h, so eight attempts over about 27 hours. Jitter (``TRENDMON_ALERTS_JITTER``, a share)
spreads the retries of many deliveries that failed together (a receiver's outage) so that they
do not all come back in the same second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from trendmon.errors import ConfigError

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86_400}


def parse_wait(text: str) -> float:
    """``5s``, ``5m``, ``2h``, ``1d``, ``250ms`` or bare seconds, as seconds."""
    t = text.strip().lower()
    for unit in ("ms", "s", "m", "h", "d"):
        if t.endswith(unit):
            number, scale = t[: -len(unit)], _UNITS[unit]
            break
    else:
        number, scale = t, 1
    try:
        value = float(number) * scale
    except ValueError:
        raise ConfigError(
            f"TRENDMON_ALERTS_SCHEDULE: {text.strip()!r} is not a wait; write waits like "
            "5s,5m,30m,2h"
        ) from None
    if not 0 <= value <= 7 * 86_400:
        raise ConfigError(f"TRENDMON_ALERTS_SCHEDULE: {text.strip()!r} is outside 0 s to 7 days")
    return value


@dataclass(frozen=True)
class Schedule:
    """The waits after the first, second, ... failed attempt (then the delivery fails)."""

    waits: tuple[float, ...]
    jitter: float = 0.1

    @classmethod
    def parse(cls, text: str, jitter: float = 0.1) -> Schedule:
        """>>> Schedule.parse("5s,5m").waits
        (5.0, 300.0)
        """
        waits = tuple(parse_wait(p) for p in text.split(",") if p.strip())
        return cls(waits, jitter)

    @property
    def attempts(self) -> int:
        """Attempts a delivery gets before it fails."""
        return len(self.waits) + 1

    def wait_after(self, tries: int, rng: random.Random) -> float | None:
        """Seconds to wait after the ``tries``-th failed attempt, or None: no attempt left."""
        if tries < 1 or tries > len(self.waits):
            return None
        base = self.waits[tries - 1]
        return max(0.0, base * (1 + self.jitter * rng.uniform(-1, 1)))
