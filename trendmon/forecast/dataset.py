"""Rows of the two forecasts over a whole history: features, baseline scores and labels.

Every row carries the time it was made (``made_ms``) and the time its label became known
(``known_ms``), so that the backtest can train only on rows whose label was known before an
origin (:mod:`.backtest`). Entity origins are every whole hour from a day after the history
starts (the features look 24 hours back) to the last hour whose horizon has closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from trendmon.forecast.features import (
    CANDIDATE_H,
    ENTITY_FEATURES,
    VIDEO_FEATURES,
    carry_overs,
    entity_rows,
    video_row,
)
from trendmon.forecast.labels import (
    BRACKET_H,
    HORIZON_H,
    VIDEO_AGES_H,
    VIDEO_TARGET_H,
    entity_labels,
    plays_at,
)
from trendmon.forecast.observations import HOUR_MS, KINDS, Observations

Vector = npt.NDArray[np.float64]


@dataclass(slots=True)
class EntitySet:
    """Entity rows of many origins, kinds and scopes, concatenated (kept as one block of rows
    per origin, kind and scope)."""

    x: list[Vector] = field(default_factory=list)
    y: list[npt.NDArray[np.bool_]] = field(default_factory=list)
    now_top: list[npt.NDArray[np.bool_]] = field(default_factory=list)
    persistence: list[Vector] = field(default_factory=list)
    velocity: list[Vector] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)
    """Per block, as ``group``: ``origin|kind|scope``, the rows ranked together."""
    group: list[str] = field(default_factory=list)
    key: list[list[str]] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        width = len(ENTITY_FEATURES)
        sizes = [len(k) for k in self.key]

        def each(values: list[Any], dtype: Any = None) -> npt.NDArray[np.generic]:
            return np.array(
                [v for v, n in zip(values, sizes, strict=True) for _ in range(n)], dtype
            )

        def cat(blocks: list[Any], dtype: Any = None) -> npt.NDArray[np.generic]:
            if not blocks:
                return np.array([], dtype)
            return np.concatenate(blocks).astype(dtype) if dtype else np.concatenate(blocks)

        return {
            "x": cat(self.x).reshape(-1, width),
            "y": cat(self.y, bool),
            "now_top": cat(self.now_top, bool),
            "persistence": cat(self.persistence),
            "velocity": cat(self.velocity),
            "origin": each(self.origin, np.int64),
            "group": each(self.group),
            "key": np.array([k for block in self.key for k in block]),
            "scope": each(self.scope),
        }


def entity_origins(obs: Observations) -> range:
    """Hours at which an entity forecast can be made and scored on ``obs``."""
    first, last = obs.hours
    return range(first + CANDIDATE_H, last - HORIZON_H + 1)


def entity_set(obs: Observations, origins: range | None = None) -> EntitySet:
    """Every candidate entity at every origin, with its label."""
    out = EntitySet()
    for t in origins if origins is not None else entity_origins(obs):
        carry = carry_overs(obs, t)
        for kind in KINDS:
            for scope in obs.scopes():
                rows = entity_rows(obs, kind, scope, t, carry)
                if not rows.keys:
                    continue
                positives = entity_labels(obs, kind, scope, t)
                out.x.append(rows.x)
                out.y.append(np.array([key in positives for key in rows.keys], dtype=bool))
                out.now_top.append(rows.now_top)
                out.persistence.append(rows.persistence)
                out.velocity.append(rows.velocity)
                out.origin.append(t)
                out.group.append(f"{t}|{kind}|{scope}")
                out.key.append(rows.keys)
                out.scope.append(scope)
    return out


@dataclass(frozen=True, slots=True)
class VideoSet:
    """Video rows at one age."""

    age_h: int
    x: Vector
    log_plays: Vector
    velocity: Vector
    y: Vector
    made_ms: npt.NDArray[np.int64]
    known_ms: npt.NDArray[np.int64]
    video_id: list[str]


def video_sets(obs: Observations) -> dict[int, VideoSet]:
    """Rows of every video with a label (plays at 24 hours), per age."""
    out = {}
    for age in VIDEO_AGES_H:
        x, lp, vel, y, made, known, ids = [], [], [], [], [], [], []
        for track in obs.videos.values():
            target = plays_at(track, VIDEO_TARGET_H)
            if target is None:
                continue
            row = video_row(track, age)
            if row is None:
                continue
            x.append(row.features)
            lp.append(row.log_plays)
            vel.append(row.velocity)
            y.append(float(np.log1p(target)))
            made.append(row.made_ms)
            known.append(track.created_ms + int((VIDEO_TARGET_H + BRACKET_H) * HOUR_MS))
            ids.append(track.video_id)
        out[age] = VideoSet(
            age,
            np.array(x, dtype=np.float64).reshape(-1, len(VIDEO_FEATURES)),
            np.array(lp),
            np.array(vel),
            np.array(y),
            np.array(made, dtype=np.int64),
            np.array(known, dtype=np.int64),
            ids,
        )
    return out
