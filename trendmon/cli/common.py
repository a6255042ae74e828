"""What every command shares: the stderr console, bus selection, and turning errors into lines."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from trendmon.events import utc
from trendmon.log import Bus, open_bus
from trendmon.settings import CoreSettings, load

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


def time_progress(label: str) -> Progress:
    """The progress bar of a simulated run on stderr (hidden when stderr is not a terminal)."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def say_error(message: str) -> None:
    """One red line on stderr; the message is shown as given (brackets are not markup)."""
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one red line on stderr and exit."""
    say_error(message)
    raise typer.Exit(code)


def parse_time(value: str | None, flag: str) -> datetime | None:
    """A time given on the command line (ISO 8601 or epoch seconds), or a usage error."""
    if value is None:
        return None
    try:
        return utc(value)
    except (ValueError, OverflowError, OSError):
        raise typer.BadParameter(
            f"{value!r} is not a time; give ISO 8601 like 2026-01-05T10:00:00Z or epoch seconds",
            param_hint=flag,
        ) from None


def parse_time_ms(value: str | None, flag: str) -> int | None:
    """:func:`parse_time` as epoch milliseconds."""
    when = parse_time(value, flag)
    return None if when is None else int(when.timestamp() * 1000)


def print_json(obj: object) -> None:
    """One JSON document on stdout."""
    sys.stdout.buffer.write(
        orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
    )
    sys.stdout.flush()


def print_jsonl(obj: object) -> None:
    """One JSON Lines record on stdout."""
    sys.stdout.buffer.write(orjson.dumps(obj) + b"\n")
