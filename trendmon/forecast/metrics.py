"""Scores of forecasts against what happened, and bootstrap intervals over days.

- **PR-AUC** is average precision: the mean, over the positives, of the precision among the
  rows scored at least as high (ties count together, as scikit-learn's
  ``average_precision_score`` does).
- **precision at k**: within each group (one origin, kind and scope), the share of positives
  among the ``k`` highest scores, averaged over groups that have ``k`` rows.
- **Brier score** ``mean((p - y)^2)``; its **skill** ``1 - Brier / Brier(base rate)``, where the
  base rate forecast says the share of positives to every row.
- **Calibration error**: rows binned by ``p`` in tenths; the mean over rows of ``|mean p -
  share of positives|`` of their bin (expected calibration error). The table is what the
  product shows beside each prediction ("of those given 60-70%, 64% made it").
- Videos: **MAE** of log1p(plays), **Spearman** rank correlation (ties averaged), and the share
  of labels inside the 80% interval.
- **Bootstrap**: blocks (days) drawn with replacement, a fixed seed, the 5th and 95th
  percentiles of the statistic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float64]
BINS = 10


def pr_auc(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Average precision; NaN without positives.

    >>> pr_auc([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])
    0.8333333333333333
    """
    t = np.asarray(y, dtype=np.float64)
    s = np.asarray(score, dtype=np.float64)
    positives = t.sum()
    if positives == 0:
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    s, t = s[order], t[order]
    # the last row of each run of equal scores: ties are counted together
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tp = np.cumsum(t)[last]
    precision = tp / (last + 1)
    recall_gain = np.diff(np.r_[0.0, tp]) / positives
    return float(np.sum(precision * recall_gain))


def precision_at(groups: Sequence[tuple[npt.ArrayLike, npt.ArrayLike]], k: int = 10) -> float:
    """Mean share of positives among the ``k`` top-scored rows of each group with ``k`` rows."""
    shares = []
    for y, score in groups:
        t = np.asarray(y, dtype=np.float64)
        if len(t) < k:
            continue
        order = np.argsort(-np.asarray(score, dtype=np.float64), kind="mergesort")[:k]
        shares.append(t[order].mean())
    return float(np.mean(shares)) if shares else float("nan")


def brier(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean squared error of probabilities.

    >>> brier([1, 0], [0.8, 0.4])
    0.1
    """
    t = np.asarray(y, dtype=np.float64)
    if not len(t):
        return float("nan")
    return float(np.mean((np.asarray(p, dtype=np.float64) - t) ** 2))


def brier_skill(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """``1 - Brier / Brier(base rate)``; 0 is no better than the base rate."""
    t = np.asarray(y, dtype=np.float64)
    if not len(t):
        return float("nan")
    rate = t.mean()
    ref = float(np.mean((rate - t) ** 2))
    return float("nan") if ref == 0 else 1 - brier(t, p) / ref


@dataclass(frozen=True, slots=True)
class Bin:
    low: float
    high: float
    count: int
    mean_p: float
    hit_rate: float


def reliability(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = BINS) -> list[Bin]:
    """The reliability table: rows binned by probability in ``1 / bins`` steps."""
    t = np.asarray(y, dtype=np.float64)
    q = np.asarray(p, dtype=np.float64)
    index = np.minimum((q * bins).astype(int), bins - 1)
    table = []
    for b in range(bins):
        mask = index == b
        n = int(mask.sum())
        if n:
            mean_p, hits = float(q[mask].mean()), float(t[mask].mean())
            table.append(Bin(b / bins, (b + 1) / bins, n, mean_p, hits))
    return table


def calibration_error(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = BINS) -> float:
    """Expected calibration error over the reliability table.

    >>> calibration_error([1, 0, 0, 0], [0.25, 0.25, 0.25, 0.25])
    0.0
    """
    table = reliability(y, p, bins)
    total = sum(b.count for b in table)
    return sum(b.count * abs(b.mean_p - b.hit_rate) for b in table) / total if total else 0.0


def mae(y: npt.ArrayLike, pred: npt.ArrayLike) -> float:
    if not len(np.asarray(y)):
        return float("nan")
    return float(np.mean(np.abs(np.asarray(y, dtype=np.float64) - np.asarray(pred))))


def _ranks(v: Vector) -> Vector:
    order = np.argsort(v, kind="mergesort")
    ranks = np.empty(len(v))
    sorted_v = v[order]
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2
        i = j + 1
    return ranks


def spearman(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Rank correlation, ties averaged.

    >>> spearman([1, 2, 3, 4], [10, 20, 30, 25])
    0.8
    """
    x = _ranks(np.asarray(a, dtype=np.float64))
    y = _ranks(np.asarray(b, dtype=np.float64))
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def coverage(y: npt.ArrayLike, low: npt.ArrayLike, high: npt.ArrayLike) -> float:
    """Share of labels within their interval."""
    t = np.asarray(y, dtype=np.float64)
    if not len(t):
        return float("nan")
    return float(np.mean((t >= np.asarray(low)) & (t <= np.asarray(high))))


def bootstrap(
    blocks: npt.ArrayLike,
    statistic: Callable[[npt.NDArray[np.intp]], float],
    draws: int = 200,
    seed: int = 0,
) -> tuple[float, float]:
    """5th and 95th percentiles of ``statistic(mask)`` over resamples of the blocks.

    ``statistic`` receives the drawn rows as an index array (a row drawn twice is in it twice);
    rows are drawn a whole block (a day) at a time.
    """
    b = np.asarray(blocks)
    if not len(b):
        return float("nan"), float("nan")
    names, inverse = np.unique(b, return_inverse=True)
    rng = np.random.default_rng(seed)
    rows_of = [np.nonzero(inverse == i)[0] for i in range(len(names))]
    values = []
    for _ in range(draws):
        pick = rng.integers(0, len(names), len(names))
        index = np.concatenate([rows_of[i] for i in pick])
        v = statistic(index)
        if not np.isnan(v):
            values.append(v)
    if not values:
        return float("nan"), float("nan")
    low, high = np.quantile(values, [0.05, 0.95])
    return float(low), float(high)
