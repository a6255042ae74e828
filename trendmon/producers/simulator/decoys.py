"""Decoys: things that look like a take-off to a naive rule and are not one.

Each period plants the decoys named in ``decoys`` (the truth file lists them under ``decoys``;
a spike on one is a false alarm):

- ``viral``: a quiet tag (its baseline like a planted breakout's) gets one new video from an
  ordinary creator that goes viral (reach x100 on a fast curve), and one of its older videos is
  pushed alone (x30): a video or two, however big, is not a trend;
- ``star``: the biggest creator of a market posts four videos within an hour, all with a quiet
  tag: millions of plays, one creator;
- ``rhythm``: a quiet tag busy every evening (six times its daytime rate at 20:00 local), on
  every day of the run: a habit, not a take-off.

World-wide decoys (coverage changes, outages, duplicate scrapers, rounded counts) are settings
of the scraper's view (:mod:`.observe`), and riders (generic tags and sounds on a breakout's
videos) come with every breakout.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Final

from trendmon.producers.simulator.curves import HOUR, Lifecycle, diurnal, evening, poisson_times
from trendmon.producers.simulator.world import UTC_OFFSET_H, Creator, Entity, Video, World

DECOYS: Final = ("viral", "star", "rhythm")
EVENING_PEAK: Final = 6.0
VIRAL_REACH: Final = 100.0
PUSHED_ALONE: Final = 30.0


@dataclass(slots=True, eq=False)
class Decoy:
    kind: str
    market: str
    at: float
    """When it happens (the rhythm: the run's first evening peak is every day's)."""
    tag: Entity
    base_per_h: float
    creator: Creator | None = None

    def truth(self) -> dict[str, Any]:
        from trendmon.producers.simulator.breakouts import iso

        keys = [f"hashtag:{self.tag.key}"]
        if self.creator is not None:
            keys.append(f"creator:{self.creator.id}")
        return {
            "decoy": self.kind,
            "entities": keys,
            "name": self.tag.name,
            "market": self.market,
            "at": iso(self.at),
        }


def parse_decoys(text: str) -> list[str]:
    kinds = [k.strip().lower() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in DECOYS]
    if unknown:
        raise ValueError(f"unknown decoy {unknown[0]!r}: use {', '.join(DECOYS)}")
    return kinds


def plan_decoys(world: World, rng: random.Random, chunk: int) -> list[Decoy]:
    """The decoys of one chunk, each in a market in turn, at a time after the lead."""
    from trendmon.producers.simulator.breakouts import BASELINE_SHARE, MIN_BASELINE_PER_H

    settings = world.settings
    lo = world.start + chunk * world.chunk_s
    decoys = []
    for i, kind in enumerate(parse_decoys(settings.decoys)):
        market = world.markets[(i + chunk + 1) % len(world.markets)]
        at = lo + world.chunk_s * rng.uniform(settings.breakout_lead, 0.85)
        tag = world.make_entity(rng, "hashtag", market, Lifecycle(0, 1, 1, 0, 1.0))
        market_per_h = settings.videos / settings.hours * world.market_share[market]
        base = max(MIN_BASELINE_PER_H, BASELINE_SHARE * market_per_h)
        decoy = Decoy(kind, market, at, tag, base)
        if kind == "star":
            stars = sorted(
                (c for c in world.creators if c.market == market and c.id not in world.excluded),
                key=lambda c: (-c.followers, c.id),
            ) or sorted(world.creators, key=lambda c: (-c.followers, c.id))
            decoy.creator = stars[0]
        decoys.append(decoy)
    return decoys


def post_decoys(
    world: World, rng: random.Random, decoys: list[Decoy], lo: float, hi: float
) -> list[Video]:
    """The videos of the decoys over [lo, hi)."""
    videos: list[Video] = []
    amp = world.settings.daily_rhythm
    for decoy in decoys:
        offset = UTC_OFFSET_H.get(decoy.market, 0)
        base = decoy.base_per_h / HOUR
        peak = EVENING_PEAK if decoy.kind == "rhythm" else 1.0

        def rate(t: float, base: float = base, offset: float = offset, peak: float = peak) -> float:
            if peak > 1.0:
                return base * evening(t, offset, peak)
            return base * diurnal(t, offset, amp)

        times = poisson_times(rng, lo, hi, rate, base * max(peak, 1.0 + amp))
        made = [
            world.make_video(rng, t, decoy.market, tag=decoy.tag.key, niche=True) for t in times
        ]
        videos.extend(made)
        if decoy.kind == "viral":
            videos.append(
                world.make_video(
                    rng, int(decoy.at), decoy.market, tag=decoy.tag.key,
                    reach_mult=VIRAL_REACH, fast=True, niche=True,
                )
            )
            older = [v for v in made if decoy.at - 24 * HOUR < v.create_time < decoy.at - HOUR]
            if older:
                pushed = older[-1]
                pushed.boost_t = decoy.at
                pushed.boost_reach = pushed.reach * PUSHED_ALONE
                pushed.boost_tau = 1.5 * HOUR
                pushed.boost_shape = 1.3
        elif decoy.kind == "star" and decoy.creator is not None:
            for k in range(4):
                t = int(decoy.at + k * 15 * 60 + rng.uniform(0, 600))
                videos.append(
                    world.make_video(rng, t, decoy.market, creator=decoy.creator,
                                     tag=decoy.tag.key)
                )
    return videos
