"""tikwm.com's API (``api/user/posts`` and its kin): snake_case counts, hashtags only in the text.

A user's posts come as ``{"code": 0, "msg": "success", "data": {"videos": [...], "cursor": ...,
"hasMore": ...}}`` (the ``data`` wrapper and its ``videos`` list are unwrapped by the readers) or
as the bare items, one per line. One item looks like::

    {"video_id": "7549...", "id": "7549...", "title": "yep #riderskill", "create_time": 1757783407,
     "region": "FR", "duration": 12, "play": "https://...", "cover": "https://...",
     "play_count": 334, "digg_count": 32, "comment_count": 2, "share_count": 1,
     "collect_count": 2, "author": {"id": "68...", "unique_id": "someone", "nickname": "..."},
     "music_info": {"id": "75...", "title": "...", "author": "...", "original": true}}

Archived copies may hold the counts in ``stats`` and the text in ``desc`` instead (both read).
``api/user/posts`` items name no author (they are one account's): the account then comes from
the importer's ``author`` (``trendmon import --author NAME``), used as the author's id too, as
the Research API's username is. An item without a video id is refused, unless a tikwm-hosted
media URL (``tikwm.com/video/media/play/ID.mp4``, ``/video/cover/ID.webp``) names it: TikTok's
CDN URLs do not hold the id, and no id is ever made up.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

from trendmon.events import Author, Music, Stats, VideoSnapshot
from trendmon.producers.itemstruct import (
    BadItem,
    as_dict,
    build,
    count,
    description,
    flag,
    hashtags_in,
    ident,
    market_of,
    opt_count,
    seconds,
    text,
    timestamp,
)

NAME: Final = "tikwm"
_SIGNS: Final = ("play_count", "wmplay", "hdplay", "music_info")
_URLS: Final = ("play", "hdplay", "wmplay", "cover", "origin_cover", "ai_dynamic_cover")
# tikwm's own media URLs are keyed by the video id; TikTok's CDN URLs are not.
_TIKWM_MEDIA = re.compile(
    r"^https?://(?:www\.)?tikwm\.com/video/(?:media/(?:hd|wm)?play|cover)/(\d{6,25})\.\w+(?:$|\?)"
)


def looks_like(record: dict[str, Any]) -> bool:
    """tikwm items have snake_case counts (``play_count``) at the top or in ``stats``, or its
    media fields; mobile aweme items, which share the names, carry ``aweme_id``."""
    if "aweme_id" in record:
        return False
    if any(key in record for key in _SIGNS):
        return True
    stats = record.get("stats")
    return type(stats) is dict and "play_count" in stats


def parse(
    record: dict[str, Any],
    *,
    collected_at: datetime,
    source: str,
    market: str | None = None,
    author: str | None = None,
) -> VideoSnapshot:
    """Map one tikwm item to a snapshot; raise :class:`BadItem` naming the field.

    ``author`` is the account's unique id, for items that name no author.
    """
    video_id = _video_id(record)
    counts = record.get("stats")
    if counts is not None:
        counts, path = as_dict(counts, "$.stats"), "$.stats."
    elif "play_count" in record:
        counts, path = record, "$."  # the API's own shape: counts beside the other fields
    else:
        raise BadItem("missing field", "$.stats is missing, and no play_count beside it", "$.stats")
    stats = Stats(
        plays=count(counts.get("play_count"), path + "play_count"),
        likes=count(counts.get("digg_count"), path + "digg_count"),
        comments=count(counts.get("comment_count"), path + "comment_count"),
        shares=count(counts.get("share_count"), path + "share_count"),
        saves=opt_count(counts.get("collect_count"), path + "collect_count"),
    )
    field = "$.desc" if "desc" in record else "$.title"
    desc = description(record.get(field[2:]), field)
    return build(
        video_id=video_id,
        collected_at=collected_at,
        source=source,
        market=market_of(record.get("region"), market),
        create_time=timestamp(record.get("create_time"), "$.create_time"),
        description=desc,
        duration=seconds(record.get("duration"), "$.duration"),
        author=_author(record, author),
        music=_music(record),
        hashtags=hashtags_in(desc),
        stats=stats,
        is_ad=flag(record.get("is_ad")),
    )


def _video_id(record: dict[str, Any]) -> str:
    """``id`` or ``video_id`` (the same value when both are given), else the id in a tikwm
    media URL."""
    first = ident(record.get("id"), "$.id", required=False)
    second = ident(record.get("video_id"), "$.video_id", required=False)
    if first and second and first != second:
        raise BadItem(
            "conflicting ids", f"$.id is {first} but $.video_id is {second}", "$.video_id"
        )
    video_id = first or second
    if video_id:
        return video_id
    for key in _URLS:
        url = record.get(key)
        if type(url) is str and (match := _TIKWM_MEDIA.match(url)):
            return match.group(1)
    raise BadItem(
        "no video id",
        "$.id is empty, there is no $.video_id, and no tikwm media URL names the video "
        "(TikTok's CDN URLs in play and cover do not hold its id)",
        "$.id",
    )


def _author(record: dict[str, Any], account: str | None) -> Author:
    raw = record.get("author")
    if raw is not None:
        a = as_dict(raw, "$.author")
        unique_id = text(a.get("unique_id"), "$.author.unique_id")
        author_id = ident(a.get("id"), "$.author.id", required=False) or unique_id
        if author_id:
            return Author(
                id=author_id,
                unique_id=unique_id,
                nickname=text(a.get("nickname"), "$.author.nickname"),
            )
    if account:
        return Author(id=account, unique_id=account)
    raise BadItem(
        "no author",
        "$.author is missing: tikwm's user posts name no author; pass --author with the "
        "account's unique id",
        "$.author",
    )


def _music(record: dict[str, Any]) -> Music | None:
    # ``music`` is the sound's download URL in tikwm; ``music_info`` describes it.
    m = as_dict(record.get("music_info"), "$.music_info")
    music_id = ident(m.get("id"), "$.music_info.id", required=False)
    if not music_id:
        return None
    return Music(
        id=music_id,
        title=text(m.get("title"), "$.music_info.title"),
        author_name=text(m.get("author"), "$.music_info.author"),
        original=flag(m.get("original")),
    )


def names_no_author(record: dict[str, Any]) -> bool:
    """True for an item whose author must come from the importer's ``author``."""
    raw = record.get("author")
    return type(raw) is not dict or not (raw.get("id") or raw.get("unique_id"))
