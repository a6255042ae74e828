"""The explorer pages in a real browser: data on every page, filters, exports, hostile text."""

from __future__ import annotations

import csv
from typing import Any
from urllib.parse import quote

import pytest

from trendmon.dashboard.server import DashboardServer

from .conftest import screenshot
from .world import (
    GREEN_SCREEN,
    HOSTILE_TAG,
    HOSTILE_VIDEO,
    SURGE_AUTHOR,
    VERIFIED_AUTHOR,
    VIDEOS,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = {
    "home": ("/", ".home-grid li"),
    "rankings": ("/rankings", "#table-rankings tbody tr"),
    "hashtags": ("/hashtags", "#table-trends tbody tr"),
    "sounds": ("/sounds", "#table-trends tbody tr"),
    "creators": ("/creators", "#table-trends tbody tr"),
    "effects": ("/effects", "#table-trends tbody tr"),
    "spikes": ("/spikes", "#table-spikes-history tbody tr"),
    "health": ("/health", "#table-health_rates tbody tr"),
    "hashtag-detail": ("/hashtag/surge", "#entity-detail .js-plotly-plot"),
    "sound-detail": ("/sound/6600000000000000001", "#table-entity_videos tbody tr"),
    "creator-detail": (f"/creator/{SURGE_AUTHOR}", "#table-entity_videos tbody tr"),
    "effect-detail": (f"/effect/{GREEN_SCREEN}", "#table-entity_videos tbody tr"),
    "video-detail": ("/video/7000000000000000003", "#video-detail .js-plotly-plot"),
}


def visit(page: Any, server: DashboardServer, path: str, ready: str) -> None:
    page.goto(server.url + path)
    page.wait_for_selector(ready)


def rows(page: Any, table: str) -> list[list[str]]:
    return list(
        page.eval_on_selector_all(
            f"#{table} tbody tr",
            "trs => trs.map(tr => Array.from(tr.cells).map(td => td.textContent))",
        )
    )


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_with_data_and_without_errors(
    page: Any, server: DashboardServer, name: str
) -> None:
    path, ready = PAGES[name]
    visit(page, server, path, ready)
    assert page.locator(ready).count() >= 1
    assert page.locator(".panel-error").count() == 0
    screenshot(page, name)
    assert page.console.errors == []


def test_filters_change_what_the_rankings_show(page: Any, server: DashboardServer) -> None:
    visit(page, server, "/rankings?metric=plays", "#table-rankings tbody tr")
    everything = rows(page, "table-rankings")
    assert len(everything) == VIDEOS  # every video of the world
    page.fill("#rk-hashtag", "surge")
    page.press("#rk-hashtag", "Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#table-rankings tbody tr').length < {VIDEOS}"
    )
    surge = rows(page, "table-rankings")
    assert 0 < len(surge) < len(everything)
    assert all("#surge" in row[1] for row in surge)
    page.fill("#rk-hashtag", "")
    page.press("#rk-hashtag", "Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#table-rankings tbody tr').length === {VIDEOS}"
    )
    page.check("#rk-verified input[type=checkbox]")
    page.wait_for_function(
        f"document.querySelectorAll('#table-rankings tbody tr').length < {VIDEOS}"
    )
    verified = rows(page, "table-rankings")
    assert verified and all(row[3] == "✔" for row in verified)
    assert all(row[2] == f"@creator{VERIFIED_AUTHOR[-2:]}" for row in verified)
    assert page.console.errors == []


def test_the_exported_csv_holds_the_rows_on_screen(
    page: Any, server: DashboardServer, tmp_path: Any
) -> None:
    visit(page, server, "/rankings?metric=likes&hashtag=dance", "#table-rankings tbody tr")
    shown = rows(page, "table-rankings")
    with page.expect_download() as caught:
        page.click("#table-rankings a.export-csv")
    path = tmp_path / "rankings.csv"
    caught.value.save_as(path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        exported = list(csv.DictReader(f))
    assert [r["video_id"] for r in exported] == [row[-1] for row in shown]
    assert [int(r["rank"]) for r in exported] == [int(row[0]) for row in shown]
    likes = [int(r["likes"]) for r in exported]
    assert likes == sorted(likes, reverse=True)
    hostile = next(r for r in exported if r["video_id"] == HOSTILE_VIDEO)
    assert hostile["description"].startswith("<script>")  # as text, not cut, not escaped
    assert caught.value.suggested_filename == "trendmon-rankings.csv"


HOSTILE_PAGES = [
    f"/video/{HOSTILE_VIDEO}",
    "/rankings?hashtag=dance",
    f"/hashtag/{quote(HOSTILE_TAG, safe='')}",
    "/creator/6899999999999999999",
    "/sound/6699999999999999999",
    "/wall?rows=10",
]


@pytest.mark.parametrize("path", HOSTILE_PAGES)
def test_untrusted_text_is_shown_as_text_and_never_runs(
    page: Any, server: DashboardServer, path: str
) -> None:
    page.goto(server.url + path)
    page.wait_for_function("document.body.innerText.includes('window.__xss')")
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("main script, #wall script").count() == 0
    text = page.inner_text("body")
    assert "\u202e" not in text  # the right-to-left override is gone
    assert "A" * 1000 not in text  # 10,000 characters are cut short
    assert page.console.errors == []


def test_the_hostile_video_page_cuts_the_description_with_an_ellipsis(
    page: Any, server: DashboardServer
) -> None:
    visit(page, server, f"/video/{HOSTILE_VIDEO}", "#video-detail")
    description = page.inner_text("#video-detail .desc")
    assert description.startswith('<script>window.__xss=1</script><img src=x onerror="')
    assert description.endswith("…") and len(description) <= 600
    screenshot(page, "hostile-video")


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("/hashtag/no-such-tag-anywhere", "hashtag"),
        ("/video/123456", "video"),
        ("/creator/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "creator"),
        ("/sound/0", "sound"),
    ],
)
def test_an_unknown_entity_gives_a_friendly_page(
    page: Any, server: DashboardServer, path: str, what: str
) -> None:
    visit(page, server, path, "#not-found")
    text = page.inner_text("#not-found")
    assert "Not found" in text and f"There is no {what}" in text
    assert "Traceback" not in page.inner_text("body")
    assert page.evaluate("typeof window.alert_called") == "undefined"
    assert page.console.errors == []
    if what == "hashtag":
        screenshot(page, "not-found")


def test_an_unknown_page_says_so(page: Any, server: DashboardServer) -> None:
    visit(page, server, "/no/such/page/here", ".panel-notfound")
    assert "Page not found" in page.inner_text(".panel-notfound")
    assert page.console.errors == []


def test_the_spikes_page_filters_by_kind(page: Any, server: DashboardServer) -> None:
    visit(page, server, "/spikes", "#table-spikes-history tbody tr")
    kinds = {row[2] for row in rows(page, "table-spikes-history")}
    assert "hashtag" in kinds
    page.click("#sp-kind")
    page.get_by_role("option", name="sound", exact=True).click()
    page.wait_for_function(
        "!Array.from(document.querySelectorAll('#table-spikes-history tbody tr'))"
        ".some(tr => tr.cells[2].textContent === 'hashtag')"
    )
    for table in ("table-spikes-live", "table-spikes-history"):
        assert all(row[2] == "sound" for row in rows(page, table)), table
    visit(page, server, "/spikes?kind=hashtag&market=all", "#table-spikes-history tbody tr")
    assert {row[2] for row in rows(page, "table-spikes-history")} == {"hashtag"}
    assert page.console.errors == []
