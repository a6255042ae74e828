"""``trendmon dashboard``: serve the wall display and the explorer pages."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from trendmon.cli.common import HomeOption, err
from trendmon.settings import DashboardSettings, load


def dashboard(
    host: Annotated[
        str | None,
        typer.Option("--host", help="Address to listen on (default 127.0.0.1: this machine only)."),
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to listen on (8050).")] = None,
    home: HomeOption = None,
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            help="Namespace of the stores to show (default TRENDMON_DASHBOARD_NAMESPACE).",
        ),
    ] = None,
    stale_after: Annotated[
        float | None,
        typer.Option("--stale-after", help="Seconds without new data before the wall says so."),
    ] = None,
    sign_in_link: Annotated[
        bool,
        typer.Option(
            "--sign-in-link",
            help="Print a one-time link that signs this machine's user in as the local admin.",
        ),
    ] = False,
) -> None:
    """Serve the dashboard: the live wall display and the explorer pages.

    It reads the live boards (Redis) and the history of the runtime under TRENDMON_HOME (or
    Redis and MongoDB in distributed mode) and pushes changes to open pages as they happen.
    Open /wall on the office TV (?market=US&rotate=30 to pin a market or rotate windows).
    Every page needs an account (trendmon users add) or a kiosk link (trendmon kiosk create);
    --sign-in-link prints a one-time link for a local admin instead, as `make demo` does.

    Example: trendmon dashboard --home .trendmon --port 8050
    """
    from trendmon.dashboard.app import create_app
    from trendmon.dashboard.server import DashboardServer

    settings = load(
        DashboardSettings, host=host, port=port, namespace=namespace, stale_after_s=stale_after
    )
    server = DashboardServer(create_app(settings, home), settings.host, settings.port)
    err.print(f"trendmon dashboard on {server.url}  (wall: {server.url}/wall); Ctrl-C to stop")
    if sign_in_link:
        err.print(
            f"sign in (once, within 15 minutes): {local_link(home, server.url)}", soft_wrap=True
        )

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt  # SIGTERM (trendmon run stopping us) closes the stores too

    signal.signal(signal.SIGTERM, interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def local_link(home: Path | None, url: str) -> str:
    """A one-time sign-in link for the local admin of ``home`` (created if need be)."""
    from trendmon.accounts import sessions, users
    from trendmon.cli.users import open_store

    store = open_store(home)
    try:
        now = int(time.time() * 1000)
        token = sessions.create_signin(store, users.local_admin(store, now), now)
    finally:
        store.close()
    return f"{url}/signin/{token}"


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard)
