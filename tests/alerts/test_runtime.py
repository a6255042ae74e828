"""``trendmon run`` delivers the engine's spikes to a real receiver: every spike the history
holds, once, under one id, through a kill -9 in the middle of a retry schedule."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from trendmon.events import encode
from trendmon.log.base import SNAPSHOTS, Message
from trendmon.log.embedded import EmbeddedLog
from trendmon.sinks.factory import open_alerts, open_history
from trendmon.sinks.webhooks import admin

from ..dashboard.world import snapshots
from .conftest import alert_settings
from .receivers import Reply, receiver

pytestmark = pytest.mark.slow


def publish_world(home: Path) -> None:
    """Three hours of a small world in which #surge takes off (the dashboard tests' world)."""
    log = EmbeddedLog(home)
    log.publish(
        SNAPSHOTS,
        [
            Message(
                key=s.video_id,
                value=encode(s),
                timestamp_ms=int(s.collected_at.timestamp() * 1000),
                event_id=s.event_id,
            )
            for s in snapshots(0, 180)
        ],
    )
    log.close()


def run(home: Path, *extra: str) -> subprocess.Popen[bytes]:
    """``trendmon run`` on ``home``, its stderr into ``home/../run.err`` (read on failure)."""
    env = {
        **os.environ,
        "TRENDMON_ALERTS_ALLOW_NETWORKS": "127.0.0.0/8",
        "TRENDMON_ALERTS_ALLOW_HTTP": "true",
        "TRENDMON_ALERTS_SCHEDULE": "1s,1s,1s",
        "TRENDMON_ALERTS_GROUP_WINDOW_S": "0",
        "TRENDMON_ALERTS_POLL_S": "0.2",
        "TRENDMON_ALERTS_TIMEOUT_S": "2",
    }
    with (home.parent / "run.err").open("ab") as errs:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "trendmon",
                "run",
                "--no-simulate",
                "--no-dashboard",
                "--home",
                str(home),
                *extra,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errs,
        )


def history_spikes(home: Path) -> list[str]:
    history = open_history("sqlite", home=home)
    try:
        return sorted(s.spike_id for s in history.spikes(limit=1000))
    finally:
        history.close()


def wait_for(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_run_once_delivers_every_spike_of_the_history_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    publish_world(home)
    with receiver() as rx:
        store = open_alerts("sqlite", home=home)
        _, secret = admin.add(store, rx.url, cooldown_s=0, settings=alert_settings())
        store.close()
        proc = run(home, "--once")
        proc.wait(timeout=120)
        assert proc.returncode == 0, (tmp_path / "run.err").read_text()[-2000:]
    sent = sorted(
        s["spike_id"]
        for r in rx.requests
        for s in Webhook(secret).verify(r.body, r.headers)["data"]["spikes"]
    )
    assert sent and sent == history_spikes(home)  # each spike of the history, once


def test_kill_9_in_the_middle_of_a_schedule_then_a_restart_delivers_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    publish_world(home)
    with receiver(lambda i, r: Reply(500 if i == 0 else 200)) as rx:
        store = open_alerts("sqlite", home=home)
        sub, secret = admin.add(store, rx.url, cooldown_s=0, settings=alert_settings())
        proc = run(home)
        again: subprocess.Popen[bytes] | None = None
        try:
            wait_for(lambda: store.attempts(sub_id=sub.id))  # the 500 is in the log
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            assert len(rx.requests) == 1
            again = run(home)
            wait_for(lambda: len(rx.requests) == 2)
            time.sleep(1.5)  # nothing more should come
        finally:
            # Stopped as a user would (SIGTERM), so that the embedded Redis goes with it.
            for p in (proc, again):
                if p is not None and p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    p.wait(timeout=60)
        [delivery] = store.deliveries(sub.id)
        store.close()
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert len(rx.requests) == 2
    assert {r.headers["webhook-id"] for r in rx.requests} == {delivery.id}
    sent = sorted(
        s["spike_id"]
        for s in Webhook(secret).verify(rx.requests[1].body, rx.requests[1].headers)["data"][
            "spikes"
        ]
    )
    assert sent == history_spikes(home)
