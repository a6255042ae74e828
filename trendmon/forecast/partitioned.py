"""Hourly forecasts fed by several partitions of snapshots, the same however they interleave.

Both runtimes feed :class:`PartitionedForecasts` the snapshots the engine accepted, each with
its stage-1 partition (``snapshots`` is keyed by video, so a video's sightings come in order
from one partition): the embedded runtime as it reads its log, the distributed one from a topic
every stage-1 partition writes into, in whatever order the workers' sends interleave. So that
both make the same forecasts, when a snapshot counts and when an hour is scored follow the
rule stage 2 follows for its buckets (:mod:`trendmon.engine.partitioned`):

- each partition's *mark* is the latest event time of its accepted snapshots so far, and a
  snapshot is *released* at its own time or, when late, at its partition's mark when it came;
- origin ``t`` (a whole hour) is scored once every partition's mark is at ``t`` or past it,
  from exactly the snapshots released before ``t`` (the others are held until then); the
  first origin is the hour after the earliest first snapshot of any partition.

No later snapshot can be released before ``t`` once every mark is past it, so what an origin
reads does not depend on arrival order across partitions. With one partition this is the rule
:meth:`~trendmon.forecast.forecaster.HourlyForecasts.add` applies to a log read in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from trendmon.events import VideoSnapshot
from trendmon.forecast.forecaster import EntityForecast, HourlyForecasts, VideoForecast
from trendmon.forecast.observations import HOUR_MS, Columns, Ints, Read, times_ms

BOOK_HELD: Final = 100_000
"""Snapshots held from which those the next origin reads are booked before it. Booking each
batch as it comes (5,000 in ``bench/engine.py``) pushes the engine's state out of the
processor's caches every time, and an hour of snapshots (about 420,000 there) is read back
from memory: there, decoding, engine and forecasts together took 5% to 10% less CPU at
100,000 (or 200,000) than at either, less at 50,000 or 20,000."""


class PartitionedForecasts:
    """Feed each partition's accepted snapshots in its order; get the forecasts of every
    origin all partitions have passed."""

    def __init__(self, hourly: HourlyForecasts, parts: int) -> None:
        self.hourly = hourly
        self.parts = parts
        """Partitions of the snapshots (stage 1), every one of which must report."""
        self.marks: dict[int, int] = {}
        self.firsts: dict[int, int] = {}
        """Per partition, the event time of its first accepted snapshot."""
        self.held: list[tuple[Ints, Columns]] = []
        """Batches not booked yet, in the order they came: their snapshots' release times
        (never decreasing within a partition: a running maximum) and what booking reads of
        them, read when they came (not the snapshots: see :meth:`add`)."""
        self.next_origin: int | None = None
        """The next whole hour to score (None before every partition has reported)."""

    @property
    def waiting_for(self) -> list[int]:
        """Partitions that have sent nothing yet: no hour is scored until they do."""
        return [p for p in range(self.parts) if p not in self.marks]

    def add(
        self,
        part: int,
        snapshots: Sequence[VideoSnapshot],
        ms: Sequence[int] | None = None,
        read: Read | None = None,
    ) -> tuple[list[EntityForecast], list[VideoForecast]]:
        """Take partition ``part``'s next accepted snapshots (``ms``: their collection times in
        epoch ms, when the caller has them: ``int(collected_at.timestamp() * 1000)``, as the
        engine reads them; ``read``: what else the engine read of them, when it gives it);
        forecasts of the origins passed.

        What booking needs of them is read now, once, while they are likely still in the
        processor's caches (the engine has just read them), and only that is held: reading
        them back from memory when booking, and freeing them then, cost more than reading."""
        if not snapshots:
            return [], []
        times = (
            times_ms([s.collected_at for s in snapshots]) if ms is None else np.array(ms, np.int64)
        )
        if part not in self.marks:
            self.firsts[part] = int(times[0])
            self.marks[part] = int(times[0])
        release = np.maximum(np.maximum.accumulate(times), self.marks[part])
        self.marks[part] = int(release[-1])
        self.held.append((release, self.hourly.obs.columns(snapshots, times, read)))
        if len(self.marks) < self.parts:
            return [], []
        if self.next_origin is None:
            self.next_origin = min(self.firsts.values()) // HOUR_MS + 1
        watermark = min(self.marks.values())
        entities: list[EntityForecast] = []
        videos: list[VideoForecast] = []
        while self.next_origin * HOUR_MS <= watermark:
            origin = self.next_origin
            self._book_before(origin * HOUR_MS)
            e, v = self.hourly.score(origin)
            entities += e
            videos += v
            self.next_origin = origin + 1
        # What the next origin reads can be booked before it, after what was held, in the
        # order it came (as at that origin: the same forecasts), once there is enough of it.
        if sum(len(h[0]) for h in self.held) >= BOOK_HELD:
            self._book_before(self.next_origin * HOUR_MS)
        return entities, videos

    def _book_before(self, until_ms: int) -> None:
        """Book the held snapshots released before ``until_ms``, in the order they came (of a
        batch, a first part: its release times never decrease)."""
        keep: list[tuple[Ints, Columns]] = []
        book: list[Columns] = []
        for release, cols in self.held:
            cut = int(np.searchsorted(release, until_ms))
            if cut == len(cols):
                book.append(cols)
                continue
            if cut:
                book.append(cols.part(0, cut))
            keep.append((release[cut:], cols.part(cut, len(cols))))
        self.held = keep
        if book:
            obs = self.hourly.obs
            obs.add_batch(obs.join(book))

    def __setstate__(self, state: dict[str, Any]) -> None:
        held = state.get("held", [])
        if held and len(held[0]) == 3:  # a checkpoint that held the snapshots themselves
            obs = state["hourly"].obs
            state["held"] = [(release, obs.columns(snaps, ms)) for release, snaps, ms in held]
        self.__dict__.update(state)
