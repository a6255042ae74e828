"""Fixtures for the dashboard: a world in real stores, the app on a free port, Chromium.

The browser is Debian's Chromium driven by Playwright (``executable_path``; Playwright cannot
download its own browsers here). Without it, browser tests fail in CI and skip elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


def serve(world: World, **settings: Any) -> DashboardServer:
    values = {"heartbeat_s": 1.0, "history_ttl_s": 0.0, **settings}
    app = create_app(DashboardSettings(**values), world.home)
    return DashboardServer(app, "127.0.0.1", 0).start()


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
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, accept_downloads=True)
    page = context.new_page()
    page.console = Console(page)
    page.set_default_timeout(20_000)
    yield page
    context.close()


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
