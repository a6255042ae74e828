"""How well the engine finds planted breakouts: precision, recall and detection delay.

:func:`evaluate` runs snapshots (the simulator's, in arrival order) through
:class:`~trendmon.engine.engine.Engine` in batches and scores its spikes and its ``1h``
lifecycle stages against the simulator's truth document
(:mod:`trendmon.producers.simulator.breakouts`). Everything is event time, so the numbers are
as deterministic as the engine. The definitions:

**Breakouts.** Only *planted* truth entries are breakouts. A breakout's entity key is
``KIND:ID`` (``hashtag:ID``, ``sound:ID``, ``creator:ID``); its *span* runs from one interval
before its onset to its onset plus its hold and decay times (``hold_s + decay_s``, when the boost
is still at a third of its height; the plays of videos posted during the hold keep coming for
hours, so later detections are the same breakout, not false alarms; the whole run when the
truth gives no hold). Entities listed *unplanted* (big organic lifecycles) are neither misses
nor false alarms: every spike and stage alert on them is left out of every count.

**Spikes.** A spike *matches* a breakout when its entity is the breakout's, its market is the
breakout's market or ``all``, and its bucket starts within the breakout's span.

- precision = matching spikes / counted spikes (all spikes but those on unplanted entities);
- recall = breakouts with at least one matching spike / breakouts;
- delay of a detected breakout = (first matching spike's ``detected_ms`` - onset) / interval;
  the median is over detected breakouts.

**Stages.** Only ``1h`` scores of ranked entries (``rank > 0``) count. A *stage alert* is an
(entity, market) entering the hot stages (``emerging`` or ``rising``) on its 1h board: its
previous 1h record (if any) had another stage, or it left the board; staying hot, or moving
from emerging to rising, is not a new alert. An alert *matches* a breakout like a spike does,
with its tick ``at_ms`` in place of the bucket start.

- precision = matching alerts / counted alerts (unplanted entities left out);
- recall = breakouts with a hot 1h score of their entity in their market or ``all`` with
  ``at_ms`` between the onset and the end of the span;
- delay = (``at_ms`` of the first such score - onset) / interval, median over detected ones.

A precision with nothing to count (no spikes, no alerts) and a median over nothing are None.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from statistics import median
from typing import Any

from trendmon.engine.engine import Engine
from trendmon.events import Spike, TrendScore, VideoSnapshot, utc
from trendmon.settings import EngineSettings

ALL = "all"
HOT = frozenset(("emerging", "rising"))
STAGE_WINDOW = "1h"
BATCH = 5000
DEFAULT_INTERVAL_S = 900
"""Delays of a truth file that names no interval_s are counted in 15-minute intervals."""


@dataclass(frozen=True, slots=True)
class Breakout:
    """A planted breakout as the evaluator sees it (times in epoch ms)."""

    key: str
    market: str
    onset_ms: int
    until_ms: int
    """End of the span in which detections count."""


@dataclass(frozen=True, slots=True)
class BreakoutResult:
    """How one breakout was detected: delays in intervals after the onset, None when missed."""

    key: str
    market: str
    onset_ms: int
    spike_delay: float | None
    stage_delay: float | None


@dataclass(frozen=True, slots=True)
class Accuracy:
    """The figures ``trendmon evaluate`` prints, and the per-breakout detail behind them."""

    spike_precision: float | None
    spike_recall: float | None
    spike_median_delay: float | None
    stage_precision: float | None
    stage_recall: float | None
    stage_median_delay: float | None
    spikes: int
    """Spikes counted (those on unplanted entities left out)."""
    spikes_matched: int
    alerts: int
    """Stage alerts counted."""
    alerts_matched: int
    breakouts: tuple[BreakoutResult, ...]
    false_spikes: tuple[Spike, ...]
    false_alerts: tuple[TrendScore, ...]

    def lines(self) -> list[str]:
        """The ``name: value`` lines of the report, in a fixed order."""
        return [
            f"spike_precision: {_fmt(self.spike_precision, 2)}",
            f"spike_recall: {_fmt(self.spike_recall, 2)}",
            f"spike_median_delay_intervals: {_fmt(self.spike_median_delay, 1)}",
            f"stage_precision: {_fmt(self.stage_precision, 2)}",
            f"stage_recall: {_fmt(self.stage_recall, 2)}",
            f"stage_median_delay_intervals: {_fmt(self.stage_median_delay, 1)}",
        ]


def _fmt(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ms(text: str) -> int:
    return int(utc(text).timestamp() * 1000)


def breakouts_of(truth: Mapping[str, Any]) -> tuple[list[Breakout], frozenset[str]]:
    """The planted breakouts of a truth document, and the keys of its unplanted entities.

    An entry needs ``kind``, ``id`` and ``onset``; ``market`` defaults to ``all`` and
    ``planted`` to true (a user's own truth file lists what did take off; see
    ``docs/detection.md``).
    """
    end = truth.get("end")
    end_ms = _ms(end) if isinstance(end, str) else None
    planted: list[Breakout] = []
    unplanted: set[str] = set()
    for entry in truth["breakouts"]:
        key = f"{entry['kind']}:{entry['id']}"
        if not entry.get("planted", True):
            unplanted.add(key)
            continue
        onset = _ms(entry["onset"])
        hold = entry.get("hold_s")
        fade = entry.get("decay_s", 0)
        until = onset + round((float(hold) + float(fade)) * 1000) if hold is not None else end_ms
        market = entry.get("market") or ALL
        planted.append(Breakout(key, market, onset, until if until is not None else 2**62))
    return planted, frozenset(unplanted)


def _matches(b: Breakout, entity: str, market: str, at_ms: int, interval_ms: int) -> bool:
    return (
        entity == b.key
        and (market in (b.market, ALL) or b.market == ALL)
        and b.onset_ms - interval_ms <= at_ms <= b.until_ms
    )


def stage_alerts(scores: Iterable[TrendScore]) -> list[TrendScore]:
    """1h records where an (entity, market) enters the hot stages (see the module docstring)."""
    hot: dict[tuple[str, str], bool] = {}
    alerts = []
    for s in scores:
        if s.window != STAGE_WINDOW:
            continue
        now = s.rank > 0 and s.stage in HOT
        key = (s.entity, s.market)
        if now and not hot.get(key, False):
            alerts.append(s)
        hot[key] = now
    return alerts


def score_spikes(
    spikes: Iterable[Spike],
    breakouts: Sequence[Breakout],
    unplanted: frozenset[str],
    interval_ms: int,
) -> tuple[int, list[Spike], dict[str, float]]:
    """(counted spikes, false ones, first delay per breakout key) under the rules above."""
    by_key: dict[str, list[Breakout]] = {}
    for b in breakouts:
        by_key.setdefault(b.key, []).append(b)
    counted = 0
    false: list[Spike] = []
    delays: dict[str, float] = {}
    for sp in spikes:
        if sp.entity in unplanted:
            continue
        counted += 1
        matched = False
        for b in by_key.get(sp.entity, ()):
            if _matches(b, sp.entity, sp.market, sp.bucket_ms, interval_ms):
                matched = True
                delay = (sp.detected_ms - b.onset_ms) / interval_ms
                if delay < delays.get(_id(b), float("inf")):
                    delays[_id(b)] = delay
        if not matched:
            false.append(sp)
    return counted, false, delays


def score_stages(
    scores: Sequence[TrendScore],
    breakouts: Sequence[Breakout],
    unplanted: frozenset[str],
    interval_ms: int,
) -> tuple[int, list[TrendScore], dict[str, float]]:
    """(counted alerts, false ones, first delay per breakout key) under the rules above."""
    by_key: dict[str, list[Breakout]] = {}
    for b in breakouts:
        by_key.setdefault(b.key, []).append(b)
    counted = 0
    false: list[TrendScore] = []
    for alert in stage_alerts(scores):
        if alert.entity in unplanted:
            continue
        counted += 1
        if not any(
            _matches(b, alert.entity, alert.market, alert.at_ms, interval_ms)
            for b in by_key.get(alert.entity, ())
        ):
            false.append(alert)
    delays: dict[str, float] = {}
    for s in scores:
        if s.window != STAGE_WINDOW or s.rank <= 0 or s.stage not in HOT:
            continue
        for b in by_key.get(s.entity, ()):
            if s.market in (b.market, ALL) and b.onset_ms <= s.at_ms <= b.until_ms:
                delay = (s.at_ms - b.onset_ms) / interval_ms
                if delay < delays.get(_id(b), float("inf")):
                    delays[_id(b)] = delay
    return counted, false, delays


def _id(b: Breakout) -> str:
    return f"{b.key}|{b.market}|{b.onset_ms}"


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def summarize(
    spikes: Sequence[Spike], scores: Sequence[TrendScore], truth: Mapping[str, Any]
) -> Accuracy:
    """The figures of engine output against a truth document (see the module docstring)."""
    breakouts, unplanted = breakouts_of(truth)
    interval_ms = round(float(truth.get("interval_s", DEFAULT_INTERVAL_S)) * 1000)
    n_spikes, false_spikes, spike_delays = score_spikes(spikes, breakouts, unplanted, interval_ms)
    n_alerts, false_alerts, stage_delays = score_stages(scores, breakouts, unplanted, interval_ms)
    results = tuple(
        BreakoutResult(
            b.key, b.market, b.onset_ms, spike_delays.get(_id(b)), stage_delays.get(_id(b))
        )
        for b in breakouts
    )
    sd = [r.spike_delay for r in results if r.spike_delay is not None]
    td = [r.stage_delay for r in results if r.stage_delay is not None]
    return Accuracy(
        spike_precision=_ratio(n_spikes - len(false_spikes), n_spikes),
        spike_recall=_ratio(len(sd), len(results)),
        spike_median_delay=median(sd) if sd else None,
        stage_precision=_ratio(n_alerts - len(false_alerts), n_alerts),
        stage_recall=_ratio(len(td), len(results)),
        stage_median_delay=median(td) if td else None,
        spikes=n_spikes,
        spikes_matched=n_spikes - len(false_spikes),
        alerts=n_alerts,
        alerts_matched=n_alerts - len(false_alerts),
        breakouts=results,
        false_spikes=tuple(false_spikes),
        false_alerts=tuple(false_alerts),
    )


def _batches(items: Iterable[VideoSnapshot], size: int) -> Iterator[list[VideoSnapshot]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def evaluate(
    snapshots: Iterable[VideoSnapshot],
    truth: Mapping[str, Any],
    settings: EngineSettings | None = None,
    *,
    batch: int = BATCH,
) -> Accuracy:
    """Run ``snapshots`` through a fresh engine and score its spikes and 1h stages.

    >>> from trendmon.producers.simulator import Simulation
    >>> from trendmon.settings import SimulatorSettings
    >>> sim = Simulation(SimulatorSettings(hours=1, creators=20, videos=30, breakouts=0))
    >>> evaluate(sim.snapshots(), sim.truth()).spike_recall is None
    True
    """
    engine = Engine(settings)
    spikes: list[Spike] = []
    scores: list[TrendScore] = []
    for chunk in _batches(snapshots, batch):
        out = engine.process(chunk)
        spikes.extend(out.spikes)
        scores.extend(s for s in out.scores if s.window == STAGE_WINDOW)
    return summarize(spikes, scores, truth)


def iso_ms(ms: int) -> str:
    """An epoch-ms time as ``2026-01-05T16:13:53Z`` (for the detail lines)."""
    return utc(ms / 1000).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Cell:
    """One world of the grid: its name, its simulator settings and what the engine reached."""

    name: str
    accuracy: Accuracy


MATRIX_MECHANISMS = ("adoption", "push", "both")
MATRIX_COVERAGE = ((1.0, 0.0), (0.4, 0.8))
"""(coverage, coverage later): all live videos seen; a share seen, doubling mid-run."""
MATRIX_INTERVALS = (900.0, 3600.0)
MATRIX_SEEDS = (1, 2)
MATRIX_WORLD: dict[str, Any] = dict(
    hours=24, videos=1500, creators=1000, breakouts=4, breakout_kinds="hashtag,sound",
    breakout_paces="sudden,slow", breakout_spread=0.25, decoys="viral,star,rhythm", outages=1,
)
"""What every world of the grid shares: decoys, an outage, both paces, spreading breakouts."""


def matrix_worlds(
    *, quick: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """The grid's worlds (name, simulator settings): mechanisms x coverage x interval x seeds.

    ``quick`` keeps one seed and the 15-minute interval (the test suite's reduced grid).
    """
    seeds = MATRIX_SEEDS[:1] if quick else MATRIX_SEEDS
    intervals = MATRIX_INTERVALS[:1] if quick else MATRIX_INTERVALS
    worlds = []
    for mechanism in MATRIX_MECHANISMS:
        for coverage, later in MATRIX_COVERAGE:
            for interval in intervals:
                for seed in seeds:
                    change = f"->{later:.0%}" if later else ""
                    name = (
                        f"{mechanism} coverage {coverage:.0%}{change}"
                        f" every {interval / 60:.0f} min seed {seed}"
                    )
                    worlds.append(
                        (
                            name,
                            {
                                **MATRIX_WORLD,
                                "breakout_mechanisms": mechanism,
                                "coverage": coverage,
                                "coverage_later": later,
                                "coverage_change_h": MATRIX_WORLD["hours"] / 2 if later else 0,
                                "interval_s": interval,
                                "seed": seed,
                            },
                        )
                    )
    return worlds


@dataclass(frozen=True, slots=True)
class Worst:
    """The worst figures over the cells (lowest precision and recall, longest delay)."""

    precision: float
    recall: float
    delay: float

    def line(self, what: str = "") -> str:
        label = f"worst cell{' (' + what + ')' if what else ''}"
        return (
            f"{label}: precision {self.precision:.2f} recall {self.recall:.2f} delay "
            f"{self.delay:.1f} (targets >= 0.9, >= 0.9, <= 2)"
        )


def worst(cells: Sequence[Cell]) -> Worst:
    """The worst of spikes and stages over every cell (a cell with nothing found counts 0 for
    precision and recall and an infinite delay)."""
    precision, recall, delay = 1.0, 1.0, 0.0
    for c in cells:
        a = c.accuracy
        for p, r, d in (
            (a.spike_precision, a.spike_recall, a.spike_median_delay),
            (a.stage_precision, a.stage_recall, a.stage_median_delay),
        ):
            precision = min(precision, 0.0 if p is None else p)
            recall = min(recall, 0.0 if r is None else r)
            delay = max(delay, float("inf") if d is None else d)
    return Worst(precision, recall, delay)
