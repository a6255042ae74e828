"""Spike alerts: how long from a spike leaving the engine to its delivery (issue 17).

The simulator plants breakouts in a world; the engine runs over its snapshots in the batches
the embedded runtime uses, and hands its spikes to the alert service exactly as ``trendmon
run`` does (:class:`~trendmon.runtimes.alerts.AlertService` over the SQLite store, its thread
sending what is due). Three webhook subscriptions point at three local receivers (threaded
``http.server`` on 127.0.0.1). For each (spike, subscription) the delay is the receiver's
clock when the body listing it arrived minus the moment the engine's batch that found it was
handed over. The grouping window is 0 here: with the default 30 s, spikes the engine finds
within 30 s of a subscription's last message wait for the window's end on purpose (the engine
runs much faster than real time here, so they all would).

Prints spikes, deliveries, deliveries per second, p50 and p95; the last line is the p95 and
its target. ``--quick`` runs a small world (a check that the benchmark works, not a
measurement).

    .venv/bin/python bench/webhooks.py [--videos 1200] [--hours 24] [--breakouts 12]
    .venv/bin/python bench/webhooks.py --quick
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from trendmon.engine.engine import Engine
from trendmon.producers.simulator.observe import Simulation
from trendmon.runtimes.alerts import AlertService
from trendmon.settings import AlertSettings, EngineSettings, SimulatorSettings
from trendmon.sinks.factory import open_alerts
from trendmon.sinks.webhooks import admin
from trendmon.sinks.webhooks.delivery import Dispatcher

BATCH = 2000
"""Snapshots per engine batch, as the embedded runtime reads them."""


class Receiver:
    """Takes every POST (204) and notes when each spike it lists arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.messages = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                now = time.time()
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()
                outer.messages += 1
                for spike in json.loads(body)["data"]["spikes"]:
                    outer.arrived.setdefault(spike["spike_id"], now)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--videos", type=int, default=1200)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--breakouts", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--quick", action="store_true", help="a small world in under a minute (a smoke run)"
    )
    args = parser.parse_args()
    if args.quick:
        args.videos, args.hours, args.breakouts = 600, 10, 4
    world = SimulatorSettings(
        videos=args.videos,
        creators=max(150, args.videos // 4),
        hours=args.hours,
        breakouts=args.breakouts,
        seed=args.seed,
    )
    snapshots = list(Simulation(world).snapshots())
    print(f"world: {len(snapshots):,} snapshots, {args.breakouts} planted breakouts")

    receivers = [Receiver() for _ in range(3)]
    settings = AlertSettings(
        allow_networks="127.0.0.0/8", allow_http=True, group_window_s=0, poll_s=0.05, jitter=0
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = open_alerts("sqlite", home=Path(tmp))
        for r in receivers:
            admin.add(store, r.url, cooldown_s=0, settings=settings)
        service = AlertService(Dispatcher(store, settings)).start()
        engine = Engine(EngineSettings())
        left: dict[str, float] = {}
        for i in range(0, len(snapshots), BATCH):
            spikes = engine.process(snapshots[i : i + BATCH]).spikes
            now = time.time()
            for spike in spikes:
                left.setdefault(spike.spike_id, now)
            service.offer(spikes)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(len(r.arrived) < len(left) for r in receivers):
            time.sleep(0.02)
        service.close()
        store.close()
    for r in receivers:
        r.close()

    delays = [r.arrived[s] - t for r in receivers for s, t in left.items() if s in r.arrived]
    expected = len(left) * len(receivers)
    print(f"spikes: {len(left)}; deliveries: {len(delays)} of {expected} (spike, subscription)")
    if not delays:
        raise SystemExit("no spike was delivered: the world is too small to spike")
    first = min(left.values())
    last = max(r_at for r in receivers for r_at in r.arrived.values())
    messages = sum(r.messages for r in receivers)
    rate = len(delays) / max(last - first, 1e-9)
    print(f"messages: {messages}; deliveries per second (over the run): {rate:.1f}")
    print(f"spike->delivery p50 seconds: {statistics.median(delays):.3f}")
    print(f"spike->delivery p95 seconds: {percentile(delays, 0.95):.3f} (target < 1.0)")


if __name__ == "__main__":
    main()
