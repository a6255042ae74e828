"""``trendmon tokens``: API tokens for the read-only JSON API (``/api/v1/``)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from trendmon.accounts import apitokens
from trendmon.accounts.roles import ROLES
from trendmon.cli.common import HomeOption, err, print_jsonl
from trendmon.cli.kiosk import iso
from trendmon.cli.users import audited, open_store

app = typer.Typer(help="API tokens for /api/v1/: create, list, revoke.")


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="What uses the token (the BI export).")],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")] = "analyst",
    days: Annotated[
        float, typer.Option("--days", min=0.01, max=3660, help="Days the token works.")
    ] = 365,
    home: HomeOption = None,
) -> None:
    """Create an API token and print it (once: only its hash is stored).

    Example: trendmon tokens create "BI export" --role analyst --days 90
    """
    store = open_store(home)
    try:
        now = int(time.time() * 1000)
        token, secret = apitokens.create(store, name, role, now, int(days * 86_400_000))
        audited(store, "tokens.create", token.id)
    finally:
        store.close()
    err.print(f"token {token.id} ({token.name}, {token.role}) until {iso(token.expires_ms)}:")
    typer.echo(secret)


@app.command("list")
def list_(home: HomeOption = None) -> None:
    """Every API token as JSON Lines: id, name, role, created, expires, last used, revoked.

    Example: trendmon tokens list
    """
    store = open_store(home)
    try:
        for t in store.tokens():
            print_jsonl(
                {"id": t.id, "name": t.name, "role": t.role, "created": iso(t.created_ms),
                 "expires": iso(t.expires_ms), "last_used": iso(t.last_used_ms),
                 "revoked": t.revoked}
            )  # fmt: skip
    finally:
        store.close()


@app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="The id from `trendmon tokens list`.")],
    home: HomeOption = None,
) -> None:
    """Revoke an API token: its next request is refused.

    Example: trendmon tokens revoke 3fQx9a_LkP2m
    """
    store = open_store(home)
    try:
        token = apitokens.revoke(store, token_id)
        audited(store, "tokens.revoke", token.id)
    finally:
        store.close()
    err.print(f"revoked token {token.id} ({token.name})")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="tokens")
