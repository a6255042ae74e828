"""The distributed history store: MongoDB, or FerretDB v1 (which speaks its wire protocol).

Collections, created with their indexes when the store opens (``create_index`` is idempotent):

- ``snapshots``: ``_id`` = event_id; the snapshot's wire form plus ``collected_ms`` and
  ``entities`` (its entity keys, an indexed array); unique on (video_id, collected_ms);
- ``scores``: ``_id`` = ``entity|market|window|at_ms``; ``ticks``: ``_id`` =
  ``kind|market|window|at_ms``, one per board and tick, so that ``board_at`` finds its tick among
  few documents and then reads the board by equality;
- ``spikes``: ``_id`` = spike_id.

Writes are unordered ``insert_many`` batches with deterministic ``_id``s: a duplicate-key error
(11000) means "already there" and is ignored, anything else is raised. That is the only
idempotent bulk write FerretDB v1 does at speed (upserts are orders of magnitude slower there).

The server is detected with ``buildInfo``: FerretDB answers with a ``ferretdbVersion`` field (and
claims ``version`` 7.0). Only on a real MongoDB 5.0 or newer are snapshots a time-series
collection (timeField ``ts``, metaField ``video_id``). A time-series collection cannot have a
unique index, so there the store checks which snapshots of a batch are already stored before
inserting; two writers racing on the same batch could then store a point twice (the sink runs
one writer per namespace). FerretDB has no time-series collections: a plain one is used.

Reads use equality filters on indexed fields and at most one range on a time field, and sort
in the server; nothing needs an aggregation, so every query runs the same on both servers.
Measured on FerretDB v1.24.2 (PostgreSQL 15, 20,000 snapshots): only equality is pushed down to
PostgreSQL (as a scan, ``@>`` on the JSON; ranges, ``$in``, ``$or`` and sorts run in FerretDB
after decoding every document the equality matched). So a query costs about 0.2-0.4 ms per
document its equality part matches: ``video_series`` and ``board_at`` take tens of ms, but
``videos_with`` on an entity that most snapshots carry (``hashtag:fyp``) decodes all of them
(seconds); on MongoDB the (entities, collected_ms) index answers it from the newest end.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any, TypeVar

import msgspec
from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ConnectionFailure,
    OperationFailure,
    ServerSelectionTimeoutError,
)
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from trendmon.errors import ServiceUnavailableError
from trendmon.events import Spike, TrendScore, VideoSnapshot, as_dict
from trendmon.settings import DEFAULT_NAMESPACE, MongoSettings
from trendmon.sinks.history import (
    COLLECTIONS,
    KEYFRAME_MS,
    SeriesPoint,
    board_ticks,
    collected_ms,
    entity_keys,
    namespaced,
    rebuild_board,
    score_id,
)
from trendmon.sinks.mongo.client import connect

log = logging.getLogger(__name__)

Doc = dict[str, Any]
T = TypeVar("T")

DUPLICATE_KEY = 11000
BATCH = 1000
"""Documents per insert_many call: FerretDB v1 was measured at its best around 1,000."""
_EXTRA = ("_id", "collected_ms", "entities", "ts")
"""Fields a snapshot document has beyond the snapshot's wire form."""


@dataclass(frozen=True)
class Server:
    """What ``buildInfo`` says about the server."""

    version: tuple[int, ...]
    ferretdb: str | None
    """FerretDB's own version, None on a real MongoDB."""

    @classmethod
    def from_build_info(cls, info: Mapping[str, Any]) -> Server:
        version = tuple(int(x) for x in info.get("versionArray", [])[:3]) or (0,)
        return cls(version=version, ferretdb=info.get("ferretdbVersion"))

    @property
    def timeseries(self) -> bool:
        """Time-series collections exist on MongoDB 5.0+, and not on FerretDB."""
        return self.ferretdb is None and self.version >= (5, 0)

    @property
    def measurement_indexes(self) -> bool:
        """Secondary indexes on time-series measurement fields need MongoDB 6.0+."""
        return self.ferretdb is None and self.version >= (6, 0)


def redact(uri: str) -> str:
    """The URI without its password, fit for messages.

    >>> redact("mongodb://ann:s3cret@db:27017/")
    'mongodb://ann:***@db:27017/'
    """
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", uri)


def _transient(exc: BaseException) -> bool:
    # ServerSelectionTimeoutError is an AutoReconnect too, but it has already waited timeout_ms.
    return isinstance(exc, AutoReconnect) and not isinstance(exc, ServerSelectionTimeoutError)


_retry = retry(
    retry=retry_if_exception(_transient),
    stop=stop_after_attempt(4),
    wait=wait_exponential(multiplier=0.2, max=3),
    reraise=True,
)


class MongoHistory:
    """The history store in database ``settings.database`` (``…_{namespace}`` for a replay)."""

    def __init__(
        self,
        settings: MongoSettings | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        *,
        database: str | None = None,
    ) -> None:
        self.settings = settings or MongoSettings()
        self._uri = self.settings.uri.get_secret_value()
        name = database or namespaced(self.settings.database, namespace)
        self._client: MongoClient[Doc] = connect(self.settings, "history")
        try:
            self.server = Server.from_build_info(
                self._call(self._client.admin.command, "buildInfo")
            )
            self._db: Database[Doc] = self._client[name]
            self._call(self._setup)
            # Whether snapshots live in a time-series collection (real MongoDB 5.0+).
            self.timeseries = self._call(self._is_timeseries)
        except BaseException:
            self._client.close()
            raise
        self._snapshots: Collection[Doc] = self._db["snapshots"]
        self._scores: Collection[Doc] = self._db["scores"]
        self._ticks: Collection[Doc] = self._db["ticks"]
        self._spikes: Collection[Doc] = self._db["spikes"]
        self._forecasts: Collection[Doc] = self._db["forecasts"]

    # -- plumbing -----------------------------------------------------------------------------

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one client call, retrying transient network errors; a server that stays away
        becomes ServiceUnavailableError naming the URI and the fix."""
        try:
            return _retry(fn)(*args, **kwargs)
        except ConnectionFailure as exc:
            raise ServiceUnavailableError(
                f"MongoDB at {redact(self._uri)} did not answer ({type(exc).__name__}: "
                f"{exc!s:.200}); start it (`make services` for the test FerretDB) or set "
                "TRENDMON_MONGO_URI to a server that runs",
                "the history store (MongoDB)",
            ) from exc

    def _setup(self) -> None:
        db = self._db
        existing = set(db.list_collection_names())
        if self.server.timeseries and "snapshots" not in existing:
            db.create_collection(
                "snapshots",
                timeseries={"timeField": "ts", "metaField": "video_id", "granularity": "minutes"},
            )
        snapshots = db["snapshots"]
        if self._is_timeseries():
            snapshots.create_index([("video_id", ASCENDING), ("ts", ASCENDING)], name="video_ts")
            if self.server.measurement_indexes:
                snapshots.create_index(
                    [("video_id", ASCENDING), ("collected_ms", ASCENDING)], name="video_time"
                )
                try:
                    snapshots.create_index(
                        [("entities", ASCENDING), ("collected_ms", DESCENDING)], name="entities"
                    )
                except OperationFailure as exc:
                    # An optimisation only: videos_with still answers, by a scan.
                    log.warning("no entities index on time-series snapshots: %s", exc)
        else:
            snapshots.create_index(
                [("video_id", ASCENDING), ("collected_ms", ASCENDING)],
                unique=True,
                name="video_time",
            )
            snapshots.create_index(
                [("entities", ASCENDING), ("collected_ms", DESCENDING)], name="entities"
            )
        db["scores"].create_index(
            [("entity", ASCENDING), ("market", ASCENDING), ("window", ASCENDING), ("at_ms", 1)],
            name="entity_series",
        )
        db["scores"].create_index(
            [("kind", ASCENDING), ("market", ASCENDING), ("window", ASCENDING), ("at_ms", 1)],
            name="board",
        )
        db["ticks"].create_index(
            [("kind", ASCENDING), ("market", ASCENDING), ("window", ASCENDING), ("at_ms", 1)],
            name="board_tick",
        )
        db["forecasts"].create_index([("made_ms", ASCENDING), ("_id", ASCENDING)], name="time")
        spikes = db["spikes"]
        spikes.create_index([("detected_ms", DESCENDING)], name="time")
        spikes.create_index([("entity", ASCENDING), ("detected_ms", DESCENDING)], name="entity")
        spikes.create_index(
            [("kind", ASCENDING), ("market", ASCENDING), ("detected_ms", DESCENDING)], name="kind"
        )

    def _is_timeseries(self) -> bool:
        if not self.server.timeseries:
            return False
        info = list(self._db.list_collections(filter={"name": "snapshots"}))
        return bool(info) and info[0].get("type") == "timeseries"

    def _insert(self, collection: Collection[Doc], docs: list[Doc]) -> None:
        """Insert what is not there yet: unordered batches, duplicate keys ignored."""
        for start in range(0, len(docs), BATCH):
            chunk = docs[start : start + BATCH]
            try:
                self._call(collection.insert_many, chunk, ordered=False)
            except BulkWriteError as exc:
                details = exc.details
                others = [
                    e for e in details.get("writeErrors", []) if e.get("code") != DUPLICATE_KEY
                ]
                if others or details.get("writeConcernErrors"):
                    raise

    # -- writes -------------------------------------------------------------------------------

    def write(
        self,
        snapshots: list[VideoSnapshot],
        scores: list[TrendScore],
        spikes: list[Spike],
    ) -> None:
        if snapshots:
            docs = [self._snapshot_doc(s, self.timeseries) for s in snapshots]
            if self.timeseries:
                docs = self._not_stored(docs)
            self._insert(self._snapshots, docs)
        if scores:
            self._insert(self._scores, [{"_id": score_id(c), **as_dict(c)} for c in scores])
            self._insert(
                self._ticks,
                [
                    {"_id": f"{k}|{m}|{w}|{at}", "kind": k, "market": m, "window": w, "at_ms": at}
                    for k, m, w, at in sorted(board_ticks(scores))
                ],
            )
        if spikes:
            self._insert(self._spikes, [{"_id": p.spike_id, **as_dict(p)} for p in spikes])

    @staticmethod
    def _snapshot_doc(snapshot: VideoSnapshot, timeseries: bool) -> Doc:
        doc: Doc = {"_id": snapshot.event_id, **as_dict(snapshot)}
        doc["collected_ms"] = collected_ms(snapshot)
        doc["entities"] = entity_keys(snapshot)
        if timeseries:
            doc["ts"] = snapshot.collected_at.astimezone(UTC)
        return doc

    def _not_stored(self, docs: list[Doc]) -> list[Doc]:
        """Time-series collections have no unique index: drop what is already stored (by id, or
        by video and time), and repeats within the batch."""
        stored = self._call(
            lambda: list(
                self._snapshots.find(
                    {
                        "video_id": {"$in": sorted({d["video_id"] for d in docs})},
                        "collected_ms": {"$in": sorted({d["collected_ms"] for d in docs})},
                    },
                    {"_id": 1, "video_id": 1, "collected_ms": 1},
                )
            )
        )
        seen_ids = {d["_id"] for d in stored}
        seen_points = {(d["video_id"], d["collected_ms"]) for d in stored}
        fresh: list[Doc] = []
        for doc in docs:
            point = (doc["video_id"], doc["collected_ms"])
            if doc["_id"] in seen_ids or point in seen_points:
                continue
            seen_ids.add(doc["_id"])
            seen_points.add(point)
            fresh.append(doc)
        return fresh

    # -- queries ------------------------------------------------------------------------------

    def _find(
        self,
        collection: Collection[Doc],
        query: Doc,
        sort: list[tuple[str, int]],
        limit: int = 0,
        projection: Doc | None = None,
    ) -> list[Doc]:
        def run() -> list[Doc]:
            return list(collection.find(query, projection, sort=sort, limit=limit))

        return self._call(run)

    @staticmethod
    def _range(query: Doc, field: str, since_ms: int | None, until_ms: int | None) -> Doc:
        bounds: Doc = {}
        if since_ms is not None:
            bounds["$gte"] = since_ms
        if until_ms is not None:
            bounds["$lte"] = until_ms
        if bounds:
            query[field] = bounds
        return query

    @staticmethod
    def _wire(doc: Doc) -> Doc:
        for field in _EXTRA:
            doc.pop(field, None)
        return doc

    def video_series(
        self, video_id: str, since_ms: int | None = None, until_ms: int | None = None
    ) -> list[SeriesPoint]:
        query = self._range({"video_id": video_id}, "collected_ms", since_ms, until_ms)
        docs = self._find(
            self._snapshots,
            query,
            [("collected_ms", ASCENDING)],
            projection={"_id": 0, "collected_ms": 1, "stats": 1},
        )
        return [
            SeriesPoint(
                collected_ms=d["collected_ms"],
                plays=d["stats"]["plays"],
                likes=d["stats"]["likes"],
                comments=d["stats"]["comments"],
                shares=d["stats"]["shares"],
                saves=d["stats"].get("saves") or 0,
            )
            for d in docs
        ]

    def holds(self, event_ids: Iterable[str]) -> bool:
        # One lookup by _id each: the only filter FerretDB answers without a scan.
        return all(
            self._call(self._snapshots.find_one, {"_id": e}, {"_id": 1}) is not None
            for e in event_ids
        )

    def video(self, video_id: str) -> dict[str, Any] | None:
        docs = self._find(
            self._snapshots, {"video_id": video_id}, [("collected_ms", DESCENDING)], limit=1
        )
        return self._wire(docs[0]) if docs else None

    def entity_series(
        self,
        entity: str,
        market: str = "all",
        window: str = "24h",
        since_ms: int | None = None,
        until_ms: int | None = None,
    ) -> list[TrendScore]:
        query = self._range(
            {"entity": entity, "market": market, "window": window}, "at_ms", since_ms, until_ms
        )
        docs = self._find(self._scores, query, [("at_ms", ASCENDING)])
        return _convert(docs, TrendScore)

    def write_forecasts(self, records: list[dict[str, Any]]) -> None:
        if records:
            self._insert(self._forecasts, [{"_id": r["id"], **r} for r in records])

    def forecasts(
        self,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 10_000_000,
        ids: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        query = self._range({} if ids is None else {"_id": {"$in": list(ids)}}, "made_ms",
                            since_ms, until_ms)
        docs = self._find(
            self._forecasts, query, [("made_ms", ASCENDING), ("_id", ASCENDING)], limit=limit
        )
        for d in docs:
            d.pop("_id", None)
        return docs

    def spikes(
        self,
        since_ms: int | None = None,
        until_ms: int | None = None,
        kind: str | None = None,
        market: str | None = None,
        entity: str | None = None,
        limit: int = 500,
    ) -> list[Spike]:
        query: Doc = {
            k: v
            for k, v in (("kind", kind), ("market", market), ("entity", entity))
            if v is not None
        }
        self._range(query, "detected_ms", since_ms, until_ms)
        docs = self._find(
            self._spikes, query, [("detected_ms", DESCENDING), ("_id", ASCENDING)], limit=limit
        )
        return _convert(docs, Spike)

    def board_at(
        self, kind: str, market: str, window: str, at_ms: int, n: int = 50
    ) -> list[TrendScore]:
        board = {"kind": kind, "market": market, "window": window}
        ticks = self._find(
            self._ticks,
            {**board, "at_ms": {"$lte": at_ms, "$mod": [KEYFRAME_MS, 0]}},
            [("at_ms", DESCENDING)],
            limit=1,
            projection={"at_ms": 1},
        ) or self._find(  # the history starts after the last keyframe: take it all
            self._ticks, board, [("at_ms", ASCENDING)], limit=1, projection={"at_ms": 1}
        )
        if not ticks or ticks[0]["at_ms"] > at_ms:
            return []
        docs = self._find(
            self._scores,
            {**board, "at_ms": {"$gte": ticks[0]["at_ms"], "$lte": at_ms}},
            [("at_ms", ASCENDING)],
        )
        return rebuild_board(_convert(docs, TrendScore), n)

    def videos_with(
        self, entity: str, since_ms: int | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        query = self._range({"entities": entity}, "collected_ms", since_ms, None)

        def run() -> list[Doc]:
            # Newest first, so each video's first document is its latest; stop after `limit`
            # videos. ($group with $max/$first, which would do this in the server, is missing
            # from FerretDB v1.)
            latest: dict[str, Doc] = {}
            cursor = self._snapshots.find(
                query, sort=[("collected_ms", DESCENDING), ("video_id", ASCENDING)]
            )
            with cursor:
                for doc in cursor:
                    latest.setdefault(doc["video_id"], doc)
                    if len(latest) >= limit:
                        break
            return list(latest.values())

        return [self._wire(d) for d in self._call(run)] if limit > 0 else []

    # -- housekeeping -------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        return {name: self._call(self._db[name].count_documents, {}) for name in COLLECTIONS}

    def clear(self) -> None:
        # Dropped and made again rather than emptied: FerretDB deletes by listing every id in one
        # PostgreSQL statement, which fails past 65,535 documents.
        for name in (*COLLECTIONS, "ticks", "forecasts"):
            self._call(self._db.drop_collection, name)
        self._call(self._setup)

    def close(self) -> None:
        self._client.close()


S = TypeVar("S", TrendScore, Spike)


def _convert(docs: Iterable[Doc], cls: type[S]) -> list[S]:
    return [msgspec.convert(d, cls) for d in docs]
