"""The account pages' data: the only module of the dashboard that reads the creator store.

Each table the pages show comes from :data:`ACCOUNT_TABLES`, given the page's parameters, so
``/export/account/NAME.csv`` holds exactly the rows on screen (analyst and up).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

from trendmon.creator import baseline, insights
from trendmon.creator.territories import alpha3, country_name
from trendmon.dashboard.data import DashboardData
from trendmon.dashboard.tables import Column, Table
from trendmon.sinks.creator import CreatorStore

Params = Mapping[str, str]


class CreatorData:
    """Reads of the creator store, opened on first use."""

    def __init__(
        self, opener: Callable[[], CreatorStore], live: DashboardData | None = None
    ) -> None:
        self._opener = opener
        self._live = live
        """The live boards and the history of tracked videos, for the baseline and trends."""
        self._store: CreatorStore | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> CreatorStore:
        with self._lock:
            if self._store is None:
                self._store = self._opener()
            return self._store

    def accounts(self) -> list[dict[str, Any]]:
        return self.store.accounts()

    def account(self, handle: str) -> dict[str, Any] | None:
        return next((a for a in self.accounts() if a["account"] == handle), None)

    def range_of(self, handle: str, params: Params) -> tuple[str | None, str | None]:
        info = self.account(handle)
        return insights.window(
            info["last_day"] if info else None, params.get("range", "28d"),
            params.get("from") or None, params.get("to") or None,
        )  # fmt: skip

    def days(self, handle: str, params: Params) -> list[dict[str, Any]]:
        start, end = self.range_of(handle, params)
        return insights.with_engagement(self.store.days(handle, start, end))

    def posts(self, handle: str) -> list[dict[str, Any]]:
        return insights.post_rows(self.store.posts(handle))

    def audience(self, handle: str, section: str) -> tuple[str | None, list[dict[str, Any]]]:
        as_of, shares = self.store.audience(handle, section)
        rows = [{"key": s.key, "share": s.share} for s in shares]
        if section == "territory":
            for r in rows:
                r["name"] = country_name(str(r["key"]))
                r["iso3"] = alpha3(str(r["key"]))
        return as_of, rows

    def activity(self, handle: str) -> list[dict[str, Any]]:
        return [{"date": a.date, "hour": a.hour, "active": a.active}
                for a in self.store.activity(handle)]  # fmt: skip

    def heatmap(self, handle: str) -> list[list[float | None]]:
        return insights.heatmap(self.store.activity(handle))

    def best_time(self, handle: str) -> dict[str, Any]:
        return insights.best_time(self.store.activity(handle), self.store.posts(handle))

    def same_age(self, handle: str) -> list[dict[str, Any]]:
        """Own videos against the account's median at the same age, from tracked snapshots."""
        if self._live is None:
            return []
        videos = {}
        for post in self.store.posts(handle):
            posted = baseline.upload_ms(post)
            if post.video_id is None or posted is None:
                continue
            series = self._live.video_series(post.video_id)
            if series:
                videos[post.video_id] = (posted, [(p["collected_ms"], p["plays"]) for p in series])
        return baseline.same_age(videos)

    def linked_trends(self, handle: str) -> list[dict[str, Any]]:
        """The account's hashtags and sounds on the live boards (all markets, 24 h)."""
        if self._live is None:
            return []
        rows: list[dict[str, Any]] = []
        for kind in ("hashtag", "sound"):
            rows += self._live.entity_board(kind, "all", "24h", 200)
        return baseline.linked_trends(self.store.posts(handle), rows)

    def peer_trends(self, handle: str) -> list[dict[str, Any]]:
        """Emerging and rising hashtags and sounds (all markets, 1 h) that creators of about
        this account's size (its latest follower total) used in videos posted in the last hour
        of event time, from the live store's top videos."""
        info = self.account(handle)
        if self._live is None or not info or not info.get("followers"):
            return []
        live = self._live
        # A thousand cards a render: shared by every account page for the cache's lifetime.
        board = live.cache.get_or(
            ("peer_scan",), lambda: live.video_board("velocity", "all", "1h", PEER_SCAN)
        )
        cards = board["rows"]
        if not cards:
            return []
        now_ms = max(int(c.get("collected_ms") or 0) for c in cards)
        rows: list[dict[str, Any]] = []
        for kind in ("hashtag", "sound"):
            rows += live.entity_board(kind, "all", "1h", 200)
        return baseline.peer_trends(int(info["followers"]), cards, rows, now_ms)

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


PEER_SCAN: Final = 1000
"""Top videos of the last hour read for creators of a similar size."""

DAY_COLUMNS: Final = [
    Column("date", "Date"),
    Column("views", "Views", "count"),
    Column("profile_views", "Profile views", "count"),
    Column("likes", "Likes", "count"),
    Column("comments", "Comments", "count"),
    Column("shares", "Shares", "count"),
    Column("followers", "Followers", "count"),
    Column("followers_net", "Net followers", "count"),
    Column("viewers", "Viewers", "count"),
    Column("viewers_new", "New viewers", "count"),
    Column("viewers_returning", "Returning viewers", "count"),
    Column("reach", "Reach", "count"),
    Column("engagement_rate", "Engagement rate", "percent"),
    Column("engagement_per_reach", "Engagement per reach", "percent"),
]
POST_COLUMNS: Final = [
    Column("posted_date", "Posted"),
    Column("caption", "Caption", "text"),
    Column("views", "Views", "count"),
    Column("likes", "Likes", "count"),
    Column("comments", "Comments", "count"),
    Column("shares", "Shares", "count"),
    Column("saves", "Saves", "count"),
    Column("engagement_rate", "Engagement rate", "percent"),
    Column("sound", "Sound", "text"),
    Column("video_id", "Video id"),
]


def _params(handle: str, params: Params) -> dict[str, str]:
    keep = {k: params[k] for k in ("range", "from", "to") if params.get(k)}
    return {"account": handle, **keep}


def days_table(data: CreatorData, params: Params) -> Table:
    handle = params.get("account", "")
    return Table("account_days", DAY_COLUMNS, data.days(handle, params), _params(handle, params),
                 note=insights.ENGAGEMENT_DEFINITION, empty="No day in this range.")  # fmt: skip


def posts_table(data: CreatorData, params: Params) -> Table:
    handle = params.get("account", "")
    return Table("account_posts", POST_COLUMNS, data.posts(handle), {"account": handle},
                 note="Lifetime counts as of the newest export that has the post.",
                 empty="No post imported (import Content.csv or Download your data).")  # fmt: skip


def audience_table(data: CreatorData, params: Params) -> Table:
    handle = params.get("account", "")
    section = "gender" if params.get("section") == "gender" else "territory"
    as_of, rows = data.audience(handle, section)
    cols = [Column("key", "Gender" if section == "gender" else "Territory"),
            Column("share", "Share", "percent")]  # fmt: skip
    if section == "territory":
        cols.insert(1, Column("name", "Name"))
    return Table(f"account_{section}", cols, rows, {"account": handle, "section": section},
                 note=f"Snapshot of {as_of}." if as_of else None)  # fmt: skip


def activity_table(data: CreatorData, params: Params) -> Table:
    handle = params.get("account", "")
    cols = [Column("date", "Date"), Column("hour", "Hour"), Column("active", "Online", "count")]
    return Table("account_activity", cols, data.activity(handle), {"account": handle})


def compare_table(data: CreatorData, params: Params) -> Table:
    rows = []
    for info in data.accounts():
        days = data.days(info["account"], params)
        sums = insights.totals(days)
        rows.append({"account": info["account"], "last_day": info["last_day"], **sums})
    cols = [Column("account", "Account"), Column("last_day", "Last day"),
            Column("views", "Views", "count"), Column("likes", "Likes", "count"),
            Column("comments", "Comments", "count"), Column("shares", "Shares", "count"),
            Column("followers", "Followers", "count"),
            Column("followers_net", "Net followers", "count"),
            Column("engagement_rate", "Engagement rate", "percent")]  # fmt: skip
    keep = {k: params[k] for k in ("range", "from", "to") if params.get(k)}
    return Table("account_compare", cols, rows, keep,
                 note="Each account over its own last days of the range.")  # fmt: skip


def same_age_table(data: CreatorData, params: Params) -> Table:
    handle = params.get("account", "")
    cols = [Column("video_id", "Video id"), Column("hour", "Hour"),
            Column("plays", "Plays", "count"), Column("median", "Your median", "count"),
            Column("ratio", "Ratio"), Column("videos_in_baseline", "Videos in baseline"),
            Column("claim", "Claim", "text", limit=120)]  # fmt: skip
    return Table("account_same_age", cols, data.same_age(handle), {"account": handle},
                 empty="No tracked snapshots of this account's videos yet: scrape it with "
                 "`trendmon scrape --target user:HANDLE`.")  # fmt: skip


def trends_table(data: CreatorData, params: Params) -> Table:
    handle = params.get("account", "")
    cols = [Column("entity", "Entity", "text"), Column("name", "Name", "text"),
            Column("rank", "Rank"), Column("stage", "Stage"), Column("score", "Score", "score"),
            Column("your_posts", "Your posts", "count")]  # fmt: skip
    return Table("account_trends", cols, data.linked_trends(handle), {"account": handle},
                 empty="None of this account's hashtags or sounds is on the live boards now.")


def peers_table(data: CreatorData, params: Params) -> Table:
    handle = params.get("account", "")
    cols = [Column("entity", "Entity", "text"), Column("name", "Name", "text"),
            Column("stage", "Stage"), Column("rank", "Rank"),
            Column("peers", "Creators of your size", "count"),
            Column("peer_videos", "Their videos this hour", "count")]  # fmt: skip
    return Table("account_peers", cols, data.peer_trends(handle), {"account": handle},
                 empty="No creator of about your size posted with an emerging or rising "
                 "hashtag or sound in the last hour.")  # fmt: skip


ACCOUNT_TABLES: Final[dict[str, Callable[[CreatorData, Params], Table]]] = {
    "account_days": days_table,
    "account_posts": posts_table,
    "account_gender": lambda d, p: audience_table(d, {**p, "section": "gender"}),
    "account_territory": lambda d, p: audience_table(d, {**p, "section": "territory"}),
    "account_activity": activity_table,
    "account_compare": compare_table,
    "account_same_age": same_age_table,
    "account_trends": trends_table,
    "account_peers": peers_table,
}
