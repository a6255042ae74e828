"""Which videos are posted when: the organic stream and the planted breakouts, chunk by chunk."""

from __future__ import annotations

import random

from trendmon.producers.simulator.breakouts import Breakout, plan
from trendmon.producers.simulator.curves import HOUR, diurnal, poisson_times
from trendmon.producers.simulator.decoys import Decoy, plan_decoys, post_decoys
from trendmon.producers.simulator.world import MAX_FALL_S, MAX_RISE_S, UTC_OFFSET_H, Video, World

LEAD_S = 3.5 * MAX_RISE_S
"""Entities are created this long before they peak, so that every entity in use exists."""


def post_chunk(world: World, chunk: int) -> tuple[list[Video], list[Breakout], list[Decoy]]:
    """The videos posted in chunk ``chunk`` (in posting order) and the breakouts it plants.

    Chunk 0 starts ``lifetime_h`` (at most ``hours``) before the simulation's start, so the world
    is busy from the first observation, and creates every entity already alive then.
    """
    settings = world.settings
    rng = random.Random(f"{settings.seed}:chunk:{chunk}")
    chunk_start = world.start + chunk * world.chunk_s
    hi = chunk_start + world.chunk_s
    # The warm-up posts at the run's rate, so it is no longer than the run (a short run of many
    # videos would otherwise start with days of them).
    warmup = min(settings.lifetime_h, settings.hours) * HOUR
    lo = chunk_start - warmup if chunk == 0 else chunk_start
    if chunk == 0:
        world.grow_entities(rng, lo - 6 * MAX_FALL_S, hi + LEAD_S)
    else:
        for pool in world.pools.values():
            pool[:] = [e for e in pool if e.life.gone >= lo]
        world.grow_entities(rng, chunk_start + LEAD_S, hi + LEAD_S)
    breakouts = plan(world, rng, chunk)
    decoys = plan_decoys(world, rng, chunk)

    # (time, order, market, breakout): the order breaks ties deterministically.
    posts: list[tuple[int, int, str, Breakout | None]] = [
        (t, i, market, None) for i, (t, market) in enumerate(world.organic_post_times(rng, lo, hi))
    ]
    for breakout in breakouts:
        for t in _planted_times(world, rng, breakout, lo, max(hi, breakout.surge.end)):
            posts.append((t, len(posts), breakout.market, breakout))
    posts.sort(key=lambda p: (p[0], p[1]))

    videos = []
    for t, _, market, planted in posts:
        if planted is None:
            videos.append(world.make_video(rng, t, market))
            continue
        entity = planted.entity
        surge = planted.surge
        video = world.make_video(
            rng, t, market,
            creator=planted.creator,
            tag=entity.key if entity is not None and entity.kind == "hashtag" else None,
            sound=entity.music if entity is not None else None,
            reach_mult=surge.reach_factor(t),
            fast=surge.level(t) > 0.3,
            # A quiet tag or sound is niche: the big accounts only join once it takes off
            # (one star's video would be a baseline no breakout could rise above).
            niche=t < surge.onset,
        )
        if t < surge.onset and planted.pushes:
            # The take-off pushes the entity's videos already out there again, within the ramp
            # (over three ramps for a slow one): a second, fast curve (most of it within two
            # hours) of 0.5-1.5 times the boost.
            slow = planted.pace == "slow"
            video.boost_t = surge.onset + rng.uniform(0.0, surge.ramp_s * (3 if slow else 1))
            video.boost_reach = video.reach * (surge.reach_mult - 1.0) * rng.uniform(0.5, 1.5)
            video.boost_tau = rng.uniform(1.0, 2.0) * HOUR * (2 if slow else 1)
            video.boost_shape = rng.uniform(1.2, 1.5)
        videos.append(video)
    videos.extend(post_decoys(world, rng, decoys, lo, hi))
    videos.sort(key=lambda v: (v.create_time, v.index))
    return videos, breakouts, decoys


def _planted_times(
    world: World, rng: random.Random, breakout: Breakout, lo: float, hi: float
) -> list[int]:
    surge = breakout.surge
    offset = UTC_OFFSET_H.get(breakout.market, 0)
    base = breakout.base_per_h / HOUR

    def rate(t: float) -> float:
        # The extra posting of a take-off does not wait for the evening.
        amp = world.settings.daily_rhythm
        return base * (diurnal(t, offset, amp) + (surge.rate_mult - 1.0) * surge.level(t))

    times = poisson_times(rng, lo, hi, rate, base * (world.settings.daily_rhythm + surge.rate_mult))
    if breakout.creator is not None:
        # The video that takes off is posted at the onset itself.
        times.append(int(surge.onset) + rng.randrange(60))
        times.sort()
    return times
