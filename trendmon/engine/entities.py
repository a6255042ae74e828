"""Entity keys: what a video belongs to, and how the engine names it.

A video belongs to each of its hashtags, its sound, its creator and each of its effects. Keys are
``KIND:ID`` strings (``hashtag:dance``, ``sound:7001…``, ``creator:6801…``, ``effect:123``);
labels are what people read (the tag, the sound's title, the creator's @name, the effect's name).
Keys and labels are interned, so that a million videos with the same hashtag hold one string.
"""

from __future__ import annotations

from typing import Final

from trendmon.events import MAX_NAME, VideoSnapshot, normalize_tag

KINDS: Final = ("hashtag", "sound", "creator", "effect")
_canon: dict[str, str] = {}


def intern(text: str) -> str:
    """One shared copy of a string that many states hold."""
    return _canon.setdefault(text, text)


def entities_of(snapshot: VideoSnapshot) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Keys and labels of the entities a snapshot's video belongs to, in a stable order.

    Producers normalise hashtags already; the engine does it again because it cannot trust its
    input: empty names are skipped and long ones cut to ``MAX_NAME``.
    """
    keys: list[str] = []
    labels: list[str] = []
    for raw in snapshot.hashtags:
        tag = normalize_tag(raw)
        if tag:
            key = intern("hashtag:" + tag)
            if key not in keys:
                keys.append(key)
                labels.append(intern(tag))
    music = snapshot.music
    if music is not None and music.id:
        keys.append(intern("sound:" + music.id[:MAX_NAME]))
        labels.append(intern((music.title or music.id)[:MAX_NAME]))
    author = snapshot.author
    keys.append(intern("creator:" + author.id[:MAX_NAME]))
    labels.append(intern("@" + (author.unique_id or author.id)[:MAX_NAME]))
    for effect in snapshot.effects:
        key = intern("effect:" + effect.id[:MAX_NAME])
        if key not in keys:
            keys.append(key)
            labels.append(intern((effect.name or effect.id)[:MAX_NAME]))
    return tuple(keys), tuple(labels)


def kind_of(key: str) -> str:
    """The kind part of an entity key."""
    return key.partition(":")[0]
