"""Planted breakouts take off after their onset and not before; the truth file says so exactly."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from trendmon.events import VideoSnapshot, utc
from trendmon.producers.simulator import Simulation, write_truth
from trendmon.producers.simulator.observe import SOURCE
from trendmon.settings import SimulatorSettings

HOUR = 3600


def _keys(s: VideoSnapshot) -> list[tuple[str, str]]:
    keys = [("hashtag", tag) for tag in s.hashtags] + [("creator", s.author.id)]
    if s.music is not None:
        keys.append(("sound", s.music.id))
    return keys


def test_planted_entities_take_off_at_their_onset(
    small: Callable[..., SimulatorSettings], tmp_path: Path
) -> None:
    settings = small(hours=16, lifetime_h=8, videos=480, breakouts=3, round_counts=False)
    sim = Simulation(settings)
    created: dict[tuple[str, str], list[float]] = defaultdict(list)
    plays: dict[tuple[str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    last: dict[str, int] = {}
    for s in sim.snapshots():
        if s.source != SOURCE or s.create_time is None:
            continue
        hour = int(s.collected_at.timestamp()) // HOUR
        delta = s.stats.plays - last.get(s.video_id, s.stats.plays)
        first = s.video_id not in last
        last[s.video_id] = s.stats.plays
        for key in _keys(s):
            if first:
                created[key].append(s.create_time.timestamp())
            plays[key][hour] += delta

    write_truth(tmp_path / "truth.json", sim.truth())
    truth = json.loads((tmp_path / "truth.json").read_text())
    planted = [b for b in truth["breakouts"] if b["planted"]]
    total_quiet = total_loud = 0.0
    assert [b["kind"] for b in planted] == ["hashtag", "sound", "creator"]
    assert {b["market"] for b in planted} == {"US", "GB"}
    for b in planted:
        key = (b["kind"], b["id"])
        onset = utc(b["onset"]).timestamp()
        assert sim.start + 0.25 * 16 * HOUR < onset < sim.start + 0.9 * 16 * HOUR
        before = sum(1 for t in created[key] if onset - 3 * HOUR <= t < onset)
        after = sum(1 for t in created[key] if onset <= t < onset + 3 * HOUR)
        assert after >= 3 * max(before, 1), (b, before, after)
        # Baseline activity exists before the onset (a history to measure a spike against).
        assert any(t < onset for t in created[key]), b
        h = int(onset) // HOUR
        quiet = sum(plays[key].get(i, 0) for i in range(h - 3, h)) / 3
        loud = sum(plays[key].get(i, 0) for i in range(h + 1, h + 4)) / 3
        # A heavy-tailed world can put one big video in a baseline: each breakout grows its
        # plays velocity by half at least, and together they grow several times.
        assert loud > 1.5 * max(quiet, 100), (b, quiet, loud)
        total_quiet, total_loud = total_quiet + quiet, total_loud + loud
    assert total_loud > 4 * total_quiet


def test_truth_lists_organic_trends_unplanted(small: Callable[..., SimulatorSettings]) -> None:
    truth = Simulation(small(hours=48, breakouts=2)).truth()
    organic = [b for b in truth["breakouts"] if not b["planted"]]  # type: ignore[index, union-attr]
    assert organic, "a two-day world has organic lifecycles rising"
    assert all({"kind", "id", "onset", "peak", "market"} <= set(b) for b in organic)
    # Rising in the run: peaking after its start, the rise under way before its end; small
    # ones too (a small tag early in its rise also grows several times within a day).
    for b in organic:
        assert b["peak"] > truth["start"] and b["onset"] < truth["end"], b  # type: ignore[index]
    assert min(b["amplitude"] for b in organic) < 6  # type: ignore[index]


def test_planted_entities_are_unique_names(small: Callable[..., SimulatorSettings]) -> None:
    sim = Simulation(small(breakouts=9, breakout_kinds="hashtag,sound"))
    next(sim.snapshots())
    ids = [b.key for b in sim.breakouts]
    assert len(ids) == len(set(ids)) == 9
