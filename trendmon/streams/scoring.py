"""Trend score and lifecycle stage of an entity in a market and window.

**Trend score.** With ``v`` the plays per hour over the window, ``g`` the growth against the
previous window of the same length (``plays / previous plays - 1``) and ``c`` the distinct
creators in the window::

    score = sqrt(v) * G * B
    G = clamp(1 + g, 0.25, 5)      (no previous activity: G = 2, a new entity's benefit)
    B = 1 - exp(-c / 3)            (breadth: one creator 0.28, three 0.63, ten 0.96)

The square root keeps the biggest entities from dwarfing everything; ``G`` favours what grows and
``B`` what many creators take up (a trend) over one account's viral video.

**Lifecycle stage**, in the manner of Creative Center, from the window rate ``v``, the rate over
its most recent quarter ``r``, the growth ``g`` and the *evidence* the caller measured (see
:class:`Evidence`). The hot stages need a spike (:mod:`trendmon.streams.spikes`: a surge far
above the entity's own baseline, carried by many of its videos accelerating together or by
many new ones, and its own), so that the daily rhythm, one viral video or a newcomer with a
single creator do not light the board up:

- ``emerging``: no activity in the previous window (new, or back from silence), the previous
  window was watched (not the first windows after a start), ``breadth >= min_breadth`` and a
  spike within the window;
- ``rising``: a spike within the window, ``breadth >= min_breadth``, the previous window was
  watched, ``r >= v`` (still accelerating) and either ``g >= rising_growth`` (the window at
  least doubled by default) or the spike is *fresh* (in the window's latest quarter: a take-off
  is rising from its first buckets, before it has doubled a whole window);
- ``declining``: ``g <= -0.25`` or ``r < 0.5 * v``;
- ``peaking``: otherwise (high and level, or new without the breadth to be emerging);
- ``dormant``: nothing in the window.

Breadth is distinct creators, or for a creator (always one) distinct videos.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trendmon.events import Stage


def trend_score(rate: float, growth: float | None, creators: int) -> float:
    """The score above, rounded to 3 decimals for stable output."""
    if rate <= 0:
        return 0.0
    g = 2.0 if growth is None else min(max(1.0 + growth, 0.25), 5.0)
    b = 1.0 - math.exp(-creators / 3.0)
    return round(math.sqrt(rate) * g * b, 3)


def growth_of(plays: int, previous: int) -> float | None:
    """Growth against the previous window; None when there was nothing before."""
    if previous <= 0:
        return None
    return plays / previous - 1.0


@dataclass(frozen=True, slots=True)
class Evidence:
    """What backs a hot stage, measured by the caller; the defaults back anything."""

    breadth: int = 1_000_000
    watched: bool = True
    """The previous window was watched (the stage has run for two windows)."""
    spiked: bool = True
    """The entity spiked (:mod:`trendmon.streams.spikes`) in the market within the window."""
    fresh: bool = True
    """...and within the window's latest quarter."""


ANY = Evidence()
RISING_GROWTH = 1.0
MIN_BREADTH = 3


def stage_of(
    rate: float,
    recent_rate: float,
    growth: float | None,
    evidence: Evidence = ANY,
    *,
    rising_growth: float = RISING_GROWTH,
    min_breadth: int = MIN_BREADTH,
) -> Stage:
    """The lifecycle stage above."""
    if rate <= 0:
        return "dormant"
    broad = evidence.breadth >= min_breadth and evidence.watched and evidence.spiked
    if growth is None:
        if broad:
            return "emerging"
    elif (
        broad
        and recent_rate >= rate
        and (growth >= rising_growth or evidence.fresh)
    ):
        return "rising"
    if (growth is not None and growth <= -0.25) or recent_rate < 0.5 * rate:
        return "declining"
    return "peaking"
