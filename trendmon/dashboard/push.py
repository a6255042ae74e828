"""The push path: ``/stream``, Server-Sent Events from the live store's change channel.

Every message the engine publishes on ``N:changes`` becomes one event, in the order published;
when nothing arrives for ``heartbeat_s`` a heartbeat goes out, so the page can tell "no new data"
(heartbeats, no changes) from "the connection dropped" (nothing at all). Every event is a JSON
object under the default ``message`` type (dash-extensions' ``SSE`` component listens to that one):

- ``{"kind": "hello", "now_ms", "retry_ms"}`` when the stream opens;
- ``{"kind": "change", "seq", "now_ms", "at_ms", "boards", "videos", "spikes"}`` per change
  (the message's fields, plus ``seq`` so that two equal messages still differ as a property);
- ``{"kind": "heartbeat", "seq", "now_ms"}``;
- ``{"kind": "error", "message"}`` before the stream ends because Redis stopped answering; the
  page opens a new stream (a native ``EventSource`` would do so by itself after ``retry_ms``).

Each response is a generator served on its own thread (the server is threaded), blocking at most
``heartbeat_s`` in Redis at a time, so a stream never holds up other requests and notices a
closed connection at the next heartbeat. A subscription is one Redis connection per open page.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

from flask import Flask, Response

from trendmon.errors import ServiceUnavailableError
from trendmon.sinks.redis.store import ChangeFeed

RETRY_MS: Final = 2000
"""How long a browser waits before it reconnects a dropped stream."""


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, separators=(',', ':'))}\n\n"


def _now_ms() -> int:
    return int(time.time() * 1000)


class Stream:
    """The ``/stream`` endpoint: open a feed per request, relay it, beat while idle."""

    def __init__(self, subscribe: Callable[[], ChangeFeed], heartbeat_s: float = 5.0) -> None:
        self.subscribe = subscribe
        self.heartbeat_s = heartbeat_s
        self.stopping = threading.Event()
        self.open_streams = 0
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def events(self) -> Iterator[str]:
        """The event stream of one client, until it disconnects or the server stops."""
        try:
            feed = self.subscribe()
        except ServiceUnavailableError as exc:
            yield f"retry: {RETRY_MS}\n" + _event({"kind": "error", "message": str(exc)})
            return
        with self._lock:
            self.open_streams += 1
        try:
            yield f"retry: {RETRY_MS}\n" + _event(
                {"kind": "hello", "now_ms": _now_ms(), "retry_ms": RETRY_MS}
            )
            last_sent = time.monotonic()
            while not self.stopping.is_set():
                wait = max(self.heartbeat_s - (time.monotonic() - last_sent), 0.05)
                try:
                    change = feed.get(timeout=min(wait, 1.0))
                except ServiceUnavailableError as exc:
                    if not self.stopping.is_set():
                        yield _event({"kind": "error", "message": str(exc)})
                    return
                if change is not None:
                    yield _event(
                        {**change, "kind": "change", "seq": next(self._seq), "now_ms": _now_ms()}
                    )
                    last_sent = time.monotonic()
                elif time.monotonic() - last_sent >= self.heartbeat_s:
                    yield _event({"kind": "heartbeat", "seq": next(self._seq), "now_ms": _now_ms()})
                    last_sent = time.monotonic()
        finally:
            feed.close()
            with self._lock:
                self.open_streams -= 1

    def response(self) -> Response:
        return Response(
            self.events(),
            mimetype="text/event-stream",
            headers={
                "Cache-Control": "no-cache, no-transform",
                "X-Accel-Buffering": "no",  # a reverse proxy must not buffer the stream
            },
        )

    def register(self, server: Flask, path: str = "/stream") -> None:
        """Add the route to the Dash app's Flask server."""
        server.add_url_rule(path, endpoint="trendmon_stream", view_func=self.response)

    def stop(self, timeout_s: float = 5.0) -> None:
        """End every open stream (server shutdown); wait until they closed their feeds."""
        self.stopping.set()
        deadline = time.monotonic() + timeout_s
        while self.open_streams and time.monotonic() < deadline:
            time.sleep(0.05)
