"""The batch fan-out against a plain loop over the same deltas."""

from __future__ import annotations

import random

import numpy as np

from trendmon.streams.fanout import fan_out, gather


def test_gather_reads_each_slice_end_to_end() -> None:
    pool = np.array([10, 11, 12, 20, 21, 30], dtype=np.int64)
    got = gather(pool, np.array([3, 0, 5]), np.array([2, 3, 1]))
    assert got.tolist() == [20, 21, 10, 11, 12, 30]
    assert gather(pool, np.array([0]), np.array([0])).tolist() == []


def test_sums_and_the_two_largest_match_a_plain_loop() -> None:
    rng = random.Random(3)
    capacity = 40
    per_delta, aggs, buckets, plays, contrib = [], [], [], [], []
    for _ in range(500):
        reach = rng.sample(range(capacity), rng.randint(1, 6))
        per_delta.append(len(reach))
        aggs += reach
        buckets.append(rng.choice((7, 7, 7, 5, 6)))  # mostly the open bucket, some late
        plays.append(rng.randint(-50, 1000))
        contrib.append(rng.choice((0, -20, rng.randint(1, 500))))
    want: dict[tuple[int, int], list[int]] = {}
    k = 0
    for d, n in enumerate(per_delta):
        for aid in aggs[k : k + n]:
            want.setdefault((buckets[d], aid), []).append(d)
        k += n
    got = {}
    arrays = [np.array(x, dtype=np.int64) for x in (aggs, per_delta, buckets, plays, contrib)]
    for b, aids, cols in fan_out(arrays[0], arrays[1], arrays[2], {"plays": arrays[3]},
                                 arrays[4], capacity):
        assert aids.tolist() == sorted(aids.tolist())
        for j, aid in enumerate(aids.tolist()):
            got[(b, aid)] = (int(cols["plays"][j]), int(cols["contrib"][j]),
                             int(cols["top1"][j]), int(cols["top2"][j]))
    assert set(got) == set(want)
    for key, deltas in want.items():
        tops = [*sorted((max(contrib[d], 0) for d in deltas), reverse=True), 0, 0]
        expected = (sum(plays[d] for d in deltas), sum(contrib[d] for d in deltas),
                    tops[0], tops[1])
        assert got[key] == expected, key
