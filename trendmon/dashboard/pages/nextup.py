"""``/next``: what will trend next. Hashtags and sounds not in their top 20 now, by the chance
that their plays gained over the next 6 hours put them in it, with the backtested hit rate at
that chance and the method that made the forecast (the model, or the best baseline when the
model does not beat it: docs/forecasts.md). Filterable by market; exported like every table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import Dash, Input, Output, html

from trendmon.dashboard import components as ui
from trendmon.dashboard import tables
from trendmon.dashboard.access import VIEWER
from trendmon.dashboard.data import DashboardData
from trendmon.settings import DashboardSettings

ACCESS = VIEWER
"""Every account may read this page and call its callbacks."""


def layout(data: DashboardData, settings: DashboardSettings, query: Mapping[str, str]) -> Any:
    table = tables.next_up(data, dict(query))
    return html.Div(
        [
            html.H1("Next up"),
            html.P(
                "Hashtags and sounds not in their top 20 now, by the chance that their plays "
                "over the next 6 hours put them in it. Beside each: how often entities given "
                "that chance made it in the backtest.",
                className="note",
            ),
            html.Div(
                [
                    ui.field(
                        "Market", ui.choice("nx-market", data.markets(), table.params["market"])
                    )
                ],
                className="filters",
            ),
            html.Div(ui.table(table, table_id="table-next-up"), id="nx-table"),
        ]
    )


def register(app: Dash, data: DashboardData, settings: DashboardSettings) -> None:
    @app.callback(
        Output("nx-table", "children"), Input("nx-market", "value"), prevent_initial_call=True
    )
    def market(value: str) -> Any:
        return ui.guarded(
            lambda: ui.table(tables.next_up(data, {"market": value}), table_id="table-next-up")
        )
