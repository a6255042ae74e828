"""The rolling-origin backtest: train on what came before, predict, score after the horizon.

At each origin ``t`` (every hour for entities, every :data:`VIDEO_STEP_H` hours for videos):

- the training rows are those whose label was known at ``t``: an entity row made at ``s``
  has its label at ``s + 6 h``, so it trains at ``t`` only when ``s <= t - 6 h`` (the gap of one
  horizon between the last training forecast and the origin); a video row's label is known
  ``24 + 3`` hours after the video was posted (:data:`~.labels.BRACKET_H` for the sighting
  after 24 hours);
- the model and every baseline's calibration are fitted on those rows only
  (:func:`train_mask` is the one place that decides, and a test checks it);
- the rows made at ``t`` (entities) or in ``[t, t + step)`` (videos) are predicted, and their
  labels are looked at only by the metrics, once all origins are done.

No row is ever predicted by a fit that saw its label; nothing is shuffled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trendmon.forecast.dataset import VideoSet
from trendmon.forecast.labels import HORIZON_H
from trendmon.forecast.models import Logistic, Offset, Ridge
from trendmon.forecast.observations import HOUR_MS

MIN_TRAIN_ORIGINS = 6
"""Entity origins with labels needed before the first prediction."""
MIN_TRAIN_VIDEOS = 30
VIDEO_STEP_H = 6
REFIT_H = 6
"""Entity models are refitted every this many hourly origins (each fit on rows known then)."""
ENTITY_METHODS = ("model", "persistence", "velocity")
VIDEO_METHODS = ("model", "loglinear", "velocity")

Vector = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


def train_mask(made: npt.NDArray[np.int64], known: npt.NDArray[np.int64], origin: int) -> Mask:
    """Rows a fit at ``origin`` may use: their label was known at the origin."""
    return np.asarray((known <= origin) & (made < origin), dtype=bool)


@dataclass(frozen=True, slots=True)
class EntityPredictions:
    """Out-of-sample probabilities per method, aligned with the rows that were predicted."""

    rows: npt.NDArray[np.int64]
    """Indices into the entity set's rows."""
    p: dict[str, Vector]


def backtest_entities(
    data: dict[str, npt.NDArray[np.generic]], l2: float = 1.0, refit_h: int = REFIT_H
) -> EntityPredictions:
    """Predict every origin's rows from a fit on the rows known before it (refitted every
    ``refit_h`` origins; a fit at ``r`` serves origins ``r .. r + refit_h - 1``, never earlier)."""
    origin = np.asarray(data["origin"], dtype=np.int64)
    known = origin + HORIZON_H
    x = np.asarray(data["x"], dtype=np.float64)
    y = np.asarray(data["y"], dtype=bool)
    now = np.asarray(data["now_top"], dtype=bool)
    pers = np.asarray(data["persistence"], dtype=np.float64)
    vel = np.asarray(data["velocity"], dtype=np.float64)
    rows: list[npt.NDArray[np.int64]] = []
    out: dict[str, list[Vector]] = {m: [] for m in ENTITY_METHODS}
    fitted: EntityFit | None = None
    fitted_at = 0
    for t in (int(v) for v in np.unique(origin)):
        if fitted is None or t - fitted_at >= refit_h:
            train = train_mask(origin, known, t)
            if len(np.unique(origin[train])) < MIN_TRAIN_ORIGINS or not _both(y[train & ~now]):
                continue
            fitted = fit_entities(x[train], y[train], now[train], pers[train], vel[train], l2)
            fitted_at = t
        test = np.nonzero(origin == t)[0]
        rows.append(test)
        for m, p in predict_entities(fitted, x[test], now[test], pers[test], vel[test]).items():
            out[m].append(p)
    index = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    return EntityPredictions(
        index, {m: np.concatenate(v) if v else np.zeros(0) for m, v in out.items()}
    )


def _both(y: Mask) -> bool:
    return bool(y.any() and not y.all())


@dataclass(frozen=True, slots=True)
class EntityFit:
    """One logistic regression per segment: entities outside the top 20 now (next up), and
    those in it (incumbents), for the model and for each baseline's calibration."""

    next_up: dict[str, Logistic]
    incumbent: dict[str, Logistic]


def _segment(x: Vector, y: Mask, pers: Vector, vel: Vector, l2: float) -> dict[str, Logistic]:
    if not _both(y):
        rate = float(y.mean()) if len(y) else 0.0
        bias = float(np.log(max(rate, 1e-4) / max(1 - rate, 1e-4)))
        flat = Logistic((0.0,), bias, (0.0,), (1.0,))
        width = x.shape[1]
        model = Logistic((0.0,) * width, bias, (0.0,) * width, (1.0,) * width)
        return {"model": model, "persistence": flat, "velocity": flat}
    return {
        "model": Logistic.fit(x, y, l2),
        "persistence": Logistic.fit(pers[:, None], y, l2),
        "velocity": Logistic.fit(vel[:, None], y, l2),
    }


def fit_entities(
    x: Vector, y: Mask, now: Mask, pers: Vector, vel: Vector, l2: float = 1.0
) -> EntityFit:
    """The model on the features; each baseline's score calibrated the same way."""
    return EntityFit(
        _segment(x[~now], y[~now], pers[~now], vel[~now], l2),
        _segment(x[now], y[now], pers[now], vel[now], l2),
    )


def predict_entities(
    fit: EntityFit, x: Vector, now: Mask, pers: Vector, vel: Vector
) -> dict[str, Vector]:
    """Probabilities per method, each row from its segment's fit."""
    out = {m: np.zeros(len(x)) for m in ENTITY_METHODS}
    for seg, mask in ((fit.next_up, ~now), (fit.incumbent, now)):
        if mask.any():
            out["model"][mask] = seg["model"].predict(x[mask])
            out["persistence"][mask] = seg["persistence"].predict(pers[mask][:, None])
            out["velocity"][mask] = seg["velocity"].predict(vel[mask][:, None])
    return out


@dataclass(frozen=True, slots=True)
class VideoPredictions:
    """Out-of-sample log1p(plays at 24 h) and 80% intervals per method, for one age."""

    rows: npt.NDArray[np.int64]
    pred: dict[str, Vector]
    low: dict[str, Vector]
    high: dict[str, Vector]


@dataclass(frozen=True, slots=True)
class VideoFit:
    model: Ridge
    loglinear: Offset
    velocity: tuple[float, float]
    """The velocity extrapolation's residual 10th and 90th percentiles (its interval)."""


def fit_videos(
    x: Vector, log_plays: Vector, velocity: Vector, y: Vector, l2: float = 1.0
) -> VideoFit:
    """The model, the log-linear rule and the velocity extrapolation's interval."""
    low, high = np.quantile(y - velocity, [0.1, 0.9])
    return VideoFit(Ridge.fit(x, y, l2), Offset.fit(log_plays, y), (float(low), float(high)))


def predict_videos(
    fit: VideoFit, x: Vector, log_plays: Vector, velocity: Vector
) -> dict[str, tuple[Vector, Vector, Vector]]:
    """(prediction, low, high) per method."""
    m = fit.model.predict(x)
    ll = fit.loglinear.predict(log_plays)
    return {
        "model": (m, m + fit.model.low, m + fit.model.high),
        "loglinear": (ll, ll + fit.loglinear.low, ll + fit.loglinear.high),
        "velocity": (velocity, velocity + fit.velocity[0], velocity + fit.velocity[1]),
    }


def backtest_videos(data: VideoSet, l2: float = 1.0) -> VideoPredictions:
    """Predict each step's videos from a fit on the videos whose 24 hours were known before."""
    rows: list[npt.NDArray[np.int64]] = []
    pred: dict[str, list[Vector]] = {m: [] for m in VIDEO_METHODS}
    low: dict[str, list[Vector]] = {m: [] for m in VIDEO_METHODS}
    high: dict[str, list[Vector]] = {m: [] for m in VIDEO_METHODS}
    if len(data.y):
        step = VIDEO_STEP_H * HOUR_MS
        start = int(data.made_ms.min()) // step * step
        for t in range(start, int(data.made_ms.max()) + step, step):
            train = train_mask(data.made_ms, data.known_ms, t)
            test = np.nonzero((data.made_ms >= t) & (data.made_ms < t + step))[0]
            if train.sum() < MIN_TRAIN_VIDEOS or not len(test):
                continue
            fit = fit_videos(
                data.x[train], data.log_plays[train], data.velocity[train], data.y[train], l2
            )
            rows.append(test)
            for m, (p, lo, hi) in predict_videos(
                fit, data.x[test], data.log_plays[test], data.velocity[test]
            ).items():
                pred[m].append(p)
                low[m].append(lo)
                high[m].append(hi)

    def cat(d: dict[str, list[Vector]]) -> dict[str, Vector]:
        return {m: np.concatenate(v) if v else np.zeros(0) for m, v in d.items()}

    index = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    return VideoPredictions(index, cat(pred), cat(low), cat(high))
