"""Features known at forecast time, and the baselines' scores from the same numbers.

Few features, each with a reason (early-popularity research: the speed of early growth carries
most of the signal, Szabo and Huberman 2010; Shulman et al. 2016), all logs so that a world ten
times bigger shifts them instead of stretching them, and all relative to the market where that
makes sense:

Entities at origin ``t`` (hours before ``t`` only):

- ``lead``: log of its gain over the last 6 hours over the 20th largest (the bar to clear);
- ``accel``: log of its last hour (times 6) over its last 6 hours: is it speeding up;
- ``growth``: log of its last 6 hours over the 6 before;
- ``creators``: log of 1 + distinct creators whose videos gained in the last 6 hours (breadth);
- ``new``: log of 1 + its new videos in the last 6 hours (adoption);
- ``outlook``: log of its projected gain over the next 6 hours over the 20th largest
  projection. A video's plays per hour fade with its age, so a gain from young videos carries
  on more than one from old ones: each age class's gain of the last hour times that class's
  carry-over (the gain over the next 6 hours per gain of an hour, of videos of that age), and
  the same from the hour before with its own carry-over, averaged (one hour of a scraper that
  passes every hour or sees part of the videos is one partial pass). The carry-overs are
  learned at each origin from every video's gains of the day before (:func:`carry_over`);
- ``outlook_1h``: the same from the last hour alone, over its 20th largest. Both, because the
  freshest hour says most when the scraper passes often and sees every video, and two hours
  say more when one hour is one partial pass: the fit, on the history it is given, weighs them.

Videos at age ``A`` (sightings up to ``created + A`` only): log plays, log plays per hour
between its last two sightings, log followers of its creator, log of the age of its latest
sighting.

Baseline scores: *persistence* ranks by the last 6 hours (the top 20 stay), *velocity* by the
last hour carried over the horizon; for videos, velocity carries the latest plays per hour to
24 hours, and the log-linear rule is in :mod:`.baselines`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from trendmon.forecast.labels import HORIZON_H, TOP, VIDEO_TARGET_H, top_ranked
from trendmon.forecast.observations import (
    AGE_EDGES_H,
    COHORT_H,
    HOUR_MS,
    Known,
    Observations,
    VideoTrack,
)

ENTITY_FEATURES: Final = ("lead", "accel", "growth", "creators", "new", "outlook", "outlook_1h")
CARRY_H: Final = 24
"""The carry-over is learned from the cohorts of this many hours, the last whose next 6 hours
were over before the origin."""
VIDEO_FEATURES: Final = ("log_plays", "log_rate", "log_followers", "log_age")
CANDIDATE_H: Final = 24
"""An entity is forecast at an origin when it gained plays within this many hours before it."""

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class EntityRows:
    """The entities of one kind and scope at one origin, aligned row by row."""

    kind: str
    scope: str
    origin: int
    keys: list[str]
    x: Matrix
    """One row per key, columns :data:`ENTITY_FEATURES`."""
    now_top: npt.NDArray[np.bool_]
    persistence: Matrix
    velocity: Matrix


def carry_over(obs: Observations, origin: int, lag: int = 1) -> npt.NDArray[np.float64]:
    """Per age class (:data:`~.observations.AGE_EDGES_H`), the gain over the
    :data:`~.labels.HORIZON_H` hours starting ``lag`` hours after an hour, of the videos of
    that age in that hour, per their gain of that hour (``lag`` 1: the next 6 hours; 2: from the
    hour after next, as the hour before the last is to the horizon).

    Learned from what was seen before ``origin`` only: every video's gains per whole hour of
    age, in the :data:`CARRY_H` hours ``s`` whose such 6 hours closed before ``origin``; the
    videos aged ``a`` in hour ``s`` are those aged ``a + k`` in hour ``s + k``. Ages followed for
    the whole 6 hours only (the last column of :meth:`~.observations.Observations.cohorts`
    mixes every older video): the oldest class takes the ratio of those. A class with no gain
    in that day carries its hour over the horizon (the velocity extrapolation's assumption)."""
    ages = COHORT_H - HORIZON_H - lag + 1
    start = origin - HORIZON_H - lag - CARRY_H + 1
    c = obs.cohorts(start, origin).astype(np.float64)  # rows: hours start .. origin - 1
    now = c[:CARRY_H, :ages].sum(axis=0)
    later = np.zeros(ages)
    for k in range(lag, lag + HORIZON_H):
        later += c[k : CARRY_H + k, k : ages + k].sum(axis=0)
    classes = np.searchsorted(np.array(AGE_EDGES_H), np.arange(ages), side="right")
    n = len(AGE_EDGES_H) + 1
    num = np.bincount(classes, later, n)
    den = np.bincount(classes, now, n)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), float(HORIZON_H))


Carry = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def carry_overs(obs: Observations, origin: int) -> Carry:
    """The carry-overs of the last hour and of the hour before at ``origin``: the same for
    every kind and scope, so callers going through them compute these once per origin."""
    return carry_over(obs, origin, 1), carry_over(obs, origin, 2)


def entity_rows(
    obs: Observations, kind: str, scope: str, origin: int, carry: Carry | None = None
) -> EntityRows:
    """Features and baseline scores of every candidate of ``kind`` in ``scope`` at ``origin``,
    in the order the entities entered the table (``carry``: :func:`carry_overs` at
    ``origin``, computed here when not given)."""
    t = origin
    sums = obs.sums(t)  # per slot, over the last day (the same for every kind and scope)
    slots = obs.table(kind, scope)
    slots = slots[sums.g24[slots] > 0]
    keys = obs.keys(slots)
    g6 = sums.g6[slots]
    ranked = top_ranked(g6, keys, TOP)
    bar = int(g6[ranked[TOP - 1]]) if len(ranked) >= TOP else 0
    now = np.zeros(len(keys), dtype=bool)
    now[ranked] = True
    lb = math.log1p(bar)
    l6 = _log1p(g6)
    l1 = _log1p(HORIZON_H * sums.g1[slots])
    vel = l1 - lb
    one, two = carry if carry is not None else carry_overs(obs, t)
    last = sums.aged1[slots].astype(np.float64) @ one
    before = sums.aged2[slots].astype(np.float64) @ two
    x = np.column_stack(
        [
            l6 - lb,
            l1 - l6,
            l6 - _log1p(sums.gp[slots]),
            _log1p(sums.creators6[slots]),
            _log1p(sums.new6[slots]),
            _over_bar((last + before) / 2),
            _over_bar(last),
        ]
    )
    return EntityRows(
        kind,
        scope,
        origin,
        keys,
        x,
        now,
        x[:, 0].copy(),
        np.array(vel, dtype=np.float64),
    )


def _over_bar(v: Matrix) -> Matrix:
    """log1p of each over log1p of the 20th largest (0 when fewer than 20)."""
    bar = float(np.partition(v, len(v) - TOP)[len(v) - TOP]) if len(v) >= TOP else 0.0
    return np.asarray(np.log1p(v) - math.log1p(bar), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class VideoRow:
    """A video at one age: what was known then."""

    video_id: str
    market: str
    age_h: int
    made_ms: int
    features: tuple[float, float, float, float]
    log_plays: float
    velocity: float
    """Velocity extrapolation of log1p(plays at 24 h)."""


def video_row(track: VideoTrack, age_h: int) -> VideoRow | None:
    """The video's features at ``age_h`` from its sightings up to then; None if none yet."""
    made = track.created_ms + age_h * HOUR_MS
    known = [s for s in track.sightings if s[0] <= made]
    if not known:
        return None
    ms, plays = known[-1]
    age_last = max((ms - track.created_ms) / HOUR_MS, 1 / 60)
    if len(known) >= 2 and ms > known[-2][0]:
        rate = max(0.0, (plays - known[-2][1]) / ((ms - known[-2][0]) / HOUR_MS))
    else:
        rate = plays / age_last
    log_plays = math.log1p(plays)
    features = (
        log_plays,
        math.log1p(rate),
        math.log1p(track.followers),
        math.log(age_last),
    )
    velocity = math.log1p(plays + rate * max(0.0, VIDEO_TARGET_H - age_last))
    return VideoRow(track.video_id, track.market, age_h, made, features, log_plays, velocity)


@dataclass(frozen=True, slots=True)
class VideoRows:
    """:func:`video_row` of many videos at one age, as columns."""

    video_ids: list[str]
    markets: list[str]
    made_ms: npt.NDArray[np.int64]
    x: Matrix
    log_plays: Matrix
    velocity: Matrix


def video_rows(known: Known, age_h: int) -> VideoRows:
    """:func:`video_row` of every video in ``known`` (their last two sightings by ``age_h``),
    the same figures: the arithmetic is numpy's, the same operations on the same float64 values,
    and the logarithms are :mod:`math`'s (numpy's ``log1p`` differs in the last bit for a few
    values), mapped over the columns in C."""
    created, plays = known.created_ms, known.plays
    age_last = np.maximum((known.ms - created) / HOUR_MS, 1 / 60)
    between = (known.ms_before >= 0) & (known.ms > known.ms_before)
    span = np.where(between, known.ms - known.ms_before, 1) / HOUR_MS
    rate = np.where(between, np.maximum(0.0, (plays - known.plays_before) / span), plays / age_last)
    ahead = plays + rate * np.maximum(0.0, VIDEO_TARGET_H - age_last)

    log_plays = _log1p(plays)
    x = np.column_stack(
        [log_plays, _log1p(rate), _log1p(known.followers), _each(math.log, age_last)]
    )
    return VideoRows(
        known.video_ids,
        known.markets,
        created + age_h * HOUR_MS,
        x,
        log_plays,
        _log1p(ahead),
    )


def _each(f: Callable[[float], float], v: npt.NDArray[np.generic]) -> Matrix:
    """``f`` of each value as a float, in C (``map``)."""
    return np.fromiter(map(f, v.astype(np.float64).tolist()), np.float64, len(v))


def _log1p(v: npt.NDArray[np.generic]) -> Matrix:
    """``math.log1p`` of each (numpy's differs in the last bit for a few values)."""
    return _each(math.log1p, v)
