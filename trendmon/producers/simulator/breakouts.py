"""Planted breakouts and the ground truth they are scored against.

A planted breakout is an entity (a hashtag, a sound or a creator) with a modest, realistic
baseline — about 2% of its market's videos (at least one every two hours) for a tag or sound, a
video every four hours for a creator — until its ``onset``. At the onset it takes off sharply
(:class:`~trendmon.producers.simulator.curves.Surge`, ramp of one to three minutes): the
entity's videos already out there are pushed again (a second, fast play curve of 0.5-1.5 times
``reach_mult - 1`` their reach, starting within the ramp, so their plays per hour jump several
times from the very next snapshot), and new videos arrive at 1-2 times the market's organic rate
(at least 10 an hour; creators: their own rate x10-15, with a boosted video at the onset), with
reach x2-4 on a faster curve. The boost holds for 1-3 hours and fades over 1-3 more. Planted
entities are kept out of organic picking, so nothing but the planted process uses them, and the
onset in the truth file is exactly the moment the take-off starts.

The truth file (``--truth FILE``) is one JSON document::

    {"version": 1, "seed": 7, "start": "2026-01-05T00:00:00Z", "end": "...", "interval_s": 300,
     "markets": ["US", "GB"],
     "breakouts": [{"planted": true, "kind": "hashtag", "id": "lunadance", "name": "lunadance",
                    "market": "US", "onset": "2026-01-05T16:41:07Z", "rate_mult": 7.3,
                    "reach_mult": 2.1, "baseline_videos_per_h": 0.55, "ramp_s": 540, ...},
                   {"planted": false, "kind": "sound", "id": "7456...", "name": "...",
                    "market": "", "onset": "...", "peak": "...", ...}]}

``id`` is what the engine keys the entity by: the hashtag's canonical name, the sound id, the
creator's author id. Unplanted entries are the biggest organic lifecycles peaking inside the run
rising or peaking within the run (their rise takes a day or more, never a few intervals); an
evaluator should neither count them as misses nor their detections as false alarms.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson

from trendmon.producers.simulator.curves import HOUR, Lifecycle, Surge
from trendmon.producers.simulator.world import Creator, Entity, World

KINDS: Final = ("hashtag", "sound", "creator")
MECHANISMS: Final = ("both", "adoption", "push")
PACES: Final = ("sudden", "slow")
BASELINE_SHARE: Final = 0.02
"""A planted tag or sound is used by this share of its market's videos before the onset..."""
MIN_BASELINE_PER_H: Final = 0.5
"""...but by at least this many videos an hour, so that a small world has a baseline too."""
PEAK_MARKET_SHARE: Final = (1.0, 2.0)
"""At its height a planted tag or sound gets this many times its market's organic videos an
hour (the simulated market is a small sample of TikTok's: a breakout is many creators at once)..."""
MIN_PEAK_PER_H: Final = 10.0
"""...and at least this many new videos an hour."""
CREATOR_BASELINE_PER_H: Final = 1 / 4


@dataclass(slots=True, eq=False)
class Breakout:
    kind: str
    market: str
    surge: Surge
    base_per_h: float
    """Videos an hour before the onset (times the daily rhythm)."""
    entity: Entity | None = None
    creator: Creator | None = None
    mechanism: str = "both"
    """``adoption``: creators post with it; ``push``: its videos out there are shown again."""
    pace: str = "sudden"
    spread_from: str = ""
    """The market it took off in first, when this is its spread to a second one."""

    @property
    def posts_more(self) -> bool:
        return self.mechanism in ("both", "adoption")

    @property
    def pushes(self) -> bool:
        return self.mechanism in ("both", "push")

    @property
    def key(self) -> str:
        if self.creator is not None:
            return self.creator.id
        assert self.entity is not None
        return self.entity.key

    @property
    def name(self) -> str:
        if self.creator is not None:
            return self.creator.unique_id
        assert self.entity is not None
        return self.entity.name

    def truth(self) -> dict[str, Any]:
        s = self.surge
        return {
            "planted": True,
            "kind": self.kind,
            "id": self.key,
            "name": self.name,
            "market": self.market,
            "mechanism": self.mechanism,
            "pace": self.pace,
            "spread_from": self.spread_from,
            "onset": iso(s.onset),
            "baseline_videos_per_h": round(self.base_per_h, 3),
            "rate_mult": round(s.rate_mult, 3),
            "reach_mult": round(s.reach_mult, 3),
            "ramp_s": round(s.ramp_s),
            "hold_s": round(s.hold_s),
            "decay_s": round(s.decay_s),
        }


def parse_kinds(
    text: str, allowed: tuple[str, ...] = KINDS, what: str = "breakout kind"
) -> list[str]:
    kinds = [k.strip().lower() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in allowed]
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r}: use {', '.join(allowed)}")
    return kinds or [allowed[0]]


def plan(world: World, rng: random.Random, chunk: int) -> list[Breakout]:
    """The breakouts of one chunk: onsets spread over its middle; markets, kinds, mechanisms
    and paces in turn; a share of them spreading to a second market hours later."""
    settings = world.settings
    n = settings.breakouts
    kinds = parse_kinds(settings.breakout_kinds)
    mechanisms = parse_kinds(settings.breakout_mechanisms, MECHANISMS, "breakout mechanism")
    paces = parse_kinds(settings.breakout_paces, PACES, "breakout pace")
    lo = world.start + chunk * world.chunk_s
    planted: list[Breakout] = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        market = world.markets[(i + chunk) % len(world.markets)]
        mechanism = "both" if kind == "creator" else mechanisms[(i // len(kinds)) % len(mechanisms)]
        pace = paces[(i // max(1, len(kinds) * len(mechanisms)) + i) % len(paces)]
        # Onsets between breakout_lead (30% by default) and 85% of the chunk leave the engine
        # hours of baseline first.
        lead = settings.breakout_lead
        onset = int(lo + world.chunk_s * (lead + (0.85 - lead) * (i + rng.uniform(0.1, 0.9)) / n))
        surge, base = _surge(world, rng, kind, market, onset, pace, mechanism)
        breakout = Breakout(kind, market, surge, base, mechanism=mechanism, pace=pace)
        if kind == "creator":
            breakout.creator = _quiet_creator(world, rng, market)
            world.exclude_creator(breakout.creator)
        else:
            # A floor keeps it alive; it never enters the organic pools.
            breakout.entity = world.make_entity(rng, kind, market, Lifecycle(0, 1, 1, 0, 1.0))
        planted.append(breakout)
        others = [m for m in world.markets if m != market]
        spread = kind != "creator" and others and rng.random() < settings.breakout_spread
        later = onset + int(rng.uniform(2, 6) * HOUR)
        # Like every onset, the spread's is within the chunk's first 85% (not after the run).
        if spread and later <= lo + 0.85 * world.chunk_s:
            second = others[rng.randrange(len(others))]
            surge2, base2 = _surge(world, rng, kind, second, later, pace, mechanism)
            planted.append(
                Breakout(kind, second, surge2, base2, entity=breakout.entity,
                         mechanism=mechanism, pace=pace, spread_from=market)
            )
    return planted


def _surge(
    world: World, rng: random.Random, kind: str, market: str, onset: int, pace: str,
    mechanism: str,
) -> tuple[Surge, float]:
    """A breakout's boost and its baseline videos an hour."""
    settings = world.settings
    if kind == "creator":
        base = CREATOR_BASELINE_PER_H
        rate_mult, reach_mult = rng.uniform(10, 15), rng.uniform(2, 4)
    else:
        market_per_h = settings.videos / settings.hours * world.market_share[market]
        base = max(MIN_BASELINE_PER_H, BASELINE_SHARE * market_per_h)
        peak = max(MIN_PEAK_PER_H, rng.uniform(*PEAK_MARKET_SHARE) * market_per_h)
        rate_mult = peak / base if mechanism != "push" else 1.0
        reach_mult = rng.uniform(2, 4)
    if pace == "slow":
        # Most of the way in 6 to 12 hours, held for as long again.
        ramp = rng.uniform(2 * HOUR, 4 * HOUR)
        hold = rng.uniform(6 * HOUR, 10 * HOUR)
    else:
        ramp = rng.uniform(60, 180)
        hold = rng.uniform(1 * HOUR, 3 * HOUR)
    surge = Surge(
        onset=onset,
        ramp_s=ramp,
        hold_s=hold,
        decay_s=rng.uniform(1 * HOUR, 3 * HOUR),
        rate_mult=rate_mult,
        reach_mult=reach_mult,
    )
    return surge, base


def _quiet_creator(world: World, rng: random.Random, market: str) -> Creator:
    """A mid-sized creator (between the 40th and 90th follower percentile) of the market."""
    pool = [c for c in world.creators if c.market == market and c.id not in world.excluded]
    pool = pool or [c for c in world.creators if c.id not in world.excluded] or world.creators
    pool.sort(key=lambda c: (c.followers, c.id))
    lo, hi = int(len(pool) * 0.4), max(int(len(pool) * 0.9), int(len(pool) * 0.4) + 1)
    return pool[rng.randrange(lo, min(hi, len(pool)))]


def organic_trends(world: World, start: float, end: float) -> list[dict[str, Any]]:
    """The organic lifecycles rising within [start, end): listed, flagged unplanted.

    Every one, however small: early in its rise an organic entity grows several times within
    a day (its rise is a half Gaussian, so its relative growth is largest at the start), which
    is a take-off by any account, and detecting it is neither a hit nor a false alarm. One
    already past its peak when the run starts is not listed: a spike on it is false.
    """
    rows = []
    for entity in world.organic:
        life = entity.life
        if life.peak - 2 * life.rise_s < end and life.peak > start:
            rows.append(
                {
                    "planted": False,
                    "kind": entity.kind,
                    "id": entity.key,
                    "name": entity.name,
                    "market": entity.market,
                    "onset": iso(life.peak - 2 * life.rise_s),
                    "peak": iso(life.peak),
                    "rise_s": round(life.rise_s),
                    "amplitude": round(life.amplitude, 3),
                }
            )
    return rows


def truth_document(
    world: World, breakouts: list[Breakout], end: float, interval_s: float
) -> dict[str, Any]:
    planted = [b.truth() for b in sorted(breakouts, key=lambda b: (b.surge.onset, b.key))]
    return {
        "version": 1,
        "seed": world.settings.seed,
        "start": iso(world.start),
        "end": iso(end),
        "interval_s": interval_s,
        "markets": world.markets,
        "breakouts": planted + organic_trends(world, world.start, end),
    }


def write_truth(path: Path, document: dict[str, Any]) -> None:
    """Write the truth file atomically (a reader never sees half of it)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    os.replace(tmp, path)


def iso(t: float) -> str:
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
