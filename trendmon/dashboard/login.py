"""Signing in and out: the login page, one-time sign-in links, kiosk links, the health check.

The login page is plain HTML from Flask (no Dash, no data, no script). Its form is protected
against cross-site posts by a double-submit token: a random ``trendmon_login`` cookie
(``SameSite=Lax``, ``HttpOnly``) that the form's hidden field must repeat. Every failure gets
the same page and message, whether the name is unknown, the password wrong, the account
disabled or the attempts throttled (:mod:`.throttle`); only the status differs (401, or 429
while throttled). A successful sign-in starts a new session (new id, new CSRF token) and ends
the one the browser had.
"""

from __future__ import annotations

import re
import time
from html import escape
from typing import Final

from dash import Dash
from flask import Flask, redirect, request
from werkzeug.wrappers import Response

from trendmon.accounts import audit, kiosks, sessions, users
from trendmon.accounts.store import AccountStore, User
from trendmon.accounts.tokens import new_token, same
from trendmon.dashboard import gate
from trendmon.dashboard.throttle import PER_ACCOUNT, PER_ADDRESS, Throttle
from trendmon.errors import AuthenticationError, UnknownAccountError
from trendmon.settings import DashboardSettings

LOGIN_COOKIE: Final = "trendmon_login"
GENERIC: Final = "Wrong account name or password, or too many attempts. Try again in a while."
MAX_FORM_BYTES: Final = 4096

CSS: Final = """
body { font-family: system-ui, sans-serif; background: #10131a; color: #e8ecf3; margin: 0; }
main { max-width: 22rem; margin: 12vh auto; padding: 2rem; background: #1a1f2b;
       border-radius: 8px; }
h1 { font-size: 1.4rem; margin: 0 0 1.2rem; }
label { display: block; margin: 0.8rem 0 0.3rem; }
input { width: 100%; box-sizing: border-box; padding: 0.5rem; font-size: 1rem; }
button { margin-top: 1.2rem; padding: 0.5rem 1.2rem; font-size: 1rem; }
.error { color: #ff8a80; margin: 0 0 1rem; }
"""


def _safe_next(target: str | None) -> str:
    """A local path to return to after sign-in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:500]


def page(token: str, next_: str, error: str = "") -> str:
    problem = f'<p class="error" id="login-error" role="alert">{escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · trendmon</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/login.css"></head>
<body><main><h1>trendmon</h1>{problem}
<form method="post" action="/login" id="login-form">
<input type="hidden" name="csrf_token" value="{escape(token)}">
<input type="hidden" name="next" value="{escape(next_)}">
<label for="name">Account</label>
<input id="name" name="name" autocomplete="username" required maxlength="64" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required
 maxlength="512">
<button type="submit" id="login-submit">Sign in</button>
</form></main></body></html>
"""


def _login_page(status: int = 200, error: str = "", next_: str = "/") -> Response:
    # Keep the browser's token: a second tab, or a favicon request redirected here, must not
    # invalidate the form already shown.
    token = request.cookies.get(LOGIN_COOKIE, "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{43}", token):
        token = new_token()
    response = Response(page(token, next_, error), status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    gate.set_cookie(response, LOGIN_COOKIE, token, 3600)
    return response


def start_session(
    store: AccountStore, user: User, settings: DashboardSettings, to: str
) -> Response:
    """Redirect to ``to`` with a new session of ``user``; the browser's old session ends."""
    sessions.end(store, request.cookies.get(gate.SESSION_COOKIE, ""))
    token, csrf = sessions.start(store, user, int(time.time() * 1000))
    response = redirect(to, 303)
    gate.set_cookie(response, gate.SESSION_COOKIE, token, settings.session_max_s,
                    https=settings.https)  # fmt: skip
    gate.set_cookie(response, gate.CSRF_COOKIE, csrf, settings.session_max_s, http_only=False,
                    https=settings.https)  # fmt: skip
    response.delete_cookie(LOGIN_COOKIE, path="/")
    response.delete_cookie(gate.KIOSK_COOKIE, path="/")
    return response


def install(app: Dash, store: AccountStore, settings: DashboardSettings) -> None:
    """The open routes: ``/login``, ``/login.css``, ``/signin/TOKEN``, ``/kiosk/TOKEN``,
    ``/healthz``; and ``/logout``, for anyone signed in."""
    server: Flask = app.server
    per_account, per_address = Throttle(PER_ACCOUNT), Throttle(PER_ADDRESS)
    server.extensions["trendmon_throttles"] = (per_account, per_address)

    def login() -> Response:
        if request.method == "GET":
            return _login_page(next_=_safe_next(request.args.get("next")))
        if (request.content_length or 0) > MAX_FORM_BYTES:
            return Response("Too large.\n", status=413, mimetype="text/plain")
        form = request.form
        next_ = _safe_next(form.get("next"))
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not same(form.get("csrf_token", ""), expected):
            gate.log.warning("403 login form without its token from %s", request.remote_addr)
            return _login_page(403, "The form expired. Please sign in again.", next_)
        name = form.get("name", "").strip().lower()[:64]
        address = f"ip:{request.remote_addr}"
        if per_account.blocked(f"user:{name}") or per_address.blocked(address):
            gate.log.warning("429 login throttled for %r from %s", name, request.remote_addr)
            audit.record(store, name, "login-throttled", name, request.remote_addr or "")
            return _login_page(429, GENERIC, next_)
        try:
            user = users.authenticate(store, name, form.get("password", ""))
        except (AuthenticationError, UnknownAccountError):
            per_account.fail(f"user:{name}")
            per_address.fail(address)
            gate.log.warning("401 failed login for %r from %s", name, request.remote_addr)
            audit.record(store, name, "login-failed", name, request.remote_addr or "")
            return _login_page(401, GENERIC, next_)
        per_account.clear(f"user:{name}")
        gate.log.info("login of %s from %s", user.name, request.remote_addr)
        audit.record(store, user.name, "login", user.name, request.remote_addr or "")
        return start_session(store, user, settings, next_)

    def login_css() -> Response:
        return Response(CSS, mimetype="text/css", headers={"Cache-Control": "max-age=3600"})

    def logout() -> Response:
        who = gate.principal()
        if who is not None:
            audit.record(store, who.name, "logout", who.name, request.remote_addr or "")
        sessions.end(store, request.cookies.get(gate.SESSION_COOKIE, ""))
        response = redirect("/login", 303)
        gate.clear_cookies(response)
        return response

    def signin(token: str) -> Response:
        try:
            user = sessions.redeem_signin(store, token, int(time.time() * 1000))
        except AuthenticationError:
            gate.log.warning("403 unusable sign-in link from %s", request.remote_addr)
            audit.record(store, "", "login-link-refused", "", request.remote_addr or "")
            return _login_page(403, "This sign-in link does not work (any more). Sign in below.")
        audit.record(store, user.name, "login-link", user.name, request.remote_addr or "")
        return start_session(store, user, settings, "/")

    def kiosk(token: str) -> Response:
        try:
            cookie = kiosks.exchange(store, token, int(time.time() * 1000))
        except AuthenticationError:
            gate.log.warning("403 unusable kiosk link from %s", request.remote_addr)
            audit.record(store, "", "kiosk-link-refused", "", request.remote_addr or "")
            return Response("This link does not open anything. Ask for a new one.\n",
                            status=403, mimetype="text/plain")  # fmt: skip
        kiosk = kiosks.resolve(store, cookie, int(time.time() * 1000))
        if kiosk is not None:
            where = request.remote_addr or ""
            audit.record(store, f"kiosk {kiosk.name}", "kiosk-opened", kiosk.id, where)
        ttl = max((kiosk.expires_ms - time.time() * 1000) / 1000, 0) if kiosk else 0
        response = redirect("/wall", 303)
        gate.set_cookie(response, gate.KIOSK_COOKIE, cookie, ttl, https=settings.https)
        gate.set_cookie(response, gate.CSRF_COOKIE, gate.kiosk_csrf(cookie), ttl,
                        http_only=False, https=settings.https)  # fmt: skip
        response.delete_cookie(gate.SESSION_COOKIE, path="/")
        return response

    def health() -> Response:
        return Response("ok\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})

    server.add_url_rule("/login", "trendmon_login", login, methods=["GET", "POST"])
    server.add_url_rule("/login.css", "trendmon_login_css", login_css)
    server.add_url_rule("/logout", "trendmon_logout", logout, methods=["POST"])
    server.add_url_rule("/signin/<token>", "trendmon_signin", signin)
    server.add_url_rule("/kiosk/<token>", "trendmon_kiosk", kiosk)
    server.add_url_rule("/healthz", "trendmon_health", health)
