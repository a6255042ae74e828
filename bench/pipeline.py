"""The whole distributed chain against a Faust agent that only forwards (issue 4).

Needs the services (`make services`, or TRENDMON_TEST_KAFKA, TRENDMON_TEST_REDIS_URL and
TRENDMON_TEST_MONGODB_URI pointing at running ones). In one run, on fresh topics:

1. **pass-through**: a Faust app with one agent that forwards every record of a topic to
   another, batched as trendmon's agents are (``take_events`` and one send per record), over
   the same simulator snapshots: the ceiling of the framework on this machine;
2. **pipeline**: one ``trendmon worker`` (stage 1, stage 2, ranker, Redis and MongoDB sinks) on
   a backlog of the same number of snapshots, until both the live store and the history hold
   every one (the live store is written by its own agent, ahead of MongoDB); sustained
   snapshots per second, from the first write to the last;
3. **latency** at a fixed load of half that rate: the world's next snapshots are published at
   that pace (a batch every 50 ms) for ``--latency-s`` seconds, and each one's delay from
   publish until its video's card in Redis holds its delta (read on every live-store change
   message, which is what the dashboard pushes on) is measured; p50 and p99.

Each worker runs in its own process, as in production. The last line is the ratio of the
pipeline's throughput to the pass-through's, and its target. ``--quick`` does all of it on 5,000
snapshots with 3 s of latency, in well under a minute (a check that the benchmark works, not a
measurement: start-up weighs on so few).

    .venv/bin/python bench/pipeline.py [--snapshots 20000] [--latency-s 30]
    .venv/bin/python bench/pipeline.py --quick
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from trendmon.engine.velocity import Stage1
from trendmon.events import VideoDelta, VideoSnapshot, encode
from trendmon.log.base import SNAPSHOTS, Message
from trendmon.log.kafka import KafkaBus
from trendmon.partitioner import partition_for
from trendmon.producers.simulator.observe import Simulation
from trendmon.runtimes.distributed import ensure_topics
from trendmon.settings import (
    EngineSettings,
    KafkaSettings,
    MongoSettings,
    RedisSettings,
    SimulatorSettings,
)
from trendmon.sinks.factory import open_history
from trendmon.sinks.redis.store import LiveStore

PARTITIONS = 4
RETENTION_H = 1_000_000  # the simulated snapshots are months old; retention goes by timestamp

PASSTHROUGH = textwrap.dedent(
    """
    import sys
    import faust

    servers, source, target = sys.argv[1], sys.argv[2], sys.argv[3]
    app = faust.App(
        source + "-forward", broker="kafka://" + servers, store="memory://", web_enabled=False,
        topic_partitions={partitions}, consumer_auto_offset_reset="earliest",
        table_standby_replicas=0, broker_session_timeout=10, broker_heartbeat_interval=1,
    )
    src = app.topic(source, key_serializer="raw", value_serializer="raw")
    dst = app.topic(target, key_serializer="raw", value_serializer="raw")

    @app.agent(src)
    async def forward(stream):
        async for events in stream.take_events(500, within=0.2):
            futures = [await dst.send(key=e.message.key, value=e.message.value) for e in events]
            for f in futures:
                await f

    if __name__ == "__main__":
        sys.argv = [sys.argv[0], "worker", "-l", "warn"]
        app.main()
    """
).format(partitions=PARTITIONS)


def services() -> tuple[str, str, str]:
    env = Path(os.environ.get("TRENDMON_SERVICES_DIR", Path.home() / ".cache/trendmon/run"))
    found = dict(os.environ)
    if (env / "env").is_file():
        for line in (env / "env").read_text().splitlines():
            key, _, value = line.partition("=")
            found.setdefault(key, value)
    try:
        return (
            found["TRENDMON_TEST_KAFKA"],
            found["TRENDMON_TEST_REDIS_URL"],
            found["TRENDMON_TEST_MONGODB_URI"],
        )
    except KeyError:
        sys.exit("no services: run `make services` first")


def world(seed: int, count: int) -> list[VideoSnapshot]:
    sim = Simulation(SimulatorSettings(videos=2000, creators=500, hours=24, seed=seed))
    return list(itertools.islice(sim.snapshots(), count))


def publish(kafka: KafkaSettings, topic: str, snaps: list[VideoSnapshot]) -> None:
    bus = KafkaBus(kafka)
    try:
        messages = [
            Message(s.video_id, encode(s), int(s.collected_at.timestamp() * 1000)) for s in snaps
        ]
        for i in range(0, len(messages), 5000):
            bus.publish(topic, messages[i : i + 5000])
    finally:
        bus.close()


def end_offset(servers: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=servers)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(parts).values()) if parts else 0
    finally:
        consumer.close()


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def made_of(snaps: list[VideoSnapshot]) -> tuple[int, list[str]]:
    """The deltas stage 1 makes of these (what the live store's counter reaches), and the
    event id of the last snapshot it accepts in each partition: the history holds every one
    once it holds those (each partition's batches are written in order)."""
    stage = Stage1(EngineSettings())
    out: list[VideoDelta] = []
    last: dict[int, str] = {}
    for snap in snaps:
        before = len(out)
        stage.process(snap, out)
        if len(out) > before:
            last[partition_for(snap.video_id, PARTITIONS)] = snap.event_id
    return len(out), [last[p] for p in sorted(last)]


def rate_of(samples: list[tuple[float, int]], total: int) -> float:
    """Records per second between the first progress and the moment ``total`` was reached."""
    started = next(t for t, n in samples if n > 0)
    first = next(n for t, n in samples if n > 0)
    done = next(t for t, n in samples if n >= total)
    if first >= total:
        sys.exit(f"all {total:,} records went through between two polls: ask for more")
    return (total - first) / max(done - started, 1e-9)


def passthrough(servers: str, snaps: list[VideoSnapshot], tmp: Path) -> float:
    tag = uuid.uuid4().hex[:8]
    kafka = KafkaSettings(
        bootstrap_servers=servers,
        topic_prefix=f"bench-{tag}.",
        partitions=PARTITIONS,
        retention_hours=RETENTION_H,
    )
    source, target = kafka.topic_prefix + "in", kafka.topic_prefix + "out"
    bus = KafkaBus(kafka)
    bus.create_topic("in")
    bus.create_topic("out")
    bus.close()
    publish(kafka, "in", snaps)
    script = tmp / "forward.py"
    script.write_text(PASSTHROUGH)
    proc = start(
        [sys.executable, str(script), servers, source, target],
        dict(os.environ),
        tmp / "forward.log",
    )
    samples: list[tuple[float, int]] = []
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            n = end_offset(servers, target)
            samples.append((time.monotonic(), n))
            if n >= len(snaps):
                break
            time.sleep(0.2)
    finally:
        stop(proc)
    return rate_of(samples, len(snaps))


def pipeline(
    servers: str,
    redis_url: str,
    mongo_uri: str,
    snaps: list[VideoSnapshot],
    later: list[VideoSnapshot],
    latency_s: float,
    tmp: Path,
) -> tuple[float, list[float]]:
    tag = uuid.uuid4().hex[:8]
    kafka = KafkaSettings(
        bootstrap_servers=servers,
        topic_prefix=f"bench-{tag}.",
        partitions=PARTITIONS,
        retention_hours=RETENTION_H,
    )
    ensure_topics(kafka, EngineSettings())
    namespace = f"bench{tag}"
    env = {
        **os.environ,
        "TRENDMON_KAFKA_BOOTSTRAP_SERVERS": servers,
        "TRENDMON_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        "TRENDMON_KAFKA_PARTITIONS": str(PARTITIONS),
        "TRENDMON_KAFKA_RETENTION_HOURS": str(RETENTION_H),
        "TRENDMON_REDIS_URL": redis_url,
        "TRENDMON_MONGO_URI": mongo_uri,
        "TRENDMON_MONGO_DATABASE": f"bench_{tag}",
    }
    publish(kafka, SNAPSHOTS, snaps)
    live = LiveStore.open(RedisSettings(url=redis_url), namespace=namespace)
    history = open_history(
        "mongo", namespace=namespace, mongo=MongoSettings(uri=mongo_uri, database=f"bench_{tag}")
    )
    proc = start(
        [str(Path(sys.executable).with_name("trendmon")), "worker", "--namespace", namespace],
        env,
        tmp / "worker.log",
    )
    samples: list[tuple[float, int]] = []
    deltas, last = made_of(snaps)
    total = len(snaps)
    try:
        deadline = time.monotonic() + 1200
        while time.monotonic() < deadline:
            # Progress of the chain in snapshots: through when both stores hold every one (the
            # history is asked by id, which even FerretDB answers at once; a count would scan).
            n = min(round(live.meta()["snapshots"] / deltas * total), total)
            if n >= total and not history.holds(last):
                n = total - 1
            samples.append((time.monotonic(), n))
            if n >= total:
                break
            if proc.poll() is not None:
                sys.exit(f"the worker stopped:\n{(tmp / 'worker.log').read_text()[-3000:]}")
            time.sleep(0.2)
        rate = rate_of(samples, total)
        delays = latency(kafka, live, snaps, later, rate / 2, latency_s)
    finally:
        stop(proc)
        live.clear()
        live.close()
        history.clear()
        history.close()
    return rate, delays


def seqs_of(earlier: list[VideoSnapshot], later: list[VideoSnapshot]) -> list[int | None]:
    """The ``seq`` of the delta each of ``later`` makes (None: none), after ``earlier``."""
    stage = Stage1(EngineSettings())
    out: list[VideoDelta] = []
    for snap in earlier:
        stage.process(snap, out)
    seqs: list[int | None] = []
    for snap in later:
        out.clear()
        stage.process(snap, out)
        seqs.append(out[-1].seq if out else None)
    return seqs


def latency(
    kafka: KafkaSettings,
    live: LiveStore,
    earlier: list[VideoSnapshot],
    later: list[VideoSnapshot],
    rate: float,
    seconds: float,
) -> list[float]:
    """Publish the world's next snapshots at ``rate`` a second for ``seconds`` (in batches every
    50 ms); each one's delay until its video's card in Redis holds its delta.

    On every change message the live store publishes (one per write batch), the cards of all
    the videos still waiting are read: a change message names at most ``MAX_CHANGED_VIDEOS``
    videos (``trendmon.sinks.redis.store``), so waiting for a video to be named would measure,
    for the others, the change after the one that carried them.
    """
    seqs = seqs_of(earlier, later)
    waiting: dict[str, list[tuple[float, int]]] = {}
    delays: list[float] = []
    lock = threading.Lock()
    feed = live.subscribe()
    stop_reading = threading.Event()

    def read() -> None:
        while not stop_reading.is_set():
            if feed.get(timeout=0.2) is None:
                continue
            with lock:
                vids = list(waiting)
            for start in range(0, len(vids), 1000):
                chunk = vids[start : start + 1000]
                cards = live.videos(chunk)
                now = time.monotonic()  # after the read: a card written during it counts late
                with lock:
                    for vid, card in zip(chunk, cards, strict=True):
                        if card is None or card.get("seq") in (None, ""):
                            continue
                        seq = int(card["seq"])
                        pending = waiting.get(vid, [])
                        delays.extend(now - at for at, want in pending if want <= seq)
                        rest = [(at, want) for at, want in pending if want > seq]
                        if rest:
                            waiting[vid] = rest
                        else:
                            waiting.pop(vid, None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    bus = KafkaBus(kafka)
    sent = 0
    step = 0.05
    per_step = max(1, round(rate * step))
    try:
        began = time.monotonic()
        for n, i in enumerate(range(0, len(later), per_step)):
            due = began + n * step
            if due - began > seconds:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            chunk = later[i : i + per_step]
            at = time.monotonic()
            bus.publish(
                SNAPSHOTS,
                [
                    Message(s.video_id, encode(s), int(s.collected_at.timestamp() * 1000))
                    for s in chunk
                ],
            )
            with lock:
                for s, seq in zip(chunk, seqs[i : i + per_step], strict=True):
                    if seq is not None:
                        waiting.setdefault(s.video_id, []).append((at, seq))
                        sent += 1
        deadline = time.monotonic() + 10  # let the last ones through
        while time.monotonic() < deadline and waiting:
            time.sleep(0.2)
    finally:
        stop_reading.set()
        reader.join()
        feed.close()
        bus.close()
    print(f"latency measured for {len(delays):,} of {sent:,} published snapshots")
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=20_000)
    parser.add_argument("--latency-s", type=float, default=30.0)
    parser.add_argument(
        "--quick", action="store_true", help="5,000 snapshots, 3 s of latency (a smoke run)"
    )
    args = parser.parse_args()
    if args.quick:
        args.snapshots, args.latency_s = min(args.snapshots, 5000), min(args.latency_s, 3.0)
    servers, redis_url, mongo_uri = services()
    snaps = world(3, args.snapshots)
    # The latency phase continues the same world: its clock keeps going.
    later = world(3, args.snapshots * 4)[args.snapshots :]
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        forward = passthrough(servers, snaps, tmp)
        print(f"pass-through Faust agent: {forward:,.0f} records/s over {len(snaps):,}")
        rate, delays = pipeline(servers, redis_url, mongo_uri, snaps, later, args.latency_s, tmp)
    print(
        f"pipeline (one worker: stage 1, stage 2, ranker, Redis, MongoDB): {rate:,.0f} "
        f"snapshots/s sustained over {len(snaps):,}"
    )
    if len(delays) >= 2:
        q = statistics.quantiles(delays, n=100)
        print(
            f"publish to Redis board update at {rate / 2:,.0f} snapshots/s: p50 {q[49]:.3f} s, "
            f"p99 {q[98]:.3f} s over {len(delays)} snapshots (target p99 < 1.0)"
        )
    else:
        print(f"publish to Redis board update: only {len(delays)} measured")
    print(f"pipeline/passthrough throughput ratio: {rate / forward:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
