"""The spike tests: the statistics, adoption and push in the engine, riders, the hot stages."""

from __future__ import annotations

import math

import numpy as np

from trendmon.engine.engine import Engine
from trendmon.engine.scoring import Evidence, stage_of
from trendmon.engine.spikes import adoption, binomial_surprise, combined, push, summary
from trendmon.events import VideoSnapshot
from trendmon.settings import EngineSettings

from .factory import T0, snap


def _exact_tail(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def test_the_strength_is_a_bound_never_stronger_than_the_exact_tail() -> None:
    for k, n, p in ((5, 20, 0.05), (8, 16, 0.075), (4, 6, 0.01), (30, 200, 0.05), (3, 3, 0.2)):
        bound = float(binomial_surprise(np.array([k]), np.array([n]), np.array([p]))[0])
        exact = -math.log10(_exact_tail(k, n, p))
        assert 0 < bound <= exact + 1e-9, (k, n, p, bound, exact)
    # No more than chance expects: no evidence at all.
    assert binomial_surprise(np.array([1.0]), np.array([20.0]), np.array([0.05]))[0] == 0


def test_adoption_compares_shares_and_counts_a_thin_past() -> None:
    # 12 adopters among 40 new videos now, against 10 among 1,000 before: 30x its share.
    s, r = adoption(np.array([12.0]), np.array([10.0]), np.array([40.0]), np.array([1000.0]))
    assert s[0] > 10 and 25 < r[0] < 35
    # The same share as before: nothing.
    s, _ = adoption(np.array([2.0]), np.array([50.0]), np.array([40.0]), np.array([1000.0]))
    assert s[0] == 0
    # A scraper that sees twice as many videos doubles both: still nothing.
    s, _ = adoption(np.array([4.0]), np.array([50.0]), np.array([80.0]), np.array([1000.0]))
    assert s[0] == 0
    # A newcomer: its past share counts half an adopter; the strength grows with adopters.
    s5, r5 = adoption(np.array([5.0]), np.array([0.0]), np.array([40.0]), np.array([1000.0]))
    s9, _ = adoption(np.array([9.0]), np.array([0.0]), np.array([40.0]), np.array([1000.0]))
    assert r5[0] == 5 / (0.5 * 40 / 1000) and 0 < s5[0] < s9[0]


def test_push_compares_with_the_rest_of_the_market_at_the_same_time() -> None:
    # 6 of its 10 sightings doubled, 2 of the market's other 500 did.
    s, r = push(np.array([6.0]), np.array([10.0]), np.array([8.0]), np.array([510.0]))
    assert s[0] > 8 and r[0] > 50
    # When the whole market speeds up (an evening, a coverage change), so does the bar.
    s, _ = push(np.array([6.0]), np.array([10.0]), np.array([306.0]), np.array([510.0]))
    assert s[0] < 0.01


def test_two_tests_together_are_as_rare_as_their_combined_strength_says() -> None:
    # Under chance each test's p-value is uniform: the joint strength of two independent ones
    # reaches s about as often as 10^-s (Fisher's method), never more often.
    rng = np.random.default_rng(7)
    a, b = -np.log10(rng.uniform(size=(2, 400_000)))
    for s in (1.0, 2.0, 3.0):
        seen = float(np.mean(combined(a, b) >= s))
        assert 0.8 * 10**-s <= seen <= 1.2 * 10**-s, (s, seen)
    # Together they are stronger than either alone, weaker than their sum.
    both = float(combined(np.array([4.0]), np.array([4.0]))[0])
    assert 6.0 < both < 8.0


def test_the_evidence_in_words() -> None:
    text = summary(
        adopt_window_s=2700, push_window_s=1800, new_videos=14, new_creators=12,
        posting_ratio=6.2, posted=True, accelerated=9, out_there=15, push_ratio=4.0, pushed=True,
    )
    assert text == (
        "14 new videos from 12 creators in 45 min, 6.2x its usual posting; 9 of 15 sightings "
        "of its videos already out there doubled their own rate in 30 min (4.0x the market's)"
    )


def test_hot_stages_need_a_take_off_and_a_fresh_one_is_rising() -> None:
    assert stage_of(100, 200, 1.0, Evidence(breadth=5)) == "rising"
    assert stage_of(100, 200, 1.0, Evidence(breadth=5, spiked=False)) == "peaking"
    assert stage_of(100, 100, None, Evidence(breadth=5)) == "emerging"
    assert stage_of(100, 100, None, Evidence(breadth=5, spiked=False)) == "peaking"
    assert stage_of(100, 200, 1.0, Evidence(breadth=2)) == "peaking", "too narrow"
    # A take-off is rising before the window doubled, even while its last quarter is below the
    # window's mean (a 24h board's first day), as long as it is not falling back.
    assert stage_of(100, 80, 0.2, Evidence(breadth=5)) == "rising"
    assert stage_of(100, 40, 0.2, Evidence(breadth=5)) == "declining"
    assert stage_of(100, 80, -0.3, Evidence(breadth=5)) == "declining"
    assert stage_of(100, 100, -0.1, Evidence(breadth=5)) == "peaking", "hot but shrinking"
    # A 24h board's first day (no previous window watched): a take-off is rising, not peaking.
    assert stage_of(100, 150, None, Evidence(breadth=5, watched=False)) == "rising"
    assert stage_of(100, 150, None, Evidence(breadth=5, watched=False, spiked=False)) == "peaking"


MATURE = -300
"""Videos posted five hours before T0: old enough to be tested for a push."""


def _world(
    minutes: int, push_at: int, pushed: int, *, tags: tuple[str, ...] = ("niche",), videos: int = 10
) -> list[VideoSnapshot]:
    """``videos`` quiet videos on ``tags`` and 40 on other tags (each with its own sound and
    creator, seen every 5 minutes); from ``push_at`` the first ``pushed`` of the first group
    gain thousands of plays a bucket more."""
    snaps = []
    for q in range(videos + 40):
        ours = q < videos
        for k in range(0, minutes, 5):
            extra = 3000 * (k - push_at + 5) if q < pushed and k >= push_at else 0
            snaps.append(
                snap(
                    video=str(7_300_000_000_000_000_000 + q),
                    minutes=k + 0.2 + q * 0.01,
                    plays=1000 + k * 20 + extra,
                    tags=tags if ours else (f"other{q}",),
                    sound=str(6_910_000_000_000_000_000 + q),
                    author=str(6_810_000_000_000_000_000 + q),
                    created_minutes=MATURE,
                )
            )
    snaps.sort(key=lambda s: s.collected_at)
    return snaps


def test_videos_pushed_together_spike_within_two_buckets() -> None:
    out = Engine().process(_world(300, 200, 6))
    (spike,) = [s for s in out.spikes if s.entity == "hashtag:niche"]
    assert (spike.evidence, spike.accelerating, spike.market) == ("pushed", 6, "US")
    assert "6 of " in spike.summary and "doubled their own rate" in spike.summary
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
    assert not [s for s in Engine().process(_world(300, 200, 2)).spikes if s.kind == "hashtag"]


def test_a_push_carried_by_another_entity_is_its() -> None:
    # #niche and #ride on all ten videos, six pushed: both spike (they travel together)...
    snaps = _world(300, 200, 6, tags=("niche", "ride"))
    both = sorted(s.entity for s in Engine().process(snaps).spikes if s.kind == "hashtag")
    assert both == ["hashtag:niche", "hashtag:ride"]


def _adoption(creators: int, videos: int, *, start: int = 600) -> list[VideoSnapshot]:
    """A steady market: 30 creators post a video every 20 minutes on their own tags for ten
    hours; from ``start`` minutes, ``videos`` new videos on #wave by ``creators`` creators."""
    snaps = []
    n = 0

    def post(at: int, tag: str, author: int) -> None:
        nonlocal n
        n += 1
        vid = str(7_400_000_000_000_000_000 + n)
        for k in range(at, at + 120, 5):
            snaps.append(
                snap(
                    video=vid, minutes=k + 1, plays=100 + 50 * (k - at), tags=(tag,),
                    sound=str(6_920_000_000_000_000_000 + n),
                    author=str(6_820_000_000_000_000_000 + author), created_minutes=at,
                )
            )

    for at in range(0, start + 120, 20):
        for c in range(30):
            post(at + c % 20, f"own{c}", c)
    for i in range(videos):
        post(start + i * 30 // videos, "wave", 100 + i % creators)
    snaps.sort(key=lambda s: s.collected_at)
    return snaps


def test_many_new_creators_on_a_tag_spike_and_one_busy_creator_does_not() -> None:
    out = Engine().process(_adoption(creators=12, videos=12))
    (spike,) = [s for s in out.spikes if s.entity == "hashtag:wave"]
    # Found as soon as enough distinct creators were in (spike_min_adopters and the bound).
    assert spike.evidence == "posted" and 5 <= spike.new_creators == spike.new_videos < 12
    assert spike.summary.startswith(f"{spike.new_videos} new videos from {spike.new_creators} ")
    start = int(T0.timestamp() * 1000) + 600 * 60_000
    assert start < spike.detected_ms <= start + 40 * 60_000
    # One creator posting twelve times is one adopter: no spike.
    quiet = Engine().process(_adoption(creators=1, videos=12)).spikes
    assert not [s for s in quiet if s.entity == "hashtag:wave"]


def test_a_duplicate_scraper_changes_nothing() -> None:
    # The same market with a take-off, then with a second scraper's copy of every snapshot:
    # the copies are dropped, and the spikes and boards are the same.
    snaps = _adoption(creators=12, videos=12)
    once = Engine(EngineSettings()).process(snaps)
    twice = Engine(EngineSettings()).process([x for s in snaps for x in (s, s)])
    assert once.spikes and twice.spikes == once.spikes
    assert twice.scores == once.scores


def _both(adopters: int, pushed: int) -> list[VideoSnapshot]:
    """The steady market of :func:`_adoption` with 60 videos out there for hours on their own
    tags and 3 on #wave; from minute 600, ``adopters`` creators post on #wave and ``pushed``
    of its 3 old videos gain thousands of plays every 5 minutes."""
    snaps = [s for s in _adoption(creators=1, videos=0)]
    for q in range(63):
        ours = q < 3
        for k in range(0, 720, 5):
            extra = 3000 * (k - 595) if ours and q < pushed and k >= 600 else 0
            snaps.append(
                snap(
                    video=str(7_500_000_000_000_000_000 + q), minutes=k + 0.3 + q * 0.01,
                    # 21 a minute: exact counts seldom a multiple of 100 (read as rounded)
                    plays=1000 + 21 * k + extra, tags=("wave",) if ours else (f"old{q}",),
                    sound=str(6_930_000_000_000_000_000 + q),
                    author=str(6_830_000_000_000_000_000 + q), created_minutes=MATURE,
                )
            )
    for i in range(adopters):
        for k in range(600 + i, 720, 5):
            snaps.append(
                snap(
                    video=str(7_600_000_000_000_000_000 + i), minutes=k + 1,
                    plays=100 + 50 * (k - 600), tags=("wave",),
                    sound=str(6_940_000_000_000_000_000 + i),
                    author=str(6_840_000_000_000_000_000 + i), created_minutes=600 + i,
                )
            )
    snaps.sort(key=lambda s: s.collected_at)
    return snaps


def test_new_creators_and_a_push_too_few_apart_are_a_spike_together() -> None:
    # Four new creators and three old videos pushed: each too few for its own test...
    for adopters, pushed in ((4, 0), (0, 3)):
        alone = Engine().process(_both(adopters, pushed)).spikes
        assert not [s for s in alone if s.entity == "hashtag:wave"], (adopters, pushed)
    # ...together a take-off, found within a quarter of an hour, with both halves in words.
    (spike,) = [s for s in Engine().process(_both(4, 3)).spikes if s.entity == "hashtag:wave"]
    assert spike.evidence == "both" and spike.new_creators == 4 and spike.accelerating == 3
    assert "4 new videos from 4 creators" in spike.summary and "3 of " in spike.summary
    start = int(T0.timestamp() * 1000) + 600 * 60_000
    assert start < spike.detected_ms <= start + 15 * 60_000
