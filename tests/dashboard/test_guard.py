"""Client mistakes on Dash's own routes: 400 or 404 with one log line, never a 500."""

from __future__ import annotations

import http.client
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import pytest

from trendmon.dashboard.server import DashboardServer

from .conftest import SESSIONS, session_headers

RENDER = "..page.children...nav.children...page.className.."
VALID = {
    "output": RENDER,
    "outputs": [
        {"id": "page", "property": "children"},
        {"id": "nav", "property": "children"},
        {"id": "page", "property": "className"},
    ],
    "inputs": [
        {"id": "url", "property": "pathname", "value": "/spikes"},
        {"id": "url", "property": "search", "value": ""},
    ],
    "state": [],
    "changedPropIds": ["url.pathname"],
}
DEEP = b"[" * 100_000 + b"]" * 100_000
BAD_BODIES = {
    "empty object": b"{}",
    "null": b"null",
    "array": b"[]",
    "unknown output": json.dumps({**VALID, "output": "nothing.children"}).encode(),
    "inputs not a list": json.dumps({**VALID, "inputs": {"id": "url"}}).encode(),
    "inputs of strings": json.dumps({**VALID, "inputs": ["url", "search"]}).encode(),
    "too few inputs": json.dumps({**VALID, "inputs": VALID["inputs"][:1]}).encode(),
    "outputs not a list": json.dumps({**VALID, "outputs": 3}).encode(),
    "deep array": DEEP,
    "deep inside": b'{"output": ' + DEEP + b"}",
    "broken JSON": b'{"output": ',
}


def call(server: DashboardServer, method: str, path: str, body: bytes | None = None) -> Any:
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        headers.update(session_headers(SESSIONS[server.port]))
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_valid_callback_request_is_answered(server: DashboardServer) -> None:
    status, body = call(server, "POST", "/_dash-update-component", json.dumps(VALID).encode())
    assert status == 200
    assert "page" in json.loads(body)["response"]


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_malformed_callback_requests_get_400_and_one_log_line(
    server: DashboardServer, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    caplog.set_level(logging.INFO)
    status, body = call(server, "POST", "/_dash-update-component", BAD_BODIES[name])
    assert status == 400, body[:300]
    assert b"Traceback" not in body and len(body) < 300
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert "400 POST /_dash-update-component" in lines[0].getMessage()


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-component-suites/os/path.py",
        "/_dash-component-suites/dash/..%2f..%2fsetup.py",
        "/_dash-component-suites/dash/nothing.v1m1.js",
    ],
)
def test_unknown_component_files_get_404_and_one_log_line(
    server: DashboardServer, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    caplog.set_level(logging.INFO)
    status, body = call(server, "GET", path)
    assert status == 404
    assert b"registered" not in body and b"Traceback" not in body  # no list of what exists
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and lines[0].exc_info is None
