"""What the forecasts read: hourly play gains of entities and the early sightings of videos.

Both forecasts are defined on the raw snapshots, not on trendmon's scores, so that a change to
the engine cannot move their labels. :class:`Observations` owns one table, fed snapshots in
arrival order (event time only):

- a video's **play increment** is its plays minus its plays at its previous sighting (never
  negative: a count that went down adds nothing); a first sighting adds its plays only when the
  video was posted within :data:`NEW_WITHIN_MS` (a new video's plays are new; an old video first
  seen when the scraper starts is not a gain of that hour). A snapshot older than the video's
  latest is ignored (it was counted by the later one).
- an increment is booked in the **hour of event time** of its collection, for each hashtag and
  the sound of the video, in its market and in ``all``. Each hourly cell keeps the gain, the
  creators whose videos gained, the new videos and the gain per age class of the video
  (:data:`AGE_EDGES_H`); each hour also keeps every video's gains per whole hour of age
  (:data:`COHORT_H`), what the carry-over of plays with age is learned from.
- a video's sightings are kept up to :data:`KEEP_VIDEO_MS` after it was posted (the video
  forecast needs its first hours and its plays at 24 hours).
- a video's hashtags, sound, market, creator, posting time and followers (its
  :class:`Meta`) are those of its first sighting, as stage 1 takes its entities: a later
  sighting that says otherwise changes nothing, so a snapshot is read for its plays alone. A
  video renumbered away (unseen for a day and a half, when forgetting renumbers the rows) is
  read again when it comes back.

Hours are integers: epoch milliseconds // 3,600,000. At an origin ``t`` (a whole hour), hours
``< t`` are known and hours ``>= t`` are the future.

The runtimes book every accepted snapshot, so the table is columnar and booked a batch at a
time (:meth:`Observations.add_batch`): the definitions above are applied to the whole batch with
numpy (a video's previous sighting may be earlier in the same batch), each (entity, scope) is a
*slot* (an integer), an hour holds one array of gains and one of new videos indexed by slot plus
the (slot, creator) pairs that gained, and sightings are arrays grouped by the hour the video
was posted. A batch is first summed per video and hour (an array by row); those sums are spread
over the videos' slots when something is read (or more than :data:`_OPEN_HOURS` hours are
open), so that the work per slot is done once per video and hour, not once per snapshot (a
video is seen about a dozen times an hour at a five-minute scrape).
``tests/forecast/test_booking.py`` checks it against a plain per-snapshot booking of the same
definitions, read between batches too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import attrgetter
from typing import Any, Final, NamedTuple

import msgspec
import numpy as np
import numpy.typing as npt

from trendmon.events import VideoSnapshot, normalize_tag

HOUR_MS: Final = 3_600_000
NEW_WITHIN_MS: Final = 6 * HOUR_MS
KEEP_VIDEO_MS: Final = 30 * HOUR_MS
AGE_EDGES_H: Final = (1, 2, 4, 8)
"""Lower edges of the age classes (whole hours from the hour a video was posted to the hour
booked) an entity's hourly gain is split into: 0, 1, 2-3, 4-7, 8 or more (or not known)."""
COHORT_H: Final = 48
"""Every video's gains of an hour (once, whatever its entities) are kept per whole hour of age
up to this (the last column: this many or more, or not known), so that a cohort of videos can
be followed from one hour to the next."""
ALL: Final = "all"
KINDS: Final = ("hashtag", "sound")

Ints = npt.NDArray[np.int64]
_NONE: Final = np.iinfo(np.int64).min
"""No time (a missing ``create_time``, a video not seen yet)."""
_NO_META: Final = _NONE + 1
"""A row's posting time before its meta is read (a checkpoint from before the metas)."""
_CREATOR_BITS: Final = 31
"""A (slot, creator) pair is one integer: slot << 31 | creator."""
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = timedelta(microseconds=1)


@dataclass(slots=True)
class HourCell:
    """One entity's hour in one scope (a market, or ``all``): a view of the table."""

    gain: int = 0
    creators: set[str] = field(default_factory=set)
    new_videos: int = 0


@dataclass(slots=True)
class VideoTrack:
    """A video's sightings (epoch ms, plays), oldest first, up to ``KEEP_VIDEO_MS`` of age."""

    video_id: str
    market: str
    created_ms: int
    followers: int
    sightings: list[tuple[int, int]] = field(default_factory=list)


_TAG_KEYS: dict[str, str] = {}


def _tag_key(raw: str) -> str:
    key = _TAG_KEYS.get(raw)
    if key is None:
        tag = normalize_tag(raw)
        key = "hashtag:" + tag if tag else ""
        if len(_TAG_KEYS) < 1_000_000:
            _TAG_KEYS[raw] = key
    return key


def entity_keys(snapshot: VideoSnapshot) -> list[tuple[str, str]]:
    """(kind, key) of the hashtags and the sound of a snapshot, keys as the engine names them
    (``hashtag:dance``)."""
    return _keys(snapshot.hashtags, snapshot.music.id if snapshot.music is not None else None)


def _keys(hashtags: tuple[str, ...], sound: str | None) -> list[tuple[str, str]]:
    keys = [("hashtag", key) for key in _tag_keys(hashtags)]
    if sound:
        keys.append(("sound", _sound_key(sound)))
    return keys


_TAG_SETS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _tag_keys(hashtags: tuple[str, ...]) -> tuple[str, ...]:
    """The distinct keys of a video's hashtags, in order (kept per tuple of hashtags: many
    videos share theirs)."""
    keys = _TAG_SETS.get(hashtags)
    if keys is None:
        found: list[str] = []
        for raw in hashtags:
            key = _tag_key(raw)
            if key and key not in found:
                found.append(key)
        keys = tuple(found)
        if len(_TAG_SETS) < 200_000:
            _TAG_SETS[hashtags] = keys
    return keys


def _sound_key(sound: str) -> str:
    return "sound:" + sound[:200]


def snapshot_ms(snapshot: VideoSnapshot) -> int:
    """Collection time in epoch milliseconds."""
    return int(snapshot.collected_at.timestamp() * 1000)


def times_ms(times: Sequence[datetime | None]) -> Ints:
    """``int(t.timestamp() * 1000)`` of each (:data:`_NONE` for None), the same figures.

    ``timestamp()`` of an aware datetime is its microseconds since the epoch divided by a
    million (a correctly rounded division of integers below 2**53), which numpy repeats; the
    subtraction is twice as fast as the method."""
    try:
        us = np.array([_NONE if t is None else (t - _EPOCH) // _US for t in times], np.int64)
    except TypeError:  # a naive datetime: local time, as timestamp() reads it
        return np.array(
            [_NONE if t is None else int(t.timestamp() * 1000) for t in times], np.int64
        )
    return _us_to_ms(us)


def _us_to_ms(us: Ints) -> Ints:
    out = (us / 1e6 * 1000).astype(np.int64)
    out[us == _NONE] = _NONE
    return out


class Meta(msgspec.Struct, frozen=True, gc=False):
    """What a video's first sighting says of it that booking needs: its booking and creator
    come from the first four, its age from its posting time. A Struct, made in C (a fifth of a
    namedtuple's time) and not tracked by the garbage collector (a namedtuple is, for life:
    one per video, each adding to the collections it triggers and walks)."""

    hashtags: tuple[str, ...]
    sound: str | None
    market: str
    creator: str
    created_ms: int
    """Epoch ms (:data:`_NONE`: not known)."""
    followers: int


class VideoMeta(NamedTuple):
    """:class:`Meta` as checkpoints before it pickled it (made a :class:`Meta` on loading)."""

    hashtags: tuple[str, ...]
    sound: str | None
    market: str
    creator: str
    created_ms: int
    followers: int


def _as_metas(metas: list[Any]) -> list[Meta | None]:
    """``metas`` with each :class:`VideoMeta` of an older checkpoint made a :class:`Meta`, in
    place (held columns share the table's list)."""
    for i, m in enumerate(metas):
        if isinstance(m, tuple):
            metas[i] = Meta(*m)
    return metas


def _meta_of(s: VideoSnapshot) -> Meta:
    m, a, c = s.music, s.author, s.create_time
    return Meta(
        s.hashtags,
        None if m is None else m.id,
        s.market,
        a.id,
        _NONE if c is None else _time_ms(c),
        a.followers or 0,
    )


_VIDEO_ID: Final = attrgetter("video_id")
_PLAYS: Final = attrgetter("stats.plays")


def _time_ms(t: datetime) -> int:
    """``int(t.timestamp() * 1000)``, as :func:`times_ms` computes it."""
    try:
        us = (t - _EPOCH) // _US
    except TypeError:  # a naive datetime: local time, as timestamp() reads it
        return int(t.timestamp() * 1000)
    return int(us / 1e6 * 1000)


@dataclass(frozen=True, slots=True)
class Read:
    """What a caller (the engine) has already read of each snapshot of a batch, so that reading
    need not again: its video's number (-1: none; the engine's stage 1 numbers each video at its
    first sighting, and a number stands for one video within one ``numbering``) and its plays."""

    numbering: int
    videos: Sequence[int]
    plays: Sequence[int]

    def part(self, at: Sequence[int]) -> Read:
        """The snapshots at ``at``."""
        videos, plays = self.videos, self.plays
        return Read(self.numbering, [videos[i] for i in at], [plays[i] for i in at])


@dataclass(frozen=True, slots=True)
class Known:
    """Videos at one age: each one's last two sightings by then (:meth:`Observations.known_at`),
    as columns."""

    tids: list[int]
    video_ids: list[str]
    markets: list[str]
    created_ms: Ints
    followers: Ints
    ms: Ints
    plays: Ints
    """The last sighting by then."""
    ms_before: Ints
    plays_before: Ints
    """The one before it (-1: none)."""


_EMPTY4: Final = tuple(np.zeros(0, np.int64) for _ in range(4))


@dataclass(frozen=True, slots=True)
class Columns:
    """What booking reads of each snapshot, read in one pass (:meth:`Observations.columns`)
    and holding no snapshot: a runtime reads them as the snapshots come, while they are still
    in the processor's caches, and keeps only these until it books them."""

    rows: Ints
    """Rows of the videos, valid while ``epoch`` is the table's (else ``ids`` finds them)."""
    epoch: int
    ids: list[str]
    """The table's video ids by row at ``epoch`` (the table's own list: rows are appended)."""
    ms: Ints
    plays: Ints
    metas: list[Meta | None]
    """The table's metas by row at ``epoch`` (its own list, as ``ids``), for a video whose row
    is renumbered away before it is booked."""

    def __len__(self) -> int:
        return len(self.rows)

    def part(self, start: int, stop: int) -> Columns:
        return Columns(
            self.rows[start:stop],
            self.epoch,
            self.ids,
            self.ms[start:stop],
            self.plays[start:stop],
            self.metas,
        )

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.rows, self.epoch, self.ids, self.ms, self.plays, self.metas)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        if len(state) == 9:  # read before the metas (one key per snapshot): the same figures
            rows, epoch, ids, ms, plays, created, followers, _, keys = state
            metas: list[Meta | None] = [None] * len(ids)
            for r, (tags, sound, market, creator), c, f in zip(
                rows.tolist(), keys, created.tolist(), followers.tolist(), strict=True
            ):
                if metas[r] is None:
                    metas[r] = Meta(tags, sound, market, creator, c, f)
            state = (rows, epoch, ids, ms, plays, metas)
        else:
            _as_metas(state[5])
        for name, value in zip(
            ("rows", "epoch", "ids", "ms", "plays", "metas"), state, strict=True
        ):
            object.__setattr__(self, name, value)


def _stable_order(keys: Ints) -> Ints:
    """``np.argsort(keys, kind="stable")`` of keys from 0 to 2**31: the positions of a
    quicksort of keys made unique by their position (five times faster, the same order)."""
    n = len(keys)
    return np.argsort(keys * n + np.arange(n), kind="quicksort")


def _first_seen(values: Ints) -> tuple[Ints, Ints]:
    """The distinct values of ``values`` (0 to 2**31) in the order they first appear, and where
    (``np.unique(..., return_index=True)`` reordered, without its merge sort)."""
    order = _stable_order(values)
    v = values[order]
    first = np.ones(len(v), bool)
    first[1:] = v[1:] != v[:-1]
    at = order[first]
    by_place = np.argsort(at)  # distinct places: any sort gives the one order
    return v[first][by_place], at[by_place]


def _rank(pos: Ints, n: int) -> Ints:
    """``np.argsort(pos)`` of distinct positions below ``n``, without sorting."""
    at = np.full(n, -1, np.int64)
    at[pos] = np.arange(len(pos))
    return at[at >= 0]


def _by_value(values: Ints) -> list[tuple[int, npt.NDArray[np.bool_] | None]]:
    """Each distinct value and where it is (None: everywhere, the common case of one hour)."""
    if not len(values):
        return []
    low, high = int(values.min()), int(values.max())
    if low == high:
        return [(low, None)]
    return [(v, values == v) for v in np.unique(values).tolist()]


@dataclass(slots=True)
class _Hour:
    """One hour of every slot: gains, new videos, which cells exist, (slot, creator) pairs;
    gains per slot and age class, and every video's gains per hour of age."""

    gain: Ints
    new: Ints
    booked: npt.NDArray[np.bool_]
    pairs: Ints = field(default_factory=lambda: np.zeros(0, np.int64))
    """Sorted, distinct."""
    pending: list[Ints] = field(default_factory=list)
    pending_n: int = 0
    aged: Ints = field(default_factory=lambda: np.zeros((0, len(AGE_EDGES_H) + 1), np.int64))
    """(slot, age class) -> gain (as many rows as ``gain``)."""
    cohort: Ints = field(default_factory=lambda: np.zeros(COHORT_H + 1, np.int64))
    """Whole hours of age -> gain, over every video once."""

    def distinct_pairs(self) -> Ints:
        if self.pending:
            every = np.sort(np.concatenate([self.pairs, *self.pending]))
            self.pairs = every[np.r_[True, every[1:] != every[:-1]]] if len(every) else every
            self.pending, self.pending_n = [], 0
        return self.pairs


@dataclass(slots=True)
class _Open:
    """One hour's bookings not spread over the slots yet, per row (see
    :meth:`Observations._settle`): its gain per age class (a gain is never negative, so a row
    gained when their sum is above 0) and whether its video was new."""

    aged: Ints
    new: npt.NDArray[np.bool_]


_OPEN_HOURS: Final = 3
"""Hours whose bookings are held per row before they are spread (a history read in order opens
one after the other; a late snapshot opens an old one)."""


@dataclass(frozen=True, slots=True)
class Sums:
    """Per slot, before an origin ``t``: gains over the last day, the last 6 hours, the 6
    before and the last hour; new videos and distinct creators that gained in the last 6."""

    g24: Ints
    g6: Ints
    gp: Ints
    g1: Ints
    new6: Ints
    creators6: Ints
    aged1: Ints
    """(slot, age class) -> gain over the last hour."""
    aged2: Ints
    """(slot, age class) -> gain over the hour before."""


class Observations:
    """Hourly entity gains and early video sightings, built from snapshots (see the module doc).

    >>> obs = Observations()
    >>> obs.hours  # nothing seen yet
    (0, 0)
    """

    def __init__(self) -> None:
        # videos by row
        self._rows: dict[str, int] = {}
        self._last_ms: Ints = np.zeros(0, np.int64)
        self._last_plays: Ints = np.zeros(0, np.int64)
        self._track: Ints = np.zeros(0, np.int64)
        """Row -> its track (-1: none)."""
        self._track_posted: Ints = np.zeros(0, np.int64)
        """Row -> the hour its track's video was posted."""
        self._open: dict[int, _Open] = {}
        self._spare: list[_Open] = []
        """Hours booked per row and not spread yet, and emptied ones to reuse."""
        self._booked: list[Ints] = []
        self._held: npt.NDArray[np.bool_] = np.zeros(0, bool)
        """The rows booked since the last spread, in the order they were first booked, and by
        row whether it is among them."""
        # tracks (kept videos) by track id, numbered in the order they were first kept
        self._t: dict[int, tuple[str, str, int, int, int]] = {}
        """Track -> (video id, market, posted (ms), followers, row)."""
        self._next_tid = 0
        self._posted: dict[int, list[int]] = {}
        """Hour of posting -> the tracks posted then, in order."""
        self._sightings: dict[int, list[tuple[Ints, Ints, Ints]]] = {}
        """Hour of posting -> (track, ms, plays) arrays, in arrival order."""
        # entities: a slot is (kind, scope, key)
        self._slots: dict[tuple[str, str, str], int] = {}
        self._slot_key: list[str] = []
        self._tables: dict[tuple[str, str], list[int]] = {}
        """(kind, scope) -> its slots."""
        self._seq: Ints = np.zeros(0, np.int64)
        """When the slot's entity (re)entered its table: the table's order."""
        self._next_seq = 0
        self._cap = 0
        self._hours: dict[int, _Hour] = {}
        self._creators: dict[str, int] = {}
        self._creator_ids: list[str] = []
        self._booking: dict[tuple[tuple[str, ...], str | None, str], int] = {}
        """(hashtags, sound, market) -> its booking: the slots a snapshot books into."""
        self._bk_start: Ints = np.zeros(0, np.int64)
        self._bk_len: Ints = np.zeros(0, np.int64)
        self._bk_slots: Ints = np.zeros(0, np.int64)
        self._bk_n = 0
        self._scoped: dict[str, dict[str, tuple[int, int]]] = {}
        """Market -> entity key -> its slots in the market and in ``all`` (a cache of
        ``_slots``, rebuilt as met after a restart)."""
        self._staged_len: list[int] = []
        self._staged_slots: list[int] = []
        """Bookings by number (``_bk_n`` of them): where their slots start in ``_bk_slots``,
        how many."""
        self._sums: tuple[int, int, Sums] | None = None
        self._gains: tuple[tuple[int, int, int], Ints] | None = None
        self._version = 0
        self._epoch = 0
        """Changes when rows are renumbered."""
        self.first_hour = 0
        self.last_hour = 0
        self.markets: set[str] = set()
        self._row_booking: Ints = np.zeros(0, np.int64)
        self._row_creator: Ints = np.zeros(0, np.int64)
        """Per row, the booking and creator its meta gives (-1: not looked up yet)."""
        self._created: Ints = np.zeros(0, np.int64)
        """Per row, its meta's posting time (epoch ms; :data:`_NONE`: not known;
        :data:`_NO_META`: no meta yet)."""
        self._pending: list[VideoSnapshot] = []
        """Snapshots given one by one (:meth:`add`), booked together before any reading."""
        self._ids: list[str] = []
        """Row -> video id."""
        self._meta: list[Meta | None] = []
        """Row -> what its first sighting said (None: read from its next one)."""
        self._read_markets: set[str] = set()
        self._numbering = 0
        self._by_number: Ints = np.zeros(0, np.int64)
        self._number_base = 0
        """A caller's numbering of the videos (:class:`Read`; 0: none yet), and the row of
        each number from ``_number_base`` on (-1: not known)."""
        """Every market read (a superset of :attr:`markets` while the booking catches up)."""

    @property
    def hours(self) -> tuple[int, int]:
        """First and last hour with a snapshot (0, 0 before any)."""
        self._flush()
        return self.first_hour, self.last_hour

    # -- booking --------------------------------------------------------------------------------

    def add(self, snapshot: VideoSnapshot) -> None:
        """Book one snapshot (arrival order; event time from the snapshot): it is booked with
        the next ones, before anything is read."""
        self._pending.append(snapshot)
        if len(self._pending) >= 20_000:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            self._add(self.columns(pending))

    def add_all(self, snapshots: Sequence[VideoSnapshot]) -> None:
        """Book a batch."""
        for i in range(0, len(snapshots), 50_000):
            self.add_batch(snapshots[i : i + 50_000])

    def columns(
        self,
        snapshots: Sequence[VideoSnapshot],
        ms: Ints | None = None,
        read: Read | None = None,
    ) -> Columns:
        """What :meth:`add_batch` reads of ``snapshots`` (``ms``: their collection times, when
        already read: ``times_ms`` of them), to book later or now: the video's row (new videos
        get theirs here), its plays, and its meta, read from the snapshot only for a video
        without one. Each is one pass in C over the batch (``map``), the fastest way Python
        has to read a field of many objects. With what the caller ``read`` (the engine), the
        plays are its, and a video numbered before is found by its number (an array read)
        instead of its id (a dictionary lookup whose entries are out of the processor's caches
        by then)."""
        n = len(snapshots)
        if read is None:
            rows = np.fromiter(
                map(self._rows.get, map(_VIDEO_ID, snapshots), repeat(-1)), np.int64, n
            )
        else:
            if len(read.videos) != n or len(read.plays) != n:
                raise ValueError(
                    f"read gives {len(read.videos)} video numbers and {len(read.plays)} plays "
                    f"for {n} snapshots: the engine hands them over with reads_for_forecasts set"
                )
            num = np.array(read.videos, np.int64) - self._numbers_from(read.numbering)
            held = len(self._by_number)
            rows = self._by_number[np.clip(num, 0, held - 1)] if held else np.full(n, -1)
            rows[(num < 0) | (num >= held)] = -1
            found = np.flatnonzero(rows < 0)
            if len(found):
                rows[found] = np.fromiter(
                    map(
                        self._rows.get, [snapshots[i].video_id for i in found.tolist()], repeat(-1)
                    ),
                    np.int64,
                    len(found),
                )
        new = np.flatnonzero(rows < 0)
        if len(new):
            self._read(snapshots, rows, new.tolist())
        unread = np.flatnonzero(self._created[rows] == _NO_META)  # restored without a meta
        if len(unread):
            self._read(snapshots, rows, unread.tolist())
        if read is not None and len(found):
            self._number(num[found], rows[found])
        return Columns(
            rows,
            self._epoch,
            self._ids,
            times_ms([s.collected_at for s in snapshots]) if ms is None else ms,
            np.fromiter(map(_PLAYS, snapshots), np.int64, n)
            if read is None
            else np.array(read.plays, np.int64),
            self._meta,
        )

    def _numbers_from(self, numbering: int) -> int:
        """The first number :attr:`_by_number` holds, in ``numbering`` (the table starts afresh
        with another numbering)."""
        if numbering != self._numbering:
            self._numbering = numbering
            self._by_number = np.zeros(0, np.int64)
            self._number_base = 0
        return self._number_base

    def _number(self, at: Ints, rows: Ints) -> None:
        """Note the rows of the videos numbered ``at`` (relative to the base; negative: from
        before it, not kept)."""
        keep = at >= 0
        at, rows = at[keep], rows[keep]
        if not len(at):
            return
        top = int(at.max()) + 1
        if top > len(self._by_number):
            extra = max(top - len(self._by_number), len(self._by_number), 1024)
            self._by_number = np.concatenate([self._by_number, np.full(extra, -1, np.int64)])
        self._by_number[at] = rows

    def _read(self, snapshots: Sequence[VideoSnapshot], rows: Ints, at: list[int]) -> None:
        """Give the snapshots at ``at`` (in order) their rows, and the videos without a meta
        the one their snapshot gives."""
        row_of, meta, markets = self._rows.get, self._meta, self._read_markets
        fresh, got = [], []
        for i in at:
            s = snapshots[i]
            r = row_of(s.video_id)
            if r is None:
                r = self._new_row(s.video_id)
            if meta[r] is None:
                meta[r] = m = _meta_of(s)
                # Its booking and creator now, while the snapshot's strings are in the caches
                # (the engine has just read them): at the spread they are not.
                booking = self._booking_of((m.hashtags, m.sound, m.market))
                fresh.append((r, m.created_ms, booking, self._creator(m.creator)))
                markets.add(m.market)
            got.append(r)
        rows[at] = got
        self._grow_rows()
        if fresh:
            self._commit_bookings()
            made = np.array(fresh, np.int64)
            self._created[made[:, 0]] = made[:, 1]
            self._row_booking[made[:, 0]] = made[:, 2]
            self._row_creator[made[:, 0]] = made[:, 3]

    def join(self, parts: Sequence[Columns]) -> Columns:
        """Columns read one after the other, as one (rows read before a renumbering found
        again)."""
        if len(parts) == 1:
            return parts[0]
        rows = [p.rows if p.epoch == self._epoch else self._rows_again(p) for p in parts]
        return Columns(
            np.concatenate(rows),
            self._epoch,
            self._ids,
            np.concatenate([p.ms for p in parts]),
            np.concatenate([p.plays for p in parts]),
            self._meta,
        )

    def _rows_again(self, cols: Columns) -> Ints:
        """The rows of columns read before the rows were renumbered (a video renumbered away
        meanwhile gets a row again, with the meta read then)."""
        row_of, ids = self._rows.get, cols.ids
        rows: list[int] = []
        for r in cols.rows.tolist():
            vid = ids[r]
            row = row_of(vid)
            rows.append(self._new_row(vid) if row is None else row)
        self._grow_rows()
        again = np.array(rows, np.int64)
        self._know(again, cols.rows, cols.metas)
        return again

    def _know(self, rows: Ints, read: Ints, metas: list[Meta | None]) -> None:
        """Give ``rows`` without a meta the one of the rows ``read`` in ``metas`` (columns'
        own list of metas)."""
        meta = self._meta
        for r, old in zip(rows.tolist(), read.tolist(), strict=True):
            m = metas[old]
            if meta[r] is None and m is not None:
                meta[r] = m
                self._created[r] = m.created_ms

    def add_batch(self, snapshots: Sequence[VideoSnapshot] | Columns) -> None:
        """Book snapshots in arrival order, as one by one (or their :meth:`columns`)."""
        self._flush()
        self._add(snapshots if isinstance(snapshots, Columns) else self.columns(snapshots))

    def _add(self, cols: Columns) -> None:
        n = len(cols)
        if not n:
            return
        ms, plays = cols.ms, cols.plays
        rows = cols.rows if cols.epoch == self._epoch else self._rows_again(cols)
        created = self._created[rows]
        if cols.metas is not self._meta and (created == _NO_META).any():
            self._know(rows, cols.rows, cols.metas)  # restored from before the metas
            created = self._created[rows]
        # In video order (arrival order within a video): a snapshot counts when it is later
        # than every earlier one of its video, before this batch and in it.
        order = _stable_order(rows)
        r, m, p, c = rows[order], ms[order], plays[order], created[order]
        first = np.ones(n, bool)
        first[1:] = r[1:] != r[:-1]
        group = np.cumsum(first) - 1
        base = int(m.min())
        span = int(m.max()) - base + 2
        running = np.maximum.accumulate(group * span + (m - base + 1))
        before = np.empty(n, np.int64)
        before[0] = 0
        before[1:] = running[:-1] - group[1:] * span  # < 1: no earlier one in the batch
        earlier = np.where(before >= 1, before + (base - 1), _NONE)
        keep = np.flatnonzero(m > np.maximum(earlier, self._last_ms[r]))
        if not len(keep):
            return
        r, m, p, c, pos = r[keep], m[keep], p[keep], c[keep], order[keep]
        first = np.ones(len(r), bool)
        first[1:] = r[1:] != r[:-1]
        last = np.ones(len(r), bool)
        last[:-1] = first[1:]
        prev_plays = np.empty(len(r), np.int64)
        prev_plays[1:] = p[:-1]
        prev_plays[first] = self._last_plays[r[first]]
        has_prev = ~first | (self._last_ms[r] != _NONE)
        new = ~has_prev & (c != _NONE) & (m - c <= NEW_WITHIN_MS)
        gain = np.where(has_prev, np.maximum(p - prev_plays, 0), np.where(new, p, 0))
        self._last_ms[r[last]] = m[last]
        self._last_plays[r[last]] = p[last]
        hour = m // HOUR_MS
        low, high = int(hour.min()), int(hour.max())
        if not self.first_hour or low < self.first_hour:
            self.first_hour = low
        self.last_hour = max(self.last_hour, high)
        # back to arrival order
        o = _rank(pos, n)
        r, m, p, c, pos, new, gain, hour = r[o], m[o], p[o], c[o], pos[o], new[o], gain[o], hour[o]
        # whole hours from the hour posted to the hour booked (COHORT_H: that or more, unknown)
        age = np.where(c == _NONE, COHORT_H, np.clip((m - c) // HOUR_MS, 0, COHORT_H))
        if not self._read_markets <= self.markets:
            meta = self._meta
            self.markets.update({meta[i].market for i in set(r.tolist())})  # type: ignore[union-attr]
        self._version += 1
        book = np.flatnonzero((gain > 0) | new)
        if len(book):
            self._book(
                r[book],
                hour[book],
                gain[book],
                new[book],
                age[book],
            )
        kept = np.flatnonzero((c != _NONE) & (m - c <= KEEP_VIDEO_MS))
        if len(kept):
            self._keep(r[kept], m[kept], p[kept], c[kept])

    def _new_row(self, vid: str) -> int:
        """Number a video not seen yet (its arrays grow in :meth:`_grow_rows`)."""
        row = self._rows[vid] = len(self._ids)
        self._ids.append(vid)
        self._meta.append(None)
        return row

    def _grow_rows(self) -> None:
        """Room in the arrays by row for every video numbered."""
        extra = len(self._ids) - len(self._last_ms)
        if extra > 0:
            extra = max(extra, len(self._last_ms))
            self._last_ms = np.concatenate([self._last_ms, np.full(extra, _NONE)])
            self._last_plays = np.concatenate([self._last_plays, np.zeros(extra, np.int64)])
            self._track = np.concatenate([self._track, np.full(extra, -1, np.int64)])
            self._track_posted = np.concatenate([self._track_posted, np.zeros(extra, np.int64)])
            self._held = np.concatenate([self._held, np.zeros(extra, bool)])
            for acc in (*self._open.values(), *self._spare):
                acc.aged = np.concatenate(
                    [acc.aged, np.zeros((extra, acc.aged.shape[1]), np.int64)]
                )
                acc.new = np.concatenate([acc.new, np.zeros(extra, bool)])
            self._created = np.concatenate([self._created, np.full(extra, _NO_META)])
            for name in ("_row_booking", "_row_creator"):
                old = getattr(self, name)
                setattr(self, name, np.concatenate([old, np.full(extra, -1, np.int64)]))

    def _booking_of(self, key: tuple[tuple[str, ...], str | None, str]) -> int:
        """The number of a booking: the slots of a (hashtags, sound, market), in order. A new
        one is staged, in lists (:meth:`_commit_bookings` adds them to the arrays at once):
        most videos have a booking of their own (their own sound), so this runs about once
        per video."""
        num = self._booking.get(key)
        if num is None:
            if len(self._booking) >= 200_000:
                self._booking.clear()
            hashtags, sound, market = key
            staged = self._staged_slots
            before = len(staged)
            scoped = self._scoped.get(market)
            if scoped is None:
                scoped = self._scoped[market] = {}
            sounds = (_sound_key(sound),) if sound else ()
            for kind, entities in (("hashtag", _tag_keys(hashtags)), ("sound", sounds)):
                for entity in entities:
                    both = scoped.get(entity)
                    if both is None:
                        both = scoped[entity] = (
                            self._slot(kind, market, entity),
                            self._slot(kind, ALL, entity),
                        )
                    staged += both
            num = self._booking[key] = self._bk_n + len(self._staged_len)
            self._staged_len.append(len(staged) - before)
        return num

    def _commit_bookings(self) -> None:
        """Add the staged bookings to the arrays."""
        if not self._staged_len:
            return
        sizes = np.array(self._staged_len, np.int64)
        flat = np.array(self._staged_slots, np.int64)
        n = self._bk_n
        used = int(self._bk_start[n - 1] + self._bk_len[n - 1]) if n else 0
        if n + len(sizes) > len(self._bk_start):
            extra = max(1024, len(sizes), len(self._bk_start))
            self._bk_start = np.concatenate([self._bk_start, np.zeros(extra, np.int64)])
            self._bk_len = np.concatenate([self._bk_len, np.zeros(extra, np.int64)])
        if used + len(flat) > len(self._bk_slots):
            extra = max(8192, len(flat), len(self._bk_slots))
            self._bk_slots = np.concatenate([self._bk_slots, np.zeros(extra, np.int64)])
        self._bk_start[n : n + len(sizes)] = used + np.cumsum(sizes) - sizes
        self._bk_len[n : n + len(sizes)] = sizes
        self._bk_slots[used : used + len(flat)] = flat
        self._bk_n += len(sizes)
        self._staged_len.clear()
        self._staged_slots.clear()

    def _slots_of(self, nums: Ints) -> tuple[Ints, Ints]:
        """The slots of bookings ``nums``, one after the other, and whose each one is."""
        start, size, flat = self._bk_start, self._bk_len, self._bk_slots
        sizes = size[nums]
        each = np.repeat(np.arange(len(nums)), sizes)
        ends = np.cumsum(sizes)
        offset = np.arange(int(ends[-1]) if len(ends) else 0) - (ends - sizes)[each]
        return flat[start[nums][each] + offset], each

    def _slot(self, kind: str, scope: str, key: str) -> int:
        slot = self._slots.get((kind, scope, key))
        if slot is None:
            slot = self._slots[(kind, scope, key)] = len(self._slot_key)
            self._slot_key.append(key)
            self._tables.setdefault((kind, scope), []).append(slot)
            if slot >= self._cap:
                self._grow(max(1024, 2 * self._cap))
        return slot

    def _grow(self, cap: int) -> None:
        extra = cap - self._cap
        self._seq = np.concatenate([self._seq, np.full(extra, -1, np.int64)])
        for h in self._hours.values():
            h.gain = np.concatenate([h.gain, np.zeros(extra, np.int64)])
            h.new = np.concatenate([h.new, np.zeros(extra, np.int64)])
            h.booked = np.concatenate([h.booked, np.zeros(extra, bool)])
            h.aged = np.concatenate([h.aged, np.zeros((extra, h.aged.shape[1]), np.int64)])
        self._cap = cap

    def _hour(self, hour: int) -> _Hour:
        h = self._hours.get(hour)
        if h is None:
            h = self._hours[hour] = _Hour(
                np.zeros(self._cap, np.int64),
                np.zeros(self._cap, np.int64),
                np.zeros(self._cap, bool),
                aged=np.zeros((self._cap, len(AGE_EDGES_H) + 1), np.int64),
            )
        return h

    def _book(
        self,
        rows: Ints,
        hour: Ints,
        gain: Ints,
        new: npt.NDArray[np.bool_],
        age: Ints,
    ) -> None:
        """Add each snapshot's gain (and new video) to its row's cell of its hour, by age class
        (:meth:`_spread` adds them to the row's slots later, each row once), and to its hour's
        gains by age (``age``: whole hours, :data:`COHORT_H` for that or more)."""
        classes = np.searchsorted(np.array(AGE_EDGES_H), age, side="right")
        width = len(AGE_EDGES_H) + 1
        for value, sel in _by_value(hour):
            r, g, a, c, n = (
                (rows, gain, age, classes, new)
                if sel is None
                else (rows[sel], gain[sel], age[sel], classes[sel], new[sel])
            )
            np.add.at(self._hour(value).cohort, a, g)
            acc = self._open_hour(value)
            np.add.at(acc.aged.reshape(-1), r * width + c, g)  # a view: row * classes + class
            acc.new[r[n]] = True
        fresh = rows[~self._held[rows]]
        if len(fresh):
            first, _ = _first_seen(fresh)
            self._held[first] = True
            self._booked.append(first)
        if len(self._open) > _OPEN_HOURS:
            self._spread()

    def _open_hour(self, hour: int) -> _Open:
        acc = self._open.get(hour)
        if acc is None:
            acc = self._open[hour] = (
                self._spare.pop()
                if self._spare
                else _Open(
                    np.zeros((len(self._last_ms), len(AGE_EDGES_H) + 1), np.int64),
                    np.zeros(len(self._last_ms), bool),
                )
            )
        return acc

    def _settle(self) -> None:
        """Book everything given so far, spread over the slots (what reading needs)."""
        self._flush()
        self._spread()

    def _spread(self) -> None:
        """Add the hours booked per row to the rows' slots: each row once per hour, however
        many of its snapshots were booked, so that the work is per video and not per snapshot
        (the gain, new videos and gain by age class of each cell, which cells exist, and the
        (slot, creator) pairs that gained). Entities without a cell enter their table in the
        order their rows were first booked, which is the order their snapshots were: a row's
        slots are the same at every snapshot."""
        if not self._open:
            return
        order = np.concatenate(self._booked)
        self._booked.clear()
        self._held[order] = False
        nums, cids = self._bookings_of(order)
        slots, each = self._slots_of(nums)
        absent = self._seq[slots] < 0
        if absent.any():
            fresh, _ = _first_seen(slots[absent])
            self._seq[fresh] = np.arange(self._next_seq, self._next_seq + len(fresh))
            self._next_seq += len(fresh)
        width = len(AGE_EDGES_H) + 1
        for hour in sorted(self._open):
            acc = self._open.pop(hour)
            aged, new = acc.aged[order], acc.new[order]
            acc.aged[order] = 0
            acc.new[order] = False
            if len(self._spare) < 2:
                self._spare.append(acc)
            gain = aged.sum(axis=1)
            keep = ((gain > 0) | new)[each]
            s, e = slots[keep], each[keep]
            if not len(s):
                continue
            h = self._hour(hour)
            np.add.at(h.gain, s, gain[e])
            np.add.at(h.new, s, new[e].astype(np.int64))
            by_class = aged[e]
            i, k = np.nonzero(by_class)
            np.add.at(h.aged.reshape(-1), s[i] * width + k, by_class[i, k])
            h.booked[s] = True
            gained = gain[e] > 0
            pairs = (s[gained] << _CREATOR_BITS) | cids[e[gained]]
            h.pending.append(pairs)
            h.pending_n += len(pairs)
            if h.pending_n > max(1 << 20, 4 * len(h.pairs)):
                h.distinct_pairs()
        self._version += 1

    def _bookings_of(self, rows: Ints) -> tuple[Ints, Ints]:
        """The bookings and creators of ``rows``: noted when their metas were read, else (a meta
        given later: a row renumbered away, a checkpoint from before the metas) looked up
        here, once per row."""
        nums = self._row_booking[rows]
        miss = nums < 0
        if miss.any():
            missing = np.unique(rows[miss])
            found, creators = [], []
            for r in missing.tolist():
                m = self._meta[r]
                assert m is not None  # read with the row
                found.append(self._booking_of((m.hashtags, m.sound, m.market)))
                creators.append(self._creator(m.creator))
            self._commit_bookings()
            self._row_booking[missing] = found
            self._row_creator[missing] = creators
            nums = self._row_booking[rows]
        return nums, self._row_creator[rows]

    def _creator(self, author: str) -> int:
        cid = self._creators.get(author)
        if cid is None:
            cid = self._creators[author] = len(self._creator_ids)
            self._creator_ids.append(author)
        return cid

    def _keep(self, rows: Ints, ms: Ints, plays: Ints, created: Ints) -> None:
        """Add sightings to the videos' tracks (a track starts at its first kept sighting)."""
        tracks = self._track[rows]
        fresh = tracks < 0
        if fresh.any():
            # each video without a track gets one, numbered in the order they come
            new_rows, at = _first_seen(rows[fresh])
            posted_ms = created[fresh][at]
            tids = np.arange(self._next_tid, self._next_tid + len(new_rows))
            self._next_tid += len(new_rows)
            self._track[new_rows] = tids
            self._track_posted[new_rows] = posted_ms // HOUR_MS
            ids, meta, t, posted = self._ids, self._meta, self._t, self._posted
            for tid, row, p in zip(
                tids.tolist(), new_rows.tolist(), posted_ms.tolist(), strict=True
            ):
                m = meta[row]
                assert m is not None  # read with the row
                t[tid] = (ids[row], m.market, p, m.followers, row)
            for hour, sel in _by_value(posted_ms // HOUR_MS):
                posted.setdefault(hour, []).extend((tids if sel is None else tids[sel]).tolist())
            tracks = self._track[rows]
        posted_h = self._track_posted[rows]
        low = int(posted_h.min())
        order = _stable_order(posted_h - low)  # by hour posted, in arrival order within one
        posted_h, tracks, ms, plays = posted_h[order], tracks[order], ms[order], plays[order]
        cuts = np.flatnonzero(posted_h[1:] != posted_h[:-1]) + 1
        for start, stop in zip([0, *cuts.tolist()], [*cuts.tolist(), len(order)], strict=True):
            self._sightings.setdefault(int(posted_h[start]), []).append(
                (tracks[start:stop], ms[start:stop], plays[start:stop])
            )

    # -- reading ------------------------------------------------------------------------------

    def scopes(self) -> list[str]:
        """``all`` then each market seen, sorted."""
        self._flush()
        return [ALL, *sorted(self.markets)]

    def table(self, kind: str, scope: str) -> Ints:
        """The slots of the entities of ``kind`` in ``scope`` that have a cell, in the order
        they entered the table."""
        self._settle()
        slots = np.array(self._tables.get((kind, scope), []), np.int64)
        slots = slots[self._seq[slots] >= 0]
        return slots[np.argsort(self._seq[slots], kind="stable")]

    def keys(self, slots: Ints) -> list[str]:
        """The entity keys of ``slots``."""
        key = self._slot_key
        return [key[s] for s in slots.tolist()]

    def gains(self, start: int, stop: int) -> Ints:
        """Per slot, the gain over hours ``[start, stop)`` (kept until the next booking)."""
        self._settle()
        cached = self._gains
        if cached is not None and cached[0] == (start, stop, self._version):
            return cached[1]
        total = np.zeros(self._cap, np.int64)
        for h in range(start, stop):
            cell = self._hours.get(h)
            if cell is not None:
                total += cell.gain
        self._gains = ((start, stop, self._version), total)
        return total

    def sums(self, origin: int) -> Sums:
        """The sums the entity features need at ``origin`` (kept until the next booking)."""
        self._settle()
        cached = self._sums
        if cached is not None and cached[0] == origin and cached[1] == self._version:
            return cached[2]
        t = origin
        g6 = self.gains(t - 6, t)
        gp = self.gains(t - 12, t - 6)
        g24 = g6 + gp + self.gains(t - 24, t - 12)  # new arrays: the cached ones stay as they are
        new6 = np.zeros(self._cap, np.int64)
        pairs = []
        for h in range(t - 6, t):
            cell = self._hours.get(h)
            if cell is not None:
                new6 += cell.new
                pairs.append(cell.distinct_pairs())
        creators6 = np.zeros(self._cap, np.int64)
        if pairs:
            every = np.sort(np.concatenate(pairs), kind="stable")
            if len(every):
                distinct = every[np.r_[True, every[1:] != every[:-1]]]
                creators6 = np.bincount(distinct >> _CREATOR_BITS, minlength=self._cap)
        last = self._hours.get(t - 1)
        g1 = last.gain.copy() if last is not None else np.zeros(self._cap, np.int64)
        aged = []
        for h in (t - 1, t - 2):
            cell = self._hours.get(h)
            classes = len(AGE_EDGES_H) + 1
            aged.append(
                np.zeros((self._cap, classes), np.int64) if cell is None else cell.aged.copy()
            )
        out = Sums(g24, g6, gp, g1, new6, creators6, aged[0], aged[1])
        self._sums = (origin, self._version, out)
        return out

    def cohorts(self, start: int, stop: int) -> Ints:
        """Every video's gains of hours ``[start, stop)`` (rows) per whole hour of age
        (columns, the last: :data:`COHORT_H` or more, or not known)."""
        self._flush()
        out = np.zeros((max(0, stop - start), COHORT_H + 1), np.int64)
        for h in range(start, stop):
            cell = self._hours.get(h)
            if cell is not None:
                out[h - start] = cell.cohort
        return out

    def hours_of(self, key: str, scope: str) -> dict[int, HourCell]:
        """An entity's hourly cells in a scope (empty when none): a view, for reading."""
        self._settle()
        slot = self._slots.get((key.partition(":")[0], scope, key))
        out: dict[int, HourCell] = {}
        if slot is None:
            return out
        for hour in sorted(self._hours):
            h = self._hours[hour]
            if h.booked[slot]:
                pairs = h.distinct_pairs()
                mine = pairs[(pairs >> _CREATOR_BITS) == slot] & ((1 << _CREATOR_BITS) - 1)
                out[hour] = HourCell(
                    int(h.gain[slot]),
                    {self._creator_ids[c] for c in mine.tolist()},
                    int(h.new[slot]),
                )
        return out

    def posted_in(self, hour: int, age_h: int | None = None) -> list[VideoTrack]:
        """The videos kept that were posted in ``hour``, first kept first; with ``age_h``, only
        the last two sightings known at that age (all :func:`~.features.video_row` reads),
        and only the videos with one."""
        self._flush()
        tids = self._posted.get(hour)
        if not tids:
            return []
        parts = self._sightings.get(hour, [])
        if not parts:
            return []
        if len(parts) > 1:  # one array from now on
            tid, ms, plays = (np.concatenate([x[i] for x in parts]) for i in range(3))
            parts[:] = [(tid, ms, plays)]
        tid, ms, plays = parts[0]
        ms_l, plays_l = ms.tolist(), plays.tolist()
        if age_h is None:
            order = np.argsort(tid, kind="stable").tolist()
            sightings: dict[int, list[tuple[int, int]]] = {t: [] for t in tids}
            for i, t in zip(order, tid[order].tolist(), strict=True):
                sightings[t].append((ms_l[i], plays_l[i]))
            return [self._track_of(t, sightings[t]) for t in tids]
        k = self.known_at(hour, age_h)
        out = []
        for t, *sighted in zip(
            k.tids,
            k.ms_before.tolist(),
            k.plays_before.tolist(),
            k.ms.tolist(),
            k.plays.tolist(),
            strict=True,
        ):
            mb, pb, m, p = sighted
            out.append(self._track_of(t, [(m, p)] if mb < 0 else [(mb, pb), (m, p)]))
        return out

    def known_at(self, hour: int, age_h: int) -> Known:
        """The videos kept that were posted in ``hour`` and had a sighting by ``age_h`` hours
        of age, first kept first, with their last two sightings then (what
        :func:`~.features.video_rows` reads), as arrays."""
        self._flush()
        tids = self._posted.get(hour, [])
        parts = self._sightings.get(hour, [])
        if not tids or not parts:
            return Known([], [], [], np.zeros(0, np.int64), np.zeros(0, np.int64), *_EMPTY4)
        if len(parts) > 1:  # one array from now on
            tid, ms, plays = (np.concatenate([x[i] for x in parts]) for i in range(3))
            parts[:] = [(tid, ms, plays)]
        tid, ms, plays = parts[0]
        # the last two sightings of each video up to its age: no sort (they are in order)
        ordered = np.array(tids, np.int64)  # increasing: numbered as they were kept
        local = np.searchsorted(ordered, tid)
        tracks = [self._t[t] for t in tids]
        posted_ms = np.array([t[2] for t in tracks], np.int64)
        known = ms <= posted_ms[local] + age_h * HOUR_MS
        at = np.arange(len(tid))
        last = np.full(len(tids), -1, np.int64)
        np.maximum.at(last, local[known], at[known])
        known &= at != last[local]
        before = np.full(len(tids), -1, np.int64)
        np.maximum.at(before, local[known], at[known])
        seen = np.flatnonzero(last >= 0)
        last, before = last[seen], before[seen]
        picked = seen.tolist()
        has = before >= 0
        b = np.where(has, before, last)
        return Known(
            [tids[i] for i in picked],
            [tracks[i][0] for i in picked],
            [tracks[i][1] for i in picked],
            posted_ms[seen],
            np.array([tracks[i][3] for i in picked], np.int64),
            ms[last],
            plays[last],
            np.where(has, ms[b], -1),
            np.where(has, plays[b], -1),
        )

    def _track_of(self, tid: int, sightings: list[tuple[int, int]]) -> VideoTrack:
        video, market, created, followers, _ = self._t[tid]
        return VideoTrack(video, market, created, followers, sightings)

    @property
    def videos(self) -> dict[str, VideoTrack]:
        """Every video kept, with its sightings, in the order they were first kept (built on
        each call: for the backtest and training, not the hourly path)."""
        self._flush()
        tracks: list[tuple[int, VideoTrack]] = []
        for hour in self._posted:
            tids = self._posted[hour]
            tracks += zip(tids, self.posted_in(hour), strict=True)
        tracks.sort(key=lambda x: x[0])
        return {t.video_id: t for _, t in tracks}

    # -- forgetting ---------------------------------------------------------------------------

    def forget_before(self, hour: int) -> None:
        """Drop hourly cells before ``hour`` and videos posted before it minus a day and a half
        (what a long-running runtime no longer needs)."""
        self._settle()
        old = [h for h in self._hours if h < hour]
        if old:
            for h in old:
                del self._hours[h]
            booked = np.zeros(self._cap, bool)
            for cell in self._hours.values():
                booked |= cell.booked
            self._seq[~booked] = -1  # an entity with no cell left leaves its table
            self._version += 1
        limit = hour * HOUR_MS - KEEP_VIDEO_MS - 6 * HOUR_MS
        for posted in [p for p in self._posted if p * HOUR_MS < limit]:
            for tid in self._posted.pop(posted):
                self._track[self._t.pop(tid)[4]] = -1
            self._sightings.pop(posted, None)
        n = len(self._rows)
        self._last_ms[:n][self._last_ms[:n] < limit] = _NONE
        dead = (self._last_ms[:n] == _NONE) & (self._track[:n] < 0)
        if dead.sum() > max(10_000, n // 2):
            self._compact(dead)
        if self._bk_n > 100_000 + 2 * len(self._rows):
            self._compact_bookings()

    def _compact_bookings(self) -> None:
        """Keep only the bookings the videos hold (the others are looked up again if met)."""
        n = len(self._rows)
        held = self._row_booking[:n]
        live = np.unique(held[held >= 0])
        sizes = self._bk_len[live]
        slots, _ = self._slots_of(live)
        renumber = np.full(self._bk_n, -1, np.int64)
        renumber[live] = np.arange(len(live))
        self._row_booking[:n] = np.where(held >= 0, renumber[np.maximum(held, 0)], -1)
        self._bk_start = np.cumsum(sizes) - sizes
        self._bk_len = sizes.copy()
        self._bk_slots = slots
        self._bk_n = len(live)
        self._booking.clear()

    def _compact(self, dead: npt.NDArray[np.bool_]) -> None:
        """Renumber the rows without the videos forgotten (seen long ago and not kept)."""
        self._spread()  # what is held per row, by the old rows
        self._epoch += 1
        alive = np.flatnonzero(~dead)
        new_of = np.full(len(dead), -1, np.int64)
        new_of[alive] = np.arange(len(alive))
        renumber = new_of.tolist()
        self._rows = {v: renumber[r] for v, r in self._rows.items() if renumber[r] >= 0}
        keep = alive.tolist()
        ids, meta = self._ids, self._meta
        self._ids = [ids[i] for i in keep]  # a new list: held columns keep theirs
        self._meta = [meta[i] for i in keep]
        self._last_ms = self._last_ms[alive].copy()
        self._last_plays = self._last_plays[alive].copy()
        self._track = self._track[alive].copy()
        self._track_posted = self._track_posted[alive].copy()
        self._held = np.zeros(len(alive), bool)  # nothing is held: spread above
        self._spare.clear()
        for name in ("_created", "_row_booking", "_row_creator"):
            setattr(self, name, getattr(self, name)[alive].copy())
        self._t = {t: (*v[:4], renumber[v[4]]) for t, v in self._t.items()}
        by = self._by_number
        by = np.where(by >= 0, new_of[np.maximum(by, 0)], -1)
        live = np.flatnonzero(by >= 0)
        skip = int(live[0]) if len(live) else len(by)  # numbers before every live one: gone
        self._by_number = by[skip:].copy()
        self._number_base += skip

    def __getstate__(self) -> dict[str, Any]:
        self._settle()
        state = {k: getattr(self, k) for k in _STATE}
        for h in self._hours.values():
            h.distinct_pairs()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        Observations.__init__(self)
        if "cells" in state:  # a checkpoint of the nested tables before: start afresh
            return
        for k, v in state.items():
            if k in _STATE:  # not a field dropped since (the hashes of the keys)
                setattr(self, k, v)
        for h in self._hours.values():  # a checkpoint from before the gains by age
            if getattr(h, "aged", None) is None or len(h.aged) != len(h.gain):
                h.aged = np.zeros((len(h.gain), len(AGE_EDGES_H) + 1), np.int64)
            if getattr(h, "cohort", None) is None:
                h.cohort = np.zeros(COHORT_H + 1, np.int64)
        self._held = np.zeros(len(self._last_ms), bool)
        n = len(self._rows)
        self._ids = [""] * n
        for vid, row in self._rows.items():
            self._ids[row] = vid
        _as_metas(self._meta)
        if "_meta" not in state:  # before the metas: each video's read from its next sighting
            self._meta = [None] * n
            self._row_booking[:] = -1
            self._created = np.full(len(self._row_booking), _NO_META)


_STATE: Final = (
    "_rows",
    "_last_ms",
    "_last_plays",
    "_track",
    "_track_posted",
    "_t",
    "_next_tid",
    "_posted",
    "_sightings",
    "_slots",
    "_slot_key",
    "_tables",
    "_seq",
    "_next_seq",
    "_bk_start",
    "_bk_len",
    "_bk_slots",
    "_bk_n",
    "_meta",
    "_created",
    "_row_booking",
    "_row_creator",
    "_cap",
    "_hours",
    "_creators",
    "_creator_ids",
    "first_hour",
    "last_hour",
    "markets",
    "_read_markets",
    "_epoch",
    "_numbering",
    "_by_number",
    "_number_base",
)
