"""``/stream``: one event per change message, heartbeats, and other requests never wait."""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis

from trendmon.dashboard.app import create_app
from trendmon.dashboard.data import DashboardData
from trendmon.dashboard.push import Stream
from trendmon.dashboard.server import DashboardServer
from trendmon.settings import DashboardSettings
from trendmon.sinks.factory import open_history
from trendmon.sinks.redis.store import LiveStore

from .conftest import SESSIONS, serve, session_headers, start
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


class RawStream:
    """An open ``/stream`` on a plain socket: cheap enough to hold hundreds."""

    def __init__(self, url: str) -> None:
        address = urlsplit(url)
        self.sock = socket.create_connection((address.hostname, address.port), timeout=30)
        cookie = session_headers(SESSIONS[address.port or 0])["Cookie"]
        self.sock.sendall(
            b"GET /stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
            + f"Cookie: {cookie}\r\n\r\n".encode()
        )
        self.head = b""

    def status_and_first_event(self) -> tuple[int, bytes]:
        while b"\n\n" not in self.head.partition(b"\r\n\r\n")[2]:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.head += chunk
        return int(self.head.split(b" ", 2)[1]), self.head

    def close(self) -> None:
        self.sock.close()


def callback(url: str, pathname: str) -> dict[str, Any]:
    """What the browser asks when it shows ``pathname``: the page callback's answer."""
    body = json.dumps({
        "output": "..page.children...nav.children...page.className..",
        "outputs": [{"id": "page", "property": "children"}, {"id": "nav", "property": "children"},
                    {"id": "page", "property": "className"}],
        "inputs": [{"id": "url", "property": "pathname", "value": pathname},
                   {"id": "url", "property": "search", "value": ""}],
        "state": [], "changedPropIds": ["url.pathname"],
    }).encode()  # fmt: skip
    request = urllib.request.Request(
        f"{url}/_dash-update-component", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def released(stream: Stream, timeout_s: float = 15) -> None:
    """Wait until every stream is released: each notices its closed connection at its next
    heartbeat (every second here)."""
    deadline = time.monotonic() + timeout_s
    while (stream.open_streams or stream.hub.listeners) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (stream.open_streams, stream.hub.listeners) == (0, 0)


def redis_clients(world: World) -> int:
    return len(world.sinks.live.client.client_list())


def test_300_open_streams_cost_no_redis_connection_and_pages_keep_working(
    server: DashboardServer, world: World
) -> None:
    stream: Stream = server.app.server.extensions["trendmon"]["stream"]
    released(stream)  # the streams of the test before
    clients_before = redis_clients(world)
    streams = [RawStream(server.url) for _ in range(300)]
    try:
        for s in streams:
            status, head = s.status_and_first_event()
            assert status == 200 and b'"kind":"hello"' in head
        assert stream.open_streams == 300 and stream.hub.listeners == 300
        # One subscription for all of them (and the pages' pool), not one each.
        assert redis_clients(world) <= clients_before + 3
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            page = json.dumps(callback(server.url, "/rankings"))
            assert "table-rankings" in page and "does not answer" not in page
            with urllib.request.urlopen(f"{server.url}/export/rankings.json", timeout=30) as r:
                assert r.status == 200 and len(json.loads(r.read())) > 0
            time.sleep(3)
        assert stream.open_streams == 300
    finally:
        for s in streams:
            s.close()
    released(stream)
    assert redis_clients(world) <= clients_before + 1


def test_a_stream_past_the_cap_is_refused_politely(world: World) -> None:
    server = serve(world, max_streams=3)
    try:
        streams = [RawStream(server.url) for _ in range(3)]
        assert all(s.status_and_first_event()[0] == 200 for s in streams)
        extra = RawStream(server.url)
        status, head = extra.status_and_first_event()
        extra.close()
        assert status == 503 and b"Retry-After: 30" in head
        assert b"TRENDMON_DASHBOARD_MAX_STREAMS" in head
        with urllib.request.urlopen(f"{server.url}/export/rankings.json", timeout=30) as r:
            assert r.status == 200
        streams.pop().close()
        stream: Stream = server.app.server.extensions["trendmon"]["stream"]
        deadline = time.monotonic() + 10
        while stream.open_streams > 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        again = RawStream(server.url)
        assert again.status_and_first_event()[0] == 200
        again.close()
        for s in streams:
            s.close()
    finally:
        server.stop()


def test_a_store_that_is_away_is_named_not_its_files(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = redis.Redis(port=port, decode_responses=True, socket_connect_timeout=1)
    secret = "embedded Redis of /srv/secret/live.rdb (socket /tmp/secret/redis.socket)"
    live = LiveStore(client, address=secret)
    data = DashboardData(live, lambda: open_history("sqlite", home=tmp_path))
    server = start(create_app(DashboardSettings(heartbeat_s=1.0), data=data))
    try:
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{server.url}/export/rankings.json", timeout=30)
        body = caught.value.read().decode()
        assert caught.value.code == 503 and "The live store (Redis) does not answer" in body
        page = json.dumps(callback(server.url, "/rankings"))
        assert "The live store (Redis) does not answer" in page
        raw = RawStream(server.url)
        status, head = raw.status_and_first_event()
        raw.close()
        assert status == 200 and b'"kind":"error"' in head
        assert b"The live store (Redis) does not answer" in head
        for shown in (body, page, head.decode()):
            assert "secret" not in shown and "socket" not in shown
    finally:
        server.stop()


def test_a_message_that_is_not_json_does_not_stop_the_push(
    server: DashboardServer, world: World
) -> None:
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    stop = threading.Event()
    thread = threading.Thread(
        target=listen, args=(f"{server.url}/stream", events, stop), daemon=True
    )
    thread.start()
    next_of(events, "hello")
    live = world.sinks.live
    assert live is not None
    live.client.publish(live.channel, "not json")
    world.advance(5)
    assert next_of(events, "change")["at_ms"]
    stop.set()
