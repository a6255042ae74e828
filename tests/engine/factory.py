"""Tiny snapshot builders for engine tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trendmon.events import Author, Effect, Music, Stats, VideoSnapshot, new_snapshot

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def snap(
    video: str = "7000000000000000001",
    minutes: float = 0,
    plays: int = 1000,
    likes: int = 100,
    comments: int = 10,
    shares: int = 5,
    saves: int | None = 2,
    *,
    tags: tuple[str, ...] = ("dance",),
    sound: str | None = "6900000000000000001",
    author: str = "6800000000000000001",
    market: str = "US",
    created_minutes: float | None = -60,
    effects: tuple[str, ...] = (),
    exact: bool | None = True,
    source: str = "simulator",
) -> VideoSnapshot:
    at = T0 + timedelta(minutes=minutes)
    return new_snapshot(
        video_id=video,
        collected_at=at,
        source=source,
        market=market,
        create_time=None if created_minutes is None else T0 + timedelta(minutes=created_minutes),
        author=Author(id=author, unique_id=f"user{author[-3:]}", followers=1000),
        music=Music(id=sound, title=f"sound {sound[-3:]}") if sound else None,
        hashtags=list(tags),
        effects=[Effect(id=e, name=f"effect {e}") for e in effects],
        stats=Stats(plays=plays, likes=likes, comments=comments, shares=shares, saves=saves),
        exact_counts=exact,
    )
