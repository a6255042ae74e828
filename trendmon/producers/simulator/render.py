"""Output shapes: event JSON Lines, and TikTok's web "itemStruct" as a scraper would save it.

An itemStruct line carries everything a real one does (``video`` with cover, play and download
URLs and ``bitrateInfo``, ``author``, ``authorStats``/``authorStatsV2``, ``music`` with its URLs,
``challenges``, ``textExtra``, ``contents``, ``effectStickers``, ``stats`` and string ``statsV2``,
``locationCreated``), 8 to 15 KB like real ones, plus a top-level ``_collected_at`` (RFC 3339
UTC): the time the item was seen, which the itemStruct itself does not hold. The URLs are
well-formed but point nowhere; their tokens are derived from the ids, so the output stays
deterministic.

What does not change between two snapshots of a video is serialised once per video and kept (the
most recent videos only), so rendering costs little more than the counts.
"""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict
from typing import Any, Final

import orjson

from trendmon.events import Stats, VideoSnapshot, encode
from trendmon.producers.simulator.names import stable_digits
from trendmon.producers.simulator.world import Video

LANGUAGE: Final = {"US": "en", "GB": "en", "DE": "de", "BR": "pt", "JP": "ja", "FR": "fr"}
CACHE_SIZE: Final = 8192
"""Per-video static parts kept; more than the videos alive at once in default worlds."""


def event_line(snapshot: VideoSnapshot) -> bytes:
    """One snapshot as an event JSON line (the wire form)."""
    return encode(snapshot) + b"\n"


def _token(seed: str, chars: int) -> str:
    digest = hashlib.shake_128(seed.encode()).digest((chars * 3) // 4 + 3)
    return base64.b64encode(digest, altchars=b"-_").decode()[:chars]


def _hex(seed: str, chars: int) -> str:
    return hashlib.shake_128(seed.encode()).hexdigest((chars + 1) // 2)[:chars]


def _image(seed: str, size: str) -> str:
    return (
        f"https://p16-sign-va.tiktokcdn.com/tos-maliva-p-0068/{_token(seed, 32)}"
        f"~tplv-tiktokx-cropcenter:{size}.jpeg?dr=9640&x-expires=1767571200"
        f"&x-signature={_token(seed + 's', 28)}%3D&t=4d5b0474&ps=13740610&shp=a5d48078"
        f"&shcp=81f88b70&idc=useast5"
    )


def _play_url(seed: str, video_id: str, host: str) -> str:
    return (
        f"https://{host}/video/tos/useast2a/tos-useast2a-pve-0068/{_token(seed, 32)}/"
        f"?a=1988&bti=ODszNWYuMDE6&ch=0&cr=3&dr=0&lr=all&cd=0%7C0%7C0%7C&cv=1&br=1706&bt=853"
        f"&cs=0&ds=6&ft=4KJMyMZj8Zmo0UE0MI4jV~bCQpWrKsd.&mime_type=video_mp4&qs=0"
        f"&rc={_token(seed + 'rc', 96)}%3D%3D&btag=e000b8000&expire=1767571200"
        f"&l={_hex(seed + 'l', 34).upper()}&ply_type=2&policy=2&signature={_hex(seed + 'g', 32)}"
        f"&tk=tt_chain_token&item_id={video_id}"
    )


def _addr(seed: str, video_id: str, width: int, height: int, bitrate: int) -> dict[str, Any]:
    uri = f"v12044gd0000{_hex(seed + 'u', 20)}"
    return {
        "DataSize": bitrate * 3,
        "FileCs": f"c:0-{int(_hex(seed + 'c', 4), 16)}-{_hex(seed + 'd', 4)}",
        "FileHash": _hex(seed + "h", 32),
        "Height": height,
        "Uri": uri,
        "UrlKey": f"{uri}_h264_{height}p_{bitrate}",
        "UrlList": [
            _play_url(seed, video_id, "v16-webapp-prime.tiktok.com"),
            _play_url(seed, video_id, "v19-webapp-prime.tiktok.com"),
            f"https://www.tiktok.com/aweme/v1/play/?faid=1988&file_id={_hex(seed + 'f', 32)}"
            f"&is_play_url=1&item_id={video_id}&line=0&ply_type=2&tk=tt_chain_token",
        ],
        "Width": width,
    }


def _video(v: Video) -> dict[str, Any]:
    vid = v.id
    gears = [
        ("adapt_lowest_1080_1", 1080, 1920, 873_954),
        ("adapt_lower_720_1", 720, 1280, 417_322),
        ("lowest_540_0", 576, 1024, 254_093),
    ]
    play = _play_url(vid + "play", vid, "v16-webapp-prime.tiktok.com")
    return {
        "PlayAddrStruct": _addr(vid + "main", vid, 576, 1024, 404_677),
        "VQScore": "52.64",
        "bitrate": 404_677,
        "bitrateInfo": [
            {
                "Bitrate": rate, "BitrateFPS": 30, "CodecType": "h264", "Format": "mp4",
                "GearName": gear, "PlayAddr": _addr(vid + gear, vid, w, h, rate),
                "QualityType": 2 + i * 12,
            }
            for i, (gear, w, h, rate) in enumerate(gears)
        ],
        "codecType": "h264",
        "cover": _image(vid + "cover", "720:720"),
        "definition": "540p",
        "downloadAddr": _play_url(vid + "download", vid, "v16-webapp-prime.tiktok.com"),
        "duration": v.duration,
        "dynamicCover": _image(vid + "dynamic", "720:720"),
        "encodedType": "normal",
        "format": "mp4",
        "height": 1024,
        "id": vid,
        "originCover": _image(vid + "origin", "720:720"),
        "playAddr": play,
        "ratio": "540p",
        "size": v.duration * 50_000,
        "videoQuality": "normal",
        "volumeInfo": {"Loudness": -18.2, "Peak": 0.5},
        "width": 576,
    }


def _author(v: Video) -> tuple[dict[str, Any], dict[str, Any]]:
    a = v.creator.author
    author = {
        "avatarLarger": _image(a.id + "avatar", "1080:1080"),
        "avatarMedium": _image(a.id + "avatar", "720:720"),
        "avatarThumb": _image(a.id + "avatar", "100:100"),
        "commentSetting": 0, "downloadSetting": 0, "duetSetting": 0, "ftc": False,
        "id": a.id,
        "isADVirtual": False,
        "nickname": a.nickname,
        "openFavorite": False,
        "privateAccount": False,
        "relation": 0,
        "secUid": "MS4wLjABAAAA" + _token(a.id + "sec", 52),
        "secret": False,
        "signature": "",
        "stitchSetting": 0,
        "uniqueId": a.unique_id,
        "verified": a.verified,
    }
    stats = {
        "diggCount": 0, "followerCount": a.followers or 0, "followingCount": a.following or 0,
        "friendCount": 0, "heart": a.hearts or 0, "heartCount": a.hearts or 0,
        "videoCount": a.videos or 0,
    }
    return author, stats


def _music(v: Video) -> dict[str, Any]:
    m = v.music
    return {
        "authorName": m.author_name,
        "coverLarge": _image(m.id + "music", "1080:1080"),
        "coverMedium": _image(m.id + "music", "720:720"),
        "coverThumb": _image(m.id + "music", "100:100"),
        "duration": min(v.duration, 60),
        "id": m.id,
        "isCopyrighted": not m.original,
        "original": m.original,
        "playUrl": f"https://sf16-ies-music-va.tiktokcdn.com/obj/musically-maliva-obj/{m.id}.mp3",
        "private": False,
        "title": m.title,
    }


def _text_extra(v: Video) -> list[dict[str, Any]]:
    extras, at = [], 0
    for tag in v.hashtags:
        start = v.description.find(f"#{tag}", at)
        if start < 0:
            continue
        at = start + len(tag) + 1
        extras.append({"awemeId": "", "end": at, "hashtagName": tag, "isCommerce": False,
                       "start": start, "subType": 0, "type": 1})
    return extras


def static_item(v: Video) -> dict[str, Any]:
    """Everything of a video's itemStruct that does not change between snapshots."""
    author, author_stats = _author(v)
    extras = _text_extra(v)
    return {
        "AIGCDescription": "",
        "CategoryType": 120,
        "author": author,
        "authorStats": author_stats,
        "authorStatsV2": {k: str(n) for k, n in author_stats.items()},
        "challenges": [
            {"coverLarger": "", "coverMedium": "", "coverThumb": "", "desc": "",
             "id": stable_digits(tag), "profileLarger": "", "profileMedium": "",
             "profileThumb": "", "title": tag}
            for tag in v.hashtags
        ],
        "collected": False,
        "contents": [{"desc": v.description, "textExtra": extras}],
        "createTime": v.create_time,
        "desc": v.description,
        "digged": False,
        "duetDisplay": 0,
        "duetEnabled": True,
        "effectStickers": [{"ID": e.id, "name": e.name} for e in v.effects],
        "forFriend": False,
        "id": v.id,
        "isAd": False,
        "itemCommentStatus": 0,
        "item_control": {"can_repost": True},
        "locationCreated": v.market,
        "music": _music(v),
        "officalItem": False,
        "originalItem": False,
        "privateItem": False,
        "secret": False,
        "shareEnabled": True,
        "stitchDisplay": 0,
        "stitchEnabled": True,
        "stickersOnItem": [],
        "textExtra": extras,
        "textLanguage": LANGUAGE.get(v.market, "en"),
        "textTranslatable": True,
        "video": _video(v),
    }


def stats_json(stats: Stats) -> tuple[dict[str, int], dict[str, str]]:
    """``stats`` and ``statsV2`` (string counts, with ``repostCount``) of one snapshot."""
    counts = {
        "collectCount": stats.saves or 0,
        "commentCount": stats.comments,
        "diggCount": stats.likes,
        "playCount": stats.plays,
        "shareCount": stats.shares,
    }
    v2 = {k: str(n) for k, n in counts.items()}
    v2["repostCount"] = "0"
    return counts, v2


class ItemStructRenderer:
    """Renders snapshots as itemStruct JSON lines, each with ``_collected_at``."""

    def __init__(self, cache_size: int = CACHE_SIZE) -> None:
        self._heads: OrderedDict[str, bytes] = OrderedDict()
        self._cache_size = cache_size

    def item(self, video: Video, snapshot: VideoSnapshot) -> dict[str, Any]:
        """The full item as a dict (for tests and callers that want objects, not bytes)."""
        item = static_item(video)
        item["stats"], item["statsV2"] = stats_json(snapshot.stats)
        item["_collected_at"] = _rfc3339(snapshot)
        return item

    def line(self, video: Video, snapshot: VideoSnapshot) -> bytes:
        head = self._heads.get(video.id)
        if head is None:
            head = orjson.dumps(static_item(video))[:-1]
            self._heads[video.id] = head
            if len(self._heads) > self._cache_size:
                self._heads.popitem(last=False)
        stats, v2 = stats_json(snapshot.stats)
        return b"".join((
            head, b',"stats":', orjson.dumps(stats), b',"statsV2":', orjson.dumps(v2),
            b',"_collected_at":"', _rfc3339(snapshot).encode(), b'"}\n',
        ))


def _rfc3339(snapshot: VideoSnapshot) -> str:
    return snapshot.collected_at.strftime("%Y-%m-%dT%H:%M:%SZ")
