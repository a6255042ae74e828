"""``/wall``: the kiosk display for a TV across the room (1920x1080, nothing to click).

Boards: top videos by velocity, top hashtags, sounds and creators by trend score, the latest
spikes. The page is rendered once with data; afterwards it changes only in place:

1. dash-extensions' ``SSE`` component on ``/stream`` receives the engine's change messages and
   heartbeats (its ``EventSource`` component reopens its connection whenever it re-renders
   under Dash 4, that is after every message, so it would miss events);
2. ``trendmon.onMessage`` (``assets/wall.js``) notes every message (for the freshness line
   and the stale notice) and hands changes, merged and at most a few per second, to the
   ``wall-change`` store;
3. :func:`refresh` re-reads only the boards that changed in the shown market and window and
   returns rows of the same shape, so React updates text in existing elements (no reload, no
   flicker);
4. ``trendmon.tick`` redraws the freshness line every second, shows the stale notice when no
   change came for ``stale_after_s`` or the stream went quiet, and then reopens the stream
   (``SSE`` gives up on an error; a new ``url`` makes it connect again).

URL parameters: ``market`` (``US``; default all markets), ``window`` (``1h``, ``24h``, ``7d``),
``boards`` (comma-separated, any of :data:`BOARDS`), ``rows`` (per board), ``rotate`` (seconds
between views, 0: off; between 5 s and :data:`MAX_ROTATE_S`) and ``cycle`` (``windows`` or
``markets``: what rotation cycles). A parameter that becomes a timer or a size is bounded: a
browser fires a timer of more than 2^31-1 ms at once, and again, and again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from dash_extensions import SSE

from trendmon.dashboard.access import WALL
from trendmon.dashboard.data import DashboardData
from trendmon.dashboard.gate import principal
from trendmon.dashboard.wallboards import (
    BOARDS,
    DEFAULT_BOARDS,
    PROPS,
    read_boards,
    skeleton,
    values,
)
from trendmon.engine.windows import HOUR_MS
from trendmon.errors import TrendmonError
from trendmon.settings import DashboardSettings

ACCESS: Final = WALL
"""Viewers and kiosks may read the wall (its callbacks, :mod:`trendmon.dashboard.access`)."""
MAX_ROTATE_S: Final = 86_400
"""Longest rotation period (a day), far below the browsers' timer limit of 2^31-1 ms."""
MIN_ROTATE_S: Final = 5
TITLES: Final = {
    "videos": "Top videos · plays per hour",
    "hashtags": "Hashtags",
    "sounds": "Sounds",
    "creators": "Creators",
    "spikes": "Latest spikes",
    "next": "Next up · chance of the top 20 in 6 h",
}


def kiosk_limits() -> tuple[str, list[str]]:
    """The market and boards the current kiosk is limited to (``""``, ``[]``: none)."""
    who = principal()
    if who is None or who.kiosk_id is None:
        return "", []
    return who.market, [b for b in who.boards.split(",") if b in BOARDS]


def config(
    data: DashboardData, settings: DashboardSettings, query: Mapping[str, str]
) -> dict[str, Any]:
    """The wall's configuration from its URL parameters (bad values fall back to defaults),
    within the limits of a kiosk link (its market and boards win over the URL's)."""
    pinned_market, pinned_boards = kiosk_limits()
    if pinned_market or pinned_boards:
        query = {**query}
        if pinned_market:
            query["market"], query["cycle"] = pinned_market, "windows"
        if pinned_boards:
            asked = [b for b in query.get("boards", "").split(",") if b in pinned_boards]
            query["boards"] = ",".join(asked or pinned_boards)
    markets = data.markets()
    market = query.get("market", "all")
    if market != "all" and not re.fullmatch(r"[A-Z]{2}|unknown", market):
        market = "all"
    windows = data.windows
    window = query.get("window", "24h" if "24h" in windows else windows[0])
    if window not in windows:
        window = windows[0]
    asked = [b.strip() for b in query.get("boards", "").split(",") if b.strip() in BOARDS]
    try:
        rotate = min(max(int(query.get("rotate", "0")), 0), MAX_ROTATE_S)
        rows = min(max(int(query.get("rows", "7")), 3), 15)
    except ValueError:
        rotate, rows = 0, 7
    cycle = query.get("cycle", "windows")
    return {
        "market": market,
        "window": window,
        "boards": list(dict.fromkeys(asked)) or list(DEFAULT_BOARDS),
        "rows": rows,
        "rotate_s": max(rotate, MIN_ROTATE_S) if rotate else 0,
        "cycle": cycle if cycle in ("windows", "markets") else "windows",
        "windows": windows,
        "markets": markets,
        "stale_after_s": settings.stale_after_s,
        "heartbeat_s": settings.heartbeat_s,
    }


def view_title(market: str, window: str) -> str:
    where = "All markets" if market == "all" else f"Market {market}"
    return f"{where} · last {window}"


# -- layout -------------------------------------------------------------------------------


def layout(data: DashboardData, settings: DashboardSettings, query: Mapping[str, str]) -> html.Div:
    cfg = config(data, settings, query)
    view = {"market": cfg["market"], "window": cfg["window"]}
    fresh = data.freshness()
    boards, memory = read_boards(data, view, set(cfg["boards"]), cfg["rows"], None)
    cfg["fresh"] = fresh
    sections = []
    for name in BOARDS:
        shown = name in cfg["boards"]
        sections.append(
            html.Section(
                [
                    html.H2(TITLES[name], className="board-title"),
                    html.Div(
                        skeleton(name, boards.get(name, []), cfg["rows"]),
                        id=f"wall-{name}",
                        className="board-rows",
                    ),
                ],
                id=f"board-{name}",
                className=f"board board-{name}",
                hidden=not shown,
            )
        )
    return html.Div(
        [
            SSE(id="wall-sse", url="/stream", concat=False),
            dcc.Store(id="wall-config", data=cfg),
            dcc.Store(id="wall-view", data=view),
            dcc.Store(id="wall-change", data=None),
            dcc.Store(id="wall-memory", data=memory),
            dcc.Interval(id="wall-tick", interval=1000),
            dcc.Interval(
                id="wall-rotate",
                interval=(cfg["rotate_s"] or 3600) * 1000,
                disabled=not cfg["rotate_s"],
            ),
            html.Header(
                [
                    html.Div(
                        [
                            html.Span("trendmon", className="w-brand"),
                            html.Span("LIVE", className="w-live", id="wall-live"),
                        ],
                        className="w-head-left",
                    ),
                    html.Div(view_title(view["market"], view["window"]), id="wall-title"),
                    html.Div("", id="wall-fresh", className="w-fresh"),
                ],
                className="w-head",
            ),
            html.Div("", id="wall-banner", className="w-banner", hidden=True, role="alert"),
            html.Div(
                sections,
                id="wall-grid",
                className=f"w-grid n{len(cfg['boards'])}"
                + (" with-videos" if "videos" in cfg["boards"] else ""),
            ),
        ],
        id="wall",
        className="wall",
    )


def register(app: Dash, data: DashboardData, settings: DashboardSettings) -> None:
    """The wall's callbacks on ``app``."""
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="trendmon", function_name="onMessage"),
        Output("wall-live", "className"),
        Input("wall-sse", "value"),
        State("wall-config", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="trendmon", function_name="tick"),
        Output("wall-fresh", "children"),
        Output("wall-banner", "children"),
        Output("wall-banner", "hidden"),
        Output("wall", "className"),
        Output("wall-sse", "url"),
        Input("wall-tick", "n_intervals"),
        State("wall-config", "data"),
    )
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="trendmon", function_name="rotate"),
        Output("wall-view", "data"),
        Input("wall-rotate", "n_intervals"),
        State("wall-view", "data"),
        State("wall-config", "data"),
        prevent_initial_call=True,
    )

    outputs = [
        Output({"w": name, "f": field, "i": ALL}, prop) for name in BOARDS for field, prop in PROPS
    ]

    @app.callback(
        *outputs,
        Output("wall-memory", "data"),
        Output("wall-title", "children"),
        Input("wall-change", "data"),
        Input("wall-view", "data"),
        State("wall-config", "data"),
        State("wall-memory", "data"),
        prevent_initial_call=True,
    )
    def refresh(
        change: dict[str, Any] | None,
        view: dict[str, str],
        cfg: dict[str, Any],
        memory: dict[str, Any] | None,
    ) -> tuple[Any, ...]:
        shown = set(cfg["boards"])
        # The client holds cfg and view: a kiosk's limits are checked again here.
        pinned_market, pinned_boards = kiosk_limits()
        if pinned_market and view.get("market") != pinned_market:
            view = {**view, "market": pinned_market}
        if pinned_boards:
            shown &= set(pinned_boards)
        # The hour of event time the Next up board was last read for (forecasts are made once
        # an hour: it is read again when the hour turns).
        hour = (memory or {}).get("hour")
        if ctx.triggered_id == "wall-change":
            if not change:
                raise PreventUpdate
            which = data.changed_boards(change, view["market"], view["window"]) & shown
            now = int(change.get("at_ms") or 0) // HOUR_MS
            if "next" in shown and (change.get("all") or now != hour):
                which.add("next")
                hour = now
        else:
            which = shown
        if not which:
            raise PreventUpdate
        n = cfg["rows"]
        try:
            boards, memory = read_boards(data, view, which, n, memory)
            if hour is not None:
                memory = {**(memory or {}), "hour": hour}
        except TrendmonError:
            # Keep what is on screen; no new message will arrive, so the stale notice shows.
            raise PreventUpdate from None
        unchanged = [[no_update] * n for _ in PROPS]
        cells = [
            cell
            for name in BOARDS
            for cell in (values(boards[name], n) if name in boards else unchanged)
        ]
        title = (
            view_title(view["market"], view["window"])
            if ctx.triggered_id == "wall-view"
            else no_update
        )
        return (*cells, memory if which & {"videos", "next"} else no_update, title)
