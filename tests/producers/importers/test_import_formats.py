"""Apify, Research API, aweme and the itemStruct containers, from synthetic files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from trendmon.errors import FormatError

Run = Callable[..., Any]
Item = Callable[..., dict[str, Any]]


def jsonl(*values: Any) -> bytes:
    return b"".join(orjson.dumps(value) + b"\n" for value in values)

APIFY = {
    "id": "7350000000000000001",
    "text": "dance #Dance #fyp",
    "createTime": 1711000000,
    "createTimeISO": "2024-03-21T05:46:40.000Z",
    "authorMeta": {"id": "6900000000000000001", "name": "dancer", "nickName": "Dancer",
                   "verified": True, "fans": 1200, "following": 3, "heart": 56000, "video": 40},
    "musicMeta": {"musicId": "7100000000000000009", "musicName": "song", "musicAuthor": "band",
                  "musicOriginal": False},
    "videoMeta": {"duration": 12, "height": 1024},
    "playCount": 12345, "diggCount": 1000, "commentCount": 20, "shareCount": 5,
    "collectCount": 7,
    "hashtags": [{"name": "dance"}, {"name": "fyp"}],
    "effectStickers": [{"id": "555", "name": "Sparkle"}],
}

RESEARCH = {
    "id": 7300000000000000123,
    "video_description": "research #Cats",
    "create_time": 1700000000,
    "region_code": "de",
    "view_count": 1234567, "like_count": 8910, "comment_count": 11, "share_count": 12,
    "favorites_count": 13,
    "music_id": 7200000000000000456,
    "hashtag_names": ["cats", "Pets"],
    "username": "catlover",
    "effect_ids": ["0", "998877"],
    "video_duration": 31,
}


def test_apify_items(run: Run) -> None:
    result = run(orjson.dumps([APIFY, {**APIFY, "id": "7350000000000000002"}]))
    assert result.format == "apify"
    s = result.snapshots[0]
    assert (s.video_id, s.author.id, s.author.unique_id, s.author.nickname) == (
        "7350000000000000001", "6900000000000000001", "dancer", "Dancer"
    )
    assert (s.author.followers, s.author.hearts, s.author.videos, s.author.verified) == (
        1200, 56000, 40, True
    )
    assert (s.stats.plays, s.stats.likes, s.stats.comments, s.stats.shares, s.stats.saves) == (
        12345, 1000, 20, 5, 7
    )
    assert s.music is not None and (s.music.id, s.music.title, s.music.author_name) == (
        "7100000000000000009", "song", "band"
    )
    assert (s.hashtags, [e.id for e in s.effects], s.duration) == (("dance", "fyp"), ["555"], 12)
    assert s.create_time == datetime(2024, 3, 21, 5, 46, 40, tzinfo=UTC)
    assert len(result.snapshots) == 2


def test_old_tiktok_scraper_collector_wrapper(run: Run) -> None:
    result = run(orjson.dumps({"collector": [APIFY]}))
    assert result.format == "apify" and len(result.snapshots) == 1


def test_research_api_page_and_list(run: Run) -> None:
    page = {"data": {"videos": [RESEARCH], "cursor": 1, "has_more": False}, "error": {}}
    for data in (orjson.dumps(page), orjson.dumps([RESEARCH])):
        result = run(data)
        assert result.format == "research"
        (s,) = result.snapshots
        assert (s.video_id, s.author.id, s.author.unique_id) == (
            "7300000000000000123", "catlover", "catlover"
        )
        assert (s.stats.plays, s.stats.likes, s.stats.comments, s.stats.shares) == (
            1234567, 8910, 11, 12
        )
        assert s.stats.saves == 13 and s.exact_counts is True
        assert s.music is not None and s.music.id == "7200000000000000456"
        assert (s.hashtags, [e.id for e in s.effects]) == (("cats", "pets"), ["998877"])
        assert (s.market, s.duration) == ("DE", 31)


def test_aweme_feed_file(run: Run, timeseries: Path) -> None:
    result = run(timeseries / "zexisx-api-feed" / "observations.jsonl", collected_at=None)
    assert result.format == "aweme"
    assert len(result.snapshots) == 308 and result.rejects == []
    first = result.snapshots[0]
    assert first.video_id == "7340285086081846571"
    assert first.collected_at == datetime(2024, 3, 29, 20, 36, 12, tzinfo=UTC)  # _collected_at
    assert first.music is not None and first.music.id == "7340285354676800302"
    assert result.stream.notes == []


def test_aweme_list_page(run: Run) -> None:
    aweme = {"aweme_id": "7340000000000000001", "desc": "", "create_time": 1709043367,
             "author": {"uid": "1", "unique_id": "u"}, "region": "US",
             "statistics": {"play_count": 10, "digg_count": 2, "comment_count": 1,
                            "share_count": 0},
             "music": {"id": 7340285354676801000, "id_str": "7340285354676800302"},
             "cha_list": [{"cha_name": "Fitness"}], "video": {"duration": 9400}}
    result = run(orjson.dumps({"status_code": 0, "aweme_list": [aweme]}))
    (s,) = result.snapshots
    assert result.format == "aweme"
    assert (s.music and s.music.id, s.hashtags, s.duration) == ("7340285354676800302",
                                                                ("fitness",), 9)


@pytest.mark.parametrize(
    "wrap",
    [
        lambda items: orjson.dumps(items),
        lambda items: orjson.dumps({"itemList": items, "hasMore": False}),
        lambda items: orjson.dumps({"data": {"itemList": items}}),
        lambda items: orjson.dumps({"data": items}),
        lambda items: orjson.dumps(items, option=orjson.OPT_INDENT_2),
        lambda items: jsonl(*items),
        lambda items: jsonl({"itemList": items[:2]}, {"itemList": items[2:]}),
    ],
    ids=["list", "page", "data-page", "data-list", "pretty", "jsonl", "jsonl-of-pages"],
)
def test_itemstruct_containers(
    run: Run, web_item: Item, wrap: Callable[[list[Any]], bytes]
) -> None:
    items = [web_item(n) for n in range(4)]
    result = run(wrap(items))
    assert result.format == "itemstruct"
    assert [s.video_id for s in result.snapshots] == [i["id"] for i in items]


def test_unknown_format_names_the_file_the_formats_and_the_flag(run: Run, web_item: Item) -> None:
    with pytest.raises(FormatError) as caught:
        run(orjson.dumps([{"foo": 1, "bar": 2}]))
    message = str(caught.value)
    assert "test.json" in message and "--format" in message
    for name in ("itemstruct", "aweme", "apify", "research", "flat-csv", "flat-json"):
        assert name in message
    with pytest.raises(FormatError, match="--format"):
        run(b"a,b,c\n1,2,3\n")
    with pytest.raises(FormatError, match="unknown format 'xml'"):
        run(orjson.dumps([web_item()]), format="xml")
