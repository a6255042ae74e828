"""``trendmon settings``: the resolved value of every setting, secrets masked."""

from __future__ import annotations

from typing import Annotated

import typer

from trendmon.cli.common import print_jsonl
from trendmon.settings import describe


def settings(
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table.")] = False,
) -> None:
    """Print every setting: component, environment variable, value, default and help.

    Example: TRENDMON_SIM_SEED=3 trendmon settings
    """
    rows = describe(masked=True)
    if as_json:
        for row in rows:
            print_jsonl(row)
        return
    width = max(len(r["env"]) for r in rows)
    for row in rows:
        typer.echo(f"{row['env']:<{width}}  {row['value']:<24}  {row['help']}")


def register(app: typer.Typer) -> None:
    app.command("settings")(settings)
