"""The same-age baseline and the link to live boards, on series and boards made here."""

from __future__ import annotations

from trendmon.creator.baseline import linked_trends, plays_at, same_age
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
