"""The gate, over HTTP against the real server: closed without a session, roles per route,
page and callback, CSRF, timeouts, revocation, kiosk links and the security headers.

The routes and callbacks are enumerated from the app itself (Flask's url_map, Dash's callback
map), so a page, route or callback added later without a declared access fails here, or is
admin-only.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from dash import Input, Output

from trendmon.accounts import kiosks, users
from trendmon.dashboard import access
from trendmon.dashboard.app import create_app
from trendmon.dashboard.server import DashboardServer
from trendmon.dashboard.wallboards import BOARDS, PROPS
from trendmon.settings import DashboardSettings

from .conftest import SESSIONS, accounts_of, serve, session_headers, signed_in, start
from .world import World

pytestmark = pytest.mark.slow

OPEN = {"trendmon_login", "trendmon_login_css", "trendmon_signin", "trendmon_kiosk",
        "trendmon_health"}  # fmt: skip
SAMPLES = {
    "path": "rankings",
    "package_name": "dash",
    "fingerprinted_path": "dash-renderer/build/dash_renderer.min.js",
    "filename": "wall.js",
    "name": "rankings",
    "kind": "csv",
    "token": "A" * 43,
}


def call(
    server: DashboardServer,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def callback_body(
    output: str, spec: dict[str, Any], pathname: str = "/", search: str = ""
) -> bytes:
    """A well-formed request for the callback of ``output`` (values are what the page sends)."""

    def deps(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"id": d["id"], "property": d["property"], "value": None} for d in items]

    inputs = deps(spec.get("inputs") or [])
    for item in inputs:
        if item["id"] == "url" and item["property"] == "pathname":
            item["value"] = pathname
        if item["id"] == "url" and item["property"] == "search":
            item["value"] = search
    if output.startswith(".."):
        outputs: Any = [
            {"id": o.rpartition(".")[0], "property": o.rpartition(".")[2]}
            for o in output[2:-2].split("...")
        ]
    else:
        outputs = {"id": output.rpartition(".")[0], "property": output.rpartition(".")[2]}
    return json.dumps({
        "output": output, "outputs": outputs, "inputs": inputs,
        "state": deps(spec.get("state") or []), "changedPropIds": [],
    }).encode()  # fmt: skip


def post_callback(
    server: DashboardServer,
    output: str,
    cookies: dict[str, str] | None,
    pathname: str = "/",
    search: str = "",
) -> tuple[int, bytes]:
    spec = server.app.callback_map[output]
    headers = {"Content-Type": "application/json", **(session_headers(cookies) if cookies else {})}
    status, _, body = call(server, "POST", "/_dash-update-component", headers,
                           callback_body(output, spec, pathname, search))  # fmt: skip
    return status, body


def concrete(rule: Any) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLES[m.group(1)], rule.rule)


@pytest.fixture(scope="module")
def admin_only_server(world: World) -> Iterator[DashboardServer]:
    """The dashboard with one more page callback that declared nothing (like a page added
    later by someone who forgot): it must be admin-only."""
    app = create_app(DashboardSettings(heartbeat_s=1.0, history_ttl_s=0.0), world.home)

    @app.callback(Output("page", "title"), Input("url", "hash"))
    def undeclared(_: Any) -> str:
        return "secret admin data"

    server = start(app)
    yield server
    server.stop()


def test_every_route_is_closed_without_a_session(server: DashboardServer) -> None:
    seen_open = set()
    rules = list(server.app.server.url_map.iter_rules())
    assert len(rules) >= 15
    for rule in rules:
        path = concrete(rule)
        for method in sorted((rule.methods or set()) - {"OPTIONS", "HEAD"}):
            status, headers, body = call(server, method, path)
            if rule.endpoint in OPEN:
                seen_open.add(rule.endpoint)
                assert status in (200, 403), (rule.rule, method, status)
                assert b"surge" not in body and b"70000000000" not in body  # no world data
                continue
            where = (rule.rule, method, status)
            if status in (302, 303):
                assert headers["Location"].startswith("/login?next="), where
            else:
                assert status == 401 and body == b"Sign in first.\n", where
    assert seen_open == OPEN  # an open route is a decision, not an accident


def test_every_callback_is_refused_without_a_session(server: DashboardServer) -> None:
    outputs = list(server.app.callback_map)
    assert len(outputs) >= 10
    for output in outputs:
        assert post_callback(server, output, None) == (401, b"Sign in first.\n"), output


def test_the_layout_and_dependencies_need_a_session_and_hold_no_data(
    server: DashboardServer,
) -> None:
    for path in ("/_dash-layout", "/_dash-dependencies", "/stream", "/export/rankings.json"):
        assert call(server, "GET", path)[0] == 401
    status, _, layout = call(server, "GET", "/_dash-layout", session_headers(SESSIONS[server.port]))
    assert status == 200
    assert set(re.findall(rb'"id":\s*"([^"]+)"', layout)) == {b"url", b"nav", b"page"}


def test_an_undeclared_callback_and_page_are_admin_only(
    admin_only_server: DashboardServer,
) -> None:
    server = admin_only_server
    viewer = signed_in(server, "vera", "viewer")
    admin = SESSIONS[server.port]
    output = "page.title"
    assert access.callback_access(server.app, output) == access.ADMIN
    status, body = post_callback(server, output, viewer)
    assert (status, body) == (403, b"Not allowed.\n")
    status, body = post_callback(server, output, admin)
    assert status == 200 and b"secret admin data" in body
    # A page nobody declared: the router refuses it to a viewer whatever pathname is sent.
    status, _, _ = call(server, "GET", "/alerts", session_headers(viewer))
    assert status == 403
    page = "..page.children...nav.children...page.className.."
    status, body = post_callback(server, page, viewer, pathname="/alerts")
    assert status == 200 and b"not open to you" in body


def test_roles_exports_are_for_analysts_and_admins(server: DashboardServer) -> None:
    for name, role, expected in (("vic", "viewer", 403), ("ana", "analyst", 200)):
        cookies = signed_in(server, name, role)
        status, _, _ = call(server, "GET", "/export/rankings.csv", session_headers(cookies))
        assert status == expected, name


def test_state_changing_requests_need_the_csrf_token(server: DashboardServer) -> None:
    cookies = SESSIONS[server.port]
    output = "..page.children...nav.children...page.className.."
    body = callback_body(output, server.app.callback_map[output], "/rankings")
    cookie = session_headers(cookies)["Cookie"]
    for token in (None, "", "forged", cookies["_csrf_token"][:-1]):
        headers = {"Content-Type": "application/json", "Cookie": cookie}
        if token is not None:
            headers["X-CSRFToken"] = token
        status, _, answer = call(server, "POST", "/_dash-update-component", headers, body)
        assert (status, answer) == (403, b"Not allowed.\n"), token
    status, _, _ = call(server, "POST", "/logout", {"Cookie": cookie})
    assert status == 403  # logout without its token does not log out
    assert post_callback(server, output, cookies, "/rankings")[0] == 200


def test_tampered_and_ended_sessions_open_nothing(server: DashboardServer) -> None:
    cookies = signed_in(server, "tess", "admin")
    good = session_headers(cookies)
    tampered = session_headers({**cookies, "trendmon_session": cookies["trendmon_session"][::-1]})
    assert call(server, "GET", "/_dash-layout", good)[0] == 200
    assert call(server, "GET", "/_dash-layout", tampered)[0] == 401
    users.set_password(accounts_of(server), "tess", "a brand new phrase")
    assert call(server, "GET", "/_dash-layout", good)[0] == 401  # a password change ends it
    cookies = signed_in(server, "tess")
    status, headers, _ = call(server, "POST", "/logout",
                              {**session_headers(cookies), "Content-Type":
                               "application/x-www-form-urlencoded"},
                              f"csrf_token={cookies['_csrf_token']}".encode())  # fmt: skip
    assert status == 303 and headers["Location"] == "/login"
    assert call(server, "GET", "/_dash-layout", session_headers(cookies))[0] == 401  # replayed


def test_idle_and_absolute_timeouts(world: World) -> None:
    server = serve(world, session_idle_s=1.5)
    try:
        cookies = SESSIONS[server.port]
        assert call(server, "GET", "/_dash-layout", session_headers(cookies))[0] == 200
        time.sleep(2)
        assert call(server, "GET", "/_dash-layout", session_headers(cookies))[0] == 401
    finally:
        server.stop()
    server = serve(world, session_max_s=1.5)
    try:
        cookies = SESSIONS[server.port]
        for _ in range(3):  # active all along, still ended
            assert call(server, "GET", "/_dash-layout", session_headers(cookies))[0] == 200
            time.sleep(0.3)
        time.sleep(1.2)
        assert call(server, "GET", "/_dash-layout", session_headers(cookies))[0] == 401
    finally:
        server.stop()


def test_cookies_are_httponly_samesite_lax_and_new_at_each_sign_in(
    server: DashboardServer,
) -> None:
    store = accounts_of(server)
    user = users.get(store, "tester")
    from trendmon.accounts import sessions

    seen = set()
    for _ in range(2):
        token = sessions.create_signin(store, user, int(time.time() * 1000))
        _, headers, _ = call(server, "GET", f"/signin/{token}")
        cookies = headers.get_all("Set-Cookie") or []
        session = next(c for c in cookies if c.startswith("trendmon_session="))
        csrf = next(c for c in cookies if c.startswith("_csrf_token="))
        assert "HttpOnly" in session and "SameSite=Lax" in session and "Path=/" in session
        assert "HttpOnly" not in csrf and "SameSite=Lax" in csrf  # Dash's renderer reads it
        assert "Secure" not in session  # plain http here; TRENDMON_DASHBOARD_HTTPS adds it
        seen.add(session.split(";")[0])
    assert len(seen) == 2
    assert call(server, "GET", f"/signin/{token}")[0] == 403  # a link opens once


def test_secure_cookies_behind_https(world: World) -> None:
    server = serve(world, https=True)
    try:
        token = kiosks.create(accounts_of(server), "tv", int(time.time() * 1000), 60_000)[1]
        _, headers, _ = call(server, "GET", f"/kiosk/{token}")
        set_ = [c for c in headers.get_all("Set-Cookie") or [] if "=;" not in c]
        assert len(set_) == 2 and all("Secure" in c for c in set_)
        assert "max-age" in (headers["Strict-Transport-Security"] or "")
    finally:
        server.stop()


def test_security_headers_on_every_kind_of_response(server: DashboardServer) -> None:
    for path, headers in (("/login", {}), ("/wall", {}), ("/_dash-layout", {}),
                          ("/rankings", session_headers(SESSIONS[server.port]))):  # fmt: skip
        _, answer, _ = call(server, "GET", path, headers)
        csp = answer["Content-Security-Policy"] or ""
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, path
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], path
        assert answer["X-Content-Type-Options"] == "nosniff"
        assert answer["Referrer-Policy"] == "no-referrer"


def test_the_health_check_says_ok_and_nothing_else(server: DashboardServer) -> None:
    status, _, body = call(server, "GET", "/healthz")
    assert (status, body) == (200, b"ok\n")


def test_failed_logins_are_throttled_per_account_and_per_address(
    admin_only_server: DashboardServer,
) -> None:
    server = admin_only_server
    users.add(accounts_of(server), "tina", "viewer", "orchid violin paper", 0)

    def login(name: str, password: str) -> int:
        status, headers, page = call(server, "GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        cookie = next(c for c in headers.get_all("Set-Cookie") or [] if "trendmon_login" in c)
        form = f"name={name}&password={password}&csrf_token={token.group(1).decode()}"
        status, _, page = call(server, "POST", "/login", {
            "Cookie": cookie.split(";")[0], "Content-Type": "application/x-www-form-urlencoded",
        }, form.encode())  # fmt: skip
        if status != 303:
            assert b"Wrong account name or password, or too many attempts" in page
        return status

    assert [login("tina", "wrong one!") for _ in range(5)] == [401] * 5
    assert login("tina", "orchid violin paper") == 429  # the right password, too late
    # Other accounts from this address go on until the address's own limit.
    assert login("tester", "nope nope") == 401
    statuses = [login(f"u{i}", "nope nope") for i in range(20)]
    assert statuses[-1] == 429 and 401 in statuses
    # Each attempt is in the audit log, with its address and without its password.
    events = accounts_of(server).audit(1000)
    tina = [e for e in events if e.target == "tina"]
    assert [e.action for e in tina] == ["login-throttled"] + ["login-failed"] * 5
    assert all(e.source == "127.0.0.1" for e in tina)
    assert not any("wrong one" in repr(e) or "orchid" in repr(e) for e in events)


def test_an_oversized_or_tokenless_login_post_is_refused(server: DashboardServer) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, page = call(server, "POST", "/login", form, b"name=tester&password=whatever1")
    assert status == 403 and b"The form expired" in page
    status, _, _ = call(server, "POST", "/login", form, b"name=" + b"a" * 10_000)
    assert status == 413


def test_a_kiosk_reads_the_wall_and_nothing_else_and_revoking_cuts_its_stream(
    server: DashboardServer,
) -> None:
    store = accounts_of(server)
    kiosk, token = kiosks.create(store, "office TV", int(time.time() * 1000), 3_600_000)
    status, headers, _ = call(server, "GET", f"/kiosk/{token}")
    assert status == 303 and headers["Location"] == "/wall"  # the token leaves the address bar
    cookies = {c.split("=", 1)[0]: c.split("=", 1)[1].split(";")[0]
               for c in headers.get_all("Set-Cookie") or [] if "=;" not in c}  # fmt: skip
    assert set(cookies) == {"trendmon_kiosk", "_csrf_token"}
    assert call(server, "GET", f"/kiosk/{token}")[0] == 403  # once
    kiosk_headers = session_headers(cookies)
    assert call(server, "GET", "/wall", kiosk_headers)[0] == 200
    for path in ("/rankings", "/", "/export/rankings.json", "/health"):
        assert call(server, "GET", path, kiosk_headers)[0] == 403, path
    # The wall's callback is open to it; an explorer callback is not, nor another page through
    # the router, whatever pathname it sends.
    rankings = "rk-table.children"
    assert rankings in server.app.callback_map
    assert post_callback(server, rankings, cookies)[0] == 403
    page = "..page.children...nav.children...page.className.."
    status, body = post_callback(server, page, cookies, pathname="/rankings")
    assert status == 200 and b"not open to you" in body and b"table-rankings" not in body
    status, body = post_callback(server, page, cookies, pathname="/wall")
    assert status == 200 and b"wall-videos" in body
    # An open stream ends within seconds of the revocation.
    address = urlsplit(server.url)
    sock = socket.create_connection((address.hostname, address.port), timeout=30)
    sock.sendall(f"GET /stream HTTP/1.1\r\nHost: x\r\nCookie: {kiosk_headers['Cookie']}\r\n\r\n"
                 .encode())  # fmt: skip
    received = b""
    while b'"kind":"hello"' not in received:
        chunk = sock.recv(4096)
        assert chunk, received
        received += chunk
    assert received.startswith(b"HTTP/1.1 200 ")
    kiosks.revoke(store, kiosk.id)
    revoked_at = time.monotonic()
    while b"signed out" not in received:
        chunk = sock.recv(4096)
        assert chunk, "the stream closed without saying why"
        received += chunk
    assert time.monotonic() - revoked_at < 5
    sock.close()
    assert call(server, "GET", "/stream", kiosk_headers)[0] == 401
    forged = session_headers({"trendmon_kiosk": "A" * 43})
    assert call(server, "GET", "/wall", forged)[0] == 302


def kiosk_cookies(server: DashboardServer, market: str, boards: list[str]) -> dict[str, str]:
    _, token = kiosks.create(
        accounts_of(server), "TV", int(time.time() * 1000), 3_600_000, market, boards
    )
    _, headers, _ = call(server, "GET", f"/kiosk/{token}")
    return {c.split("=", 1)[0]: c.split("=", 1)[1].split(";")[0]
            for c in headers.get_all("Set-Cookie") or [] if "=;" not in c}  # fmt: skip


def test_a_kiosk_limited_to_a_market_and_boards_shows_only_them_whatever_it_asks(
    server: DashboardServer,
) -> None:
    assert tuple(BOARDS) == kiosks.WALL_BOARDS  # the accounts' list is the wall's
    cookies = kiosk_cookies(server, "US", ["videos", "hashtags"])
    page = "..page.children...nav.children...page.className.."
    status, body = post_callback(
        server, page, cookies, pathname="/wall", search="?market=GB&boards=spikes,videos"
    )
    assert status == 200 and b"Market US" in body and b"Market GB" not in body
    shown = json.loads(body)["response"]["page"]["children"]
    config = next(iter(find(shown, "wall-config")))
    assert config["data"]["market"] == "US" and config["data"]["boards"] == ["videos"]
    assert config["data"]["cycle"] == "windows"  # no rotation through other markets
    # A client that rewrites its view to another market still gets the kiosk's.
    output = next(o for o in server.app.callback_map if "wall-title.children" in o)
    spec = server.app.callback_map[output]
    request = json.loads(callback_body(output, spec))
    for item in request["inputs"] + request["state"]:
        if item["id"] == "wall-view":
            item["value"] = {"market": "GB", "window": "24h"}
        if item["id"] == "wall-config":
            item["value"] = {**config["data"], "market": "GB", "boards": ["spikes", "videos"]}
    request["changedPropIds"] = ["wall-view.data"]
    rows = range(config["data"]["rows"])
    request["outputs"] = [
        [{"id": {"w": name, "f": field, "i": i}, "property": prop} for i in rows]
        for name in BOARDS
        for field, prop in PROPS
    ] + [{"id": "wall-memory", "property": "data"}, {"id": "wall-title", "property": "children"}]
    headers = {"Content-Type": "application/json", **session_headers(cookies)}
    status, _, body = call(server, "POST", "/_dash-update-component", headers,
                           json.dumps(request).encode())  # fmt: skip
    assert status == 200, body[:300]
    answer = json.loads(body)["response"]
    assert answer["wall-title"]["children"] == "Market US · last 24h"
    assert not any('"w":"spikes"' in key.replace(" ", "") for key in answer), list(answer)
    # An unlimited kiosk sees the market it asks for.
    status, body = post_callback(
        server, page, kiosk_cookies(server, "", []), pathname="/wall", search="?market=GB"
    )
    assert b"Market GB" in body


def find(node: Any, component_id: str) -> Iterator[dict[str, Any]]:
    """Every component with ``component_id`` in a Dash layout (as JSON)."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            yield node["props"]
        for value in node.get("props", {}).values():
            yield from find(value, component_id)
    elif isinstance(node, list):
        for item in node:
            yield from find(item, component_id)


def test_after_sign_in_the_browser_goes_only_to_a_local_page(server: DashboardServer) -> None:
    store = accounts_of(server)
    if store.get_user("nina") is None:
        users.add(store, "nina", "viewer", "marble copper lighthouse", 0)
    for target, expected in (("/spikes?kind=hashtag", "/spikes?kind=hashtag"),
                             ("//evil.example/x", "/"), ("https://evil.example", "/"),
                             ("/\\evil.example", "/")):  # fmt: skip
        _, headers, page = call(server, "GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        cookie = next(c for c in headers.get_all("Set-Cookie") or [] if "trendmon_login" in c)
        form = urlencode({"name": "nina", "password": "marble copper lighthouse",
                          "csrf_token": token.group(1).decode(), "next": target})  # fmt: skip
        status, answer, _ = call(server, "POST", "/login", {
            "Cookie": cookie.split(";")[0], "Content-Type": "application/x-www-form-urlencoded",
        }, form.encode())  # fmt: skip
        assert (status, answer["Location"]) == (303, expected), target
