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

Each response is a generator served on its own thread (the server is threaded), so a stream
never holds up other requests and notices a closed connection at the next heartbeat. Streams
cost no Redis connection: one :class:`~trendmon.dashboard.hub.ChangeHub` subscription fans the
channel out to all of them. At most ``max_streams`` are open at once; the next one is answered
503 with ``Retry-After`` (pages and exports keep working) until one closes. An error event
names the store that is away, never its address or files (those go to the log).

Each stream checks every :data:`RECHECK_S` seconds that its session or kiosk still stands
(:attr:`Stream.authorize`): a revoked kiosk link, a logout or an ended session closes the stream
within seconds (``{"kind": "error", "message": "signed out"}``), and the reconnect is refused.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

from flask import Flask, Response

from trendmon.dashboard.components import away
from trendmon.dashboard.hub import ChangeHub
from trendmon.errors import ServiceUnavailableError
from trendmon.sinks.redis.store import ChangeFeed

RETRY_MS: Final = 2000
"""How long a browser waits before it reconnects a dropped stream."""
RECHECK_S: Final = 2.0
"""How often an open stream checks that its session or kiosk still stands."""
FULL_RETRY_S: Final = 30
"""``Retry-After`` of a stream refused because ``max_streams`` are open."""


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, separators=(',', ':'))}\n\n"


def _now_ms() -> int:
    return int(time.time() * 1000)


class Stream:
    """The ``/stream`` endpoint: a listener of the shared hub per request, beats while idle."""

    def __init__(
        self,
        subscribe: Callable[[], ChangeFeed],
        heartbeat_s: float = 5.0,
        max_streams: int = 500,
    ) -> None:
        self.hub = ChangeHub(subscribe)
        self.heartbeat_s = heartbeat_s
        self.max_streams = max_streams
        self.stopping = threading.Event()
        self.open_streams = 0
        self.refused = 0
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self.authorize: Callable[[], Callable[[], bool]] | None = None
        """Called in the request: returns the check of the requester's session or kiosk."""

    def _reserve(self) -> bool:
        with self._lock:
            if self.open_streams >= self.max_streams:
                self.refused += 1
                return False
            self.open_streams += 1
            return True

    def _release(self) -> None:
        with self._lock:
            self.open_streams -= 1

    def events(self, alive: Callable[[], bool] | None = None) -> Iterator[str]:
        """The event stream of one client, until it disconnects, the server stops or ``alive``
        says the client's session ended."""
        try:
            listener = self.hub.join()
        except ServiceUnavailableError as exc:
            message = away(exc)  # the hub logged the whole message
            yield f"retry: {RETRY_MS}\n" + _event({"kind": "error", "message": message})
            return
        try:
            yield f"retry: {RETRY_MS}\n" + _event(
                {"kind": "hello", "now_ms": _now_ms(), "retry_ms": RETRY_MS}
            )
            last_sent = last_check = time.monotonic()
            while not self.stopping.is_set():
                if alive is not None and time.monotonic() - last_check >= RECHECK_S:
                    if not alive():
                        yield _event({"kind": "error", "message": "signed out"})
                        return
                    last_check = time.monotonic()
                wait = max(self.heartbeat_s - (time.monotonic() - last_sent), 0.05)
                if alive is not None:
                    wait = min(wait, RECHECK_S)
                try:
                    change = listener.get(timeout=wait)
                except ServiceUnavailableError as exc:
                    if not self.stopping.is_set():
                        yield _event({"kind": "error", "message": away(exc)})
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
            listener.close()

    def response(self) -> Response:
        if self.stopping.is_set() or not self._reserve():
            return Response(
                f"{self.max_streams} push streams are open, the most this dashboard serves; "
                f"try again later (TRENDMON_DASHBOARD_MAX_STREAMS raises the limit)\n",
                status=503,
                mimetype="text/plain",
                headers={"Retry-After": str(FULL_RETRY_S), "Cache-Control": "no-store"},
            )
        alive = self.authorize() if self.authorize is not None else None
        response = Response(
            self.events(alive),
            mimetype="text/event-stream",
            headers={
                "Cache-Control": "no-cache, no-transform",
                "X-Accel-Buffering": "no",  # a reverse proxy must not buffer the stream
            },
        )
        # Released when the server is done with the response, even if it never iterated it.
        response.call_on_close(self._release)
        return response

    def register(self, server: Flask, path: str = "/stream") -> None:
        """Add the route to the Dash app's Flask server."""
        server.add_url_rule(path, endpoint="trendmon_stream", view_func=self.response)

    def stop(self, timeout_s: float = 5.0) -> None:
        """End every open stream (server shutdown) and the hub's subscription; wait until the
        streams are released."""
        self.stopping.set()
        self.hub.stop(timeout_s)
        deadline = time.monotonic() + timeout_s
        while self.open_streams and time.monotonic() < deadline:
            time.sleep(0.05)
