"""The admin page in a real browser: an account added and disabled, a kiosk link made (shown
once) that opens the wall then stops when revoked, an API token that opens the API until
revoked, each change in the audit log under the admin's name; a viewer and an analyst are
refused its callbacks on the server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from trendmon.dashboard.server import DashboardServer

from .conftest import SESSIONS, accounts_of, screenshot, signed_in
from .test_access import call, post_callback, session_headers

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def rows(page: Any, table: str) -> list[list[str]]:
    return list(
        page.eval_on_selector_all(
            f"#{table} tbody tr",
            "trs => trs.map(tr => Array.from(tr.cells).map(td => td.textContent))",
        )
    )


def api_status(server: DashboardServer, token: str) -> int:
    request = urllib.request.Request(
        server.url + "/api/v1/rankings", headers={"Authorization": f"Bearer {token}", "Cookie": ""}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_accounts_kiosks_tokens_and_the_audit_log_from_the_page(
    page: Any, browser: Any, server: DashboardServer
) -> None:
    page.goto(server.url + "/admin")
    page.wait_for_selector("#ad-users-table")
    assert page.locator("nav >> text=Admin").count() == 1
    # An account, then refused: a password from the common list; then disabled.
    page.fill("#ad-name", "ann")
    page.fill("#ad-password", "password123")
    page.click("#ad-add")
    page.wait_for_selector("#ad-users-said >> text=Not done")
    assert "common" in page.locator("#ad-users-said").text_content()
    page.fill("#ad-password", "a long and unusual passphrase 7")
    page.click("#ad-add")
    page.wait_for_selector("#ad-users-said >> text=Added ann (viewer).")
    assert page.input_value("#ad-password") == ""
    assert ["ann", "viewer", "active"] in [r[:3] for r in rows(page, "ad-users-table")]
    page.click("#ad-disable")
    page.wait_for_selector("#ad-users-said >> text=ann disabled")
    assert ["ann", "viewer", "disabled"] in [r[:3] for r in rows(page, "ad-users-table")]
    assert accounts_of(server).get_user("ann").disabled  # type: ignore[union-attr]
    # One cannot lock oneself out from here.
    page.fill("#ad-name", "tester")
    page.click("#ad-remove")
    page.wait_for_selector("#ad-users-said >> text=cannot change your own role")

    # A kiosk link, shown once, opens the wall in another browser; revoked, it opens nothing.
    page.fill("#ad-kiosk-name", "office TV <b>")
    page.click("#ad-kiosk-create")
    link = page.locator("#ad-kiosk-link").text_content()
    assert link.startswith(server.url + "/kiosk/")
    [kiosk] = [r for r in rows(page, "ad-kiosks-table") if r[1] == "office TV <b>"]
    tv = browser.new_context()
    try:
        screen = tv.new_page()
        screen.goto(link)
        screen.wait_for_selector("#wall-videos")
        assert screen.url == server.url + "/wall"
        page.fill("#ad-kiosk-id", kiosk[0])
        page.click("#ad-kiosk-revoke")
        page.wait_for_selector("#ad-kiosks-said >> text=revoked")
        screen.goto(server.url + "/wall")
        assert "/login" in screen.url
    finally:
        tv.close()

    # An API token, shown once, opens the API until it is revoked.
    page.fill("#ad-token-name", "BI export")
    page.click("#ad-token-create")
    secret = page.locator("#ad-token-secret").text_content()
    assert secret.startswith("tm_")
    assert api_status(server, secret) == 200
    [token] = [r for r in rows(page, "ad-tokens-table") if r[1] == "BI export"]
    assert token[2] == "analyst"
    page.fill("#ad-token-id", token[0])
    page.click("#ad-token-revoke")
    page.wait_for_selector("#ad-tokens-said >> text=revoked")
    assert api_status(server, secret) == 401
    assert secret not in page.content()  # the list never shows a token, only its id

    audit = rows(page, "ad-audit-table")
    done = {(r[1], r[2], r[3]) for r in audit}
    for action, target in (("users.add", "ann"), ("users.disable", "ann"),
                           ("kiosk.create", kiosk[0]), ("kiosk.revoke", kiosk[0]),
                           ("tokens.create", token[0]), ("tokens.revoke", token[0])):  # fmt: skip
        assert ("tester", action, target) in done, (action, audit[:8])
    assert all(r[4] == "127.0.0.1" for r in audit if r[1] == "tester" and r[2] != "signin")
    screenshot(page, "admin")
    assert page.console.errors == []


def test_the_admin_page_and_its_callbacks_are_refused_below_admin(
    server: DashboardServer,
) -> None:
    admin_outputs = [o for o in server.app.callback_map if "ad-" in o]
    assert len(admin_outputs) == 3
    for name, role in (("vic2", "viewer"), ("ana2", "analyst")):
        cookies = signed_in(server, name, role)
        assert call(server, "GET", "/admin", session_headers(cookies))[0] == 403
        for output in admin_outputs:
            assert post_callback(server, output, cookies) == (403, b"Not allowed.\n"), output
        page = "..page.children...nav.children...page.className.."
        status, body = post_callback(server, page, cookies, pathname="/admin")
        assert status == 200 and b"not open to you" in body and b"ad-users" not in body
        # Their menu does not offer the page.
        status, body = post_callback(server, page, cookies, pathname="/rankings")
        assert b'"/admin"' not in body and b'"/alerts"' not in body
    status, body = post_callback(server, admin_outputs[0], SESSIONS[server.port])
    assert status in (200, 204), json.loads(body or b"{}")
