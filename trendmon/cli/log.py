"""``trendmon log tail|stats|export``: look into either bus."""

from __future__ import annotations

import dataclasses
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from trendmon.cli.common import BusOption, HomeOption, bus_from_options, parse_time_ms, print_json
from trendmon.errors import SchemaError
from trendmon.events import DeadLetter, SourceHealth, VideoSnapshot, decode_event
from trendmon.log.base import SNAPSHOTS, Record

log_app = typer.Typer(
    help="Inspect the log: tail, stats and export of a topic.", no_args_is_help=True
)

TopicArg = Annotated[str, typer.Argument(help="Topic name (snapshots, dead-letters, ...).")]


def _compact(n: int | None) -> str:
    if n is None:
        return "-"
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return str(n)


def format_record(record: Record) -> str:
    """One readable line for a person watching a tail."""
    when = datetime.fromtimestamp(record.timestamp_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    try:
        event = decode_event(record.value)
    except SchemaError as exc:
        return f"{when}  #{record.offset}  (not an event: {exc})"
    if isinstance(event, VideoSnapshot):
        s = event.stats
        tags = " ".join(f"#{t}" for t in event.hashtags[:4])
        return (
            f"{when}  {event.market:<7} @{event.author.unique_id[:20]:<20} {event.video_id}  "
            f"plays {_compact(s.plays):>6}  likes {_compact(s.likes):>6}  "
            f"comments {_compact(s.comments):>6}  shares {_compact(s.shares):>6}  {tags}"
        )
    if isinstance(event, DeadLetter):
        return f"{when}  dead letter from {event.origin}: {event.reason}"
    if isinstance(event, SourceHealth):
        state = "ok" if event.ok else f"FAILING x{event.consecutive_failures}: {event.last_error}"
        return f"{when}  source {event.target}: {state} ({event.items} items)"
    return f"{when}  {record.value[:200]!r}"


@log_app.command("tail")
def tail(
    topic: TopicArg = SNAPSHOTS,
    lines: Annotated[int, typer.Option("-n", "--lines", help="Records to show first.")] = 10,
    follow: Annotated[
        bool, typer.Option("-f", "--follow", help="Keep printing new records.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Raw JSON Lines.")] = False,
    bus: BusOption = None,
    home: HomeOption = None,
) -> None:
    """Show the last records of a topic, and with --follow every new one.

    Example: trendmon log tail snapshots -n 20 --follow
    """
    log = bus_from_options(bus, home)
    try:
        last = log.tail(topic, lines)
        for record in last:
            _emit(record, as_json)
        if follow:
            for record in log.read(topic, from_end=True, follow=True):
                _emit(record, as_json)
    except KeyboardInterrupt:
        pass
    finally:
        log.close()


def _emit(record: Record, as_json: bool) -> None:
    if as_json:
        sys.stdout.buffer.write(record.value + b"\n")
    else:
        sys.stdout.write(format_record(record) + "\n")
    sys.stdout.flush()


@log_app.command("stats")
def stats(
    topic: Annotated[str | None, typer.Argument(help="One topic; all topics by default.")] = None,
    bus: BusOption = None,
    home: HomeOption = None,
) -> None:
    """Print what each topic holds (records, partitions, offsets, event-time range) as JSON.

    Example: trendmon log stats
    """
    log = bus_from_options(bus, home)
    try:
        names = [topic] if topic else log.topics()
        out = []
        for name in names:
            st = log.stats(name)
            row = dataclasses.asdict(st)
            for key in ("first_ts_ms", "last_ts_ms"):
                ms = row.pop(key)
                row[key.replace("_ts_ms", "_event_time")] = (
                    datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()
                    if ms is not None
                    else None
                )
            out.append(row)
        print_json(out if topic is None else out[0])
    finally:
        log.close()


@log_app.command("export")
def export(
    topic: TopicArg = SNAPSHOTS,
    from_offset: Annotated[int | None, typer.Option("--from-offset", help="First offset.")] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="Event time to start at (ISO 8601, UTC).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Event time to stop before (ISO 8601, UTC).")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many.")] = None,
    bus: BusOption = None,
    home: HomeOption = None,
) -> None:
    """Write a topic's records to stdout as JSON Lines (one event per line, as stored).

    Example: trendmon log export snapshots --from 2026-01-05T00:00:00Z > snapshots.jsonl
    """
    log = bus_from_options(bus, home)
    out = sys.stdout.buffer
    try:
        for record in log.read(
            topic,
            from_offset=from_offset,
            from_time_ms=parse_time_ms(since, "--from"),
            to_time_ms=parse_time_ms(until, "--to"),
            limit=limit,
        ):
            out.write(record.value)
            out.write(b"\n")
        out.flush()
    finally:
        log.close()


def register(app: typer.Typer) -> None:
    app.add_typer(log_app, name="log")
