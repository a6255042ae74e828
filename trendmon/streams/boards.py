"""Ranking boards: rank, rank change and new entries, in the manner of TikTok's Creative Center.

A board is one (kind, market, window). Each time it is recomputed, entities are ranked by score
(ties broken by key, so the order is deterministic); the top ``size`` get ranks 1..size. An
entity is a *new entry* when the board had been computed before and it was not on it; one that
falls off is reported once with rank 0, so that stores can remove it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BoardKey = tuple[str, str, str]
"""(kind, market, window)"""


@dataclass(frozen=True, slots=True)
class Placement:
    key: str
    rank: int
    prev_rank: int | None
    is_new: bool


class Boards:
    """The last ranks of every board, to compute changes."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.last: dict[BoardKey, dict[str, int]] = {}

    def rank(
        self, board: BoardKey, scored: Iterable[tuple[float, str]]
    ) -> tuple[list[Placement], list[tuple[str, int]]]:
        """Rank ``(score, key)`` pairs; return placements and the leavers' previous ranks."""
        top = sorted(scored, key=lambda sk: (-sk[0], sk[1]))[: self.size]
        before = self.last.get(board)
        placements = []
        now: dict[str, int] = {}
        for i, (_, key) in enumerate(top, start=1):
            prev = before.get(key) if before is not None else None
            placements.append(Placement(key, i, prev, before is not None and prev is None))
            now[key] = i
        leavers = [(k, r) for k, r in before.items() if k not in now] if before is not None else []
        self.last[board] = now
        return placements, leavers
