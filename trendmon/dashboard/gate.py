"""The one gate every request passes: who is asking, and may they (closed by default).

:func:`install` adds a ``before_request`` hook to the Flask server, ahead of every route:

1. an endpoint in :data:`~.access.OPEN` (login page, sign-in and kiosk links, health) passes;
2. otherwise the session cookie (an account), the kiosk cookie, or under ``/api/`` an API
   token (``Authorization: Bearer``) is resolved against the account store; without one, a page
   is redirected to ``/login?next=…`` and anything else is answered 401;
3. a state-changing method (anything but GET, HEAD, OPTIONS) must carry the session's CSRF token
   in ``X-CSRFToken`` (Dash's renderer sends it from the ``_csrf_token`` cookie) or in the
   form's ``csrf_token`` field: 403 otherwise;
4. the route's access (:func:`~.access.route_access`), then a page's by its path, a callback's
   by its output (whatever ``pathname`` the client sends: the page router checks the page again
   inside the callback): 403 when the role is not enough.

Refusals say only "sign in" or "not allowed", and are logged at WARNING. After every request
:func:`secure_headers` adds the Content-Security-Policy and the other security headers.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Final
from urllib.parse import quote

from dash import Dash
from flask import Flask, g, has_request_context, redirect, request
from werkzeug.wrappers import Response

from trendmon.accounts import apitokens, kiosks, sessions
from trendmon.accounts.roles import Role
from trendmon.accounts.sessions import Principal
from trendmon.accounts.store import AccountStore
from trendmon.accounts.tokens import same
from trendmon.dashboard import access
from trendmon.settings import DashboardSettings

log = logging.getLogger("trendmon.dashboard")

SESSION_COOKIE: Final = "trendmon_session"
KIOSK_COOKIE: Final = "trendmon_kiosk"
CSRF_COOKIE: Final = "_csrf_token"
"""The cookie Dash's renderer reads and sends back as ``X-CSRFToken``."""
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX: Final = "/api/"


def _now_ms() -> int:
    return int(time.time() * 1000)


def kiosk_csrf(cookie: str) -> str:
    """A kiosk's CSRF token, derived from its cookie (a kiosk has no session record)."""
    return hashlib.sha256(b"trendmon kiosk csrf\0" + cookie.encode()).hexdigest()


def resolve(store: AccountStore, settings: DashboardSettings) -> Principal | None:
    """Who the current request comes from, by its cookies, or for the API by its bearer token
    (None: nobody signed in)."""
    now = _now_ms()
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and request.path.startswith(API_PREFIX):
        api = apitokens.resolve(store, secret.strip(), now)
        # A token never opens a page, and its request needs no CSRF token: no cookie is used.
        return None if api is None else Principal(f"token {api.name}", Role[api.role], "")
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        who = sessions.resolve(store, token, now, settings.session_idle_s, settings.session_max_s)
        if who is not None:
            return who
    cookie = request.cookies.get(KIOSK_COOKIE, "")
    if cookie:
        kiosk = kiosks.resolve(store, cookie, now)
        if kiosk is not None:
            return Principal(
                f"kiosk {kiosk.name}", None, kiosk_csrf(cookie), kiosk.id, kiosk.market,
                kiosk.boards,
            )
    return None


def still_signed_in(store: AccountStore, settings: DashboardSettings) -> Callable[[], bool]:
    """A check of the current request's session or kiosk that works after the request (the
    push stream calls it every few seconds, so a revoked kiosk or a logout ends the stream)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    cookie = request.cookies.get(KIOSK_COOKIE, "")
    kiosk_id = getattr(g, "principal", None) and g.principal.kiosk_id

    def check() -> bool:
        now = _now_ms()
        if kiosk_id is not None:
            return kiosks.resolve(store, cookie, now) is not None
        idle, most = settings.session_idle_s, settings.session_max_s
        return sessions.resolve(store, token, now, idle, most) is not None

    return check


def _refuse(status: int, reason: str) -> Response:
    log.warning(
        "%s %s %s from %s: %s", status, request.method, request.path[:200], request.remote_addr,
        reason,
    )  # fmt: skip
    text = {401: "Sign in first.", 403: "Not allowed."}.get(status, "Refused.")
    response = Response(text + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def _wants_page() -> bool:
    return request.method == "GET" and request.endpoint in ("/", "/<path:path>")


def install(app: Dash, store: AccountStore, settings: DashboardSettings) -> None:
    """Put the gate in front of every route of ``app`` and the headers behind them."""
    server: Flask = app.server
    callback_path = app.config.routes_pathname_prefix.rstrip("/") + "/_dash-update-component"

    def gate() -> Response | None:
        g.principal = None
        if request.endpoint in access.OPEN:
            return None
        who = resolve(store, settings)
        if who is None:
            if _wants_page():
                return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/')}")
            return _refuse(401, "no session")
        g.principal = who
        if request.method not in SAFE_METHODS:
            sent = request.headers.get("X-CSRFToken") or (
                request.form.get("csrf_token", "")
                if request.mimetype.startswith(
                    ("application/x-www-form-urlencoded", "multipart/form-data")
                )
                else ""
            )
            if not sent or not same(sent, who.csrf):
                return _refuse(403, f"no or wrong CSRF token ({who.name})")
        needed = access.route_access(request.endpoint)
        if request.endpoint is None:  # no such route: 404 after the gate, for signed-in users
            needed = access.VIEWER
        if needed.permits(who) and _wants_page():
            needed = access.page_access(request.path)
        if needed.permits(who) and request.path == callback_path and request.method == "POST":
            try:
                body = request.get_json(silent=True)
            except RecursionError:
                body = None  # malformed: the guard answers 400, Dash never runs it
            output = body.get("output") if isinstance(body, dict) else None
            needed = access.callback_access(app, output) if output is not None else needed
        if not needed.permits(who):
            return _refuse(403, f"{who.name} may not ({needed})")
        return None

    server.before_request_funcs.setdefault(None, []).insert(0, gate)
    server.after_request(secure_headers(app, settings))


def principal() -> Principal | None:
    """The principal the gate found for the current request (None outside a request)."""
    if not has_request_context():
        return None
    return getattr(g, "principal", None)


def role_of(who: Principal | None) -> Role | None:
    return None if who is None else who.role


def secure_headers(app: Dash, settings: DashboardSettings) -> Callable[[Response], Response]:
    """The after-request hook that sets the security headers of every response."""
    hashes: list[str] = []

    def headers(response: Response) -> Response:
        if not hashes:  # after every callback is registered: the inline scripts are known
            hashes.extend(app.csp_hashes())
        h = response.headers
        h.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' {' '.join(hashes)}; "
            # Plotly and Dash's components add <style> elements and style attributes.
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'",
        )
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "no-referrer")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if settings.https:
            h.setdefault("Strict-Transport-Security", "max-age=31536000")
        if principal() is not None:
            h.setdefault("Cache-Control", "no-store")
        return response

    return headers


def set_cookie(response: Response, name: str, value: str, max_age: float, *, http_only: bool = True,
               https: bool = False) -> None:  # fmt: skip
    """A cookie as every trendmon cookie is set: SameSite=Lax, path /, Secure behind https."""
    response.set_cookie(
        name, value, max_age=int(max_age), path="/", httponly=http_only, samesite="Lax",
        secure=https or request.is_secure,
    )  # fmt: skip


def clear_cookies(response: Response) -> None:
    for name in (SESSION_COOKIE, KIOSK_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", samesite="Lax")
