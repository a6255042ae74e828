"""Ranking boards: rank, rank change and new entries, in the manner of TikTok's Creative Center.

A board is one (kind, market, window). Each time it is recomputed, entities are ranked by score
(ties broken by key, so the order is deterministic); the top ``size`` get ranks 1..size. An
entity is a *new entry* when the board had been computed before and it was not on it; one that
falls off is reported once with rank 0, so that stores can remove it.

:class:`Ranker` turns stage 2's :class:`~trendmon.events.BoardTick` (the candidates of a board,
from one partition or merged from all) into published :class:`~trendmon.events.TrendScore`
entries. Between hourly keyframes an entry is published only when its rank or stage changed, it
is new, or its score moved by more than ``SCORE_TOLERANCE``; the history store rebuilds a past
board from the last keyframe and these changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from trendmon.events import BoardTick, Candidate, TrendScore

SCORE_TOLERANCE = 0.01
"""Between keyframes, a score that moved less than this (relative) is not published again."""

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


class Ranker:
    """Ranks boards from candidates and publishes what changed (see the module docstring)."""

    def __init__(self, size: int) -> None:
        self.boards = Boards(size)
        self.emitted: dict[BoardKey, dict[str, tuple[int, float, str, str]]] = {}
        """Last published (rank, score, stage, name) of every board entry."""

    def publish_ticks(self, ticks: Iterable[BoardTick]) -> list[TrendScore]:
        """Merge the ticks of one window and time (one per partition), then :meth:`publish`."""
        merged: dict[tuple[str, str], list[Candidate]] = {}
        window, at_ms, full = "", 0, False
        for tick in ticks:
            window, at_ms, full = tick.window, tick.at_ms, tick.full
            for board, candidates in tick.boards.items():
                kind, _, market = board.partition("|")
                merged.setdefault((kind, market), []).extend(candidates)
        return self.publish(window, at_ms, full, merged) if window else []

    def publish(
        self,
        window: str,
        at_ms: int,
        full: bool,
        boards: Mapping[tuple[str, str], Iterable[Candidate]],
    ) -> list[TrendScore]:
        """Rank every board of ``window`` (those given, and those that had entries before)."""
        out: list[TrendScore] = []
        keys = set(boards)
        keys.update((kind, market) for kind, market, w in self.boards.last if w == window)
        for kind, market in sorted(keys):
            given = {c.entity: c for c in boards.get((kind, market), ())}
            board_key = (kind, market, window)
            placements, leavers = self.boards.rank(
                board_key, [(c.score, c.entity) for c in given.values()]
            )
            emitted = self.emitted.setdefault(board_key, {})
            for pl in placements:
                c = given[pl.key]
                last = emitted.get(pl.key)
                if (
                    not full
                    and last is not None
                    and last[0] == pl.rank
                    and last[2] == c.stage
                    and abs(c.score - last[1]) <= SCORE_TOLERANCE * last[1]
                ):
                    continue
                emitted[pl.key] = (pl.rank, c.score, c.stage, c.name)
                out.append(
                    TrendScore(
                        entity=pl.key,
                        kind=kind,
                        name=c.name,
                        market=market,
                        window=window,
                        at_ms=at_ms,
                        score=c.score,
                        plays=c.plays,
                        engagements=c.engagements,
                        velocity=c.velocity,
                        growth=c.growth,
                        videos=c.videos,
                        creators=c.creators,
                        stage=c.stage,
                        rank=pl.rank,
                        prev_rank=pl.prev_rank,
                        is_new=pl.is_new,
                    )
                )
            for key, prev_rank in sorted(leavers):
                gone = emitted.pop(key, None)
                out.append(
                    TrendScore(
                        entity=key,
                        kind=kind,
                        name=gone[3] if gone is not None else key.partition(":")[2],
                        market=market,
                        window=window,
                        at_ms=at_ms,
                        score=0.0,
                        plays=0,
                        engagements=0,
                        velocity=0.0,
                        growth=None,
                        videos=0,
                        creators=0,
                        stage="dormant",
                        rank=0,
                        prev_rank=prev_rank,
                        is_new=False,
                    )
                )
        return out
