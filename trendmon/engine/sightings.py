"""Stage 2's videos: what it remembers of each, split by how often it is read.

What every delta updates (the highest ``seq`` applied, the last sighting, when the video is due
to leave each window, its latest buckets of spike evidence) lives in a row of arrays, so
that a batch updates them in a few array operations; what is read rarely (its aggregates, its
entities, its creator) lives in a :class:`Sighting`. Arrays also keep tens of thousands of small
containers away from the garbage collector, which would otherwise walk them at every full pass.

Each video's aggregate ids are also kept end to end in one pool (``pool[off : off + len]``), so
that a batch's fan-out is gathered in one operation (:func:`~trendmon.engine.fanout.gather`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from trendmon.engine.state import register
from trendmon.engine.windows import Ints


class Sighting:
    """The rarely read part of what stage 2 remembers of one video."""

    __slots__ = ("aggs", "author", "counted", "ents", "idx", "keys", "mid")

    def __init__(self, idx: int) -> None:
        self.idx = idx
        """Its row in the arrays of :class:`Sightings`."""
        self.mid = 0
        self.author = ""
        self.aggs: tuple[int, ...] = ()
        """Aggregate ids it feeds: for each of its entities here, its market's and all's."""
        self.counted: tuple[int, ...] = ()
        """Those whose creators are counted (not its creator's own: that one has one)."""
        self.keys: tuple[str, ...] = ()
        """Its entities that this stage owns."""
        self.ents: tuple[str, ...] = ()
        """All its entities (attribution reads them)."""


ARRAYS = (
    ("due", -1),
    ("seq", 0),
    ("last_ms", -1),
    ("all_in", False),
    ("off", 0),
    ("len", 0),
    ("posted_b", -1),
    ("accel_b", -1),
)
"""The per-video arrays and the value of a free row."""


class Sightings:
    """The videos: ``videos[id]`` and the arrays, a row each.

    - ``due`` (a column per window): the unit at which it is due to leave the window (-1: not
      in it); ``all_in``: in every window (nothing to check for a delta);
    - ``seq``: the highest delta seq applied; ``last_ms``: its last sighting; ``off``, ``len``:
      where its aggregate ids are in ``pool``; ``posted_b``, ``accel_b``: its spike evidence.
    """

    def __init__(self, windows: int) -> None:
        self.videos: dict[str, Sighting] = {}
        self._cap = 1024
        self._free: list[int] = []
        self._n = 0
        self.due = np.full((self._cap, windows), -1, dtype=np.int64)
        self.seq = np.zeros(self._cap, dtype=np.int64)
        self.last_ms = np.full(self._cap, -1, dtype=np.int64)
        self.all_in: npt.NDArray[np.bool_] = np.zeros(self._cap, dtype=bool)
        self.off = np.zeros(self._cap, dtype=np.int64)
        self.len = np.zeros(self._cap, dtype=np.int64)
        self.posted_b = np.full(self._cap, -1, dtype=np.int64)
        """Bucket of its first sighting as a new video (-1: not new when first seen)."""
        self.accel_b = np.full(self._cap, -1, dtype=np.int64)
        """Last bucket in which a sighting of it was accelerated (-1: none)."""
        self.pool: Ints = np.zeros(4096, dtype=np.int64)
        self._pool_n = 0
        self._garbage = 0

    def new(self) -> Sighting:
        """A sighting on a free row (the caller fills it, then :meth:`add` it)."""
        if self._free:
            idx = self._free.pop()
        else:
            idx = self._n
            self._n += 1
            if idx >= self._cap:
                self._grow()
        return Sighting(idx)

    def add(self, video_id: str, v: Sighting) -> None:
        self.videos[video_id] = v
        self._put(v)

    def drop(self, video_id: str) -> Sighting:
        """Forget a video; return what was known of it (its row is free again)."""
        v = self.videos.pop(video_id)
        self._garbage += int(self.len[v.idx])
        for name, fill in ARRAYS:
            getattr(self, name)[v.idx] = fill
        self._free.append(v.idx)
        return v

    def compact(self) -> None:
        """Drop the aggregate ids of forgotten videos from the pool, when they are most of it."""
        if self._garbage > max(self._pool_n // 2, 1 << 16):
            self._pool_n = self._garbage = 0
            for v in list(self.videos.values()):
                self._put(v)

    def _put(self, v: Sighting) -> None:
        start, size = self._pool_n, len(v.aggs)
        if start + size > len(self.pool):
            grown = np.zeros(max(2 * len(self.pool), start + size), dtype=np.int64)
            grown[:start] = self.pool[:start]
            self.pool = grown
        self.pool[start : start + size] = v.aggs
        self.off[v.idx] = start
        self.len[v.idx] = size
        self._pool_n = start + size

    def _grow(self) -> None:
        cap = self._cap * 2
        for name, fill in ARRAYS:
            old = getattr(self, name)
            grown = np.full((cap, *old.shape[1:]), fill, dtype=old.dtype)
            grown[: len(old)] = old
            setattr(self, name, grown)
        self._cap = cap


# Checkpoints: the same state in both builds (see trendmon/engine/state.py).
register(Sighting, lambda v: (v.idx,))
register(Sightings, lambda s: (s.due.shape[1],))
