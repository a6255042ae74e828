"""The distributed runtime's alerts: ``trendmon worker`` on the real Kafka and FerretDB queues
the spikes stage 2 finds and delivers each once, to a real receiver, with two workers."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from trendmon.accounts.sealing import generate_key
from trendmon.engine.engine import Engine
from trendmon.settings import EngineSettings, MongoSettings
from trendmon.sinks.factory import open_alerts
from trendmon.sinks.webhooks import admin

from ..dashboard.world import snapshots
from ..runtimes.test_distributed import PARTITIONS, Pipeline, pipeline  # noqa: F401 - fixture
from .conftest import alert_settings
from .receivers import Received, Reply, receiver

pytestmark = [pytest.mark.services, pytest.mark.slow]


def expected_spikes() -> list[str]:
    """The spikes the embedded engine finds in the same log, with the workers' partitions."""
    engine = Engine(EngineSettings(), partitions=PARTITIONS)
    snaps = snapshots(0, 180)
    found: list[str] = []
    for i in range(0, len(snaps), 500):
        found += [s.spike_id for s in engine.process(snaps[i : i + 500]).spikes]
    return sorted(found)


def alerting(pipeline: Pipeline) -> MongoSettings:  # noqa: F811
    """Let the workers reach 127.0.0.1 over http, quickly; the alert store they use (sealed
    with a key that the workers and this process share, as every process of a team must)."""
    key = generate_key()
    os.environ["TRENDMON_SECRETS_KEYS"] = key  # the next test's settings fixture removes it
    pipeline.env.update(
        {
            "TRENDMON_SECRETS_KEYS": key,
            "TRENDMON_ALERTS_ALLOW_NETWORKS": "127.0.0.0/8",
            "TRENDMON_ALERTS_ALLOW_HTTP": "true",
            "TRENDMON_ALERTS_GROUP_WINDOW_S": "0",
            "TRENDMON_ALERTS_POLL_S": "0.2",
            "TRENDMON_ALERTS_TIMEOUT_S": "2",
            "TRENDMON_ALERTS_SCHEDULE": "1s,1s,1s,1s,1s",
        }
    )
    return MongoSettings(
        uri=pipeline.env["TRENDMON_MONGO_URI"], database=pipeline.env["TRENDMON_MONGO_DATABASE"]
    )


def spike_ids(secret: str, requests: list[Received]) -> list[str]:
    return [
        s["spike_id"]
        for r in requests
        for s in Webhook(secret).verify(r.body, r.headers)["data"]["spikes"]
    ]


def test_two_workers_deliver_each_spike_once(pipeline: Pipeline, tmp_path: Path) -> None:  # noqa: F811
    want = expected_spikes()
    assert want
    mongo = alerting(pipeline)
    with receiver() as rx:
        store = open_alerts("mongo", mongo=mongo)
        try:
            sub, secret = admin.add(store, rx.url, cooldown_s=0, settings=alert_settings())
            pipeline.start_worker(tmp_path, "w1")
            pipeline.start_worker(tmp_path, "w2")
            pipeline.wait_stable(2)
            pipeline.publish(snapshots(0, 180))
            deadline = time.monotonic() + 120
            sent: list[str] = []
            while time.monotonic() < deadline and sorted(sent) != want:
                time.sleep(0.5)
                sent = spike_ids(secret, list(rx.requests))
            time.sleep(2)  # nothing more should come
            deliveries = store.deliveries(sub.id)
        finally:
            store.close()
        requests = list(rx.requests)
    assert sorted(sent) == want, f"sent {sorted(sent)} want {want}\n{pipeline.tail()}"
    ids = [r.headers["webhook-id"] for r in requests]
    assert len(ids) == len(set(ids))
    assert all(d.status == "delivered" for d in deliveries), [
        (d.id, d.status, d.spike_ids, d.attempts, d.last_result) for d in deliveries
    ]


def by_id(secret: str, requests: list[Received]) -> dict[str, list[str]]:
    """The spikes of each webhook-id among ``requests`` (a receiver deduplicates on it)."""
    return {r.headers["webhook-id"]: spike_ids(secret, [r]) for r in requests}


def test_a_worker_killed_mid_schedule_resumes_it_after_a_restart(
    pipeline: Pipeline,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    want = expected_spikes()
    mongo = alerting(pipeline)
    with receiver(lambda i, r: Reply(500 if i == 0 else 200)) as rx:
        store = open_alerts("mongo", mongo=mongo)
        request.addfinalizer(store.close)  # also when an assertion below fails
        sub, secret = admin.add(store, rx.url, cooldown_s=0, settings=alert_settings())
        worker = pipeline.start_worker(tmp_path, "w1")
        pipeline.wait_stable(1)
        pipeline.publish(snapshots(0, 180))
        deadline = time.monotonic() + 120
        while not rx.requests:
            assert time.monotonic() < deadline, pipeline.tail()
            time.sleep(0.05)
        os.killpg(worker.pid, signal.SIGKILL)  # right after its first attempt
        worker.wait()
        pipeline.start_worker(tmp_path, "w1")

        def taken() -> dict[str, list[str]]:
            return by_id(secret, list(rx.requests)[1:])  # the 500 aside

        deadline = time.monotonic() + 120
        first = rx.requests[0].headers["webhook-id"]
        while sorted(s for ids in taken().values() for s in ids) != want or first not in taken():
            assert time.monotonic() < deadline, (
                f"{[(r.headers['webhook-id'], spike_ids(secret, [r])) for r in rx.requests]} "
                f"{[(d.id, d.status, d.spike_ids, d.attempts) for d in store.deliveries(sub.id)]}"
                f"\n{pipeline.tail()}"
            )
            time.sleep(0.5)
        time.sleep(2)  # nothing more should come
        answered = taken()
        deliveries = store.deliveries(sub.id)
    # Attempts in flight at the kill go again under their ids (at least once); no spike is
    # under two ids, none is missing, and the delivery that got the 500 went again.
    assert sorted(s for ids in answered.values() for s in ids) == want
    assert all(d.status == "delivered" for d in deliveries), [
        (d.id, d.status, d.spike_ids, d.attempts, d.last_result) for d in deliveries
    ]
    assert sorted(d.id for d in deliveries) == sorted(answered)
