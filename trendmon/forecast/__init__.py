"""Forecasts of what trends next, each beside an honest backtest (docs/forecasts.md).

Pure, like the engine: snapshots in, forecasts and scores out, event time only, no I/O.

- :mod:`.observations`: the table both forecasts read (hourly play gains of hashtags and
  sounds per market, early sightings of videos);
- :mod:`.labels`: the targets (top 20 by gain over the next 6 hours; plays at 24 hours);
- :mod:`.features`: what was known at forecast time, and the baselines' scores;
- :mod:`.models`: logistic and ridge regressions, the log-linear rule;
- :mod:`.dataset`, :mod:`.backtest`: rows over a history, the rolling-origin backtest;
- :mod:`.metrics`, :mod:`.report`: PR-AUC, Brier, calibration, MAE, bootstrap; the report;
- :mod:`.forecaster`: a trained forecaster (a model file's content) scoring an origin.
"""
