"""A small TikTok world built in code, run through the embedded runtime into real stores.

Thirty-seven videos in two markets over three hours, snapshots every five minutes; ``#surge``
has a quiet baseline, then takes off in the last hour: its videos are pushed and new ones
arrive. One video
carries hostile text everywhere a person's words can go (its description, creator names, sound
title, a hashtag): markup, scripts, a right-to-left override, emoji, 10,000 characters.
:meth:`World.advance` publishes more minutes, so that tests can watch the wall change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from trendmon.events import Author, Effect, Music, Stats, VideoSnapshot, encode, new_snapshot
from trendmon.log.base import SNAPSHOTS, snapshot_message
from trendmon.log.embedded import EmbeddedLog
from trendmon.runtimes.embedded import EmbeddedRuntime, Sinks
from trendmon.settings import EngineSettings
from trendmon.sinks.factory import open_history
from trendmon.sinks.redis.store import LiveStore

T0 = datetime(2026, 1, 5, tzinfo=UTC)
HOSTILE_VIDEO = "7999999999999999999"
HOSTILE_TAG = '<img src=x onerror="window.__xss=3">'
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
HOSTILE_DESCRIPTION = (XSS + " \u202eevil\u202c 🎉🔥 " + "A" * 10_000)[:10_000]
SURGE_AUTHOR = "6900000000000000077"
VERIFIED_AUTHOR = "6800000000000000001"
GREEN_SCREEN = "5500000000000000001"
SURGE_VIDEOS = 12
SURGE_AT = 120
"""Minute at which #surge takes off."""
VIDEOS = 24 + SURGE_VIDEOS + 1
"""Videos in the world after three hours: steady ones, the surge, the hostile one."""


def _snapshot(video: int, minute: int, plays: int, *, surge: bool = False) -> VideoSnapshot:
    vid = str(7_000_000_000_000_000_000 + video)
    market = "US" if video % 2 == 0 else "GB"
    author_id = str(6_800_000_000_000_000_000 + video % 7)
    tags = [("dance", "cooking", "pets")[video % 3], "fyp"]
    if 21 <= video < 24 or surge:
        tags.append("surge")
        if video % 3:
            tags.remove("fyp")  # #fyp is on a third of #surge's videos, as a generic tag is
    if surge:  # a trend is many creators: the first of them is SURGE_AUTHOR
        author_id = str(int(SURGE_AUTHOR) + video - 24)
    return new_snapshot(
        video_id=vid,
        collected_at=T0 + timedelta(minutes=minute, seconds=video),
        source="simulator",
        market=market,
        create_time=T0 - timedelta(hours=1),
        description=f"video {video} {' '.join('#' + t for t in tags)}",
        author=Author(
            id=author_id,
            unique_id=f"creator{author_id[-2:]}",
            nickname=f"Creator {author_id[-2:]}",
            verified=author_id == VERIFIED_AUTHOR,
            followers=1000 * (video % 7 + 1) ** 3,
        ),
        music=Music(id=str(6_600_000_000_000_000_000 + video % 4), title=f"Sound {video % 4}"),
        hashtags=tags,
        effects=[Effect(id=GREEN_SCREEN, name="Green screen")] if video % 5 == 0 else [],
        stats=Stats(plays=plays, likes=plays // 10, comments=plays // 100, shares=plays // 200,
                    saves=plays // 300),
        exact_counts=True,
    )  # fmt: skip


def _hostile(minute: int) -> VideoSnapshot:
    plays = 5000 + minute * 300
    return new_snapshot(
        video_id=HOSTILE_VIDEO,
        collected_at=T0 + timedelta(minutes=minute, seconds=59),
        source="simulator",
        market="US",
        create_time=T0 - timedelta(hours=1),
        description=HOSTILE_DESCRIPTION,
        author=Author(id="6899999999999999999", unique_id=XSS, nickname="\u202e" + XSS),
        music=Music(id="6699999999999999999", title=XSS),
        hashtags=[HOSTILE_TAG, "dance"],
        stats=Stats(plays=plays, likes=plays // 10, comments=5, shares=2),
        exact_counts=True,
    )


def snapshots(first: int, last: int, boost: int = 1) -> list[VideoSnapshot]:
    """Snapshots of every video for minutes ``first`` to ``last`` (every five minutes).

    Steady videos gain plays linearly; from minute ``SURGE_AT`` ``#surge`` takes off: its three
    quiet videos gain four times as fast and new ones accelerate; ``boost`` multiplies video
    0's gains, to move the top of the wall on demand.
    """
    out = []
    for minute in range(first, last + 1, 5):
        for v in range(24):
            gain = (40 + v * 7) * (boost if v == 0 else 1)
            pushed = 3 * gain * (minute - SURGE_AT) if v >= 21 and minute > SURGE_AT else 0
            out.append(_snapshot(v, minute, 2000 + minute * gain + pushed))
        for v in range(24, 24 + SURGE_VIDEOS):
            start = SURGE_AT + (v - 24) * 3
            if minute >= start:
                out.append(_snapshot(v, minute, 500 + (minute - start) ** 2 * 60, surge=True))
        out.append(_hostile(minute))
    return out


class World:
    """The stores under ``home``, fed by an embedded runtime that stays open."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.log = EmbeddedLog(home)
        self.sinks = Sinks(LiveStore.open(home=home), open_history("sqlite", home=home))
        self.runtime = EmbeddedRuntime(self.log, self.sinks, EngineSettings())
        self.minute = 0

    def publish(self, snaps: list[VideoSnapshot]) -> None:
        """Publish to the log and run the engine over it (stores written, change published)."""
        self.log.publish(
            SNAPSHOTS,
            [snapshot_message(s, encode(s)) for s in snaps],
        )
        self.runtime.run(follow=False)

    def advance(self, minutes: int = 5, boost: int = 1) -> None:
        """Publish the next ``minutes`` of the world."""
        first = self.minute + 5
        self.minute += minutes
        self.publish(snapshots(first, self.minute, boost))

    def close(self) -> None:
        self.sinks.close()
        self.log.close()


def build(home: Path, minutes: int = 180) -> World:
    world = World(home)
    world.minute = minutes
    world.publish(snapshots(0, minutes))
    return world
