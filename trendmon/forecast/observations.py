"""What the forecasts read: hourly play gains of entities and the early sightings of videos.

Both forecasts are defined on the raw snapshots, not on trendmon's scores, so that a change to
the engine cannot move their labels. :class:`Observations` owns one table, fed snapshot by
snapshot in arrival order (event time only):

- a video's **play increment** is its plays minus its plays at its previous sighting (never
  negative: a count that went down adds nothing); a first sighting adds its plays only when the
  video was posted within :data:`NEW_WITHIN_MS` (a new video's plays are new; an old video first
  seen when the scraper starts is not a gain of that hour). A snapshot older than the video's
  latest is ignored (it was counted by the later one).
- an increment is booked in the **hour of event time** of its collection, for each hashtag and
  the sound of the video, in its market and in ``all``. Each hourly cell keeps the gain, the
  videos and creators that gained, and the new videos.
- a video's sightings are kept up to :data:`KEEP_VIDEO_MS` after it was posted (the video
  forecast needs its first hours and its plays at 24 hours).

Hours are integers: epoch milliseconds // 3,600,000. At an origin ``t`` (a whole hour), hours
``< t`` are known and hours ``>= t`` are the future.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from trendmon.events import VideoSnapshot, normalize_tag

HOUR_MS: Final = 3_600_000
NEW_WITHIN_MS: Final = 6 * HOUR_MS
KEEP_VIDEO_MS: Final = 30 * HOUR_MS
ALL: Final = "all"
KINDS: Final = ("hashtag", "sound")


@dataclass(slots=True)
class HourCell:
    """One entity's hour in one scope (a market, or ``all``)."""

    gain: int = 0
    creators: set[str] = field(default_factory=set)
    new_videos: int = 0


@dataclass(slots=True)
class VideoTrack:
    """A video's sightings (epoch ms, plays), oldest first, up to ``KEEP_VIDEO_MS`` of age."""

    video_id: str
    market: str
    created_ms: int
    followers: int
    sightings: list[tuple[int, int]] = field(default_factory=list)


_TAG_KEYS: dict[str, str] = {}


def _tag_key(raw: str) -> str:
    key = _TAG_KEYS.get(raw)
    if key is None:
        tag = normalize_tag(raw)
        key = "hashtag:" + tag if tag else ""
        if len(_TAG_KEYS) < 1_000_000:
            _TAG_KEYS[raw] = key
    return key


def entity_keys(snapshot: VideoSnapshot) -> list[tuple[str, str]]:
    """(kind, key) of the hashtags and the sound of a snapshot, keys as the engine names them
    (``hashtag:dance``)."""
    keys: list[tuple[str, str]] = []
    for raw in snapshot.hashtags:
        key = _tag_key(raw)
        if key and ("hashtag", key) not in keys:
            keys.append(("hashtag", key))
    if snapshot.music is not None and snapshot.music.id:
        keys.append(("sound", "sound:" + snapshot.music.id[:200]))
    return keys


def snapshot_ms(snapshot: VideoSnapshot) -> int:
    """Collection time in epoch milliseconds."""
    return int(snapshot.collected_at.timestamp() * 1000)


class Observations:
    """Hourly entity gains and early video sightings, built from snapshots (see the module doc).

    >>> obs = Observations()
    >>> obs.hours  # nothing seen yet
    (0, 0)
    """

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str], dict[str, dict[int, HourCell]]] = {}
        """(kind, scope) -> entity key -> hour -> cell."""
        self.videos: dict[str, VideoTrack] = {}
        self._last: dict[str, tuple[int, int]] = {}
        self.first_hour = 0
        self.last_hour = 0
        self.markets: set[str] = set()

    @property
    def hours(self) -> tuple[int, int]:
        """First and last hour with a snapshot (0, 0 before any)."""
        return self.first_hour, self.last_hour

    def add(self, snapshot: VideoSnapshot) -> None:
        """Book one snapshot (arrival order; event time from the snapshot)."""
        ms = snapshot_ms(snapshot)
        vid = snapshot.video_id
        plays = snapshot.stats.plays
        created = snapshot.create_time
        created_ms = int(created.timestamp() * 1000) if created is not None else None
        prev = self._last.get(vid)
        if prev is not None and ms <= prev[0]:
            return
        self._last[vid] = (ms, plays)
        new = False
        if prev is not None:
            gain = max(0, plays - prev[1])
        elif created_ms is not None and ms - created_ms <= NEW_WITHIN_MS:
            gain, new = plays, True
        else:
            gain = 0
        hour = ms // HOUR_MS
        if not self.first_hour or hour < self.first_hour:
            self.first_hour = hour
        self.last_hour = max(self.last_hour, hour)
        market = snapshot.market
        self.markets.add(market)
        author = snapshot.author.id
        if gain or new:
            for kind, key in entity_keys(snapshot):
                for scope in (market, ALL):
                    table = self.cells.get((kind, scope))
                    if table is None:
                        table = self.cells[(kind, scope)] = {}
                    hours = table.get(key)
                    if hours is None:
                        hours = table[key] = {}
                    cell = hours.get(hour)
                    if cell is None:
                        cell = hours[hour] = HourCell()
                    cell.gain += gain
                    if gain:
                        cell.creators.add(author)
                    if new:
                        cell.new_videos += 1
        if created_ms is not None and ms - created_ms <= KEEP_VIDEO_MS:
            track = self.videos.get(vid)
            if track is None:
                track = self.videos[vid] = VideoTrack(
                    vid, market, created_ms, snapshot.author.followers or 0
                )
            track.sightings.append((ms, plays))

    def add_all(self, snapshots: list[VideoSnapshot]) -> None:
        """Book a batch."""
        for s in snapshots:
            self.add(s)

    def hours_of(self, key: str, scope: str) -> dict[int, HourCell]:
        """An entity's hourly cells in a scope (empty when none)."""
        return self.cells.get((key.partition(":")[0], scope), {}).get(key, {})

    def scopes(self) -> list[str]:
        """``all`` then each market seen, sorted."""
        return [ALL, *sorted(self.markets)]

    def forget_before(self, hour: int) -> None:
        """Drop hourly cells before ``hour`` and videos posted before it minus a day and a half
        (what a long-running runtime no longer needs)."""
        for table in self.cells.values():
            for key, hours in list(table.items()):
                for h in [h for h in hours if h < hour]:
                    del hours[h]
                if not hours:
                    del table[key]
        limit = hour * HOUR_MS - KEEP_VIDEO_MS - 6 * HOUR_MS
        for vid in [v for v, t in self.videos.items() if t.created_ms < limit]:
            del self.videos[vid]
        for vid in [v for v, (ms, _) in self._last.items() if ms < limit]:
            del self._last[vid]
