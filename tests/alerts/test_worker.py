"""The distributed runtime's alerts: ``trendmon worker`` on the real Kafka and FerretDB queues
the spikes stage 2 finds and delivers each once, to a real receiver, with two workers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from trendmon.alerts import admin
from trendmon.settings import EngineSettings, MongoSettings
from trendmon.sinks.alerts import open_alerts
from trendmon.streams.engine import Engine

from ..dashboard.world import snapshots
from ..streams.test_distributed import PARTITIONS, Pipeline, pipeline  # noqa: F401 - fixture
from .conftest import alert_settings
from .receivers import receiver

pytestmark = [pytest.mark.services, pytest.mark.slow]


def expected_spikes() -> list[str]:
    """The spikes the embedded engine finds in the same log, with the workers' partitions."""
    engine = Engine(EngineSettings(), partitions=PARTITIONS)
    snaps = snapshots(0, 180)
    found: list[str] = []
    for i in range(0, len(snaps), 500):
        found += [s.spike_id for s in engine.process(snaps[i : i + 500]).spikes]
    return sorted(found)


def test_two_workers_deliver_each_spike_once(pipeline: Pipeline, tmp_path: Path) -> None:  # noqa: F811
    want = expected_spikes()
    assert want
    mongo = MongoSettings(
        uri=pipeline.env["TRENDMON_MONGO_URI"], database=pipeline.env["TRENDMON_MONGO_DATABASE"]
    )
    for key, value in {
        "TRENDMON_ALERTS_ALLOW_NETWORKS": "127.0.0.0/8",
        "TRENDMON_ALERTS_ALLOW_HTTP": "true",
        "TRENDMON_ALERTS_GROUP_WINDOW_S": "0",
        "TRENDMON_ALERTS_POLL_S": "0.2",
    }.items():
        pipeline.env[key] = value
    with receiver() as rx:
        store = open_alerts("mongo", mongo=mongo)
        sub, secret = admin.add(store, rx.url, cooldown_s=0, settings=alert_settings())
        pipeline.start_worker(tmp_path, "w1")
        pipeline.start_worker(tmp_path, "w2")
        pipeline.wait_stable(2)
        pipeline.publish(snapshots(0, 180))
        deadline = time.monotonic() + 120
        sent: list[str] = []
        while time.monotonic() < deadline and sorted(sent) != want:
            time.sleep(0.5)
            sent = [
                s["spike_id"]
                for r in list(rx.requests)
                for s in Webhook(secret).verify(r.body, r.headers)["data"]["spikes"]
            ]
        time.sleep(2)  # nothing more should come
        deliveries = store.deliveries(sub.id)
        store.close()
        requests = list(rx.requests)
    assert sorted(sent) == want, f"sent {sorted(sent)} want {want}\n{pipeline.tail()}"
    ids = [r.headers["webhook-id"] for r in requests]
    assert len(ids) == len(set(ids))
    assert all(d.status == "delivered" for d in deliveries)
