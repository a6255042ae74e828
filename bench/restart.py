"""How long a worker's restart takes, with 1x and 4x as much data in the topics (issue 5).

Needs the services (`make services`, or TRENDMON_TEST_KAFKA pointing at a running Kafka). For
each amount, on fresh topics:

1. publish N (then 4N) simulator snapshots; run one ``trendmon worker --no-sinks`` (stage 1,
   stage 2, the ranker; stage 2 snapshots its partitions every ``--snapshot-every`` seconds)
   until its consumer group has committed every input offset of ``snapshots`` and
   ``entity-deltas``, and a few seconds more (so that a snapshot covers the end);
2. stop it (SIGTERM), publish a further ``--tail`` snapshots of the same world while it is
   away, start it again under the same ``--instance-id`` (no rebalance), and time it from the
   start of the process until the group has committed every offset again: the restart time,
   with the rebuild of stage 1's table (its changelog) and of stage 2 (its snapshot, then the
   records that followed it).

Without the snapshots stage 2 folds its partitions from their first offset, so the restart time
grows with what the topics hold. The last line is the ratio of the two restart times and its
target. ``--quick`` does it with 3,000 and 12,000 snapshots (a check that the benchmark works:
start-up weighs on so few).

    .venv/bin/python bench/restart.py [--snapshots 20000] [--tail 500]
    .venv/bin/python bench/restart.py --quick
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from trendmon.events import VideoSnapshot, encode
from trendmon.log.base import SNAPSHOTS, Message
from trendmon.log.kafka import KafkaBus
from trendmon.producers.simulator.observe import Simulation
from trendmon.runtimes.distributed import ENTITY_DELTAS, ensure_topics
from trendmon.settings import EngineSettings, KafkaSettings, SimulatorSettings

PARTITIONS = 4
RETENTION_H = 1_000_000  # the simulated snapshots are months old; retention goes by timestamp


def kafka_servers() -> str:
    env = Path(os.environ.get("TRENDMON_SERVICES_DIR", Path.home() / ".cache/trendmon/run"))
    found = dict(os.environ)
    if (env / "env").is_file():
        for line in (env / "env").read_text().splitlines():
            key, _, value = line.partition("=")
            found.setdefault(key, value)
    if "TRENDMON_TEST_KAFKA" not in found:
        sys.exit("no services: run `make services` first")
    return found["TRENDMON_TEST_KAFKA"]


def world(count: int) -> list[VideoSnapshot]:
    sim = Simulation(SimulatorSettings(videos=2000, creators=500, hours=96, seed=5))
    return list(itertools.islice(sim.snapshots(), count))


def publish(kafka: KafkaSettings, snaps: list[VideoSnapshot]) -> None:
    bus = KafkaBus(kafka)
    try:
        messages = [
            Message(s.video_id, encode(s), int(s.collected_at.timestamp() * 1000)) for s in snaps
        ]
        for i in range(0, len(messages), 5000):
            bus.publish(SNAPSHOTS, messages[i : i + 5000])
    finally:
        bus.close()


def caught_up(kafka: KafkaSettings) -> bool:
    """Whether the workers' group has committed every offset of its inputs."""
    consumer = KafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=f"{kafka.topic_prefix}trendmon",
        enable_auto_commit=False,
    )
    try:
        for topic in (SNAPSHOTS, ENTITY_DELTAS):
            name = f"{kafka.topic_prefix}{topic}"
            parts = [TopicPartition(name, p) for p in range(PARTITIONS)]
            ends = consumer.end_offsets(parts)
            for tp in parts:
                if ends[tp] and (consumer.committed(tp) or 0) < ends[tp]:
                    return False
        return True
    finally:
        consumer.close()


def wait_caught_up(kafka: KafkaSettings, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        if caught_up(kafka):
            time.sleep(0.3)
            if caught_up(kafka):  # stage 1 may still be sending what stage 2 then reads
                return
        if proc.poll() is not None:
            sys.exit(f"the worker stopped:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    sys.exit(f"the worker did not catch up:\n{log.read_text()[-3000:]}")


def start(kafka: KafkaSettings, snapshot_s: float, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TRENDMON_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "TRENDMON_KAFKA_TOPIC_PREFIX": kafka.topic_prefix,
        "TRENDMON_KAFKA_PARTITIONS": str(PARTITIONS),
        "TRENDMON_KAFKA_RETENTION_HOURS": str(RETENTION_H),
        "TRENDMON_KAFKA_SNAPSHOT_INTERVAL_S": str(snapshot_s),
    }
    command = [
        str(Path(sys.executable).with_name("trendmon")),
        "worker",
        "--no-sinks",
        "--instance-id",
        "bench-restart",
        "--loglevel",
        "info",
    ]
    with log.open("ab") as out:
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


def restart_time(
    servers: str, snaps: list[VideoSnapshot], tail: list[VideoSnapshot], snapshot_s: float
) -> float:
    """Seconds from a worker's restart until it has caught up with ``tail``, published while
    it was away after ``snaps``."""
    kafka = KafkaSettings(
        bootstrap_servers=servers,
        topic_prefix=f"bench-{uuid.uuid4().hex[:8]}.",
        partitions=PARTITIONS,
        retention_hours=RETENTION_H,
    )
    ensure_topics(kafka, EngineSettings())
    publish(kafka, snaps)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "worker.log"
        proc = start(kafka, snapshot_s, log)
        try:
            wait_caught_up(kafka, proc, log)
            time.sleep(snapshot_s + 2)  # the last batches' snapshot
        finally:
            stop(proc)
        publish(kafka, tail)
        began = time.monotonic()
        proc = start(kafka, snapshot_s, log)
        try:
            wait_caught_up(kafka, proc, log)
            took = time.monotonic() - began
        finally:
            stop(proc)
        resumed = [line for line in log.read_text().splitlines() if "resumed from offset" in line]
        print(f"  {resumed[-1].split('] ', 2)[-1].strip() if resumed else 'no resume logged'}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=20_000, help="N (then 4N)")
    parser.add_argument("--tail", type=int, default=500, help="published while it is away")
    parser.add_argument("--snapshot-every", type=float, default=2.0, help="seconds")
    parser.add_argument("--quick", action="store_true", help="3,000 and 12,000 (a smoke run)")
    args = parser.parse_args()
    if args.quick:
        args.snapshots, args.tail = min(args.snapshots, 3000), min(args.tail, 200)
    servers = kafka_servers()
    every = world(args.snapshots * 4 + args.tail)
    times = []
    for scale in (1, 4):
        count = args.snapshots * scale
        took = restart_time(
            servers, every[:count], every[count : count + args.tail], args.snapshot_every
        )
        times.append(took)
        print(f"restart with {count:,} snapshots in the topics: {took:.1f} s")
    print(f"restart time growth: {times[1] / times[0]:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
