"""The account pages in a real browser, over real imported exports: the numbers of the files
on screen, every chart drawn, hostile captions shown as text, exports for analysts only."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from trendmon.creator.detect import read_exports
from trendmon.dashboard import access
from trendmon.dashboard.app import create_app
from trendmon.dashboard.server import DashboardServer
from trendmon.settings import DashboardSettings
from trendmon.sinks.factory import open_creator

from .conftest import screenshot, session_headers, signed_in, start

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>=cmd|x'


@pytest.fixture(scope="module")
def account_server(
    tmp_path_factory: pytest.TempPathFactory, account_exports: Path
) -> Iterator[DashboardServer]:
    folder = account_exports
    home = tmp_path_factory.mktemp("account") / "home"
    store = open_creator("sqlite", home=home)
    hailey = sorted(folder.glob("studio2026_haileytupy_*.csv"))
    content = (
        '"Time","Video title","Video link","Post time","Total likes","Total comments",'
        '"Total shares","Total views"\n'
        f'"February 28","{HOSTILE.replace(chr(34), chr(34) * 2)}",'
        '"https://www.tiktok.com/@haileytupy2.0/video/7600000000000000000","January 30",'
        '"1","2","3","400"'
    )
    files = [(p.name, p.read_bytes()) for p in hailey] + [("Hostile.csv", content.encode())]
    for export in read_exports(files, today=date(2026, 12, 5)):
        store.save("haileytupy2.0", export)
    for export in read_exports(
        [(p.name, p.read_bytes()) for p in sorted(folder.glob("studio2021_weatherchannel_*"))],
        today=date(2026, 12, 5),
    ):
        store.save("weatherchannel", export)
    store.close()
    server = start(create_app(DashboardSettings(heartbeat_s=1.0, history_ttl_s=0.0), home))
    yield server
    server.stop()


def test_an_account_page_shows_the_files_numbers(account_server: DashboardServer,
                                                 page: Any) -> None:  # fmt: skip
    page.goto(f"{account_server.url}/account/haileytupy2.0?range=7d")
    page.wait_for_selector("#account-title")
    stats = page.inner_text("#account-stats")
    # The last 7 days (2026-02-21..27) of Overview.csv summed by hand: views of Feb 27 = 18237.
    assert "Followers" in stats and "5,013" in stats  # FollowerHistory, February 27
    page.wait_for_selector("#account-daily .main-svg")
    for graph in ("daily", "followers", "engagement", "viewers", "gender", "map", "heatmap",
                  "top-posts"):  # fmt: skip
        page.wait_for_selector(f"#account-{graph} .main-svg")
    assert "(likes + comments + shares) / views" in page.inner_text("#engagement-definition")
    days = page.inner_text("#account-days")
    assert "18,237" in days or "18237" in days
    assert "Best time to post" in page.inner_text(".claim")
    assert "user:HANDLE" in page.inner_text("#account-same-age")  # no tracked snapshots here
    assert "live boards" in page.inner_text("#account-trends")
    # In the test world no creator of its size posted with a hot hashtag or sound last hour.
    assert "No creator of about your size" in page.inner_text("#account-peers")
    assert "time zone" in page.inner_text(".account-page")
    posts = page.inner_text("#account-posts")
    assert "<script>" in posts and "onerror" in posts  # shown as text
    assert page.evaluate("window.pwned") is None
    screenshot(page, "account-page")
    page.goto(f"{account_server.url}/account/haileytupy2.0?from=2025-12-30&to=2026-01-02")
    page.wait_for_selector("#account-days")
    text = page.inner_text("#account-days")
    assert "28,710" in text or "28710" in text  # "January 1","28710"
    assert page.console.errors == []


def test_accounts_side_by_side(account_server: DashboardServer, page: Any) -> None:
    page.goto(f"{account_server.url}/account?range=365d")
    page.wait_for_selector("#account-compare-views .main-svg")
    listed = page.inner_text("#account-list")
    assert "haileytupy2.0" in listed and "weatherchannel" in listed
    screenshot(page, "account-compare")


def test_exports_for_analysts_not_viewers(account_server: DashboardServer) -> None:
    assert access.page_access("/account/x") == access.VIEWER
    url = f"{account_server.url}/export/account_days.csv?account=haileytupy2.0&range=7d"
    with urllib.request.urlopen(url, timeout=30) as response:  # the admin's session
        body = response.read().decode("utf-8-sig")
    assert body.splitlines()[0].startswith("date,views,")
    assert "2026-02-27,18237," in body
    url_json = f"{account_server.url}/export/account_posts.json?account=haileytupy2.0"
    with urllib.request.urlopen(url_json, timeout=30) as response:
        assert b"7531345990947851551" in response.read()
    viewer = signed_in(account_server, "vera", "viewer")
    request = urllib.request.Request(url, headers=session_headers(viewer))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403
    refused.value.close()


