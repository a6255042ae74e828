"""``trendmon kiosk``: links that open the wall display, and only it, on a TV.

A link is shown once (the store keeps its hash); opening it swaps it for a cookie and drops it
from the address bar, so it works once. Revoking a kiosk ends its open stream within seconds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import typer

from trendmon.accounts import kiosks
from trendmon.cli.common import HomeOption, err, print_jsonl
from trendmon.cli.users import audited, open_store

app = typer.Typer(help="Kiosk links for wall displays: create, list, revoke.")


def iso(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat()


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="What the display is (office TV).")],
    days: Annotated[
        float, typer.Option("--days", min=0.01, max=366, help="Days the link and cookie last.")
    ] = 30,
    url: Annotated[str, typer.Option("--url", help="The dashboard's address.")] = (
        "http://127.0.0.1:8050"
    ),
    market: Annotated[
        str, typer.Option("--market", help="The one market its wall shows (US); default any.")
    ] = "",
    boards: Annotated[
        str,
        typer.Option(
            "--boards",
            help=f"Boards its wall may show, comma-separated ({', '.join(kiosks.WALL_BOARDS)}); "
            "default all.",
        ),
    ] = "",
    home: HomeOption = None,
) -> None:
    """Create a kiosk link for /wall and print it (once: it is not stored).

    Example: trendmon kiosk create "office TV" --days 90 --market US --boards videos,hashtags
    """
    store = open_store(home)
    try:
        kiosk, token = kiosks.create(
            store, name, int(time.time() * 1000), int(days * 86_400_000), market,
            boards.split(","),
        )  # fmt: skip
        audited(store, "kiosk.create", kiosk.id)
    finally:
        store.close()
    err.print(
        f"kiosk {kiosk.id} ({kiosk.name}) until {iso(kiosk.expires_ms)}; the link opens once:"
    )
    typer.echo(f"{url.rstrip('/')}/kiosk/{token}")


@app.command("list")
def list_(home: HomeOption = None) -> None:
    """Every kiosk link as JSON Lines: id, name, created, expires, last used, state.

    Example: trendmon kiosk list
    """
    store = open_store(home)
    try:
        now = time.time() * 1000
        for k in store.kiosks():
            state = (
                "revoked"
                if k.revoked
                else "expired"
                if k.expires_ms < now
                else ("unused" if k.token_hash else "in use")
            )
            print_jsonl(
                {"id": k.id, "name": k.name, "created": iso(k.created_ms),
                 "expires": iso(k.expires_ms), "last_used": iso(k.last_used_ms),
                 "market": k.market or "any", "boards": k.boards or "all", "state": state}
            )  # fmt: skip
    finally:
        store.close()


@app.command("revoke")
def revoke(
    kiosk_id: Annotated[str, typer.Argument(help="The id from `trendmon kiosk list`.")],
    home: HomeOption = None,
) -> None:
    """Revoke a kiosk: its link and cookie stop working and its open wall stops updating.

    Example: trendmon kiosk revoke 3fQx9a_LkP2m
    """
    store = open_store(home)
    try:
        kiosk = kiosks.revoke(store, kiosk_id)
        audited(store, "kiosk.revoke", kiosk.id)
    finally:
        store.close()
    err.print(f"revoked kiosk {kiosk.id} ({kiosk.name})")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="kiosk")
