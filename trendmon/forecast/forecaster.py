"""A trained forecaster (what a model file holds), and the hourly scoring both runtimes run.

:func:`train` backtests a history (:mod:`.report`) to decide what the product shows (the model
only when it beat the best baseline) and to keep the reliability table shown beside each
prediction, then fits on every row whose label is known. :class:`Forecaster` scores an origin;
:class:`HourlyForecasts` is the plain class a runtime feeds snapshots to: at each whole hour of
event time it returns that origin's forecasts. Without a model, or with a stale one, it fits the
baselines on what it has seen itself and shows the best one, saying so in :attr:`notice`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import Any, Final

import msgspec
import numpy as np
import numpy.typing as npt

from trendmon.errors import ModelFileError
from trendmon.events import VideoSnapshot
from trendmon.forecast.backtest import (
    EntityFit,
    VideoFit,
    fit_entities,
    fit_videos,
    predict_entities,
    predict_videos,
    train_mask,
)
from trendmon.forecast.dataset import entity_set, video_sets
from trendmon.forecast.features import ENTITY_FEATURES, carry_overs, entity_rows, video_rows
from trendmon.forecast.labels import HORIZON_H, VIDEO_AGES_H
from trendmon.forecast.metrics import Bin
from trendmon.forecast.models import Logistic, Offset, Ridge
from trendmon.forecast.observations import HOUR_MS, KINDS, Observations, Read
from trendmon.forecast.report import backtest_history, summarize

FORMAT: Final = "trendmon-forecast/2"
"""/2: the entity features ``outlook`` and ``outlook_1h`` (a /1 file has 5 weights: refused,
and the runtime falls back to the best baseline until it is trained again)."""
FALLBACK_ENTITY: Final = "velocity"
FALLBACK_VIDEO: Final = "loglinear"
_VIDEO_ORDER: Final = attrgetter("made_ms", "video_id", "age_h")


def _tenths(v: npt.NDArray[np.float64]) -> list[float]:
    """``round(x, 1)`` of each (Python's, correctly rounded: numpy's may differ)."""
    return list(map(round, v.tolist(), repeat(1, len(v))))


REFIT_FALLBACK_H: Final = 6
FALLBACK_ORIGINS_H: Final = 48
"""The fallback fits its baselines on the last two days of origins it has seen."""


class EntityForecast(msgspec.Struct, frozen=True, gc=False):
    """One entity's forecast. The forecasts are Structs rather than dataclasses: an hour makes
    tens of thousands, and a frozen dataclass sets each field through ``object.__setattr__``
    (4 µs a forecast against 0.1); none holds a container, so the garbage collector need not
    track them."""

    kind: str
    key: str
    market: str
    made_ms: int
    horizon_h: int
    p_top20: float
    in_top20_now: bool
    method: str
    hit_rate: float | None
    """Of the backtest's forecasts in this one's tenth of probability, the share that made it."""


class VideoForecast(msgspec.Struct, frozen=True, gc=False):
    """One video's forecast (a Struct, as :class:`EntityForecast`)."""

    video_id: str
    market: str
    made_ms: int
    age_h: int
    plays_24h: float
    plays_24h_low: float
    plays_24h_high: float
    method: str


@dataclass(frozen=True, slots=True)
class Forecaster:
    """Fitted coefficients, what is shown, and the backtest's figures behind it."""

    trained_until_ms: int
    entity: EntityFit
    videos: dict[int, VideoFit]
    shown: str
    videos_shown: dict[int, str]
    reliability: list[Bin] = field(default_factory=list)
    backtest: dict[str, Any] = field(default_factory=dict)

    def hit_rate(self, p: float) -> float | None:
        """The backtested hit rate of forecasts in ``p``'s tenth, if the backtest had any."""
        for b in self.reliability:
            if b.low <= p < b.high or (p >= 1.0 and b.high >= 1.0):
                return b.hit_rate
        return None

    def entity_forecasts(self, obs: Observations, origin: int) -> list[EntityForecast]:
        """Every candidate hashtag and sound in every scope, at ``origin`` (an hour)."""
        out: list[EntityForecast] = []
        rates: dict[float, float | None] = {}  # hit rate by probability (4 decimals: few)
        carry = carry_overs(obs, origin)
        for kind in KINDS:
            for scope in obs.scopes():
                rows = entity_rows(obs, kind, scope, origin, carry)
                n = len(rows.keys)
                if not n:
                    continue
                p = predict_entities(
                    self.entity, rows.x, rows.now_top, rows.persistence, rows.velocity
                )[self.shown]
                probs = list(map(round, p.tolist(), repeat(4, n)))
                for prob in set(probs).difference(rates):
                    rates[prob] = self.hit_rate(prob)
                out += map(
                    EntityForecast,
                    repeat(kind, n),
                    rows.keys,
                    repeat(scope, n),
                    repeat(origin * HOUR_MS, n),
                    repeat(HORIZON_H, n),
                    probs,
                    rows.now_top.tolist(),
                    repeat(self.shown, n),
                    map(rates.__getitem__, probs),
                )
        return out

    def video_forecasts(self, obs: Observations, origin: int) -> list[VideoForecast]:
        """Videos that reached 1, 3 or 6 hours of age in the hour before ``origin``."""
        out: list[VideoForecast] = []
        for age in VIDEO_AGES_H:
            if age not in self.videos:
                continue
            # made = posted + age within [origin - 1, origin): posted in hour origin - 1 - age
            rows = video_rows(obs.known_at(origin - 1 - age, age), age)
            if not rows.video_ids:
                continue
            method = self.videos_shown.get(age, FALLBACK_VIDEO)
            pred, low, high = predict_videos(
                self.videos[age], rows.x, rows.log_plays, rows.velocity
            )[method]
            out += map(
                VideoForecast,
                rows.video_ids,
                rows.markets,
                rows.made_ms.tolist(),
                repeat(age),
                _tenths(np.expm1(pred)),
                _tenths(np.expm1(low)),
                _tenths(np.expm1(high)),
                repeat(method),
            )
        out.sort(key=_VIDEO_ORDER)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The model file's content (JSON-compatible)."""

        def segment(s: dict[str, Logistic]) -> dict[str, Any]:
            return {m: lr.to_dict() for m, lr in s.items()}

        return {
            "format": FORMAT,
            "trained_until_ms": self.trained_until_ms,
            "shown": self.shown,
            "videos_shown": {str(a): m for a, m in self.videos_shown.items()},
            "entity": {
                "next_up": segment(self.entity.next_up),
                "incumbent": segment(self.entity.incumbent),
            },
            "videos": {
                str(a): {
                    "model": f.model.to_dict(),
                    "loglinear": f.loglinear.to_dict(),
                    "velocity": list(f.velocity),
                }
                for a, f in self.videos.items()
            },
            "reliability": [
                {
                    "low": b.low,
                    "high": b.high,
                    "count": b.count,
                    "mean_p": b.mean_p,
                    "hit_rate": b.hit_rate,
                }
                for b in self.reliability
            ],
            "backtest": self.backtest,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Forecaster:
        """Read a model file's content; :class:`ModelFileError` names what is wrong."""
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            found = d.get("format") if isinstance(d, dict) else type(d).__name__
            older = isinstance(found, str) and found.startswith("trendmon-forecast/")
            raise ModelFileError(
                f"not a {FORMAT} model file (format {found!r}"
                + (", made for other entity features" if older else "")
                + "): write one with `trendmon forecast train`"
            )
        try:
            ent = d["entity"]
            entity = EntityFit(
                {m: Logistic.from_dict(v) for m, v in ent["next_up"].items()},
                {m: Logistic.from_dict(v) for m, v in ent["incumbent"].items()},
            )
            videos = {
                int(a): VideoFit(
                    Ridge.from_dict(v["model"]),
                    Offset.from_dict(v["loglinear"]),
                    (float(v["velocity"][0]), float(v["velocity"][1])),
                )
                for a, v in d["videos"].items()
            }
            for seg in (entity.next_up, entity.incumbent):
                if len(seg["model"].weights) != len(ENTITY_FEATURES):
                    raise ValueError(f"{len(seg['model'].weights)} entity weights")
            return cls(
                int(d["trained_until_ms"]),
                entity,
                videos,
                str(d["shown"]),
                {int(a): str(m) for a, m in d["videos_shown"].items()},
                [Bin(**b) for b in d.get("reliability", [])],
                dict(d.get("backtest", {})),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ModelFileError(
                f"broken model file ({type(exc).__name__}: {exc}): train it again with "
                "`trendmon forecast train`"
            ) from None


def _fit_all(
    obs: Observations, until: int, origins: range | None = None
) -> tuple[EntityFit, dict[int, VideoFit]]:
    """Fits on every row whose label was known at hour ``until``."""
    data = entity_set(obs, origins).arrays()
    origin = np.asarray(data["origin"], dtype=np.int64)
    mask = train_mask(origin, origin + HORIZON_H, until)
    if not mask.any():
        raise ModelFileError("no entity forecast with a known label: the history is too short")
    x = np.asarray(data["x"], dtype=np.float64)[mask]
    entity = fit_entities(
        x,
        np.asarray(data["y"], dtype=bool)[mask],
        np.asarray(data["now_top"], dtype=bool)[mask],
        np.asarray(data["persistence"], dtype=np.float64)[mask],
        np.asarray(data["velocity"], dtype=np.float64)[mask],
    )
    videos = {}
    for age, vs in video_sets(obs).items():
        m = train_mask(vs.made_ms, vs.known_ms, until * HOUR_MS)
        if m.sum() >= 2:
            videos[age] = fit_videos(vs.x[m], vs.log_plays[m], vs.velocity[m], vs.y[m])
    return entity, videos


def _num(v: float) -> float | None:
    """A figure for the model file: None where nothing could be scored (JSON has no NaN)."""
    return None if v != v else round(v, 6)


def train(obs: Observations) -> Forecaster:
    """Backtest ``obs`` to choose what is shown, then fit on all of it."""
    first, last = obs.hours
    if last - first < 24 + 2 * HORIZON_H:
        raise ModelFileError(
            f"{last - first} hours of history: the forecasts need at least "
            f"{24 + 2 * HORIZON_H} (a day of features and two horizons of labels)"
        )
    summary = summarize([backtest_history("history", obs)], draws=0)
    # Without a backtest to show that it beats them, the model is not shown.
    shown = summary.shown if summary.rows else FALLBACK_ENTITY
    videos_shown = {}
    for age, scores in summary.videos.items():
        if all(v.rows for v in scores.values()):
            videos_shown[age] = min(scores, key=lambda m: scores[m].mae)
    entity, videos = _fit_all(obs, last)
    s = summary.entities
    return Forecaster(
        last * HOUR_MS,
        entity,
        videos,
        shown,
        videos_shown,
        s[shown].table if summary.rows else [],
        {
            "pr_auc": {m: _num(s[m].pr_auc) for m in s},
            "brier_skill": {m: _num(s[m].skill) for m in s},
            "calibration_error": {m: _num(s[m].calibration) for m in s},
            "video_mae": {
                str(a): {m: _num(v.mae) for m, v in sc.items()} for a, sc in summary.videos.items()
            },
        },
    )


class HourlyForecasts:
    """Feed snapshots in arrival order; get each whole hour's forecasts as event time passes.

    ``forecaster`` is a loaded model (None: none found). A model trained more than
    ``stale_after_h`` hours of event time before an origin is not used there.
    """

    def __init__(
        self, forecaster: Forecaster | None, stale_after_h: float = 168, notice: str = ""
    ) -> None:
        self.obs = Observations()
        self.forecaster = forecaster
        self.stale_after_ms = stale_after_h * HOUR_MS
        self.notice = notice
        self._scored = 0
        self._fallback: Forecaster | None = None
        self._fallback_at = 0

    def fresh(self) -> HourlyForecasts:
        """The same model, staleness and notice, with nothing booked yet."""
        return HourlyForecasts(self.forecaster, self.stale_after_ms / HOUR_MS, self.notice)

    def add(
        self, snapshots: Iterable[VideoSnapshot], read: Read | None = None
    ) -> tuple[list[EntityForecast], list[VideoForecast]]:
        """Book the snapshots (``read``: what the engine read of them, when it gives it);
        forecasts of every hour that closed (event time) on the way.

        As one by one: an hour is scored when the first snapshot of a later hour arrives, from
        the snapshots before it; the ones between two such arrivals are booked together."""
        entities: list[EntityForecast] = []
        videos: list[VideoForecast] = []
        batch = snapshots if isinstance(snapshots, list) else list(snapshots)
        if not batch:
            return entities, videos
        cols = self.obs.columns(batch, None, read)
        hours = cols.ms // HOUR_MS
        reach = np.maximum.accumulate(np.maximum(hours, self._scored))
        turns = np.flatnonzero(reach > np.r_[self._scored, reach[:-1]]).tolist()
        done = 0
        for i in turns:
            self.obs.add_batch(cols.part(done, i))
            done = i
            hour = int(reach[i])
            if self._scored:
                for origin in range(self._scored + 1, hour + 1):
                    e, v = self.score(origin)
                    entities += e
                    videos += v
            self._scored = hour
        self.obs.add_batch(cols.part(done, len(cols)))
        return entities, videos

    def _current(self, origin: int) -> Forecaster | None:
        f = self.forecaster
        if f is not None and origin * HOUR_MS - f.trained_until_ms <= self.stale_after_ms:
            return f
        if f is not None:
            self.notice = "the forecast model is stale: showing the best baseline"
        if self._fallback is None or origin - self._fallback_at >= REFIT_FALLBACK_H:
            first, _ = self.obs.hours
            start = max(first + 24, origin - FALLBACK_ORIGINS_H)
            if origin - HORIZON_H - start < 2:
                return None
            try:
                entity, videos = _fit_all(self.obs, origin, range(start, origin - HORIZON_H + 1))
            except ModelFileError:
                return None
            self._fallback = Forecaster(
                origin * HOUR_MS,
                entity,
                videos,
                FALLBACK_ENTITY,
                dict.fromkeys(videos, FALLBACK_VIDEO),
            )
            self._fallback_at = origin
        return self._fallback

    def score(self, origin: int) -> tuple[list[EntityForecast], list[VideoForecast]]:
        """Forecasts made at ``origin`` (a whole hour) from what was seen before it."""
        f = self._current(origin)
        self.obs.forget_before(origin - FALLBACK_ORIGINS_H - 24 - 1)
        if f is None:
            return [], []
        return f.entity_forecasts(self.obs, origin), f.video_forecasts(self.obs, origin)
