"""``trendmon import``: publish the videos of files that users bring (exports, captures, dumps).

The command opens each file, hands it to :func:`trendmon.producers.importers.import_file`,
publishes what comes out through one :class:`~trendmon.producers.publish.Publisher` (bad records
go to the dead letters with their reason), shows a progress bar by bytes on stderr, and prints
the summary as JSON on stdout.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from trendmon.cli.common import (
    BusOption,
    HomeOption,
    bus_from_options,
    err,
    fail,
    parse_time,
    print_json,
)
from trendmon.errors import TrendmonError
from trendmon.events import VideoSnapshot
from trendmon.producers.importers import FORMATS, import_file
from trendmon.producers.publish import Publisher, Summary

_PROGRESS_EVERY = 512
"""Records between two progress-bar updates (an update costs more than parsing a record)."""

FORMAT_HELP = "File format: " + ", ".join(FORMATS) + " (default: detected from the file)."


def import_files(
    paths: list[Path],
    publisher: Publisher,
    *,
    format: str | None = None,
    collected_at: datetime | None = None,
    market: str | None = None,
    author: str | None = None,
    progress: Progress | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Publish every file's records; return the format of each file and the files' errors."""
    formats: dict[str, str] = {}
    errors: list[str] = []
    summary = publisher.summary
    task = progress.add_task("importing", total=_total(paths)) if progress else None
    done = 0
    for path in paths:
        name = str(path)
        read_before, rejected_before = summary.read, summary.rejected
        try:
            with path.open("rb") as fp:
                file_time = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
                records, fmt = import_file(
                    fp,
                    name=name,
                    format=format,
                    collected_at=collected_at,
                    market=market,
                    file_time=file_time,
                    author=author,
                )
                formats[name] = fmt
                good = 0
                for n, record in enumerate(records, 1):
                    publisher.add(record)
                    good += isinstance(record, VideoSnapshot)
                    if progress is not None and task is not None and n % _PROGRESS_EVERY == 0:
                        progress.update(task, completed=done + records.position)
                publisher.flush()
                summary.notes.extend(f"{name}: {note}" for note in records.notes)
                done += records.size or records.position
        except TrendmonError as exc:
            errors.append(str(exc))
            continue
        except OSError as exc:
            errors.append(f"cannot read {name}: {exc.strerror or exc}")
            continue
        finally:
            if progress is not None and task is not None:
                progress.update(task, completed=done)
        if not good:
            rejected = summary.rejected - rejected_before
            errors.append(
                f"nothing could be read from {name}: {summary.read - read_before} records, "
                f"{rejected} rejected (see the dead-letters topic)"
            )
    return formats, errors


def _total(paths: list[Path]) -> int | None:
    try:
        return sum(path.stat().st_size for path in paths)
    except OSError:
        return None


def _report(summary: Summary, formats: dict[str, str], errors: list[str]) -> dict[str, object]:
    report = summary.as_dict()
    report["formats"] = formats
    if errors:
        report["errors"] = errors
    return report


def register(app: typer.Typer) -> None:
    """Add the command to the app."""

    @app.command("import")
    def import_command(
        files: Annotated[
            list[Path],
            typer.Argument(
                help="Files to import (JSON, JSON Lines or CSV).",
                exists=True,
                dir_okay=False,
                readable=True,
            ),
        ],
        format: Annotated[str | None, typer.Option("--format", help=FORMAT_HELP)] = None,
        collected_at: Annotated[
            str | None,
            typer.Option(
                "--collected-at",
                help="Collection time of records that carry none (ISO 8601); without it, "
                "the file's modification time.",
            ),
        ] = None,
        market: Annotated[
            str | None,
            typer.Option("--market", help="Market (US, GB, ...) of records that name none."),
        ] = None,
        author: Annotated[
            str | None,
            typer.Option(
                "--author",
                help="Account (unique id, as in tiktok.com/@NAME) of records that name no "
                "author: a user's posts from tikwm.",
            ),
        ] = None,
        bus: BusOption = None,
        home: HomeOption = None,
    ) -> None:
        """Import TikTok videos from files into the snapshots topic.

        Reads TikTok-Api itemStruct JSON (lists, pages, JSON Lines), mobile aweme items,
        Apify/tiktok-scraper JSON, TikTok Research API JSON, flattened CSV/JSON exports and
        tikwm.com API items (a user's posts name no author: give it with --author).
        Bad records go to the dead-letters topic with their reason; a summary (read,
        published, duplicates, dead letters by reason, notes) is printed as JSON.

        Example: trendmon import trending.jsonl export.csv --market US

        Example: trendmon import user_posts.json --author someone
        """
        if format is not None and format not in FORMATS:
            fail(f"unknown --format {format!r}; choose one of: {', '.join(FORMATS)}")
        when = parse_time(collected_at, "--collected-at")
        publisher = Publisher(bus_from_options(bus, home))
        progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        try:
            with progress, publisher:
                formats, errors = import_files(
                    files,
                    publisher,
                    format=format,
                    collected_at=when,
                    market=market,
                    author=author,
                    progress=progress,
                )
        finally:
            publisher.bus.close()
        print_json(_report(publisher.summary, formats, errors))
        for message in errors[:-1]:
            err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
        if errors:
            fail(escape(errors[-1]))
