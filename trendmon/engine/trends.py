"""Stage 2, keyed by entity: windows, trend scores, lifecycle, ranks and spikes.

Deltas from stage 1 are fanned out to *aggregates*: each entity in the video's market and over
``all`` markets. Time moves by :meth:`Stage2.advance` with the watermark (event time): each
bucket it leaves is closed, which turns the bucket's sums into a table
(:class:`~trendmon.engine.windows.Table`), folds it into the windows, checks it for spikes
(:mod:`trendmon.engine.spikes`) and re-ranks the bucket-made windows (``1h``); closing an hour
re-ranks the hour-made windows (``24h``, ``7d``) and evicts idle state. Scores and stages are
defined in :mod:`trendmon.engine.scoring`, ranks in :mod:`trendmon.engine.boards`, breadth in
:mod:`trendmon.engine.breadth`.

**Speed.** A delta costs a few Python operations (its video's bookkeeping); the fan-out to the
aggregates and the sums per bucket are computed for a whole batch at once, in arrays, and so are
the windows, the spike tests and the scores at each close. Python loops only run over what is
rare: new videos, the aggregates that pass a spike test, and the entries of the boards.

A delta is applied at most once: each video keeps the highest ``seq`` applied, so a stage-1
output replayed after a crash is recognised and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from trendmon.engine import detect, ranking
from trendmon.engine.aggregates import Aggregates, EntityState, OpenSums, Rows
from trendmon.engine.breadth import Breadth
from trendmon.engine.fanout import fan_out, gather
from trendmon.engine.sightings import Sighting, Sightings
from trendmon.engine.signals import Signals
from trendmon.engine.spikes import rule_of
from trendmon.engine.state import register
from trendmon.engine.windows import (
    HOUR_MS,
    Ints,
    Table,
    Window,
    make_windows,
    zeros,
)
from trendmon.events import BoardTick, Spike, VideoDelta
from trendmon.settings import EngineSettings

ALL = "all"
ACCUMULATED = ("plays", "eng", "adopt", "posted", "elig", "accel")
"""Per aggregate and bucket: plays and engagements gained, and the evidence of spike detection
(:mod:`trendmon.engine.signals`): new adopters, new videos, eligible and accelerated sightings."""


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


def _mid(v: Sighting | None) -> int:
    assert v is not None
    return v.mid


class Stage2:
    """Entity state and the rules above. Call ``advance``, then ``apply`` for each delta."""

    def __init__(self, settings: EngineSettings | None = None, *, part: int = 0) -> None:
        self.settings = s = settings or EngineSettings()
        self.part = part
        """The partition this stage owns (named in its board ticks)."""
        self.bucket_ms = s.bucket_s * 1000
        if HOUR_MS % self.bucket_ms:
            raise ValueError(f"bucket_s={s.bucket_s} must divide an hour (60, 300, 600, 900...)")
        self.bph = HOUR_MS // self.bucket_ms
        self.windows: tuple[Window, ...] = make_windows(s.windows, self.bucket_ms)
        self.rule = rule = rule_of(s)
        self.counters = Stage2Counters()
        self.out = Stage2Output()
        self.open_bucket: int | None = None
        self.closed = -1
        self.first_bucket: int | None = None
        """The first bucket this stage saw: before two windows have passed, "nothing in the
        previous window" means "not watched yet", not "new"."""

        self.markets: dict[str, int] = {ALL: 0}
        self.market_names: list[str] = [ALL]
        self.kinds: dict[str, int] = {"creator": 0}
        self.kind_names: list[str] = ["creator"]
        self.creator_kind = 0
        self.entities: dict[str, EntityState] = {}
        self.seen = Sightings(len(self.windows))
        self.videos = self.seen.videos
        self._pending: list[VideoDelta] = []
        self._pending_keys: list[Sequence[str] | None] = []

        # Aggregates: rows of one table, with the parts that keep arrays by aggregate id.
        self.agg = agg = Aggregates(len(self.windows), 1024)
        self.breadth = Breadth(self.windows, agg.cap)
        self.signals = Signals(rule.windows, rule.half_life, agg.cap)
        self.adopters: dict[tuple[str, str], int] = {}
        """(entity, creator) -> bucket of the creator's last new video with the entity."""
        self._adopt_keep = max(1, HOUR_MS * 24 // self.bucket_ms)
        self.pushed: dict[tuple[str, str], int] = {}
        """(entity, creator; for a creator, video) -> bucket of its latest accelerated sighting,
        where it is counted: the push test counts creators, so that one video, however viral,
        or one star's videos, are one in any window."""
        self._push_keep = max(rule.windows)
        self._others: dict[str, tuple[int, int]] = {}
        """Highest seq counted of each video this stage owns no entity of (market totals)."""

        # The open bucket's sums and the closed buckets' tables.
        self._open = OpenSums(ACCUMULATED, agg.cap)
        self.tables: dict[int, Table] = {}
        # Long windows: per unit length, the open unit's sums and the closed units' tables.
        self._unit_ms = sorted({w.unit_ms for w in self.windows if not w.fine})
        self._unit_open = {u: OpenSums(("plays", "eng"), agg.cap) for u in self._unit_ms}
        self.unit_tables: dict[int, dict[int, Table]] = {u: {} for u in self._unit_ms}
        parts: list[Rows] = [self.breadth, self.signals, self._open, *self._unit_open.values()]
        for rows in parts:
            agg.attach(rows)

        fine_units = [w.units for w in self.windows if w.fine]
        self._fine_keep = max([2 * u for u in fine_units] + [rule.longest]) + 1
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

    def apply(self, d: VideoDelta, keys: Sequence[str] | None = None) -> None:
        """Apply a delta to its entities (all of them, or those of ``keys`` this stage owns).

        Deltas are gathered and folded into the aggregates when the bucket closes or the batch
        is drained, which gives the same state as applying each at once: nothing reads that
        state in between.
        """
        self._pending.append(d)
        self._pending_keys.append(keys)

    def drain(self) -> Stage2Output:
        """Scores and spikes produced since the last drain (pending deltas folded in first)."""
        self._flush()
        out, self.out = self.out, Stage2Output()
        return out

    # -- registries ----------------------------------------------------------------------------

    def _alloc(self, ent: EntityState, mid: int, first_ms: int) -> int:
        kind = self.kinds.get(ent.kind)
        if kind is None:
            kind = self.kinds[ent.kind] = len(self.kind_names)
            self.kind_names.append(ent.kind)
        aid = self.agg.alloc(ent, mid, kind, first_ms)
        ent.aggs[mid] = aid
        if mid:
            self.agg.markets[ent.aggs[0]] += 1
        return aid

    def _register(self, d: VideoDelta, keys: Sequence[str] | None) -> Sighting:
        """A video seen for the first time (or again after it was forgotten)."""
        vid = d.video_id
        v = self.seen.new()
        mid = self.markets.get(d.market)
        if mid is None:
            mid = self.markets[d.market] = len(self.market_names)
            self.market_names.append(d.market)
        v.mid = mid
        v.author = d.author_id
        v.ents = d.entities
        pairs: Iterable[tuple[str, str]]
        if keys is None:
            pairs = zip(d.entities, d.labels, strict=True)
        else:
            pairs = ((k, d.labels[d.entities.index(k)]) for k in keys)
        aggs: list[int] = []
        counted: list[int] = []
        owned: list[str] = []
        start = d.collected_ms // self.bucket_ms * self.bucket_ms
        for key, label in pairs:
            ent = self.entities.get(key)
            if ent is None:
                ent = self.entities[key] = EntityState(key, label, start)
                self._alloc(ent, 0, start)
            ent.members[vid] = None
            aid = ent.aggs.get(mid)
            if aid is None:
                aid = self._alloc(ent, mid, start)
            aggs += (aid, ent.aggs[0])
            if ent.kind != "creator":
                counted += (aid, ent.aggs[0])
            owned.append(key)
        v.aggs = tuple(aggs)
        v.counted = tuple(counted)
        v.keys = tuple(owned)
        self.seen.add(vid, v)
        return v

    def _forget(self, vid: str) -> None:
        """Forget a video: it leaves every window it is in and its entities' members."""
        dues = self.seen.due[self.videos[vid].idx].tolist()
        v = self.seen.drop(vid)
        for i, due in enumerate(dues):
            if due >= 0:
                self.breadth.leave(i, v.aggs, v.counted, v.author)
        for key in v.keys:
            ent = self.entities.get(key)
            if ent is not None:
                ent.members.pop(vid, None)

    # -- folding deltas in -----------------------------------------------------------------------

    def _starts(self) -> list[tuple[int, int, int]]:
        """Per window: (index, unit length, first unit that the next scoring counts)."""
        assert self.open_bucket is not None
        now = self.open_bucket * self.bucket_ms
        out = []
        for i, w in enumerate(self.windows):
            unit = now // w.unit_ms
            out.append((i, w.unit_ms, unit - w.units + 1 if w.fine else unit - w.units))
        return out

    def _flush(self) -> None:
        """Fold the pending deltas into the open bucket (or, when late, a closed one).

        The per-video bookkeeping (duplicates, last sighting, new in the bucket) is done in
        arrays for the regular deltas (a video seen before, once in the batch); the others (a
        new video, or one with several deltas in the batch, whose order matters) go one by one.
        """
        pending = self._pending
        if not pending:
            return
        keys_of = self._pending_keys
        self._pending = []
        self._pending_keys = []
        if any(k is not None and not k for k in keys_of):
            # Deltas of videos none of whose entities this stage owns: market totals only.
            for d, k in zip(pending, keys_of, strict=True):
                seq, last = self._others.get(d.video_id, (0, -1))
                if k is not None and not k and (
                    d.seq > seq or (d.first_sighting and d.collected_ms > last)
                ):
                    self._others[d.video_id] = (d.seq, d.collected_ms)
                    if d.posted or d.eligible:
                        self._total(d)
            owned = [i for i, k in enumerate(keys_of) if k is None or k]
            pending = [pending[i] for i in owned]
            keys_of = [keys_of[i] for i in owned]
            if not pending:
                return
        bucket_ms = self.bucket_ms
        videos = self.videos
        sights = [videos.get(d.video_id) for d in pending]
        times = np.array([d.collected_ms for d in pending], dtype=np.int64)
        seqs = np.array([d.seq for d in pending], dtype=np.int64)
        rows = np.array([-1 if v is None else v.idx for v in sights], dtype=np.int64)
        known = rows >= 0
        once = known.copy()
        if known.any():
            counts = np.bincount(rows[known])
            once[known] = counts[rows[known]] == 1
        buckets = times // bucket_ms
        keep = once.copy()
        # Regular deltas, in arrays.
        r = rows[once]
        stale = seqs[once] <= self.seen.seq[r]
        if stale.any():
            # Repeated (a replay) unless stage 1 saw the video anew after forgetting it.
            fresh = np.asarray([pending[i].first_sighting for i in np.flatnonzero(once)])[stale]
            again = times[once][stale] > self.seen.last_ms[r[stale]]
            irregular = np.flatnonzero(once)[stale]
            keep[irregular] = False
            once[irregular[fresh & again]] = False  # to the one-by-one path
            r = rows[keep & once]
        sel = keep & once
        self.seen.seq[r] = seqs[sel]
        self.seen.last_ms[r] = np.maximum(self.seen.last_ms[r], times[sel])
        # The others, one by one, in order.
        duplicates = int(np.count_nonzero(once & ~keep))
        for i in np.flatnonzero(~once).tolist():
            d = pending[i]
            v = self._bookkeep(d, keys_of[i])
            if v is None:
                duplicates += 1
                continue
            sights[i] = v
            rows[i] = v.idx
            keep[i] = True
            self.seen.last_ms[v.idx] = max(int(self.seen.last_ms[v.idx]), int(times[i]))
        self.counters.duplicates += duplicates
        kept = np.flatnonzero(keep)
        if not len(kept):
            return
        self.counters.applied += len(kept)
        kept_list = kept.tolist()
        # Breadth: a video not in every window may enter some.
        starts = self._starts()
        for i in np.flatnonzero(keep & ~self.seen.all_in[np.maximum(rows, 0)]).tolist():
            v = sights[i]
            assert v is not None
            self._enter(v, pending[i].video_id, starts)
        used = pending if len(kept_list) == len(pending) else [pending[i] for i in kept_list]
        posted = np.array([d.posted for d in used], dtype=np.int64)
        elig = np.array([d.eligible for d in used], dtype=np.int64)
        accel = np.array([d.accelerated for d in used], dtype=np.int64)
        self._fold_rows(
            rows[kept],
            buckets[kept],
            {
                "plays": np.array([d.d_plays for d in used], dtype=np.int64),
                "eng": np.array(
                    [d.d_likes + d.d_comments + d.d_shares + d.d_saves for d in used],
                    dtype=np.int64,
                ),
                "adopt": np.zeros(len(used), dtype=np.int64),
                "posted": posted,
                "elig": elig,
                "accel": np.zeros(len(used), dtype=np.int64),  # in creators, below
            },
            times[kept],
        )
        self.breadth.commit()
        # Spike evidence: market totals, new adopters, each video's evidence buckets.
        if posted.any() or elig.any():
            r, bk = rows[kept], buckets[kept]
            mids = np.array([_mid(sights[i]) for i in kept_list], dtype=np.int64)
            self._totals(bk, mids, posted, elig, accel)
            sel = accel > 0
            np.maximum.at(self.seen.accel_b, r[sel], bk[sel])
            adopted: dict[int, list[int]] = {}
            for i in np.flatnonzero(posted).tolist():
                self.seen.posted_b[r[i]] = bk[i]
                v = sights[kept_list[i]]
                assert v is not None
                b = int(bk[i])
                adopted.setdefault(b, []).extend(self._adopt(v, b))
            for b, aids in adopted.items():
                if aids:
                    self._add_counts("adopt", b, np.array(aids, dtype=np.int64))
            moves: dict[tuple[int, int], list[int]] = {}
            for i in np.flatnonzero(sel).tolist():
                v = sights[kept_list[i]]
                assert v is not None
                self._push(v, used[i].video_id, int(bk[i]), moves)
            for (b, sign), aids in sorted(moves.items()):
                self._add_counts("accel", b, np.array(aids, dtype=np.int64), sign)

    def _total(self, d: VideoDelta) -> None:
        """Count a delta into its market's totals (in the bucket stage 2 applies it in)."""
        b = d.collected_ms // self.bucket_ms
        self.signals.count(b, d.market, int(d.posted), int(d.eligible), int(d.accelerated))

    def _totals(self, buckets: Ints, mids: Ints, posted: Ints, elig: Ints, accel: Ints) -> None:
        """Count a batch into its markets' totals, per (bucket, market)."""
        sel = (posted > 0) | (elig > 0)
        if not sel.any():
            return
        b, m = buckets[sel], mids[sel]
        b0 = int(b.min())
        width = len(self.market_names)
        key = (b - b0) * width + m
        groups = np.flatnonzero(np.bincount(key))
        sums = [
            np.bincount(key, weights=col[sel].astype(np.float64))[groups].astype(np.int64)
            for col in (posted, elig, accel)
        ]
        for g, p, e, a in zip(groups.tolist(), *(s.tolist() for s in sums), strict=True):
            self.signals.count(b0 + g // width, self.market_names[g % width], p, e, a)

    def _add_counts(self, column: str, b: int, aids: Ints, sign: int = 1) -> None:
        """New adopters or pushed creators (``column``; aggregate ids, repeated per creator)
        in bucket ``b``; ``sign`` -1 takes them out again."""
        if self.open_bucket is not None and b >= self.open_bucket:
            self._open.add_each(column, aids, sign)
            return
        ids, counts = np.unique(aids, return_counts=True)
        cols = {name: zeros(len(ids)) for name in ACCUMULATED}
        cols[column] = counts.astype(np.int64) * sign
        self._fold_late(b, ids, cols)

    def _push(
        self, v: Sighting, video_id: str, b: int, moves: dict[tuple[int, int], list[int]]
    ) -> None:
        """An accelerated sighting in bucket ``b``: for each of its entities, its creator (for
        a creator's aggregate, the video) is counted at its latest accelerated bucket only, so
        a window's sum is the distinct creators pushed in it. Adds the aggregate ids to take
        out of the previous bucket (``(bucket, -1)``) and to add to ``b`` (``(b, 1)``)."""
        pushed = self.pushed
        keep = self._push_keep
        for key in v.keys:
            ent = self.entities[key]
            pair = (key, video_id if ent.kind == "creator" else v.author)
            last = pushed.get(pair)
            if last is not None and b <= last:
                continue  # counted there, later than this
            aids = (ent.aggs[v.mid], ent.aggs[0])
            if last is not None and b - last < keep:  # still in a window: moves to b
                moves.setdefault((last, -1), []).extend(aids)
            pushed[pair] = b
            moves.setdefault((b, 1), []).extend(aids)

    def _adopt(self, v: Sighting, b: int) -> list[int]:
        """A new video: its creator adopts each of its entities it had not used within a day
        (creators adopt nothing: one creator posting more is not a trend); the aggregates
        that gain an adopter."""
        adopters = self.adopters
        keep = self._adopt_keep
        aids: list[int] = []
        for key in v.keys:
            ent = self.entities[key]
            if ent.kind == "creator":
                continue
            pair = (key, v.author)
            last = adopters.get(pair)
            if last is not None and b - last < keep:
                continue
            adopters[pair] = b
            aids.append(ent.aggs[v.mid])
            aids.append(ent.aggs[0])
        return aids

    def _bookkeep(self, d: VideoDelta, keys: Sequence[str] | None) -> Sighting | None:
        """One delta's video bookkeeping (None: a repeated delta, skipped)."""
        v = self.videos.get(d.video_id)
        t = d.collected_ms
        if v is None:
            v = self._register(d, keys)
        elif d.seq <= self.seen.seq[v.idx]:
            if not (d.first_sighting and t > self.seen.last_ms[v.idx]):
                return None
            # Stage 1 forgot the video and sees it anew: so does this stage.
            self._forget(d.video_id)
            v = self._register(d, keys)
        self.seen.seq[v.idx] = d.seq
        return v

    def _enter(self, v: Sighting, vid: str, starts: list[tuple[int, int, int]]) -> None:
        """A video enters the windows whose span its last sighting is in (breadth)."""
        dues = self.seen.due[v.idx]
        last = int(self.seen.last_ms[v.idx])
        entering = []
        for i, unit_ms, start in starts:
            if dues[i] < 0:
                unit = last // unit_ms
                if unit >= start:
                    entering.append((i, unit))
        if entering:
            due = self.breadth.enter(entering, vid, v.aggs, v.counted, v.author)
            for (i, _), when in zip(entering, due, strict=True):
                dues[i] = when
        self.seen.all_in[v.idx] = bool(dues.min() >= 0)

    def _fold_rows(self, videos: Ints, buckets: Ints, values: dict[str, Ints], times: Ints) -> None:
        """Sums per (bucket, aggregate) of a batch of deltas, in arrays, folded in."""
        per_delta = self.seen.len[videos]
        aggs = gather(self.seen.pool, self.seen.off[videos], per_delta)
        np.maximum.at(self.agg.last, aggs, np.repeat(times, per_delta))
        for b, aids, cols in fan_out(aggs, per_delta, buckets, values, self.agg.cap):
            if b == self.open_bucket:
                self._open.add(aids, cols)
            else:
                self.counters.late_folded += int(np.count_nonzero(buckets == b))
                self._fold_late(b, aids, cols)

    def _fold_late(self, b: int, aids: Ints, cols: dict[str, Ints]) -> None:
        """A closed bucket's late sums: into its table, and into every window covering it."""
        table = self.tables.get(b)
        if table is None:
            table = self.tables[b] = Table(
                np.zeros(0, dtype=np.int64), {name: zeros(0) for name in ACCUMULATED}
            )
        table.add(aids, cols)
        self.signals.late(b, aids, cols)
        p, e = cols["plays"], cols["eng"]
        agg = self.agg
        closed = self.closed
        for i, w in enumerate(self.windows):
            if w.fine:
                age = closed - b
                if age < w.units:
                    agg.win_p[i, aids] += p
                    agg.win_e[i, aids] += e
                elif age < 2 * w.units:
                    agg.prev_p[i, aids] += p
                    agg.prev_e[i, aids] += e
                continue
            unit = b * self.bucket_ms // w.unit_ms
            done = (closed + 1) * self.bucket_ms // w.unit_ms - 1
            if unit > done - w.units:
                agg.win_p[i, aids] += p
                agg.win_e[i, aids] += e
            elif unit > done - 2 * w.units:
                agg.prev_p[i, aids] += p
                agg.prev_e[i, aids] += e
        for u in self._unit_ms:
            unit = b * self.bucket_ms // u
            done = (closed + 1) * self.bucket_ms // u - 1
            if unit > done:
                self._unit_open[u].add(aids, {"plays": p, "eng": e})
            else:
                ut = self.unit_tables[u].get(unit)
                if ut is not None:
                    ut.add(aids, {"plays": p, "eng": e})

    # -- closing buckets -------------------------------------------------------------------------

    def _close(self, b: int) -> None:
        self.closed = b
        agg = self.agg
        table = self._open.take()
        self.tables[b] = table
        bucket_ms = self.bucket_ms
        aids, p, e = table.aids, table.cols["plays"], table.cols["eng"]
        for i, w in enumerate(self.windows):
            agg.win_p[i, aids] += p
            agg.win_e[i, aids] += e
            if w.fine:
                self._expire(i, self.tables.get(b - w.units), self.tables.get(b - 2 * w.units))
                self._leave(i, b)
        for u in self._unit_ms:
            self._unit_open[u].add(aids, {"plays": p, "eng": e})
        self.signals.close(b, self.tables)
        end_ms = (b + 1) * bucket_ms
        self._taking_off(detect.spikes(self, b), end_ms)
        if end_ms % HOUR_MS == 0:
            for u in self._unit_ms:
                if end_ms % u == 0:
                    self._close_unit(u, end_ms // u - 1)
            for i, w in enumerate(self.windows):
                if not w.fine:
                    self._rank(i, w, end_ms, full=True)
            self._housekeeping(end_ms)
        for i, w in enumerate(self.windows):
            if w.fine:
                self._rank(i, w, end_ms, full=end_ms % HOUR_MS == 0)
        self.tables.pop(b - self._fine_keep, None)

    def _taking_off(self, found: detect.Detected, end_ms: int) -> None:
        """What detection found at the close ending at ``end_ms``: the aggregates taking off
        are hot, and out of cooldown until one close after the last that still passed (one
        spike per take-off, however long it lasts)."""
        agg = self.agg
        hot = np.array(found.hot, dtype=np.int64)
        agg.hot[hot] = end_ms
        agg.cool[hot] = end_ms + self.settings.spike_cooldown_s * 1000
        for aid, spike in found.spikes:
            agg.spike[aid] = end_ms
            self.out.spikes.append(spike)

    def _rank(self, i: int, w: Window, end_ms: int, *, full: bool) -> None:
        """Window ``i``'s boards to the ranker, and the take-offs that rose or stopped on them."""
        self.breadth.commit()
        tick, rose = ranking.score(self, i, w, end_ms, full=full)
        if rose:
            self.agg.rose[i, list(rose)] = list(rose.values())
        self.out.ticks.append(tick)

    def _expire(self, i: int, leaving: Table | None, leaving_prev: Table | None) -> None:
        """Window ``i``: a unit moves from the window to the previous one, another leaves."""
        if leaving is not None and len(leaving):
            p, e = leaving.cols["plays"], leaving.cols["eng"]
            agg = self.agg
            agg.win_p[i, leaving.aids] -= p
            agg.win_e[i, leaving.aids] -= e
            agg.prev_p[i, leaving.aids] += p
            agg.prev_e[i, leaving.aids] += e
        if leaving_prev is not None and len(leaving_prev):
            self.agg.prev_p[i, leaving_prev.aids] -= leaving_prev.cols["plays"]
            self.agg.prev_e[i, leaving_prev.aids] -= leaving_prev.cols["eng"]

    def _leave(self, i: int, unit: int) -> None:
        """Window ``i`` passes ``unit``: the videos last seen in it leave (breadth)."""
        w = self.windows[i]
        for vid in self.breadth.due(i, unit):
            v = self.videos.get(vid)
            if v is None or self.seen.due[v.idx, i] != unit:
                continue
            last = int(self.seen.last_ms[v.idx]) // w.unit_ms
            if last + w.units > unit:
                self.seen.due[v.idx, i] = self.breadth.requeue(i, vid, last)
            else:
                self.breadth.leave(i, v.aggs, v.counted, v.author)
                self.seen.due[v.idx, i] = -1
                self.seen.all_in[v.idx] = False

    def _close_unit(self, u: int, k: int) -> None:
        """A long windows' unit ``k`` (of ``u`` ms) is complete."""
        table = self._unit_open[u].take()
        tables = self.unit_tables[u]
        tables[k] = table
        longest = 0
        for i, w in enumerate(self.windows):
            if not w.fine and w.unit_ms == u:
                self._expire(i, tables.get(k - w.units), tables.get(k - 2 * w.units))
                self._leave(i, k)
                longest = max(longest, w.units)
        tables.pop(k - 2 * longest, None)

    def _housekeeping(self, now_ms: int) -> None:
        # Entities idle for entity_idle_s go, and with them the videos that named them.
        horizon = now_ms - self.settings.entity_idle_s * 1000
        agg = self.agg
        n = agg.n
        alls = np.flatnonzero((agg.mid[:n] == 0) & (agg.last[:n] < horizon))
        for aid in alls.tolist():
            ent = agg.entity[aid]
            if ent is None:
                continue
            for vid in list(ent.members):
                if vid in self.videos:
                    self._forget(vid)
            del self.entities[ent.key]
            release = now_ms + 2 * self._longest_ms + HOUR_MS
            for a in ent.aggs.values():
                agg.retire(a, release)
            self.counters.evicted += 1
        # Videos not seen within the longest window are forgotten.
        horizon = now_ms - self._longest_ms
        last = self.seen.last_ms
        for vid in [vid for vid, v in self.videos.items() if last[v.idx] < horizon]:
            self._forget(vid)
        self.seen.compact()
        # Adopters older than a day count again; videos owned elsewhere are forgotten like ours.
        oldest = now_ms // self.bucket_ms - self._adopt_keep
        self.adopters = {k: b for k, b in self.adopters.items() if b >= oldest}
        recent = now_ms // self.bucket_ms - self._push_keep
        self.pushed = {k: b for k, b in self.pushed.items() if b >= recent}
        self._others = {vid: (q, t) for vid, (q, t) in self._others.items() if t >= horizon}
        # Freed aggregates are used again once no table can name them.
        agg.release(now_ms)


# Checkpoints: the same state in both builds (see trendmon/engine/state.py).
register(EntityState, lambda e: (e.key, e.label, e.first_ms))
register(Stage2Counters)
register(Stage2Output)
register(Stage2)
