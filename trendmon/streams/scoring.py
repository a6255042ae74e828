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
its most recent quarter ``r`` and the growth ``g``:

- ``emerging``: no activity in the previous window (new, or back from silence);
- ``rising``: ``g >= 0.25`` and ``r >= v`` (growing and still accelerating);
- ``declining``: ``g <= -0.25`` or ``r < 0.5 * v``;
- ``peaking``: otherwise (high and level);
- ``dormant``: nothing in the window.
"""

from __future__ import annotations

import math

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


def stage_of(rate: float, recent_rate: float, growth: float | None) -> Stage:
    """The lifecycle stage above."""
    if rate <= 0:
        return "dormant"
    if growth is None:
        return "emerging"
    if growth >= 0.25 and recent_rate >= rate:
        return "rising"
    if growth <= -0.25 or recent_rate < 0.5 * rate:
        return "declining"
    return "peaking"
