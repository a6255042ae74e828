"""The distributed runtime: Faust agents on Kafka around the same engine.

Topics (names carry ``TRENDMON_KAFKA_TOPIC_PREFIX``; partitions, replication and retention
come from :class:`~trendmon.settings.KafkaSettings`)::

    snapshots (key: video) ──stage 1──> entity-deltas ──stage 2──> board-ticks (1 partition)
                                   │                        │             ──ranker──> scores
                                   │                        └──> spikes
                                   └──> deltas (accepted snapshots and their deltas), dead-letters
    sink: deltas + scores + spikes ──> Redis (live boards) and MongoDB (history)

Records between agents are batches (:class:`~trendmon.events.EntityBatch`,
:class:`~trendmon.events.SinkBatch`, up to ``CHUNK`` items, partitioned explicitly: an entity's
deltas go to the partition of its key, as Kafka's own partitioner would put it), because a
Kafka record costs the framework far more than the engine spends on a delta.

Every agent is thin: it decodes a batch, calls the pure pieces of
:mod:`trendmon.engine.partitioned` and sends what they return.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faust
import mode
import msgspec
from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]
from faust.types._env import DATADIR

from trendmon.engine.partitioned import EntityPartition, TickMerger, VideoPartition, route
from trendmon.engine.velocity import VideoState
from trendmon.engine.windows import HOUR_MS, make_windows
from trendmon.errors import ConfigError, SchemaError
from trendmon.events import (
    BoardTick,
    EntityBatch,
    SinkBatch,
    TrendScore,
    VideoSnapshot,
    decode_snapshot,
    encode,
    utc,
)
from trendmon.log.base import DEAD_LETTERS, SNAPSHOTS
from trendmon.log.dead_letters import Rejected
from trendmon.log.kafka import KafkaBus
from trendmon.runtimes import snapshots as snapshot
from trendmon.settings import (
    DEFAULT_NAMESPACE,
    EngineSettings,
    KafkaSettings,
    MongoSettings,
    RedisSettings,
)

log = logging.getLogger(__name__)

ENTITY_DELTAS = "entity-deltas"
DELTAS = "deltas"
BOARD_TICKS = "board-ticks"
SCORES = "scores"
SPIKES = "spikes"

CHUNK = 250
"""Items per batch record (a Kafka record stays well under the broker's 1 MB)."""

_entity_batch = msgspec.json.Decoder(EntityBatch)
_tick = msgspec.json.Decoder(BoardTick)


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


@dataclass
class _Rebuilt:
    """Partition states of a fold-of-the-input agent, with the offset each expects next."""

    states: dict[int, Any] = field(default_factory=dict)
    expect: dict[int, int] = field(default_factory=dict)


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


def _dump_state(st: VideoState) -> bytes:
    return msgspec.json.encode(st.dump())


def _load_state(raw: bytes) -> VideoState:
    return VideoState.load(msgspec.json.decode(raw))


def build_app(
    kafka: KafkaSettings,
    engine: EngineSettings,
    options: WorkerOptions | None = None,
    *,
    redis: RedisSettings | None = None,
    mongo: MongoSettings | None = None,
) -> faust.App:
    """The Faust app with every agent of the pipeline (see the module docstring)."""
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
    entity_deltas = topic(ENTITY_DELTAS)
    deltas = topic(DELTAS)
    board_ticks = topic(BOARD_TICKS, 1)
    scores = topic(SCORES)
    spikes = topic(SPIKES)
    dead_letters = topic(DEAD_LETTERS)
    video_state = app.Table(
        "video-state",
        default=None,
        partitions=parts,
        key_type=bytes,
        value_type=bytes,
    )

    stage1: dict[int, VideoPartition] = {}
    stage1_expect: dict[int, int] = {}

    @app.agent(snapshots)
    async def stage_one(stream: Any) -> None:
        async for events in stream.take_events(opts.batch, within=opts.within_s):
            sends: list[Awaitable[Any]] = []
            touched: dict[int, dict[str, Any]] = {}
            gone: dict[int, list[tuple[str, Any]]] = {}
            for p, evs in _by_partition(events).items():
                if stage1_expect.get(p) != evs[0].message.offset:
                    # Started, restarted or handed this partition: what is cached here may be
                    # stale, the table is not (it is restored from its changelog).
                    stage1.pop(p, None)
                stage1_expect[p] = evs[-1].message.offset + 1
                part = stage1.get(p)
                if part is None:
                    part = stage1[p] = VideoPartition(engine, p)
                    raw_mark = video_state.get(f"__wm__:{p}".encode())
                    if raw_mark is not None:
                        wm, first = msgspec.json.decode(raw_mark)
                        part.stage.marks[0] = wm
                        part.first_ms = first
                snaps: list[VideoSnapshot] = []
                last: dict[str, Any] = {}
                origin: dict[int, Any] = {}
                for ev in evs:
                    try:
                        snap = decode_snapshot(ev.message.value)
                    except SchemaError as exc:
                        sends.append(await _dead(dead_letters, ev, str(exc)))
                        continue
                    vid = snap.video_id
                    if vid not in part.stage.videos:
                        raw = video_state.get(vid.encode())
                        if raw is not None:
                            loaded = part.stage.videos[vid] = _load_state(raw)
                            # A crash can leave the video's state newer than the partition's
                            # mark: its watermark was at least that far.
                            marks = part.stage.marks
                            marks[0] = max(marks[0], loaded.last_ms)
                    snaps.append(snap)
                    last[vid] = ev
                    origin[id(snap)] = ev
                out = part.process(snaps)
                for snap, reason in out.rejected:
                    sends.append(await _dead(dead_letters, origin[id(snap)], reason, snap))
                gone[p] = [(vid, evs[-1]) for vid in out.evicted]
                for i in range(0, max(len(out.snapshots), len(out.deltas)), CHUNK):
                    batch = SinkBatch(
                        snapshots=out.snapshots[i : i + CHUNK], deltas=out.deltas[i : i + CHUNK]
                    )
                    sends.append(await deltas.send(value=encode(batch), partition=p))
                mark = part.watermark()
                routed = route(out.deltas, parts)
                for q in range(parts):
                    ds, keys = routed.get(q, ([], []))
                    for i in range(0, max(len(ds), 1), CHUNK):
                        last_chunk = i + CHUNK >= len(ds)
                        if not ds and mark is None:
                            break
                        record = EntityBatch(
                            part=p,
                            deltas=ds[i : i + CHUNK],
                            entities=keys[i : i + CHUNK],
                            mark=mark if last_chunk else None,
                        )
                        sends.append(await entity_deltas.send(value=encode(record), partition=q))
                touched[p] = last
            await _gather(sends)
            # Only now that the broker holds every output may the state say they were made; and
            # the batch is acknowledged only once the broker holds the state too.
            changes = _Changelog(app, video_state)
            for p, evicted in gone.items():
                for vid, _ in evicted:
                    if vid.encode() in video_state.data:
                        await changes.put(p, vid.encode(), None)
            for p, last in touched.items():
                part = stage1[p]
                for vid in last:
                    st = part.stage.videos.get(vid)
                    if st is not None:
                        await changes.put(p, vid.encode(), _dump_state(st))
                if last:
                    where = msgspec.json.encode([part.stage.marks[0], part.first_ms])
                    await changes.put(p, f"__wm__:{p}".encode(), where)
            await changes.flush()

    stage2 = _Rebuilt()
    said: dict[int, list[int]] = {}
    stage2_state = topic(snapshot.STAGE2_STATE)
    made_with = snapshot.fingerprint(engine, parts)
    snapshot_due: dict[int, float] = {}
    covered: dict[int, int] = {}
    """Per partition, the input offset its loaded snapshot covers (records below are in it)."""

    def stage2_apply(p: int, value: bytes, key: bytes | None) -> EntityPartition:
        part = stage2.states.get(p)
        if part is None:
            part = stage2.states[p] = EntityPartition(engine, p, parts)
        batch = _entity_batch.decode(value)
        for d, keys in zip(batch.deltas, batch.entities, strict=True):
            part.delta(d, keys)
        if batch.mark is not None:
            part.watermark(batch.mark)
        return part

    def stage2_batch(p: int, values: list[bytes]) -> Any:
        for value in values:
            stage2_apply(p, value, None)
        return stage2.states[p].drain()

    @app.agent(entity_deltas)
    async def stage_two(stream: Any) -> None:
        async for events in stream.take_events(opts.batch, within=opts.within_s):
            sends: list[Awaitable[Any]] = []
            for p, evs in _by_partition(events).items():
                first = evs[0].message.offset
                redelivered = p in stage2.states and first < stage2.expect.get(p, 0)
                if redelivered:
                    # Delivered again from an earlier offset (a seek to the committed one):
                    # this state already holds those records, and their outputs were sent.
                    covered[p] = max(covered.get(p, 0), stage2.expect[p])
                    log.info("stage 2 partition %s: offsets from %s again, already held", p, first)
                elif stage2.expect.get(p) != first:
                    stage2.states.pop(p, None)
                    start = 0
                    loaded: tuple[int, EntityPartition] | None = None
                    if kafka.snapshot_interval_s > 0:
                        loaded = await snapshot.load_latest(kafka, p, made_with, EntityPartition)
                    if loaded is not None:
                        start, stage2.states[p] = loaded
                    covered[p] = start
                    await _replay(
                        kafka, f"{prefix}{ENTITY_DELTAS}", p, first, stage2_apply, start=start
                    )
                    log.info("stage 2 partition %s resumed from offset %s", p, start)
                    stage2.states.setdefault(p, EntityPartition(engine, p, parts))
                    stage2.states[p].drain()
                    snapshot_due[p] = 0.0  # one after the first batch, then on the interval
                last = evs[-1].message.offset + 1
                stage2.expect[p] = max(stage2.expect[p], last) if redelivered else last
                # Records the snapshot covers: their outputs were acknowledged before it.
                evs = [ev for ev in evs if ev.message.offset >= covered.get(p, 0)]
                if not evs:
                    continue
                # In a thread: a bucket's close can take a few hundred ms, during which stage 1
                # and the sinks (on this loop) go on, sharing the interpreter.
                out = await asyncio.to_thread(stage2_batch, p, [ev.message.value for ev in evs])
                for tick in out.ticks:
                    sends.append(await board_ticks.send(value=encode(tick), partition=0))
                if out.spikes:
                    value = encode(SinkBatch(spikes=out.spikes))
                    sends.append(await spikes.send(value=value, partition=p))
                waiting = stage2.states[p].waiting_for
                if waiting and waiting != said.get(p):
                    said[p] = waiting
                    log.warning(
                        "stage 2 partition %s waits for snapshots partitions %s, which have "
                        "carried no data yet: boards are held until they do",
                        p,
                        waiting,
                    )
            await _gather(sends)
            # Only once the broker holds every output of the records a snapshot covers.
            now = time.monotonic()
            for p in _by_partition(events):
                if kafka.snapshot_interval_s <= 0 or now < snapshot_due.get(p, 0.0):
                    continue
                snapshot_due[p] = now + kafka.snapshot_interval_s
                offset = max(stage2.expect[p], covered.get(p, 0))
                value = await asyncio.to_thread(
                    snapshot.encode_state, stage2.states[p], offset, made_with
                )
                await (
                    await stage2_state.send(
                        key=str(p).encode(), value=value, partition=p, force=True
                    )
                )

    ranker = _Rebuilt()
    ranker_state = topic(snapshot.RANKER_STATE, 1)
    ranker_due = [0.0]
    ranker_covered = [0]

    def ranker_apply(p: int, value: bytes, key: bytes | None) -> list[TrendScore]:
        merger = ranker.states.get(0)
        if merger is None:
            merger = ranker.states[0] = TickMerger(engine, parts)
        return merger.add(_tick.decode(value))

    @app.agent(board_ticks)
    async def rank(stream: Any) -> None:
        async for events in stream.take_events(opts.batch, within=opts.within_s):
            sends: list[Awaitable[Any]] = []
            first = events[0].message.offset
            if ranker.expect.get(0) != first:
                ranker.states.clear()
                start = 0
                loaded: tuple[int, TickMerger] | None = None
                if kafka.snapshot_interval_s > 0:
                    loaded = await snapshot.load_latest(
                        kafka, 0, made_with, TickMerger, snapshot.RANKER_STATE
                    )
                if loaded is not None:
                    start, ranker.states[0] = loaded
                ranker_covered[0] = start
                await _replay(kafka, f"{prefix}{BOARD_TICKS}", 0, first, ranker_apply, start=start)
                log.info("the ranker resumed from offset %s", start)
                ranker_due[0] = 0.0
            made: list[TrendScore] = []
            for ev in events:
                # Below the snapshot's offset: in it already, and its scores were sent.
                if ev.message.offset >= ranker_covered[0]:
                    made += ranker_apply(0, ev.message.value, None)
            for i in range(0, len(made), CHUNK):
                value = encode(SinkBatch(scores=made[i : i + CHUNK]))
                sends.append(await scores.send(value=value, partition=0))
            ranker.expect[0] = events[-1].message.offset + 1
            await _gather(sends)
            now = time.monotonic()
            if kafka.snapshot_interval_s > 0 and now >= ranker_due[0] and 0 in ranker.states:
                ranker_due[0] = now + kafka.snapshot_interval_s
                offset = max(ranker.expect[0], ranker_covered[0])
                value = snapshot.encode_state(ranker.states[0], offset, made_with)
                await (await ranker_state.send(key=b"ranker", value=value, partition=0, force=True))

    if opts.sinks:
        _add_sink(app, opts, kafka, engine, redis, mongo)
        from trendmon.runtimes.alert_agent import add_alerts

        add_alerts(app, kafka, mongo, spikes_topic=SPIKES, within_s=opts.within_s)

    return app


def _by_partition(events: Iterable[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for ev in events:
        grouped[ev.message.partition].append(ev)
    return dict(sorted(grouped.items()))


async def _dead(
    topic: faust.TopicT, ev: Any, reason: str, snap: VideoSnapshot | None = None
) -> Awaitable[Any]:
    msg = ev.message
    at = snap.collected_at if snap is not None else utc(msg.timestamp)
    letter = Rejected(
        reason=reason, origin=f"{msg.topic}@{msg.partition}:{msg.offset}", raw=msg.value
    )
    m = letter.message(at)
    fut: Awaitable[Any] = await topic.send(key=m.key.encode(), value=m.value)
    return fut


async def _replay(
    kafka: KafkaSettings,
    name: str,
    partition: int,
    until: int,
    apply: Callable[[int, bytes, bytes | None], Any],
    *,
    start: int = 0,
) -> int:
    """Feed ``apply`` the records of one partition from ``start`` (0: its first offset) up to
    ``until``."""
    if until <= start:
        return 0
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers.split(","),
        enable_auto_commit=False,
        group_id=None,
        client_id=f"{kafka.client_id}-rebuild",
    )
    await consumer.start()
    done = 0
    try:
        tp = TopicPartition(name, partition)
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
                apply(partition, record.value, record.key)
                done += 1
            position = await consumer.position(tp)
    finally:
        await consumer.stop()
    log.info("rebuilt %s[%s] from %s records", name, partition, done)
    return done


def _add_sink(
    app: faust.App,
    opts: WorkerOptions,
    kafka: KafkaSettings,
    engine: EngineSettings,
    redis: RedisSettings | None,
    mongo: MongoSettings | None,
) -> None:
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
        bus.create_topic(snapshot.STAGE2_STATE, configs=dict(snapshot.TOPIC_CONFIGS))
        bus.create_topic(snapshot.RANKER_STATE, partitions=1, configs=dict(snapshot.TOPIC_CONFIGS))
    finally:
        bus.close()
