"""The TikTok video item parser: web "itemStruct" (and SIGI ``ItemModule``) and mobile "aweme".

:func:`parse_item` turns one item as TikTok sends it into a
:class:`~trendmon.events.VideoSnapshot` or raises :class:`BadItem` (a
:class:`~trendmon.errors.SchemaError`) with a short ``reason`` to count rejects by and the JSON
path of the offending ``field``::

    snapshot = parse_item(item, collected_at=now, source="trending", market="US")

What it survives (see ``docs/architecture.md``, "Producers and real TikTok data"): ``statsV2``
string counts (preferred over the rounded ``stats``), ``author`` as an object or as a bare string
with ``authorId``/``nickname`` beside it, ``createTime`` as int or string, no ``collectCount`` in
old items, hashtags in ``challenges``, ``textExtra`` or ``contents``, ``effectStickers[].ID``.

This runs once per imported item, so it is a direct mapping with dict lookups: no regexes, no
copies. The field coercions (:func:`count`, :func:`text`, ...) are shared by the file importers.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from trendmon.errors import SchemaError
from trendmon.events import (
    MAX_DESCRIPTION,
    Author,
    Effect,
    Music,
    Stats,
    VideoSnapshot,
    new_snapshot,
    utc,
)


class BadItem(SchemaError):
    """An item that cannot become a snapshot; ``reason`` is a short category to count by."""

    def __init__(self, reason: str, message: str, field: str | None = None) -> None:
        super().__init__(message, field)
        self.reason = reason


# --- field coercions (shared with the importers) -------------------------------------------


def count(value: object, field: str) -> int:
    """A required engagement count: an int, a digit string (``statsV2``) or an integral float."""
    # Fast paths first: ints (stats) and digit strings (statsV2) are nearly every count.
    if type(value) is int:
        if value >= 0:
            return value
    elif type(value) is str:
        try:
            number = int(value)
        except ValueError:
            pass
        else:
            if number >= 0:
                return number
    if value is None or value == "":
        raise BadItem("missing field", f"{field} is missing", field)
    return _coerce_count(value, field)


def opt_count(value: object, field: str) -> int | None:
    """An optional count: ``None`` when absent, otherwise as strict as :func:`count`."""
    if value is None or value == "":
        return None
    return count(value, field)


def _coerce_count(value: object, field: str) -> int:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise BadItem(
                "non-numeric count", f"{field} is {str(value)[:40]!r}, not a number", field
            ) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadItem(
            "wrong type", f"{field} is a {type(value).__name__}, expected a count", field
        )
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BadItem("not a number", f"{field} is {value}, expected a count", field)
        if not value.is_integer():
            raise BadItem("non-numeric count", f"{field} is {value}, not a whole number", field)
    number = int(value)
    if number < 0:
        raise BadItem("negative count", f"{field} is {number}, a count cannot be negative", field)
    return number


def ident(value: object, field: str, *, required: bool = True) -> str | None:
    """An id as a string (ids are strings; ints are accepted, floats have lost digits)."""
    if type(value) is str and value:
        return value
    if type(value) is int and value > 0:
        return str(value)
    if value is None or value == "" or value == 0 or value == "0":
        if required:
            raise BadItem("missing field", f"{field} is missing or empty", field)
        return None
    raise BadItem("wrong type", f"{field} is a {type(value).__name__}, expected an id", field)


def text(value: object, field: str) -> str:
    """A string field; missing means empty."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BadItem("wrong type", f"{field} is a {type(value).__name__}, expected text", field)


def description(value: object, field: str) -> str:
    """The video description, refused (not cut) beyond the schema's limit."""
    desc = text(value, field)
    if len(desc) > MAX_DESCRIPTION:
        raise BadItem(
            "description too long",
            f"{field} is {len(desc):,} characters; the limit is {MAX_DESCRIPTION:,}",
            field,
        )
    return desc


_HASHTAG = re.compile(r"#([^\s#@]+)")


def hashtags_in(text: str) -> list[str]:
    """The hashtags written in a text, for items that keep them nowhere else (flattened exports,
    tikwm): ``"yep | #riderskill sur #Twitch"`` -> ``["riderskill", "Twitch"]``. A tag runs from
    ``#`` to the next space, ``#`` or ``@``; names are normalised later, by the snapshot."""
    return _HASHTAG.findall(text) if "#" in text else []


def flag(value: object) -> bool:
    """A boolean that may arrive as ``"True"``/``"false"`` (CSV) or 0/1."""
    if type(value) is bool:
        return value
    if type(value) is str:
        return value.strip().lower() in ("true", "1", "yes")
    return value == 1


def timestamp(value: object, field: str) -> datetime | None:
    """Epoch seconds (int or string) or ISO 8601; 0 and missing mean unknown."""
    if value is None or value == "" or value == 0 or value == "0":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadItem("wrong type", f"{field} is a {type(value).__name__}, expected a time", field)
    try:
        return utc(value)
    except (ValueError, OverflowError, OSError):
        raise BadItem(
            "invalid time", f"{field} is {str(value)[:40]!r}, not a time", field
        ) from None


def seconds(value: object, field: str, *, scale: int = 1) -> int | None:
    """A duration in whole seconds (``scale=1000`` for milliseconds); missing means unknown."""
    if type(value) is int and value >= 0:
        return value if scale == 1 else round(value / scale)
    if value is None or value == "":
        return None
    return round(_coerce_count(value, field) / scale)


def market_of(value: object, default: str | None) -> str:
    """An ISO country code upper-cased; anything else falls back to the given market."""
    if type(value) is str and len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    return default or "unknown"


def as_dict(value: object, field: str) -> dict[str, Any]:
    """An object field; missing means empty."""
    if type(value) is dict:
        return value
    if value is None:
        return {}
    raise BadItem("wrong type", f"{field} is a {type(value).__name__}, expected an object", field)


def as_list(value: object, field: str) -> list[Any]:
    """A list field; missing means empty."""
    if type(value) is list:
        return value
    if value is None or value == "":
        return []
    raise BadItem("wrong type", f"{field} is a {type(value).__name__}, expected a list", field)


def build(**fields: Any) -> VideoSnapshot:
    """:func:`~trendmon.events.new_snapshot`, with its validation errors as :class:`BadItem`."""
    try:
        return new_snapshot(**fields)
    except SchemaError as exc:
        raise BadItem("invalid value", str(exc), exc.field) from None
    except (TypeError, ValueError) as exc:
        raise BadItem("invalid value", str(exc)) from None


# --- the item shapes -----------------------------------------------------------------------


def is_live_or_empty(item: object) -> bool:
    """True for what is not a video: LIVE rooms in the feed (empty ``id``), empty placeholders."""
    if type(item) is not dict:
        return True
    video_id = item.get("id") or item.get("aweme_id")
    return not video_id or video_id == "0"


def parse_item(
    item: dict[str, Any], *, collected_at: datetime, source: str, market: str | None = None
) -> VideoSnapshot:
    """Map one web itemStruct (or SIGI ItemModule entry, or mobile aweme) to a snapshot.

    Raises :class:`BadItem` (a :class:`~trendmon.errors.SchemaError`) naming the field.
    """
    if type(item) is not dict:
        raise BadItem("wrong type", f"an item is a JSON object, not a {type(item).__name__}")
    if "aweme_id" in item:
        return parse_aweme(item, collected_at=collected_at, source=source, market=market)
    if is_live_or_empty(item):
        raise BadItem("live room or empty id", "the item has no video id (a LIVE room?)", "$.id")
    video_id = ident(item.get("id"), "$.id")
    assert video_id is not None

    stats = item.get("stats")
    if type(stats) is not dict:
        stats = as_dict(stats, "$.stats")
    # statsV2 holds exact string counts where stats holds rounded ones; absent in old items.
    v2 = item.get("statsV2")
    if type(v2) is dict and v2:
        src, path = v2, "$.statsV2."
    else:
        src, path = stats, "$.stats."
    snapshot_stats = Stats(
        plays=count(src.get("playCount", stats.get("playCount")), path + "playCount"),
        likes=count(src.get("diggCount", stats.get("diggCount")), path + "diggCount"),
        comments=count(src.get("commentCount", stats.get("commentCount")), path + "commentCount"),
        shares=count(src.get("shareCount", stats.get("shareCount")), path + "shareCount"),
        saves=opt_count(src.get("collectCount", stats.get("collectCount")), path + "collectCount"),
    )

    music = None
    m = item.get("music")
    if m:
        if type(m) is not dict:
            m = as_dict(m, "$.music")
        music_id = ident(m.get("id"), "$.music.id", required=False)
        if music_id:
            music = Music(
                id=music_id,
                title=text(m.get("title"), "$.music.title"),
                author_name=text(m.get("authorName"), "$.music.authorName"),
                original=flag(m.get("original")),
            )

    hashtags: list[str] = []
    challenges = item.get("challenges")
    if challenges:
        for challenge in as_list(challenges, "$.challenges"):
            if type(challenge) is dict and type(challenge.get("title")) is str:
                hashtags.append(challenge["title"])
    if item.get("textExtra"):
        _text_extra_tags(item["textExtra"], hashtags)
    contents = item.get("contents")
    if contents:
        for content in as_list(contents, "$.contents"):
            if type(content) is dict and content.get("textExtra"):
                _text_extra_tags(content["textExtra"], hashtags)

    effects: list[Effect] = []
    stickers = item.get("effectStickers")
    if stickers:
        effects = [
            Effect(id=str(sticker["ID"]), name=text(sticker.get("name"), "$.effectStickers.name"))
            for sticker in as_list(stickers, "$.effectStickers")
            if type(sticker) is dict and sticker.get("ID")
        ]
    video = item.get("video")
    duration = video.get("duration") if type(video) is dict else None

    return build(
        video_id=video_id,
        collected_at=collected_at,
        source=source,
        market=market_of(item.get("locationCreated"), market),
        create_time=timestamp(item.get("createTime"), "$.createTime"),
        description=description(item.get("desc"), "$.desc"),
        duration=seconds(duration, "$.video.duration"),
        author=_web_author(item),
        music=music,
        hashtags=hashtags,
        effects=effects,
        stats=snapshot_stats,
        is_ad=flag(item.get("isAd")),
    )


def _text_extra_tags(entries: object, into: list[str]) -> None:
    for entry in as_list(entries, "$.textExtra"):
        if type(entry) is dict and entry.get("type") == 1:
            name = entry.get("hashtagName")
            if type(name) is str and name:
                into.append(name)


def _web_author(item: dict[str, Any]) -> Author:
    raw = item.get("author")
    if type(raw) is dict:
        author_id = ident(raw.get("id"), "$.author.id")
        unique_id = text(raw.get("uniqueId"), "$.author.uniqueId")
        nickname = text(raw.get("nickname"), "$.author.nickname")
        verified = flag(raw.get("verified"))
    else:
        if raw is not None and type(raw) is not str:
            raise BadItem(
                "wrong type", f"$.author is a {type(raw).__name__}, expected an object", "$.author"
            )
        # SIGI ItemModule: "author" is the unique id, the rest sits at the top level.
        author_id = ident(item.get("authorId"), "$.authorId")
        unique_id = text(raw, "$.author")
        nickname = text(item.get("nickname"), "$.nickname")
        verified = flag(item.get("verified"))
    assert author_id is not None
    stats = as_dict(item.get("authorStats"), "$.authorStats")
    v2 = item.get("authorStatsV2")
    if type(v2) is dict:
        stats = {**stats, **v2}
    hearts = stats.get("heartCount")
    return Author(
        id=author_id,
        unique_id=unique_id,
        nickname=nickname,
        verified=verified,
        followers=opt_count(stats.get("followerCount"), "$.authorStats.followerCount"),
        following=opt_count(stats.get("followingCount"), "$.authorStats.followingCount"),
        hearts=opt_count(stats.get("heart") if hearts is None else hearts, "$.authorStats.heart"),
        videos=opt_count(stats.get("videoCount"), "$.authorStats.videoCount"),
    )


def parse_aweme(
    item: dict[str, Any], *, collected_at: datetime, source: str, market: str | None = None
) -> VideoSnapshot:
    """Map one mobile-API "aweme" item (``aweme_list[]`` entry) to a snapshot."""
    if is_live_or_empty(item):
        raise BadItem("live room or empty id", "the item has no aweme_id", "$.aweme_id")
    video_id = ident(item.get("aweme_id"), "$.aweme_id")
    assert video_id is not None
    st = as_dict(item.get("statistics"), "$.statistics")
    stats = Stats(
        plays=count(st.get("play_count"), "$.statistics.play_count"),
        likes=count(st.get("digg_count"), "$.statistics.digg_count"),
        comments=count(st.get("comment_count"), "$.statistics.comment_count"),
        shares=count(st.get("share_count"), "$.statistics.share_count"),
        saves=opt_count(st.get("collect_count"), "$.statistics.collect_count"),
    )
    a = as_dict(item.get("author"), "$.author")
    author_id = ident(a.get("uid") or item.get("author_user_id"), "$.author.uid")
    assert author_id is not None
    author = Author(
        id=author_id,
        unique_id=text(a.get("unique_id"), "$.author.unique_id"),
        nickname=text(a.get("nickname"), "$.author.nickname"),
        verified=bool(a.get("custom_verify") or a.get("enterprise_verify_reason")),
        followers=opt_count(a.get("follower_count"), "$.author.follower_count"),
        following=opt_count(a.get("following_count"), "$.author.following_count"),
        hearts=opt_count(a.get("total_favorited"), "$.author.total_favorited"),
        videos=opt_count(a.get("aweme_count"), "$.author.aweme_count"),
    )
    music = None
    m = as_dict(item.get("music"), "$.music")
    # The numeric music.id has lost its last digits in JSON (it is past 2**53): id_str is exact.
    music_id = ident(m.get("id_str") or m.get("mid"), "$.music.id_str", required=False)
    if music_id is None and type(m.get("id")) is int:
        music_id = str(m["id"])
    if music_id:
        original = m.get("is_original_sound", m.get("is_original"))
        music = Music(
            id=music_id,
            title=text(m.get("title"), "$.music.title"),
            author_name=text(m.get("author") or m.get("owner_nickname"), "$.music.author"),
            original=flag(original),
        )
    hashtags: list[str] = []
    for challenge in as_list(item.get("cha_list"), "$.cha_list"):
        if type(challenge) is dict and type(challenge.get("cha_name")) is str:
            hashtags.append(challenge["cha_name"])
    for entry in as_list(item.get("text_extra"), "$.text_extra"):
        if type(entry) is dict and type(entry.get("hashtag_name")) is str:
            hashtags.append(entry["hashtag_name"])
    video = as_dict(item.get("video"), "$.video")
    duration = video.get("duration", item.get("duration"))
    return build(
        video_id=video_id,
        collected_at=collected_at,
        source=source,
        market=market_of(item.get("region"), market),
        create_time=timestamp(item.get("create_time"), "$.create_time"),
        description=description(item.get("desc"), "$.desc"),
        duration=seconds(duration, "$.video.duration", scale=1000),  # milliseconds on mobile
        author=author,
        music=music,
        hashtags=hashtags,
        stats=stats,
        is_ad=flag(item.get("is_ads")),
    )
