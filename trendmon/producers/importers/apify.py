"""Apify / tiktok-scraper JSON: flat counts beside ``authorMeta``, ``musicMeta``, ``videoMeta``.

One record looks like ``{"id": "...", "text": "...", "createTimeISO": "2024-...Z", "playCount": 1,
"diggCount": 1, "commentCount": 1, "shareCount": 1, "collectCount": 1, "authorMeta": {"id", "name",
"nickName", "verified", "fans", "following", "heart", "video"}, "musicMeta": {"musicId",
"musicName", "musicAuthor", "musicOriginal"}, "videoMeta": {"duration"}, "hashtags": [{"name"}]}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trendmon.events import Author, Effect, Music, Stats, VideoSnapshot
from trendmon.producers.itemstruct import (
    BadItem,
    as_dict,
    as_list,
    build,
    count,
    description,
    flag,
    ident,
    is_live_or_empty,
    market_of,
    opt_count,
    seconds,
    text,
    timestamp,
)

NAME = "apify"


def looks_like(record: dict[str, Any]) -> bool:
    """Apify items carry ``authorMeta`` or ``musicMeta``; no other format does."""
    return "authorMeta" in record or "musicMeta" in record


def parse(
    record: dict[str, Any], *, collected_at: datetime, source: str, market: str | None = None
) -> VideoSnapshot:
    """Map one Apify/tiktok-scraper item to a snapshot; raise :class:`BadItem` naming the field."""
    if is_live_or_empty(record):
        raise BadItem("live room or empty id", "the item has no video id", "$.id")
    video_id = ident(record.get("id"), "$.id")
    meta = as_dict(record.get("authorMeta"), "$.authorMeta")
    author_id = ident(meta.get("id"), "$.authorMeta.id")
    assert video_id is not None and author_id is not None
    author = Author(
        id=author_id,
        unique_id=text(meta.get("name") or meta.get("uniqueId"), "$.authorMeta.name"),
        nickname=text(meta.get("nickName") or meta.get("nickname"), "$.authorMeta.nickName"),
        verified=flag(meta.get("verified")),
        followers=opt_count(meta.get("fans"), "$.authorMeta.fans"),
        following=opt_count(meta.get("following"), "$.authorMeta.following"),
        hearts=opt_count(meta.get("heart"), "$.authorMeta.heart"),
        videos=opt_count(meta.get("video"), "$.authorMeta.video"),
    )
    music = None
    m = as_dict(record.get("musicMeta"), "$.musicMeta")
    music_id = ident(m.get("musicId"), "$.musicMeta.musicId", required=False)
    if music_id:
        music = Music(
            id=music_id,
            title=text(m.get("musicName"), "$.musicMeta.musicName"),
            author_name=text(m.get("musicAuthor"), "$.musicMeta.musicAuthor"),
            original=flag(m.get("musicOriginal")),
        )
    hashtags = [
        tag["name"]
        for tag in as_list(record.get("hashtags"), "$.hashtags")
        if type(tag) is dict and type(tag.get("name")) is str
    ]
    effects = [
        Effect(id=str(sticker.get("ID") or sticker["id"]), name=text(sticker.get("name"), "$.name"))
        for sticker in as_list(record.get("effectStickers"), "$.effectStickers")
        if type(sticker) is dict and (sticker.get("ID") or sticker.get("id"))
    ]
    created = record.get("createTimeISO") or record.get("createTime")
    return build(
        video_id=video_id,
        collected_at=collected_at,
        source=source,
        market=market_of(record.get("locationCreated"), market),
        create_time=timestamp(created, "$.createTimeISO"),
        description=description(record.get("text"), "$.text"),
        duration=seconds(as_dict(record.get("videoMeta"), "$.videoMeta").get("duration"),
                         "$.videoMeta.duration"),
        author=author,
        music=music,
        hashtags=hashtags,
        effects=effects,
        stats=Stats(
            plays=count(record.get("playCount"), "$.playCount"),
            likes=count(record.get("diggCount"), "$.diggCount"),
            comments=count(record.get("commentCount"), "$.commentCount"),
            shares=count(record.get("shareCount"), "$.shareCount"),
            saves=opt_count(record.get("collectCount"), "$.collectCount"),
        ),
        is_ad=flag(record.get("isAd")),
    )
