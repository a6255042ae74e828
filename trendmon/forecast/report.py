"""What ``trendmon forecast evaluate`` prints: every method's scores on one or many histories.

:func:`backtest_history` runs the rolling-origin backtest (:mod:`.backtest`) of both forecasts
on one history's :class:`~.observations.Observations` and keeps only what the metrics need;
:func:`summarize` pools many histories (the worlds of the grid) and scores each method with
bootstrap intervals over days (a block is one day of one history).

The entity scores are on the rows that matter: entities *not* in the top 20 now (next up).
The model is **shown** when it beats the best baseline (by PR-AUC, the baseline with the
highest PR-AUC), with a Brier score no worse; otherwise the product shows the best baseline and
says so (:attr:`Summary.shown`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trendmon.errors import ForecastError
from trendmon.forecast import metrics
from trendmon.forecast.backtest import (
    ENTITY_METHODS,
    MIN_TRAIN_ORIGINS,
    VIDEO_METHODS,
    backtest_entities,
    backtest_videos,
)
from trendmon.forecast.dataset import entity_set, video_sets
from trendmon.forecast.labels import HORIZON_H, VIDEO_AGES_H
from trendmon.forecast.observations import HOUR_MS, Observations

Vector = npt.NDArray[np.float64]
TARGET_RATIO = 1.25
TARGET_SKILL = 0.1
TARGET_CALIBRATION = 0.05
TARGET_VIDEO_RATIO = 0.8
PICKS = 10


VideoOutcome = tuple[
    Vector, dict[str, Vector], dict[str, Vector], dict[str, Vector], npt.NDArray[np.int64]
]


def _on(
    fn: Callable[[Vector, Vector], float], y: npt.NDArray[np.generic], p: Vector
) -> Callable[[npt.NDArray[np.intp]], float]:
    """A bootstrap statistic: ``fn`` on the drawn rows."""
    return lambda i: fn(np.asarray(y[i], dtype=np.float64), p[i])


@dataclass(frozen=True, slots=True)
class HistoryResult:
    """Out-of-sample predictions of one history, with what the metrics need."""

    name: str
    y: npt.NDArray[np.bool_]
    now_top: npt.NDArray[np.bool_]
    origin: npt.NDArray[np.int64]
    group: npt.NDArray[np.str_]
    entity: npt.NDArray[np.str_]
    """``key|scope``."""
    p: dict[str, Vector]
    videos: dict[int, VideoOutcome]
    """Per age: labels, predictions, lows, highs per method, and the time each was made."""


def backtest_history(name: str, obs: Observations) -> HistoryResult:
    """Both backtests on one history."""
    data = entity_set(obs).arrays()
    pred = backtest_entities(data)
    r = pred.rows
    entity = np.char.add(np.char.add(data["key"][r].astype(str), "|"), data["scope"][r].astype(str))
    videos = {}
    for age, vs in video_sets(obs).items():
        vp = backtest_videos(vs)
        videos[age] = (vs.y[vp.rows], vp.pred, vp.low, vp.high, vs.made_ms[vp.rows])
    return HistoryResult(
        name,
        np.asarray(data["y"][r], dtype=bool),
        np.asarray(data["now_top"][r], dtype=bool),
        np.asarray(data["origin"][r], dtype=np.int64),
        np.asarray(data["group"][r].astype(str)),
        entity,
        pred.p,
        videos,
    )


@dataclass(frozen=True, slots=True)
class Score:
    """One method's figures, each with its (5%, 95%) bootstrap interval where given."""

    pr_auc: float
    pr_auc_ci: tuple[float, float]
    precision_at_10: float
    brier: float
    skill: float
    skill_ci: tuple[float, float]
    calibration: float
    lead_h: float
    flagged: float
    """Share of entries into the top 20 flagged (in the method's top 10 next up) before."""
    table: list[metrics.Bin]


@dataclass(frozen=True, slots=True)
class VideoScore:
    mae: float
    mae_ci: tuple[float, float]
    spearman: float
    coverage: float
    rows: int


@dataclass(frozen=True, slots=True)
class Summary:
    histories: int
    rows: int
    positives: int
    entities: dict[str, Score]
    videos: dict[int, dict[str, VideoScore]]

    @property
    def best_baseline(self) -> str:
        """The baseline with the highest PR-AUC (velocity when none could be scored)."""
        scored = [m for m in ENTITY_METHODS if m != "model" and self.entities[m].pr_auc >= 0]
        return max(scored, key=lambda m: self.entities[m].pr_auc) if scored else "velocity"

    @property
    def ratio(self) -> float:
        base = self.entities[self.best_baseline].pr_auc
        return self.entities["model"].pr_auc / base if base > 0 else float("nan")

    @property
    def shown(self) -> str:
        """What the product shows: ``model`` or the best baseline's name."""
        best = self.entities[self.best_baseline]
        model = self.entities["model"]
        return "model" if self.ratio > 1 and model.brier <= best.brier else self.best_baseline

    def video_ratio(self, age: int) -> float:
        s = self.videos.get(age)
        if not s or s["loglinear"].mae == 0:
            return float("nan")
        return s["model"].mae / s["loglinear"].mae

    def lines(self) -> list[str]:
        """The report, last line the PR-AUC ratio."""
        out = [
            f"entities: {self.rows:,} forecasts of entities outside the top 20 now (next up) "
            f"in {self.histories} histories, {self.positives:,} entered the top 20 "
            f"within {HORIZON_H} h",
        ]
        for m in ENTITY_METHODS:
            s = self.entities[m]
            out.append(
                f"  {m:<12} PR-AUC {_f(s.pr_auc, 3)} {_ci(s.pr_auc_ci, 3)}  "
                f"precision@10 {_f(s.precision_at_10, 2)}  Brier {_f(s.brier, 5)}  "
                f"skill {_f(s.skill, 3)} {_ci(s.skill_ci, 3)}  calibration error "
                f"{_f(s.calibration, 4)}  lead {_f(s.lead_h, 1)} h ({s.flagged:.0%} flagged)"
            )
        for m in ENTITY_METHODS:
            table = ", ".join(
                f"{b.low:.0%}-{b.high:.0%}: {b.hit_rate:.1%} of {b.count:,}"
                for b in self.entities[m].table
            )
            out.append(f"  reliability {m}: {table}")
        for age in VIDEO_AGES_H:
            for m, v in self.videos.get(age, {}).items():
                out.append(
                    f"videos at {age} h, {m:<10} MAE log1p(plays 24 h) {_f(v.mae, 3)} "
                    f"{_ci(v.mae_ci, 3)}  Spearman {_f(v.spearman, 3)}  80% interval holds "
                    f"{_f(v.coverage * 100, 0)}%  ({v.rows:,} videos)"
                )
        ratios = " ".join(f"{age} h {_f(self.video_ratio(age), 2)}" for age in VIDEO_AGES_H)
        model = self.entities["model"]
        shown = self.shown
        out.append(
            f"videos: model/log-linear MAE ratio {ratios} (target <= {TARGET_VIDEO_RATIO} at "
            "every age)"
        )
        out.append(
            f"entities: Brier skill {_f(model.skill, 3)} (target > {TARGET_SKILL}), "
            f"calibration error {_f(model.calibration, 4)} (target <= {TARGET_CALIBRATION})"
        )
        out.append(
            "shown: model"
            if shown == "model"
            else f"shown: {shown} baseline (the model does not beat it)"
        )
        out.append(
            f"forecast/baseline PR-AUC ratio: {_f(self.ratio, 2)} (target >= {TARGET_RATIO})"
        )
        return out


def _f(v: float, digits: int) -> str:
    return "n/a" if v != v else f"{v:.{digits}f}"


def _ci(ci: tuple[float, float], digits: int) -> str:
    return f"[{_f(ci[0], digits)}, {_f(ci[1], digits)}]"


def _lead(r: HistoryResult, p: Vector) -> tuple[list[float], int]:
    """Hours before each entry into the top 20 that the method first had the entity in its
    top 10 next up (within the horizon before), and the number of entries."""
    picks: set[tuple[str, int]] = set()
    nu = ~r.now_top
    for g in np.unique(r.group[nu]):
        rows = np.nonzero(nu & (r.group == g))[0]
        top = rows[np.argsort(-p[rows], kind="mergesort")[:PICKS]]
        picks.update((str(r.entity[i]), int(r.origin[i])) for i in top)
    now = {(str(e), int(o)): bool(t) for e, o, t in zip(r.entity, r.origin, r.now_top, strict=True)}
    leads, entries = [], 0
    for (e, t), is_top in now.items():
        if not is_top or now.get((e, t - 1), True):
            continue
        entries += 1
        flagged = [s for s in range(t - HORIZON_H, t) if (e, s) in picks]
        if flagged:
            leads.append(float(t - min(flagged)))
    return leads, entries


def summarize(results: Sequence[HistoryResult], draws: int = 50) -> Summary:
    """Pool the histories and score every method."""
    nu = [~r.now_top for r in results]
    y = np.concatenate([r.y[m] for r, m in zip(results, nu, strict=True)])
    blocks = np.concatenate(
        [
            np.char.add(f"{i}|", (r.origin[m] // 24).astype(str))
            for i, (r, m) in enumerate(zip(results, nu, strict=True))
        ]
    )
    scores = {}
    for method in ENTITY_METHODS:
        p = np.concatenate([r.p[method][m] for r, m in zip(results, nu, strict=True)])
        groups = []
        leads: list[float] = []
        entries = 0
        for r, m in zip(results, nu, strict=True):
            g = r.group[m]
            yr, pr = r.y[m], r.p[method][m]
            order = np.argsort(g, kind="mergesort")
            _, starts = np.unique(g[order], return_index=True)
            for chunk in np.split(order, starts[1:]):
                groups.append((yr[chunk], pr[chunk]))
            found, n = _lead(r, r.p[method])
            leads.extend(found)
            entries += n
        scores[method] = Score(
            metrics.pr_auc(y, p),
            metrics.bootstrap(blocks, _on(metrics.pr_auc, y, p), draws),
            metrics.precision_at(groups, PICKS),
            metrics.brier(y, p),
            metrics.brier_skill(y, p),
            metrics.bootstrap(blocks, _on(metrics.brier_skill, y, p), draws),
            metrics.calibration_error(y, p),
            float(np.median(leads)) if leads else float("nan"),
            len(leads) / entries if entries else float("nan"),
            metrics.reliability(y, p),
        )
    videos: dict[int, dict[str, VideoScore]] = {}
    for age in VIDEO_AGES_H:
        parts = [r.videos[age] for r in results if age in r.videos and len(r.videos[age][0])]
        if not parts:
            continue
        vy = np.concatenate([p[0] for p in parts])
        vblocks = np.concatenate(
            [
                np.char.add(f"{i}|", (p[4] // (24 * HOUR_MS)).astype(str))
                for i, p in enumerate(parts)
            ]
        )
        videos[age] = {}
        for method in VIDEO_METHODS:
            pred = np.concatenate([p[1][method] for p in parts])
            low = np.concatenate([p[2][method] for p in parts])
            high = np.concatenate([p[3][method] for p in parts])
            videos[age][method] = VideoScore(
                metrics.mae(vy, pred),
                metrics.bootstrap(vblocks, _on(metrics.mae, vy, pred), draws),
                metrics.spearman(vy, pred),
                metrics.coverage(vy, low, high),
                len(vy),
            )
    return Summary(len(results), len(y), int(y.sum()), scores, videos)


def require_scored(summary: Summary, histories: Sequence[HistoryResult]) -> None:
    """Raise :class:`~trendmon.errors.ForecastError` when no entity forecast was scored (the
    histories are too short for the protocol), saying how long one must be."""
    if summary.rows:
        return
    names = ", ".join(r.name for r in histories)
    raise ForecastError(
        f"no entity forecast could be scored in {names}: an origin is predicted only "
        f"after {MIN_TRAIN_ORIGINS} earlier hourly origins with known labels (their "
        f"{HORIZON_H} hours passed, some entity entering the top 20), and scored "
        f"{HORIZON_H} hours later, so a history needs about "
        f"{MIN_TRAIN_ORIGINS + 2 * HORIZON_H} hours of snapshots taken at least hourly; "
        "import or scrape a longer one"
    )
