"""Snapshots: determinism, validity, curves, duplicates and late arrivals."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable

from trendmon.events import decode_snapshot, display_step, encode
from trendmon.producers.simulator import RealClock, Simulation
from trendmon.producers.simulator.observe import DUPLICATE_SOURCE, SOURCE
from trendmon.settings import SimulatorSettings


def _bytes(settings: SimulatorSettings) -> bytes:
    return b"".join(encode(s) + b"\n" for s in Simulation(settings).snapshots())


def test_same_seed_same_bytes_other_seed_other_bytes(
    small: Callable[..., SimulatorSettings],
) -> None:
    first = _bytes(small(hours=3))
    assert first == _bytes(small(hours=3))
    assert first != _bytes(small(hours=3, seed=12))


def test_snapshots_validate_and_are_in_arrival_order(
    small: Callable[..., SimulatorSettings],
) -> None:
    sim = Simulation(small())
    snapshots = list(sim.snapshots())
    assert sim.counters.snapshots == len(snapshots) > 1000
    for snapshot in snapshots[::97]:
        assert decode_snapshot(encode(snapshot)) == snapshot
    assert len({s.event_id for s in snapshots}) == len(snapshots)
    on_time = [s.collected_at for s in snapshots if s.source == SOURCE]
    late = sum(1 for a, b in itertools.pairwise(on_time) if b < a)
    assert late <= sim.counters.late
    assert min(on_time).timestamp() >= sim.start
    assert sim.until is not None and max(on_time).timestamp() < sim.until


def test_duplicates_and_late_shares_follow_the_settings(
    small: Callable[..., SimulatorSettings],
) -> None:
    sim = Simulation(small(duplicate_share=0.05, late_share=0.03))
    snapshots = list(sim.snapshots())
    primary = [s for s in snapshots if s.source == SOURCE]
    duplicates = [s for s in snapshots if s.source == DUPLICATE_SOURCE]
    assert 0.04 < len(duplicates) / len(primary) < 0.06
    keys = {(s.video_id, s.collected_at, s.stats) for s in primary}
    assert all((d.video_id, d.collected_at, d.stats) in keys for d in duplicates)
    # Late: arrives after a snapshot collected later than itself.
    newest, late = 0.0, 0
    for s in primary:
        t = s.collected_at.timestamp()
        late += t < newest
        newest = max(newest, t)
    assert 0.02 < late / len(primary) < 0.04
    assert late == sim.counters.late


def test_counts_grow_and_plays_rise_then_decay(small: Callable[..., SimulatorSettings]) -> None:
    sim = Simulation(small(hours=30, lifetime_h=30, round_counts=False, breakouts=0))
    series: dict[str, list[tuple[float, int, int]]] = defaultdict(list)
    for s in sim.snapshots():
        if s.source == SOURCE and s.create_time is not None:
            series[s.video_id].append(
                ((s.collected_at - s.create_time).total_seconds(), s.stats.plays, s.stats.likes)
            )
    checked = 0
    for points in series.values():
        points.sort()
        if points[0][0] > 1800 or points[-1][0] < 24 * 3600 or points[-1][1] < 10_000:
            continue
        assert all(b[1] >= a[1] and b[2] >= a[2] for a, b in itertools.pairwise(points))
        hourly = []
        for hour in range(24):
            inside = [p for p in points if hour * 3600 <= p[0] < (hour + 1) * 3600]
            hourly.append(inside[-1][1] - inside[0][1] if len(inside) > 1 else 0)
        peak = max(range(24), key=hourly.__getitem__)
        assert 0 < peak < 12
        # Decaying over days: a day after posting still a fair share of the peak rate.
        assert sum(hourly[18:24]) / 6 < 0.8 * hourly[peak]
        checked += 1
    assert checked >= 5


def test_rounded_counts_say_so(small: Callable[..., SimulatorSettings]) -> None:
    snapshots = list(Simulation(small(hours=2)).snapshots())
    assert all(not s.exact_counts for s in snapshots)
    big = [s.stats.plays for s in snapshots if s.stats.plays >= 10_000]
    assert big and all(p % display_step(p) == 0 for p in big)
    exact = list(Simulation(small(hours=2, round_counts=False)).snapshots())
    assert all(s.exact_counts for s in exact)
    assert any(s.stats.plays % 100 for s in exact if s.stats.plays >= 10_000)


def test_real_clock_paces_by_simulated_time(small: Callable[..., SimulatorSettings]) -> None:
    wall = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        wall[0] += seconds

    settings = small(hours=1)
    sim = Simulation(settings, start=1_800_000_000)
    sim.clock = RealClock(sim.start, speed=60, monotonic=lambda: wall[0], sleep=sleep)
    last = None
    for snapshot in sim.snapshots():
        last = snapshot
    assert last is not None
    # One simulated hour (plus late arrivals) at 60x is about a minute of wall time.
    assert 55 <= wall[0] <= 95
    assert all(s > 0 for s in slept)


def test_forever_keeps_making_chunks_with_new_breakouts(
    small: Callable[..., SimulatorSettings],
) -> None:
    sim = Simulation(small(hours=1, lifetime_h=1, videos=60, breakouts=1), forever=True)
    for snapshot in sim.snapshots():
        if snapshot.collected_at.timestamp() > sim.start + 3.5 * 3600:
            break
    assert len(sim.breakouts) >= 4
    assert sim.until is None
