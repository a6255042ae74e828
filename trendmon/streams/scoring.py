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
its most recent quarter ``r``, the growth ``g`` and the *evidence* the caller measured (the
entity's breadth and whether it is posting far above its own baseline; see
:class:`Evidence`). The hot stages need real evidence, so that the daily rhythm, one viral
video or a newcomer with a single creator do not light the board up:

- ``emerging``: no activity in the previous window (new, or back from silence), the previous
  window was watched (not the first windows after a start), ``breadth >= min_breadth`` and a
  spike (``spiked``, below);
- ``rising``: ``g >= rising_growth`` (the window at least doubled by default), ``r >= v``
  (still accelerating), ``g`` holds without each bucket's two largest videos
  (``broad_growth``), ``breadth >= min_breadth``, new videos arrive far above the entity's own
  posting rate (``posting``), the previous window was watched and the entity spiked in the
  market within the window (``spiked``: the spike rule's evidence, robust to the daily rhythm and
  to a breakout's videos lifting the tags they carry, backs every hot stage, so a stage alert is
  never raised on a surge the spike rule rejected);
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
    broad_growth: float | None = None
    """Growth of the window without the largest single video (None: not measured)."""
    posting: bool = True
    watched: bool = True
    """The previous window was watched (the stage has run for two windows)."""
    spiked: bool = True
    """The entity spiked (:mod:`trendmon.streams.spikes`) in the market within the window."""


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
        growth >= rising_growth
        and recent_rate >= rate
        and broad
        and evidence.posting
        and (evidence.broad_growth is None or evidence.broad_growth >= rising_growth)
    ):
        return "rising"
    if (growth is not None and growth <= -0.25) or recent_rate < 0.5 * rate:
        return "declining"
    return "peaking"
