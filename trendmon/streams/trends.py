"""Stage 2, keyed by entity: windows, trend scores, lifecycle, ranks and spikes.

Deltas from stage 1 land in their entity's buckets (per market; ``all`` markets is the sum,
computed when scoring). Time moves by :meth:`Stage2.advance` with the watermark (event time):
each bucket it leaves is closed, which folds the bucket into the windows, checks it for spikes
(:mod:`trendmon.streams.spikes`) and re-ranks the bucket-made windows (``1h``); closing an hour
re-ranks the hour-made windows (``24h``, ``7d``) and evicts idle state. Scores and stages are
defined in :mod:`trendmon.streams.scoring`, ranks in :mod:`trendmon.streams.boards`.

A delta is applied at most once per entity and market: each keeps the highest ``seq`` applied
per video, so a stage-1 output replayed after a crash is recognised and skipped.
"""

from __future__ import annotations

import functools
import heapq
import math
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from trendmon.events import BoardTick, Candidate, Spike, SpikeEvidence, VideoDelta
from trendmon.settings import EngineSettings
from trendmon.streams.entities import kind_of
from trendmon.streams.scoring import MIN_BREADTH, Evidence, growth_of, stage_of, trend_score
from trendmon.streams.spikes import (
    PUSH_LOOKBACK,
    SpikeRule,
    accelerating,
    carried_by,
    contribution,
    created_ms,
    posting_surge,
    severity,
    surge_of,
)
from trendmon.streams.windows import HOUR_MS, MarketAgg, Window, make_windows

ALL = "all"


class EntityState:
    """One hashtag, sound, creator or effect: its label and its per-market aggregates."""

    __slots__ = ("cooldown_ms", "first_ms", "key", "kind", "label", "last_ms", "markets")

    def __init__(self, key: str, label: str, ts: int) -> None:
        self.key = key
        self.kind = kind_of(key)
        self.label = label
        self.markets: dict[str, MarketAgg] = {}
        self.first_ms = ts
        self.last_ms = ts
        self.cooldown_ms = 0


@dataclass
class Stage2Counters:
    applied: int = 0
    duplicates: int = 0
    late_folded: int = 0
    evicted: int = 0


@dataclass
class Stage2Output:
    ticks: list[BoardTick] = field(default_factory=list)
    spikes: list[Spike] = field(default_factory=list)


class Stage2:
    """Entity state and the rules above. Call ``advance`` then ``apply`` for each delta."""

    def __init__(
        self, settings: EngineSettings | None = None, *, dedupe: bool = True, part: int = 0
    ) -> None:
        self.settings = s = settings or EngineSettings()
        self.dedupe = dedupe
        """Skip deltas already applied (needed when stage 1's output can be replayed)."""
        self.part = part
        """The partition this stage owns (named in its board ticks)."""
        self.bucket_ms = s.bucket_s * 1000
        if HOUR_MS % self.bucket_ms:
            raise ValueError(f"bucket_s={s.bucket_s} must divide an hour (60, 300, 600, 900...)")
        self.bph = HOUR_MS // self.bucket_ms
        self.windows: tuple[Window, ...] = make_windows(s.windows, self.bucket_ms)
        self.entities: dict[str, EntityState] = {}
        self.open_bucket: int | None = None
        self.closed = -1
        self.fine_active: dict[int, dict[MarketAgg, None]] = {}
        self.hour_active: dict[int, dict[MarketAgg, None]] = {}
        self.seen: dict[str, tuple[int, str, str, tuple[str, ...], int | None, int]] = {}
        """Per video: last time seen, market, author, entities (breadth is counted from it), the
        time seen before that and the ``seq`` of the delta that brought it."""
        self.members: dict[str, set[str]] = {}
        """Per entity: its videos seen within the longest window."""
        self.hw: dict[tuple[str, str], int] = {}
        """Highest delta seq applied per (entity, video), when deduplicating."""
        self._pending: dict[tuple[str, str, int], list[Any]] = {}
        self.counters = Stage2Counters()
        self.out = Stage2Output()
        self.rule = SpikeRule(
            z=s.spike_z,
            min_rate=s.spike_min_rate,
            min_ratio=s.spike_min_ratio,
            window=s.spike_window_buckets,
            baseline=s.spike_baseline_buckets,
            min_history=s.spike_min_history,
            posting=s.spike_posting_buckets,
            min_new=s.spike_min_new_videos,
            new_ratio=s.spike_new_ratio,
            push_window=s.spike_push_buckets,
            push_videos=s.spike_push_videos,
            push_factor=s.spike_push_factor,
            push_share=s.spike_push_share,
        )
        self.recent: dict[str, list[Any]] = {}
        """Per video: ``[seq, {bucket: plays contributed}]`` of its latest buckets (the seq of
        the last delta counted, so a delta applied to several entities is counted once): whether
        it accelerates (:func:`~trendmon.streams.spikes.accelerating`) is read from it."""
        self._recent_span = s.spike_push_buckets + PUSH_LOOKBACK
        self._fresh: dict[int, dict[MarketAgg, None]] = {}
        """Per bucket: the aggregates that saw a new video in it (spike candidates)."""
        self.first_bucket: int | None = None
        """The first bucket this stage saw: before two windows have passed, "nothing in the
        previous window" means "not watched yet", not "new"."""
        fine_units = [w.units for w in self.windows if w.fine]
        spike_span = s.spike_baseline_buckets + max(s.spike_window_buckets, s.spike_posting_buckets)
        self._fine_keep = max([2 * u for u in fine_units] + [spike_span]) + 1
        self._hour_keep = max([2 * w.units for w in self.windows if not w.fine] + [2]) + 1
        self._longest_ms = max(w.ms for w in self.windows)

    @property
    def next_close_ms(self) -> int:
        """Event time at which the open bucket closes (-1 before the first delta)."""
        return -1 if self.open_bucket is None else (self.open_bucket + 1) * self.bucket_ms

    # -- input ---------------------------------------------------------------------------------

    def advance(self, ts_ms: int) -> None:
        """Move event time to ``ts_ms``: close every bucket it leaves behind."""
        b = ts_ms // self.bucket_ms
        if self.open_bucket is None:
            self.open_bucket = b
            self.first_bucket = b
            self.closed = b - 1
            return
        if self.open_bucket < b:
            self._flush()
        while self.open_bucket < b:
            self._close(self.open_bucket)
            self.open_bucket += 1

    def apply(self, d: VideoDelta) -> None:
        """Apply a delta to every entity it names (the embedded runtime's fan-out).

        Deltas are summed per (entity, market, bucket) as they come and folded into the
        entities' state when the bucket closes or the batch is drained, which gives the same
        state as applying each one at once: nothing reads that state in between.
        """
        self._add(d, zip(d.entities, d.labels, strict=True))

    def apply_one(self, key: str, label: str, d: VideoDelta) -> None:
        """Apply a delta to one entity (the distributed runtime's per-key call).

        With ``dedupe`` a delta already applied to this entity (``seq`` not above the highest
        seen for the video) is skipped: a replayed stage-1 output changes nothing.
        """
        if self.dedupe:
            mark = (key, d.video_id)
            if d.seq <= self.hw.get(mark, 0):
                self.counters.duplicates += 1
                return
            self.hw[mark] = d.seq
        self._add(d, ((key, label),))

    def _add(self, d: VideoDelta, entities: Iterable[tuple[str, str]]) -> None:
        t = d.collected_ms
        b = t // self.bucket_ms
        vid = d.video_id
        market = d.market
        prev = self.seen.get(vid)
        if prev is None:
            before = None
        elif d.seq == prev[5]:
            before = prev[4]  # the same delta, already applied to another of its entities
        else:
            before = prev[0]
        if prev is None or t > prev[0]:
            self.seen[vid] = (t, market, d.author_id, d.entities, before, d.seq)
        new_here = 1 if before is None or before < b * self.bucket_ms else 0
        dp = d.d_plays
        de = d.d_likes + d.d_comments + d.d_shares + d.d_saves
        c = contribution(d)
        rec = self.recent.get(vid)
        if rec is None:
            self.recent[vid] = [d.seq, {b: c}]
        elif d.seq > rec[0]:
            rec[0] = d.seq
            buckets = rec[1]
            buckets[b] = buckets.get(b, 0) + c
            if len(buckets) > self._recent_span:
                newest = max(buckets)
                for old in [bb for bb in buckets if bb <= newest - self._recent_span]:
                    del buckets[old]
        first = 1 if d.first_sighting else 0
        pending = self._pending
        members = self.members
        for key, label in entities:
            k = (key, market, b)
            row = pending.get(k)
            if row is None:
                pending[k] = [dp, de, new_here, c, t, label, c, first, 0]
            else:
                row[0] += dp
                row[1] += de
                row[2] += new_here
                if c > row[3]:
                    row[8] = row[3]
                    row[3] = c
                elif c > row[8]:
                    row[8] = c
                if t > row[4]:
                    row[4] = t
                row[6] += c
                row[7] += first
            group = members.get(key)
            if group is None:
                members[key] = {vid}
            else:
                group.add(vid)

    def drain(self) -> Stage2Output:
        """Scores and spikes produced since the last drain (pending sums folded in first)."""
        self._flush()
        out, self.out = self.out, Stage2Output()
        return out

    def _flush(self) -> None:
        """Fold the pending (entity, market, bucket) sums into the entities' buckets."""
        if not self._pending:
            return
        entities = self.entities
        fine_active = self.fine_active
        nwin = len(self.windows)
        bucket_ms = self.bucket_ms
        closed = self.closed
        fresh = self._fresh
        for (key, market, b), pend in self._pending.items():
            plays, eng, videos, top, t, label, contrib, new, second = pend
            ent = entities.get(key)
            if ent is None:
                ent = entities[key] = EntityState(key, label, b * bucket_ms)
            if t > ent.last_ms:
                ent.last_ms = t
            agg = ent.markets.get(market)
            if agg is None:
                agg = ent.markets[market] = MarketAgg(ent, market, nwin, b * bucket_ms)
            row = agg.fine.get(b)
            if row is None:
                agg.fine[b] = [plays, eng, videos, top, contrib, new, second]
                active = fine_active.get(b)
                if active is None:
                    active = fine_active[b] = {}
                active[agg] = None
            else:
                row[0] += plays
                row[1] += eng
                row[2] += videos
                # The two largest contributions of both parts.
                if top > row[3]:
                    row[6] = max(row[3], second)
                    row[3] = top
                elif top > row[6]:
                    row[6] = top
                row[4] += contrib
                row[5] += new
            if new:
                seen_new = fresh.get(b)
                if seen_new is None:
                    seen_new = fresh[b] = {}
                seen_new[agg] = None
            self.counters.applied += 1
            if b <= closed:
                self.counters.late_folded += 1
                self._fold(agg, b, plays, eng)
        self._pending = {}

    def breadth(self, key: str, since_ms: int) -> dict[str | None, tuple[int, int]]:
        """Distinct videos and creators of an entity seen at or after ``since_ms``, per market
        and (under ``None``) over all markets, in one pass over its videos."""
        seen = self.seen
        videos: dict[str | None, int] = {}
        creators: dict[str | None, set[str]] = {}
        everyone: set[str] = set()
        total = 0
        for vid in self.members.get(key, ()):
            last = seen.get(vid)
            if last is not None and last[0] >= since_ms:
                market = last[1]
                videos[market] = videos.get(market, 0) + 1
                creators.setdefault(market, set()).add(last[2])
                everyone.add(last[2])
                total += 1
        result: dict[str | None, tuple[int, int]] = {
            m: (n, len(creators[m])) for m, n in videos.items()
        }
        result[None] = (total, len(everyone))
        return result

    # -- closing buckets -------------------------------------------------------------------------

    def _fold(self, agg: MarketAgg, b: int, plays: int, eng: int) -> None:
        h = b // self.bph
        hr = agg.hours.get(h)
        if hr is None:
            hr = agg.hours[h] = [0, 0]
            self.hour_active.setdefault(h, {})[agg] = None
        hr[0] += plays
        hr[1] += eng
        closed_h = (self.closed + 1) // self.bph - 1
        for i, w in enumerate(self.windows):
            age = self.closed - b if w.fine else closed_h - h
            if age < w.units:
                agg.win[2 * i] += plays
                agg.win[2 * i + 1] += eng
            elif age < 2 * w.units:
                agg.prev[2 * i] += plays
                agg.prev[2 * i + 1] += eng

    def _close(self, b: int) -> None:
        self.closed = b
        active = self.fine_active.get(b, {})
        for agg in active:
            row = agg.fine[b]
            self._fold(agg, b, row[0], row[1])
        for i, w in enumerate(self.windows):
            if w.fine:
                self._expire(i, b - w.units, b - 2 * w.units, self.fine_active, fine=True)
        self._spikes(b, active)
        end_ms = (b + 1) * self.bucket_ms
        if (b + 1) % self.bph == 0:
            h = b // self.bph
            for i, w in enumerate(self.windows):
                if not w.fine:
                    self._expire(i, h - w.units, h - 2 * w.units, self.hour_active, fine=False)
            for i, w in enumerate(self.windows):
                if not w.fine:
                    cands = self._candidates(self.hour_active, h, 2 * w.units)
                    self._score(i, w, end_ms, cands, full=True)
            self._housekeeping(h, end_ms)
        for i, w in enumerate(self.windows):
            if w.fine:
                cands = self._candidates(self.fine_active, b, 2 * w.units)
                self._score(i, w, end_ms, cands, full=(b + 1) % self.bph == 0)
        old = b - self._fine_keep
        for agg in self.fine_active.pop(old, {}):
            agg.fine.pop(old, None)
        self._fresh.pop(old, None)

    def _expire(
        self,
        i: int,
        leave: int,
        leave_prev: int,
        index: dict[int, dict[MarketAgg, None]],
        *,
        fine: bool,
    ) -> None:
        for agg in index.get(leave, {}):
            row = (agg.fine if fine else agg.hours)[leave]
            agg.win[2 * i] -= row[0]
            agg.win[2 * i + 1] -= row[1]
            agg.prev[2 * i] += row[0]
            agg.prev[2 * i + 1] += row[1]
        for agg in index.get(leave_prev, {}):
            row = (agg.fine if fine else agg.hours)[leave_prev]
            agg.prev[2 * i] -= row[0]
            agg.prev[2 * i + 1] -= row[1]

    def _candidates(
        self, index: dict[int, dict[MarketAgg, None]], last: int, span: int
    ) -> dict[EntityState, None]:
        found: dict[EntityState, None] = {}
        for unit in range(last - span + 1, last + 2):
            for agg in index.get(unit, {}):
                found[agg.entity] = None  # type: ignore[index]
        return found

    def _housekeeping(self, h: int, now_ms: int) -> None:
        old = h - self._hour_keep
        for agg in self.hour_active.pop(old, {}):
            agg.hours.pop(old, None)
        horizon = now_ms - self.settings.entity_idle_s * 1000
        idle = [k for k, e in self.entities.items() if e.last_ms < horizon]
        for k in idle:
            del self.entities[k]
        self.counters.evicted += len(idle)
        horizon = now_ms - self._longest_ms
        gone = [vid for vid, last in self.seen.items() if last[0] < horizon]
        for vid in gone:
            for key in self.seen.pop(vid)[3]:
                group = self.members.get(key)
                if group is not None:
                    group.discard(vid)
                    if not group:
                        del self.members[key]
                self.hw.pop((key, vid), None)
            self.recent.pop(vid, None)

    # -- spikes ----------------------------------------------------------------------------------

    def _spikes(self, b: int, active: dict[MarketAgg, None]) -> None:
        # Candidates, so that the check stays off the quiet entities: for pushed evidence, the
        # aggregates whose last push_window buckets carry the minimum rate of broad plays; for
        # posted evidence (when on), those with new videos in the posting span (from the index
        # of buckets with new videos).
        rule = self.rule
        floor = rule.min_rate * self.bucket_ms / HOUR_MS
        pushed: dict[MarketAgg, float] = {}
        for bb in range(b - rule.push_window + 1, b + 1):
            for agg in self.fine_active.get(bb, ()):
                if agg not in pushed:
                    pushed[agg] = self._broad(agg, b, rule.push_window)
        posted: dict[MarketAgg, int] = {}
        if rule.min_new > 0:
            for bb in range(b - rule.posting + 1, b + 1):
                seen_new = self._fresh.get(bb)
                if seen_new and bb != self.first_bucket:
                    for agg in seen_new:
                        posted[agg] = posted.get(agg, 0) + agg.fine[bb][5]
        min_videos = self.settings.spike_min_videos
        # "All" markets: the sums of the markets' candidates (a mean over more markets is at most
        # their sum of best means, so no candidate is missed).
        all_broad: dict[EntityState, float] = {}
        all_new: dict[EntityState, int] = {}
        for agg in {**pushed, **posted}:
            ent: EntityState = agg.entity  # type: ignore[assignment]
            broad, new = pushed.get(agg, 0.0), posted.get(agg, -1)
            all_broad[ent] = all_broad.get(ent, 0.0) + broad
            if new >= 0:
                all_new[ent] = all_new.get(ent, 0) + new
            row = agg.fine.get(b)
            if row is not None and row[2] >= min_videos:
                self._check(ent, agg.market, b, [agg], agg.first_ms, agg, broad >= floor, new)
        for ent, broad in all_broad.items():
            markets = list(ent.markets.values())
            if len(markets) < 2:
                continue  # "all" equals the one market, already checked
            videos = 0
            for agg in markets:
                cell = agg.fine.get(b)
                if cell is not None:
                    videos += cell[2]
            if videos >= min_videos:
                new = all_new.get(ent, -1)
                self._check(ent, ALL, b, markets, ent.first_ms, None, broad >= floor, new)

    @staticmethod
    def _broad(agg: MarketAgg, b: int, most: int) -> float:
        """The highest mean broad plays (each bucket without its two largest videos) of the
        last ``k`` buckets ending at ``b``, for ``k`` in ``1 .. most``."""
        best = total = 0.0
        fine = agg.fine
        for k in range(1, most + 1):
            row = fine.get(b - k + 1)
            if row is not None:
                total += row[4] - row[3] - row[6]
            best = max(best, total / k)
        return best

    def _check(
        self,
        ent: EntityState,
        market: str,
        b: int,
        aggs: list[MarketAgg],
        first_ms: int,
        agg: MarketAgg | None,
        push: bool,
        new: int,
    ) -> None:
        """Test a candidate for a pushed spike (``push``), then for a posted one (``new`` new
        videos counted in the posting span, -1 when it is not a candidate for that)."""
        rule = self.rule
        cooldown = agg.cooldown_ms if agg is not None else ent.cooldown_ms
        bucket_start = b * self.bucket_ms
        if bucket_start < cooldown:
            return
        seen_from = first_ms // self.bucket_ms
        hours = self.bucket_ms / HOUR_MS
        # Buckets only hold recent activity, so summing what is there is cheap and sparse.
        posting_from = b - rule.posting + 1
        # What the stage sees in its first bucket was discovered, not posted: it is not counted.
        discovered = self.first_bucket or 0
        baseline_from = max(posting_from - rule.baseline, discovered + 1)
        broad: dict[int, int] = {}
        recent_new = base_new = videos = 0
        for a in aggs:
            for bb, row in a.fine.items():
                broad[bb] = broad.get(bb, 0) + row[4] - row[3] - row[6]
                if bb == discovered:
                    pass
                elif bb >= posting_from:
                    recent_new += row[5]
                elif bb >= baseline_from:
                    base_new += row[5]
                if bb == b:
                    videos += row[2]
        found = None
        evidence: SpikeEvidence = "pushed"
        accelerated = 0
        for k in range(1, rule.push_window + 1) if push else ():
            history_len = min(rule.baseline, b - k + 1 - seen_from)
            if history_len < rule.min_history:
                continue
            found = surge_of(broad, b, history_len, hours, rule, k)
            if found is None:
                continue
            # The entity's videos already out there that accelerate together, and whether they
            # are its own (attribution).
            together, out_there = self._accelerating(ent.key, market, b, k)
            accelerated = len(together)
            need = max(rule.push_videos, rule.push_share * out_there)
            if accelerated >= need and not carried_by(
                ent.key, together, functools.partial(operator.le, need)
            ):
                break
            found = None
        history_len = min(rule.baseline, b - rule.window + 1 - seen_from)
        if (
            found is None
            and new >= 0
            and history_len >= rule.min_history
            and posting_surge(recent_new, base_new, rule)
        ):
            evidence = "posted"
            found = surge_of(broad, b, history_len, hours, rule, rule.window)
            if found is not None and carried_by(
                ent.key,
                self._posted(ent.key, market, (posting_from - 1) * self.bucket_ms),
                lambda n: posting_surge(n, base_new, rule),
            ):
                found = None
        if found is None:
            return
        x, z, med, mad = found
        until = bucket_start + self.bucket_ms + self.settings.spike_cooldown_s * 1000
        if agg is not None:
            agg.cooldown_ms = until
        else:
            ent.cooldown_ms = until
        self.out.spikes.append(
            Spike(
                spike_id=f"{ent.key}|{market}|{bucket_start}",
                entity=ent.key,
                kind=ent.kind,
                name=ent.label,
                market=market,
                bucket_ms=bucket_start,
                detected_ms=bucket_start + self.bucket_ms,
                value=round(x, 1),
                baseline=round(med, 1),
                mad=round(mad, 1),
                z=round(z, 2),
                severity=severity(z, rule.z),
                videos=videos,
                evidence=evidence,
                accelerating=accelerated,
            )
        )

    def _accelerating(
        self, key: str, market: str, b: int, k: int
    ) -> tuple[list[tuple[str, ...]], int]:
        """The entities of each of ``key``'s videos in ``market`` that accelerates over the
        ``k`` buckets ending at ``b``, and how many of its videos were out there before (see
        :func:`accelerating`)."""
        found = []
        out_there = 0
        seen, recent, rule = self.seen, self.recent, self.rule
        for vid in self.members.get(key, ()):
            rec = recent.get(vid)
            last = seen.get(vid)
            if rec is None or last is None or (market != ALL and last[1] != market):
                continue
            speeding = accelerating(rec[1], b, k, rule)
            if speeding is not None:
                out_there += 1
                if speeding:
                    found.append(last[3])
        return found, out_there

    def _posted(self, key: str, market: str, since_ms: int) -> list[tuple[str, ...]]:
        """The entities of each of ``key``'s videos in ``market`` posted since ``since_ms``
        (first sightings lag posting by up to a bucket, so the caller starts a bucket early)."""
        found = []
        for vid in self.members.get(key, ()):
            last = self.seen.get(vid)
            created = created_ms(vid)
            if last is None or created is None or created < since_ms:
                continue
            if market == ALL or last[1] == market:
                found.append(last[3])
        return found

    # -- scores and boards -----------------------------------------------------------------------

    def _score(
        self, i: int, w: Window, now_ms: int, candidates: dict[EntityState, None], *, full: bool
    ) -> None:
        """Score the entities of window ``w`` and send each board's best to the ranker.

        Only this stage's own top ``board_size`` of every board is sent (a
        :class:`~trendmon.events.BoardTick`): in the distributed runtime each partition sends
        its own and the ranker merges them (:class:`~trendmon.streams.boards.Ranker`).
        """
        hours = w.ms / HOUR_MS
        quarter = max(1, w.units // 4)
        quarter_hours = quarter * (self.bucket_ms if w.fine else HOUR_MS) / HOUR_MS
        since = now_ms - w.ms
        j = 2 * i
        boards: dict[
            tuple[str, str],
            list[tuple[int, int, int, EntityState, str | None, tuple[MarketAgg, ...]]],
        ]
        boards = {}
        for ent in candidates:
            tp = te = tprev = 0
            for market, agg in ent.markets.items():
                p = agg.win[j]
                tp += p
                te += agg.win[j + 1]
                tprev += agg.prev[j]
                if p > 0:
                    boards.setdefault((ent.kind, market), []).append(
                        (p, agg.win[j + 1], agg.prev[j], ent, market, (agg,))
                    )
            if tp > 0:
                boards.setdefault((ent.kind, ALL), []).append(
                    (tp, te, tprev, ent, None, tuple(ent.markets.values()))
                )
        size = self.settings.board_size
        breadths: dict[str, dict[str | None, tuple[int, int]]] = {}
        tick: dict[str, list[Candidate]] = {}
        for (kind, market), entries in sorted(boards.items()):
            # Breadth is the costly part; the score without it (B = 1) bounds the real one, so
            # only entities whose bound can still reach the board are measured.
            bounded = []
            for p, pe, pv, ent, only, aggs in entries:
                rate = p / hours
                growth = growth_of(p, pv)
                g = 2.0 if growth is None else min(max(1.0 + growth, 0.25), 5.0)
                # Creators are at most the entity's videos: a bound on the breadth factor, so
                # the score bound is tight for small entities; plus a hair for rounding.
                most = len(self.members.get(ent.key, ()))
                bound = math.sqrt(rate) * g * (1.0 - math.exp(-most / 3.0)) + 0.001
                bounded.append((bound, ent.key, rate, growth, p, pe, only, aggs))
            bounded.sort(key=lambda c: (-c[0], c[1]))
            best: list[float] = []
            exact: list[
                tuple[float, str, float, float | None, int, int, int, int, tuple[MarketAgg, ...]]
            ]
            exact = []
            for bound, key, rate, growth, p, pe, only, aggs in bounded:
                if len(best) >= size and best[0] > bound:
                    break
                counted = breadths.get(key)
                if counted is None:
                    counted = breadths[key] = self.breadth(key, since)
                videos, creators = counted.get(only, (0, 0))
                score = trend_score(rate, growth, creators)
                exact.append((score, key, rate, growth, p, pe, videos, creators, aggs))
                if len(best) < size:
                    heapq.heappush(best, score)
                elif score > best[0]:
                    heapq.heapreplace(best, score)
            exact.sort(key=lambda e: (-e[0], e[1]))
            chosen = tick[f"{kind}|{market}"] = []
            for score, key, rate, growth, p, pe, videos, creators, aggs in exact[:size]:
                recent = sum(self._recent(a, w, quarter) for a in aggs) / quarter_hours
                stage = stage_of(rate, recent, growth)
                if stage == "emerging" or stage == "rising":
                    # Only a would-be hot stage pays for its evidence.
                    breadth = videos if kind == "creator" else creators
                    stage = stage_of(rate, recent, growth, self._evidence(aggs, w, breadth))
                chosen.append(
                    Candidate(
                        entity=key,
                        name=self._label(key),
                        score=score,
                        plays=p,
                        engagements=pe,
                        velocity=round(rate, 1),
                        growth=None if growth is None else round(growth, 4),
                        videos=videos,
                        creators=creators,
                        stage=stage,
                    )
                )
        self.out.ticks.append(
            BoardTick(window=w.name, at_ms=now_ms, full=full, part=self.part, boards=tick)
        )

    def _evidence(self, aggs: tuple[MarketAgg, ...], w: Window, breadth: int) -> Evidence:
        """What backs a hot stage (see :mod:`trendmon.streams.scoring`), at the last close."""
        b = self.closed
        units = w.units if w.fine else w.units * self.bph
        watched = self.first_bucket is not None and b - self.first_bucket + 1 >= 2 * units
        if not w.fine or not watched or breadth < MIN_BREADTH:
            return Evidence(breadth=breadth, watched=watched)  # hot or not, no need to sum
        # A spike within the window, in the market (or over all markets, for an "all" board);
        # fresh when it is within the window's latest quarter.
        ent: EntityState = aggs[0].entity  # type: ignore[assignment]
        cooldowns = [a.cooldown_ms for a in aggs] + ([ent.cooldown_ms] if len(aggs) > 1 else [])
        spike_end = max(cooldowns) - self.settings.spike_cooldown_s * 1000
        now_ms = (b + 1) * self.bucket_ms
        quarter_ms = max(1, w.units // 4) * self.bucket_ms
        return Evidence(
            breadth=breadth,
            watched=watched,
            spiked=spike_end > now_ms - w.ms,
            fresh=spike_end > now_ms - quarter_ms,
        )

    def _recent(self, agg: MarketAgg, w: Window, quarter: int) -> int:
        if w.fine:
            return sum(agg.bucket_series(self.closed, quarter))
        last_h = (self.closed + 1) // self.bph - 1
        total = 0
        for h in range(last_h - quarter + 1, last_h + 1):
            hr = agg.hours.get(h)
            if hr is not None:
                total += hr[0]
        return total

    def _label(self, key: str) -> str:
        ent = self.entities.get(key)
        return ent.label if ent is not None else key.partition(":")[2]
