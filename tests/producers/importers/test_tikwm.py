"""tikwm.com's API items: the real riderskill time series, the response envelope, and what is
refused (no id, no stats, no author) with its reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from trendmon.errors import ConfigError, FormatError
from trendmon.events import Music, VideoSnapshot

Run = Callable[..., Any]


def jsonl(*values: Any) -> bytes:
    return b"".join(orjson.dumps(value) + b"\n" for value in values)


def stored(n: int, **overrides: Any) -> dict[str, Any]:
    """An item as the riderskill archive holds it: ``stats``, ``desc``, no author, no music."""
    item: dict[str, Any] = {
        "id": f"75490000000000{n:05d}",
        "desc": f"clip {n} | #riderskill sur #Twitch",
        "cover": "https://p19-common-sign-useastred.tiktokcdn-eu.com/tos/o1~tplv.jpeg?x=1",
        "play": "https://v16m.tiktokcdn-eu.com/4ad6/68cc/video/tos/useast2a/oo/?a=1233",
        "create_time": 1757783407,
        "stats": {"digg_count": 3, "comment_count": 2, "share_count": 1, "play_count": 300 + n,
                  "collect_count": 2},
        "_collected_at": "2025-09-17T13:37:48.655Z",
    }
    item.update(overrides)
    return item


def api(n: int, **overrides: Any) -> dict[str, Any]:
    """An item as tikwm's API sends it: top-level counts, ``title``, author and music_info."""
    vid = f"75500000000000{n:05d}"
    item: dict[str, Any] = {
        "video_id": vid, "id": vid, "region": "fr", "title": f"clip {n} #Moto #fyp",
        "cover": f"https://www.tikwm.com/video/cover/{vid}.webp", "duration": 14,
        "play": f"https://www.tikwm.com/video/media/play/{vid}.mp4",
        "music": f"https://www.tikwm.com/video/music/{vid}.mp3",
        "music_info": {"id": "7412345678901234567", "title": "original sound", "author": "rider",
                       "original": True, "duration": 14},
        "play_count": 12000 + n, "digg_count": 900, "comment_count": 40, "share_count": 7,
        "download_count": 3, "collect_count": 11, "create_time": 1757000000 + n,
        "author": {"id": "6812345678901234567", "unique_id": "rider", "nickname": "Rider",
                   "avatar": "https://p16-sign.tiktokcdn.com/a.jpeg"},
        "is_top": 0,
    }
    item.update(overrides)
    return item


# --- the real file -----------------------------------------------------------------------------


@pytest.fixture
def riderskill(timeseries: Path, run: Run) -> Any:
    """The whole riderskill-site file (8,616 lines) imported through ``import_file``."""
    path = timeseries / "riderskill-site" / "observations.jsonl"
    return run(path, collected_at=None, author="riderskill")


def test_riderskill_imports_every_line_with_an_id(riderskill: Any) -> None:
    assert riderskill.format == "tikwm"
    assert len(riderskill.records) == 8616
    assert len(riderskill.snapshots) == 8592 and len(riderskill.rejects) == 24
    assert riderskill.stream.notes == []  # every line has its own _collected_at
    snaps = riderskill.snapshots
    # summary.json says 160 videos: it counts the empty id of lines 1-24 as one of them.
    assert len({s.video_id for s in snaps}) == 159
    assert {s.source for s in snaps} == {"import:tikwm"}
    assert {(s.author.id, s.author.unique_id) for s in snaps} == {("riderskill", "riderskill")}
    assert {s.market for s in snaps} == {"unknown"} and {s.music for s in snaps} == {None}
    assert min(s.collected_at for s in snaps) == datetime(2025, 9, 17, 13, 37, 48, 655000, UTC)
    assert max(s.collected_at for s in snaps) == datetime(2025, 12, 16, 0, 54, 51, 213000, UTC)


def test_riderskill_items_without_an_id_are_dead_lettered(riderskill: Any) -> None:
    # The first capture (2025-09-17T13:32:49Z, lines 1-24) holds every id empty, and its
    # play/cover URLs are TikTok CDN ones, which do not hold the id: nothing to recover it from.
    rejects = riderskill.rejects
    assert [r.origin for r in rejects] == [f"observations.jsonl:{n}" for n in range(1, 25)]
    assert {(r.reason, r.field) for r in rejects} == {("no video id", "$.id")}
    assert "no tikwm media URL names the video" in rejects[0].detail
    assert b'"id": ""' in rejects[0].raw and b'"create_time": 1757783407' in rejects[0].raw


def by_key(riderskill: Any, video_id: str, collected_at: str) -> VideoSnapshot:
    when = datetime.fromisoformat(collected_at)
    (snap,) = [
        s for s in riderskill.snapshots if s.video_id == video_id and s.collected_at == when
    ]
    return snap


def test_riderskill_values_checked_by_hand(riderskill: Any) -> None:
    # Line 3985.
    s = by_key(riderskill, "7566331489755958561", "2025-10-28T18:16:13.479+00:00")
    assert (s.stats.plays, s.stats.likes, s.stats.comments, s.stats.shares, s.stats.saves) == (
        64, 0, 0, 0, 0
    )
    assert s.hashtags == ("riderskill", "twitch")
    assert s.description.endswith(" | #riderskill sur #Twitch")
    assert s.create_time == datetime.fromtimestamp(1761673855, UTC)
    # Line 264: the @mention after the tags is not a hashtag.
    s = by_key(riderskill, "7544913326015286550", "2025-09-19T18:14:07.471+00:00")
    assert (s.stats.plays, s.stats.likes, s.stats.saves) == (218, 2, 2)
    assert s.hashtags == ("riderskill", "suno")
    # Line 5712: a description of hashtags only.
    s = by_key(riderskill, "7568257024622988566", "2025-11-15T12:18:21.356+00:00")
    assert s.stats.plays == 268
    assert s.hashtags == ("tiktoklive", "livehighlights")


# --- synthetic items ---------------------------------------------------------------------------


def test_wrapped_response_of_the_api(run: Run) -> None:
    page = {"code": 0, "msg": "success", "processed_time": 0.31,
            "data": {"videos": [api(1), api(2)], "cursor": "1757000000000", "hasMore": True}}
    last = {**page, "data": {"videos": [api(3)], "cursor": "0", "hasMore": False}}
    for data, ids in (
        (orjson.dumps(page), [1, 2]),
        (orjson.dumps(page, option=orjson.OPT_INDENT_2), [1, 2]),
        (jsonl(page, last), [1, 2, 3]),  # one response per line, as a crawler appends them
    ):
        result = run(data)
        assert result.format == "tikwm" and result.rejects == []
        assert [s.video_id for s in result.snapshots] == [f"75500000000000{n:05d}" for n in ids]
    s = run(orjson.dumps(page)).snapshots[0]
    assert s.collected_at == datetime(2026, 1, 5, 10, tzinfo=UTC)  # the response has no time
    assert (s.author.id, s.author.unique_id, s.author.nickname) == (
        "6812345678901234567", "rider", "Rider"
    )
    assert s.music == Music(id="7412345678901234567", title="original sound", author_name="rider",
                            original=True)
    assert (s.stats.plays, s.stats.likes, s.stats.comments, s.stats.shares, s.stats.saves) == (
        12001, 900, 40, 7, 11
    )
    assert (s.market, s.duration, s.hashtags) == ("FR", 14, ("moto", "fyp"))
    assert s.description == "clip 1 #Moto #fyp"
    assert s.create_time == datetime.fromtimestamp(1757000001, UTC)


def test_json_lines_of_stored_items_need_the_account(run: Run) -> None:
    data = jsonl(stored(1), stored(2))
    with pytest.raises(ConfigError, match=r"name no author .* pass --author"):
        run(data)
    result = run(data, author="@riderskill")
    assert [s.author.id for s in result.snapshots] == ["riderskill", "riderskill"]
    # Told the format, a file that names no author dead-letters each item with the fix.
    result = run(data, format="tikwm")
    assert [(r.reason, r.field) for r in result.rejects] == [("no author", "$.author")] * 2
    assert "pass --author" in result.rejects[0].detail


def test_an_item_that_names_its_author_keeps_it_over_the_flag(run: Run) -> None:
    result = run(jsonl(api(1), stored(2)), author="riderskill")
    assert [s.author.id for s in result.snapshots] == ["6812345678901234567", "riderskill"]


def test_missing_stats_is_dead_lettered_naming_the_field(run: Run) -> None:
    bare = stored(2)
    del bare["stats"]
    no_plays = stored(3, stats={"digg_count": 1, "comment_count": 0, "share_count": 0})
    result = run(jsonl(stored(1), bare, no_plays), author="riderskill")
    assert len(result.snapshots) == 1
    assert [(r.origin, r.reason, r.field) for r in result.rejects] == [
        ("test.json:2", "missing field", "$.stats"),
        ("test.json:3", "missing field", "$.stats.play_count"),
    ]
    top = api(4)
    del top["share_count"]
    (reject,) = run(jsonl(top)).rejects
    assert (reject.reason, reject.field) == ("missing field", "$.share_count")


def test_the_video_id_is_read_from_tikwm_media_urls_never_made_up(run: Run) -> None:
    vid = "7550000000000000009"
    hosted = api(9, id="", video_id="")
    cdn = stored(1, id="")
    result = run(jsonl(hosted, cdn, api(2, id="7550000000000000003")), author="riderskill")
    assert [s.video_id for s in result.snapshots] == [vid]
    assert [(r.reason, r.field) for r in result.rejects] == [
        ("no video id", "$.id"), ("conflicting ids", "$.video_id")
    ]
    only_video_id = api(5)
    del only_video_id["id"]
    assert run(jsonl(only_video_id)).snapshots[0].video_id == "7550000000000000005"


def test_author_flag_is_checked_and_noted_when_unused(run: Run, web_item: Any) -> None:
    with pytest.raises(ConfigError, match="--author"):
        run(jsonl(stored(1)), author="two words")
    result = run(jsonl(web_item(1)), author="someone")
    assert result.format == "itemstruct" and len(result.snapshots) == 1
    assert result.stream.notes == ["--author someone was not used: itemstruct records name their "
                                   "author"]


def test_an_error_response_is_refused_as_such(run: Run) -> None:
    answer = {"code": -1, "msg": "Free Api Limit: 1 request/second.", "processed_time": 0.01}
    with pytest.raises(FormatError, match=r"API error response.*code -1: 'Free Api Limit"):
        run(orjson.dumps(answer))
