"""TikTok Business Suite's exports (Business accounts): daily overview with reach and new/lost
followers, daily audience, and every post with its saves.

Only the Business Suite localizes its headers; the Swedish ones seen in the wild are mapped
too. ``NAN`` and ``--`` mean no data (``Total followers`` is ``--`` on every row).
"""

from __future__ import annotations

from typing import Final

from trendmon.creator.tables import TableFormat

FORMATS: Final = (
    TableFormat(
        "business-overview",
        "days",
        {"date": "date", "video views": "views", "reached audience": "reach",
         "profile views": "profile_views", "likes": "likes", "shares": "shares",
         "comments": "comments", "net growth": "followers_net",
         "new followers": "followers_new", "lost followers": "followers_lost"},
        aliases={"datum": "date", "videovisningar": "video views",
                 "målgrupp som nåtts": "reached audience", "profilvisningar": "profile views",
                 "gilla-markeringar": "likes", "delningar": "shares",
                 "kommentarer": "comments", "nya följare": "new followers",
                 "förlorade följare": "lost followers", "nettotillväxt": "net growth"},
    ),
    TableFormat(
        "business-audience",
        "days",
        {"date": "date", "new followers": "followers_new", "total followers": "followers",
         "reached audience": "reach", "engaged audience": "engaged"},
    ),
    TableFormat(
        "business-content",
        "posts",
        {"video title": "caption", "video link": "url", "post time": "posted",
         "video views": "views", "likes": "likes", "comments": "comments", "shares": "shares",
         "add to favorites": "saves"},
    ),
)  # fmt: skip
