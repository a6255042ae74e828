"""The two forecasts' targets, computed from :class:`~.observations.Observations` alone.

**Entities.** At an origin hour ``t``, for a kind (hashtag or sound) and a scope (a market, or
``all``), an entity's *gain* over ``[a, b)`` is the sum of its hourly play increments in those
hours. The *top 20 now* is the top :data:`TOP` by gain over ``[t - 6, t)``; the label is
membership of the top 20 by gain over ``[t, t + 6)`` (ties broken by key, zero gains never in
it). Labels of an origin are known only once hour ``t + 6`` has closed.

**Videos.** A video's plays at age ``A`` hours are the linear interpolation of its sightings
around ``created + A``; they exist only when a sighting falls within :data:`BRACKET_H` hours on
each side (otherwise the video has no label and is not scored).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from trendmon.forecast.observations import HOUR_MS, HourCell, Observations, VideoTrack

Ints = npt.NDArray[np.int64]

TOP: Final = 20
HORIZON_H: Final = 6
VIDEO_TARGET_H: Final = 24
VIDEO_AGES_H: Final = (1, 3, 6)
BRACKET_H: Final = 3.0


def gain(hours: dict[int, HourCell], start: int, stop: int) -> int:
    """Sum of gains over hours ``[start, stop)``."""
    if stop - start <= len(hours):
        return sum(hours[h].gain for h in range(start, stop) if h in hours)
    return sum(c.gain for h, c in hours.items() if start <= h < stop)


def top(gains: dict[str, int], n: int = TOP) -> set[str]:
    """The ``n`` keys with the largest positive gains (ties by key).

    >>> sorted(top({"a": 5, "b": 9, "c": 0, "d": 5}, 2))
    ['a', 'b']
    """
    keys = list(gains)
    ranked = top_ranked(np.array([gains[k] for k in keys], dtype=np.int64), keys, n)
    return {keys[i] for i in ranked}


def top_ranked(gains: Ints, keys: list[str], n: int = TOP) -> list[int]:
    """Positions of the ``n`` largest positive ``gains``, largest first, ties by key."""
    positive = np.flatnonzero(gains > 0)
    if len(positive) > n:
        bar = np.partition(gains[positive], len(positive) - n)[len(positive) - n]
        positive = positive[gains[positive] >= bar]  # the n largest and any tied with the nth
    order = sorted(positive.tolist(), key=lambda i: (-int(gains[i]), keys[i]))
    return order[:n]


def top_between(obs: Observations, kind: str, scope: str, start: int, stop: int) -> set[str]:
    """The top 20 of ``kind`` in ``scope`` by gain over hours ``[start, stop)``."""
    slots = obs.table(kind, scope)
    gains = obs.gains(start, stop)[slots]
    positive = slots[gains > 0]
    keys = obs.keys(positive)
    return {keys[i] for i in top_ranked(gains[gains > 0], keys)}


def entity_labels(obs: Observations, kind: str, scope: str, origin: int) -> set[str]:
    """The entities in the top 20 over the horizon after ``origin`` (an hour)."""
    return top_between(obs, kind, scope, origin, origin + HORIZON_H)


def plays_at(track: VideoTrack, age_h: float) -> float | None:
    """The video's plays at ``age_h`` hours, interpolated between the sightings around it.

    >>> t = VideoTrack("v", "US", 0, 0, [(0, 0), (20 * HOUR_MS, 100), (26 * HOUR_MS, 160)])
    >>> plays_at(t, 24)
    140.0
    >>> plays_at(t, 10) is None  # the nearest sightings are 10 hours away
    True
    """
    at = track.created_ms + age_h * HOUR_MS
    bracket = BRACKET_H * HOUR_MS
    before: tuple[int, int] | None = None
    for ms, plays in track.sightings:
        if ms <= at:
            before = (ms, plays)
            continue
        if before is None or at - before[0] > bracket or ms - at > bracket:
            return None
        share = (at - before[0]) / (ms - before[0])
        return before[1] + share * (plays - before[1])
    if before is not None and before[0] == at:
        return float(before[1])
    return None
