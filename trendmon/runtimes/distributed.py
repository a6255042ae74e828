"""The distributed runtime: Faust agents on Kafka around the same engine.

Topics (names carry ``TRENDMON_KAFKA_TOPIC_PREFIX``; partitions, replication and retention
come from :class:`~trendmon.settings.KafkaSettings`)::

    snapshots (key: video) ──stage 1──> entity-deltas ──stage 2──> board-ticks (1 partition)
                                   │                        │             ──ranker──> scores
                                   │                        └──> spikes
                                   └──> deltas (accepted snapshots and their deltas), dead-letters
    sink: deltas + scores + spikes ──> Redis (live boards) and MongoDB (history)

Records between agents are batches (:class:`~trendmon.events.EntityBatch`,
:class:`~trendmon.events.SinkBatch`, up to ``stages.CHUNK`` items, partitioned explicitly: an
entity's deltas go to the partition of its key, as Kafka's own partitioner would put it),
because a Kafka record costs the framework far more than the engine spends on a delta.

Every agent is a thin loop of I/O around a plain class of :mod:`trendmon.runtimes.stages`
(:class:`~trendmon.runtimes.stages.VideoStage`, :class:`~trendmon.runtimes.stages.EntityStage`,
:class:`~trendmon.runtimes.stages.BoardRanking`), which turns a partition's records into the
records to send, the dead letters and the table changes: the agent sends them, waits for the
acknowledgements, writes the table, and loads snapshots and replays partitions when the class
says so. The tests run those classes in one process, without Faust.

**Nothing lost, nothing counted twice** (at-least-once delivery made exact; the Faust crash
measurements that call for it are in ``docs/architecture.md``, "Delivery guarantees"):

- *stage 1* keeps each video's state in the ``video-state`` table (a changelog topic). For a
  batch it sends every output, waits for the broker to acknowledge all of them, then writes the
  table and waits for its changelog records too, before the batch is acknowledged. After a crash
  a snapshot whose state was written is a duplicate (skipped); one whose state was not is
  processed again and yields the same deltas with the same ``seq``.
- *stage 2* is a deterministic fold of its input partition, so its state is rebuilt from the
  partition itself: when a worker gets a partition at an offset other than the one it expects
  (a start, a restart, a rebalance; not records it holds already, delivered again from the
  committed offset, which it skips), it loads the partition's latest snapshot
  (:mod:`trendmon.runtimes.snapshots`, written every ``TRENDMON_KAFKA_SNAPSHOT_INTERVAL_S`` once
  the outputs of the records it covers are acknowledged) and replays the partition from the
  snapshot's offset (or, with no usable snapshot, from its first offset) up to there without
  sending anything (what those records produced was acknowledged before their offsets were
  committed), then goes on; records the snapshot already covers are skipped, their outputs
  having been acknowledged before it was written. Repeated deltas are skipped by their ``seq``.
  The retention setting must still cover the longest window twice, for a partition with no
  usable snapshot (the worker refuses a shorter one; it does not check topics created before
  with another retention).
- *the ranker* rebuilds the same way from ``board-ticks`` and ignores repeated ticks.
- *sinks* write absolute values under version guards and documents with deterministic ids.

An exception inside an agent would ack its input and lose it, so agents run under a crashing
supervisor: a bug stops the worker, and a restart processes the batch again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import faust
import mode
from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]
from faust.types._env import DATADIR

from trendmon.engine.partitioned import EntityPartition, TickMerger
from trendmon.engine.windows import HOUR_MS, make_windows
from trendmon.errors import ConfigError
from trendmon.forecast.forecaster import HourlyForecasts
from trendmon.forecast.partitioned import PartitionedForecasts
from trendmon.log.base import DEAD_LETTERS, SNAPSHOTS, Record
from trendmon.log.kafka import KafkaBus
from trendmon.runtimes import snapshots as snapshot
from trendmon.runtimes.recovery import TableManager
from trendmon.runtimes.stages import (
    BOARD_TICKS,
    CHUNK,
    DELTAS,
    ENTITY_DELTAS,
    FORECAST_INPUT,
    SCORES,
    SPIKES,
    BoardRanking,
    EntityStage,
    ForecastStage,
    Output,
    VideoStage,
)
from trendmon.settings import (
    DEFAULT_NAMESPACE,
    EngineSettings,
    KafkaSettings,
    MongoSettings,
    RedisSettings,
)

if TYPE_CHECKING:
    from trendmon.runtimes.sink import Sink

__all__ = [
    "BOARD_TICKS",
    "CHUNK",
    "DELTAS",
    "ENTITY_DELTAS",
    "SCORES",
    "SPIKES",
    "WorkerOptions",
    "build_app",
    "ensure_topics",
]

log = logging.getLogger(__name__)

@dataclass
class WorkerOptions:
    """What one worker runs and with which batches."""

    app_id: str = "trendmon"
    batch: int = 2000
    within_s: float = 0.05
    sinks: bool = True
    """Run the sink agent (Redis and MongoDB); off for a worker that only computes."""
    namespace: str = DEFAULT_NAMESPACE
    instance_id: str | None = None
    """Static group membership (KIP-345): a worker restarted with the same id takes its
    partitions back at once, without a rebalance."""
    datadir: Path | None = None
    """Where Faust keeps its files; None is Faust's ``{app id}-data`` in the working folder."""


class _Changelog:
    """A table's changes in one agent batch, sent to its changelog packed in producer batches.

    Table assignment would send each record later, unawaited, one producer call each (and it
    refuses to run inside take_events, where there is no current event). Here the table's data
    is set at once and the records are appended to one batch per changelog partition, so that
    the agent can wait for the broker to hold the state before it acknowledges its input: a
    record costs an append rather than a send (per-record sends were a third of stage 1).
    """

    def __init__(self, app: faust.App, table: Any) -> None:
        # The aiokafka producer under Faust's (Faust has no batch interface of its own).
        self._producer = app.producer._ensure_producer()  # type: ignore[attr-defined]
        self._topic: str = table.changelog_topic.get_topic_name()
        self._data = table.data
        self._open: dict[int, Any] = {}
        self._sent: list[Awaitable[Any]] = []

    async def put(self, partition: int, key: bytes, value: bytes | None) -> None:
        """Set (or, with None, delete) a key, and queue its changelog record."""
        if value is None:
            self._data.pop(key, None)
        else:
            self._data[key] = value
        batch = self._open.get(partition)
        if batch is None:
            batch = self._open[partition] = self._producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None) is None:  # full
            await self._send(partition, batch)
            batch = self._open[partition] = self._producer.create_batch()
            batch.append(key=key, value=value, timestamp=None)  # the first always fits

    async def _send(self, partition: int, batch: Any) -> None:
        self._sent.append(await self._producer.send_batch(batch, self._topic, partition=partition))

    async def flush(self) -> None:
        """Send what is queued and wait until the broker holds all of it."""
        for partition, batch in self._open.items():
            await self._send(partition, batch)
        self._open.clear()
        sent, self._sent = self._sent, []
        await _gather(sent)


async def _gather(futures: Iterable[Awaitable[Any]]) -> None:
    pending = list(futures)
    if pending:
        await asyncio.gather(*pending)


def build_app(
    kafka: KafkaSettings,
    engine: EngineSettings,
    options: WorkerOptions | None = None,
    *,
    redis: RedisSettings | None = None,
    mongo: MongoSettings | None = None,
    forecasts: HourlyForecasts | None = None,
) -> faust.App:
    """The Faust app with every agent of the pipeline (see the module docstring).

    With ``forecasts`` (what :func:`~trendmon.runtimes.forecasts.open_forecasts` loaded),
    stage 1 also feeds the snapshots it accepts to ``forecast-input``, and a worker with the
    stores scores them every hour of event time into the history."""
    opts = options or WorkerOptions()
    if opts.datadir:
        opts.datadir.mkdir(parents=True, exist_ok=True)
    prefix = kafka.topic_prefix
    parts = kafka.partitions
    servers = [f"kafka://{s.strip()}" for s in kafka.bootstrap_servers.split(",")]
    app = faust.App(
        f"{prefix}{opts.app_id}",
        broker=servers,
        store="memory://",
        web_enabled=False,
        datadir=str(opts.datadir) if opts.datadir else DATADIR,
        table_standby_replicas=0,
        topic_partitions=parts,
        topic_replication_factor=kafka.replication,
        broker_session_timeout=10,
        broker_heartbeat_interval=1,
        broker_request_timeout=30,
        consumer_auto_offset_reset="earliest",
        agent_supervisor=mode.CrashingSupervisor,
        # A rebalance would wait for the events held in take_events' buffer, which wait for
        # the rebalance: measured deadlocked with two workers. Every stage here is idempotent,
        # so events of a revoked partition processed late only repeat what the next owner does.
        stream_wait_empty=False,
        consumer_group_instance_id=opts.instance_id,
        producer_acks=-1,
        # Stage 2's snapshots are single records (runtimes/snapshots.py); every other record
        # stays well under the broker's 1 MB (CHUNK).
        producer_max_request_size=snapshot.MAX_BYTES,
        # Batches of up to 512 KiB, under the broker's 1 MB message limit (the default 16 KiB
        # made a produce request for every few video states).
        producer_max_batch_size=512 * 1024,
        # No compression: gzip (pure Python in the client) took a fifth of a worker's time, for
        # records that stay well under the broker's limit anyway (CHUNK).
        producer_compression_type=None,
        # Faust's own resumes the stream partitions before its seek and then clears the
        # queues: records fetched in between were dropped and their partition's commit stuck
        # (runtimes/recovery.py).
        TableManager=TableManager,
    )

    def topic(name: str, partitions: int = parts) -> faust.TopicT:
        return app.topic(
            f"{prefix}{name}",
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
            internal=False,
        )

    snapshots = topic(SNAPSHOTS)
    outputs = {
        name: topic(name, 1 if name == FORECAST_INPUT else parts)
        for name in (ENTITY_DELTAS, DELTAS, SCORES, SPIKES, FORECAST_INPUT)
    }
    entity_deltas = outputs[ENTITY_DELTAS]
    board_ticks = outputs[BOARD_TICKS] = topic(BOARD_TICKS, 1)
    video_state = app.Table(
        "video-state",
        default=None,
        partitions=parts,
        key_type=bytes,
        value_type=bytes,
    )

    one = VideoStage(engine, parts, video_state.get, forecasts=forecasts is not None)
    two = EntityStage(engine, parts, kafka.snapshot_interval_s)
    ranking = BoardRanking(engine, parts, kafka.snapshot_interval_s)
    made_with = snapshot.fingerprint(engine, parts)
    stage2_state = topic(snapshot.STAGE2_STATE)
    ranker_state = topic(snapshot.RANKER_STATE, 1)
    send = _Sender(outputs, topic(DEAD_LETTERS))

    async def latest(p: int, kind: type[Any], name: str) -> Any:
        if kafka.snapshot_interval_s <= 0:
            return None
        return await snapshot.load_latest(kafka, p, made_with, kind, name)

    @app.agent(snapshots)
    async def stage_one(stream: Any) -> None:
        async for events in stream.take_events(opts.batch, within=opts.within_s):
            sent: list[Awaitable[Any]] = []
            outs = []
            for p, records in _records(events).items():
                outs.append(out := one.process(p, records))
                sent += await send(out)
            await _gather(sent)
            # Only now that the broker holds every output may the state say they were made; and
            # the batch is acknowledged only once the broker holds the state too.
            changes = _Changelog(app, video_state)
            for change in (change for out in outs for change in out.state):
                await changes.put(change.partition, change.key, change.value)
            await changes.flush()

    @app.agent(entity_deltas)
    async def stage_two(stream: Any) -> None:
        async for events in stream.take_events(opts.batch, within=opts.within_s):
            sent: list[Awaitable[Any]] = []
            by_partition = _records(events)
            for p, records in by_partition.items():
                if two.must_rebuild(p, records[0].offset):
                    start = two.restore(
                        p, await latest(p, EntityPartition, snapshot.STAGE2_STATE)
                    )
                    replayed = functools.partial(two.replayed, p)
                    await _replay(kafka, ENTITY_DELTAS, p, records[0].offset, replayed, start)
                    two.resumed(p)
                    log.info("stage 2 partition %s resumed from offset %s", p, start)
                # In a thread: a bucket's close can take a few hundred ms, during which stage 1
                # and the sinks (on this loop) go on, sharing the interpreter.
                sent += await send(await asyncio.to_thread(two.process, p, records))
            await _gather(sent)
            # Only once the broker holds every output of the records a snapshot covers.
            for p, offset, state in two.snapshots_due(by_partition, time.monotonic()):
                value = await asyncio.to_thread(snapshot.encode_state, state, offset, made_with)
                key = str(p).encode()
                await (await stage2_state.send(key=key, value=value, partition=p, force=True))

    @app.agent(board_ticks)
    async def rank(stream: Any) -> None:
        async for events in stream.take_events(opts.batch, within=opts.within_s):
            records = _records(events)[0]
            if ranking.must_rebuild(records[0].offset):
                start = ranking.restore(0, await latest(0, TickMerger, snapshot.RANKER_STATE))
                await _replay(kafka, BOARD_TICKS, 0, records[0].offset, ranking.replayed, start)
                log.info("the ranker resumed from offset %s", start)
            await _gather(await send(ranking.process(records)))
            for _, offset, state in ranking.snapshots_due([0], time.monotonic()):
                value = snapshot.encode_state(state, offset, made_with)
                await (await ranker_state.send(key=b"ranker", value=value, partition=0, force=True))

    if opts.sinks:
        sink = _add_sink(app, opts, kafka, engine, redis, mongo)
        if forecasts is not None:
            stage = ForecastStage(forecasts, parts, kafka.snapshot_interval_s)
            _add_forecasts(app, opts, kafka, sink, stage, made_with)
        from trendmon.runtimes.alert_agent import add_alerts

        add_alerts(app, kafka, mongo, spikes_topic=SPIKES, within_s=opts.within_s)

    return app


def _records(events: Iterable[Any]) -> dict[int, list[Record]]:
    """A batch of Faust events as records, by partition (in partition order)."""
    grouped: dict[int, list[Record]] = defaultdict(list)
    for ev in events:
        m = ev.message
        # Faust gives the record's timestamp in seconds; the broker's is whole milliseconds.
        record = Record(m.topic, m.partition, m.offset, None, round(m.timestamp * 1000), m.value)
        grouped[m.partition].append(record)
    return dict(sorted(grouped.items()))


class _Sender:
    """Sends an :class:`~trendmon.runtimes.stages.Output`'s records and dead letters."""

    def __init__(self, topics: dict[str, faust.TopicT], dead_letters: faust.TopicT) -> None:
        self._topics = topics
        self._dead_letters = dead_letters

    async def __call__(self, out: Output) -> list[Awaitable[Any]]:
        """Queue every record of ``out``; return what to await for the broker's acks."""
        futs: list[Awaitable[Any]] = []
        for m in out.dead:
            futs.append(await self._dead_letters.send(key=m.key.encode(), value=m.value))
        for s in out.sends:
            futs.append(await self._topics[s.topic].send(value=s.value, partition=s.partition))
        return futs


async def _replay(
    kafka: KafkaSettings,
    name: str,
    partition: int,
    until: int,
    apply: Callable[[bytes], object],
    start: int = 0,
) -> int:
    """Feed ``apply`` the values of one partition of the topic ``name`` (without its prefix)
    from ``start`` (0: its first offset) up to ``until``."""
    if until <= start:
        return 0
    topic = f"{kafka.topic_prefix}{name}"
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers.split(","),
        enable_auto_commit=False,
        group_id=None,
        client_id=f"{kafka.client_id}-rebuild",
    )
    await consumer.start()
    done = 0
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        if start > await consumer.position(tp):
            consumer.seek(tp, start)
        position = await consumer.position(tp)
        while position < until:
            batch = await consumer.getmany(tp, timeout_ms=1000, max_records=5000)
            for record in batch.get(tp, []):
                if record.offset >= until:
                    break
                apply(record.value)
                done += 1
            position = await consumer.position(tp)
    finally:
        await consumer.stop()
    log.info("rebuilt %s[%s] from %s records", topic, partition, done)
    return done


def _add_sink(
    app: faust.App,
    opts: WorkerOptions,
    kafka: KafkaSettings,
    engine: EngineSettings,
    redis: RedisSettings | None,
    mongo: MongoSettings | None,
) -> Sink:
    from trendmon.runtimes.sink import Batch, Sink
    from trendmon.runtimes.waiting import until_available

    prefix = kafka.topic_prefix
    sink = Sink(
        kafka,
        engine,
        opts.namespace,
        redis=redis,
        mongo=mongo,
        live_topics=(DELTAS, SCORES, SPIKES),
    )

    def channel(*names: str) -> faust.TopicT:
        return app.topic(
            *[f"{prefix}{t}" for t in names], key_serializer="raw", value_serializer="raw"
        )

    # Three agents, each in its own thread: video cards, which the wall waits for, do not wait
    # behind the boards a bucket's close rewrites at once, nor either behind MongoDB (the
    # slowest). A record's offset is committed once every agent that reads it has written it.
    @app.agent(channel(DELTAS), name="sink-videos")
    async def write_videos(stream: Any) -> None:
        async for values in stream.take(opts.batch, within=opts.within_s):
            await until_available(functools.partial(sink.write_live, Batch(values)), "sink")

    @app.agent(channel(SCORES, SPIKES), name="sink-boards")
    async def write_boards(stream: Any) -> None:
        async for values in stream.take(opts.batch, within=opts.within_s):
            await until_available(functools.partial(sink.write_live, Batch(values)), "sink")

    @app.agent(channel(DELTAS, SCORES, SPIKES), name="sink-history")
    async def write_history(stream: Any) -> None:
        async for values in stream.take(opts.batch, within=opts.within_s):
            await until_available(functools.partial(sink.write_history, Batch(values)), "sink")

    async def check_live() -> None:
        await until_available(sink.check, "sink")

    app.timer(interval=5.0)(check_live)
    return sink


def _add_forecasts(
    app: faust.App,
    opts: WorkerOptions,
    kafka: KafkaSettings,
    sink: Sink,
    stage: ForecastStage,
    made_with: str,
) -> None:
    """The hourly forecasts: one agent over the one ``forecast-input`` partition, storing what
    each batch scores in the history (the sink's, one client per worker) before the batch is
    acknowledged (ids are deterministic, so a batch scored again after a crash stores the same
    records)."""
    from trendmon.runtimes.waiting import until_available

    state_topic = app.topic(
        f"{kafka.topic_prefix}{snapshot.FORECAST_STATE}",
        key_serializer="raw",
        value_serializer="raw",
        partitions=1,
        internal=False,
    )

    @app.agent(
        app.topic(
            f"{kafka.topic_prefix}{FORECAST_INPUT}", key_serializer="raw", value_serializer="raw"
        ),
        name="forecasts",
    )
    async def forecast(stream: Any) -> None:
        async for events in stream.take_events(opts.batch, within=opts.within_s):
            records = _records(events)[0]
            if stage.must_rebuild(records[0].offset):
                loaded = None
                if kafka.snapshot_interval_s > 0:
                    loaded = await snapshot.load_latest(
                        kafka, 0, made_with, PartitionedForecasts, snapshot.FORECAST_STATE
                    )
                start = stage.restore(0, loaded)
                await _replay(kafka, FORECAST_INPUT, 0, records[0].offset, stage.replayed, start)
                log.info("the forecasts resumed from offset %s", start)
            made = await asyncio.to_thread(stage.process, records)
            if made:
                write = functools.partial(sink.write_forecasts, made)
                await until_available(write, "forecasts")
            for _, offset, state in stage.snapshots_due([0], time.monotonic()):
                value = await asyncio.to_thread(snapshot.encode_state, state, offset, made_with)
                key = b"forecasts"
                await (await state_topic.send(key=key, value=value, partition=0, force=True))


def ensure_topics(kafka: KafkaSettings, engine: EngineSettings) -> None:
    """Create every topic with its partitions; refuse a retention stage 2 cannot rebuild from."""
    longest = max(w.ms for w in make_windows(engine.windows, engine.bucket_s * 1000))
    need_h = (2 * longest + HOUR_MS) / HOUR_MS
    if kafka.retention_hours < need_h:
        raise ConfigError(
            f"TRENDMON_KAFKA_RETENTION_HOURS={kafka.retention_hours:g} is shorter than the "
            f"{need_h:g} h stage 2 rebuilds its state from (twice the longest window, "
            f"{engine.windows}); raise it or shorten TRENDMON_ENGINE_WINDOWS"
        )
    bus = KafkaBus(kafka)
    try:
        for name in (SNAPSHOTS, ENTITY_DELTAS, DELTAS, SCORES, SPIKES, DEAD_LETTERS):
            bus.create_topic(name)
        bus.create_topic(BOARD_TICKS, partitions=1)
        bus.create_topic(FORECAST_INPUT, partitions=1)
        configs = dict(snapshot.TOPIC_CONFIGS)
        bus.create_topic(snapshot.FORECAST_STATE, partitions=1, configs=configs)
        bus.create_topic(snapshot.STAGE2_STATE, configs=dict(snapshot.TOPIC_CONFIGS))
        bus.create_topic(snapshot.RANKER_STATE, partitions=1, configs=dict(snapshot.TOPIC_CONFIGS))
    finally:
        bus.close()
