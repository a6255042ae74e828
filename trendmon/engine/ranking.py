"""Scores and boards at a close: every aggregate of a window scored in arrays, each board's best
sent to the ranker as a :class:`~trendmon.events.BoardTick` (see :mod:`trendmon.engine.scoring`
for the score and the stages, :mod:`trendmon.engine.boards` for the ranks).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from trendmon.engine.detect import key_of
from trendmon.engine.scoring import MIN_BREADTH, Evidence, stage_of
from trendmon.engine.windows import HOUR_MS, Ints, Window, scatter, zeros
from trendmon.events import BoardTick, Candidate, Stage

if TYPE_CHECKING:
    from trendmon.engine.trends import Stage2


def score(
    stage: Stage2, i: int, w: Window, now_ms: int, *, full: bool
) -> tuple[BoardTick, dict[int, int]]:
    """Score every aggregate of window ``w`` (the ``i``-th): each board's best for the ranker,
    and the take-offs that rose or stopped rising on them (aggregate -> its new ``rose``).

    Only this stage's own top ``board_size`` of every board is sent (a
    :class:`~trendmon.events.BoardTick`): in the distributed runtime each partition sends
    its own and the ranker merges them (:class:`~trendmon.engine.boards.Ranker`).
    """
    agg = stage.agg
    n = agg.n
    plays = agg.win_p[i, :n]
    act = np.flatnonzero((plays > 0) & agg.alive[:n])
    tick: dict[str, list[Candidate]] = {}
    rose: dict[int, int] = {}
    if len(act):
        hours = w.ms / HOUR_MS
        p = plays[act]
        pv = agg.prev_p[i, act]
        had = pv > 0
        rate = p / hours
        ratio = p / np.where(had, pv, 1)
        g = np.where(had, np.clip(ratio, 0.25, 5.0), 2.0)
        creators = np.where(
            agg.kind[act] == stage.creator_kind,
            np.minimum(stage.breadth.videos[i, act], 1),
            stage.breadth.creators[i, act],
        )
        score = np.round(np.sqrt(rate) * g * (1.0 - np.exp(-creators / 3.0)), 3)
        board = agg.kind[act] * len(stage.market_names) + agg.mid[act]
        order = np.lexsort((-score, board))
        board, score, act = board[order], score[order], act[order]
        edges = [0, *(np.flatnonzero(np.diff(board)) + 1).tolist(), len(board)]
        recent = _recent(stage, i, w)
        size = stage.settings.board_size
        boards = []
        for lo, hi in itertools.pairwise(edges):
            end = min(hi, lo + size)
            while end < hi and score[end] == score[end - 1]:
                end += 1  # ties at the cut: the key decides, below
            ties = range(lo, end)
            rows = sorted(ties, key=lambda r: (-score[r], key_of(stage, int(act[r]))))[:size]
            b0 = int(board[lo])
            kind = stage.kind_names[b0 // len(stage.market_names)]
            market = stage.market_names[b0 % len(stage.market_names)]
            boards.append((f"{kind}|{market}", kind, rows))
        for name, kind, rows in sorted(boards):
            tick[name] = [
                _candidate(stage, i, w, kind, int(act[r]), float(score[r]), recent, rose)
                for r in rows
            ]
    board_tick = BoardTick(window=w.name, at_ms=now_ms, full=full, part=stage.part, boards=tick)
    return board_tick, rose


def _candidate(
    stage: Stage2,
    i: int,
    w: Window,
    kind: str,
    aid: int,
    score: float,
    recent: Ints,
    rose: dict[int, int],
) -> Candidate:
    """One board entry; a take-off that rises or stops rising on it is noted in ``rose``."""
    agg = stage.agg
    p = int(agg.win_p[i, aid])
    pv = int(agg.prev_p[i, aid])
    rate = p / (w.ms / HOUR_MS)
    growth = p / pv - 1.0 if pv > 0 else None
    videos = int(stage.breadth.videos[i, aid])
    creators = min(videos, 1) if kind == "creator" else int(stage.breadth.creators[i, aid])
    quarter = max(1, w.units // 4)
    r = int(recent[aid]) / (quarter * w.unit_ms / HOUR_MS)
    lifecycle: Stage = stage_of(rate, r, growth)
    if lifecycle == "emerging" or lifecycle == "rising":
        # Only a would-be hot stage pays for its evidence.
        breadth = videos if kind == "creator" else creators
        lifecycle = stage_of(rate, r, growth, _evidence(stage, aid, w, breadth))
    # A take-off rises once: once it rose and stopped rising on this board, it rises again only
    # with a new take-off (a new spike), not each time its fading tail grows a little.
    # ``rose`` holds the take-off while it rises, and minus it once it stopped.
    take_off = _take_off(stage, aid)
    if take_off:
        was = int(agg.rose[i, aid])
        if lifecycle == "rising" or lifecycle == "emerging":
            if was == -take_off:
                lifecycle = "peaking"
            elif was != take_off:
                rose[aid] = take_off
        elif was == take_off:
            rose[aid] = -take_off
    ent = agg.entity[aid]
    assert ent is not None
    return Candidate(
        entity=ent.key,
        name=ent.label,
        score=score,
        plays=p,
        engagements=int(agg.win_e[i, aid]),
        velocity=round(rate, 1),
        growth=None if growth is None else round(growth, 4),
        videos=videos,
        creators=creators,
        stage=lifecycle,
    )


def _recent(stage: Stage2, i: int, w: Window) -> Ints:
    """Plays over the window's latest quarter (complete units), per aggregate."""
    n = stage.agg.n
    quarter = max(1, w.units // 4)
    total = zeros(n)
    if w.fine:
        for bb in range(stage.closed - quarter + 1, stage.closed + 1):
            total += scatter(n, stage.tables.get(bb), "plays")
        return total
    done = (stage.closed + 1) * stage.bucket_ms // w.unit_ms - 1
    tables = stage.unit_tables[w.unit_ms]
    for k in range(done - quarter + 1, done + 1):
        total += scatter(n, tables.get(k), "plays")
    return total


def _evidence(stage: Stage2, aid: int, w: Window, breadth: int) -> Evidence:
    """What backs a hot stage (see :mod:`trendmon.engine.scoring`), at the last close."""
    b = stage.closed
    units = w.ms // stage.bucket_ms
    watched = stage.first_bucket is not None and b - stage.first_bucket + 1 >= 2 * units
    if breadth < MIN_BREADTH:
        return Evidence(breadth=breadth, watched=watched)  # hot or not, no need to look
    # Taking off (a spike test passed) within the window, in the market (or in any, for an
    # "all" board).
    agg = stage.agg
    hot_end = max(max(int(agg.spike[a]), int(agg.hot[a])) for a in _aggs(stage, aid))
    now_ms = (b + 1) * stage.bucket_ms
    return Evidence(
        breadth=breadth,
        watched=watched,
        spiked=hot_end > now_ms - w.ms,
    )


def _aggs(stage: Stage2, aid: int) -> Iterable[int]:
    """The aggregates whose tests back this one: itself, or every market's for "all"."""
    ent = stage.agg.entity[aid]
    assert ent is not None
    return ent.aggs.values() if stage.agg.mid[aid] == 0 else (aid,)


def _take_off(stage: Stage2, aid: int) -> int:
    """The close of the latest spike behind this aggregate (0: none): its take-off's id."""
    return max(int(stage.agg.spike[a]) for a in _aggs(stage, aid))
