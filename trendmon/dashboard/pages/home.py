"""``/``: where to go, with a glance at each board."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import dcc, html

from trendmon.dashboard import components as ui
from trendmon.dashboard import formatting as fmt
from trendmon.dashboard.data import DashboardData
from trendmon.settings import DashboardSettings


def _glance(title: str, href: str, items: list[Any]) -> html.Div:
    return html.Div(
        [
            html.H2(dcc.Link(title, href=href)),
            html.Ol([html.Li(i) for i in items])
            if items
            else html.P("Nothing yet.", className="empty"),
        ],
        className="card",
    )


def layout(data: DashboardData, settings: DashboardSettings, query: Mapping[str, str]) -> Any:
    fresh = data.freshness()
    videos = data.video_board(
        "velocity", "all", "24h" if "24h" in data.windows else data.windows[0], 5
    )["rows"]
    glances = [
        _glance(
            "Videos by velocity",
            "/rankings",
            [
                [
                    dcc.Link(
                        ui.text(v.get("description") or v["video_id"], 50),
                        href=ui.video_href(v["video_id"]),
                    ),
                    f" · {fmt.rate(v.get('velocity'))}",
                ]
                for v in videos
            ],
        )
    ]
    for kind in ("hashtag", "sound", "creator"):
        rows = data.entity_board(
            kind, "all", "24h" if "24h" in data.windows else data.windows[0], 5
        )
        glances.append(
            _glance(
                f"{kind.capitalize()}s",
                f"/{kind}s",
                [
                    dcc.Link(
                        ui.text(ui.entity_label(kind, r.get("name")), 50),
                        href=ui.entity_href(r["entity"]),
                    )
                    for r in rows
                ],
            )
        )
    spikes = data.latest_spikes(5)
    glances.append(
        _glance(
            "Latest spikes",
            "/spikes",
            [
                [
                    dcc.Link(
                        ui.text(ui.entity_label(s["kind"], s["name"]), 40),
                        href=ui.entity_href(s["entity"]),
                    ),
                    f" · {s['severity']} · {s['market']}",
                ]
                for s in spikes
            ],
        )
    )
    return html.Div(
        [
            html.H1("trendmon"),
            html.P(
                [
                    f"Data up to {fmt.event_time(fresh['watermark_ms'])} (event time); ",
                    f"{fresh['snapshots']:,} snapshots absorbed. The ",
                    dcc.Link("wall display", href="/wall"),
                    " is the full-screen view for a TV.",
                ]
            ),
            html.Div(glances, className="home-grid"),
        ]
    )
