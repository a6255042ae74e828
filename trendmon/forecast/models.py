"""The models: an L2-regularised logistic regression and a ridge regression with an interval.

Both are linear in a handful of log features, so each prediction moves one way with each
feature (no interaction the training worlds happened to reward), fit in milliseconds with
numpy (Newton steps; a closed form), and are stored as a few numbers (:meth:`to_dict`). The
same logistic regression on a single score calibrates the baselines into probabilities, so a
model and its baselines are compared on the same footing.

Fitting is deterministic: no randomness at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trendmon.errors import ForecastError

Matrix = npt.NDArray[np.float64]


def _standardize(x: Matrix) -> tuple[Matrix, Matrix]:
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std < 1e-9] = 1.0
    return mean, std


@dataclass(frozen=True, slots=True)
class Logistic:
    """``p = 1 / (1 + exp(-(b + w . (x - mean) / std)))``."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def fit(cls, x: Matrix, y: npt.NDArray[np.bool_], l2: float = 1.0) -> Logistic:
        """Maximum penalised likelihood (penalty ``l2 * |w|^2 / 2``, bias unpenalised).

        >>> import numpy as np
        >>> m = Logistic.fit(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1]))
        >>> m.weights[0] > 0
        True
        """
        if len(y) == 0:
            raise ForecastError("no training rows: the history is too short to fit a model")
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        mean, std = _standardize(x)
        z = np.hstack([np.ones((len(x), 1)), (x - mean) / std])
        t = np.asarray(y, dtype=np.float64)
        w = np.zeros(z.shape[1])
        rate = min(max(t.mean(), 1e-4), 1 - 1e-4)
        w[0] = np.log(rate / (1 - rate))
        penalty = np.full(z.shape[1], l2)
        penalty[0] = 0.0

        def loss(v: Matrix) -> float:
            m = z @ v
            return float(np.sum(np.logaddexp(0.0, m) - t * m) + 0.5 * np.sum(penalty * v * v))

        current = loss(w)
        for _ in range(100):
            p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -35, 35)))
            grad = z.T @ (p - t) + penalty * w
            hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty + 1e-6)
            step = np.linalg.solve(hess, grad)
            # Newton with step halving: every accepted step lowers the penalised loss
            size = 1.0
            while size > 1e-6:
                trial = w - size * step
                value = loss(trial)
                if value <= current:
                    break
                size /= 2
            else:
                break
            w, gain, current = trial, current - value, value
            if gain < 1e-9 * max(1.0, abs(current)):
                break
        return cls(
            tuple(float(v) for v in w[1:]),
            float(w[0]),
            tuple(float(v) for v in mean),
            tuple(float(v) for v in std),
        )

    def predict(self, x: Matrix) -> Matrix:
        """Probabilities, one per row."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        if len(x) == 0:
            return np.zeros(0)
        z = (x - np.array(self.mean)) / np.array(self.std) @ np.array(self.weights) + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -35, 35))), dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": list(self.weights),
            "bias": self.bias,
            "mean": list(self.mean),
            "std": list(self.std),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Logistic:
        return cls(tuple(d["weights"]), float(d["bias"]), tuple(d["mean"]), tuple(d["std"]))


INTERVAL = (0.1, 0.9)
"""An 80% interval: the 10th and 90th percentiles of the training residuals."""


@dataclass(frozen=True, slots=True)
class Ridge:
    """``y = b + w . (x - mean) / std``, with the training residuals' 10th and 90th percentiles
    as the interval around a prediction."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    std: tuple[float, ...]
    low: float
    high: float

    @classmethod
    def fit(cls, x: Matrix, y: Matrix, l2: float = 1.0) -> Ridge:
        """Least squares with penalty ``l2 * |w|^2`` (bias unpenalised).

        >>> import numpy as np
        >>> m = Ridge.fit(np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 3.0, 5.0]), l2=0.0)
        >>> round(float(m.predict(np.array([[3.0]]))[0]), 6)
        7.0
        """
        if len(y) < 2:
            raise ForecastError("fewer than 2 training videos: the history is too short")
        x = np.asarray(x, dtype=np.float64)
        mean, std = _standardize(x)
        z = (x - mean) / std
        b = float(np.mean(y))
        a = z.T @ z + l2 * np.eye(z.shape[1])
        w = np.linalg.solve(a, z.T @ (y - b))
        resid = y - (z @ w + b)
        low, high = np.quantile(resid, INTERVAL)
        return cls(
            tuple(float(v) for v in w),
            b,
            tuple(float(v) for v in mean),
            tuple(float(v) for v in std),
            float(low),
            float(high),
        )

    def predict(self, x: Matrix) -> Matrix:
        x = np.asarray(x, dtype=np.float64)
        if len(x) == 0:
            return np.zeros(0)
        z = (x - np.array(self.mean)) / np.array(self.std)
        return np.asarray(z @ np.array(self.weights) + self.bias, dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": list(self.weights),
            "bias": self.bias,
            "mean": list(self.mean),
            "std": list(self.std),
            "low": self.low,
            "high": self.high,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Ridge:
        return cls(
            tuple(d["weights"]),
            float(d["bias"]),
            tuple(d["mean"]),
            tuple(d["std"]),
            float(d["low"]),
            float(d["high"]),
        )


@dataclass(frozen=True, slots=True)
class Offset:
    """The log-linear rule (Szabo and Huberman): ``log1p(plays at 24 h) = log1p(plays now) +
    c``, with ``c`` the training mean and the interval from the training residuals."""

    c: float
    low: float
    high: float

    @classmethod
    def fit(cls, now: Matrix, y: Matrix) -> Offset:
        if len(y) < 2:
            raise ForecastError("fewer than 2 training videos: the history is too short")
        d = y - now
        c = float(np.mean(d))
        low, high = np.quantile(d - c, INTERVAL)
        return cls(c, float(low), float(high))

    def predict(self, now: Matrix) -> Matrix:
        return np.asarray(now + self.c, dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        return {"c": self.c, "low": self.low, "high": self.high}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Offset:
        return cls(float(d["c"]), float(d["low"]), float(d["high"]))
