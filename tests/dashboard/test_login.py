"""Signing in as a person does, in a real browser: the login page, its one message for every
failure, a form without its token, signing out, kiosk links, and every page under the real
Content-Security-Policy."""

from __future__ import annotations

import time
from typing import Any

import pytest

from trendmon.accounts import kiosks, users
from trendmon.dashboard.server import DashboardServer

from .conftest import SESSIONS, accounts_of, screenshot
from .test_pages import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "saffron kettle harbour"
GENERIC = "Wrong account name or password, or too many attempts. Try again in a while."


def anonymous(page: Any) -> Any:
    page.anonymous = True
    page.context.clear_cookies()
    return page


def submit(page: Any, name: str, password: str) -> Any:
    page.fill("#name", name)
    page.fill("#password", password)
    with page.expect_navigation() as navigation:
        page.click("#login-submit")
    return navigation.value


def test_a_person_signs_in_sees_the_page_asked_for_and_signs_out(
    page: Any, server: DashboardServer
) -> None:
    store = accounts_of(server)
    if store.get_user("lena") is None:
        users.add(store, "lena", "analyst", PASSWORD, int(time.time() * 1000))
    page = anonymous(page)
    page.goto(f"{server.url}/rankings")
    assert page.url.startswith(f"{server.url}/login?next=/rankings")
    for name, password in (("lena", "not her password"), ("nobody", PASSWORD)):
        response = submit(page, name, password)
        assert response.status == 401
        assert page.inner_text("#login-error") == GENERIC
    screenshot(page, "login-refused")
    response = submit(page, "lena", PASSWORD)
    page.wait_for_selector("#table-rankings tbody tr")
    assert page.url == f"{server.url}/rankings"
    assert page.inner_text("#nav-user") == "lena"
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert (
        cookies["trendmon_session"]["httpOnly"] and cookies["trendmon_session"]["sameSite"] == "Lax"
    )
    page.click("#nav-logout")
    page.wait_for_selector("#login-form")
    page.goto(f"{server.url}/rankings")
    page.wait_for_selector("#login-form")
    assert page.console.errors == [] or all("401" in e or "403" in e for e in page.console.errors)


def test_a_login_form_without_its_token_is_refused(page: Any, server: DashboardServer) -> None:
    store = accounts_of(server)
    if store.get_user("lena") is None:
        users.add(store, "lena", "analyst", PASSWORD, int(time.time() * 1000))
    page = anonymous(page)
    page.goto(f"{server.url}/login")
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    response = submit(page, "lena", PASSWORD)
    assert response.status == 403
    assert "The form expired" in page.inner_text("#login-error")
    assert "trendmon_session" not in {c["name"] for c in page.context.cookies()}


def test_a_kiosk_link_opens_the_wall_and_leaves_the_address_bar(
    page: Any, server: DashboardServer
) -> None:
    _, token = kiosks.create(accounts_of(server), "lobby", int(time.time() * 1000), 3_600_000)
    page = anonymous(page)
    page.goto(f"{server.url}/kiosk/{token}")
    page.wait_for_selector("#wall-videos .w-row .w-value")
    assert page.url == f"{server.url}/wall" and token not in page.url
    page.wait_for_function("window.trendmonWall && window.trendmonWall.messages > 0")
    response = page.goto(f"{server.url}/rankings")
    assert response.status == 403
    page.goto(f"{server.url}/kiosk/{token}")
    assert "does not open anything" in page.inner_text("body")


def test_every_page_runs_under_the_real_content_security_policy(
    browser: Any, server: DashboardServer
) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    context.add_cookies([
        {"name": k, "value": v, "url": f"{server.url}/"} for k, v in SESSIONS[server.port].items()
    ])  # fmt: skip
    try:
        pages = [("/wall", "#wall-videos .w-row .w-value"), ("/admin", "#ad-audit-table"),
                 ("/alerts", "#al-subs"), *PAGES.values()]  # fmt: skip
        for path, ready in pages:
            page.goto(server.url + path)
            page.wait_for_selector(ready)
        assert errors == []
    finally:
        context.close()
