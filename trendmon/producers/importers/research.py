"""The official TikTok Research API: ``{"data": {"videos": [...]}}`` or a list of videos.

Its counts are exact (not rounded like the web's), its ids may be JSON numbers, and it names the
creator only by ``username``: that is used as the author id too, since no numeric id is given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trendmon.events import Author, Effect, Music, Stats, VideoSnapshot
from trendmon.producers.itemstruct import (
    BadItem,
    as_list,
    build,
    count,
    description,
    ident,
    is_live_or_empty,
    market_of,
    opt_count,
    seconds,
    text,
    timestamp,
)

NAME = "research"
_SIGNS = ("video_description", "view_count", "hashtag_names", "region_code", "favorites_count")


def looks_like(record: dict[str, Any]) -> bool:
    """Research API videos use snake_case names no TikTok web or mobile item has."""
    return any(key in record for key in _SIGNS) and "aweme_id" not in record


def parse(
    record: dict[str, Any], *, collected_at: datetime, source: str, market: str | None = None
) -> VideoSnapshot:
    """Map one Research API video to a snapshot; raise :class:`BadItem` naming the field."""
    if is_live_or_empty(record):
        raise BadItem("live room or empty id", "the video has no id", "$.id")
    video_id = ident(record.get("id"), "$.id")
    username = ident(record.get("username"), "$.username")
    assert video_id is not None and username is not None
    music_id = ident(record.get("music_id"), "$.music_id", required=False)
    hashtags = [
        name for name in as_list(record.get("hashtag_names"), "$.hashtag_names")
        if type(name) is str
    ]
    effects = [
        Effect(id=str(effect))
        for effect in as_list(record.get("effect_ids"), "$.effect_ids")
        if effect not in (None, "", 0, "0")
    ]
    return build(
        video_id=video_id,
        collected_at=collected_at,
        source=source,
        market=market_of(record.get("region_code"), market),
        create_time=timestamp(record.get("create_time"), "$.create_time"),
        description=description(record.get("video_description"), "$.video_description"),
        duration=seconds(record.get("video_duration"), "$.video_duration"),
        author=Author(id=username, unique_id=text(username, "$.username")),
        music=Music(id=music_id) if music_id else None,
        hashtags=hashtags,
        effects=effects,
        stats=Stats(
            plays=count(record.get("view_count"), "$.view_count"),
            likes=count(record.get("like_count"), "$.like_count"),
            comments=count(record.get("comment_count"), "$.comment_count"),
            shares=count(record.get("share_count"), "$.share_count"),
            saves=opt_count(record.get("favorites_count"), "$.favorites_count"),
        ),
        exact_counts=True,
    )
