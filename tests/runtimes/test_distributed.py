"""The distributed runtime on the real services: Kafka, Redis and MongoDB (FerretDB).

Each test publishes a simulated log to its own topics, runs ``trendmon worker`` processes on it
and compares the live boards in Redis with those the embedded engine makes from the same log.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from trendmon.engine.engine import Engine
from trendmon.events import VideoSnapshot, encode
from trendmon.log.base import DEAD_LETTERS, SNAPSHOTS, Message
from trendmon.log.kafka import KafkaBus
from trendmon.producers.simulator.observe import Simulation
from trendmon.runtimes.distributed import SCORES, ensure_topics
from trendmon.runtimes.embedded import Sinks
from trendmon.settings import EngineSettings, KafkaSettings, RedisSettings, SimulatorSettings
from trendmon.sinks.redis.store import LiveStore

pytestmark = [pytest.mark.services, pytest.mark.slow]

PARTITIONS = 4
RETENTION_H = 1_000_000
"""The simulated snapshots are months old, and Kafka's retention goes by their timestamps."""
SERVICES = Path(__file__).resolve().parents[2] / "scripts" / "services.sh"
TROUBLE = [b"not json at all", b'{"type":"video_snapshot","v":1,"video_id":"x"}']


@pytest.fixture(scope="module")
def snapshots() -> list[VideoSnapshot]:
    sim = Simulation(SimulatorSettings(videos=160, creators=60, hours=5, seed=8))
    return list(itertools.islice(sim.snapshots(), 14_000))


@pytest.fixture(scope="module")
def expected(snapshots: list[VideoSnapshot], redis_url: str) -> dict[str, list[list[Any]]]:
    """The boards of the embedded engine on the same log (same partition count)."""
    live = LiveStore.open(RedisSettings(url=redis_url), namespace=f"exp{uuid.uuid4().hex[:8]}")
    engine = Engine(EngineSettings(), partitions=PARTITIONS)
    sinks = Sinks(live=live)
    try:
        for i in range(0, len(snapshots), 1000):
            batch = snapshots[i : i + 1000]
            out = engine.process(batch)
            sinks.write(out.select(batch), out)
        dump = live.dump()
        live.clear()
    finally:
        sinks.close()
    assert any(k.startswith("board:hashtag") for k in dump)
    return dump


@dataclass
class Pipeline:
    kafka: KafkaSettings
    env: dict[str, str]
    namespace: str
    redis_url: str
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def publish(self, snapshots: list[VideoSnapshot], trouble: list[bytes] = ()) -> None:  # type: ignore[assignment]
        bus = KafkaBus(self.kafka)
        try:
            messages = [
                Message(s.video_id, encode(s), int(s.collected_at.timestamp() * 1000), s.event_id)
                for s in snapshots
            ]
            # Poison among the good records, in the partition of a real video.
            for i, raw in enumerate(trouble):
                at = len(messages) // (len(trouble) + 1) * (i + 1)
                messages.insert(at, Message(messages[at].key, raw, messages[at].timestamp_ms))
            bus.publish(SNAPSHOTS, messages)
        finally:
            bus.close()

    def start_worker(self, tmp: Path, instance_id: str | None = None) -> subprocess.Popen[bytes]:
        path = tmp / f"worker-{len(self.logs)}.log"
        self.logs.append(path)
        static = ["--instance-id", instance_id] if instance_id else []
        with path.open("wb") as out:
            proc = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("trendmon")),
                    "worker",
                    "--namespace",
                    self.namespace,
                    "--loglevel",
                    "info",
                    "--batch",
                    "500",
                    *static,
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.workers.append(proc)
        return proc

    def wait_stable(self, members: int, timeout: float = 120) -> None:
        """Wait until the workers' consumer group is stable with ``members`` members."""
        from kafka import KafkaAdminClient
        from kafka.errors import CoordinatorNotAvailableError

        group = f"{self.kafka.topic_prefix}trendmon"
        admin = KafkaAdminClient(bootstrap_servers=self.kafka.bootstrap_servers)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    found = admin.describe_groups([group])[group]
                except CoordinatorNotAvailableError:  # the group's coordinator is still loading
                    time.sleep(0.5)
                    continue
                if found["group_state"] == "Stable" and len(found["members"]) == members:
                    return
                time.sleep(0.5)
        finally:
            admin.close()
        pytest.fail(f"the group {group} did not settle with {members} members\n{self.tail()}")

    def boards(self) -> dict[str, list[list[Any]]]:
        live = LiveStore.open(RedisSettings(url=self.redis_url), namespace=self.namespace)
        try:
            return live.dump()
        finally:
            live.close()

    def wait_for(
        self,
        want: dict[str, list[list[Any]]],
        timeout: float = 300,
        *,
        restart_in: Path | None = None,
        restarts: int = 3,
    ) -> None:
        """Wait until the boards are ``want``; a worker that fails is an error, unless
        ``restart_in`` is given: then it is started again (at most ``restarts`` times), as
        compose's ``restart: unless-stopped`` does."""
        deadline = time.monotonic() + timeout
        got: dict[str, list[list[Any]]] = {}
        while time.monotonic() < deadline:
            got = self.boards()
            if got == want:
                return
            for proc in list(self.workers):
                if proc.poll() is None or proc.returncode in (0, -9):
                    continue
                assert restart_in is not None and restarts > 0, self.tail()
                restarts -= 1
                self.workers.remove(proc)
                self.start_worker(restart_in)
            time.sleep(2)
        missing = sorted(set(want) - set(got))
        differ = sorted(k for k in set(want) & set(got) if want[k] != got[k])
        sample = ""
        for key in differ[:3]:
            w, g = dict(map(tuple, want[key])), dict(map(tuple, got[key]))
            sample += (
                f"\n{key}: only expected {sorted(set(w) - set(g))[:3]}, only got "
                f"{sorted(set(g) - set(w))[:3]}, "
                f"changed {[(m, w[m], g[m]) for m in w if m in g and w[m] != g[m]][:3]}"
            )
        pytest.fail(
            f"boards still differ after {timeout:.0f} s: {len(got)} of {len(want)} boards, "
            f"{len(missing)} missing {missing[:5]}, {len(differ)} different {differ[:8]}"
            f"{sample}\n{self.tail()}"
        )

    def tail(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.logs)

    def stop(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture
def pipeline(
    kafka_bootstrap: str, redis_url: str, mongo_uri: str, tmp_path: Path
) -> Iterator[Pipeline]:
    tag = uuid.uuid4().hex[:8]
    kafka = KafkaSettings(
        bootstrap_servers=kafka_bootstrap,
        topic_prefix=f"test-{tag}.",
        partitions=PARTITIONS,
        retention_hours=RETENTION_H,
    )
    env = {
        **os.environ,
        "TRENDMON_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TRENDMON_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        "TRENDMON_KAFKA_PARTITIONS": str(PARTITIONS),
        "TRENDMON_KAFKA_RETENTION_HOURS": str(RETENTION_H),
        "TRENDMON_REDIS_URL": redis_url,
        "TRENDMON_MONGO_URI": mongo_uri,
        "TRENDMON_MONGO_DATABASE": f"test_{tag}",
        "TRENDMON_HOME": str(tmp_path / "home"),
    }
    ensure_topics(kafka, EngineSettings())
    p = Pipeline(kafka, env, f"ns{tag}", redis_url)
    yield p
    p.stop()
    live = LiveStore.open(RedisSettings(url=redis_url), namespace=p.namespace)
    live.clear()
    live.close()


def test_one_worker_gives_the_embedded_boards(
    pipeline: Pipeline, snapshots: list[VideoSnapshot], expected: dict[str, Any], tmp_path: Path
) -> None:
    pipeline.start_worker(tmp_path)
    pipeline.publish(snapshots, TROUBLE)
    pipeline.wait_for(expected)
    # The poison went to the dead letters, with the reason, and the partition kept flowing.
    bus = KafkaBus(pipeline.kafka)
    try:
        letters = [orjson.loads(r.value) for r in bus.read(DEAD_LETTERS)]
    finally:
        bus.close()
    assert sorted(letter["raw"] for letter in letters) == sorted(t.decode() for t in TROUBLE)
    reasons = " ".join(letter["reason"] for letter in letters)
    assert "not a JSON event" in reasons and "invalid event" in reasons


def services(*args: str) -> None:
    """Stop (down) or start again (up) one of the test services."""
    subprocess.run(["bash", str(SERVICES), *args], check=True, capture_output=True, timeout=180)


def mongo_snapshots(pipeline: Pipeline) -> list[tuple[str, str, int]]:
    """(event id, video id, collected ms) of every snapshot in the history."""
    from pymongo import MongoClient

    with MongoClient(pipeline.env["TRENDMON_MONGO_URI"]) as client:
        db = client[f"{pipeline.env['TRENDMON_MONGO_DATABASE']}_{pipeline.namespace}"]
        return [
            (doc["_id"], doc["video_id"], doc["collected_ms"])
            for doc in db["snapshots"].find({}, {"_id": 1, "video_id": 1, "collected_ms": 1})
        ]


def test_replay_on_kafka_rebuilds_the_boards_and_twice_changes_nothing(
    pipeline: Pipeline, snapshots: list[VideoSnapshot], expected: dict[str, Any]
) -> None:
    pipeline.publish(snapshots, TROUBLE)
    command = [
        str(Path(sys.executable).with_name("trendmon")),
        "replay",
        "--bus",
        "kafka",
        "--into",
        pipeline.namespace,
    ]
    for _ in range(2):
        run = subprocess.run(command, env=pipeline.env, capture_output=True, timeout=300)
        assert run.returncode == 0, run.stderr.decode()
        summary = orjson.loads(run.stdout)
        assert summary["records"] == len(snapshots) + len(TROUBLE)
        assert summary["dead_letters"] == len(TROUBLE)
        assert pipeline.boards() == expected
    # The replay stores the snapshots the engine accepted, as the embedded runtime does.
    accepted = Engine(EngineSettings(), partitions=PARTITIONS).process(snapshots).select(snapshots)
    assert sorted(e for e, _, _ in mongo_snapshots(pipeline)) == sorted(
        s.event_id for s in accepted
    )


def test_kill_9_of_a_worker_then_restart_loses_and_doubles_nothing(
    pipeline: Pipeline, snapshots: list[VideoSnapshot], expected: dict[str, Any], tmp_path: Path
) -> None:
    pipeline.publish(snapshots)
    # Snapshots of stage 2 every second, so that the restart resumes from one, not the start.
    pipeline.env["TRENDMON_KAFKA_SNAPSHOT_INTERVAL_S"] = "1"
    # Restarted under the same name, it takes its partitions back without a rebalance: a
    # rebalance while it processes can leave partitions unfetched (faust-streaming#629; seen
    # once in 8 runs of this test without it, boards stopped short).
    worker = pipeline.start_worker(tmp_path, instance_id="w1")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not pipeline.boards():
        time.sleep(0.5)
    assert pipeline.boards(), pipeline.tail()
    time.sleep(0.5)  # mid-stream: some of the log is done, some is not
    assert pipeline.boards() != expected
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    pipeline.start_worker(tmp_path, instance_id="w1")
    pipeline.wait_for(expected)
    restarted = pipeline.logs[-1].read_text(errors="replace")
    resumed = [
        int(line.split()[-1])
        for line in restarted.splitlines()
        if "resumed from offset" in line
    ]
    assert any(offset > 0 for offset in resumed), restarted[-3000:]


def test_two_workers_share_the_partitions_and_agree_with_one(
    pipeline: Pipeline, snapshots: list[VideoSnapshot], expected: dict[str, Any], tmp_path: Path
) -> None:
    pipeline.start_worker(tmp_path)
    pipeline.start_worker(tmp_path)
    # Joined before the data comes: a rebalance while they process can leave partitions
    # unfetched (faust-streaming#629, seen here in 2 of 4 runs), see the README's limits.
    pipeline.wait_stable(members=2)
    pipeline.publish(snapshots)
    pipeline.wait_for(expected)


@pytest.mark.skipif(shutil.which("kcat") is None and not os.environ.get("CI"), reason="no kcat")
def test_kcat_reads_versioned_json(
    pipeline: Pipeline, snapshots: list[VideoSnapshot], expected: dict[str, Any], tmp_path: Path
) -> None:
    kcat = shutil.which("kcat")
    assert kcat, "kcat is missing: make test installs it (apt-get install kcat)"
    pipeline.start_worker(tmp_path)
    pipeline.publish(snapshots[:4000])
    records: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not records:
        run = subprocess.run(
            [
                kcat,
                "-b",
                pipeline.kafka.bootstrap_servers,
                "-C",
                "-e",
                "-q",
                "-c",
                "3",
                "-t",
                f"{pipeline.kafka.topic_prefix}{SCORES}",
                "-f",
                "%s\n",
            ],
            capture_output=True,
            timeout=60,
            check=True,
        )
        records = [orjson.loads(line) for line in run.stdout.splitlines()]
        time.sleep(1)
    assert records, pipeline.tail()
    for record in records:
        assert record["type"] == "sink_batch" and record["v"] == 1
        assert record["scores"]
        for score in record["scores"]:
            assert score["type"] == "trend_score" and score["v"] == 1
            assert score["entity"].split(":")[0] == score["kind"]
    # The snapshots topic holds the producers' records as they are.
    run = subprocess.run(
        [
            kcat,
            "-b",
            pipeline.kafka.bootstrap_servers,
            "-C",
            "-e",
            "-q",
            "-c",
            "1",
            "-t",
            f"{pipeline.kafka.topic_prefix}{SNAPSHOTS}",
            "-f",
            "%k\t%s\n",
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    key, value = run.stdout.rstrip(b"\n").split(b"\t", 1)
    snapshot = orjson.loads(value)
    assert snapshot["type"] == "video_snapshot" and snapshot["v"] == 1
    assert snapshot["video_id"] == key.decode()


def test_redis_restarted_empty_gets_its_boards_back(
    pipeline: Pipeline, snapshots: list[VideoSnapshot], expected: dict[str, Any], tmp_path: Path
) -> None:
    pipeline.start_worker(tmp_path)
    pipeline.publish(snapshots)
    pipeline.wait_for(expected)
    try:
        services("down", "redis")
    finally:
        services("up", "redis")
    pipeline.wait_for(expected, timeout=120)
    # Nothing new was published: the boards came back from the topics.
    logs = "".join(p.read_text(errors="replace") for p in pipeline.logs)
    assert "Redis had lost the live boards: rebuilt them from" in logs


def test_mongodb_away_for_a_minute_then_every_snapshot_is_there_once(
    pipeline: Pipeline, snapshots: list[VideoSnapshot], expected: dict[str, Any], tmp_path: Path
) -> None:
    half = len(snapshots) // 2
    pipeline.start_worker(tmp_path)
    pipeline.publish(snapshots[:half])
    try:
        services("down", "ferretdb")
        pipeline.publish(snapshots[half:])
        time.sleep(60)
        assert "sink waits for its store" in pipeline.tail()
    finally:
        services("up", "ferretdb")
    pipeline.wait_for(expected)
    deadline = time.monotonic() + 120
    # Every snapshot stage 1 accepted is stored once, as the embedded runtime stores them.
    accepted = Engine(EngineSettings(), partitions=PARTITIONS).process(snapshots).select(snapshots)
    stored: list[tuple[str, str, int]] = []
    while time.monotonic() < deadline:
        stored = mongo_snapshots(pipeline)
        if len(stored) >= len(accepted):
            break
        time.sleep(2)
    assert sorted(e for e, _, _ in stored) == sorted(s.event_id for s in accepted)


PRODUCER = """
import sys, time
from trendmon.events import decode_snapshot
from trendmon.settings import KafkaSettings
from trendmon.log.base import SNAPSHOTS, Message
from trendmon.log.kafka import KafkaBus

lines = open(sys.argv[1], "rb").read().splitlines()
bus = KafkaBus(KafkaSettings())
for i in range(0, len(lines), 500):
    chunk = [decode_snapshot(line) for line in lines[i : i + 500]]
    bus.publish(SNAPSHOTS, [
        Message(s.video_id, line, int(s.collected_at.timestamp() * 1000), s.event_id)
        for s, line in zip(chunk, lines[i : i + 500])
    ])
    time.sleep(0.2)
bus.close()
print("published", len(lines))
"""


def test_broker_restarted_while_producers_publish_loses_nothing(
    pipeline: Pipeline, snapshots: list[VideoSnapshot], expected: dict[str, Any], tmp_path: Path
) -> None:
    log = tmp_path / "snapshots.jsonl"
    log.write_bytes(b"\n".join(encode(s) for s in snapshots))
    pipeline.start_worker(tmp_path)
    # The producer is its own process, as in production.
    producer = subprocess.Popen(
        [sys.executable, "-c", PRODUCER, str(log)],
        env=pipeline.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(3)
    try:
        services("down", "kafka")
        time.sleep(5)
    finally:
        services("up", "kafka")
    out, err = producer.communicate(timeout=300)
    assert producer.returncode == 0, err.decode()
    assert out.decode().split() == ["published", str(len(snapshots))]
    # A worker that gave up while the broker was away is started again, as compose would.
    pipeline.wait_for(expected, restart_in=tmp_path)


# As tests/runtimes/test_forecasts.py: the smallest world in which the fallback forecasts.
FORECAST_WORLD = dict(
    seed=9, hours=34, creators=40, videos=180, interval_s=3600, breakouts=1, markets="US"
)


def test_a_worker_stores_the_forecasts_the_embedded_runtime_stores(
    pipeline: Pipeline, tmp_path: Path, mongo_uri: str
) -> None:
    from trendmon.forecast.forecaster import HourlyForecasts
    from trendmon.log.base import snapshot_message
    from trendmon.log.embedded import EmbeddedLog
    from trendmon.runtimes.embedded import EmbeddedRuntime
    from trendmon.settings import MongoSettings
    from trendmon.sinks.factory import open_history
    from trendmon.sinks.sqlite.history import SqliteHistory

    world = list(Simulation(SimulatorSettings(**FORECAST_WORLD)).snapshots())
    # The embedded runtime on the same log, with the worker's stage-1 partitions.
    log = EmbeddedLog(tmp_path / "embedded")
    log.publish(SNAPSHOTS, [snapshot_message(s, encode(s)) for s in world])
    runtime = EmbeddedRuntime(
        log,
        Sinks(history=SqliteHistory(tmp_path / "embedded", "want")),
        EngineSettings(),
        namespace="want",
        partitions=PARTITIONS,
        forecasts=HourlyForecasts(None),
    )
    runtime.run(follow=False)
    want = {r["id"]: r for r in runtime.sinks.history.forecasts()}
    runtime.sinks.close()
    log.close()
    assert any(r["entity_type"] == "hashtag" for r in want.values())

    pipeline.env["TRENDMON_FORECAST_ENABLED"] = "true"
    pipeline.start_worker(tmp_path)
    pipeline.publish(world)
    mongo = MongoSettings(uri=mongo_uri, database=pipeline.env["TRENDMON_MONGO_DATABASE"])
    history = open_history("mongo", namespace=pipeline.namespace, mongo=mongo)
    try:
        deadline = time.monotonic() + 300
        got: dict[str, Any] = {}
        while time.monotonic() < deadline and len(got) < len(want):
            time.sleep(2)
            got = {r["id"]: r for r in history.forecasts()}
            assert all(p.poll() is None for p in pipeline.workers), pipeline.tail()
    finally:
        history.close()
    assert got == want, pipeline.tail()
