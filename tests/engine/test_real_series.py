"""Real archives through the engine: months with gaps of weeks, processed whole.

The series come from ``../shared/data/timeseries`` through the one ``timeseries`` fixture: a
mobile feed of viral videos (308 observations over 12 weeks, gaps of up to weeks) and one small
creator's 15 latest posts every six hours for three months.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trendmon.engine.engine import Engine, EngineOutput
from trendmon.events import VideoSnapshot
from trendmon.producers.importers import import_file

DAY_MS = 86_400_000


def _run(path: Path, **options: Any) -> tuple[list[VideoSnapshot], int, EngineOutput]:
    with path.open("rb") as fp:
        stream, _ = import_file(fp, name=path.name, **options)
        records = list(stream)
    snapshots = sorted(
        (r for r in records if isinstance(r, VideoSnapshot)), key=lambda s: s.collected_at
    )
    return snapshots, len(records), Engine().process(snapshots)


@pytest.mark.slow
def test_a_feed_of_twelve_weeks_with_gaps_is_processed_whole(timeseries: Path) -> None:
    snapshots, read, out = _run(timeseries / "zexisx-api-feed" / "observations.jsonl")
    assert read == len(snapshots) == 308, "every line is a valid aweme item"
    # Nothing refused: a gap of weeks is no reason (it refused 292 of 308 before).
    assert out.rejected == [] and len(out.accepted) == 308
    # Boards for the periods it covers: its first week and its last.
    days = {s.at_ms // DAY_MS for s in out.scores}
    first = int(snapshots[0].collected_at.timestamp() * 1000) // DAY_MS
    last = int(snapshots[-1].collected_at.timestamp() * 1000) // DAY_MS
    assert first in days and last in days and len(days) > 60


@pytest.mark.slow
def test_a_quiet_account_over_three_months_has_no_spike(timeseries: Path) -> None:
    """One creator, 15 latest posts seen every six hours: no spike, and rightly so.

    - posted: every new video is the same creator's, one adopter a day at most, far from the
      five distinct creators a posting spike needs;
    - pushed: its videos are the whole market here, and a handful of sightings that double
      their rate are not several times more often than its own other videos do.
    Its biggest gain is a video going from 64 to 262 plays over four days.
    """
    snapshots, read, out = _run(
        timeseries / "riderskill-site" / "observations.jsonl", author="riderskill"
    )
    assert (read, len(snapshots)) == (8616, 8592)  # 24 lines without a video id
    assert out.rejected == [] and len(out.accepted) == 8592
    assert out.spikes == []
    # ...while its boards are there for every day of the three months.
    days = {s.at_ms // DAY_MS for s in out.scores}
    assert len(days) >= 90
