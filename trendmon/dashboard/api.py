"""The read-only JSON API, ``/api/v1/``: every explorer table, paginated, for integrations.

``GET /api/v1/TABLE?PARAMS&limit=100&offset=0`` answers the rows of a table of
:data:`~trendmon.dashboard.tables.TABLES` (``rankings``, ``trends``, ``spikes``,
``entity_videos``, ``entity_history``, ``video_history``, ``health_*``) given the same parameters
as its page and its export, as ``{"data": [...], "columns": [...], "offset", "limit", "total",
"next"}`` (``next``: the path of the following page, or null). ``GET /api/v1/`` lists the
tables; ``GET /api/v1/openapi.json`` describes it all (OpenAPI 3.1).

It needs an API token (``Authorization: Bearer tm_...``, ``trendmon tokens create``) or a
session, with the role ``analyst`` (the same data as the exports); the gate checks it. The path
carries the version: a change that breaks a client gets ``/api/v2/``.
"""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import urlencode

from dash import Dash
from flask import request
from werkzeug.wrappers import Response

from trendmon.dashboard.components import unavailable
from trendmon.dashboard.data import DashboardData, UnknownEntityError
from trendmon.dashboard.export import clean
from trendmon.dashboard.tables import TABLES
from trendmon.errors import RetryableError, TrendmonError

PREFIX: Final = "/api/v1"
MAX_LIMIT: Final = 1000
DEFAULT_LIMIT: Final = 100


def _json(body: Any, status: int = 200, **headers: str) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json",
        headers={"Cache-Control": "no-store", **headers},
    )  # fmt: skip


def _error(status: int, message: str, **headers: str) -> Response:
    return _json({"error": message}, status, **headers)


def _bounded(name: str, default: int, top: int) -> int:
    raw = request.args.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise ValueError(f"{name} must be a whole number from 0 to {top}")
    return min(int(raw), top)


def openapi() -> dict[str, Any]:
    """The API's OpenAPI 3.1 description."""
    page = {"type": "object", "properties": {
        "data": {"type": "array", "items": {"type": "object"}},
        "columns": {"type": "array", "items": {"type": "string"}},
        "offset": {"type": "integer"}, "limit": {"type": "integer"},
        "total": {"type": "integer"}, "next": {"type": ["string", "null"]},
    }}  # fmt: skip
    params = [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": MAX_LIMIT}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    ]
    paths = {
        f"{PREFIX}/{name}": {"get": {
            "summary": f"The {name.replace('_', ' ')} table (the parameters of its page apply)",
            "parameters": params,
            "responses": {"200": {"description": "a page of rows",
                                  "content": {"application/json": {"schema": page}}},
                          "401": {"description": "no or bad token"},
                          "403": {"description": "the token's role is not enough"}},
        }}
        for name in TABLES
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": "trendmon", "version": "1"},
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
        "paths": paths,
    }


def install(app: Dash, data: DashboardData) -> None:
    """Add ``/api/v1/``, ``/api/v1/openapi.json`` and ``/api/v1/TABLE``."""

    def index() -> Response:
        return _json({"tables": sorted(TABLES), "openapi": f"{PREFIX}/openapi.json"})

    def description() -> Response:
        return _json(openapi())

    def table(name: str) -> Response:
        build = TABLES.get(name)
        if build is None:
            return _error(404, f"no table {name[:60]!r}; GET {PREFIX}/ lists them")
        try:
            limit = _bounded("limit", DEFAULT_LIMIT, MAX_LIMIT)
            offset = _bounded("offset", 0, 10**9)
        except ValueError as exc:
            return _error(400, str(exc))
        try:
            tbl = build(data, request.args)
        except UnknownEntityError as exc:
            return _error(404, str(exc))
        except RetryableError as exc:
            return _error(503, f"{unavailable(exc)}; try again", **{"Retry-After": "5"})
        except TrendmonError as exc:
            return _error(503, str(exc))
        rows = tbl.rows[offset : offset + limit]
        query = {k: v for k, v in request.args.items() if k not in ("limit", "offset")}
        after = offset + len(rows)
        more = after < len(tbl.rows)
        return _json({
            "data": [{k: clean(row.get(k)) for k in tbl.keys} for row in rows],
            "columns": tbl.keys, "offset": offset, "limit": limit, "total": len(tbl.rows),
            "next": f"{PREFIX}/{name}?{urlencode({**query, 'limit': limit, 'offset': after})}"
            if more else None,
        })  # fmt: skip

    server = app.server
    server.add_url_rule(f"{PREFIX}/", "trendmon_api_index", index)
    server.add_url_rule(f"{PREFIX}/openapi.json", "trendmon_api_openapi", description)
    server.add_url_rule(f"{PREFIX}/<name>", "trendmon_api", table)
