"""The same-age baseline and the link to live boards, on series and boards made here."""

from __future__ import annotations

from datetime import UTC, datetime

from trendmon.creator.baseline import linked_trends, peer_trends, plays_at, same_age
from trendmon.creator.records import Post

H = 3_600_000


def test_a_video_against_the_median_of_the_others_at_the_same_hour() -> None:
    videos = {
        "a": (0, [(0, 0), (6 * H, 3100)]),
        "b": (0, [(0, 0), (6 * H, 1000)]),
        "c": (10 * H, [(10 * H, 0), (16 * H, 800), (20 * H, 900)]),
        "d": (0, [(0, 0), (6 * H, 1200)]),
    }
    rows = same_age(videos, ages=(6,))
    a = next(r for r in rows if r["video_id"] == "a")
    assert a["median"] == 1000 and a["ratio"] == 3.1 and a["videos_in_baseline"] == 3
    assert a["claim"] == "at hour 6 this video has 3.1x your median video at hour 6"
    assert plays_at([(0, 0), (6 * H, 600)], 0, 7) is None  # never extrapolated


def test_own_hashtags_and_sounds_on_the_live_boards() -> None:
    posts = [Post(key="1", caption="new drop #Unbrush #fyp", sound="delulu - NESYA"),
             Post(key="2", caption="again #unbrush")]  # fmt: skip
    boards = [
        {"entity": "hashtag:unbrush", "name": "unbrush", "rank": 3, "stage": "rising",
         "score": 9.5},
        {"entity": "sound:123", "name": "delulu - NESYA", "rank": 7, "stage": "peaking",
         "score": 4.0},
        {"entity": "hashtag:other", "name": "other", "rank": 1},
    ]  # fmt: skip
    rows = linked_trends(posts, boards)
    assert [(r["entity"], r["your_posts"]) for r in rows] == [
        ("hashtag:unbrush", 2), ("sound:123", 1)
    ]  # fmt: skip


NOW = 1_767_600_000_000  # 2026-01-05T08:00:00Z


def card(
    author: str, followers: int | None, minutes_ago: float, tags: list[str], music: str = ""
) -> dict:
    posted = datetime.fromtimestamp((NOW - minutes_ago * 60_000) / 1000, UTC)
    return {"author_id": author, "followers": followers, "hashtags": tags, "music_id": music,
            "create_time": posted.isoformat().replace("+00:00", "Z")}  # fmt: skip


def test_rising_entities_among_creators_of_a_similar_size_this_hour() -> None:
    cards = [
        card("a", 10_000, 10, ["Dance"], "77"),
        card("a", 10_000, 20, ["dance"]),  # the same creator again: one peer, two videos
        card("b", 19_000, 50, ["dance", "cook"]),
        card("c", 5_000, 5, ["cook"], "77"),  # exactly half: a peer
        card("d", 4_000, 5, ["dance"]),  # too small
        card("e", 41_000, 5, ["dance"]),  # too big
        card("f", 12_000, 61, ["dance"]),  # posted more than an hour ago
        card("g", None, 5, ["dance"]),  # size unknown
    ]
    boards = [
        {"entity": "hashtag:dance", "name": "#dance", "stage": "rising", "rank": 3},
        {"entity": "hashtag:cook", "name": "#cook", "stage": "peaking", "rank": 1},
        {"entity": "sound:77", "name": "a sound", "stage": "emerging", "rank": 9},
    ]
    rows = peer_trends(10_000, cards, boards, NOW)
    assert [(r["entity"], r["peers"], r["peer_videos"]) for r in rows] == [
        ("hashtag:dance", 2, 3),  # a (twice) and b; cook is peaking, not hot
        ("sound:77", 2, 2),
    ]
    assert peer_trends(0, cards, boards, NOW) == []  # no follower count: no claim
