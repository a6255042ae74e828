"""The explorer's tables: columns and rows from the data module, given a page's parameters.

A page shows a table and offers it as CSV and JSON; both come from the same function here, given
the same parameters (the page's filters, which the export link carries in its query string), so
the file holds exactly the rows on screen. :data:`TABLES` names them for ``/export/NAME.csv``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from trendmon.dashboard import formatting as fmt
from trendmon.dashboard.data import KINDS, METRICS, SEVERITIES, DashboardData, VideoFilter

Params = Mapping[str, str]
SPANS_MS: Final = {"1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000, "all": 0}
METRIC_LABELS: Final = {
    "plays": "Plays",
    "likes": "Likes",
    "comments": "Comments",
    "shares": "Shares",
    "engagement": "Engagement rate",
    "velocity": "Velocity (plays/h)",
}


@dataclass(frozen=True)
class Column:
    """A column: the row key, its header, how to format it, where it links."""

    key: str
    label: str
    kind: str = "plain"
    """plain, text (untrusted), count, compact, rate, percent, growth, time, bool, change,
    score."""
    href: Callable[[dict[str, Any]], str | None] | None = None
    limit: int = 80


@dataclass
class Table:
    name: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    params: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    empty: str = "Nothing to show yet."

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


def _video_link(row: dict[str, Any]) -> str:
    return f"/video/{quote(str(row.get('video_id', '')), safe='')}"


def _entity_link(row: dict[str, Any]) -> str | None:
    entity = str(row.get("entity") or "")
    kind, _, ident = entity.partition(":")
    return f"/{kind}/{quote(ident, safe='')}" if ident else None


def _creator_link(row: dict[str, Any]) -> str | None:
    author_id = row.get("author_id")
    return f"/creator/{quote(str(author_id), safe='')}" if author_id else None


def _choice(params: Params, name: str, allowed: tuple[str, ...] | list[str], default: str) -> str:
    value = params.get(name) or default
    return value if value in allowed else default


def _int(params: Params, name: str, default: int | None, top: int = 1_000_000_000) -> int | None:
    try:
        value = int(str(params.get(name, "")).replace(",", "").strip())
    except ValueError:
        return default
    return min(max(value, 0), top)


def common(data: DashboardData, params: Params) -> dict[str, str]:
    """The market and window a page asks for, checked against what exists."""
    markets = data.markets()
    return {
        "market": _choice(params, "market", markets, "all"),
        "window": _choice(
            params, "window", data.windows, "24h" if "24h" in data.windows else data.windows[0]
        ),
    }


def rankings(data: DashboardData, params: Params) -> Table:
    """Videos by a metric, with the rankings page's filters."""
    base = common(data, params)
    metric = _choice(params, "metric", tuple(METRICS), "velocity")
    n = _int(params, "n", 50, 500) or 50
    where = VideoFilter(
        hashtag=(params.get("hashtag") or "").strip() or None,
        sound=(params.get("sound") or "").strip() or None,
        verified=params.get("verified") in ("1", "true", "on", "yes"),
        min_followers=_int(params, "min_followers", None),
    )
    board = data.video_board(metric, base["market"], base["window"], n, where)
    rows = []
    for card in board["rows"]:
        rows.append({**card, "author_at": f"@{card.get('author') or ''}"})
    note = None
    if where.active and not board["complete"]:
        note = (
            f"Looked through the top {board['scanned']:,} of {board['total']:,} videos on this "
            f"board and found {len(rows)} that match; loosen the filters to see more."
        )
    columns = [
        Column("rank", "#"),
        Column("description", "Video", "text", _video_link, 70),
        Column("author_at", "Creator", "text", _creator_link, 30),
        Column("verified", "✔", "bool"),
        Column("followers", "Followers", "compact"),
        Column("market", "Market"),
        Column("plays", "Plays", "count"),
        Column("likes", "Likes", "count"),
        Column("comments", "Comments", "count"),
        Column("shares", "Shares", "count"),
        Column("engagement_rate", "Engagement", "percent"),
        Column("velocity", "Plays/h", "rate"),
        Column("music_title", "Sound", "text", None, 30),
        Column("video_id", "Video id"),
    ]
    params_out = {
        **base,
        "metric": metric,
        "n": str(n),
        "hashtag": where.hashtag or "",
        "sound": where.sound or "",
        "verified": "1" if where.verified else "",
        "min_followers": str(where.min_followers or ""),
    }
    return Table(
        "rankings",
        columns,
        rows,
        params_out,
        note,
        "No video matches these filters." if where.active else "No videos on this board yet.",
    )


def trends(data: DashboardData, params: Params) -> Table:
    """An entity kind's trend table: score, growth, lifecycle stage, rank change, new entries."""
    base = common(data, params)
    kind = _choice(params, "kind", KINDS, "hashtag")
    n = _int(params, "n", 100, 500) or 100
    rows = data.entity_board(kind, base["market"], base["window"], n)
    for row in rows:
        row["move"] = fmt.rank_change(
            row.get("rank"), row.get("prev_rank"), bool(row.get("is_new"))
        )[0]
    columns = [
        Column("rank", "#"),
        Column("move", "Move", "change"),
        Column("name", kind.capitalize(), "text", _entity_link, 60),
        Column("score", "Score", "score"),
        Column("growth", "Growth", "growth"),
        Column("stage", "Stage"),
        Column("plays", "Plays in window", "compact"),
        Column("velocity", "Plays/h", "rate"),
        Column("videos", "Videos", "compact"),
        Column("creators", "Creators", "compact"),
        Column("is_new", "New", "bool"),
        Column("prev_rank", "Previous rank"),
        Column("entity", "Key", "text", None, 40),
    ]
    return Table("trends", columns, rows, {**base, "kind": kind, "n": str(n)})


def spikes(data: DashboardData, params: Params) -> Table:
    """Spikes, live (the newest the live store keeps) or from the history, filtered."""
    source = _choice(params, "source", ("live", "history"), "live")
    kind = _choice(params, "kind", ("any", *KINDS), "any")
    market = _choice(params, "market", data.markets(), "all")
    severity = _choice(params, "severity", ("any", *SEVERITIES), "any")
    span = _choice(params, "span", tuple(SPANS_MS), "all")
    entity = (params.get("entity") or "").strip() or None
    n = _int(params, "n", 100, 1000) or 100
    kind_arg = None if kind == "any" else kind
    severity_arg = None if severity == "any" else severity
    if source == "live":
        rows = data.latest_spikes(
            n, kind=kind_arg, market=market, severity=severity_arg, entity=entity
        )
    else:
        end = data.freshness()["watermark_ms"]
        since = end - SPANS_MS[span] if end is not None and SPANS_MS[span] else None
        rows = data.spike_history(
            since_ms=since,
            kind=kind_arg,
            market=None if market == "all" else market,
            entity=entity,
            severity=severity_arg,
            limit=n,
        )
    for row in rows:
        baseline = row.get("baseline") or 0
        row["ratio"] = round(row["value"] / baseline, 2) if baseline else None
    columns = [
        Column("detected_ms", "Detected", "time"),
        Column("name", "Entity", "text", _entity_link, 50),
        Column("kind", "Kind"),
        Column("market", "Market"),
        Column("severity", "Severity"),
        Column("value", "Plays/h", "rate"),
        Column("baseline", "Baseline", "rate"),
        Column("ratio", "× baseline"),
        Column("summary", "Evidence", "text", None, 160),
        Column("z", "Strength"),
        Column("videos", "Videos"),
        Column("spike_id", "Spike id", "text", None, 60),
    ]
    params_out = {
        "source": source,
        "kind": kind,
        "market": market,
        "severity": severity,
        "span": span,
        "entity": entity or "",
        "n": str(n),
    }
    return Table("spikes", columns, rows, params_out, empty="No spikes match.")


def entity_videos(data: DashboardData, params: Params) -> Table:
    """The videos that carry an entity (its detail page), latest snapshot each."""
    entity = params.get("entity") or ""
    n = _int(params, "n", 50, 500) or 50
    rows = []
    for doc in data.videos_with(entity, limit=n):
        author, stats, music = doc.get("author") or {}, doc.get("stats") or {}, doc.get("music")
        rows.append(
            {
                "video_id": doc.get("video_id"),
                "description": doc.get("description", ""),
                "author_id": author.get("id"),
                "author_at": f"@{author.get('unique_id') or author.get('id') or ''}",
                "market": doc.get("market"),
                "collected_at": doc.get("collected_at"),
                "rounded": not doc.get("exact_counts", False),
                "music_title": (music or {}).get("title", ""),
                **{k: stats.get(k) for k in ("plays", "likes", "comments", "shares")},
            }
        )
    rows.sort(key=lambda r: -(r.get("plays") or 0))
    columns = [
        Column("description", "Video", "text", _video_link, 70),
        Column("author_at", "Creator", "text", _creator_link, 30),
        Column("market", "Market"),
        Column("plays", "Plays", "count"),
        Column("likes", "Likes", "count"),
        Column("comments", "Comments", "count"),
        Column("shares", "Shares", "count"),
        Column("collected_at", "Last seen"),
        Column("video_id", "Video id"),
    ]
    return Table("entity_videos", columns, rows, {"entity": entity, "n": str(n)})


def entity_history(data: DashboardData, params: Params) -> Table:
    """An entity's score history in a market and window."""
    base = common(data, params)
    entity = params.get("entity") or ""
    rows = data.entity_series(entity, base["market"], base["window"])
    columns = [
        Column("at_ms", "Tick", "time"),
        Column("score", "Score", "score"),
        Column("rank", "Rank"),
        Column("plays", "Plays in window", "compact"),
        Column("velocity", "Plays/h", "rate"),
        Column("growth", "Growth", "growth"),
        Column("stage", "Stage"),
        Column("videos", "Videos"),
    ]
    return Table("entity_history", columns, rows[::-1], {**base, "entity": entity})


def video_history(data: DashboardData, params: Params) -> Table:
    """A video's counts over time."""
    video_id = params.get("video") or ""
    rows = data.video_series(video_id)
    columns = [
        Column("collected_ms", "Collected", "time"),
        Column("plays", "Plays", "count"),
        Column("likes", "Likes", "count"),
        Column("comments", "Comments", "count"),
        Column("shares", "Shares", "count"),
        Column("saves", "Saves", "count"),
    ]
    return Table("video_history", columns, rows[::-1], {"video": video_id})


def health_sources(data: DashboardData, params: Params) -> Table:
    """Each scraper target's freshness and failures (from ``source-health``)."""
    now_ms = data.freshness()["now_ms"]
    rows = []
    for doc in data.health().get("sources", []):
        last = doc.get("last_success")
        age = None
        if last:
            seen = datetime.fromisoformat(str(last).replace("Z", "+00:00")).timestamp()
            age = round(now_ms / 1000 - seen)
        rows.append({**doc, "age_s": age})
    columns = [
        Column("target", "Target", "text", None, 60),
        Column("ok", "Last attempt ok", "bool"),
        Column("items", "Items"),
        Column("last_success", "Last success"),
        Column("age_s", "Seconds since success"),
        Column("consecutive_failures", "Failures in a row"),
        Column("last_error", "Last error", "text", None, 80),
        Column("next_attempt_at", "Next attempt"),
    ]
    return Table(
        "health_sources", columns, rows, empty="No scraper has reported yet (source-health)."
    )


def health_dead_letters(data: DashboardData, params: Params) -> Table:
    rows = data.health().get("dead_letters", [])
    columns = [
        Column("reason", "Reason", "text", None, 100),
        Column("count", "Dead letters"),
        Column("last_at", "Last"),
    ]
    return Table("health_dead_letters", columns, rows, empty="No dead letters.")


def health_rates(data: DashboardData, params: Params) -> Table:
    rows = [dict(r) for r in data.health().get("rates", [])]
    for i, row in enumerate(rows):
        row["series"] = f"source {i + 1}" if i < 8 else ""
    columns = [
        Column("series", "Chart line"),
        Column("source", "Source", "text", None, 60),
        Column("events", "Events (last 30 min of event time)"),
        Column("per_minute", "Per minute", "compact"),
        Column("last_minute", "In the last minute"),
    ]
    return Table("health_rates", columns, rows, empty="The snapshots topic is empty.")


def next_up(data: DashboardData, params: Params) -> Table:
    """Hashtags and sounds most likely to enter their top 20 within 6 hours, of those not in
    it now, with the backtested hit rate at that confidence (docs/forecasts.md)."""
    market = _choice(params, "market", data.markets(), "all")
    rows = data.next_up(market)
    columns = [
        Column("name", "Entity", "text", _entity_link, 50),
        Column("kind", "Kind"),
        Column("p_top20", "Chance of the top 20 in 6 h", "percent"),
        Column("backtest_hit_rate", "Backtest: made it at that chance", "percent"),
        Column("method", "Method"),
        Column("made_at", "Made at (event time)"),
    ]
    return Table("next_up", columns, rows, {"market": market},
                 empty="No forecasts yet: they are scored with TRENDMON_FORECAST_ENABLED=true "
                 "(and `trendmon forecast train` for a model), see docs/forecasts.md.")  # fmt: skip


TABLES: Final[dict[str, Callable[[DashboardData, Params], Table]]] = {
    "rankings": rankings,
    "trends": trends,
    "spikes": spikes,
    "next_up": next_up,
    "entity_videos": entity_videos,
    "entity_history": entity_history,
    "video_history": video_history,
    "health_sources": health_sources,
    "health_dead_letters": health_dead_letters,
    "health_rates": health_rates,
}
