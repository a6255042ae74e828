"""Tiny histories built by hand: snapshot(video, hour, plays, tags...)."""

from __future__ import annotations

from datetime import timedelta

from trendmon.events import Author, Music, Stats, VideoSnapshot, new_snapshot, utc

T0 = utc("2026-01-05T00:00:00Z")
H0 = int(T0.timestamp() * 1000) // 3_600_000


def snap(
    video: str,
    hours: float,
    plays: int,
    *tags: str,
    market: str = "US",
    author: str = "a1",
    posted: float = 0.0,
    sound: str | None = None,
) -> VideoSnapshot:
    """A snapshot of ``video`` ``hours`` after T0, posted ``posted`` hours after T0."""
    return new_snapshot(
        video_id=video,
        collected_at=T0 + timedelta(hours=hours),
        source="simulator",
        market=market,
        create_time=T0 + timedelta(hours=posted),
        author=Author(id=author, unique_id=author, followers=100),
        music=Music(id=sound) if sound else None,
        hashtags=list(tags),
        stats=Stats(plays=plays, likes=0, comments=0, shares=0),
    )
