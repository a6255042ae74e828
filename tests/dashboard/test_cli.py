"""``trendmon dashboard`` serves on 127.0.0.1 by default, over empty stores too, closed until
its one-time sign-in link is opened, and stops on SIGTERM (what ``trendmon run`` sends it)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def get(url: str, opener: urllib.request.OpenerDirector | None = None) -> tuple[int, str]:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8-sig")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_command_serves_empty_stores_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "trendmon", "dashboard", "--home", str(tmp_path / "h"),
         "--port", str(port), "--sign-in-link"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.3)
        assert status == 200
        assert get(f"http://127.0.0.1:{port}/export/rankings.csv")[0] == 401  # closed
        printed = b""
        assert proc.stderr is not None
        while b"/signin/" not in printed:
            printed += proc.stderr.readline()
        link = printed.decode().split("sign in", 1)[1].split()[-1]
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        assert get(link, browser)[0] == 200  # signed in, then redirected to the home page
        assert get(link)[0] == 403  # the link works once
        assert get(f"http://127.0.0.1:{port}/wall", browser)[0] == 200
        status, body = get(f"http://127.0.0.1:{port}/export/rankings.csv", browser)
        assert status == 200 and body.splitlines()[0].startswith("rank,description")
        assert len(body.splitlines()) == 1  # nothing tracked yet: the header only
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    assert f"http://127.0.0.1:{port}" in printed.decode() + err.decode()
