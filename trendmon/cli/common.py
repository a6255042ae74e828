"""What every command shares: the stderr console, bus selection, and turning errors into lines."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn, Protocol, TypeVar

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from trendmon.errors import TrendmonError
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
StoreMongoOption = Annotated[
    bool, typer.Option("--mongo", help="Use the MongoDB store (the distributed runtime's).")
]

T = TypeVar("T")


class _Closable(Protocol):
    def close(self) -> None: ...


S = TypeVar("S", bound=_Closable)


@contextmanager
def opened_store(open_store: Callable[..., S], mongo: bool, home: Path | None) -> Iterator[S]:
    """A store from a factory of :mod:`trendmon.sinks.factory` (``open_alerts``, …): MongoDB with
    ``--mongo``, else SQLite under the home; closed afterwards. A store that cannot be opened
    ends the command with the reason."""
    try:
        store = (
            open_store("mongo")
            if mongo
            else open_store("sqlite", home=load(CoreSettings, home=home).home)
        )
    except TrendmonError as exc:
        fail(str(exc))
    try:
        yield store
    finally:
        store.close()


def checked(fn: Callable[[], T]) -> T:
    """``fn()``; a :class:`TrendmonError` ends the command with its message (the core raises,
    the edge says)."""
    try:
        return fn()
    except TrendmonError as exc:
        fail(str(exc))


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
