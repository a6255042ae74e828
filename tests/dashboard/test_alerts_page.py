"""The alerts admin page in a real browser: add a subscription (its secret shown once), test
it against a real receiver, pause it, read the delivery log, redeliver; the health page names a
subscription trendmon disabled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from trendmon.dashboard.alerts_data import AlertsData
from trendmon.dashboard.app import create_app
from trendmon.dashboard.server import DashboardServer
from trendmon.settings import DashboardSettings
from trendmon.sinks.factory import open_alerts
from trendmon.sinks.webhooks.delivery import Dispatcher

from ..alerts.conftest import alert_settings, make_spike
from ..alerts.receivers import Reply, receiver
from .conftest import start
from .world import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def admin_server(world: World) -> Iterator[DashboardServer]:
    alerts = AlertsData(lambda: open_alerts("sqlite", home=world.home), alert_settings())
    app = create_app(DashboardSettings(history_ttl_s=0.0), world.home, alerts=alerts)
    server = start(app)  # with a signed-in admin: the page is admin-only
    yield server
    server.stop()
    for sub in open_alerts("sqlite", home=world.home).subscriptions():
        store = open_alerts("sqlite", home=world.home)
        store.remove_subscription(sub.id)
        store.close()


def table_rows(page: Any, table: str) -> list[list[str]]:
    return list(
        page.eval_on_selector_all(
            f"#{table} tbody tr",
            "trs => trs.map(tr => Array.from(tr.cells).map(td => td.textContent))",
        )
    )


def test_add_test_pause_and_redeliver_from_the_page(
    page: Any, admin_server: DashboardServer, world: World
) -> None:
    with receiver() as rx:
        page.goto(admin_server.url + "/alerts")
        page.wait_for_selector("#al-add")
        page.fill("#al-target", rx.url)
        page.fill("#al-kinds", "hashtag")
        page.fill("#al-markets", "us, gb")
        page.click("#al-add")
        secret = page.locator("#al-secret").text_content(timeout=20_000)
        assert secret is not None and secret.startswith("whsec_")
        page.wait_for_selector("#al-subs-table tbody tr")
        [row] = table_rows(page, "al-subs-table")
        sub_id = row[0]
        assert row[1] == "active" and row[4] == "hashtag" and row[6] == "GB, US"
        assert secret not in page.content().replace(f">{secret}<", "")  # shown in one place

        page.fill("#al-id", sub_id)
        page.click("#al-test")
        page.wait_for_selector("#al-ok")
        assert "delivered (HTTP 200)" in (page.locator("#al-ok").text_content() or "")
        assert Webhook(secret).verify(rx.requests[0].body, rx.requests[0].headers)["type"] == (
            "trendmon.test"
        )
        page.click("#al-pause")
        page.wait_for_function(
            "document.querySelector('#al-subs-table tbody tr').cells[1].textContent === 'paused'"
        )
        page.reload()  # the secret is not shown again
        page.wait_for_selector("#al-subs-table tbody tr")
        assert secret not in page.content()

        page.wait_for_selector("#al-log-table tbody tr")
        [logged] = table_rows(page, "al-log-table")
        assert logged[1] == sub_id and logged[2] == "delivered"
        page.fill("#al-delivery", logged[0])
        page.click("#al-redeliver")
        page.wait_for_function(
            "document.querySelector('#al-log-table tbody tr').cells[2].textContent === 'pending'"
        )
    assert page.console.errors == []


def test_bad_input_is_a_panel_naming_the_field(page: Any, admin_server: DashboardServer) -> None:
    page.goto(admin_server.url + "/alerts")
    page.wait_for_selector("#al-add")
    page.fill("#al-target", "ftp://example.com/")
    page.click("#al-add")
    page.wait_for_selector("#al-added .panel-error")
    assert "target: scheme 'ftp'" in (page.locator("#al-added").text_content() or "")
    page.fill("#al-id", "sub_nope")
    page.click("#al-resume")
    page.wait_for_selector("#al-acted .panel-error")
    assert "no subscription 'sub_nope'" in (page.locator("#al-acted").text_content() or "")
    assert page.console.errors == []


def test_the_health_page_names_a_disabled_subscription(
    page: Any, admin_server: DashboardServer, world: World
) -> None:
    from trendmon.sinks.webhooks import admin

    with receiver(lambda i, r: Reply(410)) as rx:
        store = open_alerts("sqlite", home=world.home)
        sub, _ = admin.add(store, rx.url, settings=alert_settings())
        dispatcher = Dispatcher(store, alert_settings())
        dispatcher.offer([make_spike()])
        dispatcher.run_due()
        dispatcher.close()
        store.close()
    page.goto(admin_server.url + "/health")
    notice = page.locator("#alerts-disabled-notice")
    notice.wait_for()
    text = notice.text_content() or ""
    assert sub.id in text and "410 Gone" in text
    assert page.console.errors == []
