"""Each own video against the account's own baseline at the same age, and the account's
hashtags and sounds on the live boards (pure: series and boards in, rows out).

The baseline needs the videos' tracked snapshots (``trendmon scrape --target user:HANDLE``
feeds them to the history like any video): a video's plays at hour h after its upload are read
off its series by linear interpolation (never extrapolated), and compared with the median of the
account's *other* videos at the same hour. The claim reads "at hour 6 this video has 3.1x your
median video at hour 6".
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from trendmon.creator.records import Post
from trendmon.events import utc

AGES_H: Final = (1, 3, 6, 12, 24, 48, 168)
_TAG: Final = re.compile(r"#(\w+)")
Series = Sequence[tuple[int, int]]
"""(collected_ms, plays), oldest first."""


def upload_ms(post: Post) -> int | None:
    if not post.posted_at:
        return None
    return int(datetime.fromisoformat(post.posted_at.replace("Z", "+00:00")).timestamp() * 1000)


def plays_at(series: Series, posted_ms: int, hour: float) -> float | None:
    """Plays ``hour`` hours after upload, interpolated between snapshots (None outside them).

    >>> plays_at([(3_600_000, 100), (10_800_000, 300)], 0, 2)
    200.0
    """
    at = posted_ms + hour * 3_600_000
    for (t0, p0), (t1, p1) in itertools.pairwise(series):
        if t0 <= at <= t1:
            return float(p0) if t1 == t0 else p0 + (p1 - p0) * (at - t0) / (t1 - t0)
    if series and series[-1][0] == at:
        return float(series[-1][1])
    return None


def same_age(
    videos: Mapping[str, tuple[int, Series]], ages: Sequence[int] = AGES_H
) -> list[dict[str, Any]]:
    """For each video and age: its plays, the median of the other videos at that age (two at
    least), the ratio and the claim. ``videos`` maps id -> (upload ms, series)."""
    at = {
        vid: {h: plays_at(series, posted, h) for h in ages}
        for vid, (posted, series) in videos.items()
    }
    rows = []
    for vid, values in at.items():
        for h in ages:
            own = values[h]
            others = [v[h] for o, v in at.items() if o != vid and v[h] is not None]
            if own is None or len(others) < 2:
                continue
            median = statistics.median(others)  # type: ignore[type-var]
            ratio = round(own / median, 2) if median else None
            claim = (f"at hour {h} this video has {ratio}x your median video at hour {h}"
                     if ratio is not None else "")  # fmt: skip
            rows.append({"video_id": vid, "hour": h, "plays": round(own),
                         "median": round(float(median)), "ratio": ratio,  # type: ignore[arg-type]
                         "videos_in_baseline": len(others), "claim": claim})  # fmt: skip
    return rows


def own_entities(posts: Sequence[Post]) -> dict[str, int]:
    """The account's hashtags (``hashtag:name``) and sounds (``sound-name:title``) with how
    many of its posts use each."""
    out: dict[str, int] = {}
    for p in posts:
        for tag in {t.casefold() for t in _TAG.findall(p.caption or "")}:
            out[f"hashtag:{tag}"] = out.get(f"hashtag:{tag}", 0) + 1
        if p.sound:
            key = f"sound-name:{p.sound.casefold()}"
            out[key] = out.get(key, 0) + 1
    return out


def linked_trends(
    posts: Sequence[Post], boards: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Rows of the live boards (hashtags, sounds) that the account's own posts use: which of
    its hashtags and sounds are trending now, with their rank, stage and score."""
    own = own_entities(posts)
    rows = []
    for row in boards:
        entity = str(row.get("entity", ""))
        name = str(row.get("name", "")).casefold()
        key = entity if entity in own else f"sound-name:{name}"
        if entity.startswith("hashtag:") and entity.casefold() in own:
            key = entity.casefold()
        if key in own:
            rows.append({"entity": entity, "name": row.get("name"), "rank": row.get("rank"),
                         "stage": row.get("stage"), "score": row.get("score"),
                         "your_posts": own[key]})  # fmt: skip
    return rows


HOT_STAGES = ("emerging", "rising")
PEER_BAND = 2.0
"""Creators of a similar size: between half and twice the account's followers."""
PEER_WITHIN_MS = 3_600_000


def peer_trends(
    followers: int,
    cards: Sequence[Mapping[str, Any]],
    boards: Sequence[Mapping[str, Any]],
    now_ms: int,
) -> list[dict[str, Any]]:
    """The hashtags and sounds that are emerging or rising on ``boards`` and that creators of
    a similar size (:data:`PEER_BAND`) used in videos posted in the hour before ``now_ms``
    (``cards``: the live store's video cards), most peers first: what accounts like this one
    are jumping on now. Empty without a follower count."""
    if followers <= 0:
        return []
    low, high = followers / PEER_BAND, followers * PEER_BAND
    peers: dict[str, set[str]] = {}
    videos: dict[str, int] = {}
    for card in cards:
        size = card.get("followers")
        posted = _iso_ms(str(card.get("create_time") or ""))
        if size is None or not low <= size <= high or posted is None:
            continue
        if not now_ms - PEER_WITHIN_MS <= posted <= now_ms:
            continue
        keys = {f"hashtag:{str(t).casefold()}" for t in card.get("hashtags") or ()}
        if card.get("music_id"):
            keys.add(f"sound:{card['music_id']}")
        for key in keys:
            peers.setdefault(key, set()).add(str(card.get("author_id") or ""))
            videos[key] = videos.get(key, 0) + 1
    rows = []
    for row in boards:
        entity = str(row.get("entity", ""))
        key = entity.casefold() if entity.startswith("hashtag:") else entity
        if row.get("stage") in HOT_STAGES and key in peers:
            rows.append({"entity": entity, "name": row.get("name"), "stage": row.get("stage"),
                         "rank": row.get("rank"), "peers": len(peers[key]),
                         "peer_videos": videos[key]})  # fmt: skip
    return sorted(rows, key=lambda r: (-r["peers"], -r["peer_videos"], r["entity"]))


def _iso_ms(text: str) -> int | None:
    """Epoch ms of an ISO 8601 time (a naive one is UTC); None when empty or not a time."""
    try:
        return int(utc(text).timestamp() * 1000) if text else None
    except ValueError:
        return None
