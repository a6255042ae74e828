"""Spike detection at a bucket's close: both tests of :mod:`trendmon.engine.spikes` over every
window, in arrays, for the aggregates with enough evidence to pass; riders and the spikes' words
for the few that do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from trendmon.engine.signals import ACCEL, ADOPT, ELIG, PLAYS, POSTED, T_ACCEL, T_ELIG, T_POSTED
from trendmon.engine.spikes import adoption, carrier, combined, push, severity, summary
from trendmon.engine.windows import HOUR_MS, Ints
from trendmon.events import Spike, SpikeEvidence

RECENT_STRENGTH = 1.0
"""The latest part of a passing window must be above chance at one in ten (-log10)."""

if TYPE_CHECKING:
    from trendmon.engine.trends import Stage2


@dataclass(slots=True)
class Found:
    """The best passing window of each test for one aggregate (index -1: that test failed).

    When only the two tests together pass (:func:`~trendmon.engine.spikes.combined`), both
    parts are filled from that window and ``both_s`` is their joint strength."""

    aid: int
    adopt_w: int
    adopt_s: float
    adopt_r: float
    push_w: int
    push_s: float
    push_r: float
    both_w: int = -1
    both_s: float = 0.0

    @property
    def strength(self) -> float:
        return max(self.adopt_s, self.push_s, self.both_s)

    @property
    def window(self) -> int:
        """The window of the strongest evidence."""
        if self.both_s > max(self.adopt_s, self.push_s):
            return self.both_w
        return self.adopt_w if self.adopt_s >= self.push_s else self.push_w


@dataclass(slots=True)
class Detected:
    """What the tests found at a close."""

    hot: list[int] = field(default_factory=list)
    """The aggregates taking off: a test passed for them (riders left out)."""
    spikes: list[tuple[int, Spike]] = field(default_factory=list)
    """The spikes of those out of their cooldown, with their aggregate."""


def spikes(stage: Stage2, b: int) -> Detected:
    """Test the aggregates at the close of bucket ``b``: the ones taking off, and a spike for
    each of them out of its cooldown (the caller runs the cooldown from the last close at which
    a test passed: one spike per take-off, however long it lasts)."""
    out = Detected()
    first = stage.first_bucket
    if first is None:
        return out
    found = _passing(stage, watched=b - first + 1 >= stage.rule.min_history)
    if not found:
        return out
    by_aid = {f.aid: f for f in found}
    for f in found:
        if _rider(stage, f, b, by_aid):
            continue
        out.hot.append(f.aid)
        if stage.agg.cool[f.aid] <= b * stage.bucket_ms:
            out.spikes.append((f.aid, _spike(stage, f, b)))
    return out


def _passing(stage: Stage2, *, watched: bool) -> list[Found]:
    """Every aggregate for which a test passes on some window, with its best windows (the
    adoption test only once the stage has ``watched`` enough of the past to have baselines;
    the push test compares with the market at the same time and needs no past)."""
    rule = stage.rule
    sig = stage.signals
    n = stage.agg.n
    longest = sig.win[int(np.argmax(rule.windows)), :, :n]
    # "All" markets of an entity in one market is that market, already tested.
    single = (stage.agg.mid[:n] == 0) & (stage.agg.markets[:n] < 2)
    able = stage.agg.alive[:n] & ~single
    able &= (
        (longest[ADOPT] >= rule.min_adopters)
        | (longest[ACCEL] >= rule.min_accelerated)
        | (longest[ADOPT] + longest[ACCEL] >= rule.min_adopters)
    )
    cands = np.flatnonzero(able)
    if not len(cands):
        return []
    mwin, mbase = sig.market_windows(stage.market_names)
    mids = stage.agg.mid[cands]
    n0 = sig.base[ADOPT, cands]
    total0 = mbase[mids, T_POSTED]
    k = len(cands)
    best = {
        "adopt": (np.full(k, -1), np.zeros(k), np.zeros(k)),
        "push": (np.full(k, -1), np.zeros(k), np.zeros(k)),
    }
    recent: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    both_w, both_s = np.full(k, -1), np.zeros(k)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    recent_both = None
    for i in range(len(rule.windows)):
        win = sig.win[i][:, cands].astype(np.float64)
        s_a, r_a = adoption(win[ADOPT], n0, mwin[i, mids, T_POSTED].astype(np.float64), total0)
        usable_a = (r_a >= rule.min_ratio) & (total0 > 0) & watched
        ok_a = (s_a >= rule.surprise) & (win[ADOPT] >= rule.min_adopters) & usable_a
        s_p, r_p = push(
            win[ACCEL], win[ELIG], mwin[i, mids, T_ACCEL].astype(np.float64),
            mwin[i, mids, T_ELIG].astype(np.float64),
        )
        usable_p = r_p >= rule.min_ratio
        ok_p = (s_p >= rule.surprise) & (win[ACCEL] >= rule.min_accelerated) & usable_p
        parts.append((s_a, r_a, s_p, r_p))
        for name, ok, s, r in (("adopt", ok_a, s_a, r_a), ("push", ok_p, s_p, r_p)):
            # Still going on: the window's latest part (the next shorter window) is itself
            # above chance (a one-in-ten bound) and several times what chance expects, so that
            # a burst hours ago inside a long window is not a take-off now.
            if name in recent:
                s_recent, r_recent = recent[name]
                ok &= (s_recent >= RECENT_STRENGTH) & (r_recent >= rule.min_ratio)
            recent[name] = (s, r)
            w, strength, ratio = best[name]
            better = ok & (s > strength)
            w[better] = i
            strength[better] = s[better]
            ratio[better] = r[better]
        # Both tests together: each above chance and several times it, jointly past the bar.
        s_both = combined(np.where(usable_a, s_a, 0.0), np.where(usable_p, s_p, 0.0))
        each = (usable_a & (s_a >= RECENT_STRENGTH)) & (usable_p & (s_p >= RECENT_STRENGTH))
        ok_b = each & (s_both >= rule.surprise)
        ok_b &= win[ADOPT] + win[ACCEL] >= rule.min_adopters
        if recent_both is not None:
            ok_b &= recent_both
        recent_both = each
        better = ok_b & (s_both > both_s)
        both_w[better] = i
        both_s[better] = s_both[better]
    aw, a_s, a_r = best["adopt"]
    pw, p_s, p_r = best["push"]
    # A joint pass fills the parts that did not pass alone from its window.
    for row in np.flatnonzero(both_w >= 0).tolist():
        at = int(both_w[row])
        adopt_s, adopt_r, push_s, push_r = parts[at]
        if aw[row] < 0:
            aw[row], a_s[row], a_r[row] = at, adopt_s[row], adopt_r[row]
        if pw[row] < 0:
            pw[row], p_s[row], p_r[row] = at, push_s[row], push_r[row]
    rows = np.flatnonzero((aw >= 0) | (pw >= 0))
    return [
        Found(int(cands[r]), int(aw[r]), float(a_s[r]), float(a_r[r]), int(pw[r]),
              float(p_s[r]), float(p_r[r]), int(both_w[r]), float(both_s[r]))
        for r in rows.tolist()
    ]


def key_of(stage: Stage2, aid: int) -> str:
    ent = stage.agg.entity[aid]
    assert ent is not None
    return ent.key


def _evidence_videos(stage: Stage2, f: Found, b: int) -> list[tuple[str, ...]]:
    """The entity tuples of the aggregate's videos that are its evidence in its window."""
    ent = stage.agg.entity[f.aid]
    assert ent is not None
    mid = int(stage.agg.mid[f.aid])
    since = b - stage.rule.windows[f.window] + 1
    seen = stage.seen
    found = []
    for vid in ent.members:
        v = stage.videos.get(vid)
        if v is None or (mid and v.mid != mid):
            continue
        if (f.adopt_w >= 0 and seen.posted_b[v.idx] >= since) or (
            f.push_w >= 0 and seen.accel_b[v.idx] >= since
        ):
            found.append(v.ents)
    return found


def _rider(stage: Stage2, f: Found, b: int, passing: dict[int, Found]) -> bool:
    """Whether the surge is another entity's that spikes now with more evidence (see
    :mod:`trendmon.engine.spikes`), and the rest of it alone would not pass."""
    evidence = _evidence_videos(stage, f, b)
    carried = carrier(key_of(stage, f.aid), evidence)
    if carried is None:
        return False
    other_key, shared = carried
    other = stage.entities.get(other_key)
    if other is None:
        return False
    mid = int(stage.agg.mid[f.aid])
    other_aid = other.aggs.get(mid)
    if other_aid is None or other_aid not in passing:
        return False
    if len(_evidence_videos(stage, passing[other_aid], b)) <= len(evidence):
        return False
    keep = 1.0 - shared / len(evidence)
    return not _passes_with(stage, f, keep)


def _passes_with(stage: Stage2, f: Found, keep: float) -> bool:
    """Whether a test of ``f`` still passes with only ``keep`` of its evidence."""
    rule = stage.rule
    if f.adopt_w >= 0:
        n, s, r, _, _, _ = _tests_at(stage, f.aid, f.adopt_w, keep)
        if s >= rule.surprise and n >= rule.min_adopters and r >= rule.min_ratio:
            return True
    if f.push_w >= 0:
        _, _, _, a, s, r = _tests_at(stage, f.aid, f.push_w, keep)
        if s >= rule.surprise and a >= rule.min_accelerated and r >= rule.min_ratio:
            return True
    if f.both_w >= 0:
        n, s_a, r_a, a, s_p, r_p = _tests_at(stage, f.aid, f.both_w, keep)
        usable = min(r_a, r_p) >= rule.min_ratio and min(s_a, s_p) >= RECENT_STRENGTH
        joint = float(combined(np.array([s_a]), np.array([s_p]))[0])
        if usable and joint >= rule.surprise and n + a >= rule.min_adopters:
            return True
    return False


def _tests_at(
    stage: Stage2, aid: int, window: int, keep: float
) -> tuple[float, float, float, float, float, float]:
    """Both tests of one aggregate on one window with only ``keep`` of its evidence: (adopters,
    strength, ratio) of adoption, then (accelerated, strength, ratio) of push."""
    sig = stage.signals
    mwin, mbase = sig.market_windows(stage.market_names)
    mid = int(stage.agg.mid[aid])
    w = sig.win[window, :, aid]
    n, a = float(w[ADOPT]) * keep, float(w[ACCEL]) * keep

    def one(x: float) -> np.ndarray:
        return np.array([x], dtype=np.float64)

    s_a, r_a = adoption(
        one(n), one(float(sig.base[ADOPT, aid])), one(float(mwin[window, mid, T_POSTED])),
        one(float(mbase[mid, T_POSTED])),
    )  # fmt: skip
    s_p, r_p = push(
        one(a), one(float(w[ELIG])), one(float(mwin[window, mid, T_ACCEL])),
        one(float(mwin[window, mid, T_ELIG])),
    )  # fmt: skip
    return n, float(s_a[0]), float(r_a[0]), a, float(s_p[0]), float(r_p[0])


def _support(stage: Stage2, aid: int, since_ms: int) -> int:
    """Distinct videos of the aggregate seen since ``since_ms``."""
    ent = stage.agg.entity[aid]
    assert ent is not None
    mid = int(stage.agg.mid[aid])
    last = stage.seen.last_ms
    count = 0
    for vid in ent.members:
        v = stage.videos.get(vid)
        if v is not None and (mid == 0 or v.mid == mid) and last[v.idx] >= since_ms:
            count += 1
    return count


def _spike(stage: Stage2, f: Found, b: int) -> Spike:
    rule = stage.rule
    sig = stage.signals
    aid = f.aid
    ent = stage.agg.entity[aid]
    assert ent is not None
    bucket_ms = stage.bucket_ms
    start = b * bucket_ms
    end = start + bucket_ms
    market = stage.market_names[int(stage.agg.mid[aid])]
    window = f.window
    length = rule.windows[window]
    hours = length * bucket_ms / HOUR_MS
    plays = float(sig.win[window, PLAYS, aid]) / hours
    weight = float(sig.baseline_weight(np.array([stage.agg.first[aid] // bucket_ms]))[0])
    usual = float(sig.base[PLAYS, aid]) / weight * stage.bph if weight > 0 else 0.0
    adopt: Ints = sig.win[max(f.adopt_w, 0), :, aid]
    pushed: Ints = sig.win[max(f.push_w, 0), :, aid]
    posted, was_pushed = f.adopt_w >= 0, f.push_w >= 0
    evidence: SpikeEvidence = "both" if posted and was_pushed else "posted" if posted else "pushed"
    window_s = length * bucket_ms // 1000
    return Spike(
        spike_id=f"{ent.key}|{market}|{start}",
        entity=ent.key,
        kind=ent.kind,
        name=ent.label,
        market=market,
        bucket_ms=start,
        detected_ms=end,
        value=round(plays, 1),
        baseline=round(usual, 1),
        mad=0.0,
        z=round(f.strength, 2),
        severity=severity(f.strength, rule.surprise),
        videos=_support(stage, aid, end - length * bucket_ms),
        evidence=evidence,
        accelerating=int(pushed[ACCEL]) if was_pushed else 0,
        window_s=window_s,
        new_videos=int(adopt[POSTED]) if posted else 0,
        new_creators=int(adopt[ADOPT]) if posted else 0,
        posting_ratio=_finite(f.adopt_r) if posted else 0.0,
        out_there=int(pushed[ELIG]) if was_pushed else 0,
        push_ratio=round(f.push_r, 2) if was_pushed else 0.0,
        summary=summary(
            adopt_window_s=rule.windows[max(f.adopt_w, 0)] * bucket_ms // 1000,
            push_window_s=rule.windows[max(f.push_w, 0)] * bucket_ms // 1000,
            new_videos=int(adopt[POSTED]),
            new_creators=int(adopt[ADOPT]),
            posting_ratio=f.adopt_r,
            posted=posted,
            accelerated=int(pushed[ACCEL]),
            out_there=int(pushed[ELIG]),
            push_ratio=f.push_r,
            pushed=was_pushed,
        ),
    )


def _finite(x: float) -> float:
    """A ratio for the record: -1 stands for "none before" (an infinite ratio)."""
    return round(x, 2) if np.isfinite(x) else -1.0
