"""Trend score and lifecycle stage of an entity in a market and window.

**Trend score.** With ``v`` the plays per hour over the window, ``g`` the growth against the
previous window of the same length (``plays / previous plays - 1``) and ``c`` the distinct
creators in the window::

    score = sqrt(v) * G * B
    G = clamp(1 + g, 0.25, 5)      (no previous activity: G = 2, a new entity's benefit)
    B = 1 - exp(-c / 3)            (breadth: one creator 0.28, three 0.63, ten 0.96)

The square root keeps the biggest entities from dwarfing everything; ``G`` favours what grows and
``B`` what many creators take up (a trend) over one account's viral video. It is computed once,
for every aggregate of a window at a time, in :func:`trendmon.engine.ranking.score`.

**Lifecycle stage**, in the manner of Creative Center, from the window rate ``v``, the rate over
its most recent quarter ``r``, the growth ``g`` and the *evidence* the caller measured (see
:class:`Evidence`). The hot stages need the entity to be *taking off*: one of the spike tests of
:mod:`trendmon.engine.spikes` passed for it (in the market, or in any for ``all``) at a close
within the window, whether or not a spike was sent (a spike is the first such close, then a
cooldown). So the daily rhythm, one viral video or a scraper seeing more videos do not light the
board up, and a take-off is hot from the close at which the data shows it:

- ``emerging``: taking off, ``breadth >= min_breadth``, and new: no activity in the previous
  window, which was watched (not the first windows after a start). Example: a tag first used an
  hour ago by eight creators.
- ``rising``: taking off, ``breadth >= min_breadth``, growing (``g >= 0``) and not falling back
  (``r >= 0.5 * v``): a take-off is rising from its first close, never peaking, and stays rising
  while its tests keep passing within the window and it grows (so a take-off whose tests pass
  every few closes does not flicker, and one that is shrinking again is not rising). Example: a
  sound whose videos doubled their rate together 20 minutes ago. A take-off rises once: when
  it stops rising on a board, it rises there again only with a new take-off (a new spike,
  after its cooldown), not each time its fading tail grows a little (the caller keeps that
  memory, :mod:`trendmon.engine.ranking`).
- ``declining``: ``g <= -0.25`` or ``r < 0.5 * v``;
- ``peaking``: otherwise (high and level, or hot but shrinking a little);
- ``dormant``: nothing in the window.

Breadth is distinct creators, or for a creator (always one) distinct videos.
"""

from __future__ import annotations

from dataclasses import dataclass

from trendmon.events import Stage


@dataclass(frozen=True, slots=True)
class Evidence:
    """What backs a hot stage, measured by the caller; the defaults back anything."""

    breadth: int = 1_000_000
    watched: bool = True
    """The previous window was watched (the stage has run for two windows)."""
    spiked: bool = True
    """The entity was taking off (a spike test of :mod:`trendmon.engine.spikes` passed) in
    the market within the window."""


ANY = Evidence()
MIN_BREADTH = 3


def stage_of(
    rate: float,
    recent_rate: float,
    growth: float | None,
    evidence: Evidence = ANY,
    *,
    min_breadth: int = MIN_BREADTH,
) -> Stage:
    """The lifecycle stage above."""
    if rate <= 0:
        return "dormant"
    falling = (growth is not None and growth <= -0.25) or recent_rate < 0.5 * rate
    if evidence.breadth >= min_breadth and evidence.spiked:
        if growth is None and evidence.watched:
            return "emerging"
        if not falling and (growth is None or growth >= 0):
            return "rising"
    if falling:
        return "declining"
    return "peaking"
