"""Who may read what: the access every route, page and callback needs (closed by default).

An :class:`Access` is a least role and whether a kiosk (a wall display opened by a kiosk link)
may use it too. Whatever is not declared here needs ``admin``:

- a page (first path segment) not in :data:`PAGES`, so a page added later is admin-only until
  it says otherwise;
- a callback whose page module has no ``ACCESS`` (:func:`declare` records each module's);
- a Flask route not in :data:`ROUTES`.

Open to anyone, without a session: :data:`OPEN` (the login page and its style sheet, sign-in and
kiosk links, which check their own token, and the health check).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from dash import Dash

from trendmon.accounts.roles import Role, allows
from trendmon.accounts.sessions import Principal


@dataclass(frozen=True)
class Access:
    """The least role needed, and whether a kiosk may use it."""

    role: Role
    kiosk: bool = False

    def permits(self, who: Principal) -> bool:
        if who.kiosk_id is not None:
            return self.kiosk
        return allows(who.role, self.role)


ADMIN: Final = Access(Role.admin)
VIEWER: Final = Access(Role.viewer)
ANALYST: Final = Access(Role.analyst)
WALL: Final = Access(Role.viewer, kiosk=True)

OPEN: Final = frozenset({"trendmon_login", "trendmon_login_css", "trendmon_signin",
                         "trendmon_kiosk", "trendmon_health"})  # fmt: skip
"""Flask endpoints that need no session."""

ROUTES: Final[Mapping[str, Access]] = {
    # Dash's shell, its scripts and the app's assets carry no data: a kiosk needs them for /wall.
    "/_dash-layout": WALL,
    "/_dash-dependencies": WALL,
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": WALL,
    "_dash_assets.static": WALL,
    "/_favicon.ico": WALL,
    "/_reload-hash": WALL,
    # Each callback is checked by its output (callback_access), a page by its path (page_access).
    "/_dash-update-component": WALL,
    "/": WALL,
    "/<path:path>": WALL,
    "trendmon_stream": WALL,
    "trendmon_logout": WALL,
    "trendmon_export": ANALYST,
    "trendmon_api_index": VIEWER,
    "trendmon_api_openapi": VIEWER,
    "trendmon_api": ANALYST,
}
"""Flask endpoints and what they need (before the page or callback check)."""

PAGES: Final[Mapping[str, Access]] = {
    "": VIEWER,
    "wall": WALL,
    **{name: VIEWER for name in ("rankings", "spikes", "health", "next", "hashtags", "sounds",
                                 "creators", "effects", "video", "hashtag", "sound", "creator",
                                 "effect", "account")},
}  # fmt: skip
"""Pages by their first path segment."""


def route_access(endpoint: str | None) -> Access:
    return ROUTES.get(endpoint or "", ADMIN)


def page_access(path: str) -> Access:
    """What the page at ``path`` needs (admin for a page nobody declared)."""
    head = path.strip("/").split("/", 1)[0]
    return PAGES.get(head, ADMIN)


def declare(app: Dash, outputs: Iterable[str], access: Access) -> None:
    """Record that the callbacks of ``outputs`` (keys of ``app.callback_map``) need ``access``."""
    table: dict[str, Access] = app.server.extensions.setdefault("trendmon_access", {})
    for output in outputs:
        table[output] = access


def callback_access(app: Dash, output: Any) -> Access:
    """What the callback of ``output`` needs (admin for one nobody declared)."""
    table: Mapping[str, Access] = app.server.extensions.get("trendmon_access", {})
    return table.get(output, ADMIN) if isinstance(output, str) else ADMIN
