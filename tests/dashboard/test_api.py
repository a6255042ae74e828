"""``/api/v1/`` over HTTP against the real server: tokens, roles, pagination, and a token opens
the API only."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from trendmon.accounts import apitokens
from trendmon.dashboard.server import DashboardServer

from .conftest import SESSIONS, accounts_of, session_headers
from .test_access import call
from .world import VIDEOS

pytestmark = pytest.mark.slow


def token(server: DashboardServer, role: str = "analyst") -> tuple[str, str]:
    made, secret = apitokens.create(accounts_of(server), "ci", role, int(time.time() * 1000),
                                    3_600_000)  # fmt: skip
    return made.id, secret


def get(server: DashboardServer, path: str, secret: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    status, _, body = call(server, "GET", path, headers)
    return status, json.loads(body) if body.startswith(b"{") else body


def test_pages_of_rows_follow_one_another_to_the_whole_table(server: DashboardServer) -> None:
    _, secret = token(server)
    status, index = get(server, "/api/v1/", secret)
    assert status == 200 and "rankings" in index["tables"]
    seen: list[dict[str, Any]] = []
    path: str | None = "/api/v1/rankings?metric=plays&limit=4"
    while path is not None:
        status, page = get(server, path, secret)
        assert status == 200 and len(page["data"]) <= 4
        seen += page["data"]
        path = page["next"]
    assert len(seen) == page["total"] == VIDEOS
    assert len({row["video_id"] for row in seen}) == VIDEOS  # no row twice, none missed
    status, spec = get(server, "/api/v1/openapi.json", secret)
    assert (
        status == 200 and spec["openapi"].startswith("3.") and "/api/v1/rankings" in spec["paths"]
    )


def test_bad_tokens_roles_and_parameters_are_refused(server: DashboardServer) -> None:
    token_id, secret = token(server)
    _, viewer = token(server, "viewer")
    assert get(server, "/api/v1/rankings", None)[0] == 401
    assert get(server, "/api/v1/rankings", "tm_" + "A" * 43)[0] == 401  # forged
    assert get(server, "/api/v1/rankings", viewer)[0] == 403  # a viewer's token: no exports
    assert get(server, "/api/v1/rankings?limit=-1", secret)[0] == 400
    assert get(server, "/api/v1/nope", secret)[0] == 404
    # A token opens the API only: not a page, a callback, the stream or an export.
    for path in ("/rankings", "/_dash-layout", "/stream", "/export/rankings.json"):
        status, _, _ = call(server, "GET", path, {"Authorization": f"Bearer {secret}"})
        assert status in (302, 401), path
    apitokens.revoke(accounts_of(server), token_id)
    assert get(server, "/api/v1/rankings", secret)[0] == 401  # revoked
    # A signed-in analyst or admin may read it from the browser too.
    status, _, _ = call(server, "GET", "/api/v1/rankings", session_headers(SESSIONS[server.port]))
    assert status == 200
