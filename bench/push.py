"""Push latency to the wall, and first render with 100,000 tracked videos (issue 5).

Runs the product as a user would, each part in its own process: ``trendmon run --no-simulate``
(the engine following the embedded log) and ``trendmon dashboard``, over a fresh
``TRENDMON_HOME``; this script is the producer (it appends to the log) and drives Debian's
Chromium through Playwright.

1. Fills the log with one snapshot each of ``--videos`` videos and waits until the engine has
   them on the live boards.
2. Times the first render of ``/wall`` (every board filled) and of ``/rankings`` (the table
   filled), and of a filtered ranking, from navigation to the data on screen.
3. With ``/wall`` open, publishes a snapshot of the top video at ``--rate`` per second for
   ``--seconds``, each with more plays; event time moves ``--speed`` times as fast as the wall
   clock (1: a live feed; the engine does most work when a 5-minute bucket closes, which a
   higher speed brings more often). A MutationObserver in the page stamps every change of the
   top row. Delay = first change after a publish (browser clock) - publish time
   (Python clock; same machine). The script also listens to the live store's change channel,
   which splits each delay into the engine's part (publish to the change message) and the push
   path's part (change message to the number on screen).

The wall is opened through a kiosk link (as the office TV would be), the explorer pages with
an admin's one-time sign-in link: the dashboard is closed without a session.

4. Opens ``--streams`` idle ``/stream`` connections (300: TVs and tabs left open) and measures
   the same delay again. They share the dashboard's one subscription to the change channel,
   so they should cost the wall nothing.
5. Measures it once more while another client posts ``--bad-logins`` wrong passwords (200)
   within 10 s, for a real account and unknown names from one address: the throttle refuses
   all but the first few without running Argon2 (19 MiB, 2 passes each), so the kiosk's wall
   should not slow down. Prints the answers (401 checked, 429 refused unchecked) and the p95
   during the attack against the p95 alone, measured in the same run.

The last line is the p95 delay with the idle streams open and its target; the line before the
streams is today's p95 without them. ``--quick`` runs a small world for a few seconds (a check
that the benchmark works, not a measurement). ``--checkpoint-every`` is passed to ``trendmon
run`` (its default is 5 s); checkpoints are written by a forked child, so the engine does not
stop for them (it did, for seconds, when it wrote them itself: p95 was 1.65 s then).

    .venv/bin/python bench/push.py [--videos 100000] [--rate 2] [--seconds 30] [--streams 300]
    .venv/bin/python bench/push.py --quick
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from trendmon.accounts import kiosks, sessions, users
from trendmon.events import Author, Music, Stats, VideoSnapshot, encode, new_snapshot
from trendmon.log.base import SNAPSHOTS, Message
from trendmon.log.embedded import EmbeddedLog
from trendmon.sinks.factory import open_accounts
from trendmon.sinks.redis.store import LiveStore

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
T0 = datetime(2026, 1, 5, tzinfo=UTC)
MARKETS = ("US", "GB", "DE", "BR", "JP")
HOT = "7100000000000000000"
OBSERVE = """
() => {
  window.__changes = [];
  const cell = document.querySelector('#wall-videos .w-row');
  new MutationObserver(() => window.__changes.push(
      [performance.timeOrigin + performance.now(), cell.textContent]))
    .observe(cell, {characterData: true, childList: true, subtree: true});
  return cell.textContent;
}
"""


def snapshot(i: int, minute: float, plays: int) -> VideoSnapshot:
    return new_snapshot(
        video_id=str(7_000_000_000_000_000_000 + i),
        collected_at=T0 + timedelta(minutes=minute),
        source="simulator",
        market=MARKETS[i % len(MARKETS)],
        create_time=T0 - timedelta(hours=2),
        description=f"video {i} #tag{i % 500} #fyp",
        author=Author(
            id=str(6_800_000_000_000_000_000 + i % 20_000),
            unique_id=f"creator{i % 20_000}",
            verified=i % 97 == 0,
            followers=(i % 1000) * 1000,
        ),
        music=Music(id=str(6_600_000_000_000_000_000 + i % 2000), title=f"Sound {i % 2000}"),
        hashtags=[f"tag{i % 500}", "fyp"],
        stats=Stats(plays=plays, likes=plays // 10, comments=plays // 100, shares=plays // 200),
        exact_counts=True,
    )


def publish(log: EmbeddedLog, snaps: list[VideoSnapshot]) -> None:
    log.publish(
        SNAPSHOTS,
        [
            Message(
                key=s.video_id,
                value=encode(s),
                timestamp_ms=int(s.collected_at.timestamp() * 1000),
                event_id=s.event_id,
            )
            for s in snaps
        ],
    )


def hot(k: int, minute: float) -> VideoSnapshot:
    """The top video's k-th snapshot, at ``minute`` of event time: far ahead of the rest, a
    billion plays more each time, so that its row on the wall changes with every publish."""
    snap = snapshot(0, minute, 500_000_000 + 1_000_000_000 * k)
    return new_snapshot(
        video_id=HOT,
        collected_at=snap.collected_at,
        source="simulator",
        market="US",
        create_time=snap.create_time,
        description="the benchmark's top video",
        author=snap.author,
        music=snap.music,
        hashtags=snap.hashtags,
        stats=snap.stats,
        exact_counts=True,
    )


def listen(live: LiveStore, messages: list[float], listening: threading.Event) -> None:
    """Stamp every change message the engine publishes (wall clock, ms)."""
    with live.subscribe() as feed:
        listening.set()
        while listening.is_set():
            if feed.get(timeout=0.2) is not None:
                messages.append(time.time() * 1000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def spawn(args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "trendmon", *args], stdout=out, stderr=subprocess.STDOUT
        )


def wait_until(check: Any, what: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.5)


def cookies_of(url: str, path: str) -> dict[str, str]:
    """The cookies a sign-in or kiosk link at ``path`` sets (the link then no longer works)."""
    import http.client
    from http.cookies import SimpleCookie

    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    connection.close()
    return {k: m.value for k, m in jar.items() if m.value}


def healthy(url: str) -> bool:
    try:
        address = urlsplit(url)
        with socket.create_connection((address.hostname, address.port), timeout=2):
            return True
    except OSError:
        return False


def signed_in(url: str, home: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Cookies of a local admin's session and of a kiosk for the wall."""
    wait_until(lambda: healthy(url), "the dashboard", 120)
    store = open_accounts("sqlite", home=home)
    now = int(time.time() * 1000)
    signin = sessions.create_signin(store, users.local_admin(store, now), now)
    _, kiosk = kiosks.create(store, "bench TV", now, 86_400_000)
    if store.get_user("ann") is None:  # a real account for the guesser to aim at
        users.add(store, "ann", "viewer", "a long and unusual passphrase 7", now)
    store.close()
    return cookies_of(url, f"/signin/{signin}"), cookies_of(url, f"/kiosk/{kiosk}")


def context(browser: Any, url: str, cookies: dict[str, str]) -> Any:
    # bypass_csp: wait_for_function evaluates strings, which the page's policy forbids.
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
    ctx.add_cookies([{"name": k, "value": v, "url": f"{url}/"} for k, v in cookies.items()])
    return ctx


def first_render(browser: Any, url: str, ready: str, runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_selector(ready, timeout=120_000)
        times.append(time.perf_counter() - started)
        page.close()
    return times


def open_streams(url: str, n: int, cookies: dict[str, str]) -> list[socket.socket]:
    """``n`` idle ``/stream`` connections of a kiosk, each past its hello event (or refused)."""
    address = urlsplit(url)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    socks = []
    for _ in range(n):
        sock = socket.create_connection((address.hostname, address.port), timeout=30)
        sock.sendall(
            b"GET /stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n"
            + f"Cookie: {cookie}\r\n\r\n".encode()
        )
        socks.append(sock)
    opened = 0
    for sock in socks:
        seen = b""
        while b'"kind":"hello"' not in seen and b" 503 " not in seen[:20]:
            chunk = sock.recv(4096)
            if not chunk:
                break
            seen += chunk
        opened += b'"kind":"hello"' in seen
    print(f"{opened} of {n} idle streams open", file=sys.stderr)
    return socks


def measure(
    page: Any, log: EmbeddedLog, live: LiveStore, args: argparse.Namespace, first_k: int
) -> tuple[list[float], list[list[Any]], list[float]]:
    """Publish the top video at ``--rate`` for ``--seconds``; return the publish times, the
    top row's changes seen in the page and the change messages (wall clock, ms)."""
    messages: list[float] = []
    listening = threading.Event()
    listener = threading.Thread(target=listen, args=(live, messages, listening), daemon=True)
    listener.start()
    listening.wait(10)
    step_min = args.speed / args.rate / 60
    time.sleep(1)
    messages.clear()
    page.evaluate("window.__changes = []")
    published: list[float] = []
    every = 1 / args.rate
    next_at = time.monotonic()
    for k in range(first_k, first_k + int(args.seconds * args.rate)):
        time.sleep(max(next_at - time.monotonic(), 0))
        next_at += every
        published.append(time.time() * 1000)
        publish(log, [hot(k, 15 + k * step_min)])
    time.sleep(3)
    listening.clear()
    listener.join(timeout=5)
    changes: list[list[Any]] = page.evaluate("window.__changes")
    return published, changes, messages


def hammer(url: str, n: int, within_s: float, answers: Counter[int]) -> None:
    """Post ``n`` wrong passwords to ``/login`` within ``within_s`` seconds, as a guesser
    would: the form's token first, then the posts; count the answers by status."""
    import http.client
    import re
    from http.cookies import SimpleCookie
    from urllib.parse import urlencode

    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    connection.request("GET", "/login")
    response = connection.getresponse()
    form = response.read().decode()
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    cookie = "; ".join(f"{k}={m.value}" for k, m in jar.items() if m.value)
    match = re.search(r'name="csrf_token" value="([^"]+)"', form)
    token = match.group(1) if match else ""
    started = time.monotonic()
    for i in range(n):
        time.sleep(max(started + i * within_s / n - time.monotonic(), 0))
        name = "ann" if i % 2 == 0 else f"guess{i}"
        body = urlencode({"name": name, "password": f"wrong-{i}", "csrf_token": token})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        connection.request("POST", "/login", body, headers)
        response = connection.getresponse()
        response.read()
        answers[response.status] += 1
    connection.close()


def delays_of(
    published: list[float], changes: list[list[Any]], messages: list[float]
) -> tuple[list[float], list[float], list[float], int]:
    """Per publish: the delay to the page, its engine and push parts; and the publishes that
    no change followed."""
    delays, engine, push, missed = [], [], [], 0
    for at in published:
        seen = [t for t, _ in changes if t >= at]
        message = next((t for t in messages if t >= at), None)
        if not seen:
            missed += 1
            continue
        delays.append((seen[0] - at) / 1000)
        if message is not None and message <= seen[0]:
            engine.append((message - at) / 1000)
            push.append((seen[0] - message) / 1000)
    return delays, engine, push, missed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(round(q * (len(ordered) - 1)), len(ordered) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=2.0, help="publishes per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--checkpoint-every", type=float, default=5.0, help="engine checkpoints")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="event seconds per wall second (1: live)"
    )
    parser.add_argument("--streams", type=int, default=300, help="idle /stream connections")
    parser.add_argument("--bad-logins", type=int, default=200, help="wrong passwords in 10 s")
    parser.add_argument(
        "--quick", action="store_true", help="a small world for a few seconds (a smoke run)"
    )
    args = parser.parse_args()
    if args.quick:
        args.videos, args.seconds = min(args.videos, 2000), min(args.seconds, 4.0)

    home = args.home or Path(tempfile.mkdtemp(prefix="trendmon-push-")) / "home"
    home.mkdir(parents=True, exist_ok=True)
    log = EmbeddedLog(home)
    started = time.perf_counter()
    batch: list[VideoSnapshot] = [hot(0, 10)]
    for i in range(1, args.videos):
        batch.append(snapshot(i, (i % 600) / 60, 1000 + (i * 7919) % 5_000_000))
        if len(batch) >= 5000:
            publish(log, batch)
            batch = []
    publish(log, batch)
    print(
        f"published {args.videos:,} videos in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )

    port = free_port()
    procs = [
        spawn(
            [
                "run",
                "--no-simulate",
                "--home",
                str(home),
                "--checkpoint-every",
                str(args.checkpoint_every),
            ],
            home / "engine.log",
        ),
        spawn(["dashboard", "--home", str(home), "--port", str(port)], home / "dashboard.log"),
    ]
    live = LiveStore.open(home=home)
    try:
        started = time.perf_counter()
        wait_until(lambda: live.meta()["snapshots"] >= args.videos, "the engine", 1200)
        tracked = live.client.zcard(live.board_key("velocity", "all", "24h"))
        print(f"engine absorbed them in {time.perf_counter() - started:.1f} s; "
              f"{tracked:,} videos on the all/24h velocity board", file=sys.stderr)  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            admin_cookies, kiosk_cookies = signed_in(url, home)
            admin, tv = context(browser, url, admin_cookies), context(browser, url, kiosk_cookies)
            wall = first_render(tv, f"{url}/wall", "#wall-videos .w-row:not(.blank)")
            rankings = first_render(admin, f"{url}/rankings", "#table-rankings tbody tr")
            filtered = first_render(
                admin, f"{url}/rankings?hashtag=tag7&verified=1", "#table-rankings"
            )
            page = tv.new_page()
            page.goto(f"{url}/wall")
            page.wait_for_function("window.trendmonWall && window.trendmonWall.messages > 0")
            page.evaluate(OBSERVE)
            # Warm-up: the first publish moves event time past the fill's buckets, whose
            # closing the engine scores all at once.
            warm: list[float] = []
            warmer = threading.Event()
            warm_listener = threading.Thread(
                target=listen, args=(live, warm, warmer), daemon=True
            )
            warm_listener.start()
            warmer.wait(10)
            publish(log, [hot(1, 15)])
            wait_until(lambda: len(warm) > 0, "the first change", 120)
            warmer.clear()
            warm_listener.join(timeout=5)
            time.sleep(1)
            alone = measure(page, log, live, args, 2)
            streams = open_streams(url, args.streams, kiosk_cookies)
            try:
                crowded = measure(page, log, live, args, 2 + int(args.seconds * args.rate))
            finally:
                for sock in streams:
                    sock.close()
            answers: Counter[int] = Counter()
            attack_s = min(10.0, args.seconds)
            guesser = threading.Thread(
                target=hammer, args=(url, args.bad_logins, attack_s, answers), daemon=True
            )
            attack_k = 2 + 2 * int(args.seconds * args.rate)
            guesser.start()
            attacked = measure(page, log, live, args, attack_k)
            guesser.join(timeout=120)
            browser.close()
    finally:
        live.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        log.close()

    published, changes, _ = alone
    delays, engine, push, missed = delays_of(*alone)
    runs = ", ".join(f"{t:.2f}" for t in wall)
    print(f"first render /wall: {statistics.median(wall):.2f} s (runs {runs})")
    print(f"first render /rankings: {statistics.median(rankings):.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in rankings)})")  # fmt: skip
    print(f"first render /rankings?hashtag=tag7&verified=1: {statistics.median(filtered):.2f} s")
    print(f"publishes: {len(published)} at {args.rate}/s, event time x{args.speed:g}; "
          f"top row changes seen: {len(changes)}; "
          f"publishes with no change seen: {missed}")  # fmt: skip
    if not delays:
        raise SystemExit("no change reached the page")
    if engine:
        print(
            f"of which engine (publish -> change message) p50 {percentile(engine, 0.5):.3f} s, "
            f"p95 {percentile(engine, 0.95):.3f} s, max {max(engine):.3f} s"
        )
        print(
            f"of which push path (change message -> number on screen) p50 "
            f"{percentile(push, 0.5):.3f} s, p95 {percentile(push, 0.95):.3f} s"
        )
    print(f"push p50 seconds: {percentile(delays, 0.5):.3f}")
    print(f"push p95 seconds: {percentile(delays, 0.95):.3f} (target < 1.0)")
    with_streams, _, _, missed = delays_of(*crowded)
    if not with_streams:
        raise SystemExit(f"no change reached the page with {args.streams} streams open")
    print(f"with {args.streams} idle streams open: publishes {len(crowded[0])}, "
          f"with no change seen: {missed}; p50 {percentile(with_streams, 0.5):.3f} s")  # fmt: skip
    under_attack, _, _, missed = delays_of(*attacked)
    if not under_attack:
        raise SystemExit("no change reached the page during the bad sign-ins")
    p95_alone, p95_attacked = percentile(delays, 0.95), percentile(under_attack, 0.95)
    print(f"{sum(answers.values())} bad sign-ins in {attack_s:g} s: "
          f"{answers[401]} checked (401), {answers[429]} throttled unchecked (429), "
          f"other {sum(n for s, n in answers.items() if s not in (401, 429))}")  # fmt: skip
    print(f"push p95 seconds during them: {p95_attacked:.3f}; ratio to alone: "
          f"{p95_attacked / p95_alone:.2f} (target: about 1)")  # fmt: skip
    print(
        f"push p95 seconds with {args.streams} streams: "
        f"{percentile(with_streams, 0.95):.3f} (target < 1.0)"
    )


if __name__ == "__main__":
    main()
