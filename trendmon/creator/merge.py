"""Which value of a day wins when exports overlap: the newer export's.

TikTok's windows roll (365 days in Studio, 7 days of activity, undated snapshots), so a creator
imports again and again, and the exports overlap. Every stored value keeps the day of the export
it came from (``as_of``); a value from an export at least as new replaces it, an older one only
fills what is missing. Importing the same files twice, or overlapping files in any order, so
stores the same thing. The stores call these functions; they only read and write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import msgspec

from trendmon.creator.records import POST_METRICS, Post

Change = Literal["added", "updated", "unchanged"]
Valued = tuple[int, str]
"""A stored value and the export day it came from."""


class Summary(msgspec.Struct, kw_only=True):
    """What one file of an import changed."""

    source: str
    format: str
    account: str
    exported: str
    days_added: int = 0
    days_updated: int = 0
    days_unchanged: int = 0
    posts_added: int = 0
    posts_updated: int = 0
    posts_unchanged: int = 0
    audience: int = 0
    activity_added: int = 0
    activity_updated: int = 0
    notes: list[str] = msgspec.field(default_factory=list)


def newer(incoming_as_of: str, stored_as_of: str) -> bool:
    """Whether an incoming value replaces a stored one (ties: the later import)."""
    return incoming_as_of >= stored_as_of


def merge_values(
    stored: Mapping[str, Valued], incoming: Mapping[str, int], as_of: str
) -> tuple[dict[str, Valued], Change]:
    """One day's (or hour's) metrics after an import, and what the import did to it."""
    merged = dict(stored)
    changed = False
    for metric, value in incoming.items():
        old = stored.get(metric)
        if old is None or (newer(as_of, old[1]) and old[0] != value):
            merged[metric] = (value, as_of)
            changed = True
        elif newer(as_of, old[1]):
            merged[metric] = (value, max(as_of, old[1]))
    if not stored:
        return merged, "added"
    return merged, "updated" if changed else "unchanged"


def merge_post(
    stored: Post | None, stored_as_of: str | None, incoming: Post, as_of: str
) -> tuple[Post, str, Change]:
    """A post after an import: the newer export's non-missing fields win, the older one's fill
    the gaps (Download your data has the sound, Studio the views)."""
    if stored is None or stored_as_of is None:
        return incoming, as_of, "added"
    winner, loser = (incoming, stored) if newer(as_of, stored_as_of) else (stored, incoming)
    fields = msgspec.structs.asdict(loser)
    fields.update({k: v for k, v in msgspec.structs.asdict(winner).items() if v not in (None, "")})
    fields["key"] = stored.key
    merged = msgspec.convert(fields, Post)
    same = all(
        getattr(merged, m) == getattr(stored, m)
        for m in (*POST_METRICS, "caption", "posted_at", "sound")
    )
    return merged, max(as_of, stored_as_of), "unchanged" if same else "updated"
