"""``/health``: is the data flowing, and how good is it?

Events per minute per source (from the log), engine lag (wall clock since the live store's last
write; how far its watermark trails the log's newest event; how old the data's event time is),
each scraper target's freshness and failures (``source-health``), dead letters by reason, and
the share of snapshots whose counts TikTok rounded. Refreshes every 10 seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html

from trendmon.dashboard import components as ui
from trendmon.dashboard import formatting as fmt
from trendmon.dashboard import tables
from trendmon.dashboard.access import VIEWER
from trendmon.dashboard.data import DashboardData
from trendmon.settings import DashboardSettings

ACCESS = VIEWER
"""Every account may read this page and call its callbacks."""

TOP_SOURCES = 8


def _card(label: str, value: str, card_id: str) -> html.Div:
    return html.Div(
        [html.Div(label, className="k"), html.Div(value, className="v")],
        className="card",
        id=card_id,
    )


def content(data: DashboardData) -> Any:
    h = data.health()
    parts: list[Any] = []
    if not h.get("available"):
        parts.append(
            ui.panel("No log to inspect", "This dashboard was started without a bus.", "info")
        )
    topics = h.get("topics", {})
    snaps = topics.get("snapshots") or {}
    rounded = h.get("rounded_share")
    parts.append(
        html.Div(
            [
                _card(
                    "Engine last wrote",
                    f"{fmt.duration(h['engine_idle_s'])} ago"
                    if h["engine_idle_s"] is not None
                    else "never",
                    "hc-idle",
                ),
                _card("Engine behind the log", fmt.duration(h["behind_log_s"]), "hc-behind"),
                _card("Data event time", fmt.event_time(h["watermark_ms"]), "hc-watermark"),
                _card("Event time lag", fmt.duration(h["event_lag_s"]), "hc-lag"),
                _card("Snapshots in log", fmt.compact(snaps.get("records")), "hc-records"),
                _card(
                    "Dead letters",
                    fmt.compact((topics.get("dead-letters") or {}).get("records", 0)),
                    "hc-dead",
                ),
                _card("Rounded counts", fmt.percent(rounded), "hc-rounded"),
            ],
            className="cards",
        )
    )
    per_minute: dict[str, list[tuple[int, int]]] = h.get("per_minute", {})
    if per_minute:
        top = [r["source"] for r in h["rates"][:TOP_SOURCES]]
        fig = go.Figure(
            [
                go.Scatter(
                    x=[datetime.fromtimestamp(t / 1000, tz=UTC) for t, _ in per_minute[s]],
                    y=[n for _, n in per_minute[s]],
                    mode="lines",
                    name=f"source {i + 1}",  # names are untrusted text: the table shows them
                )
                for i, s in enumerate(top)
            ]
        )
        fig.update_layout(
            template="plotly_dark",
            title="Snapshots per minute (event time), by source",
            height=300,
            margin={"l": 50, "r": 20, "t": 40, "b": 30},
            paper_bgcolor="#141925",
            plot_bgcolor="#141925",
        )
        parts.append(dcc.Graph(figure=fig, config={"displayModeBar": False}, className="chart"))
    rates = tables.health_rates(data, {})
    parts += [
        html.H2("Events per source"),
        ui.table(rates),
        html.H2("Scraper targets"),
        ui.table(tables.health_sources(data, {})),
        html.H2("Dead letters by reason"),
        ui.table(tables.health_dead_letters(data, {})),
    ]
    return parts


def layout(data: DashboardData, settings: DashboardSettings, query: Mapping[str, str]) -> Any:
    return html.Div(
        [
            html.H1("Data health"),
            dcc.Interval(id="hl-tick", interval=10_000),
            html.Div(content(data), id="hl-content"),
        ]
    )


def register(app: Dash, data: DashboardData, settings: DashboardSettings) -> None:
    @app.callback(
        Output("hl-content", "children"),
        Input("hl-tick", "n_intervals"),
        prevent_initial_call=True,
    )
    def refresh(_: int) -> Any:
        return ui.guarded(lambda: content(data))
