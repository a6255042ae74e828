"""Spike detection at a bucket's close: the candidates and the surge test in arrays, the evidence
(videos accelerating together, or posting) for the few that pass (see
:mod:`trendmon.streams.spikes` for the rule).
"""

from __future__ import annotations

import functools
import operator
from typing import TYPE_CHECKING

import numpy as np

from trendmon.events import Spike, SpikeEvidence
from trendmon.streams.spikes import (
    Surges,
    accelerating,
    carried_by,
    created_ms,
    posting_surge,
    severity,
    surges,
)
from trendmon.streams.windows import HOUR_MS, scatter, zeros

if TYPE_CHECKING:
    from trendmon.streams.sightings import Sighting
    from trendmon.streams.trends import Stage2


def spikes(stage: Stage2, b: int) -> None:
    """Test the aggregates of bucket ``b`` for a spike (see :mod:`trendmon.streams.spikes`)."""
    rule = stage.rule
    n = stage.n_aggs
    bucket_ms = stage.bucket_ms
    start_ms = b * bucket_ms
    floor = rule.min_rate * bucket_ms / HOUR_MS
    tables = stage.tables
    videos = scatter(n, tables.get(b), "videos")
    # Candidates: the minimum rate of broad plays over the last k buckets, for some k.
    total = zeros(n)
    pushed = np.zeros(n, dtype=bool)
    for k in range(1, rule.push_window + 1):
        total += scatter(n, tables.get(b - k + 1), "broad")
        pushed |= total >= k * floor
    posted = np.zeros(n, dtype=bool)
    new = zeros(n)
    if rule.min_new > 0:
        for bb in range(b - rule.posting + 1, b + 1):
            if bb != stage.first_bucket:
                new += scatter(n, tables.get(bb), "new")
        posted = new >= rule.min_new
    # "All" markets of an entity in one market is that market, already tested.
    single = (stage.a_mid[:n] == 0) & (stage.a_markets[:n] < 2)
    able = (videos >= stage.settings.spike_min_videos) & (stage.a_cool[:n] <= start_ms)
    able &= stage.a_alive[:n] & ~single
    cands = np.flatnonzero((pushed | posted) & able)
    if not len(cands):
        return
    span = rule.baseline + max(rule.push_window, rule.window if rule.min_new > 0 else 0)
    broad = np.zeros((len(cands), span), dtype=np.int64)
    for j, bb in enumerate(range(b - span + 1, b + 1)):
        table = tables.get(bb)
        if table is not None and len(table):
            broad[:, j] = table.get("broad", cands)
    first = stage.a_first[cands] // bucket_ms - (b - span + 1)
    hours = bucket_ms / HOUR_MS
    tests = [surges(broad, first, k, hours, rule) for k in range(1, rule.push_window + 1)]
    posting = surges(broad, first, rule.window, hours, rule) if rule.min_new > 0 else None
    for r, aid in enumerate(cands.tolist()):
        found: tuple[float, float, float, float] | None = None
        evidence: SpikeEvidence = "pushed"
        accelerated = 0
        if pushed[aid]:
            for k, test in enumerate(tests, start=1):
                if not test.passed[r]:
                    continue
                # The videos already out there that accelerate together, and whether they
                # are the entity's own (attribution).
                together, out_there = _accelerating(stage, aid, b, k)
                need = max(rule.push_videos, rule.push_share * out_there)
                if len(together) >= need and not carried_by(
                    key_of(stage, aid), together, functools.partial(operator.le, need)
                ):
                    accelerated = len(together)
                    found = (test.x[r], test.z[r], test.median[r], test.mad[r])
                    break
        if found is None and posting is not None and posted[aid] and posting.passed[r]:
            found = _posted_surge(stage, aid, b, posting, r)
            evidence = "posted"
        if found is not None:
            _spike(stage, aid, b, found, evidence, accelerated, int(videos[aid]))


def _posted_surge(
    stage: Stage2, aid: int, b: int, posting: Surges, r: int
) -> tuple[float, float, float, float] | None:
    """The posted evidence of a candidate whose posting-span surge passed."""
    rule = stage.rule
    discovered = stage.first_bucket or 0
    posting_from = b - rule.posting + 1
    baseline_from = max(posting_from - rule.baseline, discovered + 1)
    recent_new = base_new = 0
    for bb in range(baseline_from, b + 1):
        table = stage.tables.get(bb)
        if table is None or bb == discovered:
            continue
        value = int(table.get("new", np.array([aid], dtype=np.int64))[0])
        if bb >= posting_from:
            recent_new += value
        else:
            base_new += value
    if not posting_surge(recent_new, base_new, rule):
        return None
    since = (posting_from - 1) * stage.bucket_ms
    if carried_by(
        key_of(stage, aid),
        _posted(stage, aid, since),
        lambda m: posting_surge(m, base_new, rule),
    ):
        return None
    return (posting.x[r], posting.z[r], posting.median[r], posting.mad[r])


def key_of(stage: Stage2, aid: int) -> str:
    ent = stage.agg_entity[aid]
    assert ent is not None
    return ent.key


def _members(stage: Stage2, aid: int) -> list[tuple[str, Sighting]]:
    """The aggregate's videos (id, sighting): its entity's, in its market (or all of them)."""
    ent = stage.agg_entity[aid]
    assert ent is not None
    mid = int(stage.a_mid[aid])
    found = []
    for vid in ent.members:
        v = stage.videos.get(vid)
        if v is not None and (mid == 0 or v.mid == mid):
            found.append((vid, v))
    return found


def _accelerating(stage: Stage2, aid: int, b: int, k: int) -> tuple[list[tuple[str, ...]], int]:
    """The entities of each of the aggregate's videos that accelerates over the ``k``
    buckets ending at ``b``, and how many of its videos were out there before (see
    :func:`~trendmon.streams.spikes.accelerating`)."""
    found = []
    out_there = 0
    for _, v in _members(stage, aid):
        speeding = accelerating(stage.seen.recent(v), b, k, stage.rule)
        if speeding is not None:
            out_there += 1
            if speeding:
                found.append(v.ents)
    return found, out_there


def _posted(stage: Stage2, aid: int, since_ms: int) -> list[tuple[str, ...]]:
    """The entities of each of the aggregate's videos posted since ``since_ms``."""
    found = []
    for vid, v in _members(stage, aid):
        created = created_ms(vid)
        if created is not None and created >= since_ms:
            found.append(v.ents)
    return found


def _spike(
    stage: Stage2,
    aid: int,
    b: int,
    found: tuple[float, float, float, float],
    evidence: SpikeEvidence,
    accelerated: int,
    videos: int,
) -> None:
    ent = stage.agg_entity[aid]
    assert ent is not None
    x, z, med, mad = (float(v) for v in found)
    start = b * stage.bucket_ms
    market = stage.market_names[int(stage.a_mid[aid])]
    stage.a_cool[aid] = start + stage.bucket_ms + stage.settings.spike_cooldown_s * 1000
    stage.a_spike[aid] = start + stage.bucket_ms
    stage.out.spikes.append(
        Spike(
            spike_id=f"{ent.key}|{market}|{start}",
            entity=ent.key,
            kind=ent.kind,
            name=ent.label,
            market=market,
            bucket_ms=start,
            detected_ms=start + stage.bucket_ms,
            value=round(x, 1),
            baseline=round(med, 1),
            mad=round(mad, 1),
            z=round(z, 2),
            severity=severity(z, stage.rule.z),
            videos=videos,
            evidence=evidence,
            accelerating=accelerated,
        )
    )
