"""``/admin``: accounts, kiosk links, API tokens and the audit log (admin only).

The same operations as ``trendmon users|kiosk|tokens``, through
:class:`~trendmon.dashboard.admin_data.AdminData`, each audited with the signed-in admin and
the address. A new kiosk link or API token is shown once; names and audit targets are
untrusted text. No ``ACCESS`` here: the page and its callbacks stay admin-only (see
:mod:`trendmon.dashboard.access`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from dash import Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask import request

from trendmon.accounts.roles import ROLES
from trendmon.dashboard import components as ui
from trendmon.dashboard.admin_data import USER_ACTIONS, AdminData
from trendmon.dashboard.gate import principal
from trendmon.dashboard.tables import Column, Table
from trendmon.errors import RetryableError, TrendmonError

USERS = [Column("name", "Account", "text"), Column("role", "Role"), Column("state", "State"),
         Column("password", "Password"), Column("created", "Created (UTC)")]  # fmt: skip
KIOSKS = [Column("id", "Id"), Column("name", "Display", "text"), Column("market", "Market"),
          Column("boards", "Boards"), Column("state", "State"),
          Column("created", "Created (UTC)"), Column("expires", "Expires (UTC)"),
          Column("last_used", "Last used (UTC)")]  # fmt: skip
TOKENS = [Column("id", "Id"), Column("name", "Used by", "text"), Column("role", "Role"),
          Column("state", "State"), Column("created", "Created (UTC)"),
          Column("expires", "Expires (UTC)"), Column("last_used", "Last used (UTC)")]  # fmt: skip
AUDIT = [Column("at", "When (UTC)"), Column("who", "Who", "text"), Column("action", "What"),
         Column("target", "Concerning", "text"), Column("source", "From", "text")]  # fmt: skip


def _table(name: str, columns: list[Column], rows: list[dict[str, Any]]) -> html.Div:
    return ui.table(Table(name, columns, rows, empty="None yet."), export=False, table_id=name)


def _tables(admin: AdminData) -> dict[str, Callable[[], html.Div]]:
    return {
        "ad-users": lambda: _table("ad-users-table", USERS, admin.users()),
        "ad-kiosks": lambda: _table("ad-kiosks-table", KIOSKS, admin.kiosks()),
        "ad-tokens": lambda: _table("ad-tokens-table", TOKENS, admin.tokens()),
        "ad-audit": lambda: _table("ad-audit-table", AUDIT, admin.audit()),
    }


def _input(
    component_id: str,
    placeholder: str,
    width: str = "14em",
    kind: Literal["text", "password"] = "text",
) -> Any:
    return dcc.Input(id=component_id, type=kind, placeholder=placeholder,
                     style={"width": width}, autoComplete="off")  # fmt: skip


def layout(admin: AdminData) -> Any:
    tables = {key: ui.guarded(build) for key, build in _tables(admin).items()}
    return html.Div(
        [
            html.H1("Administration"),
            html.H2("Accounts"),
            html.Div(tables["ad-users"], id="ad-users"),
            html.Div(
                [
                    ui.field("Account", _input("ad-name", "ann")),
                    ui.field("Role", ui.choice("ad-role", list(ROLES), "viewer")),
                    ui.field("Password (new account)", _input("ad-password", "", kind="password")),
                    html.Button("Add", id="ad-add", n_clicks=0),
                    *[html.Button(a.capitalize(), id=f"ad-{a}", n_clicks=0) for a in USER_ACTIONS],
                ],
                className="filters",
            ),
            html.Div(id="ad-users-said"),
            html.H2("Kiosk links (wall displays)"),
            html.Div(tables["ad-kiosks"], id="ad-kiosks"),
            html.Div(
                [
                    ui.field("Display", _input("ad-kiosk-name", "office TV")),
                    ui.field("Days", _input("ad-kiosk-days", "30", "5em")),
                    ui.field("Market", _input("ad-kiosk-market", "US (empty: any)", "9em")),
                    ui.field("Boards", _input("ad-kiosk-boards", "videos,hashtags (empty: all)")),
                    html.Button("Create link", id="ad-kiosk-create", n_clicks=0),
                    ui.field("Kiosk id", _input("ad-kiosk-id", "id")),
                    html.Button("Revoke", id="ad-kiosk-revoke", n_clicks=0),
                ],
                className="filters",
            ),
            html.Div(id="ad-kiosks-said"),
            html.H2("API tokens"),
            html.Div(tables["ad-tokens"], id="ad-tokens"),
            html.Div(
                [
                    ui.field("Used by", _input("ad-token-name", "BI export")),
                    ui.field("Role", ui.choice("ad-token-role", list(ROLES), "analyst")),
                    ui.field("Days", _input("ad-token-days", "365", "5em")),
                    html.Button("Create token", id="ad-token-create", n_clicks=0),
                    ui.field("Token id", _input("ad-token-id", "id")),
                    html.Button("Revoke", id="ad-token-revoke", n_clicks=0),
                ],
                className="filters",
            ),
            html.Div(id="ad-tokens-said"),
            html.H2("Audit log (latest 100)"),
            html.Div(tables["ad-audit"], id="ad-audit"),
        ]
    )


def _actor() -> tuple[str, str]:
    who = principal()
    if who is None:  # the gate lets no one here without a principal
        raise PreventUpdate
    return who.name, request.remote_addr or ""


def _outcome(run: Callable[[], Any]) -> Any:
    try:
        return run()
    except RetryableError as exc:
        return ui.panel("The account store does not answer", ui.unavailable(exc))
    except TrendmonError as exc:
        return ui.panel("Not done", str(exc))


def _ok(message: str, shown_once: str = "", once_id: str = "") -> html.Div:
    said: list[Any] = [html.P(message)]
    if shown_once:
        said.append(html.P(["Shown this once: ", html.Code(shown_once, id=once_id)]))
    return html.Div(said, className="panel panel-ok")


def register(app: Dash, admin: AdminData) -> None:
    tables = _tables(admin)

    def refreshed(*keys: str) -> list[Any]:
        return [ui.guarded(tables[k]) for k in (*keys, "ad-audit")]

    @app.callback(
        Output("ad-users-said", "children"),
        Output("ad-users", "children"),
        Output("ad-audit", "children", allow_duplicate=True),
        Output("ad-password", "value"),  # never left in the page
        Input("ad-add", "n_clicks"),
        *[Input(f"ad-{a}", "n_clicks") for a in USER_ACTIONS],
        State("ad-name", "value"),
        State("ad-role", "value"),
        State("ad-password", "value"),
        prevent_initial_call=True,
    )
    def on_users(*args: Any) -> list[Any]:
        name, role, password = (args[-3] or "").strip(), args[-2] or "viewer", args[-1] or ""
        trigger = str(ctx.triggered_id or "").removeprefix("ad-")
        if trigger != "add" and trigger not in USER_ACTIONS:
            raise PreventUpdate
        who, source = _actor()

        def run() -> Any:
            if trigger == "add":
                return _ok(admin.add_user(who, source, name, role, password))
            return _ok(admin.act_on_user(who, source, trigger, name, role))

        return [_outcome(run), *refreshed("ad-users"), ""]

    @app.callback(
        Output("ad-kiosks-said", "children"),
        Output("ad-kiosks", "children"),
        Output("ad-audit", "children", allow_duplicate=True),
        Input("ad-kiosk-create", "n_clicks"),
        Input("ad-kiosk-revoke", "n_clicks"),
        State("ad-kiosk-name", "value"),
        State("ad-kiosk-days", "value"),
        State("ad-kiosk-market", "value"),
        State("ad-kiosk-boards", "value"),
        State("ad-kiosk-id", "value"),
        prevent_initial_call=True,
    )
    def on_kiosks(
        _c: int,
        _r: int,
        name: str | None,
        days: str | None,
        market: str | None,
        boards: str | None,
        kid: str | None,
    ) -> Any:
        who, source = _actor()

        def run() -> Any:
            if ctx.triggered_id == "ad-kiosk-create":
                made, link = admin.create_kiosk(
                    who, source, name or "", days, request.host_url, market or "", boards or ""
                )
                return _ok(f"Kiosk link {made} created; it opens once.", link, "ad-kiosk-link")
            if ctx.triggered_id == "ad-kiosk-revoke":
                return _ok(admin.revoke_kiosk(who, source, kid or ""))
            raise PreventUpdate

        return [_outcome(run), *refreshed("ad-kiosks")]

    @app.callback(
        Output("ad-tokens-said", "children"),
        Output("ad-tokens", "children"),
        Output("ad-audit", "children", allow_duplicate=True),
        Input("ad-token-create", "n_clicks"),
        Input("ad-token-revoke", "n_clicks"),
        State("ad-token-name", "value"),
        State("ad-token-role", "value"),
        State("ad-token-days", "value"),
        State("ad-token-id", "value"),
        prevent_initial_call=True,
    )
    def on_tokens(
        _c: int, _r: int, name: str | None, role: str | None, days: str | None, tid: str | None
    ) -> Any:
        who, source = _actor()

        def run() -> Any:
            if ctx.triggered_id == "ad-token-create":
                made, secret = admin.create_token(who, source, name or "", role or "", days)
                return _ok(f"API token {made} created.", secret, "ad-token-secret")
            if ctx.triggered_id == "ad-token-revoke":
                return _ok(admin.revoke_token(who, source, tid or ""))
            raise PreventUpdate

        return [_outcome(run), *refreshed("ad-tokens")]
