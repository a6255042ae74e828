"""The synthetic world: creators, the entities videos use (hashtags, sounds, effects), and videos.

The world is generated in chunks of ``hours`` simulated hours, each from its own seeded generator,
so a real-time run can go on forever while a fast run of one chunk is byte-for-byte repeatable.
Chunk 0 also holds the videos posted during the ``lifetime_h`` (at most ``hours``) before the
start (the world is already busy when observation begins) and the entities already alive then.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from trendmon.events import Author, Effect, Music
from trendmon.producers.simulator import names
from trendmon.producers.simulator.curves import HOUR, Lifecycle, diurnal, poisson_times, round_count
from trendmon.settings import SimulatorSettings

UTC_OFFSET_H: Final = {
    "US": -5, "CA": -5, "MX": -6, "BR": -3, "GB": 0, "FR": 1, "DE": 1, "ES": 1, "IT": 1, "TR": 3,
    "IN": 5.5, "TH": 7, "VN": 7, "ID": 7, "PH": 8, "JP": 9, "KR": 9, "AU": 10,
}
"""Local time of each market, for the daily rhythm of posting (others default to UTC)."""
GLOBAL_TAGS: Final = (("fyp", 0.35), ("foryou", 0.2), ("viral", 0.12), ("foryoupage", 0.08))
"""Evergreen tags and the share of videos that carry each."""
MAX_RISE_S: Final = 36 * HOUR
MAX_FALL_S: Final = 72 * HOUR
BIRTHS_PER_H: Final = {("hashtag", True): 0.6, ("sound", True): 0.3, ("hashtag", False): 0.2,
                       ("sound", False): 0.2, ("effect", False): 0.1}
"""Organic entities born per hour, by (kind, per market?)."""
PRUNE_AFTER_S: Final = 4 * 24 * HOUR
"""Entities gone this long are dropped from the pools."""
QUANTUM_S: Final = 600
"""Entity popularity is re-read every 10 simulated minutes (it changes over hours)."""


@dataclass(slots=True, eq=False)
class Creator:
    id: str
    unique_id: str
    nickname: str
    market: str
    followers: int
    verified: bool
    activity: float
    """Relative posting frequency."""
    author: Author


@dataclass(slots=True, eq=False)
class Entity:
    """A hashtag, sound or effect with its popularity lifecycle."""

    kind: str
    key: str
    """What the engine keys it by: the hashtag name, the sound id or the effect id."""
    name: str
    market: str
    """The market it lives in; empty for global entities."""
    life: Lifecycle
    music: Music | None = None
    effect: Effect | None = None


@dataclass(slots=True, eq=False)
class Video:
    """A posted video: what every snapshot of it repeats, its curve, and its observation state."""

    index: int
    id: str
    create_time: int
    market: str
    creator: Creator
    hashtags: tuple[str, ...]
    music: Music
    effects: tuple[Effect, ...]
    description: str
    duration: int
    reach: float
    """Expected plays after a few days."""
    tau_s: float
    shape: float
    rates: tuple[float, float, float, float]
    """Expected likes, comments, shares, saves per play."""
    create_dt: datetime = field(init=False)
    grid0: float = 0.0
    """Start of the video's observation grid (``grid0 + k * interval``, plus jitter)."""
    next_obs: int = 0
    seen: int = 0
    frac: float = 0.0
    counts: list[float] = field(default_factory=lambda: [0.0] * 5)
    boost_t: float = math.inf
    """When a planted breakout pushes this (older) video again: from here on a second curve of
    ``boost_reach`` plays adds to its own (``boost_tau``, ``boost_shape``; see :mod:`.observe`)."""
    boost_reach: float = 0.0
    boost_tau: float = 1.0
    boost_shape: float = 1.0
    boost_frac: float = 0.0

    def __post_init__(self) -> None:
        self.create_dt = datetime.fromtimestamp(self.create_time, UTC)


def parse_markets(text: str) -> list[str]:
    markets = [m.strip().upper() for m in text.split(",") if m.strip()]
    return list(dict.fromkeys(markets)) or ["US"]


class World:
    """Creators (made once), entity pools and videos (made chunk by chunk)."""

    def __init__(self, settings: SimulatorSettings, start: int) -> None:
        self.settings = settings
        self.start = start
        self.chunk_s = settings.hours * HOUR
        self.markets = parse_markets(settings.markets)
        raw = [1.0 / math.sqrt(i + 1) for i in range(len(self.markets))]
        self.market_share = {m: w / sum(raw) for m, w in zip(self.markets, raw, strict=True)}
        self.pools: dict[tuple[str, str], list[Entity]] = {}
        self.organic: list[Entity] = []
        self.tag_names: set[str] = {tag for tag, _ in GLOBAL_TAGS}
        for tags in names.MARKET_TAGS.values():
            self.tag_names.update(tags)
        self._ids: set[str] = set()
        self._cache: dict[tuple[str, str], tuple[int, list[Entity], list[float]]] = {}
        self.videos_made = 0
        self.creators: list[Creator] = []
        self.excluded: set[str] = set()
        """Creators posting only through a planted breakout."""
        self._make_creators(random.Random(f"{settings.seed}:creators"))
        self._evergreen(random.Random(f"{settings.seed}:evergreen"))

    # --- creators ------------------------------------------------------------------------------

    def _make_creators(self, rng: random.Random) -> None:
        n = self.settings.creators
        # Rank-size (Zipf) law with noise: a Pareto tail, so a handful of stars hold most
        # followers, whatever the number of creators.
        top = rng.uniform(30e6, 120e6)
        ranks = list(range(1, n + 1))
        rng.shuffle(ranks)
        handles: set[str] = set()
        weights = list(self.market_share.values())
        for rank in ranks:
            followers = max(20, int(top * rank**-1.6 * rng.lognormvariate(0, 0.3)))
            unique_id, nickname = names.handle(rng)
            while unique_id in handles:
                unique_id += str(rng.randrange(10))
            handles.add(unique_id)
            verified = rank <= max(1, n // 50) or followers >= 1_000_000
            shown = round_count(followers) if self.settings.round_counts else followers
            hearts = int(followers * rng.uniform(5, 40))
            author = Author(
                id=self._unique(names.user_id(rng)),
                unique_id=unique_id,
                nickname=nickname,
                verified=verified,
                followers=shown,
                following=rng.randint(5, 2500),
                hearts=round_count(hearts) if self.settings.round_counts else hearts,
                videos=rng.randint(10, 3000),
            )
            self.creators.append(
                Creator(
                    id=author.id, unique_id=unique_id, nickname=nickname,
                    market=rng.choices(self.markets, weights)[0], followers=followers,
                    verified=verified, activity=rng.lognormvariate(0, 0.7), author=author,
                )
            )
        self._index_creators()

    def _index_creators(self) -> None:
        self._by_market: dict[tuple[str, bool], tuple[list[Creator], list[float]]] = {}
        ranked = sorted(self.creators, key=lambda c: (-c.followers, c.id))
        stars = {c.id for c in ranked[: max(1, len(ranked) // 5)]}
        for market in self.markets:
            members = [
                c for c in self.creators if c.market == market and c.id not in self.excluded
            ] or [c for c in self.creators if c.id not in self.excluded] or self.creators
            for ordinary in (False, True):
                chosen = [c for c in members if c.id not in stars] if ordinary else members
                chosen = chosen or members
                cum, total = [], 0.0
                for creator in chosen:
                    total += creator.activity
                    cum.append(total)
                self._by_market[(market, ordinary)] = (chosen, cum)

    def exclude_creator(self, creator: Creator) -> None:
        self.excluded.add(creator.id)
        self._index_creators()

    # --- entities ------------------------------------------------------------------------------

    def _unique(self, ident: str) -> str:
        while ident in self._ids:
            ident = str(int(ident) + 1)
        self._ids.add(ident)
        return ident

    def new_tag_name(self, rng: random.Random) -> str:
        name = names.hashtag(rng)
        tries = 0
        while name in self.tag_names:
            tries += 1
            # A digit suffix only once the vocabulary is crowded, as real tags get them.
            name = names.hashtag(rng) + (str(rng.randrange(10)) if tries > 8 else "")
        self.tag_names.add(name)
        return name

    def new_sound(self, rng: random.Random, born: float) -> Music:
        title, artist = names.song_title(rng)
        return Music(
            id=self._unique(names.timed_id(rng, max(0, int(born)))), title=title,
            author_name=artist,
        )

    def _add(self, entity: Entity) -> None:
        self.pools.setdefault((entity.kind, entity.market), []).append(entity)

    def make_entity(self, rng: random.Random, kind: str, market: str, life: Lifecycle) -> Entity:
        if kind == "hashtag":
            name = self.new_tag_name(rng)
            return Entity(kind, name, name, market, life)
        if kind == "sound":
            music = self.new_sound(rng, life.born if life.floor == 0 else self.start - 400 * HOUR)
            return Entity(kind, music.id, music.title, market, life, music=music)
        effect = Effect(id=self._unique(str(rng.randrange(100_000, 999_999))),
                        name=names.effect_name(rng))
        return Entity(kind, effect.id, effect.name, market, life, effect=effect)

    def _evergreen(self, rng: random.Random) -> None:
        """Entities that are always in use: big topic tags, catalogue sounds, common effects."""
        for topic in ("dance", "comedy", "recipe", "outfit", "pets", "gaming", "travel"):
            self.tag_names.add(topic)
            self._add(Entity("hashtag", topic, topic, "", Lifecycle(0, 1, 1, 0, rng.uniform(2, 6))))
        for market in [*self.markets, ""]:
            for _ in range(6):
                self._add(self.make_entity(rng, "sound", market,
                                           Lifecycle(0, 1, 1, 0, rng.uniform(0.5, 3))))
        for _ in range(8):
            self._add(self.make_entity(rng, "effect", "", Lifecycle(0, 1, 1, 0, rng.uniform(1, 4))))

    def grow_entities(self, rng: random.Random, lo: float, hi: float) -> None:
        """Organic entities whose popularity peaks in [lo, hi)."""
        scopes = [(m, True) for m in self.markets] + [("", False)]
        for market, local in scopes:
            for (kind, is_local), rate in BIRTHS_PER_H.items():
                if is_local != local:
                    continue
                for peak in poisson_times(rng, lo, hi, lambda _t: 1.0, rate / HOUR):
                    life = Lifecycle(
                        peak=peak,
                        rise_s=rng.uniform(12 * HOUR, MAX_RISE_S),
                        fall_s=rng.uniform(18 * HOUR, MAX_FALL_S),
                        amplitude=min(200.0, rng.paretovariate(1.3)),
                    )
                    entity = self.make_entity(rng, kind, market, life)
                    self._add(entity)
                    self.organic.append(entity)

    def pick(self, rng: random.Random, kind: str, market: str, t: float) -> Entity | None:
        """An entity for a new video, drawn by current popularity."""
        quantum = int(t // QUANTUM_S)
        cached = self._cache.get((kind, market))
        if cached is None or cached[0] != quantum:
            now = quantum * QUANTUM_S
            alive: list[Entity] = []
            cum: list[float] = []
            total = 0.0
            for scope in (market, ""):
                pool = self.pools.get((kind, scope), [])
                # Videos are made in time order (but for a planted take-off running past its
                # chunk's end, by at most a few days), so what was gone days ago stays gone.
                pool[:] = [e for e in pool if e.life.gone >= now - PRUNE_AFTER_S]
                for entity in pool:
                    if entity.life.born <= now:
                        total += entity.life.popularity(now)
                        alive.append(entity)
                        cum.append(total)
            cached = (quantum, alive, cum)
            self._cache[(kind, market)] = cached
        _, alive, cum = cached
        if not alive:
            return None
        return alive[bisect.bisect_right(cum, rng.random() * cum[-1], hi=len(cum) - 1)]

    # --- videos --------------------------------------------------------------------------------

    def organic_post_times(self, rng: random.Random, lo: float, hi: float) -> list[tuple[int, str]]:
        """When organic videos are posted in each market: Poisson with a daily rhythm."""
        per_s = self.settings.videos / self.chunk_s
        posts: list[tuple[int, str]] = []
        for market in self.markets:
            rate = per_s * self.market_share[market]
            offset = UTC_OFFSET_H.get(market, 0)

            amp = self.settings.daily_rhythm

            def rate_at(
                t: float, rate: float = rate, offset: float = offset, amp: float = amp
            ) -> float:
                return rate * diurnal(t, offset, amp)

            times = poisson_times(rng, lo, hi, rate_at, rate * (1.0 + amp))
            posts.extend((t, market) for t in times)
        return posts

    def make_video(
        self,
        rng: random.Random,
        t: int,
        market: str,
        *,
        creator: Creator | None = None,
        tag: str | None = None,
        sound: Music | None = None,
        reach_mult: float = 1.0,
        fast: bool = False,
        niche: bool = False,
    ) -> Video:
        """One new video posted at ``t``; a planted breakout forces its tag, sound or creator.

        A ``niche`` video is posted by a creator outside the top 20% by followers.
        """
        if creator is None:
            members, cum = self._by_market[(market, niche)]
            creator = members[bisect.bisect_right(cum, rng.random() * cum[-1], hi=len(cum) - 1)]
        tags = [name for name, share in GLOBAL_TAGS if rng.random() < share]
        tags += [name for name in names.MARKET_TAGS.get(market, ()) if rng.random() < 0.06]
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            entity = self.pick(rng, "hashtag", market, t)
            if entity is not None:
                tags.append(entity.key)
        if tag is not None:
            tags.insert(rng.randrange(len(tags) + 1), tag)
        tags = list(dict.fromkeys(tags))
        if sound is None:
            picked = None if rng.random() < 0.3 else self.pick(rng, "sound", market, t)
            if picked is not None and picked.music is not None:
                sound = picked.music
            else:
                sound = Music(id=self._unique(names.timed_id(rng, t)),
                              title=f"original sound - {creator.unique_id}",
                              author_name=creator.nickname, original=True)
        effects: list[Effect] = []
        if rng.random() < 0.2:
            picked = self.pick(rng, "effect", market, t)
            if picked is not None and picked.effect is not None:
                effects.append(picked.effect)
        reach = (400 + 0.08 * creator.followers) * rng.lognormvariate(0, 0.9) * reach_mult
        # A boosted video (pushed by a breakout) peaks after about two hours instead of five.
        tau = rng.lognormvariate(math.log(4 * HOUR if fast else 10 * HOUR), 0.3)
        viral = 1.5 if fast else 1.0
        rates = (
            min(0.3, 0.07 * rng.lognormvariate(0, 0.4)),
            min(0.05, 0.0025 * rng.lognormvariate(0, 0.6)),
            min(0.05, 0.003 * viral * rng.lognormvariate(0, 0.7)),
            min(0.08, 0.006 * rng.lognormvariate(0, 0.6)),
        )
        index = self.videos_made
        self.videos_made += 1
        return Video(
            index=index, id=self._unique(names.timed_id(rng, t)), create_time=t, market=market,
            creator=creator, hashtags=tuple(tags), music=sound, effects=tuple(effects),
            description=names.caption(rng, tags),
            duration=max(5, min(600, int(rng.lognormvariate(math.log(25), 0.7)))),
            reach=reach, tau_s=tau, shape=rng.uniform(1.5, 2.0) if fast else rng.uniform(1.6, 2.4),
            rates=rates,
        )
