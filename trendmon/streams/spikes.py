"""Spikes: an entity taking off, far above its own robust baseline and carried by many videos.

Two things make a heavy-tailed world's bucket sums noisy, and neither is a trend: one big video
landing on a small hashtag or sound, and TikTok's rounding (a count of 123,000 moves in steps of
1,000, so a big video's raw increments are a staircase of zeros and whole steps). So each delta
*contributes* its plays increment, except a rounded count of 10,000 or more seen before, which
contributes its smoothed velocity times the time since its previous point; and each bucket keeps
the sum of contributions and the two largest single ones. The bucket's **broad plays** are the
sum minus those two (leave two out): one or two videos, however big (a star's video on a small
tag, with a second one co-posted), cannot make a spike; it takes at least three.

For an entity in a market (or ``all``), when bucket ``b`` closes, the **surge test** over the
last ``K`` buckets:

- ``x``: broad plays per hour, averaged over the last ``K`` buckets;
- ``m``, ``MAD``: median and median absolute deviation of the broad plays per hour of the
  ``spike_baseline_buckets`` buckets before those (zeros where it was quiet, only since the
  entity was first seen, at least ``spike_min_history`` of them);
- the robust z-score, with the spread of a ``K``-bucket mean::

      z = (x - m) / (1.4826 * max(MAD, 0.1 * m, spike_min_rate / 10) / sqrt(K))

  (1.4826 makes the MAD comparable to a standard deviation for normal noise; the floor keeps a
  flat baseline from turning any wobble into a spike);
- it passes when ``z >= spike_z``, ``x >= spike_min_rate`` and ``x >= spike_min_ratio * m``.

A surge is a spike only with evidence that it is a trend, not noise: one of two kinds.

- **Pushed** (fast: tested over the last ``K = 1 .. spike_push_buckets`` buckets, two by
  default, so a take-off is seen within one or two buckets; a video stops accelerating once its
  own recent past has caught up, so only the first buckets of a take-off can show it): the
  entity's videos that were already out there *accelerate together*, at least
  ``spike_push_videos`` of them and ``spike_push_share`` of those out there (in the market):
  each one's plays per bucket over the last ``K`` buckets reach ``spike_push_factor``
  times its own mean over the ``PUSH_LOOKBACK`` buckets before (in which it was seen at least
  twice), and beat it by ``PUSH_MIN_PLAYS`` plays a bucket. That is what TikTok does when a
  sound or a tag takes off: the videos already using it are shown again, all at once. Organic
  videos follow their own smooth curves and do not jump together; one video going viral is one
  video, and a few videos of a breakout that also carry ``#viral`` are a small share of it.
- **Posted** (slower: ``K = spike_window_buckets``, an hour by default, since a breakout built
  by posting grows over an hour and one bucket is mostly noise): ``n`` new videos (first
  sightings) in the last ``spike_posting_buckets`` buckets ``P`` against ``n0`` in the
  ``spike_baseline_buckets`` buckets ``N`` before them (videos first seen in stage 2's very
  first bucket were discovered, not posted, and are not counted), with
  ``n >= spike_min_new_videos`` and ``n / P >= spike_new_ratio * max(n0, 1) / N`` (a breakout
  is many creators posting, not old videos doing well). **Off by default**
  (``spike_min_new_videos = 0``): on the simulator's worlds posted evidence found no planted
  breakout before pushed evidence did, and its alarms were organic entities rising over a day
  and creators posting in bursts (``TRENDMON_ENGINE_SPIKE_MIN_NEW_VIDEOS=5 trendmon evaluate
  --verbose`` shows them).

Either way the bucket had ``spike_min_videos`` distinct videos, the entity's last spike in that
market is ``spike_cooldown_s`` behind, and the surge is the entity's own (**attribution**):
when more than half of the evidence (the accelerating videos, or the videos posted in the
posting span, their post time read from their id as on TikTok) carries one other entity, the
rest alone must still be evidence. A breakout's videos carry the generic tags of its market
(``#foryou``, ``#deutschland``, a busy creator...) and lift them for hours; those tags' surges
are the breakout's, not theirs, and are not spikes. A generic tag is on a minority of a
breakout's own videos (``#fyp``, the most common, on about a third), so the breakout's own spike
is seldom held back. Two entities that always travel together (a challenge tag and its sound)
explain each other away: that is the rule's known blind spot.
Severity: ``notable`` from ``spike_z``, ``major`` from twice it, ``extreme`` from four times it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import median
from typing import Literal

import numpy as np
import numpy.typing as npt

from trendmon.events import VideoDelta

Severity = Literal["notable", "major", "extreme"]

ROUNDED_FROM = 10_000
"""TikTok shows exact counts below this and about three significant figures from it."""
PUSH_LOOKBACK = 4
"""Buckets before the tested ones that give a video's own recent rate (pushed evidence)."""
PUSH_MIN_PLAYS = 20
"""Plays a bucket by which an accelerating video must beat its own rate: below, it is noise."""


def contribution(d: VideoDelta) -> int:
    """The plays a delta contributes to spike detection (see the module docstring)."""
    if d.rounded and d.plays >= ROUNDED_FROM and d.prev_ms is not None and not d.correction:
        return round(d.velocity * (d.collected_ms - d.prev_ms) / 3_600_000)
    return d.d_plays


def robust_z(
    x: float, history: list[float], min_rate: float, k: int = 1
) -> tuple[float, float, float]:
    """(z, median, MAD) of ``x``, a mean of ``k`` buckets, against per-bucket ``history``."""
    m = median(history)
    mad = median(abs(h - m) for h in history)
    spread = 1.4826 * max(mad, 0.1 * m, min_rate / 10, 1e-9) / math.sqrt(k)
    return (x - m) / spread, m, mad


@dataclass(frozen=True, slots=True)
class SpikeRule:
    """The thresholds of the module docstring, in buckets and plays per hour."""

    z: float
    min_rate: float
    min_ratio: float
    window: int
    baseline: int
    min_history: int
    posting: int
    min_new: int
    new_ratio: float
    push_window: int
    push_videos: int
    push_factor: float
    push_share: float


def posting_surge(recent_new: int, base_new: int, rule: SpikeRule) -> bool:
    """Whether new videos in the last ``posting`` buckets beat the baseline's posting rate."""
    if recent_new < rule.min_new:
        return False
    return recent_new * rule.baseline >= rule.new_ratio * max(base_new, 1) * rule.posting


def created_ms(video_id: str) -> int | None:
    """When a video was posted, from its id (TikTok's ids start with 32 bits of createTime)."""
    try:
        return (int(video_id) >> 32) * 1000
    except ValueError:
        return None


def carried_by(
    own: str, recent: list[tuple[str, ...]], enough: Callable[[int], bool]
) -> str | None:
    """The other entity that carries a surge's evidence, or None when it is the entity's own.

    ``recent`` holds the entities of the videos that are the evidence (accelerating, or posted
    in the posting span). When more than half of them carry one other entity, the rest must
    still be evidence (``enough`` of their number); if not, that entity is returned.
    """
    counts: dict[str, int] = {}
    for ents in recent:
        for e in ents:
            if e != own:
                counts[e] = counts.get(e, 0) + 1
    if not counts:
        return None
    other = min(counts, key=lambda e: (-counts[e], e))
    if 2 * counts[other] <= len(recent) or enough(len(recent) - counts[other]):
        return None
    return other


def accelerating(buckets: dict[int, int], b: int, k: int, rule: SpikeRule) -> bool | None:
    """Whether one video accelerates over the ``k`` buckets ending at ``b``; None when it was
    not out there before.

    ``buckets`` maps bucket index to the video's contributions. It accelerates when its plays
    per bucket over those ``k`` buckets reach ``push_factor`` times its own mean over the
    ``PUSH_LOOKBACK`` buckets before (in which it was seen at least twice), and beat that mean
    by ``PUSH_MIN_PLAYS``.
    """
    seen = total = 0
    for bb in range(b - k - PUSH_LOOKBACK + 1, b - k + 1):
        c = buckets.get(bb)
        if c is not None:
            seen += 1
            total += c
    if seen < 2:
        return None
    now = sum(buckets.get(bb, 0) for bb in range(b - k + 1, b + 1)) / k
    base = total / seen
    return now >= rule.push_factor * base and now - base >= PUSH_MIN_PLAYS


def surge_of(
    broad: dict[int, int], b: int, history_len: int, hours: float, rule: SpikeRule, k: int
) -> tuple[float, float, float, float] | None:
    """(x, z, median, MAD) when the broad plays of the ``k`` buckets ending at ``b`` surge.

    ``broad`` maps bucket index to broad plays; ``history_len`` buckets before the last ``k``
    form the baseline.
    """
    x = sum(broad.get(bb, 0) for bb in range(b - k + 1, b + 1)) / (k * hours)
    if x < rule.min_rate:
        return None
    start = b - k - history_len + 1
    history = [broad.get(bb, 0) / hours for bb in range(start, b - k + 1)]
    z, m, mad = robust_z(x, history, rule.min_rate, k)
    if z < rule.z or x < rule.min_ratio * m:
        return None
    return x, z, m, mad


@dataclass(frozen=True, slots=True)
class Surges:
    """The surge test of many candidates at once (see :func:`surges`), row by row."""

    passed: npt.NDArray[np.bool_]
    x: npt.NDArray[np.float64]
    z: npt.NDArray[np.float64]
    median: npt.NDArray[np.float64]
    mad: npt.NDArray[np.float64]


def surges(
    broad: npt.NDArray[np.int64],
    first: npt.NDArray[np.int64],
    k: int,
    hours: float,
    rule: SpikeRule,
) -> Surges:
    """The surge test of the module docstring for many candidates at once.

    ``broad`` holds one row of broad plays per candidate, one column per bucket, the last
    column being the bucket that closes; ``first[r]`` is the first column row ``r``'s entity was
    seen in (the baseline starts there at the earliest). The last ``k`` columns are tested
    against at most ``rule.baseline`` columns before them, and a row needs
    ``rule.min_history`` of those.
    """
    n, m = broad.shape
    rates = broad / hours
    x = rates[:, m - k :].sum(axis=1) / k
    start = np.maximum(first, m - k - rule.baseline)
    history_len = (m - k) - start
    cols = np.arange(m - k)
    base = np.where(cols[None, :] >= start[:, None], rates[:, : m - k], np.nan)
    eligible = (history_len >= rule.min_history) & (x >= rule.min_rate)
    med = np.zeros(n)
    mad = np.zeros(n)
    if eligible.any():
        sub = base[eligible]
        med[eligible] = np.nanmedian(sub, axis=1)
        mad[eligible] = np.nanmedian(np.abs(sub - med[eligible][:, None]), axis=1)
    floor = np.maximum(np.maximum(mad, 0.1 * med), max(rule.min_rate / 10, 1e-9))
    z = (x - med) / (1.4826 * floor / math.sqrt(k))
    passed = eligible & (z >= rule.z) & (x >= rule.min_ratio * med)
    return Surges(passed, x, z, med, mad)


def severity(z: float, threshold: float) -> Severity:
    """How far past the threshold a spike is."""
    if z >= 4 * threshold:
        return "extreme"
    if z >= 2 * threshold:
        return "major"
    return "notable"
