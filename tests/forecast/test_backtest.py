"""The rolling origin, by construction: no fit ever sees a label after its origin."""

from __future__ import annotations

import numpy as np

from trendmon.forecast import backtest
from trendmon.forecast.labels import HORIZON_H
from trendmon.forecast.models import Logistic, Ridge


def test_train_mask_keeps_only_rows_whose_label_was_known() -> None:
    made = np.array([0, 1, 2, 3, 4], dtype=np.int64)
    known = made + HORIZON_H
    mask = backtest.train_mask(made, known, 8)
    assert mask.tolist() == [True, True, True, False, False]


def test_entity_backtest_never_trains_on_rows_known_after_the_origin(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    n_origins, per = 30, 40
    origin = np.repeat(np.arange(100, 100 + n_origins), per).astype(np.int64)
    x = rng.normal(size=(len(origin), 5))
    y = x[:, 0] + rng.normal(size=len(origin)) > 1.5
    data = {
        "x": x,
        "y": y,
        "now_top": np.zeros(len(origin), dtype=bool),
        "persistence": x[:, 0],
        "velocity": x[:, 1],
        "origin": origin,
    }
    seen: list[int] = []
    real = backtest.fit_entities

    def spy(xs, ys, now, pers, vel, l2=1.0):  # type: ignore[no-untyped-def]
        # every training row's origin, found from its features, is a horizon before the fit
        latest = max(int(origin[(x == row).all(axis=1)][0]) for row in xs)
        assert latest <= fits[-1] - HORIZON_H  # fits[-1]: the origin being fitted
        seen.append(latest)
        return real(xs, ys, now, pers, vel, l2)

    monkeypatch.setattr(backtest, "fit_entities", spy)
    fits: list[int] = []
    original_mask = backtest.train_mask

    def mask(made, known, t):  # type: ignore[no-untyped-def]
        m = original_mask(made, known, t)
        assert (known[m] <= t).all() and (made[m] <= t - HORIZON_H).all()
        fits.append(t)
        return m

    monkeypatch.setattr(backtest, "train_mask", mask)
    pred = backtest.backtest_entities(data, refit_h=1)
    predicted_origins = set(origin[pred.rows].tolist())
    # the first prediction needs MIN_TRAIN_ORIGINS origins whose horizon closed: at t, the
    # origins 100 .. t - HORIZON_H
    assert min(predicted_origins) == 100 + HORIZON_H + backtest.MIN_TRAIN_ORIGINS - 1
    assert len(seen) == n_origins - (HORIZON_H + backtest.MIN_TRAIN_ORIGINS - 1)  # refit each
    assert len(pred.p["model"]) == len(pred.rows)


def test_models_recover_simple_relations() -> None:
    x = np.linspace(-3, 3, 200)[:, None]
    y = x[:, 0] > 0
    assert Logistic.fit(x, y).predict(np.array([[2.0], [-2.0]])).round(1).tolist()[0] > 0.9
    r = Ridge.fit(x, 2 * x[:, 0] + 1, l2=0.0)
    assert abs(float(r.predict(np.array([[1.0]]))[0]) - 3.0) < 1e-9
