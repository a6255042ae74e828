"""Names and ids of the synthetic world: 19-digit ids, handles, hashtags, sound titles, captions.

Ids are shaped like TikTok's: a video or sound id is its creation time in seconds shifted left by
32 bits plus 32 random bits (so ``int(id) >> 32`` is ``createTime``, as on TikTok), which makes
them 19 digits long for any date after 2004. User ids are random 19-digit numbers in the range
TikTok's own user ids fall in. All of them come from the caller's seeded generator.
"""

from __future__ import annotations

import hashlib
import random
from typing import Final

_WORDS = (
    "luna sunny pixel mango cosmo velvet echo river nova berry maple frost ember coral jade ocean "
    "blaze willow cedar storm sage indie retro neon cozy tiny wild lazy happy crispy golden silver "
    "midnight summer autumn winter spring cloud sugar lemon peach cherry honey cocoa matcha chai "
    "latte vanilla biscuit noodle dumpling taco pizza ramen sushi bagel waffle pancake kitty puppy "
    "bunny panda tiger fox owl koala otter dino dragon robot alien ghost wizard pirate ninja"
)
WORDS: Final = tuple(_WORDS.split())
"""Syllables for handles and invented hashtags (lowercase ASCII, so names are already canonical)."""

_TOPICS = (
    "dance challenge recipe outfit makeup skincare workout prank transition lipsync comedy "
    "storytime haul unboxing tutorial hack diy garden travel roadtrip camping fishing gaming "
    "speedrun cosplay anime karaoke cover remix duet pov grwm ootd mukbang asmr booktok "
    "petsoftiktok learnontiktok science history art painting pottery knitting skate surf"
)
TOPICS: Final = tuple(_TOPICS.split())

MARKET_TAGS: Final[dict[str, tuple[str, ...]]] = {
    "US": ("usa", "america", "nyc", "texas", "california"),
    "GB": ("uk", "london", "british", "fyp_uk", "manchester"),
    "DE": ("fürdich", "deutschland", "berlin", "fy_de", "lustig"),
    "BR": ("viralizou", "brasil", "humor", "paravocê", "saopaulo"),
    "JP": ("おすすめ", "バズれ", "日本", "東京", "fypシ"),
    "FR": ("pourtoi", "france", "paris", "humour", "fyp_fr"),
}
"""Evergreen local hashtags (TikTok markets use their own 'for you' tags, some not in Latin)."""

CAPTIONS: Final = (
    "wait for it",
    "this took me 3 hours",
    "part 2 because you asked",
    "POV: you finally tried it",
    "no way this worked",
    "rate it 1-10",
    "the ending though",
    "tell me I'm not the only one",
    "day {n} of trying this",
    "saving this for later",
    "ok but why is this so satisfying",
    "my mom's reaction",
)
EMOJI: Final = ("✨", "😂", "🔥", "💀", "🥹", "😭", "🎶", "💅", "👀", "🌙", "🍜", "🐶")


def timed_id(rng: random.Random, seconds: int) -> str:
    """A 19-digit id whose top bits are the creation time, as TikTok video and sound ids are."""
    return str((seconds << 32) | rng.getrandbits(32))


def user_id(rng: random.Random) -> str:
    """A 19-digit user id in the range of real TikTok user ids (6.7e18 to 7.4e18)."""
    return str(rng.randrange(6_700_000_000_000_000_000, 7_400_000_000_000_000_000))


def stable_digits(text: str, digits: int = 19) -> str:
    """Deterministic numeric id derived from a name (hashtag and effect ids)."""
    value = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    low = 10 ** (digits - 1)
    return str(low + value % (9 * low))


def handle(rng: random.Random) -> tuple[str, str]:
    """A creator's ``(unique_id, nickname)``."""
    first, second = rng.choice(WORDS), rng.choice(WORDS)
    style = rng.random()
    if style < 0.4:
        unique = f"{first}{second}{rng.randrange(10, 999)}"
    elif style < 0.7:
        unique = f"{first}.{second}"
    else:
        unique = f"the{first}{second}"
    return unique, f"{first.title()} {second.title()}"


def hashtag(rng: random.Random) -> str:
    """An invented hashtag (already canonical: lowercase, no ``#``)."""
    shape = rng.random()
    if shape < 0.45:
        return f"{rng.choice(WORDS)}{rng.choice(TOPICS)}"
    if shape < 0.8:
        return f"{rng.choice(TOPICS)}{rng.choice(WORDS)}"
    return f"{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(TOPICS)}"


def song_title(rng: random.Random) -> tuple[str, str]:
    """A licensed sound's ``(title, artist)``."""
    title = " ".join(rng.choice(WORDS).title() for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.3:
        title += rng.choice((" (Sped Up)", " (Slowed)", " - Remix", " (TikTok Version)"))
    artist = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}"
    return title, artist


def effect_name(rng: random.Random) -> str:
    return f"{rng.choice(WORDS).title()} {rng.choice(('Glow', 'Filter', 'Zoom', 'Face', 'Blur'))}"


def caption(rng: random.Random, tags: list[str]) -> str:
    """A description: a short phrase, maybe an emoji, then the hashtags."""
    text = rng.choice(CAPTIONS).replace("{n}", str(rng.randint(2, 99)))
    if rng.random() < 0.6:
        text += " " + rng.choice(EMOJI)
    if tags:
        text += " " + " ".join(f"#{tag}" for tag in tags)
    return text
