"""The spike rule's parts: attribution of a posting surge, and the hot stages' spike evidence."""

from __future__ import annotations

from trendmon.settings import EngineSettings
from trendmon.streams.engine import Engine
from trendmon.streams.scoring import Evidence, stage_of
from trendmon.streams.spikes import SpikeRule, carried_by, created_ms

from .factory import T0, snap

RULE = SpikeRule(
    z=5,
    min_rate=2000,
    min_ratio=3,
    window=12,
    baseline=48,
    min_history=24,
    posting=24,
    min_new=5,
    new_ratio=4,
)


def test_created_ms_reads_tiktok_ids() -> None:
    assert created_ms(str((1_767_600_000 << 32) | 12345)) == 1_767_600_000_000
    assert created_ms("not-a-number") is None


def test_a_surge_carried_by_another_entity_is_not_the_entitys() -> None:
    # #foryou's new videos: eight carry a breakout's sound, two do not; baseline: four videos.
    recent = [("hashtag:foryou", "sound:S", f"creator:{i}") for i in range(8)]
    recent += [("hashtag:foryou", f"creator:{i}") for i in range(8, 10)]
    assert carried_by("hashtag:foryou", recent, 4, RULE) == "sound:S"
    # A breakout's own videos share generic tags only in part: the surge is its own.
    own = [
        ("sound:S", "hashtag:fyp" if i % 3 == 0 else f"hashtag:t{i}", f"creator:{i}")
        for i in range(10)
    ]
    assert carried_by("sound:S", own, 0, RULE) is None
    assert carried_by("sound:S", [], 0, RULE) is None
    # A majority on another entity, but the rest alone is still a posting surge: its own.
    mixed = [("hashtag:y", "sound:S")] * 6 + [("hashtag:y",)] * 5
    assert carried_by("hashtag:y", mixed, 0, RULE) is None


def test_hot_stages_need_a_spike() -> None:
    assert stage_of(100, 200, 1.0, Evidence(breadth=5)) == "rising"
    assert stage_of(100, 200, 1.0, Evidence(breadth=5, spiked=False)) == "peaking"
    assert stage_of(100, 100, None, Evidence(breadth=5)) == "emerging"
    assert stage_of(100, 100, None, Evidence(breadth=5, spiked=False)) == "peaking"


def _wave(minutes: int, surge_at: int, *, shared_sound: bool) -> list:  # type: ignore[type-arg]
    """#base has a quiet baseline; from ``surge_at`` new videos (ids carrying their post time,
    as on TikTok) pile onto it, all with one sound or each with its own."""
    t0 = int(T0.timestamp())
    snaps = []
    for q in range(3):
        for k in range(0, minutes, 5):
            snaps.append(
                snap(
                    video=str(7_200_000_000_000_000_000 + q),
                    minutes=k + 0.3,
                    plays=500 + k * 20,
                    tags=("base",),
                    sound=None,
                    author=str(6_700_000_000_000_000_000 + q),
                )
            )
    for n in range(30):
        born = surge_at + n // 3
        vid = str(((t0 + (born - 1) * 60) << 32) | n)
        sound = "6900000000000000099" if shared_sound else str(6_900_000_000_000_000_100 + n)
        for k in range(born, minutes, 5):
            snaps.append(
                snap(
                    video=vid,
                    minutes=k + 0.5,
                    plays=(k - born + 1) * 4000,
                    created_minutes=born - 1,
                    tags=("base",),
                    sound=sound,
                    author=str(6_900_000_000_000_000_000 + n),
                )
            )
    snaps.sort(key=lambda s: s.collected_at)
    return snaps


def test_attribution_in_the_engine() -> None:
    own = {
        s.entity
        for s in Engine(EngineSettings()).process(_wave(300, 200, shared_sound=False)).spikes
    }
    assert "hashtag:base" in own
    carried = {
        s.entity
        for s in Engine(EngineSettings()).process(_wave(300, 200, shared_sound=True)).spikes
    }
    assert "hashtag:base" not in carried, "the wave is the sound's, not #base's"
