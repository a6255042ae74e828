"""The counts spike detection reads, kept per aggregate and per market as buckets close.

For every aggregate, :class:`Signals` keeps the sums of the evidence columns (:data:`COLUMNS`)
over each spike window ending at the last closed bucket, and a *baseline*: the same columns over
everything before the longest window, decayed with a half-life (so that an entity's past weighs
in a day or two, not forever). For every market it keeps the same for the market's totals of new
videos and of eligible and accelerated sightings, which the tests compare an entity with (see
:mod:`trendmon.engine.spikes`). A close adds the closed bucket's table to each window and takes
out the one that left it; a late delta for a closed bucket is added where its bucket still is.

Market totals come from *every* delta, also from those of videos none of whose entities this
stage owns (a distributed stage 2 sees them with no keys, see
:func:`~trendmon.engine.partitioned.route`), so that each partition compares with the same
market as the embedded engine does.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from trendmon.engine.windows import Ints, Table

COLUMNS = ("adopt", "posted", "elig", "accel", "plays")
"""Per aggregate: new adopters (distinct creators), new videos, eligible sightings, accelerated
sightings, plays."""
ADOPT, POSTED, ELIG, ACCEL, PLAYS = range(len(COLUMNS))
TOTALS = ("posted", "elig", "accel")
"""Per market: new videos, eligible sightings, accelerated sightings."""
T_POSTED, T_ELIG, T_ACCEL = range(len(TOTALS))

Floats = npt.NDArray[np.float64]


class Signals:
    """Windowed and baseline sums of the evidence columns, per aggregate and per market."""

    def __init__(self, windows: tuple[int, ...], half_life: int, cap: int) -> None:
        self.windows = windows
        self.longest = max(windows)
        self.decay = 0.5 ** (1.0 / half_life)
        self.win: Ints = np.zeros((len(windows), len(COLUMNS), cap), dtype=np.int64)
        self.base: Floats = np.zeros((len(COLUMNS), cap), dtype=np.float64)
        self.totals: dict[int, dict[str, Ints]] = {}
        """Per bucket, per market name: the :data:`TOTALS` of the bucket."""
        self.t_win: dict[str, Ints] = {}
        """Per market: the totals over each window (a row per window)."""
        self.t_base: dict[str, Floats] = {}
        self.closed = -1

    def grow(self, cap: int) -> None:
        win = np.zeros((*self.win.shape[:2], cap), dtype=np.int64)
        win[:, :, : self.win.shape[2]] = self.win
        base = np.zeros((len(COLUMNS), cap), dtype=np.float64)
        base[:, : self.base.shape[1]] = self.base
        self.win, self.base = win, base

    def clear(self, aid: int) -> None:
        """Zero an aggregate id given out anew."""
        self.win[:, :, aid] = 0
        self.base[:, aid] = 0.0

    # -- market totals ---------------------------------------------------------------------------

    def count(self, bucket: int, market: str, posted: int, elig: int, accel: int) -> None:
        """Add to a market's totals in ``bucket`` (open, or closed and still in a window)."""
        add = np.array((posted, elig, accel), dtype=np.int64)
        if bucket <= self.closed:
            self._late_total(bucket, market, add)
            if self.closed - bucket >= self.longest:
                return  # in the baseline already: no window will take it out again
        row = self.totals.setdefault(bucket, {}).get(market)
        if row is None:
            row = self.totals[bucket][market] = np.zeros(len(TOTALS), dtype=np.int64)
        row += add

    def _late_total(self, bucket: int, market: str, add: Ints) -> None:
        age = self.closed - bucket
        rows = self._market(market)
        for i, length in enumerate(self.windows):
            if age < length:
                rows[0][i] += add
        if age >= self.longest:
            rows[1][:] += add * self.decay ** (age - self.longest)

    def _market(self, market: str) -> tuple[Ints, Floats]:
        win = self.t_win.get(market)
        if win is None:
            win = self.t_win[market] = np.zeros((len(self.windows), len(TOTALS)), dtype=np.int64)
            self.t_base[market] = np.zeros(len(TOTALS), dtype=np.float64)
        return win, self.t_base[market]

    def market_windows(self, names: list[str]) -> tuple[Ints, Floats]:
        """(windows x markets x totals, markets x totals) for market ids ``0 ..`` (``names``
        in id order; id 0, ``all``, is the sum of the others)."""
        win = np.zeros((len(self.windows), len(names), len(TOTALS)), dtype=np.int64)
        base = np.zeros((len(names), len(TOTALS)), dtype=np.float64)
        for mid, name in enumerate(names):
            if mid and name in self.t_win:
                win[:, mid] = self.t_win[name]
                base[mid] = self.t_base[name]
        win[:, 0] = win[:, 1:].sum(axis=1)
        base[0] = base[1:].sum(axis=0)
        return win, base

    # -- closing ---------------------------------------------------------------------------------

    def close(self, b: int, tables: dict[int, Table]) -> None:
        """Bucket ``b`` closed (its table is in ``tables``): move every window on by one."""
        self.closed = b
        for i, length in enumerate(self.windows):
            self._add(self.win[i], tables.get(b), 1)
            self._add(self.win[i], tables.get(b - length), -1)
        self.base *= self.decay
        entering = tables.get(b - self.longest)
        if entering is not None and len(entering):
            for c, name in enumerate(COLUMNS):
                self.base[c, entering.aids] += entering.cols[name]
        # Markets.
        for name in self.totals.get(b, {}):
            self._market(name)
        for name in list(self.t_win):
            win, base = self._market(name)
            for i, length in enumerate(self.windows):
                now = self.totals.get(b, {}).get(name)
                gone = self.totals.get(b - length, {}).get(name)
                if now is not None:
                    win[i] += now
                if gone is not None:
                    win[i] -= gone
            base *= self.decay
            entering_t = self.totals.get(b - self.longest, {}).get(name)
            if entering_t is not None:
                base += entering_t
        self.totals.pop(b - self.longest - 1, None)

    def late(self, b: int, aids: Ints, cols: dict[str, Ints]) -> None:
        """Late sums for closed bucket ``b``: into the windows (or baseline) that hold it."""
        age = self.closed - b
        for i, length in enumerate(self.windows):
            if age < length:
                for c, name in enumerate(COLUMNS):
                    self.win[i, c, aids] += cols[name]
        if age >= self.longest:
            weight = self.decay ** (age - self.longest)
            for c, name in enumerate(COLUMNS):
                self.base[c, aids] += cols[name] * weight

    @staticmethod
    def _add(win: Ints, table: Table | None, sign: int) -> None:
        if table is None or not len(table):
            return
        for c, name in enumerate(COLUMNS):
            win[c, table.aids] += sign * table.cols[name]

    def baseline_weight(self, first_bucket: Ints) -> Floats:
        """Per aggregate first seen in ``first_bucket``: the summed decay weights of its
        baseline buckets (its baseline per bucket is ``base / weight``)."""
        n = np.maximum(0, self.closed - self.longest - first_bucket + 1).astype(np.float64)
        return np.asarray((1.0 - self.decay**n) / (1.0 - self.decay), dtype=np.float64)
