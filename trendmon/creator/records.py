"""What an analytics export holds, as plain records (msgspec structs).

- :class:`Day`: one day's account counts; ``None`` means the export has no value for it
  (``undefined``, ``NAN``, ``--`` or a column the format lacks), never zero;
- :class:`Post`: one of the account's posts with its lifetime counts at ``as_of``;
- :class:`Share`: one slice of a follower distribution (gender, territory), a dated snapshot;
- :class:`Activity`: followers online in one hour (0-23) of one day;
- :class:`Export`: everything one file (or one entry of a ZIP) gave, with its detected format.

Dates are ISO ``YYYY-MM-DD``; times are ISO UTC ``YYYY-MM-DDTHH:MM:SSZ``.
"""

from __future__ import annotations

from typing import Final

import msgspec

DAY_METRICS: Final = (
    "views",
    "profile_views",
    "likes",
    "comments",
    "shares",
    "followers",
    "followers_net",
    "followers_new",
    "followers_lost",
    "viewers",
    "viewers_new",
    "viewers_returning",
    "reach",
    "engaged",
    "live_new_followers",
    "live_commenters",
    "live_likes",
    "live_shares",
)
"""Every daily metric an export may give, in the order ``account show`` prints them."""

POST_METRICS: Final = ("views", "likes", "comments", "shares", "saves", "views_recent")


class Day(msgspec.Struct, kw_only=True, omit_defaults=True):
    date: str
    views: int | None = None
    profile_views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    followers: int | None = None
    followers_net: int | None = None
    followers_new: int | None = None
    followers_lost: int | None = None
    viewers: int | None = None
    viewers_new: int | None = None
    viewers_returning: int | None = None
    reach: int | None = None
    engaged: int | None = None
    live_new_followers: int | None = None
    live_commenters: int | None = None
    live_likes: int | None = None
    live_shares: int | None = None

    def values(self) -> dict[str, int]:
        """The metrics this day has a value for."""
        return {m: v for m in DAY_METRICS if (v := getattr(self, m)) is not None}


class Post(msgspec.Struct, kw_only=True, omit_defaults=True):
    key: str
    """The video id where the export has it, else ``at:<posted_at>``."""
    video_id: str | None = None
    url: str | None = None
    caption: str = ""
    posted_at: str | None = None
    """UTC time of upload: from the export, or from the video id (``id >> 32``)."""
    posted_date: str | None = None
    """The day the export gives (the account's local day in current Studio files)."""
    sound: str | None = None
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    views_recent: int | None = None
    """Views in the last 7 days (legacy ``Trending Videos``)."""

    def counts(self) -> dict[str, int]:
        return {m: v for m in POST_METRICS if (v := getattr(self, m)) is not None}


class Share(msgspec.Struct, frozen=True):
    section: str
    """``gender`` or ``territory``."""
    key: str
    """``Female``/``Male``/``Other``; a territory's ISO-3166 alpha-2 code (or its name when it
    has none we know, or ``Others``)."""
    share: float
    """Fraction 0-1."""


class Activity(msgspec.Struct, frozen=True):
    date: str
    hour: int
    """0-23 (legacy files count 1-24: converted)."""
    active: int


class Export(msgspec.Struct, kw_only=True):
    source: str
    """The file name (``archive.zip!Overview.csv`` for a ZIP's entry)."""
    format: str
    """The detected format (:data:`trendmon.creator.detect.FORMATS`)."""
    exported: str
    """The day the export was made (its values are as of then): what makes a newer export win."""
    account: str | None = None
    """The handle found in the file or its name, without ``@``."""
    days: list[Day] = msgspec.field(default_factory=list)
    posts: list[Post] = msgspec.field(default_factory=list)
    audience: list[Share] = msgspec.field(default_factory=list)
    activity: list[Activity] = msgspec.field(default_factory=list)
    notes: list[str] = msgspec.field(default_factory=list)
    """What was read as missing or left out, for the import summary."""
    follower_total: int | None = None
    """A follower count snapshot at ``exported`` (Download your data)."""
