"""The ``trendmon`` command line: each subcommand lives in its own module and calls the library.

Subcommands mirror the flow: ``scrape``, ``import``, ``simulate`` publish; ``log`` inspects the
bus; ``settings`` shows the resolved configuration. Library errors become one red line on stderr
and a non-zero exit; a traceback means a bug.
"""

from __future__ import annotations

import typer

from trendmon.cli import (
    account,
    alerts,
    dashboard,
    evaluate,
    forecast,
    history,
    importer,
    kiosk,
    log,
    run,
    scrape,
    secrets,
    settings,
    simulate,
    tokens,
    users,
    worker,
)
from trendmon.cli.common import say_error
from trendmon.errors import RetryableError, TrendmonError

app = typer.Typer(
    name="trendmon",
    help="Real-time TikTok trend monitor.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

for module in (
    scrape,
    importer,
    simulate,
    run,
    worker,
    evaluate,
    forecast,
    history,
    alerts,
    account,
    log,
    settings,
    dashboard,
    users,
    kiosk,
    tokens,
    secrets,
):
    module.register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except TrendmonError as exc:
        say_error(str(exc))
        raise SystemExit(1 if isinstance(exc, RetryableError) else 2) from None
