"""Spikes: an entity taking off, far above its own robust baseline and carried by many videos.

Two things make a heavy-tailed world's bucket sums noisy, and neither is a trend: one big video
landing on a small hashtag or sound, and TikTok's rounding (a count of 123,000 moves in steps of
1,000, so a big video's raw increments are a staircase of zeros and whole steps). So each delta
*contributes* its plays increment, except a rounded count of 10,000 or more seen before, which
contributes its smoothed velocity times the time since its previous point; and each bucket keeps
the sum of contributions and the two largest single ones. The bucket's **broad plays** are the
sum minus those two (leave two out): one or two videos, however big (a star's video on a small
tag, with a second one co-posted), cannot make a spike; it takes at least three.

For an entity in a market (or ``all``), when bucket ``b`` closes:

- ``x``: broad plays per hour, averaged over the last ``spike_window_buckets`` buckets ``K``
  (a breakout builds over an hour; one bucket is mostly noise);
- ``m``, ``MAD``: median and median absolute deviation of the broad plays per hour of the
  ``spike_baseline_buckets`` buckets before those (zeros where it was quiet, only since the
  entity was first seen, at least ``spike_min_history`` of them);
- the robust z-score, with the spread of a ``K``-bucket mean::

      z = (x - m) / (1.4826 * max(MAD, 0.1 * m, spike_min_rate / 10) / sqrt(K))

  (1.4826 makes the MAD comparable to a standard deviation for normal noise; the floor keeps a
  flat baseline from turning any wobble into a spike);
- **posting**: ``n`` new videos (first sightings) in the last ``spike_posting_buckets`` buckets
  ``P`` against ``n0`` in the ``spike_baseline_buckets`` buckets ``N`` before them (videos first
  seen in stage 2's very first bucket were discovered, not posted, and are not counted).

It is a spike when ``z >= spike_z``, ``x >= spike_min_rate``, ``x >= spike_min_ratio * m``,
``n >= spike_min_new_videos``, ``n / P >= spike_new_ratio * max(n0, 1) / N`` (a breakout is
many creators posting, not old videos doing well; with ``spike_min_new_videos = 0`` and
``spike_new_ratio = 0`` posting is not required and the candidates are the entities whose latest
bucket alone carries ``spike_min_rate`` of broad plays), the bucket had ``spike_min_videos``
distinct videos, the entity's last spike in that market is ``spike_cooldown_s`` behind, and the
surge is the entity's own (**attribution**): when more than half of the videos posted in the
posting span (their post time is in their id, as on TikTok) carry one other entity, the others
alone must still be a posting surge (``spike_min_new_videos``, ``spike_new_ratio``). A
breakout's videos carry the generic tags of its market (``#foryou``, ``#deutschland``, a busy
creator...) and lift them for hours; those tags' surges are the breakout's, not theirs, and are
not spikes. A generic tag is on a minority of a breakout's own videos (``#fyp``, the most
common, on about a third), so the breakout's own spike is seldom held back.
Two entities that always travel together (a challenge tag and its sound) explain each other
away: that is the rule's known blind spot.
Severity: ``notable`` from ``spike_z``, ``major`` from twice it, ``extreme`` from four times it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median
from typing import Literal

from trendmon.events import VideoDelta

Severity = Literal["notable", "major", "extreme"]

ROUNDED_FROM = 10_000
"""TikTok shows exact counts below this and about three significant figures from it."""


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
    own: str, recent: list[tuple[str, ...]], base_new: int, rule: SpikeRule
) -> str | None:
    """The other entity that carries a posting surge, or None when the surge is the entity's own.

    ``recent`` holds the entities of the videos posted in the posting span. When more than half
    of them carry one other entity, the rest must still be a posting surge
    (:func:`posting_surge`); if not, that entity is returned.
    """
    counts: dict[str, int] = {}
    for ents in recent:
        for e in ents:
            if e != own:
                counts[e] = counts.get(e, 0) + 1
    if not counts:
        return None
    other = min(counts, key=lambda e: (-counts[e], e))
    if 2 * counts[other] <= len(recent) or posting_surge(
        len(recent) - counts[other], base_new, rule
    ):
        return None
    return other


def surge_of(
    broad: dict[int, int], b: int, history_len: int, hours: float, rule: SpikeRule
) -> tuple[float, float, float, float] | None:
    """(x, z, median, MAD) when the broad plays ending at bucket ``b`` spike, else None.

    ``broad`` maps bucket index to broad plays; ``history_len`` buckets before the last
    ``rule.window`` form the baseline.
    """
    k = rule.window
    x = sum(broad.get(bb, 0) for bb in range(b - k + 1, b + 1)) / (k * hours)
    if x < rule.min_rate:
        return None
    start = b - k - history_len + 1
    history = [broad.get(bb, 0) / hours for bb in range(start, b - k + 1)]
    z, m, mad = robust_z(x, history, rule.min_rate, k)
    if z < rule.z or x < rule.min_ratio * m:
        return None
    return x, z, m, mad


def severity(z: float, threshold: float) -> Severity:
    """How far past the threshold a spike is."""
    if z >= 4 * threshold:
        return "extreme"
    if z >= 2 * threshold:
        return "major"
    return "notable"
