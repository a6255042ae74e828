"""Measure the memory stage 1 holds per tracked video (used by a test and by bench/engine.py)."""

from __future__ import annotations

import gc
import tracemalloc

from trendmon.engine.velocity import Stage1
from trendmon.events import VideoDelta

from .factory import snap


def bytes_per_video(videos: int, snapshots_each: int = 6) -> float:
    """Traced allocations held by stage 1 after tracking ``videos`` videos, per video."""
    batches = [
        [
            snap(
                video=str(7_000_000_000_000_000_000 + v),
                minutes=k * 5,
                plays=1000 + k * 10 * v,
                tags=(f"tag{v % 50}", f"t{v % 7}"),
                author=str(6_800_000_000_000_000_000 + v % 300),
            )
            for v in range(videos)
        ]
        for k in range(snapshots_each)
    ]
    gc.collect()
    tracemalloc.start()
    stage = Stage1()
    before = tracemalloc.get_traced_memory()[0]
    for batch in batches:
        out: list[VideoDelta] = []
        for s in batch:
            stage.process(s, out)
        del out
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(stage.videos) == videos
    return held / videos
