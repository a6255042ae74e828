"""TikTok's "Download your data" archive (``user_data.json``, ``user_data_tiktok.json``).

It holds little for analytics: each own post's upload time, its likes (a string) and its sound,
and the own handle. Everything else in it is the user's private life: messages, logins with IP
addresses, devices, searches, watch history, orders, addresses, and other users' names in the
follower list. None of that is read: the function below picks the few fields it needs by name
and drops the rest with the decoded document. The key paths moved between vintages, so each
is looked for under every name it has had.
"""

from __future__ import annotations

import re
from datetime import datetime

import msgspec

from trendmon.creator import text
from trendmon.creator.records import Export, Post
from trendmon.creator.tables import Context
from trendmon.errors import ExportFormatError


class _Entry(msgspec.Struct):
    Date: str | None = None
    date: str | None = None
    Likes: str | int | None = None
    likes: str | int | None = None
    Sound: str | None = None
    Title: str | None = None
    Desc: str | None = None


class _List(msgspec.Struct):
    VideoList: list[_Entry] | None = None


class _Posts(msgspec.Struct):
    Posts: _List | None = None
    Videos: _List | None = None


class _ProfileMap(msgspec.Struct):
    userName: str | None = None
    username: str | None = None


class _ProfileInfo(msgspec.Struct):
    ProfileMap: _ProfileMap | None = None


class _Profile(msgspec.Struct):
    info: _ProfileInfo | None = msgspec.field(default=None, name="Profile Info")
    information: _ProfileInfo | None = msgspec.field(default=None, name="Profile Information")


class _Archive(msgspec.Struct):
    """The only paths read: everything else is skipped by the decoder, never built."""

    Post: _Posts | None = None
    Video: _Posts | None = None
    Profile: _Profile | None = None
    settings: _Profile | None = msgspec.field(default=None, name="Profile And Settings")
    activity: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw, name="Your Activity")
    old_activity: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw, name="Activity")


_decode = msgspec.json.Decoder(_Archive).decode
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _text(*values: str | int | None) -> str:
    for value in values:
        if value is not None and str(value).strip() not in ("", "N/A", "None"):
            return str(value)
    return ""


def read_takeout(data: bytes, source: str, ctx: Context) -> Export:
    """The own posts and handle of a "Download your data" JSON file."""
    try:
        doc = _decode(data.lstrip(b"\xef\xbb\xbf \t\r\n"))
    except msgspec.ValidationError as exc:
        raise ExportFormatError(
            f"is JSON but not TikTok's 'Download your data' file ({exc})", source,
            fix="import the user_data_tiktok.json of TikTok's 'Download your data' as it came",
        ) from None  # fmt: skip
    except msgspec.DecodeError as exc:
        raise ExportFormatError(
            f"is not valid JSON ({exc})", source,
            fix="import the user_data_tiktok.json of TikTok's 'Download your data' (JSON)",
        ) from None  # fmt: skip
    sections = (doc.Post, doc.Video, doc.Profile, doc.settings)
    if all(s is None for s in sections) and not (len(doc.activity) or len(doc.old_activity)):
        raise ExportFormatError(
            "is JSON but not TikTok's 'Download your data' file (no Post or Profile section)",
            source, fix="request the archive as JSON in TikTok: Settings, Account, "
            "Download your data",
        )  # fmt: skip
    handle = ""
    for profile in (doc.settings, doc.Profile):
        info = profile and (profile.info or profile.information)
        if info and info.ProfileMap:
            handle = _text(info.ProfileMap.userName, info.ProfileMap.username)
            break
    entries: list[_Entry] = []
    for section in (doc.Post, doc.Video):
        listing = section and (section.Posts or section.Videos)
        if listing and listing.VideoList:
            entries = listing.VideoList
            break
    posts: list[Post] = []
    for n, entry in enumerate(entries, start=1):
        stamp = _text(entry.Date, entry.date)
        if _STAMP.fullmatch(stamp):  # the archive's own form, UTC: no need to build a datetime
            at = f"{stamp[:10]}T{stamp[11:19]}Z"
        elif (when := text.parse_time(stamp)) is not None:
            at = text.iso_time(when)
        else:
            raise ExportFormatError(
                f"post {n} has no readable Date ({stamp[:40]!r})", source,
                fix="the archive's Post.Posts.VideoList entries need their Date",
            )  # fmt: skip
        likes = _text(entry.Likes, entry.likes)
        posts.append(Post(
            key=f"at:{at}", caption=_text(entry.Title, entry.Desc), posted_at=at,
            posted_date=at[:10], sound=_text(entry.Sound) or None,
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


