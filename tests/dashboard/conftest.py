"""Fixtures for the dashboard: a world in real stores, the app on a free port, Chromium.

The browser is Debian's Chromium driven by Playwright (``executable_path``; Playwright cannot
download its own browsers here). Without it, browser tests fail in CI and skip elsewhere.

The dashboard is closed without a session, and stays closed in these tests: :func:`serve`
signs an admin in through a one-time sign-in link, the way ``make demo`` does, and remembers the
session's cookies by port. Browser pages get them before each ``goto``, and urllib requests
(:func:`_signed_in_urllib`) send them with the CSRF header, unless a request sets its own
``Cookie``. Tests of the gate itself use :func:`signed_in` or no cookies at all.
"""

from __future__ import annotations

import http.client
import os
import time
import urllib.request
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from trendmon.accounts import sessions, users
from trendmon.accounts.store import AccountStore
from trendmon.dashboard.app import create_app
from trendmon.dashboard.server import DashboardServer
from trendmon.settings import DashboardSettings

from .world import World, build

CHROMIUM = Path("/usr/bin/chromium")
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
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Three hours of a small world, processed into the live store and the history."""
    world = build(tmp_path_factory.mktemp("dash") / "home")
    yield world
    world.close()


SESSIONS: dict[int, dict[str, str]] = {}
"""The signed-in admin's cookies of each test server, by port."""


def accounts_of(server: DashboardServer) -> AccountStore:
    store: AccountStore = server.app.server.extensions["trendmon"]["accounts"]
    return store


def signed_in(server: DashboardServer, name: str = "tester", role: str = "admin") -> dict[str, str]:
    """The cookies of a new session of account ``name`` (created, without a password, if it does
    not exist), got through a one-time sign-in link as a browser would."""
    store = accounts_of(server)
    now = int(time.time() * 1000)
    user = store.get_user(name) or users.add(store, name, role, None, now)
    token = sessions.create_signin(store, user, now)
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        connection.request("GET", f"/signin/{token}")
        response = connection.getresponse()
        response.read()
        assert response.status == 303, response.status
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    finally:
        connection.close()
    return {key: morsel.value for key, morsel in jar.items() if morsel.value}


def session_headers(cookies: dict[str, str]) -> dict[str, str]:
    """``Cookie`` and ``X-CSRFToken`` headers of a session's cookies."""
    return {
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "X-CSRFToken": cookies.get("_csrf_token", ""),
    }


def serve(world: World, **settings: Any) -> DashboardServer:
    values = {"heartbeat_s": 1.0, "history_ttl_s": 0.0, **settings}
    return start(create_app(DashboardSettings(**values), world.home))


def start(app: Any) -> DashboardServer:
    """Serve ``app`` on a free port, with a signed-in admin session for the tests."""
    server = DashboardServer(app, "127.0.0.1", 0).start()
    SESSIONS[server.port] = signed_in(server)
    return server


class _SessionCookies(urllib.request.BaseHandler):
    """Adds the signed-in admin's cookies and CSRF header to requests for a test server."""

    def http_request(self, request: urllib.request.Request) -> urllib.request.Request:
        port = urlsplit(request.full_url).port
        if port in SESSIONS and not request.has_header("Cookie"):
            for key, value in session_headers(SESSIONS[port]).items():
                request.add_unredirected_header(key, value)
        return request


@pytest.fixture(autouse=True)
def _signed_in_urllib() -> Iterator[None]:
    urllib.request.install_opener(urllib.request.build_opener(_SessionCookies()))
    yield
    urllib.request.install_opener(None)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[DashboardServer]:
    """The dashboard over the world, on a free port."""
    server = serve(world)
    yield server
    server.stop()


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, and later tests (the scraper's) call asyncio.run, which refuses to nest in it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install it with `make browsers` (apt-get chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Console:
    """Console errors and uncaught exceptions of a page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh 1920x1080 page; ``page.console.errors`` lists what went wrong in it."""
    # Playwright's wait_for_function evaluates strings, which the Content-Security-Policy
    # forbids; test_login.py checks every page under the real policy.
    context = browser.new_context(
        viewport={"width": 1920, "height": 1080}, accept_downloads=True, bypass_csp=True
    )
    page = context.new_page()
    page.console = Console(page)
    goto = page.goto

    def signed_in_goto(url: str, **kwargs: Any) -> Any:
        # Cookies are per host, not per port: give the page the session of this server.
        address = urlsplit(url)
        if address.port in SESSIONS and not getattr(page, "anonymous", False):
            context.add_cookies([
                {"name": k, "value": v, "url": f"{address.scheme}://{address.netloc}/"}
                for k, v in SESSIONS[address.port].items()
            ])  # fmt: skip
        return goto(url, **kwargs)

    page.goto = signed_in_goto
    page.set_default_timeout(20_000)
    yield page
    context.close()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
