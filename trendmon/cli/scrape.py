"""``trendmon scrape``: the TikTok-Api producer, once or forever.

Opens the bus, resolves targets, checks msToken and Chromium before any browser starts, and
hands everything to :class:`~trendmon.producers.tiktok.runner.Runner`. One line per attempt goes
to stderr; with ``--once`` a JSON summary goes to stdout.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from trendmon.cli.common import BusOption, HomeOption, bus_from_options, err, fail, print_json
from trendmon.errors import TrendmonError
from trendmon.producers.tiktok.client import TikTokClient, preflight
from trendmon.producers.tiktok.runner import Attempt, Runner
from trendmon.producers.tiktok.targets import Target, resolve_targets
from trendmon.settings import ScrapeSettings, load


def _report(attempt: Attempt) -> None:
    """One progress line on stderr per attempt."""
    when = attempt.next_attempt_at.strftime("%H:%M:%S") if attempt.next_attempt_at else None
    if attempt.ok:
        err.print(
            f"{attempt.target}: {attempt.received} items, {attempt.published} new snapshots, "
            f"{attempt.duplicates} duplicates, {attempt.skipped} LIVE/empty skipped, "
            f"{attempt.rejected} rejected" + (f"; next at {when} UTC" if when else ""),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    else:
        err.print(
            f"[yellow]{escape(attempt.target)}: failed[/yellow] after {attempt.received} items: "
            f"{escape(attempt.error or '')}"
            + (f"; next try at {when} UTC" if when else "; not retried"),
            highlight=False,
            soft_wrap=True,
        )


def _summary(attempts: list[Attempt]) -> dict[str, object]:
    return {
        "targets": [attempt.as_dict() for attempt in attempts],
        "published": sum(a.published for a in attempts),
        "duplicates": sum(a.duplicates for a in attempts),
        "rejected": sum(a.rejected for a in attempts),
        "failed": [a.target for a in attempts if not a.ok],
    }


async def _run(client: TikTokClient, runner: Runner, once: bool) -> list[Attempt]:
    async with client:
        if once:
            return await runner.run_once()
        await runner.run_forever()
        return []


def scrape(
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            "-t",
            metavar="KIND[:VALUE]",
            help="trending, hashtag:NAME, sound:ID, user:NAME or search:QUERY (repeatable).",
        ),
    ] = None,
    targets_file: Annotated[
        Path | None,
        typer.Option("--targets-file", help="TOML file of [[target]] tables (kind, value, ...)."),
    ] = None,
    budget: Annotated[
        int | None,
        typer.Option(
            "--budget",
            metavar="N",
            help="Items per run of a target; overrides TRENDMON_SCRAPE_BUDGET.",
        ),
    ] = None,
    interval: Annotated[
        str | None,
        typer.Option(
            "--interval",
            metavar="DURATION",
            help="Time between runs (90s, 10m, 1h); overrides TRENDMON_SCRAPE_INTERVAL.",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Run each target once, print a JSON summary, exit.")
    ] = False,
    bus: BusOption = None,
    home: HomeOption = None,
) -> None:
    """Scrape TikTok feeds with TikTokApi and publish video snapshots and source health.

    Needs the msToken cookie of a browser logged in to tiktok.com in TRENDMON_SCRAPE_MS_TOKENS
    and Chromium (TRENDMON_SCRAPE_CHROMIUM_PATH, /usr/bin/chromium by default). A blocked
    target (empty answer, captcha, invalid JSON, timeout) is recorded as failed in the
    source-health topic and retried with exponential backoff, never reported as "no trends".
    With --once the exit status is 1 when any target failed.

    \b
    Examples:
      trendmon scrape --target trending --target hashtag:dance --budget 50 --interval 10m
      trendmon scrape --targets-file targets.toml --once
    """
    try:
        settings = load(ScrapeSettings)
        targets: list[Target] = resolve_targets(
            target or [],
            targets_file,
            budget=settings.budget if budget is None else budget,
            interval=settings.interval if interval is None else interval,
        )
        preflight(settings)
        sink = bus_from_options(bus, home)
    except TrendmonError as exc:
        fail(str(exc))
    if not logging.getLogger().handlers:
        # TikTokApi's own log records (unexpected status codes, retries) go to stderr.
        logging.basicConfig(
            stream=sys.stderr, level=logging.WARNING, format="%(name)s: %(message)s"
        )
    err.print(
        f"scraping {', '.join(t.name for t in targets)}" + (" once" if once else ""),
        highlight=False,
        markup=False,
    )
    client = TikTokClient(settings)
    runner = Runner(client, sink, targets, settings=settings, on_attempt=_report)
    try:
        attempts = asyncio.run(_run(client, runner, once))
    except KeyboardInterrupt:
        err.print("stopped", highlight=False)
        return
    except TrendmonError as exc:
        fail(str(exc), code=1)
    finally:
        sink.close()
    if once:
        summary = _summary(attempts)
        print_json(summary)
        if summary["failed"]:
            raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("scrape")(scrape)
