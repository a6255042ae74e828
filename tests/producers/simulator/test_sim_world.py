"""The world: creators' heavy tail, ids, markets, posting."""

from __future__ import annotations

from collections.abc import Callable

from trendmon.events import utc
from trendmon.producers.simulator.posting import post_chunk
from trendmon.producers.simulator.world import World
from trendmon.settings import SimulatorSettings

START = int(utc("2026-01-05T00:00:00Z").timestamp())


def test_followers_are_heavy_tailed(small: Callable[..., SimulatorSettings]) -> None:
    world = World(small(creators=2000), START)
    followers = sorted((c.followers for c in world.creators), reverse=True)
    top = sum(followers[:20])  # the top 1%
    assert top / sum(followers) > 0.5
    assert followers[0] > 1_000 * followers[len(followers) // 2]
    verified = [c for c in world.creators if c.verified]
    assert 0 < len(verified) < len(world.creators) * 0.05
    assert min(c.followers for c in verified) > followers[len(followers) // 10]


def test_ids_are_unique_19_digit_strings_and_video_ids_carry_create_time(
    small: Callable[..., SimulatorSettings],
) -> None:
    world = World(small(), START)
    videos, _, _ = post_chunk(world, 0)
    ids = [v.id for v in videos] + [c.id for c in world.creators]
    ids += [v.music.id for v in videos]
    assert all(len(i) == 19 and i.isdigit() for i in ids)
    assert len({v.id for v in videos}) == len(videos)
    assert len({c.id for c in world.creators}) == len(world.creators)
    assert all(int(v.id) >> 32 == v.create_time for v in videos)


def test_videos_belong_to_their_markets_and_bigger_creators_reach_more(
    small: Callable[..., SimulatorSettings],
) -> None:
    world = World(small(markets="US,GB,JP", videos=600), START)
    videos, _, _ = post_chunk(world, 0)
    assert {v.market for v in videos} == {"US", "GB", "JP"}
    assert all(v.market == v.creator.market for v in videos)
    ordered = sorted(videos, key=lambda v: v.creator.followers)
    third = len(ordered) // 3
    low = sorted(v.reach for v in ordered[:third])[third // 2]
    high = sorted(v.reach for v in ordered[-third:])[third // 2]
    assert high > 3 * low
    # Posting in time order, some of it before the start (the world is busy from the start).
    times = [v.create_time for v in videos]
    assert times == sorted(times)
    assert times[0] < START < times[-1]
