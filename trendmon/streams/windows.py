"""Fixed buckets and rolling windows of one entity in one market.

Deltas land in fixed event-time buckets of ``bucket_s`` (5 minutes by default). When the stream's
watermark leaves a bucket, the bucket is *closed*: its sums are folded into the rolling windows.
Short windows (under three hours, like ``1h``) are made of buckets; long ones (``24h``, ``7d``) of
whole hours plus the current hour. Each window keeps a running sum and the sum of the window
before it (for growth), maintained incrementally: a bucket is added once when it closes and
subtracted once when it leaves, so a tick costs time only for entities that were active.

A delta for a bucket that is already closed (a late snapshot folded in by stage 1) is folded in
at once, into every window that still covers its bucket.

Distinct videos and creators are counted when scoring, from stage 2's per-entity video sets and
per-video "last seen" (see :meth:`trendmon.streams.trends.Stage2.breadth`).
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR_MS = 3_600_000
FINE_LIMIT_MS = 3 * HOUR_MS


def parse_duration(text: str) -> int:
    """Seconds in ``90s``, ``5m``, ``1h``, ``7d`` (a bare number is seconds)."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
    unit = units.get(text[-1:])
    number = text[:-1] if unit else text
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (use 90s, 5m, 1h or 7d)") from None
    return int(value * (unit or 1))


@dataclass(frozen=True)
class Window:
    """A rolling window: its name, length, and whether it is made of buckets or of hours."""

    name: str
    ms: int
    fine: bool
    units: int
    """Length in its own units (buckets for a fine window, hours otherwise)."""


def make_windows(spec: str, bucket_ms: int) -> tuple[Window, ...]:
    """Windows from a spec like ``1h,24h,7d``; each must be a whole number of its units."""
    windows = []
    for name in (part.strip() for part in spec.split(",") if part.strip()):
        ms = parse_duration(name) * 1000
        fine = ms < FINE_LIMIT_MS
        unit = bucket_ms if fine else HOUR_MS
        if ms <= 0 or ms % unit:
            raise ValueError(
                f"window {name!r} must be a whole number of {'buckets' if fine else 'hours'}"
            )
        windows.append(Window(name, ms, fine, ms // unit))
    if not windows:
        raise ValueError("no windows given (for example 1h,24h,7d)")
    return tuple(windows)


class MarketAgg:
    """One entity's activity in one market: buckets, hours and window sums."""

    __slots__ = ("cooldown_ms", "entity", "fine", "first_ms", "hours", "market", "prev", "win")

    def __init__(self, entity: object, market: str, nwin: int, first_ms: int) -> None:
        self.entity = entity
        self.market = market
        self.fine: dict[int, list[int]] = {}
        """bucket index -> [plays, engagements, videos, largest single-video plays delta]"""
        self.hours: dict[int, list[int]] = {}
        self.win = [0] * (2 * nwin)
        """Per window: plays, engagements."""
        self.prev = [0] * (2 * nwin)
        self.first_ms = first_ms
        self.cooldown_ms = 0

    def bucket_series(self, last: int, count: int) -> list[int]:
        """Plays of buckets ``last - count + 1 .. last`` (zeros where nothing happened)."""
        fine = self.fine
        out = []
        for b in range(last - count + 1, last + 1):
            row = fine.get(b)
            out.append(row[0] if row is not None else 0)
        return out
