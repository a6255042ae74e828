"""Client mistakes on Dash's own routes: answered 400 or 404, never 500.

Dash reads a callback request (``POST /_dash-update-component``) as it comes: a body that is not
an object, an unknown output, ``inputs`` that is not a list or JSON nested past the parser's
depth raise ``KeyError``, ``TypeError`` or ``RecursionError`` inside it, and an unknown
``/_dash-component-suites/...`` path raises its ``DependencyException``; Flask answers each with
a 500 and a traceback in the log. :func:`install` checks a callback request's shape against the
app's callback map before Dash reads it (400 with the reason) and answers Dash's
``DependencyException`` with a 404. Each refusal is one line in the log, at WARNING.

What the shape check does not cover, values of the right shape that a callback cannot use, is
the callback's to handle: a failure there is a bug, and stays a 500 with its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from dash import Dash
from dash.exceptions import DependencyException
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("trendmon.dashboard")

CALLBACK_PATH: Final = "/_dash-update-component"


class BadCallback(ValueError):
    """A callback request whose shape Dash cannot read; the message says what is wrong."""


def _dependency(value: Any, where: str) -> None:
    """One ``{"id", "property"}`` (a pattern-matching one is a list of them)."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict) or "id" not in item or not isinstance(
            item.get("property"), str
        ):
            raise BadCallback(f"{where}: each entry is an object with an id and a property")
        if not isinstance(item["id"], str | dict):
            raise BadCallback(f"{where}: an id is a string or an object")


def check_callback(body: Any, callbacks: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise :class:`BadCallback` unless ``body`` is a callback request Dash can read for one
    of ``callbacks`` (the app's ``callback_map``)."""
    if not isinstance(body, dict):
        raise BadCallback("the body is not a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in callbacks:
        raise BadCallback("no callback has this output")
    callback = callbacks[output]
    for name in ("inputs", "state"):
        given = body.get(name, [])
        if not isinstance(given, list):
            raise BadCallback(f"{name} is not a list")
        expected = len(callback.get(name) or ())
        if len(given) != expected:
            raise BadCallback(f"{name} has {len(given)} entries; the callback takes {expected}")
        for entry in given:
            _dependency(entry, name)
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadCallback("changedPropIds is not a list of strings")
    if callback.get("no_output"):
        return
    outputs = body.get("outputs")
    if output.startswith(".."):
        count = len(output[2:-2].split("..."))
        if not isinstance(outputs, list) or len(outputs) != count:
            raise BadCallback(f"outputs is not a list of the callback's {count} outputs")
        for entry in outputs:
            _dependency(entry, "outputs")
    elif outputs is not None:
        _dependency(outputs, "outputs")


def _refuse(status: int, reason: str) -> Response:
    log.warning(
        "%s %s %s from %s: %s",
        status,
        request.method,
        request.path[:200],
        request.remote_addr,
        reason[:200],
    )
    return Response(f"{reason}\n", status=status, mimetype="text/plain")


def install(app: Dash) -> None:
    """Check callback requests before Dash reads them; answer unknown component suites 404."""
    server: Flask = app.server
    callback_path = app.config.routes_pathname_prefix.rstrip("/") + CALLBACK_PATH

    def check() -> Response | None:
        if request.method != "POST" or request.path != callback_path:
            return None
        try:
            body = request.get_json()  # cached: Dash reads the same parsed body
        except HTTPException as exc:  # not JSON, or broken JSON
            return _refuse(exc.code or 400, f"not a JSON body ({exc.name})")
        except RecursionError:
            return _refuse(400, "JSON nested too deeply")
        try:
            check_callback(body, app.callback_map)
        except BadCallback as exc:
            return _refuse(400, f"not a callback request: {exc}")
        return None

    def unknown_suite(exc: DependencyException) -> Response:
        return _refuse(404, "no such component file")

    server.before_request(check)
    server.register_error_handler(DependencyException, unknown_suite)
