"""TikTok's "Download your data" archive (``user_data.json``, ``user_data_tiktok.json``).

It holds little for analytics: each own post's upload time, its likes (a string) and its sound,
and the own handle. Everything else in it is the user's private life: messages, logins with IP
addresses, devices, searches, watch history, orders, addresses, and other users' names in the
follower list. None of that is read: the function below picks the few fields it needs by name
and drops the rest with the decoded document. The key paths moved between vintages, so each
is looked for under every name it has had.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import msgspec

from trendmon.creator import text
from trendmon.creator.records import Export, Post
from trendmon.creator.tables import Context
from trendmon.errors import ExportFormatError

POSTS: Final = (("Post", "Posts", "VideoList"), ("Video", "Videos", "VideoList"))
PROFILE: Final = (
    ("Profile And Settings", "Profile Info", "ProfileMap"),
    ("Profile", "Profile Info", "ProfileMap"),
    ("Profile", "Profile Information", "ProfileMap"),
)
_MARKERS: Final = ("Post", "Video", "Profile", "Profile And Settings", "Your Activity", "Activity")


def _find(doc: Any, paths: Sequence[Sequence[str]]) -> Any:
    for path in paths:
        node = doc
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            return node
    return None


def _field(entry: dict[str, Any], *names: str) -> str:
    for name in names:
        value = entry.get(name)
        if isinstance(value, str | int) and str(value).strip() not in ("", "N/A", "None"):
            return str(value)
    return ""


def is_takeout(doc: object) -> bool:
    return isinstance(doc, dict) and any(k in doc for k in _MARKERS)


def read_takeout(data: bytes, source: str, ctx: Context) -> Export:
    """The own posts and handle of a "Download your data" JSON file."""
    try:
        doc = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise ExportFormatError(
            f"is not valid JSON ({exc})", source,
            fix="import the user_data_tiktok.json of TikTok's 'Download your data' (JSON)",
        ) from None  # fmt: skip
    if not is_takeout(doc):
        raise ExportFormatError(
            "is JSON but not TikTok's 'Download your data' file (no Post or Profile section)",
            source, fix="request the archive as JSON in TikTok: Settings, Account, "
            "Download your data",
        )  # fmt: skip
    profile = _find(doc, PROFILE)
    handle = _field(profile, "userName", "username") if isinstance(profile, dict) else ""
    entries = _find(doc, POSTS) or []
    posts: list[Post] = []
    for n, entry in enumerate(entries if isinstance(entries, list) else [], start=1):
        if not isinstance(entry, dict):
            continue
        stamp = _field(entry, "Date", "date")
        when = text.parse_time(stamp)
        if when is None:
            raise ExportFormatError(
                f"post {n} has no readable Date ({stamp[:40]!r})", source,
                fix="the archive's Post.Posts.VideoList entries need their Date",
            )  # fmt: skip
        at = text.iso_time(when)
        likes = _field(entry, "Likes", "likes")
        title = _field(entry, "Title", "Desc", "title")
        posts.append(Post(
            key=f"at:{at}", caption=title, posted_at=at, posted_date=at[:10],
            sound=_field(entry, "Sound") or None,
            likes=text.count(likes) if likes else None,
        ))  # fmt: skip
    newest = max((p.posted_at for p in posts if p.posted_at), default=None)
    exported = ctx.exported or (
        datetime.fromisoformat(newest.replace("Z", "+00:00")).date() if newest else ctx.today
    )
    del doc  # the rest (messages, logins, devices, other users) is never kept
    notes = [f"{len(posts)} posts (upload time, likes, sound); no views in this archive"]
    return Export(source=source, format="takeout-json", exported=exported.isoformat(),
                  account=handle or None, posts=posts, notes=notes)  # fmt: skip


