"""``/hashtags``, ``/sounds``, ``/creators``, ``/effects``: an entity kind's trend table.

Score, growth, lifecycle stage, rank change and new entries per market and window; each name
links to its detail page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from dash import Dash, Input, Output, State, html

from trendmon.dashboard import components as ui
from trendmon.dashboard import tables
from trendmon.dashboard.access import VIEWER
from trendmon.dashboard.data import KINDS, DashboardData
from trendmon.settings import DashboardSettings

ACCESS = VIEWER
"""Every account may read this page and call its callbacks."""

PLURALS: Final = {f"{kind}s": kind for kind in KINDS}
KIND_NAMES: Final = frozenset(KINDS)


def layout(
    data: DashboardData, settings: DashboardSettings, query: Mapping[str, str], kind: str
) -> Any:
    tbl = tables.trends(data, {**query, "kind": kind})
    p = tbl.params
    return html.Div(
        [
            html.H1(f"{kind.capitalize()}s by trend score"),
            html.Div(
                [
                    ui.field("Market", ui.choice("tr-market", data.markets(), p["market"])),
                    ui.field("Window", ui.choice("tr-window", data.windows, p["window"])),
                    html.Div(kind, id="tr-kind", hidden=True),
                ],
                className="filters",
            ),
            html.Div(ui.table(tbl), id="tr-table"),
        ]
    )


def register(app: Dash, data: DashboardData, settings: DashboardSettings) -> None:
    @app.callback(
        Output("tr-table", "children"),
        Input("tr-market", "value"),
        Input("tr-window", "value"),
        State("tr-kind", "children"),
        prevent_initial_call=True,
    )
    def refilter(market: str, window: str, kind: str) -> Any:
        params = {"market": market, "window": window, "kind": kind}
        return ui.guarded(lambda: ui.table(tables.trends(data, params)))
