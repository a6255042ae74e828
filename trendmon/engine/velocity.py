"""Stage 1, keyed by video: deltas and velocity between consecutive snapshots.

For every accepted snapshot it emits one :class:`~trendmon.events.VideoDelta` (the increments
since the video's previous point, its totals, smoothed plays per hour and engagement rate), which
the runtime fans out to each entity the video belongs to. Rules, all on event time:

- **Duplicates** (a snapshot at a time already seen for the video) are counted and dropped.
- **Late** snapshots, older than the video's newest but within ``allowed_lateness_s``, are
  folded in: the point is inserted between its neighbours and, when it falls in an earlier
  bucket than the next point, a pair of correction deltas moves its share of the increment to
  the bucket where it happened. Totals never change (deltas telescope). Older ones are counted
  as late and dropped from the computation (they stay in the log).
- **Counters never go backwards**: the state keeps each counter's high-water mark, so a count
  that goes down yields a zero increment and the delta is flagged ``decreased``.
- **Rounded counts** (TikTok shows one decimal of K, M or B) make raw velocity a
  staircase; velocity is an exponentially weighted average with time constant ``smoothing_s``.
- **First sighting**: rates are lifetime rates since ``create_time``; the increment credited to
  the current bucket is that rate over at most ``first_sighting_span_s``, so that discovering an
  old video does not look like a burst.
- **Jumps**: a count multiplied by ``jump_factor`` or more in one step (and by at least a
  million plays) is held until the next snapshot confirms the new level; a glitch that the next
  snapshot contradicts is dropped and counted.
- **Evidence flags** for spike detection (:mod:`trendmon.engine.spikes`): a first sighting of a
  video posted within a day is ``posted``; a later sighting of a video at least 3 hours old is
  ``eligible``, and ``accelerated`` when its plays since the previous sighting at least doubled
  its rate before, by more than counting noise and rounding explain. Its rate before is the
  lowest of its rate between the two sightings before, its smoothed rate (``smoothing_s``) and
  a slow one (``SLOW_MS``, two hours): a video pushed gradually (a push that builds up over an
  hour or two) never doubles from one scrape to the next, but does against where it was half an
  hour or an hour ago, and a mature video's own curve only decays (the smoothed rates, lagging,
  are then the higher ones; young videos, whose curve rises, are not eligible, and the slow
  rate counts only from 5 hours of age, when all it remembers is of a mature video). A daily
  rhythm, even one that quadruples a tag's rate from morning to evening, grows about 1.5 times
  at most within two hours.

A gap in the stream, however long, is no reason to refuse anything: a snapshot from the future
is refused against the wall clock where it enters the system (:mod:`trendmon.producers.publish`),
never here (the engine reads no clock).

**Partitions.** Watermarks are kept per partition of the snapshots topic (the video's, by the
same hash as Kafka's), so that the embedded engine judges lateness exactly as a distributed
stage 1 that owns one partition; every delta carries its partition's watermark (``wm_ms``).

State per video is a few slots and one small integer array (its recent points), well under a KB.
"""

from __future__ import annotations

import math
import secrets
from array import array
from dataclasses import dataclass, field
from typing import Any

from trendmon.engine.entities import entities_of, intern
from trendmon.engine.spikes import (
    ACCEL_FACTOR,
    ACCEL_NOISE,
    MATURE_MS,
    POSTED_WITHIN_MS,
)
from trendmon.engine.state import register
from trendmon.engine.windows import HOUR_MS
from trendmon.events import ROUNDED_FROM, Stats, VideoDelta, VideoSnapshot, display_step
from trendmon.partitioner import partition_for
from trendmon.settings import EngineSettings

WIDTH = 6
"""A point is (time ms, plays, likes, comments, shares, saves)."""
MAX_POINTS = 4
SLOW_MS = 2 * 3_600_000
"""Time constant of the slow reference of the acceleration test (module docstring)."""
JUMP_MIN_PLAYS = 1_000_000


@dataclass
class Stage1Counters:
    """What stage 1 did not turn into deltas, by reason, so nothing disappears unseen."""

    accepted: int = 0
    duplicates: int = 0
    late_folded: int = 0
    late_dropped: int = 0
    jumps_held: int = 0
    jumps_dropped: int = 0
    decreased: int = 0
    rejected: list[tuple[VideoSnapshot, str]] = field(default_factory=list)


class VideoState:
    """What stage 1 remembers of one video."""

    __slots__ = (
        "author",
        "created_ms",
        "entities",
        "labels",
        "market",
        "number",
        "part",
        "pending",
        "pts",
        "rate",
        "seq",
        "slow",
        "velocity",
    )

    def __init__(self) -> None:
        self.pts = array("q")
        self.seq = 0
        self.velocity = 0.0
        self.rate = 0.0
        """Plays per hour between its last two sightings (its lifetime rate after the first)."""
        self.slow = 0.0
        """Plays per hour smoothed over :data:`SLOW_MS` (where it was an hour or two ago)."""
        self.entities: tuple[str, ...] = ()
        self.labels: tuple[str, ...] = ()
        self.market = ""
        self.author = ""
        self.created_ms: int | None = None
        self.pending: array[int] | None = None
        self.part = 0
        self.number = -1
        """Given at its first sighting by its :class:`Stage1` (-1: restored from a dump
        without one)."""

    def __getstate__(self) -> list[object]:
        """What a checkpoint pickles: :meth:`dump`'s plain values (the same in both builds)."""
        return self.dump()

    def __setstate__(self, state: list[Any]) -> None:
        self._fill(state)

    @property
    def last_ms(self) -> int:
        return self.pts[-WIDTH]

    def dump(self) -> list[object]:
        """Plain values for a table or a checkpoint (see :meth:`load`)."""
        return [
            list(self.pts),
            self.seq,
            self.velocity,
            list(self.entities),
            list(self.labels),
            self.market,
            self.author,
            self.created_ms,
            None if self.pending is None else list(self.pending),
            self.part,
            self.rate,
            self.slow,
            self.number,
        ]

    @classmethod
    def load(cls, values: list[Any]) -> VideoState:
        """A state from :meth:`dump`'s values kept apart from its stage (a table): without its
        number, which only its own stage's numbering gives a meaning."""
        st = cls()
        st._fill(values)
        st.number = -1
        return st

    def _fill(self, values: list[Any]) -> None:
        """Set every slot from :meth:`dump`'s values (older dumps lack the last rates)."""
        (
            pts,
            self.seq,
            self.velocity,
            entities,
            labels,
            market,
            author,
            self.created_ms,
            pending,
            self.part,
            *rest,
        ) = values
        self.rate = float(rest[0]) if rest else self.velocity
        self.slow = float(rest[1]) if len(rest) > 1 else self.velocity
        self.number = int(rest[2]) if len(rest) > 2 else -1
        self.pts = array("q", pts)
        self.entities = tuple(intern(e) for e in entities)
        self.labels = tuple(labels)
        self.market = intern(market)
        self.author = intern(author)
        self.pending = None if pending is None else array("q", pending)


def _counts(snap: VideoSnapshot, previous_saves: int) -> tuple[int, int, int, int, int]:
    s = snap.stats
    return (s.plays, s.likes, s.comments, s.shares, previous_saves if s.saves is None else s.saves)


def delta(
    *,
    video_id: str,
    seq: int,
    market: str,
    author_id: str,
    collected_ms: int,
    prev_ms: int | None,
    d_plays: int,
    d_likes: int,
    d_comments: int,
    d_shares: int,
    d_saves: int,
    plays: int,
    likes: int,
    comments: int,
    shares: int,
    saves: int,
    velocity: float,
    engagement_rate: float,
    entities: tuple[str, ...],
    labels: tuple[str, ...],
    first_sighting: bool = False,
    correction: bool = False,
    decreased: bool = False,
    rounded: bool = False,
    wm_ms: int = 0,
    posted: bool = False,
    eligible: bool = False,
    accelerated: bool = False,
) -> VideoDelta:
    """A :class:`~trendmon.events.VideoDelta` built by name (the fields are documented there).

    Stage 1 makes one per snapshot. msgspec matches keyword arguments one by one, about 1.2 µs
    for these 28 (a tenth of the engine's time per snapshot), while this module runs compiled,
    where a call by name to this function is a plain C call: so the one positional construction
    is here (``tests/engine/test_velocity.py`` checks it field by field)."""
    return VideoDelta(
        video_id,
        seq,
        market,
        author_id,
        collected_ms,
        prev_ms,
        d_plays,
        d_likes,
        d_comments,
        d_shares,
        d_saves,
        plays,
        likes,
        comments,
        shares,
        saves,
        velocity,
        engagement_rate,
        entities,
        labels,
        first_sighting,
        correction,
        decreased,
        rounded,
        wm_ms,
        posted,
        eligible,
        accelerated,
    )


class Stage1:
    """Per-video state and the delta rules above. Feed snapshots in log order."""

    def __init__(self, settings: EngineSettings | None = None, *, partitions: int = 1) -> None:
        self.settings = settings or EngineSettings()
        self.videos: dict[str, VideoState] = {}
        self.partitions = partitions
        self.marks = [0] * partitions
        """Watermark (newest event time processed) per partition of the snapshots topic."""
        self._hours = [-1] * partitions
        self.evicted: list[str] = []
        """Videos forgotten since the caller last emptied this (a table deletes them)."""
        self._wm = 0
        self.ts = 0
        """Event time (epoch ms) of the last snapshot processed."""
        self.numbering = secrets.randbits(62)
        self.numbered = 0
        self.number = -1
        """Each video gets the next number (``numbered`` so far) at its first sighting, and
        ``number`` is the last snapshot's video's: a caller that keeps something per video (the
        forecasts) reads it instead of looking the video up again. A number stands for one
        video within one ``numbering``, drawn at random when a stage is made: one restored
        from a checkpoint goes on with its own."""
        self.counters = Stage1Counters()
        self._bucket_ms = self.settings.bucket_s * 1000
        self._late_ms = self.settings.allowed_lateness_s * 1000
        self._tau_ms = self.settings.smoothing_s * 1000
        self._span_ms = self.settings.first_sighting_span_s * 1000
        self._jump = self.settings.jump_factor

    # -- entry point --------------------------------------------------------------------------

    @property
    def watermark_ms(self) -> int:
        """The newest event time processed, over all partitions."""
        return max(self.marks)

    def partition_of(self, video_id: str) -> int:
        st = self.videos.get(video_id)
        if st is not None:
            return st.part
        return partition_for(video_id, self.partitions) if self.partitions > 1 else 0

    def process(self, snap: VideoSnapshot, out: list[VideoDelta]) -> None:
        """Apply one snapshot; append the deltas it yields to ``out``."""
        self.ts = ts = int(snap.collected_at.timestamp() * 1000)
        video_id = snap.video_id
        st = self.videos.get(video_id)
        if st is not None:
            self.number = st.number
        part = st.part if st is not None else self.partition_of(video_id)
        self._wm = wm = self.marks[part]
        if st is None:
            self._first(snap, ts, part, out)
        elif ts > st.pts[-WIDTH] and st.pending is None:  # the common case: the next point
            self._next(st, snap, ts, out)
        else:
            last = st.pts[-WIDTH]
            if ts > last:
                pending = st.pending
                assert pending is not None
                if ts == pending[0]:  # the held jump itself, delivered again
                    self.counters.duplicates += 1
                    return
                if ts > pending[0]:
                    self._resolve_pending(st, snap, ts, out)
                self._next(st, snap, ts, out)
            elif ts == last or self._known_time(st, ts):
                self.counters.duplicates += 1
                return
            else:
                self._late(st, snap, ts, out)
        if ts > wm:
            self.marks[part] = ts
            hour = ts // HOUR_MS
            if hour > self._hours[part]:
                self._hours[part] = hour
                self._evict(part, hour * HOUR_MS)

    # -- cases ---------------------------------------------------------------------------------

    def _first(self, snap: VideoSnapshot, ts: int, part: int, out: list[VideoDelta]) -> None:
        st = VideoState()
        st.part = part
        st.number = self.number = self.numbered
        self.numbered += 1
        self.videos[snap.video_id] = st
        st.entities, st.labels = entities_of(snap)
        st.market = intern(snap.market)
        st.author = intern(snap.author.id)
        counts = _counts(snap, 0)
        st.pts.extend((ts, *counts))
        created = snap.create_time
        age_ms = 0
        if created is not None:
            st.created_ms = int(created.timestamp() * 1000)
            age_ms = ts - st.created_ms
        if age_ms > 0:
            share = min(1.0, self._span_ms / age_ms)
            deltas = tuple(round(c * share) for c in counts)
            st.velocity = st.rate = st.slow = counts[0] * 3_600_000 / age_ms
        else:
            # Unknown age: nothing can be said of when these counts accrued.
            deltas = (0, 0, 0, 0, 0)
        self.counters.accepted += 1
        out.append(
            self._delta(
                snap.video_id,
                st,
                ts,
                None,
                deltas,
                counts,
                first=True,
                rounded=not snap.exact_counts,
                posted=created is not None and 0 <= age_ms <= POSTED_WITHIN_MS,
            )
        )

    def _next(self, st: VideoState, snap: VideoSnapshot, ts: int, out: list[VideoDelta]) -> None:
        pts = st.pts
        stats = snap.stats
        p0 = pts[-5]
        c0 = stats.plays
        if c0 >= (p0 if p0 > 1 else 1) * self._jump and c0 - p0 >= JUMP_MIN_PLAYS:
            self._hold(st, stats, ts)
            return
        self._advance(st, snap.video_id, ts, stats, not snap.exact_counts, out)

    def _hold(self, st: VideoState, stats: Stats, ts: int) -> None:
        """Hold a jump until the next snapshot confirms it."""
        saves = st.pts[-1] if stats.saves is None else stats.saves
        st.pending = array("q", (ts, stats.plays, stats.likes, stats.comments, stats.shares, saves))
        self.counters.jumps_held += 1

    def _advance(
        self,
        st: VideoState,
        video_id: str,
        ts: int,
        stats: Stats,
        rounded: bool,
        out: list[VideoDelta],
    ) -> None:
        # The hot path (one call per accepted snapshot): plain index reads and one positional
        # construction, since a slice, a keyword call or a helper call each cost as much as the
        # arithmetic.
        pts = st.pts
        prev_ms = pts[-6]
        p0 = pts[-5]
        p1 = pts[-4]
        p2 = pts[-3]
        p3 = pts[-2]
        p4 = pts[-1]
        c0 = stats.plays
        c1 = stats.likes
        c2 = stats.comments
        c3 = stats.shares
        c4 = stats.saves
        if c4 is None:
            c4 = p4
        decreased = c0 < p0 or c1 < p1 or c2 < p2 or c3 < p3 or c4 < p4
        if decreased:
            self.counters.decreased += 1
            c0, c1, c2, c3, c4 = max(c0, p0), max(c1, p1), max(c2, p2), max(c3, p3), max(c4, p4)
        dt = ts - prev_ms
        d0 = c0 - p0
        # Evidence flags (module docstring): d0 against the plays its own smoothed rate gives.
        created = st.created_ms
        age = -1 if created is None else prev_ms - created
        eligible = age >= MATURE_MS
        accelerated = False
        if eligible:
            # The slow rate remembers two hours: a reference once they were all mature.
            slow = st.slow if age >= MATURE_MS + SLOW_MS else st.velocity
            mu = min(st.rate, st.velocity, slow) * dt / 3_600_000
            # Rounding: a step of the shown count (either end of the increment may be one,
            # and a reading that is a multiple of its step was almost surely rounded).
            unit = display_step(c0) if rounded and c0 >= ROUNDED_FROM else 0
            if p0 >= ROUNDED_FROM:
                step = display_step(p0)
                if p0 % step == 0 and step > unit:
                    unit = step
            accelerated = d0 >= ACCEL_FACTOR * mu + ACCEL_NOISE * math.sqrt(mu + 1.0) + 2 * unit
        st.rate = rate = d0 * 3_600_000 / dt
        st.slow += (1.0 - math.exp(-dt / SLOW_MS)) * (rate - st.slow)
        tau = self._tau_ms
        if tau:
            velocity = st.velocity
            st.velocity = velocity + (1.0 - math.exp(-dt / tau)) * (rate - velocity)
        else:
            st.velocity = rate
        pts.extend((ts, c0, c1, c2, c3, c4))
        # Keep the points a late snapshot could still fall between, and never fewer than one
        # (one point goes in, so one goes out at most, but after a long silence).
        horizon = ts - self._late_ms
        if len(pts) > MAX_POINTS * WIDTH or pts[WIDTH] <= horizon:
            del pts[:WIDTH]
            while len(pts) > WIDTH and pts[WIDTH] <= horizon:
                del pts[:WIDTH]
        self.counters.accepted += 1
        st.seq = seq = st.seq + 1
        out.append(
            delta(
                video_id=video_id,
                seq=seq,
                market=st.market,
                author_id=st.author,
                collected_ms=ts,
                prev_ms=prev_ms,
                d_plays=d0,
                d_likes=c1 - p1,
                d_comments=c2 - p2,
                d_shares=c3 - p3,
                d_saves=c4 - p4,
                plays=c0,
                likes=c1,
                comments=c2,
                shares=c3,
                saves=c4,
                velocity=st.velocity,
                engagement_rate=(c1 + c2 + c3 + c4) / c0 if c0 else 0.0,
                entities=st.entities,
                labels=st.labels,
                decreased=decreased,
                rounded=rounded,
                wm_ms=self._wm,
                eligible=eligible,
                accelerated=accelerated,
            )
        )

    def _resolve_pending(
        self, st: VideoState, snap: VideoSnapshot, ts: int, out: list[VideoDelta]
    ) -> None:
        pending = st.pending
        assert pending is not None
        st.pending = None
        # The next snapshot confirms the jump when it stays at (at least half) the new level.
        if snap.stats.plays * 2 >= pending[1]:
            _, c0, c1, c2, c3, c4 = pending
            held = Stats(plays=c0, likes=c1, comments=c2, shares=c3, saves=c4)
            self._advance(st, snap.video_id, pending[0], held, not snap.exact_counts, out)
        else:
            self.counters.jumps_dropped += 1

    def _known_time(self, st: VideoState, ts: int) -> bool:
        pts = st.pts
        return any(pts[i] == ts for i in range(0, len(pts), WIDTH))

    def _late(self, st: VideoState, snap: VideoSnapshot, ts: int, out: list[VideoDelta]) -> None:
        pts = st.pts
        if pts[-WIDTH] - ts > self._late_ms or ts < pts[0]:
            self.counters.late_dropped += 1
            return
        # The first point after ts; one before it exists because ts > pts[0].
        nxt = next(i for i in range(0, len(pts), WIDTH) if pts[i] > ts)
        after_ms = pts[nxt]
        before = pts[nxt - WIDTH + 1 : nxt]
        after = pts[nxt + 1 : nxt + WIDTH]
        counts = _counts(snap, before[4])
        point = tuple(min(max(c, b), a) for c, b, a in zip(counts, before, after, strict=True))
        pts[nxt:nxt] = array("q", (ts, *point))
        if len(pts) > MAX_POINTS * WIDTH:
            del pts[:WIDTH]
        self.counters.late_folded += 1
        bucket = self._bucket_ms
        moved = tuple(p - b for p, b in zip(point, before, strict=True))
        if ts // bucket == after_ms // bucket or not any(moved):
            return
        totals = tuple(pts[-WIDTH + 1 :])
        rounded = not snap.exact_counts
        out.append(
            self._delta(
                snap.video_id, st, ts, None, moved, totals, correction=True, rounded=rounded
            )
        )
        out.append(
            self._delta(
                snap.video_id,
                st,
                after_ms,
                None,
                tuple(-m for m in moved),
                totals,
                correction=True,
                rounded=rounded,
            )
        )

    # -- output --------------------------------------------------------------------------------

    def _delta(
        self,
        video_id: str,
        st: VideoState,
        ts: int,
        prev_ms: int | None,
        d: tuple[int, ...],
        totals: tuple[int, ...],
        *,
        first: bool = False,
        correction: bool = False,
        decreased: bool = False,
        rounded: bool = False,
        posted: bool = False,
    ) -> VideoDelta:
        st.seq += 1
        plays = totals[0]
        engaged = totals[1] + totals[2] + totals[3] + totals[4]
        return delta(
            video_id=video_id,
            seq=st.seq,
            market=st.market,
            author_id=st.author,
            collected_ms=ts,
            prev_ms=prev_ms,
            d_plays=d[0],
            d_likes=d[1],
            d_comments=d[2],
            d_shares=d[3],
            d_saves=d[4],
            plays=plays,
            likes=totals[1],
            comments=totals[2],
            shares=totals[3],
            saves=totals[4],
            velocity=st.velocity,
            engagement_rate=engaged / plays if plays else 0.0,
            entities=st.entities,
            labels=st.labels,
            first_sighting=first,
            correction=correction,
            decreased=decreased,
            rounded=rounded,
            wm_ms=self._wm,
            posted=posted,
        )

    # -- housekeeping ------------------------------------------------------------------------

    def _evict(self, part: int, now_ms: int) -> None:
        """Forget the partition's videos not seen for ``video_idle_s`` (into ``evicted``).

        Run when the partition's watermark enters a new hour, so that the embedded engine and
        a distributed stage 1 forget the same videos at the same snapshot (a video seen again
        later is a first sighting in both).
        """
        horizon = now_ms - self.settings.video_idle_s * 1000
        idle = [
            vid
            for vid, st in self.videos.items()
            if st.part == part and st.pts[-WIDTH] < horizon
        ]
        for vid in idle:
            del self.videos[vid]
        self.evicted.extend(idle)


# Checkpoints: the same state in both builds (see trendmon/engine/state.py).
register(Stage1Counters)
register(Stage1)
