"""The distributed runtime's sink: engine outputs from Kafka into Redis and MongoDB.

Writes are idempotent (absolute values under version guards in Redis, deterministic ids in
MongoDB), so a batch can be written again after a crash or a retry. Two failures are handled:

- **A store that is away** (MongoDB or Redis down): the batch is retried with backoff and not
  acknowledged meanwhile, so nothing is skipped; once the store is back, every record is there
  once.
- **Redis restarted with its data gone**: the live store's ``N:meta`` hash, which every write
  sets, is missing. Before writing (and every few seconds when idle) the sink checks it and,
  if it is gone, rebuilds the live store from its topics (accepted snapshots and deltas,
  scores, spikes), which hold every change since the start of their retention.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import msgspec

from trendmon.events import SinkBatch, Spike, TrendScore, VideoDelta, VideoSnapshot
from trendmon.log.kafka import KafkaBus
from trendmon.settings import EngineSettings, KafkaSettings, MongoSettings, RedisSettings
from trendmon.sinks.factory import open_history
from trendmon.sinks.history import HistoryStore
from trendmon.sinks.redis.store import LiveStore

log = logging.getLogger(__name__)

REBUILD_BATCH = 20
"""Batch records per live-store write during a rebuild."""

_decode = msgspec.json.Decoder(SinkBatch).decode


class Batch:
    """The batch records of the sink's topics (:class:`~trendmon.events.SinkBatch`), merged."""

    def __init__(self, values: Iterable[bytes]) -> None:
        self.snapshots: list[VideoSnapshot] = []
        self.deltas: list[VideoDelta] = []
        self.scores: list[TrendScore] = []
        self.spikes: list[Spike] = []
        for value in values:
            try:
                batch = _decode(value)
            except msgspec.DecodeError as exc:
                log.error("the sink skips a record it cannot read: %s", exc)
                continue
            self.snapshots += batch.snapshots
            self.deltas += batch.deltas
            self.scores += batch.scores
            self.spikes += batch.spikes

    @property
    def watermark_ms(self) -> int | None:
        return max((d.collected_ms for d in self.deltas), default=None)

    def write_live(self, live: LiveStore) -> None:
        live.write(self.snapshots, self.deltas, self.scores, self.spikes, self.watermark_ms)


class Sink:
    """Writes batches to both stores; blocking (the agents run it in threads).

    The live store and the history are written by separate calls (separate agents, each in
    its own thread), so that the wall does not wait for MongoDB: a record's offset is committed
    once every agent reading it has written it.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        engine: EngineSettings,
        namespace: str,
        *,
        redis: RedisSettings | None = None,
        mongo: MongoSettings | None = None,
        live_topics: tuple[str, ...] = (),
    ) -> None:
        self.kafka = kafka
        self.engine = engine
        self.namespace = namespace
        self.redis = redis
        self.mongo = mongo
        self.live_topics = live_topics
        self._live: LiveStore | None = None
        self._history: HistoryStore | None = None
        self._live_lock = threading.Lock()
        self._history_lock = threading.Lock()
        self._written = False
        """This sink has written to the live store (an empty store then means a loss)."""
        self.rebuilds = 0

    @property
    def live(self) -> LiveStore:
        if self._live is None:
            self._live = LiveStore.open(
                self.redis, windows=self.engine.windows, namespace=self.namespace
            )
        return self._live

    @property
    def history(self) -> HistoryStore:
        if self._history is None:
            self._history = open_history("mongo", namespace=self.namespace, mongo=self.mongo)
        return self._history

    def write(self, batch: Batch) -> None:
        """Write one batch to both stores (a retry after a failure rewrites it, idempotently)."""
        self.write_live(batch)
        self.write_history(batch)

    def write_live(self, batch: Batch) -> None:
        """Write one batch to the live store (rebuilt first if Redis lost it).

        Called from several threads at once (video cards, boards): only the check and the
        rebuild are exclusive. A write that lands during another thread's rebuild is safe, as
        every live write is an absolute value under a version guard.
        """
        with self._live_lock:
            self._check_live()
        batch.write_live(self.live)
        self._written = True

    def write_history(self, batch: Batch) -> None:
        """Write one batch to the history."""
        with self._history_lock:
            self.history.write(batch.snapshots, batch.scores, batch.spikes)

    def write_forecasts(self, records: list[dict[str, object]]) -> None:
        """Write forecast records to the history (through the same client as the batches)."""
        with self._history_lock:
            self.history.write_forecasts(records)

    def check(self) -> None:
        """Rebuild the live boards if Redis lost them (called when idle)."""
        with self._live_lock:
            self._check_live()

    def _check_live(self) -> None:
        live = self.live
        with live.answering():
            there = live.client.exists(f"{live.prefix}meta")
            unfinished = live.client.exists(self._marker)
        if not there or unfinished:
            self._rebuild_live()

    @property
    def _marker(self) -> str:
        return f"{self.live.prefix}rebuilding"

    def _rebuild_live(self) -> None:
        # The marker goes first and away last: a rebuild cut short (a store or the broker went
        # away again) is started over, not taken for done because N:meta is back.
        live = self.live
        with live.answering():
            live.client.set(self._marker, "1")
        bus = KafkaBus(self.kafka)
        records = 0
        try:
            for topic in self.live_topics:
                values: list[bytes] = []
                for record in bus.read(topic):
                    values.append(record.value)
                    if len(values) >= REBUILD_BATCH:
                        records += self._write_live(values)
                        values = []
                records += self._write_live(values)
        finally:
            bus.close()
        with live.answering():
            live.client.delete(self._marker)
        if records and self._written:
            self.rebuilds += 1
            log.warning("Redis had lost the live boards: rebuilt them from %s records", records)
        elif records:
            log.info("the live store was empty: filled it from %s records", records)

    def _write_live(self, values: list[bytes]) -> int:
        if not values:
            return 0
        Batch(values).write_live(self.live)
        return len(values)

    def close(self) -> None:
        if self._live is not None:
            self._live.close()
        if self._history is not None:
            self._history.close()
