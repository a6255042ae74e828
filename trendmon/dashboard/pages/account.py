"""``/account``: the creator's own accounts side by side; ``/account/HANDLE``: one account.

A page per imported account (``trendmon account import``): daily views, profile views, likes,
comments, shares, followers (total and net), engagement rate with its definition, viewers new
and returning, follower gender and territories (a map), when followers are online (a weekday x
hour heatmap, with the time-zone question stated), the best time to post as a claim with its
evidence, and every post with its lifetime counts. Ranges: 7, 28, 60, 365 days or from/to.
Captions, sounds and handles are untrusted text, rendered as text. Viewers may read; every
table exports as CSV and JSON for analysts and up (the export route checks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote, urlencode

import plotly.graph_objects as go
from dash import dcc, html

from trendmon.creator import insights
from trendmon.creator.territories import CENTROIDS
from trendmon.dashboard import components as ui
from trendmon.dashboard.creator_data import (
    CreatorData,
    activity_table,
    audience_table,
    compare_table,
    days_table,
    peers_table,
    posts_table,
    same_age_table,
    trends_table,
)

SERIES: Final = (
    ("views", "Views"),
    ("profile_views", "Profile views"),
    ("likes", "Likes"),
    ("comments", "Comments"),
    ("shares", "Shares"),
)


def _figure(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title=title, height=320, margin={"l": 50, "r": 20, "t": 40, "b": 40},
                      template="plotly_dark", legend={"orientation": "h"})  # fmt: skip
    return fig


def _graph(fig: go.Figure, ident: str) -> dcc.Graph:
    return dcc.Graph(figure=fig, id=ident, config={"displaylogo": False})


def _ranges(base: str, params: Mapping[str, str]) -> html.Div:
    current = params.get("range", "28d") if not (params.get("from") or params.get("to")) else ""
    links: list[Any] = [html.Span("Range: ", className="muted")]
    for span in insights.RANGES:
        links.append(dcc.Link(span, href=f"{base}?range={span}",
                              className="active" if span == current else "",
                              id=f"range-{span}"))  # fmt: skip
        links.append(" · ")
    links.append(html.Form([
        dcc.Input(type="date", name="from"  # type: ignore[arg-type]
                  , value=params.get("from", ""), id="range-from"),
        dcc.Input(type="date", name="to"  # type: ignore[arg-type]
                  , value=params.get("to", ""), id="range-to"),
        html.Button("Show", type="submit", id="range-apply"),
    ], method="GET", action=base, className="range-form"))  # fmt: skip
    return html.Div(links, className="ranges")


def index_layout(data: CreatorData, params: Mapping[str, str]) -> Any:
    accounts = data.accounts()
    if not accounts:
        return ui.panel("No account imported",
                        "Import a creator's TikTok exports with `trendmon account import FILE...`.",
                        "empty")  # fmt: skip
    items = [html.Li(dcc.Link(ui.text(a["account"]), href=f"/account/{quote(a['account'])}"))
             for a in accounts]  # fmt: skip
    compare = compare_table(data, params)
    fig = go.Figure()
    for a in accounts:
        days = data.days(a["account"], params)
        fig.add_scatter(x=[d["date"] for d in days], y=[d.get("views") for d in days],
                        name=a["account"], mode="lines")  # fmt: skip
    return html.Div([
        html.H1("Accounts"),
        html.Ul(items, id="account-list"),
        _ranges("/account", params),
        html.H2("Side by side"),
        ui.table(compare, table_id="account-compare"),
        _graph(_figure(fig, "Daily views by account"), "account-compare-views"),
    ])  # fmt: skip


def layout(data: CreatorData, params: Mapping[str, str], handle: str) -> Any:
    info = data.account(handle)
    if info is None:
        return ui.not_found("account", handle)
    base = f"/account/{quote(handle)}"
    p = {**params, "account": handle}
    days = data.days(handle, p)
    dates = [d["date"] for d in days]
    sums = insights.totals(days)
    daily = go.Figure()
    for key, label in SERIES:
        daily.add_scatter(x=dates, y=[d.get(key) for d in days], name=label, mode="lines")
    followers = go.Figure()
    followers.add_scatter(x=dates, y=[d.get("followers") for d in days], name="Total")
    followers.add_bar(x=dates, y=[d.get("followers_net") for d in days], name="Net", yaxis="y2")
    followers.update_layout(yaxis2={"overlaying": "y", "side": "right"})
    engagement = go.Figure()
    engagement.add_scatter(x=dates, y=[d.get("engagement_rate") for d in days], name="per view")
    if any(d.get("engagement_per_reach") is not None for d in days):
        engagement.add_scatter(x=dates, y=[d.get("engagement_per_reach") for d in days],
                               name="per reach")  # fmt: skip
    engagement.update_layout(yaxis={"tickformat": ".1%"})
    viewers = go.Figure()
    viewers.add_bar(x=dates, y=[d.get("viewers_new") for d in days], name="New")
    viewers.add_bar(x=dates, y=[d.get("viewers_returning") for d in days], name="Returning")
    viewers.update_layout(barmode="stack")
    g_as_of, gender = data.audience(handle, "gender")
    gender_fig = go.Figure(go.Bar(x=[g["key"] for g in gender], y=[g["share"] for g in gender]))
    gender_fig.update_layout(yaxis={"tickformat": ".0%"})
    t_as_of, territories = data.audience(handle, "territory")
    mapped = [t for t in territories if t["key"] in CENTROIDS]
    world = go.Figure(go.Scatter(
        x=[CENTROIDS[t["key"]][1] for t in mapped], y=[CENTROIDS[t["key"]][0] for t in mapped],
        mode="markers+text", text=[f"{t['key']} {t['share']:.0%}" for t in mapped],
        textposition="top center", hovertext=[t["name"] for t in mapped],
        marker={"size": [8 + 60 * t["share"] ** 0.5 for t in mapped], "color": "#3b7dd8",
                "opacity": 0.6},
    ))  # fmt: skip
    world.update_layout(xaxis={"range": [-180, 180], "title": "longitude", "zeroline": False},
                        yaxis={"range": [-60, 80], "title": "latitude", "zeroline": False})
    grid = data.heatmap(handle)
    heat = go.Figure(go.Heatmap(z=grid, x=[f"{h:02d}" for h in range(24)],
                                y=list(insights.WEEKDAYS), colorscale="Viridis"))  # fmt: skip
    best = data.best_time(handle)
    posts = posts_table(data, p)
    top = sorted((r for r in posts.rows if r.get("views") is not None),
                 key=lambda r: -(r["views"] or 0))[:10]  # fmt: skip
    top_fig = go.Figure(go.Bar(
        x=[r["views"] for r in top][::-1],
        y=[f"{r['posted_date']} · {str(r['video_id'] or '')[-6:]}" for r in top][::-1],
        orientation="h",
    ))  # fmt: skip
    summary = html.Div([
        _stat("Views", sums["views"]), _stat("Likes", sums["likes"]),
        _stat("Comments", sums["comments"]), _stat("Shares", sums["shares"]),
        _stat("Profile views", sums["profile_views"]), _stat("Followers", sums["followers"]),
        _stat("Net followers", sums["followers_net"]),
        _stat("Engagement rate", None if sums["engagement_rate"] is None
              else f"{sums['engagement_rate']:.2%}"),
    ], className="account-stats", id="account-stats")  # fmt: skip
    q = urlencode({k: v for k, v in params.items() if k in ("range", "from", "to") and v})
    return html.Div([
        html.H1(["Account ", ui.text(handle, 60)], id="account-title"),
        html.P(f"Data {info['first_day']} to {info['last_day']}; newest export {info['imported']}"
               f"{'; ' + q if q else ''}.", className="muted"),
        _ranges(base, params),
        summary,
        _graph(_figure(daily, "Daily views, profile views, likes, comments, shares"),
               "account-daily"),
        _graph(_figure(followers, "Followers: total and net per day"), "account-followers"),
        html.P(insights.ENGAGEMENT_DEFINITION, className="note", id="engagement-definition"),
        _graph(_figure(engagement, "Engagement rate"), "account-engagement"),
        _graph(_figure(viewers, "Viewers: new and returning"), "account-viewers"),
        ui.table(days_table(data, p), table_id="account-days"),
        html.H2("Followers"),
        _graph(_figure(gender_fig, f"Gender (snapshot of {g_as_of or 'no export'})"),
               "account-gender"),
        _graph(_figure(world, f"Territories (snapshot of {t_as_of or 'no export'})"),
               "account-map"),
        ui.table(audience_table(data, {**p, "section": "gender"}), table_id="account-gender-t"),
        ui.table(audience_table(data, {**p, "section": "territory"}),
                 table_id="account-territory-t"),
        html.H2("When followers are online"),
        html.P("Mean followers online by weekday and hour. TikTok does not say which time zone "
               "these hours are in (the account's, the viewer's or UTC): check against a post "
               "time you know before you trust an hour.", className="note"),
        _graph(_figure(heat, "Followers online (weekday x hour)"), "account-heatmap"),
        html.Div([html.H3("Best time to post"), html.P(best["claim"], id="best-time-claim"),
                  html.P(f"Evidence: followers online by hour {best['online_by_hour']}; "
                         f"median views by posting hour (UTC) "
                         f"{best['median_views_by_posting_hour_utc']}; "
                         f"posts per hour {best['posts_by_hour_utc']}.", className="muted")],
                 className="claim"),
        ui.table(activity_table(data, p), table_id="account-activity"),
        html.H2("Your videos against your own baseline"),
        html.P("Each tracked video's plays at hour 1, 3, 6, 12, 24, 48 and 168 after upload, "
               "against the median of your other tracked videos at the same hour.",
               className="note"),
        ui.table(same_age_table(data, p), table_id="account-same-age"),
        html.H2("Your hashtags and sounds on the live boards"),
        ui.table(trends_table(data, p), table_id="account-trends"),
        html.H2("Rising now among creators of your size"),
        html.P("Hashtags and sounds emerging or rising on the 1-hour boards that creators with "
               "half to twice your followers used in videos posted in the last hour.",
               className="note"),
        ui.table(peers_table(data, p), table_id="account-peers"),
        html.H2("Posts"),
        _graph(_figure(top_fig, "Top posts by lifetime views"), "account-top-posts"),
        ui.table(posts, table_id="account-posts"),
    ], className="account-page")  # fmt: skip


def _stat(label: str, value: object) -> html.Div:
    shown = "–" if value is None else (f"{value:,}" if isinstance(value, int) else str(value))
    return html.Div([html.Div(label, className="muted"), html.Div(shown, className="big")],
                    className="stat")  # fmt: skip
