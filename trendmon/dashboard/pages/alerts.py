"""``/alerts``: the admin page of spike alerts. Subscriptions (add, pause, resume, remove,
test, rotate the secret), the delivery log, redelivery of one delivery and recovery of
everything that failed since a time. Also :func:`notice`, the health page's line about
subscriptions trendmon disabled.

Every change goes through :class:`~trendmon.dashboard.alerts_data.AlertsData`; its typed errors
become a panel naming the field and the fix. Targets and reasons are untrusted text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from trendmon.alerts.records import STATUSES
from trendmon.alerts.schedule import parse_wait
from trendmon.alerts.subscriptions import FORMATS, SEVERITIES
from trendmon.dashboard import components as ui
from trendmon.dashboard.alerts_data import ACTIONS, AlertsData
from trendmon.dashboard.tables import Column, Table
from trendmon.errors import RetryableError, TrendmonError
from trendmon.events import utc

SUB_COLUMNS = [
    Column("id", "Id"),
    Column("state", "State"),
    Column("format", "Format"),
    Column("target", "Target", "text"),
    Column("kinds", "Kinds", "text"),
    Column("entities", "Entities", "text"),
    Column("markets", "Markets", "text"),
    Column("min_severity", "Min severity"),
    Column("cooldown_s", "Cooldown (s)"),
    Column("failing_since", "Failing since"),
    Column("disabled", "Why disabled", "text"),
]
LOG_COLUMNS = [
    Column("id", "Delivery (webhook-id)"),
    Column("subscription", "Subscription"),
    Column("status", "Status"),
    Column("spikes", "Spikes", "count"),
    Column("attempts", "Attempts", "count"),
    Column("last_result", "Last result", "text"),
    Column("queued", "Queued (UTC)"),
    Column("next_attempt", "Next attempt (UTC)"),
]


def _subs_table(alerts: AlertsData) -> html.Div:
    rows = alerts.subscriptions()
    tbl = Table("alert-subscriptions", SUB_COLUMNS, rows, empty="No subscription yet.")
    return ui.table(tbl, export=False, table_id="al-subs-table")


def _log_table(alerts: AlertsData, status: str | None) -> html.Div:
    rows = alerts.deliveries(None if status in (None, "any") else status)
    tbl = Table("alert-deliveries", LOG_COLUMNS, rows, empty="No delivery yet.")
    return ui.table(tbl, export=False, table_id="al-log-table")


def notice(alerts: AlertsData) -> Any:
    """A warning for each subscription trendmon disabled; nothing when there is none (or the
    alert store cannot be read: the health page has its own store notices)."""
    try:
        disabled = alerts.disabled()
    except TrendmonError:
        return None
    if not disabled:
        return None
    lines = [
        html.Li([html.Code(r["id"]), " ", ui.text(r["target"]), ": ", ui.text(r["disabled"], 200)])
        for r in disabled
    ]
    return html.Div(
        [
            html.H2("Alert subscriptions disabled"),
            html.P("trendmon stopped these; resume them on the Alerts page once fixed."),
            html.Ul(lines),
        ],
        className="panel panel-warning",
        id="alerts-disabled-notice",
        role="alert",
    )


def _input(component_id: str, placeholder: str, width: str = "18em") -> dcc.Input:
    return dcc.Input(
        id=component_id,
        type="text",
        placeholder=placeholder,
        debounce=False,
        style={"width": width},
    )


def layout(alerts: AlertsData) -> Any:
    return html.Div(
        [
            html.H1("Alerts"),
            notice(alerts),
            html.H2("Subscriptions"),
            html.Div(_subs_table(alerts), id="al-subs"),
            html.H2("Add a subscription"),
            html.Div(
                [
                    ui.field("Target URL", _input("al-target", "https://...", "28em")),
                    ui.field("Format", ui.choice("al-format", list(FORMATS), "webhook")),
                    ui.field("Kinds", _input("al-kinds", "hashtag, sound (empty: all)")),
                    ui.field("Entities", _input("al-entities", "#dance, @maria (empty: all)")),
                    ui.field("Markets", _input("al-markets", "US, GB (empty: all)")),
                    ui.field("Min severity", ui.choice("al-severity", list(SEVERITIES), "notable")),
                    ui.field("Cooldown", _input("al-cooldown", "1h", "6em")),
                    html.Button("Add", id="al-add", n_clicks=0),
                ],
                className="filters",
            ),
            html.Div(id="al-added"),
            html.H2("Change a subscription"),
            html.Div(
                [
                    ui.field("Subscription id", _input("al-id", "sub_...")),
                    *[html.Button(a.capitalize(), id=f"al-{a}", n_clicks=0) for a in ACTIONS],
                ],
                className="filters",
            ),
            html.Div(id="al-acted"),
            html.H2("Delivery log"),
            html.Div(
                [
                    ui.field("Status", ui.choice("al-status", ["any", *STATUSES], "any")),
                    ui.field("Redeliver", _input("al-delivery", "msg_...")),
                    html.Button("Redeliver", id="al-redeliver", n_clicks=0),
                    ui.field("Recover failed since", _input("al-since", "2026-01-05T00:00:00Z")),
                    html.Button("Recover", id="al-recover", n_clicks=0),
                ],
                className="filters",
            ),
            html.Div(id="al-redelivered"),
            html.Div(_log_table(alerts, None), id="al-log"),
        ]
    )


def _outcome(run: Callable[[], Any]) -> Any:
    """A result, or a panel saying what is wrong and what to do."""
    try:
        return run()
    except RetryableError as exc:
        return ui.panel("The alert store does not answer", ui.unavailable(exc))
    except (TrendmonError, ValueError) as exc:
        return ui.panel("Not done", str(exc))


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def register(app: Dash, alerts: AlertsData) -> None:
    @app.callback(
        Output("al-added", "children"),
        Output("al-subs", "children", allow_duplicate=True),
        Input("al-add", "n_clicks"),
        State("al-target", "value"),
        State("al-format", "value"),
        State("al-kinds", "value"),
        State("al-entities", "value"),
        State("al-markets", "value"),
        State("al-severity", "value"),
        State("al-cooldown", "value"),
        prevent_initial_call=True,
    )
    def add(
        clicks: int,
        target: str | None,
        fmt: str,
        kinds: str | None,
        entities: str | None,
        markets: str | None,
        severity: str,
        cooldown: str | None,
    ) -> tuple[Any, Any]:
        if not clicks:
            raise PreventUpdate

        def run() -> Any:
            row, secret = alerts.add(
                target or "",
                fmt,
                kinds=_split(kinds),
                entities=_split(entities),
                markets=_split(markets),
                min_severity=severity,
                cooldown_s=int(parse_wait(cooldown)) if cooldown else None,
            )
            said = [html.P(["Added ", html.Code(row["id"]), "."])]
            if secret:
                said.append(
                    html.P(
                        ["Its signing secret, shown this once: ", html.Code(secret, id="al-secret")]
                    )
                )
            return html.Div(said, className="panel panel-ok", id="al-added-ok")

        return _outcome(run), ui.guarded(lambda: _subs_table(alerts))

    @app.callback(
        Output("al-acted", "children"),
        Output("al-subs", "children", allow_duplicate=True),
        *[Input(f"al-{a}", "n_clicks") for a in ACTIONS],
        State("al-id", "value"),
        prevent_initial_call=True,
    )
    def act(*args: Any) -> tuple[Any, Any]:
        sub_id = (args[-1] or "").strip()
        trigger = str(ctx.triggered_id or "")
        if not trigger.startswith("al-"):
            raise PreventUpdate
        action = trigger.removeprefix("al-")
        said = _outcome(
            lambda: html.P(alerts.act(action, sub_id), className="panel panel-ok", id="al-ok")
        )
        return said, ui.guarded(lambda: _subs_table(alerts))

    @app.callback(
        Output("al-redelivered", "children"),
        Output("al-log", "children"),
        Input("al-status", "value"),
        Input("al-redeliver", "n_clicks"),
        Input("al-recover", "n_clicks"),
        State("al-delivery", "value"),
        State("al-since", "value"),
        prevent_initial_call=True,
    )
    def log(
        status: str, _r: int, _c: int, delivery: str | None, since: str | None
    ) -> tuple[Any, Any]:
        said: Any = None
        if ctx.triggered_id == "al-redeliver":
            said = _outcome(lambda: html.P(alerts.redeliver((delivery or "").strip())))
        elif ctx.triggered_id == "al-recover":

            def recover() -> Any:
                try:
                    since_ms = int(utc(since or "").timestamp() * 1000)
                except (ValueError, OverflowError, OSError):
                    raise ValueError(
                        f"{since!r} is not a time; give ISO 8601 like 2026-01-05T10:00:00Z"
                    ) from None
                return html.P(alerts.recover(since_ms))

            said = _outcome(recover)
        return said, ui.guarded(lambda: _log_table(alerts, status))
