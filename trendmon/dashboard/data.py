"""Everything the dashboard reads, and the only module that talks to the stores.

:class:`DashboardData` wraps a :class:`~trendmon.sinks.redis.store.LiveStore` (live boards,
cards, spikes, the watermark), a :class:`~trendmon.sinks.history.HistoryStore` (series, spike
history, videos of an entity) and optionally the bus (the log's health view), whatever their
backends. Pages and callbacks call its methods and get plain dicts and lists back.

Caching: live reads are not cached (Redis answers in well under a millisecond, and a wall must
never show a board older than the change message that asked for it); history and log queries are
kept for ``ttl_s`` seconds. The history store and the bus are opened and used on one thread of
their own (:class:`~trendmon.dashboard.cache.Confined`), because SQLite connections belong to the
thread that opened them.

Errors: an unknown video or entity raises :class:`UnknownEntityError`; a store that does not
answer raises :class:`~trendmon.errors.ServiceUnavailableError`. The app turns both into a panel.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from trendmon.dashboard.cache import Confined, TTLCache
from trendmon.engine.entities import KINDS
from trendmon.engine.windows import HOUR_MS
from trendmon.errors import BusError, TerminalError
from trendmon.events import as_dict, utc
from trendmon.forecast.labels import HORIZON_H, VIDEO_AGES_H
from trendmon.forecast.observations import KINDS as FORECAST_KINDS
from trendmon.log.base import DEAD_LETTERS, SNAPSHOTS, SOURCE_HEALTH, Bus
from trendmon.log.dead_letters import reason_class
from trendmon.sinks.history import HistoryStore
from trendmon.sinks.redis.store import DESCRIPTION_CHARS, METRICS, LiveStore

__all__ = ["KINDS", "METRICS", "DashboardData", "UnknownEntityError", "VideoFilter", "reason_class"]

ENTITY_BOARD_READ: Final = 10_000
"""Most entries of an entity board read to order it by rank (boards hold ``board_size``)."""
SCAN_LIMIT: Final = 20_000
"""Most videos a filtered ranking looks through before it says it stopped looking."""
HEALTH_SPAN_MS: Final = 30 * 60_000
"""Event-time span of the log read for the per-source rates and the rounded share."""
HEALTH_READ_LIMIT: Final = 100_000
"""Most snapshots read for the rates where the bus keeps no counts of them (Kafka)."""
DEAD_LETTERS_READ: Final = 20_000
SEVERITIES: Final = ("notable", "major", "extreme")
FILTER_FIELDS: Final = ("hashtags", "verified", "followers", "music_id", "music_title")


class UnknownEntityError(TerminalError):
    """A video or entity that neither store knows (a mistyped or expired URL)."""

    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"no {what} {ident!r} in the live store or the history")
        self.what = what
        self.ident = ident




@dataclass(frozen=True)
class VideoFilter:
    """What narrows a video ranking; every field is optional."""

    hashtag: str | None = None
    """A hashtag the video carries (without ``#``, any case)."""
    sound: str | None = None
    """A sound id, or part of its title (any case)."""
    verified: bool = False
    """Only videos of verified creators."""
    min_followers: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.hashtag or self.sound or self.verified or self.min_followers)

    def matches(self, card: dict[str, Any]) -> bool:
        if self.hashtag:
            tag = self.hashtag.strip().lstrip("#").casefold()
            if tag not in (t.casefold() for t in card.get("hashtags") or ()):
                return False
        if self.sound:
            wanted = self.sound.strip().casefold()
            title = str(card.get("music_title") or "").casefold()
            if wanted != str(card.get("music_id") or "") and wanted not in title:
                return False
        if self.verified and not card.get("verified"):
            return False
        return not (self.min_followers and (card.get("followers") or 0) < self.min_followers)


def entity_key(kind: str, ident: str) -> str:
    """``hashtag:dance`` from a URL's kind and id (hashtags compared case-folded)."""
    if kind == "hashtag":
        ident = ident.strip().lstrip("#").casefold()
    return f"{kind}:{ident}"


def bins(
    points: list[tuple[int, float]], start_ms: int, end_ms: int, n: int, initial: float = 0.0
) -> list[float]:
    """``points`` (time, value; oldest first) resampled into ``n`` equal bins over
    [start, end]: each bin holds the last value seen up to its end (a step line), ``initial``
    before the first point.

    >>> bins([(0, 1.0), (7, 3.0)], 0, 10, 2)
    [1.0, 3.0]
    """
    if n <= 0 or end_ms <= start_ms:
        return []
    width = (end_ms - start_ms) / n
    result: list[float] = []
    i, last = 0, initial
    for b in range(n):
        edge = start_ms + width * (b + 1)
        while i < len(points) and points[i][0] <= edge:
            last = points[i][1]
            i += 1
        result.append(last)
    return result


def increments(values: list[float], base: float) -> list[float]:
    """Per-bin gains of a cumulative series starting from ``base`` (never negative: a count
    that went down was a correction, not negative activity).

    >>> increments([5.0, 5.0, 9.0], 2.0)
    [3.0, 0.0, 4.0]
    """
    return [max(b - a, 0.0) for a, b in zip([base, *values], values, strict=False)]


class DashboardData:
    """The dashboard's read side. See the module docstring.

    >>> data = DashboardData(live, lambda: open_history("sqlite", home=h))  # doctest: +SKIP
    >>> data.entity_board("hashtag", "all", "24h", 10)                      # doctest: +SKIP
    """

    def __init__(
        self,
        live: LiveStore,
        history: Callable[[], HistoryStore],
        bus: Callable[[], Bus] | None = None,
        *,
        ttl_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.live = live
        self._open_history = history
        self._open_bus = bus
        self._history: HistoryStore | None = None
        self._bus: Bus | None = None
        self._thread = Confined("history store")
        self.cache = TTLCache(ttl_s)
        self.clock = clock

    def close(self) -> None:
        """Close the stores (the live one too)."""

        def shut() -> None:
            if self._history is not None:
                self._history.close()
            if self._bus is not None:
                self._bus.close()

        self._thread.close(shut)
        self.live.close()

    # -- the confined stores -----------------------------------------------------------------

    def _h(self) -> HistoryStore:
        if self._history is None:
            self._history = self._open_history()
        return self._history

    def _b(self) -> Bus | None:
        if self._bus is None and self._open_bus is not None:
            self._bus = self._open_bus()
        return self._bus

    def _hist(self, key: tuple[Any, ...], query: Callable[[HistoryStore], Any]) -> Any:
        return self.cache.get_or(key, lambda: self._thread.call(lambda: query(self._h())))

    # -- live: boards, cards, spikes, freshness ---------------------------------------------

    @property
    def windows(self) -> list[str]:
        return list(self.live.windows)

    def markets(self) -> list[str]:
        """``all`` then the markets that have boards, sorted."""
        with self.live.answering():
            raw = self.live.client.smembers(f"{self.live.prefix}markets")
        return ["all", *sorted(str(m) for m in raw)]  # type: ignore[union-attr]

    def freshness(self) -> dict[str, Any]:
        """``watermark_ms`` (event time of the data), ``updated_ms`` (wall clock of the last
        write, None if never), ``now_ms`` (this server's clock, for the browser's offset)."""
        meta = self.live.meta()
        updated = meta.get("updated_at")
        updated_ms = int(datetime.fromisoformat(updated).timestamp() * 1000) if updated else None
        return {
            "watermark_ms": meta.get("watermark_ms"),
            "updated_ms": updated_ms,
            "now_ms": int(self.clock() * 1000),
            "snapshots": meta.get("snapshots", 0),
        }

    def video_board(
        self,
        metric: str,
        market: str,
        window: str,
        n: int = 50,
        where: VideoFilter | None = None,
        scan_limit: int = SCAN_LIMIT,
    ) -> dict[str, Any]:
        """The top ``n`` videos by ``metric`` that pass ``where``, as card dicts with ``rank``
        (on the unfiltered board) and ``value`` (the board score).

        Returns ``{"rows": [...], "scanned": N, "total": N, "complete": bool}``: a filter reads
        the board in chunks until it has ``n`` rows or has looked at ``scan_limit`` videos.
        """
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
        where = where or VideoFilter()
        key = self.live.board_key(metric, market, window)
        with self.live.answering():
            total = int(self.live.client.zcard(key))
        chunk = n if not where.active else max(500, n * 5)
        rows: list[dict[str, Any]] = []
        offset = 0
        while len(rows) < n and offset < min(total, scan_limit):
            entries = self.live.board(metric, market, window, chunk, offset)
            if not entries:
                break
            ids = [video_id for video_id, _ in entries]
            # A filter first reads only the fields it tests (a card has some twenty), then the
            # whole cards of the videos that pass.
            passing = self._passing(ids, where) if where.active else ids
            wanted = [(i, e) for i, e in enumerate(entries) if e[0] in passing]
            cards = self.live.videos([video_id for _, (video_id, _) in wanted])
            for (i, (_, value)), card in zip(wanted, cards, strict=True):
                if card is None or not where.matches(card):
                    continue
                rows.append({**card, "rank": offset + i + 1, "value": value})
                if len(rows) >= n:
                    break
            offset += len(entries)
        return {
            "rows": rows,
            "scanned": min(offset, total),
            "total": total,
            "complete": len(rows) >= n or offset >= total,
        }

    def _passing(self, video_ids: list[str], where: VideoFilter) -> set[str]:
        """The ids whose cards pass ``where``, reading only the fields a filter tests."""
        pipe = self.live.client.pipeline(transaction=False)
        for video_id in video_ids:
            pipe.hmget(f"{self.live.prefix}video:{video_id}", FILTER_FIELDS)
        with self.live.answering():
            answers = pipe.execute()
        passing = set()
        for video_id, values in zip(video_ids, answers, strict=True):
            raw = dict(zip(FILTER_FIELDS, values, strict=True))
            card = {
                "hashtags": json.loads(raw["hashtags"] or "[]"),
                "verified": raw["verified"] == "1",
                "followers": int(raw["followers"]) if raw["followers"] else None,
                "music_id": raw["music_id"],
                "music_title": raw["music_title"],
            }
            if where.matches(card):
                passing.add(video_id)
        return passing

    def entity_board(
        self, kind: str, market: str, window: str, n: int = 50
    ) -> list[dict[str, Any]]:
        """The top ``n`` entities of a kind by trend score: every TrendScore field, in the
        engine's rank order (score descending, ties by entity key ascending; ``boards.py``).

        The whole board is read (it holds at most the engine's ``board_size``) and ordered by
        the rank each entry was published with: between hourly keyframes the engine republishes
        an entry only when its rank, stage or score (by more than 1%) changed, so the scores
        stored beside an unchanged rank may be slightly older than it, and their order could
        disagree with the ranks on screen.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        if n <= 0:
            return []
        entries = self.live.board(kind, market, window, ENTITY_BOARD_READ)
        cards = self.live.entities([member for member, _ in entries], market, window)
        rows: list[dict[str, Any]] = []
        for (member, score), card in zip(entries, cards, strict=True):
            card = card or {"entity": member, "name": member.partition(":")[2]}
            rows.append({"kind": kind, "market": market, "window": window, **card, "score": score})
        # Stable: entries without a rank keep the board's order, after the ranked ones.
        rows.sort(key=lambda row: row.get("rank") or len(rows) + 1_000_000)
        rows = rows[:n]
        for i, row in enumerate(rows):
            row.setdefault("rank", i + 1)
        return rows

    def latest_spikes(
        self,
        n: int = 50,
        *,
        kind: str | None = None,
        market: str | None = None,
        severity: str | None = None,
        entity: str | None = None,
    ) -> list[dict[str, Any]]:
        """The newest spikes the live store keeps, filtered, newest first."""
        wanted = n if not (kind or market or severity) else max(n * 10, 200)
        rows = []
        for spike in self.live.latest_spikes(wanted, entity=entity):
            if kind and spike.get("kind") != kind:
                continue
            if market and market != "all" and spike.get("market") != market:
                continue
            if severity and spike.get("severity") != severity:
                continue
            rows.append(spike)
            if len(rows) >= n:
                break
        return rows

    def changed_boards(self, change: dict[str, Any], market: str, window: str) -> set[str]:
        """Which wall boards (``videos``, ``hashtags``, …, ``spikes``) a change message touches
        in a market and window."""
        if change.get("all"):  # the page reconnected: whatever it shows may be out of date
            return {"videos", *(kind + "s" for kind in KINDS), "spikes"}
        keys = set(change.get("boards") or ())
        changed = set()
        if self.live.board_key("velocity", market, window) in keys:
            changed.add("videos")
        for kind in KINDS:
            if self.live.board_key(kind, market, window) in keys:
                changed.add(kind + "s")
        if change.get("spikes"):
            changed.add("spikes")
        return changed

    # -- detail: a video, an entity ---------------------------------------------------------

    def video(self, video_id: str) -> dict[str, Any]:
        """A video's card: the live one, else its last snapshot in the history. The live card
        keeps the description's start only; a longer one comes whole from the history."""
        card = self.live.video(video_id)
        doc = None
        if card is not None:
            if len(card.get("description") or "") < DESCRIPTION_CHARS:
                return card
            doc = self._hist(("video", video_id), lambda h: h.video(video_id))
            return {**card, "description": (doc or card).get("description", "")}
        doc = self._hist(("video", video_id), lambda h: h.video(video_id))
        if doc is None:
            raise UnknownEntityError("video", video_id)
        author, music, stats = doc.get("author") or {}, doc.get("music") or {}, doc["stats"]
        return {
            "video_id": video_id,
            "description": doc.get("description", ""),
            "author_id": author.get("id"),
            "author": author.get("unique_id"),
            "nickname": author.get("nickname"),
            "verified": author.get("verified", False),
            "followers": author.get("followers"),
            "market": doc.get("market"),
            "music_id": music.get("id"),
            "music_title": music.get("title"),
            "hashtags": doc.get("hashtags", []),
            "create_time": doc.get("create_time"),
            **{k: stats.get(k) or 0 for k in ("plays", "likes", "comments", "shares", "saves")},
            "rounded": not doc.get("exact_counts", False),
            "collected_ms": int(datetime.fromisoformat(doc["collected_at"]).timestamp() * 1000),
        }

    def video_series(self, video_id: str, since_ms: int | None = None) -> list[dict[str, Any]]:
        """A video's counts over time, oldest first (cached)."""
        points = self._hist(
            ("video_series", video_id, since_ms), lambda h: h.video_series(video_id, since_ms)
        )
        return [dict(p) for p in points]

    def entity(self, entity: str, market: str = "all", window: str = "24h") -> dict[str, Any]:
        """An entity's latest score in a market and window: live, else its last in history.

        An entity that only appears on videos (off every board) gets a card with its name and
        ``rank`` 0; one that no store knows raises :class:`UnknownEntityError`.
        """
        card = self.live.entity(entity, market, window)
        if card is not None:
            return card
        series = self.entity_series(entity, market, window)
        if series:
            return series[-1]
        videos = self.videos_with(entity, limit=1)
        if not videos:
            kind, _, ident = entity.partition(":")
            raise UnknownEntityError(kind or "entity", ident or entity)
        kind, _, ident = entity.partition(":")
        return {
            "entity": entity,
            "kind": kind,
            "name": ident,
            "market": market,
            "window": window,
            "rank": 0,
            "score": None,
        }

    def entity_series(
        self, entity: str, market: str = "all", window: str = "24h", since_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """An entity's scores over time, oldest first, as dicts (cached)."""
        scores = self._hist(
            ("entity_series", entity, market, window, since_ms),
            lambda h: h.entity_series(entity, market, window, since_ms),
        )
        return [as_dict(s) for s in scores]

    def videos_with(self, entity: str, limit: int = 50) -> list[dict[str, Any]]:
        """Latest snapshots (wire form) of the videos that carry ``entity`` (cached)."""
        docs: list[dict[str, Any]] = self._hist(
            ("videos_with", entity, limit), lambda h: h.videos_with(entity, limit=limit)
        )
        return docs

    def spike_history(
        self,
        *,
        since_ms: int | None = None,
        until_ms: int | None = None,
        kind: str | None = None,
        market: str | None = None,
        entity: str | None = None,
        severity: str | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        """Spikes from the history store, newest first (cached); ``market`` ``all`` means every
        market's spikes, not only the ``all`` boards'."""
        spikes = self._hist(
            ("spikes", since_ms, until_ms, kind, market, entity, limit),
            lambda h: h.spikes(
                since_ms=since_ms,
                until_ms=until_ms,
                kind=kind,
                market=None if market in (None, "", "any") else market,
                entity=entity,
                limit=limit,
            ),
        )
        rows = [as_dict(s) for s in spikes]
        return [r for r in rows if not severity or r["severity"] == severity]

    def next_up(self, market: str = "all", n: int = 20) -> list[dict[str, Any]]:
        """The latest hour's forecasts of hashtags and sounds not in their top 20 now, most
        likely to enter it first (empty when the runtime scores none: docs/forecasts.md)."""
        end = self.freshness()["watermark_ms"]
        if end is None:
            return []
        # Forecasts are made at whole hours of event time: the latest are of the watermark's
        # hour or the one before. One cache key for all of an hour's reads.
        since = int(end) // HOUR_MS * HOUR_MS - HOUR_MS
        records: list[dict[str, Any]] = self._hist(
            ("forecasts", since), lambda h: h.forecasts(since_ms=since)
        )
        entities = [r for r in records if r.get("entity_type") in ("hashtag", "sound")]
        if not entities:
            return []
        latest = max(r["made_ms"] for r in entities)
        rows = [
            {**r, "name": ("#" if r["entity_type"] == "hashtag" else "") + str(r["entity"]),
             "kind": r["entity_type"], "entity": r["entity_key"]}
            for r in entities
            if r["made_ms"] == latest and r["market"] == market and not r.get("in_top20_now")
        ]  # fmt: skip
        rows.sort(key=lambda r: (-float(r["p_top20"]), r["entity"]))
        return rows[:n]

    def entity_forecasts(
        self, entity: str, market: str, since_ms: int, until_ms: int
    ) -> list[dict[str, Any]]:
        """The entity's hourly forecasts (chance of its top 20 within the horizon) in
        ``market``, made from ``since_ms`` to ``until_ms`` (whole hours), oldest first."""
        if entity.partition(":")[0] not in FORECAST_KINDS:
            return []
        first, last = -(-since_ms // HOUR_MS), until_ms // HOUR_MS
        ids = [f"{entity}|{market}|{h * HOUR_MS}|{HORIZON_H}" for h in range(first, last + 1)]
        records: list[dict[str, Any]] = self._hist(
            ("entity_forecasts", entity, market, first, last),
            lambda h: h.forecasts(ids=ids),
        )
        return records

    def video_forecasts(self, video_id: str) -> list[dict[str, Any]]:
        """The video's forecasts of its plays at 24 hours, made at 1, 3 and 6 hours of age
        (those the runtime scored), earliest first."""
        ids = [f"video:{video_id}|{age}" for age in VIDEO_AGES_H]
        records: list[dict[str, Any]] = self._hist(
            ("video_forecasts", video_id), lambda h: h.forecasts(ids=ids)
        )
        return records

    def sparkline(
        self, kind: str, ident: str, market: str, window: str, n: int = 24
    ) -> list[float]:
        """Values for a small chart over ``window`` up to the watermark: a video's plays gained
        per bin, or an entity's trend score."""
        end = self.live.meta().get("watermark_ms") or int(self.clock() * 1000)
        start = end - self.live.windows.get(window, 86_400_000)
        if kind == "video":
            points = [(p["collected_ms"], float(p["plays"])) for p in self.video_series(ident)]
            if not points:
                return []
            before = [v for t, v in points if t <= start]
            base = before[-1] if before else points[0][1]
            return increments(bins(points, start, end, n, initial=base), base)
        scores = self.entity_series(ident, market, window, since_ms=start)
        return bins([(s["at_ms"], float(s["score"])) for s in scores], start, end, n)

    # -- the log: data health ---------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """The data health view (cached): log topics, per-source rates, engine lag, scraper
        targets, dead letters by reason, the share of rounded counts."""
        now_ms = int(self.clock() * 1000)
        fresh = self.freshness()
        result: dict[str, Any] = self.cache.get_or(
            ("health",), lambda: self._thread.call(self._read_health)
        )
        updated_ms, watermark = fresh["updated_ms"], fresh["watermark_ms"]
        log_end = (result.get("topics", {}).get(SNAPSHOTS) or {}).get("last_ts_ms")
        return {
            **result,
            "now_ms": now_ms,
            "watermark_ms": watermark,
            "updated_ms": updated_ms,
            "engine_idle_s": None if updated_ms is None else (now_ms - updated_ms) / 1000,
            "event_lag_s": None if watermark is None else (now_ms - watermark) / 1000,
            "behind_log_s": (
                None if log_end is None or watermark is None else max(log_end - watermark, 0) / 1000
            ),
        }

    def _read_health(self) -> dict[str, Any]:
        bus = self._b()
        if bus is None:
            return {"available": False, "topics": {}}
        topics: dict[str, dict[str, Any]] = {}
        for topic in (SNAPSHOTS, DEAD_LETTERS, SOURCE_HEALTH):
            try:
                stats = bus.stats(topic)
            except BusError:
                continue
            topics[topic] = {
                "records": stats.records,
                "first_ts_ms": stats.first_ts_ms,
                "last_ts_ms": stats.last_ts_ms,
                "next_offset": stats.next_offset,
                "first_offset": stats.first_offset,
            }
        return {
            "available": True,
            "topics": topics,
            **self._snapshot_rates(bus, topics.get(SNAPSHOTS)),
            "sources": self._source_health(bus, topics.get(SOURCE_HEALTH)),
            "dead_letters": self._dead_letters(bus, topics.get(DEAD_LETTERS)),
        }

    @staticmethod
    def _snapshot_rates(bus: Bus, stats: dict[str, Any] | None) -> dict[str, Any]:
        if not stats or not stats["records"]:
            return {"rates": [], "per_minute": {}, "rounded_share": None, "span_ms": None}
        end = stats["last_ts_ms"]
        per_minute: dict[str, Counter[int]] = defaultdict(Counter)
        total = rounded = 0
        lo = hi = None
        kept = None if end is None else bus.tallies(SNAPSHOTS, end - HEALTH_SPAN_MS + 1)
        if kept is not None:  # the counts the log keeps: a few rows per minute and source
            for t in kept:
                per_minute[t.tally][t.minute_ms] += t.records
                total += t.records
                rounded += t.records if t.flagged else 0
            seen = [t.minute_ms for t in kept]
            lo, hi = (min(seen), max(seen)) if seen else (None, None)
        else:  # Kafka keeps no counts and knows no event times cheaply: the newest records
            first = max(stats["next_offset"] - 20_000, stats["first_offset"] or 0)
            for record in bus.read(SNAPSHOTS, from_offset=first, limit=HEALTH_READ_LIMIT):
                try:
                    doc = json.loads(record.value)
                except ValueError:
                    continue
                minute = record.timestamp_ms // 60_000 * 60_000
                per_minute[str(doc.get("source", "?"))][minute] += 1
                total += 1
                rounded += not doc.get("exact_counts", False)
                lo = minute if lo is None else min(lo, minute)
                hi = minute if hi is None else max(hi, minute)
        minutes = 1 if lo is None or hi is None else (hi - lo) // 60_000 + 1
        rates: list[dict[str, Any]] = [
            {
                "source": source,
                "events": sum(counts.values()),
                "per_minute": sum(counts.values()) / minutes,
                "last_minute": counts.get(hi or 0, 0),
            }
            for source, counts in per_minute.items()
        ]
        rates.sort(key=lambda r: (-r["events"], r["source"]))
        return {
            "rates": rates,
            "per_minute": {s: sorted(c.items()) for s, c in per_minute.items()},
            "rounded_share": rounded / total if total else None,
            "span_ms": None if lo is None or hi is None else hi - lo + 60_000,
        }

    @staticmethod
    def _source_health(bus: Bus, stats: dict[str, Any] | None) -> list[dict[str, Any]]:
        if not stats or not stats["records"]:
            return []
        latest: dict[str, dict[str, Any]] = {}
        first = max(stats["next_offset"] - DEAD_LETTERS_READ, stats["first_offset"] or 0)
        for record in bus.read(SOURCE_HEALTH, from_offset=first):
            try:
                doc = json.loads(record.value)
            except ValueError:
                continue
            target = str(doc.get("target", "?"))
            held = latest.get(target)
            if held is None or str(doc.get("checked_at")) >= str(held.get("checked_at")):
                latest[target] = doc
        return sorted(latest.values(), key=lambda d: str(d.get("target")))

    @staticmethod
    def _dead_letters(bus: Bus, stats: dict[str, Any] | None) -> list[dict[str, Any]]:
        if not stats or not stats["records"]:
            return []
        reasons: Counter[str] = Counter()
        last: dict[str, str] = {}
        kept = bus.tallies(DEAD_LETTERS)
        if kept is not None:  # the counts the log keeps, by reason and minute
            newest: dict[str, int] = {}
            for t in kept:
                reasons[t.tally] += t.records
                newest[t.tally] = max(newest.get(t.tally, t.last_ms), t.last_ms)
            return [
                {"reason": reason, "count": n, "last_at": _iso(newest[reason])}
                for reason, n in reasons.most_common()
            ]
        first = max(stats["next_offset"] - DEAD_LETTERS_READ, stats["first_offset"] or 0)
        for record in bus.read(DEAD_LETTERS, from_offset=first):
            try:
                doc = json.loads(record.value)
            except ValueError:
                doc = {"reason": "unreadable dead letter"}
            reason = reason_class(str(doc.get("reason", "?")), doc.get("field"))
            reasons[reason] += 1
            last[reason] = str(doc.get("at", ""))
        return [
            {"reason": reason, "count": n, "last_at": last[reason]}
            for reason, n in reasons.most_common()
        ]


def _iso(ms: int) -> str:
    """An event time as the wire writes it (``2026-01-05T09:00:00Z``)."""
    return utc(ms / 1000).isoformat().replace("+00:00", "Z")
