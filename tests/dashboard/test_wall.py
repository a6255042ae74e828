"""The wall in a real browser: it changes in place when events arrive, and says when they stop."""

from __future__ import annotations

from typing import Any

import pytest

from trendmon.dashboard.server import DashboardServer

from .conftest import screenshot, serve, start
from .world import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def open_wall(page: Any, server: DashboardServer, query: str = "") -> None:
    page.goto(f"{server.url}/wall{query}")
    page.wait_for_selector("#wall-videos .w-row .w-value")
    # The stream is open once its first message (hello) arrived; changes before that are missed.
    page.wait_for_function("window.trendmonWall && window.trendmonWall.messages > 0")


def values(page: Any, board: str) -> list[str]:
    return list(
        page.eval_on_selector_all(f"#wall-{board} .w-value", "els => els.map(e => e.textContent)")
    )


def test_the_wall_shows_every_board_without_scrolling(page: Any, server: DashboardServer) -> None:
    open_wall(page, server)
    for board in ("videos", "hashtags", "sounds", "creators", "spikes"):
        assert page.is_visible(f"#board-{board}")
        assert any(values(page, board)), f"board {board} is empty"
    size = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size == [1920, 1080]
    assert page.inner_text("#wall-title") == "All markets · last 24h"
    assert page.is_hidden("#wall-banner")
    assert "event time 2026-01-05" in page.inner_text("#wall-fresh")
    screenshot(page, "wall")
    assert page.console.errors == []


def test_new_events_change_the_numbers_in_place(
    page: Any, server: DashboardServer, world: World
) -> None:
    open_wall(page, server)
    page.evaluate(
        "window.__notReloaded = 42;"
        "document.querySelector('#wall-videos .w-row').__sameElement = 7;"
        "document.querySelector('#wall-hashtags .w-value').__sameElement = 8;"
    )
    before = values(page, "videos")
    world.advance(5, boost=40)
    page.wait_for_function(
        "before => Array.from(document.querySelectorAll('#wall-videos .w-value'))"
        ".map(e => e.textContent).join('|') !== before.join('|')",
        arg=before,
        timeout=10_000,
    )
    assert values(page, "videos") != before
    assert page.evaluate("window.__notReloaded") == 42
    assert page.evaluate("document.querySelector('#wall-videos .w-row').__sameElement") == 7
    assert page.evaluate("document.querySelector('#wall-hashtags .w-value').__sameElement") == 8
    assert page.evaluate("window.trendmonWall.changes") >= 1
    assert page.console.errors == []


def test_the_stale_notice_appears_when_data_stops_and_clears_when_it_resumes(
    page: Any, world: World
) -> None:
    server = serve(world, stale_after_s=3)
    try:
        open_wall(page, server)
        world.advance(5)
        page.wait_for_selector("#wall-banner", state="hidden", timeout=10_000)
        assert page.get_attribute("#wall", "class") == "wall"
        page.wait_for_selector("#wall-banner", state="visible", timeout=15_000)
        notice = page.inner_text("#wall-banner")
        assert "No new data for" in notice and "the stream has stopped" in notice, notice
        assert "stale" in (page.get_attribute("#wall", "class") or "")
        screenshot(page, "wall-stale")
        world.advance(5)
        page.wait_for_selector("#wall-banner", state="hidden", timeout=10_000)
        assert "stale" not in (page.get_attribute("#wall", "class") or "")
        assert page.console.errors == []
    finally:
        server.stop()


def test_a_dropped_stream_is_reported(page: Any, world: World) -> None:
    server = serve(world, stale_after_s=600)
    open_wall(page, server)
    server.stop()  # the server is gone: no heartbeats, and reconnecting fails
    page.wait_for_selector("#wall-banner", state="visible", timeout=20_000)
    assert "Connection to the server lost" in page.inner_text("#wall-banner")


def test_url_parameters_pick_market_boards_and_rotation(page: Any, server: DashboardServer) -> None:
    open_wall(page, server, "?market=US&boards=videos,spikes&rotate=5&rows=5")
    assert page.inner_text("#wall-title") == "Market US · last 24h"
    assert page.is_visible("#board-videos") and page.is_visible("#board-spikes")
    assert page.is_hidden("#board-hashtags") and page.is_hidden("#board-creators")
    assert len(values(page, "videos")) == 5
    page.evaluate("window.__notReloaded = 1")
    page.wait_for_function(
        "document.querySelector('#wall-title').textContent === 'Market US · last 7d'",
        timeout=10_000,
    )
    assert page.evaluate("window.__notReloaded") == 1
    assert page.console.errors == []


def test_an_empty_store_says_there_is_no_data_yet(page: Any, tmp_path: Any) -> None:
    from trendmon.dashboard.app import create_app
    from trendmon.settings import DashboardSettings

    app = create_app(DashboardSettings(heartbeat_s=1), tmp_path / "empty")
    with start(app) as server:
        page.goto(f"{server.url}/wall")
        page.wait_for_selector("#wall-banner", state="visible")
        assert "No data yet" in page.inner_text("#wall-banner")
        for path in ("/", "/rankings", "/hashtags", "/spikes", "/health"):
            page.goto(server.url + path)
            page.wait_for_selector("main#page h1")
            assert page.locator(".panel-error").count() == 0, path
        assert page.console.errors == []


def test_a_huge_rotate_is_bounded_and_does_not_call_the_server(
    page: Any, server: DashboardServer
) -> None:
    # 2,147,484 s is past 2^31-1 ms: a browser would fire that timer at once, over and over.
    open_wall(page, server, "?rotate=2147484")
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url) if "_dash-update-component" in r.url else 0)
    page.wait_for_timeout(4000)
    assert calls == []
    assert page.inner_text("#wall-title") == "All markets · last 24h"  # no rotation either
    assert page.console.errors == []


def test_rotate_is_at_most_a_day(server: DashboardServer) -> None:
    from trendmon.dashboard.pages.wall import config

    extensions = server.app.server.extensions["trendmon"]
    data, settings = extensions["data"], extensions["settings"]
    for asked, period in (("2147484", 86_400), ("99999999999", 86_400), ("1", 5), ("0", 0),
                          ("-3", 0), ("x", 0), ("600", 600)):
        assert config(data, settings, {"rotate": asked})["rotate_s"] == period, asked
