"""Detail pages: ``/video/ID`` and ``/hashtag/NAME``, ``/sound/ID``, ``/creator/ID``,
``/effect/ID``.

An entity's page: its latest standing, its score history (a chart and a table), its top videos
(``videos_with``) and its spikes; the market and window are links (``?market=US&window=1h``).
A video's page: its card and its counts over time, with the forecasts of its plays at 24 hours
(a point and its 80% interval each) when the runtime scored them. An id no store knows gives
the not-found page (the data module raises :class:`~trendmon.dashboard.data.UnknownEntityError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import plotly.graph_objects as go
from dash import Dash, dcc, html

from trendmon.dashboard import components as ui
from trendmon.dashboard import formatting as fmt
from trendmon.dashboard import tables
from trendmon.dashboard.access import VIEWER
from trendmon.dashboard.data import DashboardData, entity_key
from trendmon.engine.windows import HOUR_MS
from trendmon.settings import DashboardSettings

ACCESS = VIEWER
"""Every account may read this page and call its callbacks."""


def _card(label: str, value: str) -> html.Div:
    return html.Div(
        [html.Div(label, className="k"), html.Div(value, className="v")], className="card"
    )


def _figure(x_ms: list[int], series: dict[str, list[float]], title: str) -> go.Figure:
    x = [datetime.fromtimestamp(t / 1000, tz=UTC) for t in x_ms]
    fig = go.Figure([go.Scatter(x=x, y=y, mode="lines", name=name) for name, y in series.items()])
    fig.update_layout(
        template="plotly_dark",
        title=title,  # our own words only: plotly reads tags in titles
        height=320,
        margin={"l": 50, "r": 20, "t": 40, "b": 30},
        paper_bgcolor="#141925",
        plot_bgcolor="#141925",
        legend={"orientation": "h"},
    )
    return fig


def _forecast_band(fig: go.Figure, forecasts: list[dict[str, Any]]) -> None:
    """Each forecast of the plays at 24 hours as a point at that time with its 80% interval
    (made at 1, 3 and 6 hours of age: docs/forecasts.md)."""
    for f in forecasts:
        at = datetime.fromtimestamp((f["made_ms"] + f["horizon_h"] * HOUR_MS) / 1000, tz=UTC)
        value, low, high = f["plays_24h"], f["plays_24h_low"], f["plays_24h_high"]
        fig.add_trace(
            go.Scatter(
                x=[at],
                y=[value],
                mode="markers",
                name=f"plays at 24 h, forecast at {f['age_h']} h",
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [max(0.0, high - value)],
                    "arrayminus": [max(0.0, value - low)],
                },
            )
        )


def _chance_band(fig: go.Figure, forecasts: list[dict[str, Any]]) -> None:
    """An entity's hourly chance of its top 20 within the horizon, on a second axis (0-100%),
    at the hour each was made (docs/forecasts.md)."""
    if not forecasts:
        return
    x = [datetime.fromtimestamp(f["made_ms"] / 1000, tz=UTC) for f in forecasts]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[f["p_top20"] for f in forecasts],
            mode="lines+markers",
            line={"shape": "hv", "width": 1},
            fill="tozeroy",
            opacity=0.5,
            name=f"chance of its top 20 within {forecasts[-1]['horizon_h']} h (forecast)",
            yaxis="y2",
        )
    )
    fig.update_layout(
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1], "tickformat": ".0%"},
    )


def _chance_card(forecasts: list[dict[str, Any]]) -> list[html.Div]:
    """The latest hourly forecast of the entity: its chance of the top 20, and how often the
    backtest's forecasts of about that chance made it."""
    if not forecasts:
        return []
    f = forecasts[-1]
    made = "" if f.get("backtest_hit_rate") is None else (
        f"; backtest: {fmt.percent(f['backtest_hit_rate'])} of such made it"
    )
    now = "in it now, " if f.get("in_top20_now") else ""
    value = f"{fmt.percent(f['p_top20'])} ({now}{f['method']}{made})"
    return [_card(f"Top 20 within {f['horizon_h']} h (forecast)", value)]


def _forecast_card(forecasts: list[dict[str, Any]]) -> list[html.Div]:
    """The latest forecast of the plays at 24 hours, its 80% interval and who made it."""
    if not forecasts:
        return []
    f = max(forecasts, key=lambda r: r["age_h"])
    value = (
        f"{fmt.compact(f['plays_24h'])} (80%: {fmt.compact(f['plays_24h_low'])}–"
        f"{fmt.compact(f['plays_24h_high'])}; at {f['age_h']} h, {f['method']})"
    )
    return [_card("Plays at 24 h (forecast)", value)]


def _graph(fig: go.Figure, graph_id: str) -> dcc.Graph:
    return dcc.Graph(figure=fig, id=graph_id, config={"displayModeBar": False}, className="chart")


def _switches(path: str, query: Mapping[str, str], name: str, values: list[str]) -> html.Div:
    current = query.get(name)
    links: list[Any] = [html.Span(f"{name}: ", className="muted")]
    for value in values:
        href = f"{path}?{urlencode({**query, name: value})}"
        label = html.B(value) if value == current else value
        links += [dcc.Link(label, href=href), " "]
    return html.Div(links, className="switches")


def entity_layout(
    data: DashboardData,
    settings: DashboardSettings,
    query: Mapping[str, str],
    kind: str,
    ident: str,
) -> Any:
    entity = entity_key(kind, ident)
    base = tables.common(data, query)
    card = data.entity(entity, base["market"], base["window"])
    series = data.entity_series(entity, base["market"], base["window"])
    spikes = tables.spikes(data, {"source": "history", "entity": entity, "n": "50"})
    videos = tables.entity_videos(data, {"entity": entity, "n": "25"})
    history = tables.entity_history(data, {**base, "entity": entity})
    path = ui.entity_href(entity)
    rank = card.get("rank")
    arrow, _ = fmt.rank_change(rank, card.get("prev_rank"), bool(card.get("is_new")))
    chart: Any = html.P("No score history in this market and window yet.", className="empty")
    chances: list[dict[str, Any]] = []
    if series:
        fig = _figure(
            [s["at_ms"] for s in series],
            {"trend score": [s["score"] for s in series]},
            "Trend score",
        )
        chances = data.entity_forecasts(
            entity, base["market"], series[0]["at_ms"], series[-1]["at_ms"]
        )
        _chance_band(fig, chances)
        chart = _graph(fig, "entity-chart")
    return html.Div(
        [
            html.H1(
                [f"{kind.capitalize()} ", ui.text(ui.entity_label(kind, card.get("name")), 120)]
            ),
            _switches(path, {**query, **base}, "market", data.markets()),
            _switches(path, {**query, **base}, "window", data.windows),
            html.Div(
                [
                    _card(
                        "Rank",
                        f"#{rank} {arrow if arrow != '–' else ''}".strip()
                        if rank
                        else "off the board",
                    ),
                    _card("Score", "–" if card.get("score") is None else f"{card['score']:,.4g}"),
                    _card("Stage", str(card.get("stage", "–"))),
                    _card("Growth", fmt.growth(card.get("growth")) if "growth" in card else "–"),
                    _card("Plays in window", fmt.compact(card.get("plays"))),
                    _card("Plays per hour", fmt.rate(card.get("velocity"))),
                    _card("Videos", fmt.compact(card.get("videos"))),
                    _card("Creators", fmt.compact(card.get("creators"))),
                    *_chance_card(chances),
                ],
                className="cards",
            ),
            chart,
            html.H2("Top videos"),
            ui.table(videos),
            html.H2("Spikes"),
            ui.table(spikes),
            html.H2("Score history"),
            ui.table(history),
        ],
        id="entity-detail",
    )


def video_layout(
    data: DashboardData, settings: DashboardSettings, query: Mapping[str, str], video_id: str
) -> Any:
    card = data.video(video_id)
    series = data.video_series(video_id)
    rounded = bool(card.get("rounded"))
    tags: list[Any] = []
    for tag in card.get("hashtags") or []:
        tags += [dcc.Link(ui.text(f"#{tag}", 40), href=ui.entity_href(f"hashtag:{tag}")), " "]
    author = card.get("author") or card.get("author_id") or ""
    sound: Any = "–"
    if card.get("music_id"):
        sound = dcc.Link(
            ui.text(card.get("music_title") or card["music_id"], 60),
            href=ui.entity_href(f"sound:{card['music_id']}"),
        )
    forecasts = data.video_forecasts(video_id)
    chart: Any = html.P("No history for this video yet.", className="empty")
    if series:
        fig = _figure(
            [p["collected_ms"] for p in series],
            {k: [float(p[k]) for p in series] for k in ("plays", "likes", "comments", "shares")},
            "Counts over time",
        )
        _forecast_band(fig, forecasts)
        chart = _graph(fig, "video-chart")
    return html.Div(
        [
            html.H1(["Video ", html.Span(video_id, className="muted")]),
            html.P(ui.text(card.get("description") or "(no description)", 600), className="desc"),
            html.P(
                [
                    "by ",
                    dcc.Link(
                        ui.text(f"@{author}", 60),
                        href=ui.entity_href(f"creator:{card.get('author_id')}"),
                    ),
                    " ✔ verified" if card.get("verified") else "",
                    f" · {fmt.compact(card.get('followers'))} followers",
                    " · sound ",
                    sound,
                    f" · market {card.get('market') or '–'}",
                ]
            ),
            html.P(tags),
            html.Div(
                [
                    _card("Plays", fmt.count(card.get("plays"), rounded)),
                    _card("Likes", fmt.count(card.get("likes"), rounded)),
                    _card("Comments", fmt.count(card.get("comments"), rounded)),
                    _card("Shares", fmt.count(card.get("shares"), rounded)),
                    _card("Plays per hour", fmt.rate(card.get("velocity"))),
                    _card("Engagement", fmt.percent(card.get("engagement_rate"))),
                    _card("Last seen", fmt.event_time(card.get("collected_ms"))),
                    *_forecast_card(forecasts),
                ],
                className="cards",
            ),
            html.P("Counts are rounded by TikTok (about three figures).", className="muted")
            if rounded
            else None,
            chart,
            html.H2("Counts over time"),
            ui.table(tables.video_history(data, {"video": video_id})),
        ],
        id="video-detail",
    )


def register(app: Dash, data: DashboardData, settings: DashboardSettings) -> None:
    """Detail pages have no callbacks: their switches are links."""
