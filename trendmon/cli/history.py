"""``trendmon history``: what the engine computed, read back from the history store as data."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from trendmon.cli.common import HomeOption, fail, parse_time_ms, print_jsonl
from trendmon.errors import TrendmonError
from trendmon.events import Spike, utc
from trendmon.settings import CoreSettings, load, resolve_namespace
from trendmon.sinks.factory import open_history
from trendmon.sinks.history import HistoryStore

SPIKES_HELP = """Print spikes as JSON Lines, oldest first, one spike a line.

Each line has `entity_type` (hashtag, sound, creator, effect), `entity` (the hashtag without #,
the sound id, the creator's unique id, the effect id), `market` (`all` for all markets together),
`detected_at` (ISO 8601 UTC, event time), `severity`, `evidence` (posted, pushed or both),
`summary` (the evidence in words) and the figures behind it. Reads the embedded history under
TRENDMON_HOME, or MongoDB with --mongo.

Example:

    trendmon history spikes --from 2026-01-05T00:00:00Z --market US --kind hashtag
"""

FORECASTS_HELP = """Print forecasts as JSON Lines, oldest first, one forecast a line.

Entity lines (hashtags and sounds, each market and `all`): `entity_type`, `entity` (as in
`history spikes`), `market`, `made_at` (ISO 8601 UTC, event time), `horizon_h` (6), `p_top20`
(the probability that its plays gained over the next 6 hours rank in the top 20 of its kind),
`in_top20_now`, `method` (model, or the baseline shown) and `backtest_hit_rate` (of the
backtest's forecasts in the same tenth of probability, the share that made it). Video lines:
`entity_type` video, `video_id`, `market`, `made_at`, `age_h` (1, 3 or 6), `plays_24h` and its
80% interval `plays_24h_low`, `plays_24h_high`. See docs/forecasts.md.

Example:

    trendmon history forecasts --from 2026-01-06T00:00:00Z --to 2026-01-06T06:00:00Z
"""

MongoOption = Annotated[
    bool, typer.Option("--mongo", help="Read the MongoDB history (distributed runtime).")
]
NamespaceOption = Annotated[
    str | None,
    typer.Option(
        "--namespace",
        help="Namespace of the history (a replay's, say); default TRENDMON_REDIS_NAMESPACE.",
    ),
]


def register(app: typer.Typer) -> None:
    """Add the command group to the app."""
    group = typer.Typer(
        name="history", help="Read what the engine computed (JSON Lines).", no_args_is_help=True
    )
    app.add_typer(group)
    _forecasts(group)

    @group.command(name="spikes", help=SPIKES_HELP)
    def spikes_cmd(
        since: Annotated[str | None, typer.Option("--from", help="Detected at or after.")] = None,
        until: Annotated[str | None, typer.Option("--to", help="Detected at or before.")] = None,
        market: Annotated[str | None, typer.Option("--market", help="Market, or all.")] = None,
        kind: Annotated[
            str | None, typer.Option("--kind", help="hashtag, sound, creator or effect.")
        ] = None,
        mongo: MongoOption = False,
        namespace: NamespaceOption = None,
        home: HomeOption = None,
    ) -> None:
        since_ms = parse_time_ms(since, "--from")
        until_ms = parse_time_ms(until, "--to")
        try:
            store = open_store(mongo, namespace, home)
        except (TrendmonError, ValueError) as exc:
            fail(str(exc))
        try:
            found = store.spikes(since_ms, until_ms, kind=kind, market=market, limit=10_000_000)
        finally:
            store.close()
        for spike in reversed(found):
            print_jsonl(spike_record(spike))


def _forecasts(group: typer.Typer) -> None:
    @group.command(name="forecasts", help=FORECASTS_HELP)
    def forecasts_cmd(
        since: Annotated[str | None, typer.Option("--from", help="Made at or after.")] = None,
        until: Annotated[str | None, typer.Option("--to", help="Made at or before.")] = None,
        mongo: MongoOption = False,
        namespace: NamespaceOption = None,
        home: HomeOption = None,
    ) -> None:
        since_ms = parse_time_ms(since, "--from")
        until_ms = parse_time_ms(until, "--to")
        try:
            store = open_store(mongo, namespace, home)
        except (TrendmonError, ValueError) as exc:
            fail(str(exc))
        try:
            found = store.forecasts(since_ms, until_ms)
        finally:
            store.close()
        for record in found:
            print_jsonl({k: v for k, v in record.items() if k not in ("id", "made_ms")})


def open_store(mongo: bool, namespace: str | None, home: Any) -> HistoryStore:
    """The history the flags name (the namespace defaults to TRENDMON_REDIS_NAMESPACE)."""
    namespace = resolve_namespace(namespace)
    if mongo:
        return open_history("mongo", namespace=namespace)
    return open_history("sqlite", home=load(CoreSettings, home=home).home, namespace=namespace)


def spike_record(s: Spike) -> dict[str, Any]:
    """A spike as the documented export record."""
    _, _, ident = s.entity.partition(":")
    return {
        "entity_type": s.kind,
        "entity": s.name if s.kind == "creator" else ident,
        "entity_key": s.entity,
        "name": s.name,
        "market": s.market,
        "detected_at": utc(s.detected_ms / 1000).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "severity": s.severity,
        "evidence": s.evidence,
        "summary": s.summary,
        "strength": s.z,
        "window_s": s.window_s,
        "new_videos": s.new_videos,
        "new_creators": s.new_creators,
        "posting_ratio": s.posting_ratio,
        "accelerated": s.accelerating,
        "out_there": s.out_there,
        "push_ratio": s.push_ratio,
        "plays_per_hour": s.value,
        "usual_plays_per_hour": s.baseline,
        "videos": s.videos,
        "spike_id": s.spike_id,
    }
