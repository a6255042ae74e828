"""The live store: leaderboards, video and entity cards, spikes and a push channel in Redis.

Everything the wall display shows live comes from here; history lives in the history store.
``N`` is the namespace (``TRENDMON_REDIS_NAMESPACE``, default ``tm``): every key starts with
``N:``, so a replay can rebuild into another namespace beside the live one. ``{market}`` is a
market code (``US``) or ``all``; ``{window}`` one of the engine's windows (``1h``, ``24h``,
``7d``); ``{metric}`` one of ``plays, likes, comments, shares, engagement, velocity``.

==============================================  =====  ============================================
key                                             type   holds
==============================================  =====  ============================================
``N:video:{video_id}``                          hash   the video card: ``description`` (first 300
                                                       characters), ``author_id``, ``author``
                                                       (unique_id), ``nickname``, ``verified``,
                                                       ``followers``, ``market``, ``music_id``,
                                                       ``music_title``, ``hashtags`` (JSON list),
                                                       ``create_time`` (RFC 3339), ``card_ms`` (the
                                                       snapshot it came from); and from the latest
                                                       delta ``plays``, ``likes``, ``comments``,
                                                       ``shares``, ``saves``, ``velocity``,
                                                       ``engagement_rate``, ``rounded``, ``seq``,
                                                       ``collected_ms``
``N:board:video:{metric}:{market}:{window}``    zset   video ids by total plays/likes/comments/
                                                       shares, by engagement rate (only videos with
                                                       at least ``min_plays_for_rate`` plays), or by
                                                       smoothed velocity; in the video's market and
                                                       ``all``; only videos seen within the window
``N:seen:{market}``                             zset   video id -> last collected_ms (drives
                                                       pruning)
``N:markets``                                   set    markets that have video boards
``N:board:{kind}:{market}:{window}``            zset   entity keys (``hashtag:fyp``) by trend score;
                                                       kind is hashtag, sound, creator or effect
``N:entity:{entity}:{market}:{window}``         hash   every TrendScore field (rank 0: off the
                                                       board)
``N:spikes``                                    zset   spike id -> detected_ms, the newest
                                                       ``spikes_kept``
``N:spike:{spike_id}``                          str    the Spike as JSON (the event's wire form)
``N:spikes:{entity}``                           zset   an entity's spike ids -> detected_ms
``N:meta``                                      hash   ``watermark_ms`` (event time), ``updated_at``
                                                       (wall clock of the last write, ISO 8601),
                                                       ``snapshots`` (snapshots absorbed: the sum of
                                                       the videos' latest ``seq``, seqs counting
                                                       from 1), ``cutoff:{window}`` (pruned up to)
``N:changes``                                   pub/   one JSON message per write batch:
                                                sub    ``{"at_ms", "boards", "videos", "spikes"}``
==============================================  =====  ============================================

**Order.** Every board is read in one total order: score descending, ties broken by member
(video id or entity key) ascending, which is the order in which the engine ranks entity boards
(``trendmon/engine/boards.py``). Redis's own reverse order would list tied members descending;
:meth:`LiveStore.board` reads pages through a script that puts each tie in ascending order.
Entity boards hold the engine's ranked entries (at most its ``board_size``; an entity that
leaves is removed). Video boards hold every video seen within their window and are pruned by
window only, never trimmed by rank: a trim would make a board depend on where batch boundaries
fell, since velocity and engagement rate go down as well as up. Readers take the top they need.

Writes are idempotent, as every sink's must be (``docs/architecture.md``, "Delivery guarantees"):
absolute values behind a version guard, checked on the server by Lua scripts (:mod:`.scripts`). A
video's numbers and board scores move only for a newer ``seq``, its card text only for a newer
snapshot, an entity only for a newer ``at_ms``; the watermark and the pruning cutoffs only forward.
Replaying a batch changes nothing, and replaying an older one after a newer one changes nothing
either.

"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, cast

import redis
from redis.client import PubSub

from trendmon.errors import ServiceUnavailableError
from trendmon.events import Spike, TrendScore, VideoDelta, VideoSnapshot, encode
from trendmon.settings import (
    DEFAULT_NAMESPACE,
    EngineSettings,
    RedisSettings,
    check_namespace,
    load,
)
from trendmon.sinks.redis import scripts
from trendmon.sinks.redis.client import SERVICE, TRANSIENT, RedisConnection, connect
from trendmon.sinks.redis.configuration import windows_ms

__all__ = ["METRICS", "ChangeFeed", "LiveStore"]

METRICS: Final = scripts.METRICS
DESCRIPTION_CHARS: Final = 300
MAX_CHANGED_VIDEOS: Final = 500

_VIDEO_TYPES: Final[dict[str, str]] = {
    "verified": "bool",
    "rounded": "bool",
    "followers": "int?",
    "plays": "int",
    "likes": "int",
    "comments": "int",
    "shares": "int",
    "saves": "int",
    "seq": "int",
    "collected_ms": "int",
    "card_ms": "int",
    "velocity": "float",
    "engagement_rate": "float",
    "hashtags": "json",
}
_ENTITY_TYPES: Final[dict[str, str]] = {
    "v": "int",
    "at_ms": "int",
    "score": "float",
    "plays": "int",
    "engagements": "int",
    "velocity": "float",
    "growth": "float?",
    "videos": "int",
    "creators": "int",
    "rank": "int",
    "prev_rank": "int?",
    "is_new": "bool",
}


def _num(value: float | int) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float | int):
        return _num(value)
    return str(value)


def _decode(raw: dict[str, str], types: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in raw.items():
        kind = types.get(name, "str")
        if kind.endswith("?"):
            if value == "":
                result[name] = None
                continue
            kind = kind[:-1]
        if kind == "int":
            result[name] = int(value)
        elif kind == "float":
            result[name] = float(value)
        elif kind == "bool":
            result[name] = value == "1"
        elif kind == "json":
            result[name] = json.loads(value)
        else:
            result[name] = value
    return result


class ChangeFeed:
    """The ``N:changes`` channel: one decoded message per write batch.

    >>> with store.subscribe() as feed:      # doctest: +SKIP
    ...     change = feed.get(timeout=15)    # None when nothing came (send a heartbeat)
    """

    def __init__(self, pubsub: PubSub, address: str) -> None:
        self._pubsub = pubsub
        self._address = address

    def get(self, timeout: float = 1.0) -> dict[str, Any] | None:
        """The next change message, or None after ``timeout`` seconds without one."""
        try:
            message = self._pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        except TRANSIENT as exc:
            raise ServiceUnavailableError(
                f"Redis at {self._address} stopped answering ({exc}); subscribe again once it "
                "is back",
                SERVICE,
            ) from exc
        if message is None or message.get("type") != "message":
            return None
        change: dict[str, Any] = json.loads(message["data"])
        return change

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every change message, forever (use :meth:`get` to wake up for heartbeats)."""
        while True:
            change = self.get(timeout=5.0)
            if change is not None:
                yield change

    def close(self) -> None:
        self._pubsub.close()

    def __enter__(self) -> ChangeFeed:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class LiveStore:
    """Live boards and cards in one Redis namespace.

    Open one with :meth:`open` (settings, embedded server or URL) or wrap an existing client::

        with LiveStore.open(home=Path(".trendmon")) as store:
            store.write(snapshots, deltas, scores, spikes, watermark_ms=...)
            store.board("plays", "US", "24h", 10)   # [("7001…", 1520000.0), …]
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        spikes_kept: int = 500,
        windows: str | Sequence[str] = "1h,24h,7d",
        min_plays_for_rate: int = 1000,
        address: str = "Redis",
    ) -> None:
        check_namespace(namespace)
        self.client = client
        self.namespace = namespace
        self.prefix = f"{namespace}:"
        self.spikes_kept = spikes_kept
        lengths = windows_ms(windows if isinstance(windows, str) else list(windows))
        self.windows: dict[str, int] = dict(sorted(lengths.items(), key=lambda item: item[1]))
        self.min_plays_for_rate = min_plays_for_rate
        self.address = address
        self.channel = f"{self.prefix}changes"
        self._windows_arg = ",".join(self.windows)
        self._connection: RedisConnection | None = None
        self._boards_of: dict[tuple[str, bool], list[str]] = {}
        self._video = client.register_script(scripts.VIDEO)
        self._entity = client.register_script(scripts.ENTITY)
        self._spikes = client.register_script(scripts.SPIKES)
        self._prune = client.register_script(scripts.PRUNE)
        self._page = client.register_script(scripts.PAGE)

    @classmethod
    def open(
        cls,
        settings: RedisSettings | None = None,
        *,
        home: Path | None = None,
        windows: str | Sequence[str] | None = None,
        namespace: str | None = None,
    ) -> LiveStore:
        """Connect as the settings say and return a store that owns (and closes) the connection.

        ``windows`` defaults to ``TRENDMON_ENGINE_WINDOWS``, ``namespace`` to the setting.
        """
        settings = settings if settings is not None else load(RedisSettings)
        connection = connect(settings, home=home)
        store = cls(
            connection.client,
            namespace=namespace or settings.namespace,
            spikes_kept=settings.spikes_kept,
            windows=windows if windows is not None else load(EngineSettings).windows,
            address=connection.address,
        )
        store._connection = connection
        return store

    def close(self) -> None:
        """Close the connection if this store opened it (and the embedded server if last)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def __enter__(self) -> LiveStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Turn Redis connection failures inside the block into ServiceUnavailableError."""
        try:
            yield
        except TRANSIENT as exc:
            raise ServiceUnavailableError(
                f"Redis at {self.address} stopped answering ({type(exc).__name__}: {exc!s:.200}) "
                "after retries; check that it runs (TRENDMON_REDIS_URL, or the embedded server "
                "under TRENDMON_HOME), then retry: writes are idempotent",
                SERVICE,
            ) from exc

    # -- keys -------------------------------------------------------------------------------

    def board_key(self, kind_or_metric: str, market: str, window: str) -> str:
        """``N:board:video:plays:US:24h`` for a metric, ``N:board:hashtag:US:24h`` for a kind."""
        if kind_or_metric in METRICS:
            return f"{self.prefix}board:video:{kind_or_metric}:{market}:{window}"
        return f"{self.prefix}board:{kind_or_metric}:{market}:{window}"

    def _video_boards(self, market: str, rated: bool) -> list[str]:
        boards = self._boards_of.get((market, rated))
        if boards is None:
            boards = self._boards_of[market, rated] = [
                self.board_key(metric, m, window)
                for window in self.windows
                for m in (market, "all")
                for metric in METRICS
                if rated or metric != "engagement"
            ]
        return boards

    # -- writes -----------------------------------------------------------------------------

    def write(
        self,
        snapshots: Sequence[VideoSnapshot],
        deltas: Sequence[VideoDelta],
        scores: Sequence[TrendScore],
        spikes: Sequence[Spike],
        watermark_ms: int | None,
    ) -> dict[str, Any]:
        """Apply one batch of engine output and publish one change message; return the message.

        Two pipelined round trips whatever the batch size (plus redis-py's check that the
        scripts are loaded): the guarded writes, then the trims, ``N:meta`` and the message.
        Only each video's newest delta and snapshot in the batch are sent. With a watermark,
        the window boards are pruned to it in the same round trip.
        """
        latest: dict[str, VideoDelta] = {}
        for delta in deltas:
            kept = latest.get(delta.video_id)
            if kept is None or delta.seq >= kept.seq:
                latest[delta.video_id] = delta
        cards: dict[str, VideoSnapshot] = {}
        for snapshot in snapshots:
            held = cards.get(snapshot.video_id)
            if held is None or snapshot.collected_at >= held.collected_at:
                cards[snapshot.video_id] = snapshot
        newest: dict[tuple[str, str, str], TrendScore] = {}
        for score in scores:
            key = (score.entity, score.market, score.window)
            seen = newest.get(key)
            if seen is None or score.at_ms >= seen.at_ms:
                newest[key] = score
        video_ids = list(latest) + [v for v in cards if v not in latest]

        with self.answering():
            pipe = self.client.pipeline(transaction=False)
            for video_id in video_ids:
                self._video(
                    keys=[f"{self.prefix}video:{video_id}"],
                    args=self._video_args(video_id, latest.get(video_id), cards.get(video_id)),
                    client=pipe,
                )
            for score in newest.values():
                self._entity(
                    keys=[
                        f"{self.prefix}entity:{score.entity}:{score.market}:{score.window}",
                        self.board_key(score.kind, score.market, score.window),
                    ],
                    args=self._entity_args(score),
                    client=pipe,
                )
            if spikes:
                args: list[str | int] = [self.prefix, self.spikes_kept]
                for spike in spikes:
                    body = encode(spike).decode()
                    args += [spike.spike_id, spike.detected_ms, spike.entity, body]
                self._spikes(keys=[], args=args, client=pipe)
            if watermark_ms is not None:
                self._prune(keys=[], args=self._prune_args(watermark_ms), client=pipe)
            results = pipe.execute() if len(pipe) else []

            boards: set[str] = set()
            changed_videos: list[str] = []
            for video_id, outcome in zip(video_ids, results, strict=False):
                if outcome:
                    changed_videos.append(video_id)
                applied = latest.get(video_id)
                if outcome & 1 and applied is not None:
                    rated = applied.plays >= self.min_plays_for_rate
                    boards.update(self._video_boards(applied.market, rated))
            rest = iter(results[len(video_ids) :])
            for score, outcome in zip(newest.values(), rest, strict=False):
                if outcome:
                    boards.add(self.board_key(score.kind, score.market, score.window))
            new_spikes: list[str] = list(next(rest)) if spikes else []
            pruned: list[str] = list(next(rest)) if watermark_ms is not None else []
            change = {
                "at_ms": watermark_ms,
                "boards": sorted(boards | set(pruned)),
                "videos": sorted(changed_videos)[:MAX_CHANGED_VIDEOS],
                "spikes": new_spikes,
            }

            pipe = self.client.pipeline(transaction=False)
            pipe.hset(f"{self.prefix}meta", "updated_at", datetime.now(UTC).isoformat())
            pipe.publish(self.channel, json.dumps(change, separators=(",", ":")))
            pipe.execute()
        return change

    def _video_args(
        self, video_id: str, delta: VideoDelta | None, snapshot: VideoSnapshot | None
    ) -> list[str]:
        args = [self.prefix, video_id, str(self.min_plays_for_rate), self._windows_arg]
        if delta is None:
            args += [""] * 12
        else:
            args += [
                str(delta.seq),
                str(delta.collected_ms),
                delta.market,
                delta.author_id,
                str(delta.plays),
                str(delta.likes),
                str(delta.comments),
                str(delta.shares),
                str(delta.saves),
                _num(delta.velocity),
                _num(delta.engagement_rate),
                "1" if delta.rounded else "0",
            ]
        if snapshot is None:
            args.append("")
            return args
        author, music = snapshot.author, snapshot.music
        args += [
            str(int(snapshot.collected_at.timestamp() * 1000)),
            "description", snapshot.description[:DESCRIPTION_CHARS],
            "author_id", author.id,
            "author", author.unique_id,
            "nickname", author.nickname,
            "verified", _text(author.verified),
            "followers", _text(author.followers),
            "market", snapshot.market,
            "music_id", music.id if music else "",
            "music_title", music.title if music else "",
            "hashtags", json.dumps(snapshot.hashtags, ensure_ascii=False),
            "create_time",
            snapshot.create_time.isoformat().replace("+00:00", "Z") if snapshot.create_time else "",
        ]  # fmt: skip
        return args

    @staticmethod
    def _entity_args(score: TrendScore) -> list[str]:
        args = [str(score.at_ms), _num(score.score), str(score.rank), score.entity]
        for name in score.__struct_fields__:
            args += [name, _text(getattr(score, name))]
        return args

    def _prune_args(self, watermark_ms: int, windows: Iterable[str] | None = None) -> list[str]:
        lengths = self.windows if windows is None else windows_ms(list(windows))
        largest = list(self.windows)[-1]
        args = [self.prefix, str(watermark_ms), largest if largest in lengths else ""]
        for name, length in sorted(lengths.items(), key=lambda item: item[1]):
            args += [name, str(length)]
        return args

    def prune(self, watermark_ms: int, windows: Iterable[str] | None = None) -> list[str]:
        """Move the watermark to ``watermark_ms`` and drop from each window's video boards the
        videos not seen since ``watermark_ms - window``; return the boards that changed.

        :meth:`write` does this itself when given a watermark; a change message is published
        here only when a board changed. ``windows`` defaults to the store's windows; past the
        largest of those, videos are forgotten altogether (card included).
        """
        with self.answering():
            changed = sorted(self._prune(keys=[], args=self._prune_args(watermark_ms, windows)))
            if changed:
                change = {"at_ms": watermark_ms, "boards": changed, "videos": [], "spikes": []}
                self.client.publish(self.channel, json.dumps(change, separators=(",", ":")))
        return changed

    # -- reads ------------------------------------------------------------------------------

    def board(
        self, kind_or_metric: str, market: str, window: str, n: int, offset: int = 0
    ) -> list[tuple[str, float]]:
        """The top ``n`` of a board from ``offset``, best first: ``[(id, score), …]``, in the
        boards' total order (score descending, ties by id ascending).

        ``kind_or_metric`` is a video metric (``plays``, ``engagement``, …) or an entity kind
        (``hashtag``, ``sound``, ``creator``, ``effect``).
        """
        if n <= 0:
            return []
        with self.answering():
            key = self.board_key(kind_or_metric, market, window)
            flat = cast("list[str]", self._page(keys=[key], args=[offset, n]))
        return [(flat[i], float(flat[i + 1])) for i in range(0, len(flat), 2)]

    def video(self, video_id: str) -> dict[str, Any] | None:
        """A video's card, typed (``plays`` an int, ``hashtags`` a list), or None."""
        return self.videos([video_id])[0]

    def videos(self, video_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """Cards of several videos in one round trip, aligned with ``video_ids``."""
        with self.answering():
            pipe = self.client.pipeline(transaction=False)
            for video_id in video_ids:
                pipe.hgetall(f"{self.prefix}video:{video_id}")
            raws = pipe.execute() if video_ids else []
        cards: list[dict[str, Any] | None] = []
        for video_id, raw in zip(video_ids, raws, strict=True):
            if not raw:
                cards.append(None)
                continue
            raw.pop("board_market", None)
            cards.append({"video_id": video_id, **_decode(raw, _VIDEO_TYPES)})
        return cards

    def entity(self, entity: str, market: str, window: str) -> dict[str, Any] | None:
        """An entity's latest TrendScore in a market and window, as a dict, or None."""
        return self.entities([entity], market, window)[0]

    def entities(
        self, entities: Sequence[str], market: str, window: str
    ) -> list[dict[str, Any] | None]:
        """Latest TrendScores of several entities in one round trip, aligned with ``entities``."""
        with self.answering():
            pipe = self.client.pipeline(transaction=False)
            for entity in entities:
                pipe.hgetall(f"{self.prefix}entity:{entity}:{market}:{window}")
            raws = cast("list[dict[str, str]]", pipe.execute() if entities else [])
        return [_decode(raw, _ENTITY_TYPES) if raw else None for raw in raws]

    def latest_spikes(self, n: int, entity: str | None = None) -> list[dict[str, Any]]:
        """The newest ``n`` spikes (of one entity if given), newest first, as dicts."""
        if n <= 0:
            return []
        index = f"{self.prefix}spikes:{entity}" if entity else f"{self.prefix}spikes"
        with self.answering():
            ids = cast("list[str]", self.client.zrevrange(index, 0, n - 1))
            bodies = self.client.mget([f"{self.prefix}spike:{i}" for i in ids]) if ids else []
        return [json.loads(body) for body in bodies if body]

    def meta(self) -> dict[str, Any]:
        """``watermark_ms``, ``updated_at``, ``snapshots`` and the pruning ``cutoffs``."""
        with self.answering():
            raw = cast("dict[str, str]", self.client.hgetall(f"{self.prefix}meta"))
        return {
            "watermark_ms": int(raw["watermark_ms"]) if "watermark_ms" in raw else None,
            "updated_at": raw.get("updated_at"),
            "snapshots": int(raw.get("snapshots", 0)),
            "cutoffs": {
                k.removeprefix("cutoff:"): int(v) for k, v in raw.items() if k.startswith("cutoff:")
            },
        }

    def subscribe(self) -> ChangeFeed:
        """Listen to ``N:changes``; the subscription is confirmed before this returns."""
        with self.answering():
            pubsub = self.client.pubsub()  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(self.channel)
                for _ in range(50):
                    message = pubsub.get_message(timeout=0.1)
                    if message is not None and message["type"] == "subscribe":
                        break
            except BaseException:
                pubsub.close()
                raise
        return ChangeFeed(pubsub, self.address)

    def _keys(self, pattern: str) -> list[str]:
        return sorted(self.client.scan_iter(match=f"{self.prefix}{pattern}", count=1000))

    def clear(self) -> int:
        """Delete every key of the namespace (before a rebuild); return how many went."""
        with self.answering():
            keys = self._keys("*")
            for start in range(0, len(keys), 1000):
                self.client.unlink(*keys[start : start + 1000])
        return len(keys)

    def dump(self) -> dict[str, list[list[Any]]]:
        """Every board and spike index of the namespace, canonical and JSON-able.

        Keys lose the namespace prefix and are sorted; entries are ``[member, score]``, best
        first, ties by member. Two runs over the same input give equal dumps, whatever their
        namespaces.
        """
        with self.answering():
            keys = self._keys("board:*") + self._keys("spikes*")
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.zrange(key, 0, -1, withscores=True)
            contents = pipe.execute() if keys else []
        result: dict[str, list[list[Any]]] = {}
        for key, rows in sorted(zip(keys, contents, strict=True)):
            ordered = sorted(rows, key=lambda row: (-row[1], row[0]))
            result[key.removeprefix(self.prefix)] = [[m, float(s)] for m, s in ordered]
        return result
