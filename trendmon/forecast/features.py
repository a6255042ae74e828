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
- ``new``: log of 1 + its new videos in the last 6 hours (adoption).

Videos at age ``A`` (sightings up to ``created + A`` only): log plays, log plays per hour
between its last two sightings, log followers of its creator, log of the age of its latest
sighting.

Baseline scores: *persistence* ranks by the last 6 hours (the top 20 stay), *velocity* by the
last hour carried over the horizon; for videos, velocity carries the latest plays per hour to
24 hours, and the log-linear rule is in :mod:`.baselines`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from trendmon.forecast.labels import HORIZON_H, TOP, VIDEO_TARGET_H, top_ranked
from trendmon.forecast.observations import HOUR_MS, Observations, VideoTrack

ENTITY_FEATURES: Final = ("lead", "accel", "growth", "creators", "new")
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


def entity_rows(obs: Observations, kind: str, scope: str, origin: int) -> EntityRows:
    """Features and baseline scores of every candidate of ``kind`` in ``scope`` at ``origin``,
    in the order the entities entered the table."""
    t = origin
    sums = obs.sums(t)  # per slot, over the last day (the same for every kind and scope)
    slots = obs.table(kind, scope)
    slots = slots[sums.g24[slots] > 0]
    keys = obs.keys(slots)
    g6 = sums.g6[slots]
    raw = zip(
        g6.tolist(),
        sums.g1[slots].tolist(),
        sums.gp[slots].tolist(),
        sums.creators6[slots].tolist(),
        sums.new6[slots].tolist(),
        strict=True,
    )
    ranked = top_ranked(g6, keys, TOP)
    bar = int(g6[ranked[TOP - 1]]) if len(ranked) >= TOP else 0
    now = np.zeros(len(keys), dtype=bool)
    now[ranked] = True
    lb = math.log1p(bar)
    rows = []
    vel = []
    for g6_i, g1, gp, creators_n, new in raw:
        l6 = math.log1p(g6_i)
        l1 = math.log1p(HORIZON_H * g1)
        rows.append(
            (l6 - lb, l1 - l6, l6 - math.log1p(gp), math.log1p(creators_n), math.log1p(new))
        )
        vel.append(l1 - lb)
    x = np.array(rows, dtype=np.float64).reshape(-1, len(ENTITY_FEATURES))
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
