"""``/rankings``: videos by plays, likes, comments, shares, engagement rate or velocity.

Filters: market, window, hashtag, sound (id or part of its title), verified creators only,
minimum followers. They start from the URL's query (``?metric=likes&hashtag=dance``) and change
the table in place; the export links always carry the filters on screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import Dash, Input, Output, dcc, html

from trendmon.dashboard import components as ui
from trendmon.dashboard import tables
from trendmon.dashboard.access import VIEWER
from trendmon.dashboard.data import METRICS, DashboardData
from trendmon.settings import DashboardSettings

ACCESS = VIEWER
"""Every account may read this page and call its callbacks."""

FILTERS = ("market", "window", "metric", "hashtag", "sound", "verified", "min_followers")


def layout(data: DashboardData, settings: DashboardSettings, query: Mapping[str, str]) -> Any:
    tbl = tables.rankings(data, query)
    p = tbl.params
    return html.Div(
        [
            html.H1("Video rankings"),
            html.Div(
                [
                    ui.field(
                        "Rank by",
                        ui.choice(
                            "rk-metric",
                            [(m, tables.METRIC_LABELS[m]) for m in METRICS],
                            p["metric"],
                        ),
                    ),
                    ui.field("Market", ui.choice("rk-market", data.markets(), p["market"])),
                    ui.field("Window", ui.choice("rk-window", data.windows, p["window"])),
                    ui.field(
                        "Hashtag",
                        dcc.Input(
                            id="rk-hashtag", value=p["hashtag"], debounce=True, placeholder="dance"
                        ),
                    ),
                    ui.field(
                        "Sound",
                        dcc.Input(
                            id="rk-sound",
                            value=p["sound"],
                            debounce=True,
                            placeholder="id or title",
                        ),
                    ),
                    ui.field(
                        "Minimum followers",
                        dcc.Input(
                            id="rk-min-followers",
                            value=p["min_followers"],
                            debounce=True,
                            placeholder="10000",
                            inputMode="numeric",
                        ),
                    ),
                    dcc.Checklist(
                        id="rk-verified",
                        options=[{"label": " verified creators only", "value": "1"}],
                        value=["1"] if p["verified"] else [],
                        className="field",
                    ),
                ],
                className="filters",
            ),
            html.Div(ui.table(tbl), id="rk-table"),
        ]
    )


def register(app: Dash, data: DashboardData, settings: DashboardSettings) -> None:
    @app.callback(
        Output("rk-table", "children"),
        Input("rk-metric", "value"),
        Input("rk-market", "value"),
        Input("rk-window", "value"),
        Input("rk-hashtag", "value"),
        Input("rk-sound", "value"),
        Input("rk-verified", "value"),
        Input("rk-min-followers", "value"),
        prevent_initial_call=True,
    )
    def refilter(
        metric: str,
        market: str,
        window: str,
        hashtag: str | None,
        sound: str | None,
        verified: list[str] | None,
        min_followers: str | None,
    ) -> Any:
        params = {
            "metric": metric,
            "market": market,
            "window": window,
            "hashtag": hashtag or "",
            "sound": sound or "",
            "verified": "1" if verified else "",
            "min_followers": str(min_followers or ""),
        }
        return ui.guarded(lambda: ui.table(tables.rankings(data, params)))
