"""Spikes: an entity taking off, told apart from chance by two count tests that hold on any data.

A take-off can start in two ways, often both: **adoption** (many creators post with the entity)
and **push** (TikTok shows the entity's videos already out there again). Whatever the shape of a
breakout (sudden or slow, one market or several), and whatever the scraper does (every 5 or 60
minutes, seeing all live videos or a third of them, pausing for an hour), one of two things is
true of a real take-off and false of chance, and neither depends on plays, which one star's video
or TikTok's rounding can move at will:

- **Adoption.** The entity's share of the market's *new videos* (first sightings of videos posted
  within a day) rises far above its own past share. New adopters are counted as *distinct
  creators new to the entity within a day*, so one account posting ten times is one adopter. A
  share is what survives a scraper that sees twice as many videos, or none for an hour and then
  all at once, and a daily rhythm that busies every tag in the evening: numerator and
  denominator move together. Test: with ``n`` adopters among the market's ``N`` new videos in the
  window and ``n0`` among ``N0`` in the entity's past (a baseline decayed with a half-life of
  ``spike_baseline_h`` and ending where the longest window starts), under "same share" ``n`` given
  ``n + n0`` is binomial with ``p = N / (N + N0)``: the exact conditional test of two Poisson
  rates, which also counts the uncertainty of a thin past.
- **Push.** The entity's videos already out there (at least ``MATURE_MS`` old, when a video's
  own curve no longer rises by itself) *double their own rate* (stage 1 flags each sighting:
  plays since the previous one at least ``ACCEL_FACTOR`` times its own smoothed rate, plus
  ``ACCEL_NOISE`` standard deviations of counting noise and two units of TikTok's rounding) far
  more often than the market's other videos do in the same window. Test: ``a`` accelerated of
  the entity's ``e`` eligible sightings against the rate ``q`` of the market's other sightings,
  ``a`` binomial with ``(e, q)``. Comparing with the rest of the market *at the same time*
  removes the daily rhythm, changes of coverage and whatever the world's videos do anyway.

**Strength** is the Chernoff bound on the chance of so many under the null,
``P(X >= k) <= exp(-n KL(k/n || p))`` (for the adoption test the bound of Kulldorff's scan
statistic), reported as ``-log10`` of it (``z`` of a spike: 6 is one chance in a million). A test
passes when the strength reaches ``spike_surprise``, the count reaches ``spike_min_adopters`` or
``spike_min_accelerated`` (a trend is carried by several videos: one viral video, or two, is
not one) and the observed rate is at least ``spike_min_ratio`` times what the null expects (a
trend is several times the usual, not a small rise that a huge entity makes significant).

**Both together.** A take-off that brings new creators *and* re-shows the videos already out
there gives each test part of the evidence; neither may pass alone in its first scrapes. The two
tests read disjoint videos (new ones against those at least ``MATURE_MS`` old), so under chance
they are independent and their bounds combine by Fisher's method (:func:`combined`): the pair
passes when each is above chance at one in ten and several times what chance expects, the
combination reaches ``spike_surprise`` and adopters and accelerated together reach
``spike_min_adopters``.

Windows: each close tests the last ``5 min .. 6 h`` (``spike_windows``), so a sudden take-off is
seen within a scrape or two, whatever the scrape interval, and a slow burn on the window that
matches its pace. A window passes only while the take-off is still going on: its latest part
(the next shorter window) must itself be above chance (a bound of one in ten) and several times
what chance expects, so a burst hours ago inside a long window is not a take-off now.

With about a million tests a day on a busy world (entities x markets x windows x closes, most
of them overlapping), a bound of one in a million leaves about one chance alarm every few days
before the count and ratio floors, which remove most of those.

**Riders.** A breakout's videos carry generic tags and sounds (``#fyp``, a catalogue sound) that
take part of its evidence. A surge is not an entity's own when more than half of its evidence
videos carry one other entity that spikes at the same close with more evidence, and the rest
alone does not pass: the surge belongs to that other entity. Two entities that always travel
together (a challenge tag and its sound) both spike.

Each spike carries its evidence in words (:func:`summary`). Severity: ``notable`` from
``spike_surprise``, ``major`` from twice it, ``extreme`` from four times it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from trendmon.engine.windows import parse_duration
from trendmon.settings import EngineSettings

Severity = Literal["notable", "major", "extreme"]
Floats = npt.NDArray[np.float64]



POSTED_WITHIN_MS = 24 * 3_600_000
"""A first sighting is a *new* video when the video was posted within this (adoption)."""
MATURE_MS = 3 * 3_600_000
"""A video this old no longer speeds up by itself (its own curve peaks in its first hours)."""
ACCEL_FACTOR = 2.0
"""A sighting is accelerated when its plays reach this many times its own smoothed rate..."""
ACCEL_NOISE = 3.0
"""...plus this many standard deviations of Poisson noise (and two rounding units)."""
LN10 = math.log(10.0)


@dataclass(frozen=True, slots=True)
class SpikeRule:
    """The thresholds of the module docstring (windows in buckets)."""

    windows: tuple[int, ...]
    half_life: int
    """Half-life of the baseline, in buckets."""
    surprise: float
    min_ratio: float
    min_adopters: int
    min_accelerated: int
    min_history: int
    """Buckets of baseline the stage must have watched before anything can spike."""

    @property
    def longest(self) -> int:
        return max(self.windows)


def rule_of(s: EngineSettings) -> SpikeRule:
    """The rule of the engine settings, its durations in buckets."""
    bucket_s = s.bucket_s
    windows = []
    for text in s.spike_windows.split(","):
        if not text.strip():
            continue
        seconds = parse_duration(text)
        if seconds <= 0 or seconds % bucket_s:
            raise ValueError(
                f"spike window {text.strip()!r} must be a whole number of buckets ({bucket_s} s)"
            )
        windows.append(seconds // bucket_s)
    if not windows:
        raise ValueError("no spike windows given (for example 5m,15m,1h,6h)")
    per_hour = 3600 / bucket_s
    return SpikeRule(
        windows=tuple(sorted(set(windows))),
        half_life=max(1, round(s.spike_baseline_h * per_hour)),
        surprise=s.spike_surprise,
        min_ratio=s.spike_min_ratio,
        min_adopters=s.spike_min_adopters,
        min_accelerated=s.spike_min_accelerated,
        min_history=max(windows) + round(s.spike_min_history_h * per_hour),
    )


def binomial_surprise(k: Floats, n: Floats, p: Floats) -> Floats:
    """``-log10`` of the Chernoff bound on ``P(X >= k)``, ``X ~ Binomial(n, p)`` (0 when
    ``k <= n p``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n_ = np.maximum(n, 1e-12)
        a = np.clip(k / n_, 0.0, 1.0)
        p_ = np.clip(p, 1e-12, 1 - 1e-12)
        first = np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0) / p_), 0.0)
        second = np.where(a < 1, (1 - a) * np.log(np.where(a < 1, 1 - a, 1.0) / (1 - p_)), 0.0)
        kl = first + second
    out = np.where((k > n * p) & (n > 0), n * kl, 0.0)
    return np.asarray(out / LN10, dtype=np.float64)


def combined(a: Floats, b: Floats) -> Floats:
    """Strength of two independent tests together (Fisher's method on their bounds): with
    ``S = a + b`` in ``-log10`` units, ``P(p1 p2 <= 10^-S) = 10^-S (1 + S ln 10)``."""
    total = a + b
    return np.asarray(total - np.log10(1.0 + total * LN10), dtype=np.float64)


def adoption(
    n: Floats, n0: Floats, total: Floats, total0: Floats
) -> tuple[Floats, Floats]:
    """(strength, ratio) of ``n`` adopters among ``total`` new videos now against ``n0`` among
    ``total0`` in the past (the conditional test of the module docstring; ``ratio`` compares
    the shares, the past one with half an adopter added so that a new entity is not infinite)."""
    trials = n + n0
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(total + total0 > 0, total / (total + total0), 1.0)
        expected = (n0 + 0.5) * np.where(total0 > 0, total / total0, 0.0)
        ratio = np.where(expected > 0, n / expected, np.where(n > 0, np.inf, 0.0))
    return binomial_surprise(n, trials, p), np.asarray(ratio, dtype=np.float64)


def push(a: Floats, e: Floats, market_a: Floats, market_e: Floats) -> tuple[Floats, Floats]:
    """(strength, ratio) of ``a`` accelerated of ``e`` eligible sightings against the market's
    others (``market_a`` of ``market_e`` including these), with one pseudo-sighting of each."""
    q = (market_a - a + 1.0) / (market_e - e + 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(e > 0, (a / np.maximum(e, 1)) / q, 0.0)
    return binomial_surprise(a, e, q), np.asarray(ratio, dtype=np.float64)


def severity(strength: float, threshold: float) -> Severity:
    """How far past the threshold a spike is."""
    if strength >= 4 * threshold:
        return "extreme"
    if strength >= 2 * threshold:
        return "major"
    return "notable"


def carrier(own: str, evidence: Sequence[tuple[str, ...]]) -> tuple[str, int] | None:
    """The other entity on most of the evidence videos (their entity tuples) and how many it is
    on, when it is on more than half of them; None otherwise."""
    counts: dict[str, int] = {}
    for ents in evidence:
        for e in ents:
            if e != own:
                counts[e] = counts.get(e, 0) + 1
    if not counts:
        return None
    other = min(counts, key=lambda e: (-counts[e], e))
    if 2 * counts[other] <= len(evidence):
        return None
    return other, counts[other]


def duration(seconds: int) -> str:
    """``45 min``, ``2 h``, ``1 h 30 min``."""
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _times(ratio: float) -> str:
    if not math.isfinite(ratio):
        return "none before"
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def summary(
    *,
    adopt_window_s: int,
    push_window_s: int,
    new_videos: int,
    new_creators: int,
    posting_ratio: float,
    posted: bool,
    accelerated: int,
    out_there: int,
    push_ratio: float,
    pushed: bool,
) -> str:
    """The evidence in words a social media manager reads (see :class:`~trendmon.events.Spike`)."""
    parts = []
    if posted:
        usual = (
            "a newcomer" if not math.isfinite(posting_ratio)
            else f"{_times(posting_ratio)} its usual posting"
        )
        parts.append(
            f"{new_videos} new videos from {new_creators} creators in "
            f"{duration(adopt_window_s)}, {usual}"
        )
    if pushed:
        parts.append(
            f"{accelerated} of {out_there} sightings of its videos already out there doubled "
            f"their own rate in {duration(push_window_s)} ({_times(push_ratio)} the market's)"
        )
    return "; ".join(parts)
