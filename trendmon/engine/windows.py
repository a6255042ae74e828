"""Fixed buckets, rolling windows, and the columnar tables stage 2 keeps them in.

Deltas land in fixed event-time buckets of ``bucket_s`` (5 minutes by default). When the stream's
watermark leaves a bucket, the bucket is *closed*: its sums become a :class:`Table` and are folded
into the rolling windows. A window is made of 24 *units* or fewer: short windows (under three
hours, like ``1h``) of buckets; long ones of whole hours, a twenty-fourth of the window each
(``24h``: hours; ``7d``: seven-hour units), plus the current unit. Each window keeps a running sum
and the sum of the window before it (for growth), per aggregate, in arrays: a unit is added once
when it closes and subtracted once when it leaves, so a close costs a few array operations over
the aggregates that were active, whatever their number.

A :class:`Table` holds one unit's sums for the aggregates active in it, sorted by aggregate id:
the columnar form of what would otherwise be a dict per aggregate per bucket, which costs ten
times the memory and a Python call per entry. Late deltas for a closed bucket are added to its
table and folded at once into every window that still covers it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trendmon.durations import duration_ms, whole_seconds

HOUR_MS = 3_600_000
FINE_LIMIT_MS = 3 * HOUR_MS
UNITS = 24
"""A long window is made of this many units (whole hours each)."""

Ints = npt.NDArray[np.int64]


def zeros(*shape: int) -> Ints:
    """An array of int64 zeros (the dtype of every count in stage 2)."""
    return np.zeros(shape, dtype=np.int64)


def parse_duration(text: str) -> int:
    """Whole seconds in a duration, read by the one parser (:mod:`trendmon.durations`)."""
    return whole_seconds(text)


@dataclass(frozen=True)
class Window:
    """A rolling window: its name, length, and the units it is made of."""

    name: str
    ms: int
    fine: bool
    """Made of buckets (a short window) rather than of hours."""
    units: int
    """Length in its own units."""
    unit_ms: int
    """Length of one unit: the bucket for a short window, whole hours for a long one."""


def make_windows(spec: str, bucket_ms: int) -> tuple[Window, ...]:
    """Windows from a spec like ``1h,24h,7d``; each must be a whole number of its units."""
    windows = []
    for name in (part.strip() for part in spec.split(",") if part.strip()):
        ms = duration_ms(name)
        fine = ms < FINE_LIMIT_MS
        if fine:
            unit = bucket_ms
        else:
            hours = ms // HOUR_MS
            per = max(1, hours // UNITS)
            unit = (per if hours % per == 0 else 1) * HOUR_MS
        if ms <= 0 or ms % unit:
            raise ValueError(
                f"window {name!r} must be a whole number of {'buckets' if fine else 'hours'}"
            )
        windows.append(Window(name, ms, fine, ms // unit, unit))
    if not windows:
        raise ValueError("no windows given (for example 1h,24h,7d)")
    return tuple(windows)


class Table:
    """One unit's sums per aggregate: ``aids`` (sorted, unique) and aligned columns."""

    __slots__ = ("aids", "cols")

    def __init__(self, aids: Ints, cols: dict[str, Ints]) -> None:
        self.aids = aids
        self.cols = cols

    def __len__(self) -> int:
        return len(self.aids)

    def get(self, name: str, aids: Ints) -> Ints:
        """Column ``name`` for ``aids`` (zero where an aggregate is not in the table)."""
        col = self.cols[name]
        out = np.zeros(len(aids), dtype=np.int64)
        if not len(self.aids):
            return out
        idx = np.searchsorted(self.aids, aids)
        idx[idx == len(self.aids)] = 0
        hit = self.aids[idx] == aids
        out[hit] = col[idx[hit]]
        return out

    def add(self, aids: Ints, cols: dict[str, Ints]) -> None:
        """Add rows (``aids`` sorted and unique) into the table, inserting the new aggregates."""
        if len(self.aids):
            idx = np.searchsorted(self.aids, aids)
            idx[idx == len(self.aids)] = 0
            hit = self.aids[idx] == aids
        else:
            idx = aids
            hit = np.zeros(len(aids), dtype=bool)
        if not hit.all():
            # Insert the few missing ones in place (no sort of the whole table).
            missing = aids[~hit]
            at = np.searchsorted(self.aids, missing)
            self.aids = np.insert(self.aids, at, missing)
            for name, col in self.cols.items():
                self.cols[name] = np.insert(col, at, 0)
            idx = np.searchsorted(self.aids, aids)
        for name, col in self.cols.items():
            col[idx] += cols[name]


def scatter(size: int, table: Table | None, name: str) -> Ints:
    """A column of a table as a dense array over aggregate ids ``0 .. size - 1``."""
    out = np.zeros(size, dtype=np.int64)
    if table is not None and len(table):
        out[table.aids] = table.cols[name]
    return out
