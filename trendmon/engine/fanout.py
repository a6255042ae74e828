"""The fan-out of a batch of deltas to their aggregates, summed per (bucket, aggregate), in arrays.

Stage 2 fans each delta out to every aggregate of its video (each entity, in the video's market
and over all markets) and keeps sums per bucket and aggregate. Done delta by delta in Python,
that costs a dict update per aggregate; here a batch costs a handful of array operations,
whatever its size::

    groups = fan_out(aggs, per_delta, buckets, {"plays": plays}, capacity)
    for bucket, aids, cols in groups: ...   # aids sorted; cols["plays"], ...

Sums are exact: weights are whole numbers, far below 2**53.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from trendmon.engine.windows import Ints


def gather(pool: Ints, offsets: Ints, lengths: Ints) -> Ints:
    """``pool[offsets[k] : offsets[k] + lengths[k]]`` for each ``k``, end to end."""
    ends = np.cumsum(lengths)
    if not len(ends) or not ends[-1]:
        return np.zeros(0, dtype=np.int64)
    return pool[np.repeat(offsets - (ends - lengths), lengths) + np.arange(int(ends[-1]))]


def fan_out(
    aggs: Ints,
    per_delta: Ints,
    buckets: Ints,
    values: Mapping[str, Ints],
    capacity: int,
) -> Iterator[tuple[int, Ints, dict[str, Ints]]]:
    """Per bucket: the aggregates the deltas reach, and their sums.

    ``aggs`` holds each delta's aggregate ids end to end (``per_delta[k]`` of them for delta
    ``k``, all below ``capacity``); ``buckets`` and every array of ``values`` hold one number
    per delta. Each yielded column is summed over the deltas of a (bucket, aggregate).
    """
    b0, b1 = int(buckets.min()), int(buckets.max())
    key = aggs if b0 == b1 else np.repeat(buckets - b0, per_delta) * capacity + aggs
    size = (b1 - b0 + 1) * capacity
    groups = np.flatnonzero(np.bincount(key, minlength=size))

    def summed(column: Ints) -> Ints:
        weights = np.repeat(column.astype(np.float64), per_delta)
        return np.rint(np.bincount(key, weights=weights, minlength=size)[groups]).astype(np.int64)

    sums = {name: summed(column) for name, column in values.items()}
    group_bucket = b0 + groups // capacity
    group_agg = groups % capacity
    for b in range(b0, b1 + 1):
        sel = group_bucket == b
        if sel.any():
            yield b, group_agg[sel], {name: col[sel] for name, col in sums.items()}
