"""Spikes: a bucket far above the entity's own robust baseline.

For an entity in a market, when a bucket closes, its rate (plays per hour) ``x`` is compared with
the previous ``spike_baseline_buckets`` buckets of the same entity and market (zeros where it was
quiet, counted only since the entity was first seen): the baseline is their median ``m`` and the
spread their median absolute deviation ``MAD``. The robust z-score is

    z = (x - m) / (1.4826 * max(MAD, 0.1 * m, spike_min_rate / 10))

(1.4826 makes the MAD comparable to a standard deviation for normal noise; the floor keeps a
flat baseline from turning any wobble into a spike). A bucket is a spike when ``z >= spike_z``,
``x >= spike_min_rate``, at least ``spike_min_videos`` distinct videos contributed (one viral
video is not a trend), the entity has ``spike_min_history`` buckets of history, and its last
spike in that market is ``spike_cooldown_s`` behind. Severity: ``notable`` from ``spike_z``,
``major`` from twice it, ``extreme`` from four times it.
"""

from __future__ import annotations

from statistics import median
from typing import Literal

Severity = Literal["notable", "major", "extreme"]


def robust_z(x: float, history: list[float], min_rate: float) -> tuple[float, float, float]:
    """(z, median, MAD) of ``x`` against ``history``."""
    m = median(history)
    mad = median(abs(h - m) for h in history)
    spread = 1.4826 * max(mad, 0.1 * m, min_rate / 10, 1e-9)
    return (x - m) / spread, m, mad


def severity(z: float, threshold: float) -> Severity:
    """How far past the threshold a spike is."""
    if z >= 4 * threshold:
        return "extreme"
    if z >= 2 * threshold:
        return "major"
    return "notable"
