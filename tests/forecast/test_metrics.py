"""Metrics against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trendmon.forecast import metrics


def test_pr_auc_by_hand_and_with_ties() -> None:
    # ranks: 1 (pos, P=1), 2 (neg), 3 (pos, P=2/3): AP = (1 + 2/3) / 2
    assert metrics.pr_auc([1, 0, 1], [0.9, 0.5, 0.1]) == pytest.approx(5 / 6)
    # all tied: precision 1/2 at the one threshold
    assert metrics.pr_auc([1, 0, 1, 0], [0.5] * 4) == pytest.approx(0.5)
    assert math.isnan(metrics.pr_auc([0, 0], [0.1, 0.2]))


def test_precision_at_k_averages_groups_with_k_rows() -> None:
    groups = [([1, 0, 0], [0.9, 0.8, 0.1]), ([0, 1, 1], [0.9, 0.8, 0.7]), ([1], [0.5])]
    assert metrics.precision_at(groups, k=2) == pytest.approx((0.5 + 0.5) / 2)


def test_brier_and_skill_against_the_base_rate() -> None:
    y = [1, 0, 0, 0]
    assert metrics.brier(y, [1, 0, 0, 0]) == 0
    assert metrics.brier_skill(y, [0.25] * 4) == pytest.approx(0.0)
    assert metrics.brier_skill(y, [1, 0, 0, 0]) == pytest.approx(1.0)


def test_calibration_error_and_table() -> None:
    y = [1, 0, 1, 1]
    p = [0.05, 0.05, 0.95, 0.95]
    # bin 0: mean p 0.05, hit 0.5 (error 0.45); bin 9: mean p 0.95, hit 1 (error 0.05)
    assert metrics.calibration_error(y, p) == pytest.approx((2 * 0.45 + 2 * 0.05) / 4)
    table = metrics.reliability(y, p)
    assert [(b.count, b.hit_rate) for b in table] == [(2, 0.5), (2, 1.0)]


def test_spearman_and_mae() -> None:
    assert metrics.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert metrics.spearman([1, 2, 2, 4], [1, 2, 3, 4]) == pytest.approx(
        np.corrcoef([0, 1.5, 1.5, 3], [0, 1, 2, 3])[0, 1]
    )
    assert metrics.mae([1, 2], [2, 4]) == 1.5


def test_bootstrap_is_seeded_and_draws_whole_blocks() -> None:
    y = np.array([1.0, 1.0, 3.0, 3.0])
    blocks = np.array(["d1", "d1", "d2", "d2"])

    def mean(i: np.ndarray) -> float:
        assert len(i) % 2 == 0  # whole days only
        return float(y[i].mean())

    low, high = metrics.bootstrap(blocks, mean, draws=100, seed=1)
    assert (low, high) == metrics.bootstrap(blocks, mean, draws=100, seed=1)
    assert 1.0 <= low <= high <= 3.0


def test_bootstrap_of_no_rows_has_no_interval() -> None:
    low, high = metrics.bootstrap(np.array([], dtype=str), lambda i: float(len(i)), draws=10)
    assert np.isnan(low) and np.isnan(high)
