"""The batch fan-out against a plain loop over the same deltas."""

from __future__ import annotations

import random

import numpy as np

from trendmon.engine.fanout import fan_out, gather


def test_gather_reads_each_slice_end_to_end() -> None:
    pool = np.array([10, 11, 12, 20, 21, 30], dtype=np.int64)
    got = gather(pool, np.array([3, 0, 5]), np.array([2, 3, 1]))
    assert got.tolist() == [20, 21, 10, 11, 12, 30]
    assert gather(pool, np.array([0]), np.array([0])).tolist() == []


def test_sums_match_a_plain_loop() -> None:
    rng = random.Random(3)
    capacity = 40
    per_delta, aggs, buckets, plays, flags = [], [], [], [], []
    for _ in range(500):
        reach = rng.sample(range(capacity), rng.randint(1, 6))
        per_delta.append(len(reach))
        aggs += reach
        buckets.append(rng.choice((7, 7, 7, 5, 6)))  # mostly the open bucket, some late
        plays.append(rng.randint(-50, 1000))
        flags.append(rng.randint(0, 1))
    want: dict[tuple[int, int], list[int]] = {}
    k = 0
    for d, n in enumerate(per_delta):
        for aid in aggs[k : k + n]:
            want.setdefault((buckets[d], aid), []).append(d)
        k += n
    got = {}
    arrays = [np.array(x, dtype=np.int64) for x in (aggs, per_delta, buckets, plays, flags)]
    values = {"plays": arrays[3], "accel": arrays[4]}
    for b, aids, cols in fan_out(arrays[0], arrays[1], arrays[2], values, capacity):
        assert aids.tolist() == sorted(aids.tolist())
        for j, aid in enumerate(aids.tolist()):
            got[(b, aid)] = (int(cols["plays"][j]), int(cols["accel"][j]))
    assert set(got) == set(want)
    for key, deltas in want.items():
        assert got[key] == (sum(plays[d] for d in deltas), sum(flags[d] for d in deltas)), key
