"""What every command shares: the stderr console, bus selection, and turning errors into lines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import orjson
import typer
from rich.console import Console

from trendmon.settings import CoreSettings, load
from trendmon.streams.bus import Bus, open_bus

err = Console(stderr=True)
"""Progress, logs and messages go to stderr; data goes to stdout."""

BusOption = Annotated[
    str | None,
    typer.Option("--bus", help="embedded (default) or kafka; overrides TRENDMON_BUS."),
]
HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Folder of the embedded mode; overrides TRENDMON_HOME."),
]


def bus_from_options(bus: str | None, home: Path | None) -> Bus:
    """Open the bus chosen by the flags, falling back to settings."""
    core = load(CoreSettings, bus=bus, home=home)
    return open_bus(core)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one red line on stderr and exit."""
    err.print(f"[red]error:[/red] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def print_json(obj: object) -> None:
    """One JSON document on stdout."""
    sys.stdout.buffer.write(
        orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
    )
    sys.stdout.flush()


def print_jsonl(obj: object) -> None:
    """One JSON Lines record on stdout."""
    sys.stdout.buffer.write(orjson.dumps(obj) + b"\n")
