"""Forecasts in a real browser: ``/next`` lists the latest hour's forecasts of entities not in
their top 20, most likely first, with the backtested hit rate, filtered by market, empty with a
notice; a video's page shows its forecasts of plays at 24 hours with their 80% intervals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from trendmon.dashboard.server import DashboardServer
from trendmon.forecast.forecaster import EntityForecast, VideoForecast
from trendmon.sinks.history import forecast_records

from .conftest import screenshot, serve
from .world import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOUR = 3_600_000


def rows(page: Any) -> list[list[str]]:
    return list(
        page.eval_on_selector_all(
            "#table-next-up tbody tr",
            "trs => trs.map(tr => Array.from(tr.cells).map(td => td.textContent))",
        )
    )


@pytest.fixture(scope="module")
def next_server(world: World) -> Iterator[DashboardServer]:
    server = serve(world)
    yield server
    server.stop()


def test_next_up_is_empty_with_a_notice_until_forecasts_are_scored(
    page: Any, next_server: DashboardServer
) -> None:
    page.goto(next_server.url + "/next")
    page.wait_for_selector("#table-next-up")
    assert "TRENDMON_FORECAST_ENABLED=true" in page.inner_text("#nx-table")


def test_next_up_lists_the_latest_forecasts_most_likely_first(
    page: Any, next_server: DashboardServer, world: World
) -> None:
    data = next_server.app.server.extensions["trendmon"]["data"]
    end = int(data.freshness()["watermark_ms"])
    latest, older = end // HOUR * HOUR, end // HOUR * HOUR - HOUR
    made = [
        ("hashtag:dance", "all", latest, 0.2, False, "model", 0.18),
        ("hashtag:surge", "all", latest, 0.7, False, "model", 0.64),
        ("sound:77", "all", latest, 0.9, True, "model", 0.9),
        ("hashtag:stale", "all", older, 0.99, False, "model", 0.9),
        ("hashtag:gbonly", "GB", latest, 0.4, False, "velocity", None),
    ]
    forecasts = [
        EntityForecast(key.partition(":")[0], key, market, at, 6, p, now, method, hit)
        for key, market, at, p, now, method, hit in made
    ]
    world.sinks.history.write_forecasts(forecast_records(forecasts, []))
    page.goto(next_server.url + "/next")
    page.wait_for_selector("#table-next-up tbody tr")
    shown = rows(page)
    # In the top 20 already (sound:77) and an older hour's forecast (stale) are not "next up".
    assert [r[0] for r in shown] == ["#surge", "#dance"]
    assert shown[0][2] == "70.0%" and shown[0][3] == "64.0%" and shown[0][4] == "model"
    assert page.get_attribute("#table-next-up tbody tr a", "href") == "/hashtag/surge"
    screenshot(page, "next-up")
    page.click("#nx-market")
    page.get_by_role("option", name="GB", exact=True).click()
    page.wait_for_selector("#table-next-up >> text=#gbonly")
    assert [r[0] for r in rows(page)] == ["#gbonly"]
    assert page.console.errors == []


def test_a_video_page_shows_its_forecasts_of_plays_at_24_hours(
    page: Any, next_server: DashboardServer, world: World
) -> None:
    video = "7000000000000000005"
    created = 1_767_571_200_000  # any posting time: the point sits 24 hours after it
    made = [
        VideoForecast(video, "GB", created + age * HOUR, age, plays, low, high, "model")
        for age, plays, low, high in ((1, 40_000.0, 10_000.0, 90_000.0),
                                      (3, 52_000.0, 30_000.0, 80_000.0))
    ]  # fmt: skip
    world.sinks.history.write_forecasts(forecast_records([], made))
    page.goto(next_server.url + f"/video/{video}")
    page.wait_for_selector("#video-detail .js-plotly-plot")
    # The latest forecast in the cards, with its interval and who made it.
    assert "52.0K (80%: 30.0K–80.0K; at 3 h, model)" in page.inner_text("#video-detail .cards")
    traces = page.evaluate(
        """() => document.querySelector('#video-chart .js-plotly-plot').data
               .filter(t => t.name.startsWith('plays at 24 h'))
               .map(t => [t.name, t.y[0], t.error_y.array[0], t.error_y.arrayminus[0], t.x[0]])"""
    )
    assert [t[:4] for t in traces] == [
        ["plays at 24 h, forecast at 1 h", 40_000, 50_000, 30_000],
        ["plays at 24 h, forecast at 3 h", 52_000, 28_000, 22_000],
    ]
    assert {t[4][:16] for t in traces} == {"2026-01-06T00:00"}
    assert page.console.errors == []


def wall_next(page: Any) -> list[list[str]]:
    return list(
        page.eval_on_selector_all(
            "#wall-next .w-row:not(.blank)",
            "rows => rows.map(r => ['.w-rank', '.w-name', '.w-sub', '.w-value']"
            ".map(s => r.querySelector(s).textContent))",
        )
    )


def test_the_wall_shows_next_up_and_reads_it_again_when_the_hour_turns(
    page: Any, next_server: DashboardServer, world: World
) -> None:
    data = next_server.app.server.extensions["trendmon"]["data"]
    hour = int(data.freshness()["watermark_ms"]) // HOUR * HOUR
    made = [
        ("hashtag:wallfirst", hour, 0.95, "model", 0.9),
        ("sound:88", hour, 0.5, "velocity", None),
        ("hashtag:comingup", hour + HOUR, 0.99, "model", 0.93),  # the next hour's
    ]
    world.sinks.history.write_forecasts(
        forecast_records(
            [EntityForecast(k.partition(":")[0], k, "all", at, 6, p, False, m, hit)
             for k, at, p, m, hit in made[:2]], [],
        )
    )  # fmt: skip
    page.goto(next_server.url + "/wall?boards=hashtags,next")
    page.wait_for_selector("#wall-next .w-row:not(.blank) .w-name")
    assert page.is_hidden("#board-videos") and page.is_visible("#board-next")
    shown = wall_next(page)
    assert shown[0] == ["1", "#wallfirst", "hashtag · model · backtest: 90% made it", "95%"]
    assert ["88", "sound · velocity", "50%"] in [r[1:] for r in shown]  # no hit rate: none
    page.wait_for_function("window.trendmonWall && window.trendmonWall.messages > 0")
    # An hour of events later the runtime has made the next hour's forecasts: the board follows.
    k, at, p, m, hit = made[2]
    world.sinks.history.write_forecasts(
        forecast_records([EntityForecast("hashtag", k, "all", at, 6, p, False, m, hit)], [])
    )
    world.advance(60)
    page.wait_for_function(
        "() => document.querySelector('#wall-next .w-name').textContent === '#comingup'",
        timeout=15_000,
    )
    assert [r[1] for r in wall_next(page)] == ["#comingup"]
    screenshot(page, "wall-next-up")
    assert page.console.errors == []


def test_an_entity_page_shows_its_hourly_chance_of_the_top_20(
    page: Any, next_server: DashboardServer, world: World
) -> None:
    data = next_server.app.server.extensions["trendmon"]["data"]
    series = data.entity_series("hashtag:surge", "all", "24h")
    assert series, "the world must have scored #surge for its page to draw a chart"
    first = -(-series[0]["at_ms"] // HOUR) * HOUR
    last = series[-1]["at_ms"] // HOUR * HOUR
    assert last > first, "the chart must span whole hours"
    made = [(first, 0.3, "velocity", None), (last, 0.62, "model", 0.64)]
    forecasts = [
        EntityForecast("hashtag", "hashtag:surge", "all", at, 6, p, False, method, hit)
        for at, p, method, hit in made
    ]
    # Another market's and an hour outside the chart's are not this chart's.
    forecasts += [
        EntityForecast("hashtag", "hashtag:surge", "GB", last, 6, 0.99, False, "model", 0.9),
        EntityForecast("hashtag", "hashtag:surge", "all", last + HOUR, 6, 0.01, False, "model", 0),
    ]
    world.sinks.history.write_forecasts(forecast_records(forecasts, []))
    page.goto(next_server.url + "/hashtag/surge?window=24h")
    page.wait_for_selector("#entity-detail .js-plotly-plot")
    cards = page.inner_text("#entity-detail .cards")
    assert "TOP 20 WITHIN 6 H (FORECAST)" in cards.upper()  # labels are set in capitals
    assert "62.0% (model; backtest: 64.0% of such made it)" in cards
    band = page.evaluate(
        """() => document.querySelector('#entity-chart .js-plotly-plot').data
               .filter(t => t.name.startsWith('chance of its top 20'))
               .map(t => [t.name, t.y, t.yaxis, t.x.map(x => x.slice(0, 16))])"""
    )
    assert len(band) == 1
    name, y, axis, x = band[0]
    assert name == "chance of its top 20 within 6 h (forecast)" and axis == "y2"
    # First and last hour of the chart (other tests here may have written hours between).
    assert (y[0], y[-1]) == (0.3, 0.62) and 0.99 not in y and 0.01 not in y
    assert x == sorted(x) and len(set(x)) == len(x)
    assert page.console.errors == []
