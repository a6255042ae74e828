"""The history store: snapshot history, score history and spikes, behind one small interface.

Two implementations answer the same queries the same way:

- :class:`~trendmon.sinks.sqlite.history.SqliteHistory` (embedded, the default): a SQLite file
  under ``TRENDMON_HOME``;
- :class:`~trendmon.sinks.mongo.history.MongoHistory` (distributed): MongoDB, or FerretDB v1.

Both import this module, which imports neither; :func:`~trendmon.sinks.factory.open_history`
opens one.

Writes are append-only and idempotent: every row has a deterministic id (a snapshot's
``event_id``; ``entity|market|window|at_ms`` for a score; a spike's ``spike_id``), and a row whose
id is already stored is skipped, so a replayed or retried batch changes nothing. Snapshots are
also unique on (video id, collection time): two scrapers that saw the same video at the same
millisecond leave one point in its series.

Every query is an equality filter on indexed fields plus at most a range on a time field, which
is what FerretDB v1 can serve (see ``docs/architecture.md``, "FerretDB v1 and the history
queries"):

- ``board_at`` rebuilds a board as it stood: the engine publishes every board in full when an
  hour closes (a *keyframe*) and, between keyframes, only the entries that changed (rank, stage,
  new entry, a leaver, or a score that moved by more than the engine's tolerance). A small
  ``ticks`` table (one row per board and tick) finds the last keyframe at or before the asked
  time; the board's rows from there to that time, latest per entity, are the board
  (:func:`rebuild_board`);
- ``videos_with`` filters on the snapshot's entity keys (``hashtag:dance``, ``sound:ID``,
  ``creator:ID``, ``effect:ID``, see :func:`entity_keys`), stored as an indexed array.

Times are epoch milliseconds (event time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypedDict

from trendmon.engine.entities import entities_of
from trendmon.events import Spike, TrendScore, VideoSnapshot, utc
from trendmon.forecast.forecaster import EntityForecast, VideoForecast
from trendmon.settings import DEFAULT_NAMESPACE, check_namespace

COLLECTIONS = ("snapshots", "scores", "spikes")
"""What :meth:`HistoryStore.counts` reports, in this order."""


class SeriesPoint(TypedDict):
    """One point of a video's series (:meth:`HistoryStore.video_series`)."""

    collected_ms: int
    plays: int
    likes: int
    comments: int
    shares: int
    saves: int
    """0 when the snapshot had no saves count."""


class HistoryStore(Protocol):
    """What the engine's sinks write and the dashboard reads. Both backends pass one test suite."""

    def write(
        self,
        snapshots: list[VideoSnapshot],
        scores: list[TrendScore],
        spikes: list[Spike],
    ) -> None:
        """Store a batch. Idempotent: rows already stored (same id) are skipped."""
        ...

    def video_series(
        self, video_id: str, since_ms: int | None = None, until_ms: int | None = None
    ) -> list[SeriesPoint]:
        """A video's counts over time, oldest first; both bounds inclusive."""
        ...

    def video(self, video_id: str) -> dict[str, Any] | None:
        """The video's latest snapshot as a JSON-compatible dict (its wire form), or None."""
        ...

    def holds(self, event_ids: Iterable[str]) -> bool:
        """Whether every one of these snapshots (by event id) is stored."""
        ...

    def entity_series(
        self,
        entity: str,
        market: str = "all",
        window: str = "24h",
        since_ms: int | None = None,
        until_ms: int | None = None,
    ) -> list[TrendScore]:
        """An entity's scores in one market and window, oldest first; bounds on ``at_ms``."""
        ...

    def spikes(
        self,
        since_ms: int | None = None,
        until_ms: int | None = None,
        kind: str | None = None,
        market: str | None = None,
        entity: str | None = None,
        limit: int = 500,
    ) -> list[Spike]:
        """Spikes newest first (by ``detected_ms``, bounds inclusive), optionally filtered."""
        ...

    def board_at(
        self, kind: str, market: str, window: str, at_ms: int, n: int = 50
    ) -> list[TrendScore]:
        """The board as it stood at ``at_ms``: the last tick at or before it, by rank."""
        ...

    def videos_with(
        self, entity: str, since_ms: int | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Latest snapshots (wire-form dicts) of the videos carrying ``entity``, most recently
        seen first; ``since_ms`` keeps videos seen with it at or after that time."""
        ...

    def write_forecasts(self, records: list[dict[str, Any]]) -> None:
        """Store forecast records (:func:`forecast_records`). Idempotent on their ``id``."""
        ...

    def forecasts(
        self,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 10_000_000,
        ids: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Forecast records made between the bounds (inclusive), oldest first (by made time,
        then id); only those of ``ids`` when given (a video's: ``video:ID|AGE``)."""
        ...

    def counts(self) -> dict[str, int]:
        """Rows per collection: ``{"snapshots": …, "scores": …, "spikes": …}``."""
        ...

    def clear(self) -> None:
        """Delete everything in this namespace."""
        ...

    def close(self) -> None:
        """Release the connection; the store cannot be used afterwards."""
        ...


def entity_keys(snapshot: VideoSnapshot) -> list[str]:
    """The entity keys a snapshot carries: the engine's own (:func:`entities_of`), so that a
    detail page finds a video under exactly the key its scores were computed for.

    >>> from trendmon.events import Author, Stats, new_snapshot, utc
    >>> s = new_snapshot(video_id="1", collected_at=utc(0), source="trending",
    ...     author=Author(id="42", unique_id="a"), hashtags=["#Dance"],
    ...     stats=Stats(plays=1, likes=0, comments=0, shares=0))
    >>> entity_keys(s)
    ['hashtag:dance', 'creator:42']
    """
    return list(entities_of(snapshot)[0])


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def collected_ms(snapshot: VideoSnapshot) -> int:
    """The snapshot's collection time in epoch milliseconds (floored, exact)."""
    # Integer arithmetic: a float timestamp would round some milliseconds the other way.
    delta = snapshot.collected_at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def score_id(score: TrendScore) -> str:
    """Deterministic id of a score row: ``entity|market|window|at_ms``."""
    return f"{score.entity}|{score.market}|{score.window}|{score.at_ms}"


KEYFRAME_MS = 3_600_000
"""Boards are published in full at every whole hour of event time (see trendmon.engine.trends)."""


def rebuild_board(rows: Iterable[TrendScore], n: int) -> list[TrendScore]:
    """The board from its rows since a keyframe: each entity's latest row, leavers dropped."""
    latest: dict[str, TrendScore] = {}
    for row in sorted(rows, key=lambda r: r.at_ms):
        latest[row.entity] = row
    ranked = sorted((r for r in latest.values() if r.rank > 0), key=lambda r: (r.rank, r.entity))
    return ranked[:n]


def board_ticks(scores: Iterable[TrendScore]) -> set[tuple[str, str, str, int]]:
    """The (kind, market, window, at_ms) ticks a batch of scores belongs to."""
    return {(s.kind, s.market, s.window, s.at_ms) for s in scores}


def namespaced(name: str, namespace: str) -> str:
    """``name`` for the live namespace, ``name_{namespace}`` for any other (a replay).

    >>> namespaced("trendmon", "replay1")
    'trendmon_replay1'
    """
    check_namespace(namespace)
    return name if namespace == DEFAULT_NAMESPACE else f"{name}_{namespace}"


def _iso(ms: int) -> str:
    return utc(ms / 1000).strftime("%Y-%m-%dT%H:%M:%SZ")


def forecast_records(
    entities: Iterable[EntityForecast], videos: Iterable[VideoForecast]
) -> list[dict[str, Any]]:
    """Forecasts as the documented export records (``trendmon history forecasts``), each with
    a deterministic ``id`` and its ``made_ms`` (what the stores index)."""
    out: list[dict[str, Any]] = []
    for e in entities:
        out.append(
            {
                "id": f"{e.key}|{e.market}|{e.made_ms}|{e.horizon_h}",
                "made_ms": e.made_ms,
                "entity_type": e.kind,
                "entity": e.key.partition(":")[2],
                "entity_key": e.key,
                "market": e.market,
                "made_at": _iso(e.made_ms),
                "horizon_h": e.horizon_h,
                "p_top20": e.p_top20,
                "in_top20_now": e.in_top20_now,
                "method": e.method,
                "backtest_hit_rate": e.hit_rate,
            }
        )
    for v in videos:
        out.append(
            {
                "id": f"video:{v.video_id}|{v.age_h}",
                "made_ms": v.made_ms,
                "entity_type": "video",
                "video_id": v.video_id,
                "market": v.market,
                "made_at": _iso(v.made_ms),
                "age_h": v.age_h,
                "horizon_h": 24 - v.age_h,
                "plays_24h": v.plays_24h,
                "plays_24h_low": v.plays_24h_low,
                "plays_24h_high": v.plays_24h_high,
                "method": v.method,
            }
        )
    return out
