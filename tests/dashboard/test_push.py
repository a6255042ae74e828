"""``/stream``: one event per change message, heartbeats, and other requests never wait."""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.request
from typing import Any

import pytest

from trendmon.dashboard.server import DashboardServer

from .world import World

pytestmark = pytest.mark.slow


def listen(url: str, events: queue.Queue[dict[str, Any]], stop: threading.Event) -> None:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        for raw in response:
            line = raw.decode().strip()
            if line.startswith("data: "):
                events.put(json.loads(line[6:]))
            if stop.is_set():
                return


def next_of(events: queue.Queue[dict[str, Any]], kind: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = events.get(timeout=max(deadline - time.monotonic(), 0.01))
        if event["kind"] == kind:
            return event
    raise AssertionError(f"no {kind} event within {timeout} s")


def test_changes_and_heartbeats_arrive_and_other_requests_are_served(
    server: DashboardServer, world: World
) -> None:
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    stop = threading.Event()
    threads = [
        threading.Thread(target=listen, args=(f"{server.url}/stream", events, stop), daemon=True)
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for _ in threads:
        hello = next_of(events, "hello")
        assert hello["retry_ms"] > 0 and hello["now_ms"] > 0

    # Three open streams do not hold up a page request.
    started = time.monotonic()
    with urllib.request.urlopen(f"{server.url}/export/trends.json?kind=hashtag", timeout=10) as r:
        assert json.loads(r.read())
    # Generous: the point is that it is served while streams are open, not how fast a busy
    # two-core machine serves it.
    assert time.monotonic() - started < 8

    world.advance(5)
    seqs = set()
    for _ in threads:
        change = next_of(events, "change")
        assert change["at_ms"] and "tm:board:video:velocity:all:24h" in change["boards"]
        seqs.add(change["seq"])
    assert len(seqs) == 3  # every stream numbers its events apart

    beat = next_of(events, "heartbeat", timeout=5)  # the test server beats every second
    assert beat["now_ms"] >= hello["now_ms"]
    stop.set()
