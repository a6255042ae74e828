"""The bodies of an alert: a versioned JSON webhook, a Slack message, a Discord message.

One delivery lists one or more spikes (spikes of a subscription within the grouping window go
out together). Every body stays under :data:`MAX_BODY` bytes: spikes that do not fit are
counted in ``more`` (webhook) or in a last line (Slack, Discord), never cut mid-record.

Webhook body (``v`` 1, see docs/alerts.md)::

    {"type": "trendmon.spikes", "v": 1, "id": "msg_…", "timestamp": "2026-…Z",
     "data": {"subscription": "sub_…", "more": 0, "spikes": [{
        "spike_id", "entity", "kind", "name", "market", "severity", "evidence", "summary",
        "ratio", "plays_per_hour", "usual_plays_per_hour", "strength",
        "window": {"start", "end", "seconds"}, "detected_at", "link"}]}}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import orjson

from trendmon.alerts.subscriptions import Subscription
from trendmon.events import Spike, utc

VERSION = 1
MAX_BODY = 20_000
"""Bytes: well under Slack's and Discord's limits, and any receiver's."""
SUMMARY_CHARS = 600
SLACK_MAX_SPIKES = 20
"""Slack allows 50 blocks; two per spike and a header."""
DISCORD_MAX_EMBEDS = 10
"""Discord's limit of embeds per message."""
COLORS = {"notable": 0xF2C94C, "major": 0xF2994A, "extreme": 0xEB5757}


@dataclass(frozen=True)
class Rendered:
    """What is posted: the URL (Discord's gets ``wait=true``) and the body."""

    url: str
    body: bytes


def _iso(ms: int) -> str:
    return utc(ms / 1000).strftime("%Y-%m-%dT%H:%M:%SZ")


def _label(spike: Spike) -> str:
    prefix = {"hashtag": "#", "creator": "@"}.get(spike.kind, "")
    return f"{prefix}{spike.name.lstrip('#@')}" if spike.name else spike.entity


def link(spike: Spike, dashboard_url: str) -> str:
    """The dashboard page of the spike's entity in its market."""
    kind, _, ident = spike.entity.partition(":")
    market = f"?market={quote(spike.market)}" if spike.market != "all" else ""
    return f"{dashboard_url.rstrip('/')}/{kind}/{quote(ident, safe='')}{market}"


def ratio(spike: Spike) -> float | None:
    """Plays per hour over the usual plays per hour (None without a usual)."""
    return round(spike.value / spike.baseline, 2) if spike.baseline > 0 else None


def spike_record(spike: Spike, dashboard_url: str) -> dict[str, Any]:
    """One spike as the webhook body lists it."""
    start = spike.detected_ms - spike.window_s * 1000
    return {
        "spike_id": spike.spike_id,
        "entity": spike.entity,
        "kind": spike.kind,
        "name": spike.name,
        "market": spike.market,
        "severity": spike.severity,
        "evidence": spike.evidence,
        "summary": spike.summary[:SUMMARY_CHARS],
        "ratio": ratio(spike),
        "plays_per_hour": round(spike.value, 1),
        "usual_plays_per_hour": round(spike.baseline, 1),
        "strength": round(spike.z, 2),
        "window": {"start": _iso(start), "end": _iso(spike.detected_ms), "seconds": spike.window_s},
        "detected_at": _iso(spike.detected_ms),
        "link": link(spike, dashboard_url),
    }


def _fit(items: list[Any], make: Any) -> tuple[bytes, int]:
    """The body of the longest prefix of ``items`` that fits, and how many were left out (a
    binary search: a body's size grows with the prefix)."""
    body: bytes = make(items, 0)
    if len(body) <= MAX_BODY:
        return body, 0
    lo, hi = 0, len(items) - 1  # lo always fits (an empty list does)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(make(items[:mid], len(items) - mid)) <= MAX_BODY:
            lo = mid
        else:
            hi = mid - 1
    return make(items[:lo], len(items) - lo), len(items) - lo


def webhook(
    sub: Subscription,
    spikes: Sequence[Spike],
    msg_id: str,
    now_ms: int,
    dashboard_url: str,
    *,
    test: bool = False,
) -> bytes:
    """The Standard Webhooks body, versioned JSON."""
    records = [spike_record(s, dashboard_url) for s in spikes]

    def make(kept: list[dict[str, Any]], more: int) -> bytes:
        doc: dict[str, Any] = {
            "type": "trendmon.test" if test else "trendmon.spikes",
            "v": VERSION,
            "id": msg_id,
            "timestamp": _iso(now_ms),
            "data": {"subscription": sub.id, "more": more, "spikes": kept},
        }
        return orjson.dumps(doc)

    return _fit(records, make)[0]


def _line(spike: Spike) -> str:
    r = ratio(spike)
    times = f", {r:g}x its usual plays" if r is not None else ""
    return f"{_label(spike)} ({spike.kind}, {spike.market}) is taking off: {spike.severity}{times}"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(spikes: Sequence[Spike], dashboard_url: str, *, test: bool = False) -> bytes:
    """A Slack incoming-webhook message: ``text`` (notifications) and ``blocks``."""
    head = (
        "trendmon test alert" if test else (f"{len(spikes)} spikes" if len(spikes) > 1 else "Spike")
    )

    def make(kept: list[Spike], more: int) -> bytes:
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": head[:150]}}
        ]
        for s in kept:
            text = (
                f"*<{link(s, dashboard_url)}|{_slack_escape(_label(s))}>* "
                f"{_slack_escape(_line(s).split(' ', 1)[1])}\n"
                f"{_slack_escape(s.summary[:SUMMARY_CHARS])}"
            )
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}})
        if more:
            blocks.append(
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"and {more} more on the dashboard"}],
                }
            )
        text = "; ".join(_line(s) for s in kept) or head
        return orjson.dumps({"text": _slack_escape(text)[:3000], "blocks": blocks})

    return _fit(list(spikes)[:SLACK_MAX_SPIKES], make)[0] if spikes else make([], 0)


def discord(spikes: Sequence[Spike], dashboard_url: str, *, test: bool = False) -> bytes:
    """A Discord webhook message: ``content`` and up to ten ``embeds``."""
    head = (
        "trendmon test alert" if test else (f"{len(spikes)} spikes" if len(spikes) > 1 else "Spike")
    )

    # Discord would ping on @everyone or a role in names; allowed_mentions turns that off.
    def make(kept: list[Spike], more: int) -> bytes:
        embeds = [
            {
                "title": _label(s)[:250],
                "url": link(s, dashboard_url),
                "description": (f"{s.kind}, {s.market}: {s.severity}\n{s.summary[:SUMMARY_CHARS]}")[
                    :4000
                ],
                "color": COLORS.get(s.severity, 0),
                "timestamp": _iso(s.detected_ms),
            }
            for s in kept
        ]
        content = head + (f" (and {more} more on the dashboard)" if more else "")
        return orjson.dumps(
            {"content": content[:2000], "embeds": embeds, "allowed_mentions": {"parse": []}}
        )

    return _fit(list(spikes)[:DISCORD_MAX_EMBEDS], make)[0] if spikes else make([], 0)


def with_wait(url: str) -> str:
    """Discord answers 204 and drops a refused message unless asked to ``wait=true``."""
    parts = urlsplit(url)
    query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("wait="))
    query = f"{query}&wait=true" if query else "wait=true"
    return urlunsplit(parts._replace(query=query))


def render(
    sub: Subscription,
    spikes: Sequence[Spike],
    msg_id: str,
    now_ms: int,
    dashboard_url: str,
    *,
    test: bool = False,
) -> Rendered:
    """The URL and body of one delivery in the subscription's format."""
    if sub.format == "slack":
        return Rendered(sub.target, slack(spikes, dashboard_url, test=test))
    if sub.format == "discord":
        return Rendered(with_wait(sub.target), discord(spikes, dashboard_url, test=test))
    return Rendered(sub.target, webhook(sub, spikes, msg_id, now_ms, dashboard_url, test=test))
