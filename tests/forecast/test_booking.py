"""The columnar booking of :class:`Observations` against a plain one, snapshot by snapshot.

:class:`Oracle` is the definition written as simply as it reads (docs/forecasts.md): nested
dicts of hourly cells with sets of creators, and each video's sightings in a list. Random
streams with late, repeated and decreasing sightings, videos whose hashtags, sound, market,
creator or posting time change (the first sighting's count), and videos without a posting time
are booked by both, in batches of every size and one by one; the cells, the tracks and the
entity features must be the same.
"""

from __future__ import annotations

import itertools
import math
import pickle
import random
from dataclasses import dataclass, field
from datetime import timedelta

import msgspec
import numpy as np
import pytest
from msgspec.structs import astuple

from tests.forecast.conftest import H0, T0
from trendmon.events import Author, Music, Stats, VideoSnapshot, new_snapshot
from trendmon.forecast.features import CANDIDATE_H, CARRY_H, entity_rows
from trendmon.forecast.labels import HORIZON_H, TOP, entity_labels
from trendmon.forecast.observations import (
    AGE_EDGES_H,
    ALL,
    COHORT_H,
    HOUR_MS,
    KEEP_VIDEO_MS,
    KINDS,
    NEW_WITHIN_MS,
    Columns,
    Meta,
    Observations,
    Read,
    VideoMeta,
    entity_keys,
    snapshot_ms,
)


@dataclass
class Cell:
    gain: int = 0
    creators: set[str] = field(default_factory=set)
    new_videos: int = 0
    aged: dict[int, int] = field(default_factory=dict)
    """Age class (the number of AGE_EDGES_H at or below the video's age) -> gain."""


@dataclass
class Track:
    market: str
    created_ms: int
    followers: int
    sightings: list[tuple[int, int]] = field(default_factory=list)


class Oracle:
    """The booking as defined, one snapshot at a time."""

    def __init__(self) -> None:
        self.first: dict[str, VideoSnapshot] = {}
        """A video's hashtags, sound, market, creator, posting time and followers are those
        of its first sighting (in arrival order), whatever its later ones say."""
        self.cells: dict[tuple[str, str], dict[str, dict[int, Cell]]] = {}
        self.videos: dict[str, Track] = {}
        self.last: dict[str, tuple[int, int]] = {}
        self.cohorts: dict[int, dict[int, int]] = {}
        """Hour -> whole hours of age of the video (COHORT_H: that or more, or not known) ->
        every video's gains."""

    def add(self, s: VideoSnapshot) -> None:
        ms, plays = snapshot_ms(s), s.stats.plays
        s = self.first.setdefault(s.video_id, s)
        created = int(s.create_time.timestamp() * 1000) if s.create_time is not None else None
        prev = self.last.get(s.video_id)
        if prev is not None and ms <= prev[0]:
            return  # older than the video's latest: counted by the later one
        self.last[s.video_id] = (ms, plays)
        new = False
        if prev is not None:
            gain = max(0, plays - prev[1])
        elif created is not None and ms - created <= NEW_WITHIN_MS:
            gain, new = plays, True
        else:
            gain = 0
        # whole hours of age (COHORT_H: that or more, or not known)
        age = COHORT_H if created is None else min(max((ms - created) // HOUR_MS, 0), COHORT_H)
        if gain:
            ages = self.cohorts.setdefault(ms // HOUR_MS, {})
            ages[age] = ages.get(age, 0) + gain
        if gain or new:
            for kind, key in entity_keys(s):
                for scope in (s.market, ALL):
                    hours = self.cells.setdefault((kind, scope), {}).setdefault(key, {})
                    cell = hours.setdefault(ms // HOUR_MS, Cell())
                    cell.gain += gain
                    grade = sum(age >= edge for edge in AGE_EDGES_H)
                    cell.aged[grade] = cell.aged.get(grade, 0) + gain
                    if gain:
                        cell.creators.add(s.author.id)
                    cell.new_videos += new
        if created is not None and ms - created <= KEEP_VIDEO_MS:
            track = self.videos.get(s.video_id)
            if track is None:
                track = self.videos[s.video_id] = Track(s.market, created, s.author.followers or 0)
            track.sightings.append((ms, plays))

    @classmethod
    def of(cls, snaps: list[VideoSnapshot]) -> Oracle:
        oracle = cls()
        for s in snaps:
            oracle.add(s)
        return oracle

    def forget_before(self, hour: int) -> None:
        for table in self.cells.values():
            for key, hours in list(table.items()):
                for h in [h for h in hours if h < hour]:
                    del hours[h]
                if not hours:
                    del table[key]
        limit = hour * HOUR_MS - KEEP_VIDEO_MS - 6 * HOUR_MS
        for vid in [v for v, t in self.videos.items() if t.created_ms < limit]:
            del self.videos[vid]
        for vid in [v for v, (ms, _) in self.last.items() if ms < limit]:
            del self.last[vid]
        for h in [h for h in self.cohorts if h < hour]:
            del self.cohorts[h]

    def carry(self, t: int, lag: int) -> list[float]:
        """Per age class, the gain of the 6 hours from ``lag`` hours after an hour s of the
        videos of that age in s per their gain in s, over the CARRY_H last hours s whose 6
        hours closed before t, ages followed until the last (ages below COHORT_H then)."""
        num = [0.0] * (len(AGE_EDGES_H) + 1)
        den = [0.0] * (len(AGE_EDGES_H) + 1)
        last = t - HORIZON_H - lag  # s + lag + 5 <= t - 1
        for s in range(last - CARRY_H + 1, last + 1):
            for a in range(COHORT_H):
                if a + lag + HORIZON_H - 1 >= COHORT_H:
                    continue
                grade = sum(a >= edge for edge in AGE_EDGES_H)
                den[grade] += self.cohorts.get(s, {}).get(a, 0)
                for k in range(lag, lag + HORIZON_H):
                    num[grade] += self.cohorts.get(s + k, {}).get(a + k, 0)
        return [n / d if d else float(HORIZON_H) for n, d in zip(num, den, strict=True)]

    def rows(self, kind: str, scope: str, t: int) -> tuple[list[str], list[tuple[float, ...]]]:
        """Candidates (in the table's order) and their features, from the definitions."""
        keys, raw, proj = [], [], []
        carry = (self.carry(t, 1), self.carry(t, 2))
        for key, hours in self.cells.get((kind, scope), {}).items():

            def total(a: int, b: int, hours: dict[int, Cell] = hours) -> int:
                return sum(c.gain for h, c in hours.items() if a <= h < b)

            if total(t - CANDIDATE_H, t) <= 0:
                continue
            recent = [c for h, c in hours.items() if t - HORIZON_H <= h < t]
            creators = set().union(*(c.creators for c in recent))
            keys.append(key)
            # the last hour's and the one before's gains by age, each times its carry-over
            projections = [
                sum(hours.get(t - lag, Cell()).aged.get(c, 0) * f for c, f in enumerate(by))
                for lag, by in ((1, carry[0]), (2, carry[1]))
            ]
            proj.append(((projections[0] + projections[1]) / 2, projections[0]))
            raw.append(
                (
                    total(t - HORIZON_H, t),
                    total(t - 1, t),
                    total(t - 2 * HORIZON_H, t - HORIZON_H),
                    len(creators),
                    sum(c.new_videos for c in recent),
                )
            )
        ranked = sorted(
            (i for i in range(len(keys)) if raw[i][0] > 0), key=lambda i: (-raw[i][0], keys[i])
        )
        lb = math.log1p(raw[ranked[TOP - 1]][0] if len(ranked) >= TOP else 0)
        x = []
        bars = [
            sorted((p[i] for p in proj), reverse=True)[TOP - 1] if len(proj) >= TOP else 0.0
            for i in range(2)
        ]
        for (g6, g1, gp, creators_n, new), p in zip(raw, proj, strict=True):
            l6, l1 = math.log1p(g6), math.log1p(HORIZON_H * g1)
            x.append(
                (
                    l6 - lb,
                    l1 - l6,
                    l6 - math.log1p(gp),
                    math.log1p(creators_n),
                    math.log1p(new),
                    math.log1p(p[0]) - math.log1p(bars[0]),
                    math.log1p(p[1]) - math.log1p(bars[1]),
                )
            )
        return keys, x


def stream(seed: int, count: int) -> list[VideoSnapshot]:
    """Snapshots of a few videos over two days, delivered out of order, some twice, some with
    fewer plays than before, some changing hashtags, sound, market, creator or posting time."""
    rng = random.Random(seed)
    videos = []
    for v in range(40):
        posted = rng.uniform(-40, 40)
        videos.append(
            {
                "id": f"v{v}",
                "posted": None if rng.random() < 0.1 else posted,
                "start": max(posted, -10) + rng.uniform(0, 3),
                "tags": rng.sample(["a", "b", "c", "d", "e", "F", "#b", ""], rng.randint(0, 3)),
                "sound": rng.choice([None, "s1", "s2", f"own{v}"]),
                "market": rng.choice(["US", "GB", "JP"]),
                "author": f"c{rng.randint(0, 12)}",
                "plays": rng.randint(0, 500),
            }
        )
    out = []
    for _ in range(count):
        v = rng.choice(videos)
        hours = v["start"] + rng.uniform(0, 48)
        if rng.random() < 0.05:  # an edit, a second scraper's view
            v["tags"] = rng.sample(["a", "b", "c", "g"], rng.randint(0, 2))
            v["sound"] = rng.choice([None, "s1", "s3"])
            v["market"] = rng.choice(["US", "GB"])
            v["author"] = f"c{rng.randint(0, 12)}"
            if v["posted"] is not None:
                v["posted"] += rng.uniform(-1, 1)
        v["plays"] += rng.randint(-50, 400)  # counts can go down
        snap = new_snapshot(
            video_id=v["id"],
            collected_at=T0 + timedelta(hours=hours, microseconds=rng.randint(0, 999_999)),
            source="simulator",
            market=v["market"],
            create_time=None if v["posted"] is None else T0 + timedelta(hours=v["posted"]),
            author=Author(id=v["author"], unique_id=v["author"], followers=rng.randint(0, 9)),
            music=Music(id=v["sound"]) if v["sound"] else None,
            hashtags=list(v["tags"]),
            stats=Stats(plays=max(0, v["plays"]), likes=0, comments=0, shares=0),
        )
        out.append(snap)
        if rng.random() < 0.05:
            out.append(snap)  # delivered twice
    # mostly in time order, with late deliveries
    out.sort(key=lambda s: snapshot_ms(s) + rng.choice([0] * 8 + [rng.randint(0, 6 * HOUR_MS)]))
    return out


def check(obs: Observations, oracle: Oracle) -> None:
    first, last = obs.hours
    cohorts = obs.cohorts(first - 1, last + 2)
    for h in range(first - 1, last + 2):
        want = [oracle.cohorts.get(h, {}).get(a, 0) for a in range(COHORT_H + 1)]
        assert cohorts[h - first + 1].tolist() == want, h
    for h in range(first, last + 1):  # each entity's gains by age class of an hour
        aged = obs.sums(h + 1).aged1
        for (kind, scope), cells in oracle.cells.items():
            slots = obs.table(kind, scope)
            want = [
                [cells[k].get(h, Cell()).aged.get(c, 0) for c in range(len(AGE_EDGES_H) + 1)]
                for k in obs.keys(slots)
            ]
            assert aged[slots].tolist() == want, (kind, scope, h)
    for kind in KINDS:
        for scope in obs.scopes():
            for key, hours in oracle.cells.get((kind, scope), {}).items():
                got = obs.hours_of(key, scope)
                assert {h: (c.gain, c.creators, c.new_videos) for h, c in got.items()} == {
                    h: (c.gain, c.creators, c.new_videos) for h, c in hours.items()
                }, (kind, scope, key)
            slots = obs.table(kind, scope)
            assert obs.keys(slots) == list(oracle.cells.get((kind, scope), {}))
            for t in range(first, last + 2):
                rows = entity_rows(obs, kind, scope, t)
                keys, x = oracle.rows(kind, scope, t)
                assert rows.keys == keys
                assert rows.x[:, :5].tolist() == [list(r[:5]) for r in x]
                assert np.allclose(rows.x, np.array(x).reshape(rows.x.shape), rtol=1e-9)
                labels = entity_labels(obs, kind, scope, t)
                gains = {
                    k: sum(c.gain for h, c in hs.items() if t <= h < t + HORIZON_H)
                    for k, hs in oracle.cells.get((kind, scope), {}).items()
                }
                ranked = sorted(
                    (k for k, g in gains.items() if g > 0), key=lambda k: (-gains[k], k)
                )
                assert labels == set(ranked[:TOP])
    videos = obs.videos
    assert list(videos) == list(oracle.videos)
    for vid, track in oracle.videos.items():
        got = videos[vid]
        assert (got.market, got.created_ms, got.followers) == (
            track.market,
            track.created_ms,
            track.followers,
        )
        assert got.sightings == track.sightings


@pytest.mark.parametrize("seed", range(6))
def test_columnar_booking_is_the_definition(seed: int) -> None:
    snaps = stream(seed, 3000)
    oracle = Oracle.of(snaps)
    rng = random.Random(seed)
    obs = Observations()
    i = 0
    while i < len(snaps):  # batches of every size, and one by one
        size = rng.choice([1, 2, 7, 50, 400, 2000])
        if size == 1:
            obs.add(snaps[i])
        else:
            obs.add_batch(snaps[i : i + size])
        i += size
        # reading, or a checkpoint, between batches spreads what is booked so far: the hours
        # it leaves half booked go on from there
        if rng.random() < 0.2:
            obs.table("hashtag", ALL)
        elif rng.random() < 0.05:
            obs = pickle.loads(pickle.dumps(obs))
    check(obs, oracle)


def test_forgetting_and_a_checkpoint_keep_it_the_definition() -> None:
    snaps = stream(11, 4000)
    oracle, obs = Oracle(), Observations()
    for part in range(4):
        chunk = snaps[part * 1000 : (part + 1) * 1000]
        for s in chunk:
            oracle.add(s)
        obs.add_batch(chunk)
        hour = H0 + 8 * part - 20
        oracle.forget_before(hour)
        obs.forget_before(hour)
        obs = pickle.loads(pickle.dumps(obs))  # a restart from a checkpoint
        check(obs, oracle)


def test_posted_in_keeps_the_last_two_sightings_known_at_an_age() -> None:
    obs = Observations()
    obs.add_batch(stream(3, 2000))
    for hour in range(H0 - 40, H0 + 41):
        full = {t.video_id: t for t in obs.posted_in(hour)}
        for age in (1, 3, 6):
            for t in obs.posted_in(hour, age):
                made = t.created_ms + age * HOUR_MS
                known = [s for s in full[t.video_id].sightings if s[0] <= made]
                assert known and t.sightings == known[-2:]


def test_times_are_the_timestamp_figures() -> None:
    rng = np.random.default_rng(0)
    from trendmon.forecast.observations import times_ms

    stamps = [T0 + timedelta(microseconds=int(u)) for u in rng.integers(-(10**15), 10**15, 5000)]
    assert times_ms([*stamps, None]).tolist()[:-1] == [int(t.timestamp() * 1000) for t in stamps]


def test_columns_read_before_the_rows_are_renumbered_book_the_same() -> None:
    # A runtime reads the snapshots as they come and books them later; meanwhile the rows can
    # be renumbered (forgetting) and the table checkpointed with the columns it holds.
    snaps = stream(5, 3000)
    oracle = Oracle.of(snaps)
    obs = Observations()
    obs.add_batch(snaps[:1000])
    held = [obs.columns(snaps[1000:1500]), obs.columns(snaps[1500:2200])]
    n = len(obs._rows)
    dead = (obs._last_ms[:n] < 0) & (obs._track[:n] < 0)
    assert dead.any(), "videos first read in the held columns have no booking yet"
    obs._compact(dead)
    obs, held = pickle.loads(pickle.dumps((obs, held)))
    obs.add_batch(obs.join(held))
    obs.add_batch(snaps[2200:])
    check(obs, oracle)


def test_rows_renumbered_while_bookings_are_held_per_row_book_the_same() -> None:
    # A batch is held per row until something reads; renumbering the rows must spread it first
    # (here the rows before the booked videos' are forgotten, so theirs move down).
    snaps = stream(17, 3000)
    first = {s.video_id for s in snaps[:300]}
    unbooked = [s for s in snaps if s.video_id in first]
    start = min(snapshot_ms(s) for s in snaps) // HOUR_MS
    booked = [  # three hours: held, not spread (more than three open hours are spread)
        s
        for s in snaps
        if s.video_id not in first and start + 20 <= snapshot_ms(s) // HOUR_MS < start + 23
    ]
    oracle = Oracle.of(booked)
    obs = Observations()
    obs.columns(unbooked)  # read (rows given) and never booked
    obs.add_batch(booked)
    assert obs._open, "the batch is held per row"
    n = len(obs._rows)
    dead = (obs._last_ms[:n] == np.iinfo(np.int64).min) & (obs._track[:n] < 0)
    assert dead[: len(first)].all() and not dead[len(first) :].any()
    obs._compact(dead)
    check(obs, oracle)


def test_a_checkpoint_from_before_the_metas_books_the_same() -> None:
    # Checkpoints written before the metas: the table kept a key and hash per row and held
    # columns carried one key per snapshot (9 fields). Both are read into today's form.
    snaps = stream(7, 3000)
    oracle = Oracle.of(snaps)
    obs = Observations()
    obs.add_batch(snaps[:1500])
    cols = obs.columns(snaps[1500:2000])
    metas = [cols.metas[r] for r in cols.rows.tolist()]
    keys = [(m.hashtags, m.sound, m.market, m.creator) for m in metas]
    old_cols = (
        cols.rows,
        cols.epoch,
        cols.ids,
        cols.ms,
        cols.plays,
        np.array([m.created_ms for m in metas], np.int64),
        np.array([m.followers for m in metas], np.int64),
        np.array([hash(k) for k in keys], np.int64),
        keys,
    )
    held = Columns.__new__(Columns)
    held.__setstate__(old_cols)
    assert [held.metas[r] for r in held.rows.tolist()] == metas
    state = obs.__getstate__()
    del state["_meta"], state["_created"]
    state["_row_hash"] = np.zeros(len(obs._row_booking), np.int64)
    old = Observations.__new__(Observations)
    old.__setstate__(state)
    assert not hasattr(old, "_row_hash")
    old.add_batch(held)
    old.add_batch(snaps[2000:])
    check(old, oracle)


def test_a_checkpoint_of_namedtuple_metas_books_the_same() -> None:
    # Checkpoints written before the metas were Structs pickled them as VideoMeta namedtuples,
    # in the table and in the columns it held (the same list): both are read as Meta.
    snaps = stream(13, 3000)
    oracle = Oracle.of(snaps)
    obs = Observations()
    obs.add_batch(snaps[:1500])
    held = obs.columns(snaps[1500:2000])
    obs._meta[:] = [None if m is None else VideoMeta(*astuple(m)) for m in obs._meta]
    obs, held = pickle.loads(pickle.dumps((obs, held)))
    assert held.metas is obs._meta
    assert {type(m) for m in obs._meta} == {Meta}
    obs.add_batch(held)
    obs.add_batch(snaps[2000:])
    check(obs, oracle)


def test_videos_found_by_the_engines_numbers_book_as_by_id() -> None:
    # The engine numbers each video at its first sighting and hands the numbers over; reading
    # finds a numbered video by its number. Snapshots without one (-1), a new numbering (a new
    # engine: the same numbers, other videos), rows renumbered away and videos coming back
    # after (with a new number, as after the engine forgot them) must book as by id.
    later = timedelta(hours=100)
    back = [
        msgspec.structs.replace(s, collected_at=s.collected_at + later) for s in stream(10, 2000)
    ]
    snaps = stream(9, 2000)
    oracle, obs = Oracle(), Observations()
    rng = random.Random(9)
    numbering, number_of, counter = 1, {}, itertools.count()
    for k, i in enumerate(range(0, len(snaps) + len(back), 250)):
        if k in (4, 12):  # a new engine
            numbering, number_of, counter = numbering + 1, {}, itertools.count()
        if k == 8:  # a day and a half later: the first videos are forgotten
            check(obs, oracle)
            hour = obs.hours[1] + 40
            oracle.forget_before(hour)
            obs.forget_before(hour)
            n = len(obs._rows)
            dead = (obs._last_ms[:n] < 0) & (obs._track[:n] < 0)
            assert dead.sum() > 20
            for r in np.flatnonzero(dead).tolist():  # read again when they come back
                oracle.first.pop(obs._ids[r])
            obs._compact(dead)
            assert obs._number_base > 0
            number_of = {}  # the engine forgot them too
        chunk = (snaps + back)[i : i + 250]
        for s in chunk:
            oracle.add(s)
        numbers = [
            -1 if rng.random() < 0.1 else number_of.setdefault(s.video_id, next(counter))
            for s in chunk
        ]
        plays = [s.stats.plays for s in chunk]
        obs.add_batch(obs.columns(chunk, None, Read(numbering, numbers, plays)))
    check(obs, oracle)


def test_a_read_that_does_not_match_its_snapshots_is_refused() -> None:
    snaps = stream(1, 20)[:20]  # (a stream delivers some twice)
    with pytest.raises(ValueError, match="0 video numbers and 0 plays for 20 snapshots"):
        Observations().columns(snaps, None, Read(1, [], []))
