"""The outlook feature on tiny hand-made streams with known answers."""

from __future__ import annotations

import math

import pytest

from tests.forecast.conftest import H0, snap
from trendmon.events import VideoSnapshot
from trendmon.forecast.features import ENTITY_FEATURES, carry_over, carry_overs, entity_rows
from trendmon.forecast.observations import Observations

FADING = 1 - 2**-6
"""Of a gain halving every hour, the next 6 hours hold 1/2 + 1/4 + ... + 1/64 of an hour's."""


def halving(hours: int = 40) -> list[VideoSnapshot]:
    """A video (#x) posted at T0 seen at each half past the hour: 2**42 plays in its first hour
    (all new), then half its previous hour's gain every hour."""
    plays, out = 0, []
    for h in range(hours):
        plays += 2 ** (42 - h)
        out.append(snap("h", h + 0.5, plays, "x"))
    return out


def test_carry_over_follows_each_cohort_over_the_horizon() -> None:
    obs = Observations()
    obs.add_batch(halving())
    # origin +14: the cohorts of hours 0..7 (ages 0..7) had their next 6 hours before it
    assert carry_over(obs, H0 + 14).tolist() == [FADING] * 4 + [6.0]
    # from the hour after next: 1/4 + ... + 1/128 (hours 0..6)
    assert carry_over(obs, H0 + 14, lag=2).tolist() == [FADING / 2] * 4 + [6.0]
    # origin +40: hours 10..33, all aged 8 or more; the younger classes were not seen that
    # day: they carry their hour over the horizon (the velocity extrapolation)
    assert carry_over(obs, H0 + 40).tolist() == [6.0] * 4 + [FADING]
    assert carry_over(Observations(), H0).tolist() == [6.0] * 5


def test_outlook_weighs_each_gain_by_how_its_age_carries_over() -> None:
    obs = Observations()
    obs.add_batch(
        [
            *halving(hours=14),
            # an old video (posted at T0) gains 100 in hour 13 under #stale
            snap("old", 12.5, 5000, "stale"),
            snap("old", 13.5, 5100, "stale"),
            # a new one (posted at 13.25) gains 100 in hour 13 under #fresh (its first plays)
            snap("new", 13.5, 100, "fresh", posted=13.25),
        ]
    )
    rows = entity_rows(obs, "hashtag", "US", H0 + 14)
    x = dict(zip(rows.keys, rows.x.tolist(), strict=True))
    outlook = {k: r[ENTITY_FEATURES.index("outlook")] for k, r in x.items()}
    last = {k: r[ENTITY_FEATURES.index("outlook_1h")] for k, r in x.items()}
    # fewer than 20 candidates: the bar is 0, the outlook is log1p of the projection, the mean
    # of the last hour's and the hour before's (nothing here for both) projections
    assert outlook["hashtag:fresh"] == pytest.approx(math.log1p(100 * FADING / 2))
    # aged 13: no video that old the day before, so it carries its hour over the horizon
    assert outlook["hashtag:stale"] == pytest.approx(math.log1p(100 * 6.0 / 2))
    # 2**29 in hour 13 and 2**30 in hour 12, both aged 8 or more
    assert outlook["hashtag:x"] == pytest.approx(math.log1p((2**29 + 2**30) * 6.0 / 2))
    # the last hour alone
    assert last["hashtag:fresh"] == pytest.approx(math.log1p(100 * FADING))
    assert last["hashtag:stale"] == pytest.approx(math.log1p(100 * 6.0))
    assert last["hashtag:x"] == pytest.approx(math.log1p(2**29 * 6.0))


def test_rows_use_the_carry_overs_given_for_their_origin() -> None:
    obs = Observations()
    obs.add_batch(halving(hours=14))
    carry = carry_overs(obs, H0 + 14)
    assert [c.tolist() for c in carry] == [[FADING] * 4 + [6.0], [FADING / 2] * 4 + [6.0]]
    given = entity_rows(obs, "hashtag", "US", H0 + 14, carry)
    assert given.x.tolist() == entity_rows(obs, "hashtag", "US", H0 + 14).x.tolist()
    # the outlooks are read from what is given: all-zero carry-overs project nothing
    zero = entity_rows(obs, "hashtag", "US", H0 + 14, (carry[0] * 0, carry[1] * 0))
    assert zero.x[:, ENTITY_FEATURES.index("outlook_1h")].tolist() == [0.0]


def test_video_rows_are_video_row_of_each_exactly() -> None:
    # The hourly scoring reads columns (video_rows); training and the backtest read tracks
    # (video_row): both must give the very same floats, or the forecasts would move.
    from tests.forecast.test_booking import stream
    from trendmon.forecast.features import video_row, video_rows
    from trendmon.forecast.observations import HOUR_MS
    from trendmon.producers.simulator.observe import Simulation
    from trendmon.settings import SimulatorSettings

    sim = Simulation(SimulatorSettings(videos=300, creators=60, hours=8, interval_s=600))
    for snaps in (list(sim.snapshots()), stream(2, 3000)):
        obs = Observations()
        obs.add_batch(snaps)
        first, last = obs.hours
        compared = 0
        for hour in range(first - 40, last + 1):
            for age in (1, 3, 6):
                rows = video_rows(obs.known_at(hour, age), age)
                want = [r for t in obs.posted_in(hour, age) if (r := video_row(t, age))]
                assert rows.video_ids == [r.video_id for r in want]
                assert rows.markets == [r.market for r in want]
                assert rows.made_ms.tolist() == [r.made_ms for r in want]
                assert rows.x.tolist() == [list(r.features) for r in want]
                assert rows.log_plays.tolist() == [r.log_plays for r in want]
                assert rows.velocity.tolist() == [r.velocity for r in want]
                assert all((r.made_ms // HOUR_MS) - age == hour for r in want)
                compared += len(want)
        assert compared > 50
