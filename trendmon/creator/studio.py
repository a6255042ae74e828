"""TikTok Studio's analytics exports, current (2025-2026) and legacy (2021-2023 web Analytics).

Each entry of :data:`FORMATS` names a table by the headers that identify it (normalized by
:func:`trendmon.creator.text.normalize_header`) and maps each column to a field of the records.
The current and the legacy Overview share a format (only the case of the headers changed); the
2021 ``Last 60 days.csv`` had the follower total instead of likes, comments and shares.
"""

from __future__ import annotations

from typing import Final

from trendmon.creator.tables import TableFormat

_DATE = "date"
_DIFF = "difference in followers from previous day"

FORMATS: Final = (
    TableFormat(
        "studio-overview",
        "days",
        {_DATE: "date", "video views": "views", "profile views": "profile_views",
         "likes": "likes", "comments": "comments", "shares": "shares"},
    ),
    TableFormat(
        "studio-overview-2021",
        "days",
        {_DATE: "date", "video views": "views", "followers": "followers", _DIFF: "followers_net",
         "profile views": "profile_views"},
    ),
    TableFormat(
        "studio-follower-history",
        "days",
        {_DATE: "date", "followers": "followers", _DIFF: "followers_net"},
    ),
    TableFormat(
        "studio-viewers",
        "days",
        {_DATE: "date", "total viewers": "viewers", "new viewers": "viewers_new",
         "returning viewers": "viewers_returning"},
    ),
    TableFormat(
        "studio-live",
        "days",
        {_DATE: "date", "new followers": "live_new_followers",
         "viewers who commented": "live_commenters", "likes": "live_likes",
         "shares": "live_shares"},
    ),
    TableFormat(
        "studio-follower-activity",
        "activity",
        {_DATE: "date", "hour": "hour", "active followers": "active"},
    ),
    TableFormat("studio-gender", "gender", {"gender": "key", "distribution": "share"}),
    TableFormat(
        "studio-territories", "territories", {"top territories": "key", "distribution": "share"}
    ),
    TableFormat(
        "studio-content",
        "posts",
        {"time": "exported", "video title": "caption", "video link": "url",
         "post time": "posted", "total likes": "likes", "total comments": "comments",
         "total shares": "shares", "total views": "views"},
    ),
    TableFormat(
        "studio-trending-videos",
        "posts",
        {"time": "exported", "video title": "caption", "video link": "url",
         "post time": "posted", "video_view_within_days": "views_recent",
         "total likes": "likes", "total comments": "comments", "total shares": "shares",
         "total views": "views"},
    ),
)  # fmt: skip
