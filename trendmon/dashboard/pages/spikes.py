"""``/spikes``: the live feed (updated when the change channel reports new spikes) and the
spike history, both filterable by kind, market and severity; the history also by time span."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dash import Dash, Input, Output, State, html
from dash.exceptions import PreventUpdate
from dash_extensions import SSE

from trendmon.dashboard import components as ui
from trendmon.dashboard import tables
from trendmon.dashboard.access import VIEWER
from trendmon.dashboard.data import KINDS, SEVERITIES, DashboardData
from trendmon.settings import DashboardSettings

ACCESS = VIEWER
"""Every account may read this page and call its callbacks."""


def layout(data: DashboardData, settings: DashboardSettings, query: Mapping[str, str]) -> Any:
    live = tables.spikes(data, {**query, "source": "live", "n": "25"})
    past = tables.spikes(data, {**query, "source": "history"})
    p = past.params
    return html.Div(
        [
            SSE(id="sp-sse", url="/stream", concat=False),
            html.H1("Spikes"),
            html.Div(
                [
                    ui.field("Kind", ui.choice("sp-kind", ["any", *KINDS], p["kind"])),
                    ui.field("Market", ui.choice("sp-market", data.markets(), p["market"])),
                    ui.field(
                        "Severity", ui.choice("sp-severity", ["any", *SEVERITIES], p["severity"])
                    ),
                    ui.field(
                        "History span", ui.choice("sp-span", list(tables.SPANS_MS), p["span"])
                    ),
                ],
                className="filters",
            ),
            html.H2("Live feed"),
            html.Div(ui.table(live, table_id="table-spikes-live"), id="sp-live"),
            html.H2("History"),
            html.Div(ui.table(past, table_id="table-spikes-history"), id="sp-history"),
        ]
    )


def _params(kind: str, market: str, severity: str, span: str) -> dict[str, str]:
    return {"kind": kind, "market": market, "severity": severity, "span": span}


def register(app: Dash, data: DashboardData, settings: DashboardSettings) -> None:
    @app.callback(
        Output("sp-live", "children"),
        Input("sp-sse", "value"),
        Input("sp-kind", "value"),
        Input("sp-market", "value"),
        Input("sp-severity", "value"),
        State("sp-span", "value"),
        prevent_initial_call=True,
    )
    def live(message: str | None, kind: str, market: str, severity: str, span: str) -> Any:
        from dash import ctx

        if ctx.triggered_id == "sp-sse":
            try:
                event = json.loads(message or "{}")
            except ValueError:
                raise PreventUpdate from None
            if event.get("kind") != "change" or not event.get("spikes"):
                raise PreventUpdate
        params = {**_params(kind, market, severity, span), "source": "live", "n": "25"}
        return ui.guarded(
            lambda: ui.table(tables.spikes(data, params), table_id="table-spikes-live")
        )

    @app.callback(
        Output("sp-history", "children"),
        Input("sp-kind", "value"),
        Input("sp-market", "value"),
        Input("sp-severity", "value"),
        Input("sp-span", "value"),
        prevent_initial_call=True,
    )
    def history(kind: str, market: str, severity: str, span: str) -> Any:
        params = {**_params(kind, market, severity, span), "source": "history"}
        return ui.guarded(
            lambda: ui.table(tables.spikes(data, params), table_id="table-spikes-history")
        )
