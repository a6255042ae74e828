"""What the account pages compute from stored records (pure): ranges, engagement, the weekly
activity heatmap and the best time to post, stated as a claim with its evidence.

Engagement rate is (likes + comments + shares) / views, per day and per post; where the export
has reach (Business Suite), also per reach. Activity hours are in the export's own time zone,
which TikTok does not state: the pages say so.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final

from trendmon.creator.records import Activity, Post

RANGES: Final = {"7d": 7, "28d": 28, "60d": 60, "365d": 365}
WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ENGAGEMENT_DEFINITION: Final = (
    "Engagement rate = (likes + comments + shares) / views of the same day or post; "
    "per reach = the same over reached audience (Business Suite exports only)."
)


def window(last_day: str | None, span: str, start: str | None, end: str | None
           ) -> tuple[str | None, str | None]:  # fmt: skip
    """The ``[from, to]`` days of a range: a custom one, else the last N days of the data."""
    if start or end:
        return start, end
    if last_day is None or span not in RANGES:
        return None, None
    last = date.fromisoformat(last_day)
    return (last - timedelta(days=RANGES[span] - 1)).isoformat(), last_day


def _rate(num: int, den: int | None) -> float | None:
    return round(num / den, 6) if den else None


def with_engagement(days: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Days with ``engagement_rate`` (and ``engagement_per_reach`` where reach is known)."""
    out = []
    for d in days:
        row = dict(d)
        acts = sum(int(d.get(k) or 0) for k in ("likes", "comments", "shares"))
        has_acts = any(k in d for k in ("likes", "comments", "shares"))
        row["engagement_rate"] = _rate(acts, d.get("views")) if has_acts else None
        row["engagement_per_reach"] = _rate(acts, d.get("reach")) if has_acts else None
        out.append(row)
    return out


def totals(days: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Sums over a range, the last follower total and the range's engagement rate."""
    out: dict[str, Any] = {}
    for key in ("views", "profile_views", "likes", "comments", "shares", "followers_net",
                "viewers_new", "viewers_returning", "reach"):  # fmt: skip
        values = [d[key] for d in days if d.get(key) is not None]
        out[key] = sum(values) if values else None
    followers = [d["followers"] for d in days if d.get("followers") is not None]
    out["followers"] = followers[-1] if followers else None
    acts = sum(out[k] or 0 for k in ("likes", "comments", "shares"))
    out["engagement_rate"] = _rate(acts, out["views"])
    out["engagement_per_reach"] = _rate(acts, out["reach"])
    return out


def post_rows(posts: Sequence[Post]) -> list[dict[str, Any]]:
    """Posts as table rows, with their lifetime engagement rate."""
    rows = []
    for p in posts:
        acts = sum(v or 0 for v in (p.likes, p.comments, p.shares))
        rows.append({
            "video_id": p.video_id, "caption": p.caption, "posted_at": p.posted_at,
            "posted_date": p.posted_date, "views": p.views, "likes": p.likes,
            "comments": p.comments, "shares": p.shares, "saves": p.saves, "sound": p.sound,
            "engagement_rate": _rate(acts, p.views), "url": p.url,
        })  # fmt: skip
    return rows


def heatmap(activity: Sequence[Activity]) -> list[list[float | None]]:
    """Mean followers online by weekday (rows, Monday first) and hour (24 columns)."""
    cells: dict[tuple[int, int], list[int]] = {}
    for a in activity:
        cells.setdefault((date.fromisoformat(a.date).weekday(), a.hour), []).append(a.active)
    return [
        [round(statistics.fmean(cells[(w, h)]), 1) if (w, h) in cells else None
         for h in range(24)]
        for w in range(7)
    ]  # fmt: skip


def best_time(activity: Sequence[Activity], posts: Sequence[Post]) -> dict[str, Any]:
    """The best hour to post, as a claim with its evidence: the hour when most followers are
    online (mean over the days of activity), and the account's own median views by posting
    hour (UTC, from the video id) where at least two posts of that hour have views."""
    by_hour: dict[int, list[int]] = {}
    for a in activity:
        by_hour.setdefault(a.hour, []).append(a.active)
    online = {h: statistics.fmean(v) for h, v in by_hour.items()}
    views: dict[int, list[int]] = {}
    for p in posts:
        if p.posted_at and p.views is not None:
            hour = datetime.fromisoformat(p.posted_at.replace("Z", "+00:00")).hour
            views.setdefault(hour, []).append(p.views)
    results = {h: statistics.median(v) for h, v in views.items() if len(v) >= 2}
    peak = max(online, key=lambda h: online[h]) if online else None
    best_posted = max(results, key=lambda h: results[h]) if results else None
    if peak is None and best_posted is None:
        claim = "Not enough data: import FollowerActivity and Content exports."
    elif peak is not None:
        claim = (f"Post about an hour before {peak:02d}:00 (export time zone): that is when "
                 f"most followers are online ({online[peak]:.0f} on average).")  # fmt: skip
        if best_posted is not None:
            claim += (f" Your own posts did best when posted at {best_posted:02d}:00 UTC "
                      f"(median {results[best_posted]:,.0f} views).")  # fmt: skip
    else:
        assert best_posted is not None
        claim = (f"Your posts did best when posted at {best_posted:02d}:00 UTC (median "
                 f"{results[best_posted]:,.0f} views); no follower activity imported.")  # fmt: skip
    return {
        "claim": claim,
        "peak_hour": peak,
        "online_by_hour": {h: round(v, 1) for h, v in sorted(online.items())},
        "median_views_by_posting_hour_utc": dict(sorted(results.items())),
        "posts_by_hour_utc": {h: len(v) for h, v in sorted(views.items())},
        "time_zone": "TikTok does not say which zone activity hours use; posting hours are UTC",
    }
