"""Import speed against parse-only speed (issue 2).

Makes a JSON Lines file of simulator items in the full TikTok web itemStruct shape (URLs and all,
5 to 30 KB an item), then in the same run measures:

- parse only: ``orjson.loads`` of every line of the file (the baseline the issue names);
- import: what ``trendmon import`` does (detect, parse each item into a VideoSnapshot, validate,
  encode, and append to the embedded log in transactions), minus the progress bar.

Both read the same file from the page cache; each is run twice and the faster run is kept, since
machines here are noisy. The last line is the ratio and its target. ``--quick`` does the same
with 2,000 items, in a few seconds (a check that the benchmark works, not a measurement).

    .venv/bin/python bench/ingest.py [--items 100000]
    .venv/bin/python bench/ingest.py --quick
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from pathlib import Path

import orjson

from trendmon.cli.importer import import_files
from trendmon.log.embedded import EmbeddedLog
from trendmon.producers.publish import Publisher
from trendmon.producers.simulator import ItemStructRenderer, Simulation
from trendmon.settings import LogSettings, SimulatorSettings

CACHE = Path(tempfile.gettempdir()) / "trendmon-bench"


def make_items(count: int) -> Path:
    """The first ``count`` itemStruct lines of the simulator's world (seed 11, 2,000 videos
    posted an hour), cached between runs (the simulator is deterministic).

    The world runs without end: a new hour of it is made whenever the scrapers reach its end,
    so the file always holds ``count`` items, however many are asked for.
    """
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"itemstruct-{count}.jsonl"
    if path.exists() and sum(1 for _ in path.open("rb")) == count:
        return path
    sim = Simulation(SimulatorSettings(seed=11, hours=1), forever=True)
    renderer = ItemStructRenderer()
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    with part.open("wb") as out:
        for video, snapshot in itertools.islice(sim.observations(), count):
            out.write(renderer.line(video, snapshot))
    part.replace(path)
    return path


def parse_only(path: Path) -> float:
    start = time.perf_counter()
    n = 0
    with path.open("rb") as fp:
        for line in fp:
            orjson.loads(line)
            n += 1
    return n / (time.perf_counter() - start)


def import_into_log(path: Path, count: int) -> float:
    with tempfile.TemporaryDirectory() as home:
        log = EmbeddedLog(home, LogSettings())
        publisher = Publisher(log, batch_size=LogSettings().batch_size)
        start = time.perf_counter()
        _, errors = import_files([path], publisher)
        publisher.flush()
        elapsed = time.perf_counter() - start
        summary = publisher.summary
        stored = log.count("snapshots")
        log.close()
    # The simulator repeats about 1% of snapshots (as a second scraper would): same video, time
    # and counts, so the same event id, stored once.
    if errors or summary.read != count or summary.rejected or stored != summary.published:
        raise SystemExit(f"import went wrong: {summary.as_dict()}, {stored} stored; {errors}")
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument(
        "--quick", action="store_true", help="2,000 items, for a few seconds (a smoke run)"
    )
    args = parser.parse_args()
    if args.quick:
        args.items = min(args.items, 2000)
    path = make_items(args.items)
    size = path.stat().st_size
    print(
        f"file: {path} ({args.items:,} items, {size / 1e6:,.0f} MB, "
        f"{size / args.items / 1000:.1f} KB an item)"
    )
    parse = max(parse_only(path) for _ in range(2))
    print(f"parse only (orjson.loads per line): {parse:,.0f} items/s")
    imported = max(import_into_log(path, args.items) for _ in range(2))
    print(f"import into the embedded log: {imported:,.0f} items/s")
    print(f"import/parse speed ratio: {imported / parse:.2f} (target >= 0.33)")


if __name__ == "__main__":
    main()
