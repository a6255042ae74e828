"""Breadth: distinct videos and creators of every aggregate in every window, kept as counts.

A video *is in* a window while its last sighting falls in one of the window's units. Rather than
counting an entity's videos again at every close (its members can be tens of thousands), the
counts move only when a video enters a window (its first sighting, or the first after a silence
longer than the window) or leaves it (a unit passes with no sighting of it): twice per video and
window, whatever the number of closes in between. Distinct creators are counted the same way,
through how many of a creator's videos are in the window per aggregate.

Leaving is found without scanning: a video entering a window is queued at the unit where it
would leave; when that unit comes, a video seen since is queued again at its new leaving unit,
the others leave. So each video costs a queue entry per window length, not per close.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trendmon.engine.state import register
from trendmon.engine.windows import Ints, Window

FIELD = 24
MASK = (1 << FIELD) - 1


class Breadth:
    """Per window: ``videos[i][aid]`` and ``creators[i][aid]`` in window ``i`` right now.

    Creators are counted for the aggregates the caller names (a creator's own aggregates have
    one creator, which the caller knows without counting).
    """

    def __init__(self, windows: Sequence[Window], capacity: int) -> None:
        self.windows = tuple(windows)
        n = len(self.windows)
        self.videos: Ints = np.zeros((n, capacity), dtype=np.int64)
        self.creators: Ints = np.zeros((n, capacity), dtype=np.int64)
        self._per_creator: dict[tuple[int, str], int] = {}
        """(aggregate, creator) -> that creator's videos in each window, packed in one int
        (``FIELD`` bits a window): no container per pair for the garbage collector to walk."""
        self._leaving: list[dict[int, list[str]]] = [{} for _ in range(n)]
        """Per window: unit -> the videos that leave when it passes, unless seen since."""
        self._moves: list[tuple[list[int], list[int], list[int], list[int]]] = [
            ([], [], [], []) for _ in range(n)
        ]
        """Per window: aggregates whose videos (+, -) and creators (+, -) changed, applied to
        the arrays by :meth:`commit`, in bulk."""

    def grow(self, capacity: int) -> None:
        for name in ("videos", "creators"):
            old = getattr(self, name)
            new = np.zeros((old.shape[0], capacity), dtype=np.int64)
            new[:, : old.shape[1]] = old
            setattr(self, name, new)

    def enter(
        self,
        entering: Sequence[tuple[int, int]],
        video_id: str,
        aggs: Sequence[int],
        counted: Sequence[int],
        creator: str,
    ) -> list[int]:
        """Count a video that enters windows: ``entering`` holds (window, unit it was last seen
        in) pairs; ``counted`` are the aggregates whose creators are counted. Return, per pair,
        the unit at which it is due to leave (see :meth:`due`)."""
        moves = self._moves
        for i, _ in entering:
            moves[i][0].extend(aggs)
        per = self._per_creator
        for aid in counted:
            key = (aid, creator)
            counts = per.get(key, 0)
            for i, _ in entering:
                if not (counts >> (FIELD * i)) & MASK:
                    moves[i][2].append(aid)
                counts += 1 << (FIELD * i)
            per[key] = counts
        return [self.requeue(i, video_id, unit) for i, unit in entering]

    def leave(self, i: int, aggs: Sequence[int], counted: Sequence[int], creator: str) -> None:
        """Stop counting a video in window ``i``."""
        _, less, _, gone = self._moves[i]
        less.extend(aggs)
        per = self._per_creator
        shift = FIELD * i
        for aid in counted:
            key = (aid, creator)
            counts = per[key] - (1 << shift)
            if not (counts >> shift) & MASK:
                gone.append(aid)
            if counts:
                per[key] = counts
            else:
                del per[key]

    def commit(self) -> None:
        """Apply the counts' changes since the last commit to the arrays."""
        for i, moves in enumerate(self._moves):
            for arr, ids, sign in (
                (self.videos[i], moves[0], 1),
                (self.videos[i], moves[1], -1),
                (self.creators[i], moves[2], 1),
                (self.creators[i], moves[3], -1),
            ):
                if ids:
                    np.add.at(arr, np.array(ids, dtype=np.int64), sign)
                    ids.clear()

    def due(self, i: int, unit: int) -> list[str]:
        """The videos due to leave window ``i`` at ``unit`` (the caller checks whether each was
        seen since, and calls :meth:`leave` or :meth:`requeue`)."""
        return self._leaving[i].pop(unit, [])

    def requeue(self, i: int, video_id: str, unit: int) -> int:
        """Queue a video last seen in ``unit``: it is due to leave when the window has passed
        it; return that unit."""
        due = unit + self.windows[i].units
        self._leaving[i].setdefault(due, []).append(video_id)
        return due

    def clear(self, aid: int) -> None:
        """Zero the counts of an aggregate id given out anew (freed ids wait long enough that
        no change for them is still to commit)."""
        self.videos[:, aid] = 0
        self.creators[:, aid] = 0


# Checkpoints: the same state in both builds (see trendmon/engine/state.py).
register(Breadth, lambda b: (b.windows, 0))
