"""Accuracy against planted breakouts: the matching rules on hand-made output, then the targets."""

from __future__ import annotations

from typing import Any

import pytest

from trendmon.engine.accuracy import (
    Accuracy,
    Cell,
    evaluate,
    matrix_worlds,
    stage_alerts,
    summarize,
    worst,
)
from trendmon.events import Spike, Stage, TrendScore
from trendmon.producers.simulator import Simulation
from trendmon.settings import EngineSettings, SimulatorSettings

MIN = 60_000
ONSET = 1_767_600_000_000  # 2026-01-05T08:00:00Z
INTERVAL = 5 * MIN


def truth(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "seed": 1, "start": "2026-01-05T00:00:00Z",
            "end": "2026-01-06T00:00:00Z", "interval_s": 300, "markets": ["US", "GB"],
            "breakouts": list(entries)}


PLANTED = {"planted": True, "kind": "hashtag", "id": "lunadance", "name": "lunadance",
           "market": "US", "onset": "2026-01-05T08:00:00Z", "hold_s": 3600, "decay_s": 3600}
UNPLANTED = {"planted": False, "kind": "sound", "id": "77", "name": "x", "market": "",
             "onset": "2026-01-04T00:00:00Z", "peak": "2026-01-05T12:00:00Z"}


def spike(entity: str, market: str, bucket_ms: int) -> Spike:
    return Spike(spike_id=f"{entity}|{market}|{bucket_ms}", entity=entity,
                 kind=entity.partition(":")[0], name="n", market=market, bucket_ms=bucket_ms,
                 detected_ms=bucket_ms + INTERVAL, value=1.0, baseline=0.0, mad=0.0, z=9.0,
                 severity="notable", videos=5)


def score(entity: str, market: str, at_ms: int, stage: Stage, rank: int = 1) -> TrendScore:
    return TrendScore(entity=entity, kind=entity.partition(":")[0], name="n", market=market,
                      window="1h", at_ms=at_ms, score=1.0, plays=1, engagements=0,
                      velocity=1.0, growth=1.0, videos=3, creators=3, stage=stage, rank=rank,
                      prev_rank=None, is_new=False)


def test_spike_matches_entity_market_and_span() -> None:
    doc = truth(PLANTED, UNPLANTED)
    spikes = [
        spike("hashtag:lunadance", "US", ONSET - INTERVAL),  # one interval early: matches
        spike("hashtag:lunadance", "all", ONSET + 2 * INTERVAL),  # "all" matches too
        spike("hashtag:lunadance", "GB", ONSET + 3 * INTERVAL),  # wrong market
        spike("hashtag:lunadance", "US", ONSET - 3 * INTERVAL),  # before the span
        spike("hashtag:lunadance", "US", ONSET + 121 * MIN),  # after hold + decay
        spike("sound:77", "US", ONSET),  # unplanted: not counted at all
        spike("hashtag:other", "US", ONSET),
    ]
    acc = summarize(spikes, [], doc)
    assert (acc.spikes, acc.spikes_matched) == (6, 2)
    assert acc.spike_precision == pytest.approx(2 / 6)
    assert acc.spike_recall == 1.0
    # First matching detection: the bucket before the onset, detected at the onset itself.
    assert acc.spike_median_delay == 0.0
    assert acc.breakouts[0].spike_delay == 0.0


def test_missed_breakout_has_no_delay() -> None:
    acc = summarize([spike("hashtag:other", "US", ONSET)], [], truth(PLANTED))
    assert acc.spike_recall == 0.0
    assert acc.spike_precision == 0.0
    assert acc.spike_median_delay is None
    assert acc.breakouts[0].spike_delay is None
    assert "spike_median_delay_intervals: n/a" in acc.lines()


def test_nothing_to_count_is_none() -> None:
    acc = summarize([], [], truth())
    assert acc.spike_precision is None and acc.spike_recall is None
    assert acc.lines()[0] == "spike_precision: n/a"


def test_stage_alerts_are_transitions_into_hot_stages() -> None:
    e = "hashtag:x"
    scores = [
        score(e, "US", 1, "peaking"),
        score(e, "US", 2, "emerging"),  # alert
        score(e, "US", 3, "rising"),  # still hot: no alert
        score(e, "US", 4, "declining"),
        score(e, "US", 5, "rising"),  # alert again
        score(e, "US", 6, "dormant", rank=0),  # leaves the board
        score(e, "US", 7, "rising"),  # alert
        score(e, "all", 7, "rising"),  # another (entity, market): alert
    ]
    assert [(s.market, s.at_ms) for s in stage_alerts(scores)] == [
        ("US", 2), ("US", 5), ("US", 7), ("all", 7)
    ]


def test_stage_detection_and_precision() -> None:
    doc = truth(PLANTED, UNPLANTED)
    key = "hashtag:lunadance"
    scores = [
        score(key, "US", ONSET - 2 * INTERVAL, "rising"),  # alert before the span: false
        score(key, "US", ONSET - INTERVAL, "peaking"),
        score(key, "US", ONSET + 4 * INTERVAL, "rising"),  # alert in the span, delay 4
        score(key, "US", ONSET + 5 * INTERVAL, "rising"),
        score("sound:77", "US", ONSET, "emerging"),  # unplanted: left out
        score("hashtag:y", "GB", ONSET, "rising", rank=0),  # off the board: not an alert
    ]
    acc = summarize([], scores, doc)
    assert (acc.alerts, acc.alerts_matched) == (2, 1)
    assert acc.stage_precision == 0.5
    assert acc.stage_recall == 1.0
    assert acc.stage_median_delay == 4.0


@pytest.mark.slow
@pytest.mark.parametrize("mechanism", ["adoption", "push"])
def test_the_reduced_grid_holds_its_floor(mechanism: str) -> None:
    """Two cells of `trendmon evaluate --matrix` (15-minute scrapes seeing 40% of live videos,
    then 80%, an outage, decoys, both paces, spreading breakouts): every breakout found, no
    decoy fired, no false spike, stage precision at least 0.9 (1.00 when this was written; it
    was 0.80 and 0.85 before a take-off rose only once, when fading tails re-entered rising).

    The issue's targets (0.9 / 0.9 / 2 intervals on the worst cell) are NOT met yet: the
    median spike delay is 4-10 intervals here (sudden take-offs 1-4, slow ones, 6-12 hours to
    full height, found hours after their onset). This test pins what holds, so that a change
    cannot make it worse unseen.
    """
    name, settings = next(
        (n, w) for n, w in matrix_worlds(quick=True)
        if w["breakout_mechanisms"] == mechanism and w["coverage"] < 1
    )
    sim = Simulation(SimulatorSettings(**settings))
    truth = sim.truth()
    acc = evaluate(sim.snapshots(), truth, EngineSettings())
    decoys = {key for d in truth["decoys"] for key in d["entities"]}
    assert len(truth["decoys"]) == 3 and truth["outages"]
    assert not [s for s in acc.false_spikes if s.entity in decoys], name
    assert acc.spike_recall == 1.0 and acc.stage_recall == 1.0, (name, acc.breakouts)
    assert acc.spike_precision == 1.0, acc.false_spikes
    assert acc.stage_precision is not None and acc.stage_precision >= 0.9, acc.false_alerts
    assert acc.spike_median_delay is not None and acc.spike_median_delay <= 12, acc.breakouts


def test_the_worst_cell_takes_the_worst_of_each_figure() -> None:
    def acc(sp: float | None, sr: float, sd: float | None, tp: float, tr: float) -> Accuracy:
        return Accuracy(sp, sr, sd, tp, tr, 1.0, 1, 1, 1, 1, (), (), ())

    cells = [Cell("a", acc(1.0, 0.9, 1.5, 0.8, 1.0)), Cell("b", acc(0.95, 1.0, 3.0, 1.0, 0.7))]
    got = worst(cells)
    assert (got.precision, got.recall, got.delay) == (0.8, 0.7, 3.0)
    assert got.line() == (
        "worst cell: precision 0.80 recall 0.70 delay 3.0 (targets >= 0.9, >= 0.9, <= 2)"
    )
    # A cell that found nothing is as bad as it gets.
    assert worst([Cell("c", acc(None, 0.0, None, 1.0, 1.0))]).delay == float("inf")
    # The grid: every mechanism, coverage, interval and seed; decoys and an outage everywhere.
    worlds = matrix_worlds()
    assert len(worlds) == 24 and len(matrix_worlds(quick=True)) == 6
    assert all(w["decoys"] == "viral,star,rhythm" and w["outages"] == 1 for _, w in worlds)
    assert {w["interval_s"] for _, w in worlds} == {900.0, 3600.0}
