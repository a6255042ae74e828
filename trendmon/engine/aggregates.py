"""Stage 2's aggregates: one row per entity in a market (and over ``all`` markets), in columns
named for what they hold.

An aggregate id is a row number. :class:`Aggregates` is the one place rows are given out, freed
and grown: a freed row waits until no closed table can still name it, and growing grows every
column here and every per-aggregate array of the parts attached to the table (breadth, the
spike signals, the open buckets' sums), so none of them keeps its own allocator. Detection
(:mod:`trendmon.engine.detect`) and ranking (:mod:`trendmon.engine.ranking`) read the columns
and return what they found; :class:`~trendmon.engine.trends.Stage2` writes it back.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from trendmon.engine.entities import kind_of
from trendmon.engine.state import register
from trendmon.engine.windows import Ints, Table, zeros

NEVER = np.iinfo(np.int64).max


class EntityState:
    """One hashtag, sound, creator or effect: its label, aggregates and videos."""

    __slots__ = ("aggs", "first_ms", "key", "kind", "label", "members")

    def __init__(self, key: str, label: str, first_ms: int) -> None:
        self.key = key
        self.kind = kind_of(key)
        self.label = label
        self.first_ms = first_ms
        self.aggs: dict[int, int] = {}
        """Market index (0: all markets) -> aggregate id."""
        self.members: dict[str, None] = {}
        """Its videos seen within the longest window (in the order they came)."""


class Rows(Protocol):
    """A part that keeps arrays indexed by aggregate id, grown and cleared with the table."""

    def grow(self, cap: int) -> None: ...

    def clear(self, aid: int) -> None: ...


def _grown(arr: Any, cap: int) -> Any:
    """``arr`` with its last axis (aggregate ids) grown to ``cap``, the new rows zero."""
    out = np.zeros((*arr.shape[:-1], cap), dtype=arr.dtype)
    out[..., : arr.shape[-1]] = arr
    return out


class OpenSums:
    """Sums per aggregate over a unit still open (the bucket, or a long window's unit), by
    column, and which aggregates they touch (taken as a :class:`Table` when the unit closes)."""

    def __init__(self, names: tuple[str, ...], cap: int) -> None:
        self.cols = {name: zeros(cap) for name in names}
        self.touched = np.zeros(cap, dtype=bool)

    def add(self, aids: Ints, cols: dict[str, Ints]) -> None:
        """Add columns of ``cols`` for ``aids`` (unique)."""
        for name, col in self.cols.items():
            values = cols.get(name)
            if values is not None:
                col[aids] += values
        self.touched[aids] = True

    def add_each(self, name: str, aids: Ints, value: int) -> None:
        """Add ``value`` to column ``name`` once per occurrence of an id in ``aids``."""
        np.add.at(self.cols[name], aids, value)
        self.touched[aids] = True

    def take(self) -> Table:
        """The touched aggregates' sums, sorted by id; the unit starts again from zero."""
        aids = np.flatnonzero(self.touched)
        self.touched[aids] = False
        cols = {}
        for name, col in self.cols.items():
            cols[name] = col[aids].copy()
            col[aids] = 0
        return Table(aids, cols)

    def grow(self, cap: int) -> None:
        for name, col in self.cols.items():
            self.cols[name] = _grown(col, cap)
        self.touched = _grown(self.touched, cap)

    def clear(self, aid: int) -> None:
        for col in self.cols.values():
            col[aid] = 0
        self.touched[aid] = False


class Aggregates:
    """The rows and their columns (int64 unless said; per window: a row per window)."""

    def __init__(self, windows: int, cap: int) -> None:
        self.cap = cap
        self.n = 0
        """Rows given out so far (live or freed): ids are below it."""
        self.entity: list[EntityState | None] = []
        self.mid = zeros(cap)
        """Market index (0: all markets)."""
        self.kind = zeros(cap)
        """Index of the entity's kind (``Stage2.kind_names``)."""
        self.first = zeros(cap)
        """Start of the bucket it was first seen in."""
        self.last = zeros(cap)
        """Its latest delta's time."""
        self.cool = zeros(cap)
        """Spike cooldown: no spike before this time."""
        self.spike = zeros(cap)
        """End of the bucket of the last spike (0: none)."""
        self.hot = zeros(cap)
        """End of the last bucket at whose close a spike test passed (0: never): taking off,
        with or without a spike (cooldown), which the hot stages read."""
        self.markets = zeros(cap)
        """For an "all" aggregate: how many markets its entity has."""
        self.alive = np.zeros(cap, dtype=bool)
        """In use (not freed): freed ones may still be named by tables until they expire."""
        self.win_p = zeros(windows, cap)
        """Per window: plays in it."""
        self.win_e = zeros(windows, cap)
        """Per window: engagements in it."""
        self.prev_p = zeros(windows, cap)
        """Per window: plays in the window before it (for growth)."""
        self.prev_e = zeros(windows, cap)
        self.rose = zeros(windows, cap)
        """Per window: the take-off (the close of its spike) during which the entity rose on
        that window's board, negated once it stopped: a take-off rises once (see
        :mod:`trendmon.engine.scoring`)."""
        self._parts: list[Rows] = []
        self._free: list[int] = []
        self._quarantine: list[tuple[int, int]] = []

    def attach(self, part: Rows) -> None:
        """Grow and clear ``part``'s per-aggregate arrays (made for :attr:`cap` rows) with the
        rows from now on."""
        self._parts.append(part)

    def alloc(self, ent: EntityState, mid: int, kind: int, first_ms: int) -> int:
        """A row for ``ent`` in market ``mid``: a freed one again, or a new one."""
        reused = bool(self._free)
        if reused:
            aid = self._free.pop()
            self.entity[aid] = ent
        else:
            aid = self.n
            self.n += 1
            if aid >= self.cap:
                self._grow()
            self.entity.append(ent)
        self.mid[aid] = mid
        self.kind[aid] = kind
        self.first[aid] = first_ms
        self.last[aid] = first_ms
        self.cool[aid] = 0
        self.spike[aid] = 0
        self.hot[aid] = 0
        self.markets[aid] = 0
        self.alive[aid] = True
        if reused:  # a fresh row is all zeros already
            for arr in (self.win_p, self.win_e, self.prev_p, self.prev_e, self.rose):
                arr[:, aid] = 0
            for part in self._parts:
                part.clear(aid)
        return aid

    def retire(self, aid: int, release_ms: int) -> None:
        """Free a row; it is given out again from ``release_ms`` (see :meth:`release`)."""
        self.entity[aid] = None
        self.alive[aid] = False
        self.last[aid] = NEVER
        self._quarantine.append((release_ms, aid))

    def release(self, now_ms: int) -> None:
        """Rows retired until ``now_ms`` may be given out again."""
        ready = [a for release, a in self._quarantine if release <= now_ms]
        if ready:
            self._quarantine = [(r, a) for r, a in self._quarantine if r > now_ms]
            self._free.extend(sorted(ready, reverse=True))

    def _grow(self) -> None:
        cap = self.cap * 2
        self.mid, self.kind, self.first, self.last = (
            _grown(a, cap) for a in (self.mid, self.kind, self.first, self.last)
        )
        self.cool, self.spike, self.hot, self.markets, self.alive = (
            _grown(a, cap) for a in (self.cool, self.spike, self.hot, self.markets, self.alive)
        )
        self.win_p, self.win_e, self.prev_p, self.prev_e, self.rose = (
            _grown(a, cap) for a in (self.win_p, self.win_e, self.prev_p, self.prev_e, self.rose)
        )
        for part in self._parts:
            part.grow(cap)
        self.cap = cap


# Checkpoints: the same state in both builds (see trendmon/engine/state.py).
register(EntityState, lambda e: (e.key, e.label, e.first_ms))
register(OpenSums, lambda s: ((), 0))
register(Aggregates, lambda a: (0, 0))
