"""The spike rule's parts: pushed and posted evidence, attribution, and the hot stages' spike
evidence."""

from __future__ import annotations

from trendmon.settings import EngineSettings
from trendmon.streams.engine import Engine
from trendmon.streams.scoring import Evidence, stage_of
from trendmon.streams.spikes import (
    SpikeRule,
    accelerating,
    carried_by,
    created_ms,
    posting_surge,
)

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
    push_window=2,
    push_videos=3,
    push_factor=3.0,
    push_share=0.2,
)
POSTED = EngineSettings(spike_min_new_videos=5)
"""Posted evidence is off by default."""


def test_created_ms_reads_tiktok_ids() -> None:
    assert created_ms(str((1_767_600_000 << 32) | 12345)) == 1_767_600_000_000
    assert created_ms("not-a-number") is None


def test_a_surge_carried_by_another_entity_is_not_the_entitys() -> None:
    # #foryou's new videos: eight carry a breakout's sound, two do not; baseline: four videos.
    recent = [("hashtag:foryou", "sound:S", f"creator:{i}") for i in range(8)]
    recent += [("hashtag:foryou", f"creator:{i}") for i in range(8, 10)]
    def enough(n: int) -> bool:
        return posting_surge(n, 4, RULE)

    assert carried_by("hashtag:foryou", recent, enough) == "sound:S"
    # A breakout's own videos share generic tags only in part: the surge is its own.
    own = [
        ("sound:S", "hashtag:fyp" if i % 3 == 0 else f"hashtag:t{i}", f"creator:{i}")
        for i in range(10)
    ]
    assert carried_by("sound:S", own, enough) is None
    assert carried_by("sound:S", [], enough) is None
    # A majority on another entity, but the rest alone is still a posting surge: its own.
    mixed = [("hashtag:y", "sound:S")] * 6 + [("hashtag:y",)] * 5
    assert carried_by("hashtag:y", mixed, lambda n: posting_surge(n, 0, RULE)) is None


def test_hot_stages_need_a_spike() -> None:
    assert stage_of(100, 200, 1.0, Evidence(breadth=5)) == "rising"
    assert stage_of(100, 200, 1.0, Evidence(breadth=5, spiked=False)) == "peaking"
    assert stage_of(100, 100, None, Evidence(breadth=5)) == "emerging"
    assert stage_of(100, 100, None, Evidence(breadth=5, spiked=False)) == "peaking"
    assert stage_of(100, 200, 1.0, Evidence(breadth=2)) == "peaking", "too narrow"


def test_a_fresh_spike_is_rising_before_the_window_doubled() -> None:
    assert stage_of(100, 300, 0.4, Evidence(breadth=5, fresh=True)) == "rising"
    assert stage_of(100, 300, 0.4, Evidence(breadth=5, fresh=False)) == "peaking"
    assert stage_of(100, 80, 0.4, Evidence(breadth=5, fresh=True)) == "peaking", "slowing down"


def test_a_video_accelerates_against_its_own_recent_rate() -> None:
    # Buckets 10..13 are its recent past (100 plays each), 14..15 the tested ones.
    steady = {10: 100, 11: 100, 12: 100, 13: 100}
    assert accelerating({**steady, 14: 400, 15: 300}, 15, 2, RULE) is True
    assert accelerating({**steady, 14: 250, 15: 250}, 15, 2, RULE) is False
    assert accelerating({**steady, 14: 100, 15: 400}, 15, 1, RULE) is True
    # A tiny video: 3x of 2 plays is noise, not a push.
    assert accelerating({10: 2, 11: 2, 12: 2, 13: 2, 14: 8, 15: 8}, 15, 2, RULE) is False
    # Seen once before the tested buckets: not out there yet.
    assert accelerating({13: 100, 14: 900, 15: 900}, 15, 2, RULE) is None


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


def test_attribution_of_a_posting_wave_in_the_engine() -> None:
    own = {s.entity: s for s in Engine(POSTED).process(_wave(300, 200, shared_sound=False)).spikes}
    assert own["hashtag:base"].evidence == "posted"
    carried = {
        s.entity for s in Engine(POSTED).process(_wave(300, 200, shared_sound=True)).spikes
    }
    assert "hashtag:base" not in carried, "the wave is the sound's, not #base's"
    # Posted evidence is off by default: new videos alone make no spike.
    assert not Engine().process(_wave(300, 200, shared_sound=False)).spikes


def _push(  # type: ignore[type-arg]
    minutes: int, push_at: int, pushed: int, *, videos: int = 10, tag: str = "niche", boost: int = 3
) -> list:
    """``videos`` quiet videos on #``tag`` (100 plays a bucket each, each with its own sound and
    creator); from ``push_at`` the first ``pushed`` of them get ``boost`` thousand plays a
    bucket more."""
    snaps = []
    for q in range(videos):
        for k in range(0, minutes, 5):
            extra = boost * 200 * (k - push_at + 5) if q < pushed and k >= push_at else 0
            snaps.append(
                snap(
                    video=str(7_300_000_000_000_000_000 + q),
                    minutes=k + 0.2 + q * 0.01,
                    plays=1000 + k * 20 + extra,
                    tags=(tag,),
                    sound=str(6_910_000_000_000_000_000 + q),
                    author=str(6_810_000_000_000_000_000 + q),
                )
            )
    snaps.sort(key=lambda s: s.collected_at)
    return snaps


def test_videos_pushed_together_spike_within_two_buckets() -> None:
    out = Engine().process(_push(300, 200, 6))
    (spike,) = [s for s in out.spikes if s.entity == "hashtag:niche"]
    assert (spike.evidence, spike.accelerating, spike.market) == ("pushed", 6, "US")
    take_off = int(T0.timestamp() * 1000) + 200 * 60_000
    assert take_off < spike.detected_ms <= take_off + 2 * 300_000  # after it, not before
    # The 1h board calls it rising from that tick on.
    hot = [
        s
        for s in out.scores
        if s.entity == "hashtag:niche" and s.window == "1h" and s.stage == "rising"
    ]
    assert hot and hot[0].at_ms == spike.detected_ms


def test_one_or_two_videos_are_not_a_push() -> None:
    assert not [s for s in Engine().process(_push(300, 200, 2)).spikes if s.kind == "hashtag"]


def test_a_few_pushed_videos_of_a_big_tag_are_not_its_spike() -> None:
    # Three of #big's twenty videos are pushed: not #big taking off (spike_push_share)...
    snaps = _push(300, 200, 3, videos=20, tag="big", boost=10)
    assert not [s for s in Engine().process(snaps).spikes if s.kind == "hashtag"]
    # ...though they would be, were a share not asked for.
    spikes = Engine(EngineSettings(spike_push_share=0)).process(snaps).spikes
    assert [(s.entity, s.accelerating) for s in spikes if s.kind == "hashtag"] == [
        ("hashtag:big", 3)
    ]


def test_a_push_carried_by_another_entity_is_not_the_entitys() -> None:
    # Seven videos are pushed: four carry #niche and #ride, three #ride only; #niche has six more
    # quiet ones. #ride's push is its own; #niche's is all #ride's videos (more than half, and
    # the rest is nothing), so it is #ride's, not #niche's.
    def tags(video_id: str) -> tuple[str, ...]:
        q = int(video_id[-2:])
        return ("niche", "ride") if q < 4 else ("ride",) if q < 7 else ("niche",)

    snaps = [
        snap(
            video=s.video_id,
            minutes=(s.collected_at - T0).total_seconds() / 60,
            plays=s.stats.plays,
            tags=tags(s.video_id),
            sound=s.music.id if s.music else None,
            author=s.author.id,
        )
        for s in _push(300, 200, 7, videos=13)
    ]
    spikes = [s for s in Engine().process(snaps).spikes if s.kind == "hashtag"]
    assert [(s.entity, s.accelerating) for s in spikes] == [("hashtag:ride", 7)]
