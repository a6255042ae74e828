"""The event schema: versioned JSON records that every part of trendmon exchanges.

Every record is a JSON object with ``type`` (what it is) and ``v`` (its schema version), ids as
strings and times as RFC 3339 UTC strings, so that an engineer reading a topic with any Kafka
client sees what it holds::

    {"type": "video_snapshot", "v": 1, "event_id": "9f2c…", "video_id": "7001234567890123456",
     "collected_at": "2026-11-25T09:00:00Z", "source": "trending", "market": "US", …}

``decode_snapshot`` validates and raises :class:`~trendmon.errors.SchemaError` naming the field;
producers build snapshots with :func:`new_snapshot`, which fills in the deterministic event id.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

import msgspec
from msgspec import Meta, Struct

from trendmon.errors import SchemaError, SchemaVersionError

SCHEMA_VERSION: Final = 1
MAX_DESCRIPTION: Final = 10_000
"""Longest description accepted (TikTok allows 4,000 characters; longer means broken input)."""
MAX_NAME: Final = 200
"""Longest hashtag, effect or sound name kept; longer names are cut by :func:`normalize_tag`."""

Count = Annotated[int, Meta(ge=0, le=10**13)]
"""A non-negative engagement count (TikTok's largest counts are around 10**11)."""
Id = Annotated[str, Meta(min_length=1, max_length=64)]
UtcTime = Annotated[datetime, Meta(tz=True)]
Source = Annotated[
    str,
    Meta(
        pattern=r"^(trending|simulator|(hashtag|sound|user|search|import):.+)$",
        max_length=300,
    ),
]
Market = Annotated[str, Meta(pattern=r"^([A-Z]{2}|unknown)$")]


class Author(Struct, frozen=True, gc=False, kw_only=True):
    id: Id
    unique_id: str
    nickname: str = ""
    verified: bool = False
    followers: Count | None = None
    following: Count | None = None
    hearts: Count | None = None
    videos: Count | None = None


class Music(Struct, frozen=True, gc=False, kw_only=True):
    id: Id
    title: str = ""
    author_name: str = ""
    original: bool = False


class Effect(Struct, frozen=True, gc=False, kw_only=True):
    id: Id
    name: str = ""


class Stats(Struct, frozen=True, gc=False, kw_only=True):
    plays: Count
    likes: Count
    comments: Count
    shares: Count
    saves: Count | None = None
    """Missing in older TikTok items, which had no "collect" count."""


class VideoSnapshot(
    Struct, frozen=True, gc=False, kw_only=True, tag_field="type", tag="video_snapshot"
):
    """What one producer saw of one video at one moment (``collected_at``, event time)."""

    v: Literal[1] = 1
    event_id: Id
    video_id: Id
    collected_at: UtcTime
    source: Source
    market: Market = "unknown"
    create_time: UtcTime | None = None
    description: Annotated[str, Meta(max_length=MAX_DESCRIPTION)] = ""
    duration: Annotated[int, Meta(ge=0, le=86_400)] | None = None
    author: Author
    music: Music | None = None
    hashtags: tuple[str, ...] = ()
    effects: tuple[Effect, ...] = ()
    """Tuples rather than lists: a batch of snapshots held by the engine would otherwise be
    two lists each for the garbage collector to promote and walk."""
    stats: Stats
    exact_counts: bool = False
    is_ad: bool = False


class DeadLetter(Struct, frozen=True, gc=False, kw_only=True, tag_field="type", tag="dead_letter"):
    """A record that could not become an event, kept with the reason and its original bytes.

    ``raw`` holds the original text when it is valid UTF-8; otherwise ``raw_b64`` holds the bytes.
    """

    v: Literal[1] = 1
    reason: str
    field: str | None = None
    origin: str
    """Where the record came from: ``FILE:LINE``, a scraper target, or a topic and offset."""
    at: UtcTime
    raw: str | None = None
    raw_b64: str | None = None


class SourceHealth(
    Struct, frozen=True, gc=False, kw_only=True, tag_field="type", tag="source_health"
):
    """A producer target's health, published after every attempt so that staleness is visible."""

    v: Literal[1] = 1
    target: str
    checked_at: UtcTime
    ok: bool
    items: int = 0
    last_success: UtcTime | None = None
    last_error: str | None = None
    last_error_at: UtcTime | None = None
    consecutive_failures: int = 0
    next_attempt_at: UtcTime | None = None


Stage = Literal["emerging", "rising", "peaking", "declining", "dormant"]
SpikeEvidence = Literal["pushed", "posted", "both"]


class VideoDelta(Struct, frozen=True, gc=False, tag_field="type", tag="video_delta"):
    """Stage 1's output for one accepted snapshot: what changed since the video's last one.

    Emitted once per snapshot and fanned out, unchanged, to every entity in ``entities`` (the
    stage-2 key). Times are epoch milliseconds (event time). ``seq`` counts the video's deltas,
    so that a consumer that sees a delta twice can tell (apply only ``seq > last seq seen``).
    ``d_*`` are increments (negative only in a late correction); the rest are the video's
    totals and rates after this snapshot. Stage 1 builds it by name, through
    :func:`trendmon.engine.velocity.delta` (which says why).
    """

    video_id: str
    seq: int
    market: str
    author_id: str
    collected_ms: int
    prev_ms: int | None
    """Previous point's time (None on a first sighting, where create_time stands in)."""
    d_plays: int
    d_likes: int
    d_comments: int
    d_shares: int
    d_saves: int
    plays: int
    likes: int
    comments: int
    shares: int
    saves: int
    velocity: float
    """Smoothed plays per hour."""
    engagement_rate: float
    """(likes + comments + shares + saves) / plays, from the totals."""
    entities: tuple[str, ...]
    """Entity keys: ``hashtag:NAME``, ``sound:ID``, ``creator:ID``, ``effect:ID``."""
    labels: tuple[str, ...]
    """Display names, aligned with ``entities``."""
    first_sighting: bool = False
    """Rates are lifetime rates since create_time; the delta covers only the last interval."""
    correction: bool = False
    """A late snapshot moved part of an earlier delta to the bucket where it happened."""
    decreased: bool = False
    """A counter went down; its delta was taken as zero (rates are never negative)."""
    rounded: bool = False
    """Counts were rounded by TikTok: rates are smoothed, show them to 3 figures at most."""
    wm_ms: int = 0
    """Stage 1's watermark in the video's partition before this snapshot: stage 2 applies the
    delta once every partition is past that bucket (or the delta's own, if later), so that a
    late snapshot is folded in at the same point whichever way the partitions interleave."""
    posted: bool = False
    """First sighting of a video posted within ``POSTED_WITHIN_MS`` (a new video: adoption
    evidence, see :mod:`trendmon.engine.spikes`)."""
    eligible: bool = False
    """A later sighting of a video old enough that its own curve no longer rises by itself."""
    accelerated: bool = False
    """...whose plays since its previous sighting at least doubled its own rate, beyond what
    counting noise and TikTok's rounding explain (push evidence)."""
    v: Literal[1] = 1


class TrendScore(Struct, frozen=True, gc=False, kw_only=True, tag_field="type", tag="trend_score"):
    """An entity's standing in one market and window at one tick (event time, epoch ms)."""

    v: Literal[1] = 1
    entity: str
    kind: str
    name: str
    market: str
    """A market code, or ``all``."""
    window: str
    at_ms: int
    score: float
    plays: int
    """Plays gained in the window."""
    engagements: int
    velocity: float
    """Plays per hour over the window."""
    growth: float | None
    """Plays in the window over plays in the previous window, minus one (None: no history)."""
    videos: int
    creators: int
    stage: Stage
    rank: int
    prev_rank: int | None
    is_new: bool


class Spike(Struct, frozen=True, gc=False, kw_only=True, tag_field="type", tag="spike"):
    """An entity's activity in one bucket far above its own robust baseline."""

    v: Literal[1] = 1
    spike_id: str
    entity: str
    kind: str
    name: str
    market: str
    bucket_ms: int
    """Start of the bucket that spiked (event time)."""
    detected_ms: int
    value: float
    """Plays per hour of the entity over the spike's window."""
    baseline: float
    """Its usual plays per hour (decayed average of its past: :mod:`trendmon.engine.spikes`)."""
    mad: float
    """Unused since format 2 of the detector (kept so that older records still decode)."""
    z: float
    """Strength of the evidence: ``-log10`` of the chance bound (6 = one in a million)."""
    severity: Literal["notable", "major", "extreme"]
    videos: int
    """Distinct videos of the entity seen in the spike's window (the support)."""
    evidence: SpikeEvidence = "posted"
    """What makes it a trend: ``posted``, many new videos from distinct creators; ``pushed``,
    its videos already out there sped up together; ``both``."""
    accelerating: int = 0
    """Observations of its videos already out there that doubled their own rate in the window."""
    window_s: int = 0
    """Length of the window the evidence was found in (seconds)."""
    new_videos: int = 0
    """New videos (posted within a day) first seen in the window."""
    new_creators: int = 0
    """Distinct creators of those, new to the entity within a day."""
    posting_ratio: float = 0.0
    """Its share of the market's new videos in the window over its usual share."""
    out_there: int = 0
    """Observations of its videos already out there in the window (push evidence's trials)."""
    push_ratio: float = 0.0
    """How much more often its videos sped up than the market's other videos did."""
    summary: str = ""
    """The evidence in words, e.g. "14 new videos from 12 creators in 45 min, 6x its usual
    posting; 9 of its 15 videos already out there doubled their own rate (4x the market's)"."""


class Candidate(Struct, frozen=True, gc=False, array_like=True):
    """One entity's standing on one board before ranking (stage 2 to the ranker)."""

    entity: str
    name: str
    score: float
    plays: int
    engagements: int
    velocity: float
    growth: float | None
    videos: int
    creators: int
    stage: Stage


class BoardTick(Struct, frozen=True, gc=False, kw_only=True, tag_field="type", tag="board_tick"):
    """The best entities of one stage-2 partition for every board of one window at one tick.

    Stage 2 is partitioned by entity, so no partition sees a whole board: each sends its own
    top ``board_size`` per board, and the ranker merges the ticks of every partition (the global
    top is inside the union of the partitions' tops) before it ranks.
    """

    v: Literal[1] = 1
    window: str
    at_ms: int
    full: bool
    """An hourly keyframe: every entry is published, changed or not."""
    part: int = 0
    """The stage-2 partition that computed it."""
    boards: dict[str, list[Candidate]]
    """Per board, ``kind|market``: that partition's candidates."""


class Watermark(Struct, frozen=True, gc=False, kw_only=True, tag_field="type", tag="watermark"):
    """Stage 1 tells every stage-2 partition how far in event time one of its partitions got.

    Stage 2 closes a bucket only when every stage-1 partition is past it, so
    that the deltas of one bucket are all in, whichever partition they came through.
    """

    v: Literal[1] = 1
    part: int
    at_ms: int
    """The newest event time the partition has processed."""
    first_ms: int
    """Event time of its first delta (stage 2 opens its first bucket at the earliest)."""


class EntityBatch(
    Struct, frozen=True, gc=False, kw_only=True, tag_field="type", tag="entity_batch"
):
    """Deltas of one stage-1 partition for one stage-2 partition, with where it stands.

    The distributed runtime moves deltas in batches: a Kafka record costs the framework far
    more than the engine spends on a delta. ``entities[i]`` are the entities of ``deltas[i]``
    that the receiving partition owns.
    """

    v: Literal[1] = 1
    part: int
    """The stage-1 partition that made it."""
    deltas: list[VideoDelta]
    entities: list[list[str]]
    mark: Watermark | None = None
    """That partition's progress once these deltas are made (stage 2 closes buckets on it)."""


class ForecastBatch(
    Struct, frozen=True, gc=False, kw_only=True, tag_field="type", tag="forecast_batch"
):
    """Snapshots one stage-1 partition accepted, in its order, for the hourly forecasts
    (:mod:`trendmon.forecast.partitioned`)."""

    v: Literal[1] = 1
    part: int
    snapshots: list[VideoSnapshot]


class SinkBatch(Struct, frozen=True, gc=False, kw_only=True, tag_field="type", tag="sink_batch"):
    """What the stores need of a batch: accepted snapshots and deltas, scores or spikes."""

    v: Literal[1] = 1
    snapshots: list[VideoSnapshot] = []
    deltas: list[VideoDelta] = []
    scores: list[TrendScore] = []
    spikes: list[Spike] = []


_encoder = msgspec.json.Encoder()
_snapshot_decoder = msgspec.json.Decoder(VideoSnapshot)
_any_decoder = msgspec.json.Decoder(
    VideoSnapshot | DeadLetter | SourceHealth | VideoDelta | TrendScore | Spike
)
_PATH = re.compile(r" - at `(\$[^`]*)`$")


def encode(event: Struct) -> bytes:
    """Encode any event to its JSON wire form."""
    return _encoder.encode(event)


def _schema_error(exc: msgspec.DecodeError) -> SchemaError:
    message = str(exc)
    match = _PATH.search(message)
    field = match.group(1) if match else None
    if field == "$.v":
        return SchemaVersionError(
            f"unsupported schema version ({message}); this build reads v{SCHEMA_VERSION}: "
            "upgrade trendmon to read newer events",
            field,
        )
    if isinstance(exc, msgspec.ValidationError):
        return SchemaError(f"invalid event: {message}", field)
    return SchemaError(f"not a JSON event: {message}", field)


def decode_snapshot(data: bytes | str) -> VideoSnapshot:
    """Decode and validate one ``VideoSnapshot``; raise :class:`SchemaError` naming the field."""
    try:
        return _snapshot_decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise _schema_error(exc) from None


AnyEvent = VideoSnapshot | DeadLetter | SourceHealth | VideoDelta | TrendScore | Spike


def decode_event(data: bytes | str) -> AnyEvent:
    """Decode any record of the schema, dispatching on its ``type``."""
    try:
        event: AnyEvent = _any_decoder.decode(data)
        return event
    except msgspec.DecodeError as exc:
        raise _schema_error(exc) from None


def validate(snapshot: VideoSnapshot) -> VideoSnapshot:
    """Check a snapshot built in Python against every constraint the decoder enforces.

    msgspec checks constraints only when decoding, so producers that build snapshots from dicts
    round-trip them once here; the cost is a few microseconds.
    """
    return decode_snapshot(_encoder.encode(snapshot))


def utc(ts: datetime | float | int | str) -> datetime:
    """Return an aware UTC datetime from a datetime, epoch seconds or an ISO 8601 string.

    >>> utc(0).isoformat()
    '1970-01-01T00:00:00+00:00'
    """
    if isinstance(ts, datetime):
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    if isinstance(ts, str):
        text = ts.strip()
        if text.lstrip("-").isdigit():
            return utc(int(text))
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    if isinstance(ts, float) and not math.isfinite(ts):
        raise ValueError(f"not a time: {ts!r}")
    return datetime.fromtimestamp(ts, tz=UTC)


def make_event_id(video_id: str, collected_at: datetime, source: str, stats: Stats) -> str:
    """Deterministic id of a snapshot: re-importing or re-publishing the same data gives the same
    id, which is what makes a retried publish harmless."""
    key = (
        f"{video_id}|{collected_at.astimezone(UTC).isoformat()}|{source}|"
        f"{stats.plays}|{stats.likes}|{stats.comments}|{stats.shares}|{stats.saves}"
    )
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def normalize_tag(name: str) -> str:
    """Canonical hashtag: no leading ``#``, no surrounding space, case-folded, at most MAX_NAME.

    >>> normalize_tag("  #FYP ")
    'fyp'
    """
    return name.strip().lstrip("#").strip().casefold()[:MAX_NAME]


ROUNDED_FROM = 10_000
"""TikTok shows exact counts below this, and one decimal of K, M or B from it."""


def display_step(count: int) -> int:
    """The step in which TikTok shows a count (the real samples: 427,682 followers shown as
    427,700, plays of millions in multiples of 100,000): 1 below 10,000, then 100 (one decimal
    of K), 100,000 from a million (of M), 100,000,000 from a billion (of B)."""
    if count < ROUNDED_FROM:
        return 1
    if count < 1_000_000:
        return 100
    if count < 1_000_000_000:
        return 100_000
    return 100_000_000


def counts_look_exact(stats: Stats) -> bool:
    """False when a count looks rounded the way TikTok rounds (:func:`display_step`).

    Counts below 10,000 are always exact on TikTok; above that a count that is a multiple of
    its step is taken as rounded (an exact count has that shape one time in a hundred at most).
    """
    for value in (stats.plays, stats.likes, stats.comments, stats.shares, stats.saves):
        if value is not None and value >= ROUNDED_FROM and value % display_step(value) == 0:
            return False
    return True


def new_snapshot(
    *,
    video_id: str,
    collected_at: datetime,
    source: str,
    author: Author,
    stats: Stats,
    market: str = "unknown",
    create_time: datetime | None = None,
    description: str = "",
    duration: int | None = None,
    music: Music | None = None,
    hashtags: Sequence[str] | None = None,
    effects: Sequence[Effect] | None = None,
    exact_counts: bool | None = None,
    is_ad: bool = False,
) -> VideoSnapshot:
    """Build a snapshot with its deterministic event id, normalised hashtags, and validation.

    ``exact_counts`` defaults to :func:`counts_look_exact` of the stats.
    """
    collected = utc(collected_at)
    tags: list[str] = []
    for raw in hashtags or ():
        tag = normalize_tag(raw)
        if tag and tag not in tags:
            tags.append(tag)
    snapshot = VideoSnapshot(
        event_id=make_event_id(video_id, collected, source, stats),
        video_id=video_id,
        collected_at=collected,
        source=source,
        market=market,
        create_time=utc(create_time) if create_time is not None else None,
        description=description,
        duration=duration,
        author=author,
        music=music,
        hashtags=tuple(tags),
        effects=tuple(effects or ()),
        stats=stats,
        exact_counts=counts_look_exact(stats) if exact_counts is None else exact_counts,
        is_ad=is_ad,
    )
    return validate(snapshot)


def as_dict(event: Struct) -> dict[str, Any]:
    """The event as plain JSON-compatible Python objects (for tables and exports): what its
    wire form decodes to, so arrays are lists whatever the field's type."""
    result: dict[str, Any] = msgspec.to_builtins(event)
    for name, value in result.items():
        if isinstance(value, tuple):
            result[name] = list(value)
    return result
