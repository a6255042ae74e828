"""Curves and rounding."""

from __future__ import annotations

from trendmon.events import Stats, counts_look_exact, display_step
from trendmon.producers.simulator.curves import HOUR, Lifecycle, Surge, reach_fraction, round_count


def test_round_count_shows_one_decimal_of_k_m_b_from_ten_thousand() -> None:
    # As the real samples show it: 427,682 followers as 427,700; millions in steps of 100,000.
    assert round_count(0) == 0
    assert round_count(9_999) == 9_999
    assert round_count(12_345) == 12_300
    assert round_count(427_682) == 427_700
    assert round_count(427_650) == 427_700
    assert round_count(999_951) == 1_000_000
    assert round_count(1_234_567) == 1_200_000
    assert round_count(98_765_432_109) == 98_800_000_000
    for value in (10_000, 54_321, 7_654_321, 98_765_432_109):
        rounded = round_count(value)
        assert rounded % display_step(rounded) == 0
        assert abs(rounded - value) <= display_step(rounded) // 2
        assert not counts_look_exact(Stats(plays=rounded, likes=0, comments=0, shares=0))
    assert counts_look_exact(Stats(plays=427_682, likes=0, comments=0, shares=0))


def test_plays_per_hour_rise_then_decay() -> None:
    tau, shape = 10 * HOUR, 2.0
    hourly = [
        reach_fraction((h + 1) * HOUR, tau, shape) - reach_fraction(h * HOUR, tau, shape)
        for h in range(96)
    ]
    peak = max(range(96), key=hourly.__getitem__)
    assert 2 <= peak <= 8  # rises over hours
    assert hourly[0] < hourly[peak] / 2
    assert hourly[48] < hourly[peak] / 10  # decays over days, not minutes
    assert hourly[48] > 0
    assert reach_fraction(72 * HOUR, tau, shape) > 0.95


def test_lifecycle_rises_slowly_and_surge_fast() -> None:
    life = Lifecycle(peak=100 * HOUR, rise_s=12 * HOUR, fall_s=24 * HOUR, amplitude=10)
    # An organic entity never jumps within an hour: at most ~1.5x even on its steepest part.
    for h in range(60, 100):
        before, after = life.popularity(h * HOUR), life.popularity((h + 1) * HOUR)
        assert after <= before * 1.5
    surge = Surge(onset=0, ramp_s=600, hold_s=4 * HOUR, decay_s=6 * HOUR, rate_mult=5,
                  reach_mult=2)
    assert surge.rate_factor(-1) == 1
    assert surge.rate_factor(1800) > 4.5  # most of the take-off within three ramps
    assert surge.rate_factor(surge.end) < 1.05
