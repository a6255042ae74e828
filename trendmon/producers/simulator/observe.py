"""The scrapers' view of the world: every live video observed every ``interval_s``, in time order.

A video is first seen between one minute and one interval after it is posted, then on its own
grid every ``interval_s`` with up to ``jitter_s`` of jitter, until it is ``lifetime_h`` old. Each
observation adds the plays its curve accrued since the last one (times a noise factor, so counts
only grow; a video a planted breakout pushes again adds a second curve from that moment) and
likes, comments, shares and saves as noisy ratios of those plays. A share of observations is
delivered late (up to ``late_max_s`` after it was collected, so out of event-time order) and a
share is also reported by a second scraper: a duplicate with the same video, time and counts but
source ``trending`` (so a different event id: it reaches the engine, which must not count it
twice).

The scraper does not see everything: each observation is made with probability ``coverage``
(``coverage_later`` from hour ``coverage_change_h`` on: a scraper that suddenly sees twice as
many videos), and none during an *outage* (``outages`` hours a period, at random, after which
everything is seen again). A missed observation changes nothing in the world: the next one
reports the counts accrued since the last one reported.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from trendmon.events import Stats, VideoSnapshot, make_event_id, utc
from trendmon.producers.simulator.breakouts import Breakout, iso, truth_document
from trendmon.producers.simulator.clock import Clock, FastClock
from trendmon.producers.simulator.curves import HOUR, round_count
from trendmon.producers.simulator.decoys import Decoy
from trendmon.producers.simulator.posting import post_chunk
from trendmon.producers.simulator.world import Video, World
from trendmon.settings import SimulatorSettings

SOURCE = "simulator"
DUPLICATE_SOURCE = "trending"


@dataclass
class Counters:
    """What a run produced so far."""

    videos: int = 0
    observed: int = 0
    duplicates: int = 0
    late: int = 0

    @property
    def snapshots(self) -> int:
        return self.observed + self.duplicates


class Simulation:
    """One run of the synthetic world.

    >>> sim = Simulation(SimulatorSettings(creators=20, videos=30, hours=1))
    >>> first = next(sim.snapshots())
    >>> first.source
    'simulator'

    ``start`` defaults to ``settings.start`` and ``until`` to ``start + hours``; with ``forever``
    the run never ends, generating a new chunk of ``hours`` with its own breakouts whenever the
    last one is used up.
    """

    def __init__(
        self,
        settings: SimulatorSettings,
        *,
        start: int | None = None,
        until: float | None = None,
        forever: bool = False,
        clock: Clock | None = None,
        on_chunk: Callable[[Simulation], None] | None = None,
    ) -> None:
        self.settings = settings
        self.start = start if start is not None else int(utc(settings.start).timestamp())
        self.until: float | None = None
        if not forever:
            self.until = until if until is not None else self.start + settings.hours * HOUR
        self.clock = clock or FastClock()
        self.on_chunk = on_chunk
        self.world = World(settings, self.start)
        self.breakouts: list[Breakout] = []
        self.decoys: list[Decoy] = []
        self.outages: list[tuple[float, float]] = []
        self.counters = Counters()
        self.now = float(self.start)
        """Event time of the last observation handed out."""
        self._chunks = 0
        self._heap: list[tuple[int, int, Video]] = []
        self._rng = random.Random(f"{settings.seed}:observe")
        self._cover_rng = random.Random(f"{settings.seed}:coverage")

    @property
    def generated_until(self) -> float:
        """End of the last chunk generated: truth is complete up to here."""
        return self.start + self._chunks * self.world.chunk_s

    def truth(self) -> dict[str, object]:
        """The ground truth document (see :mod:`~trendmon.producers.simulator.breakouts`)."""
        if self._chunks == 0:
            self._next_chunk()
        end = self.until if self.until is not None else self.generated_until
        doc = truth_document(self.world, self.breakouts, end, self.settings.interval_s)
        doc["decoys"] = [d.truth() for d in sorted(self.decoys, key=lambda d: (d.at, d.kind))]
        doc["outages"] = [{"from": iso(a), "to": iso(b)} for a, b in self.outages]
        return doc

    def _next_chunk(self) -> None:
        videos, breakouts, decoys = post_chunk(self.world, self._chunks)
        chunk_start = self.start + self._chunks * self.world.chunk_s
        outage_rng = random.Random(f"{self.settings.seed}:outages:{self._chunks}")
        for _ in range(self.settings.outages):
            at = chunk_start + self.world.chunk_s * outage_rng.uniform(0.2, 0.9)
            self.outages.append((at, at + HOUR))
        self._chunks += 1
        self.breakouts.extend(breakouts)
        self.decoys.extend(decoys)
        if self.until is not None:
            # A planted take-off is generated to its end, which may lie past the run's.
            videos = [v for v in videos if v.create_time < self.until]
        self.counters.videos += len(videos)
        interval = self.settings.interval_s
        rng = self._rng
        for video in videos:
            video.grid0 = video.create_time + rng.uniform(min(60.0, interval), interval)
            # Videos posted before the start are picked up on their grid from the start on.
            k = max(0, math.ceil((self.start - video.grid0) / interval))
            video.seen = k
            video.next_obs = self._grid_time(video, k)
            if video.next_obs - video.create_time <= self.settings.lifetime_h * HOUR:
                heapq.heappush(self._heap, (video.next_obs, video.index, video))
        if self.on_chunk is not None:
            self.on_chunk(self)

    def _grid_time(self, video: Video, k: int) -> int:
        interval = self.settings.interval_s
        jitter = min(self.settings.jitter_s, interval / 3)
        t = video.grid0 + k * interval + self._rng.uniform(-jitter, jitter)
        return max(int(t), video.create_time + 1, self.start)

    def _seen_at(self, t: float) -> bool:
        """Whether the scraper sees a live video at ``t`` (coverage, outages)."""
        s = self.settings
        for a, b in self.outages:
            if a <= t < b:
                return False
        coverage = s.coverage
        if s.coverage_later and t >= self.start + s.coverage_change_h * HOUR:
            coverage = s.coverage_later
        return coverage >= 1.0 or self._cover_rng.random() < coverage

    def snapshots(self) -> Iterator[VideoSnapshot]:
        """Snapshots in arrival order: event-time order but for the late share."""
        for _, snapshot in self.observations():
            yield snapshot

    def observations(self) -> Iterator[tuple[Video, VideoSnapshot]]:
        """Each snapshot with the video it shows (renderers need the video's static parts)."""
        s = self.settings
        heap = self._heap
        late: list[tuple[float, int, Video, VideoSnapshot]] = []
        rnd = self._rng.random
        uniform = self._rng.uniform
        counters, clock = self.counters, self.clock
        lifetime = s.lifetime_h * HOUR
        rounding = s.round_counts
        late_lo = min(60.0, s.late_max_s)
        seq = 0
        if self._chunks == 0:
            self._next_chunk()
        while True:
            while self.until is None and (not heap or heap[0][0] >= self.generated_until):
                self._next_chunk()
            if not heap or (self.until is not None and heap[0][0] >= self.until):
                break
            t, _, v = heapq.heappop(heap)
            while late and late[0][0] <= t:
                due, _, lv, ls = heapq.heappop(late)
                clock.wait_until(due)
                yield lv, ls
            self.now = t

            # Plays accrued since the last observation, with noise; the others as ratios.
            age = t - v.create_time
            x = (age / v.tau_s) ** v.shape
            frac = x / (1.0 + x)
            plays = (frac - v.frac) * v.reach * (0.7 + 0.6 * rnd())
            v.frac = frac
            if t > v.boost_t:
                # Pushed again by a planted breakout: a second, fast curve from the boost on.
                xb = ((t - v.boost_t) / v.boost_tau) ** v.boost_shape
                fb = xb / (1.0 + xb)
                plays += (fb - v.boost_frac) * v.boost_reach * (0.7 + 0.6 * rnd())
                v.boost_frac = fb
            c = v.counts
            lr, cr, sr, vr = v.rates
            c[0] += plays
            c[1] += plays * lr * (0.6 + 0.8 * rnd())
            c[2] += plays * cr * (0.4 + 1.2 * rnd())
            c[3] += plays * sr * (0.4 + 1.2 * rnd())
            c[4] += plays * vr * (0.5 + rnd())
            if not self._seen_at(t):
                # The scraper missed it this time (coverage, outage): the world goes on.
                v.seen += 1
                v.next_obs = self._grid_time(v, v.seen)
                if v.next_obs - v.create_time <= lifetime:
                    heapq.heappush(heap, (v.next_obs, v.index, v))
                continue
            if rounding:
                stats = Stats(
                    plays=round_count(int(c[0])), likes=round_count(int(c[1])),
                    comments=round_count(int(c[2])), shares=round_count(int(c[3])),
                    saves=round_count(int(c[4])),
                )
            else:
                stats = Stats(plays=int(c[0]), likes=int(c[1]), comments=int(c[2]),
                              shares=int(c[3]), saves=int(c[4]))
            collected = datetime.fromtimestamp(t, UTC)
            snapshot = VideoSnapshot(
                event_id=make_event_id(v.id, collected, SOURCE, stats),
                video_id=v.id, collected_at=collected, source=SOURCE, market=v.market,
                create_time=v.create_dt, description=v.description, duration=v.duration,
                author=v.creator.author, music=v.music, hashtags=v.hashtags, effects=v.effects,
                stats=stats, exact_counts=not rounding,
            )
            counters.observed += 1
            if rnd() < s.late_share:
                counters.late += 1
                seq += 1
                heapq.heappush(late, (t + uniform(late_lo, s.late_max_s), seq, v, snapshot))
            else:
                clock.wait_until(t)
                yield v, snapshot
            if rnd() < s.duplicate_share:
                counters.duplicates += 1
                clock.wait_until(t)
                yield v, VideoSnapshot(
                    event_id=make_event_id(v.id, collected, DUPLICATE_SOURCE, stats),
                    video_id=v.id, collected_at=collected, source=DUPLICATE_SOURCE,
                    market=v.market, create_time=v.create_dt, description=v.description,
                    duration=v.duration, author=v.creator.author, music=v.music,
                    hashtags=v.hashtags, effects=v.effects, stats=stats, exact_counts=not rounding,
                )

            v.seen += 1
            v.next_obs = self._grid_time(v, v.seen)
            if v.next_obs - v.create_time <= lifetime:
                heapq.heappush(heap, (v.next_obs, v.index, v))
        while late:
            due, _, lv, ls = heapq.heappop(late)
            clock.wait_until(due)
            yield lv, ls
