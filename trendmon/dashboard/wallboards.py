"""The wall's boards as fixed grids of cells, so that updates change text, never elements.

Under Dash 4 a callback that returns new ``children`` remounts every child (the renderer keys
each new child afresh), which would rebuild the boards' elements on every change. So each board
is a fixed set of rows laid out once (:func:`skeleton`), each cell a component with an id
``{"w": board, "f": field, "i": row}``, and a refresh sets only those cells' properties
(:data:`PROPS`, through pattern-matching outputs): the elements stay, their text changes.

A :class:`Row` holds one row's values; :func:`video_rows`, :func:`entity_rows`,
:func:`spike_rows` and :func:`next_rows` make them from the data module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final

from dash import html

from trendmon.dashboard import formatting as fmt
from trendmon.dashboard.components import entity_label, spark_style
from trendmon.dashboard.data import DashboardData

BOARDS: Final = ("videos", "hashtags", "sounds", "creators", "spikes", "next")
DEFAULT_BOARDS: Final = BOARDS[:5]
"""What a wall shows unless its URL or kiosk link names boards: the forecasts' board (``next``)
is asked for, since the runtimes score forecasts only when told to (docs/forecasts.md)."""
SPARK_BINS: Final = 24
NEW_FOR_MS: Final = 10 * 60_000
"""How long a video that entered the board keeps its NEW badge (wall time)."""
SPIKE_NEW_MS: Final = 30 * 60_000
"""A spike detected this recently (event time, before the watermark) is marked NEW."""
PROPS: Final = (
    ("row", "className"),
    ("rank", "children"),
    ("move", "children"),
    ("move", "className"),
    ("name", "children"),
    ("name", "title"),
    ("sub", "children"),
    ("spark", "style"),
    ("value", "children"),
)
"""The (field, property) pairs a refresh sets, in the order of the callback's outputs."""


@dataclass(frozen=True)
class Row:
    """One row of a board; ``name`` and ``sub`` may hold untrusted text (shown as text)."""

    rank: str = ""
    move: str = ""
    move_class: str = "same"
    name: str = ""
    name_full: str = ""
    sub: str = ""
    spark: tuple[float, ...] = ()
    value: str = ""
    row_class: str = ""

    def prop(self, field: str, prop: str) -> Any:
        """The value of one cell property (see :data:`PROPS`)."""
        if field == "row":
            return f"w-row {self.row_class}".strip() if self.name else "w-row blank"
        if field == "move":
            return self.move if prop == "children" else f"w-move {self.move_class}"
        if field == "name":
            return self.name if prop == "children" else self.name_full
        if field == "spark":
            return spark_style(self.spark)
        value: str = getattr(self, field)
        return value


def cell_id(board: str, field: str, i: int) -> dict[str, Any]:
    return {"w": board, "f": field, "i": i}


def skeleton(board: str, rows: list[Row], n: int) -> list[html.Div]:
    """The board's ``n`` rows as components, filled with ``rows`` (blank past their end)."""
    padded = rows[:n] + [Row() for _ in range(n - len(rows))]
    out = []
    for i, row in enumerate(padded):
        out.append(
            html.Div(
                [
                    html.Span(row.rank, id=cell_id(board, "rank", i), className="w-rank"),
                    html.Span(row.move, id=cell_id(board, "move", i),
                              className=row.prop("move", "className")),
                    html.Div(
                        [
                            html.Span(row.name, id=cell_id(board, "name", i),
                                      className="w-name ut", dir="auto", title=row.name_full),
                            html.Span(row.sub, id=cell_id(board, "sub", i),
                                      className="w-sub ut", dir="auto"),
                        ],
                        className="w-label",
                    ),
                    html.Div(id=cell_id(board, "spark", i), className="w-spark",
                             style=spark_style(row.spark)),
                    html.Span(row.value, id=cell_id(board, "value", i), className="w-value"),
                ],
                id=cell_id(board, "row", i),
                className=row.prop("row", "className"),
            )
        )  # fmt: skip
    return out


def values(rows: list[Row], n: int) -> list[list[Any]]:
    """The refresh's outputs for one board: a list per (field, property) of :data:`PROPS`."""
    padded = rows[:n] + [Row() for _ in range(n - len(rows))]
    return [[row.prop(field, prop) for row in padded] for field, prop in PROPS]


def _now_ms() -> int:
    return int(time.time() * 1000)


def remember(
    memory: dict[str, Any] | None, key: str, ids: list[str], now_ms: int
) -> dict[str, Any]:
    """Update the memory of a videos board with its new order.

    A video's arrow shows its last move (kept until it moves again); a video that enters after
    the first render of this view is marked as entered now. A new view starts afresh.

    >>> m = remember(None, "all|24h", ["a", "b"], 0)
    >>> m = remember(m, "all|24h", ["b", "a", "c"], 5)
    >>> m["moves"]["b"], m["moves"]["a"], m["entered"]["c"]
    (['▲1', 'up'], ['▼1', 'down'], 5)
    """
    ranks = {v: i + 1 for i, v in enumerate(ids)}
    if not memory or memory.get("key") != key:
        return {"key": key, "ranks": ranks, "moves": {}, "entered": {}}
    before, moves, entered = memory["ranks"], dict(memory["moves"]), dict(memory["entered"])
    for vid, rank in ranks.items():
        was = before.get(vid)
        if was is None:
            entered[vid] = now_ms
            moves.pop(vid, None)
        elif rank != was:
            moves[vid] = list(fmt.rank_change(rank, was, False))
    return {
        "key": key,
        "ranks": ranks,
        "moves": {v: m for v, m in moves.items() if v in ranks},
        "entered": {v: t for v, t in entered.items() if v in ranks},
    }


def video_rows(
    data: DashboardData, view: dict[str, str], n: int, memory: dict[str, Any] | None
) -> tuple[list[Row], dict[str, Any]]:
    """Top videos by velocity, and the memory of ranks that gives arrows and NEW badges."""
    market, window = view["market"], view["window"]
    board = data.video_board("velocity", market, window, n)["rows"]
    now = _now_ms()
    memory = remember(memory, f"{market}|{window}", [c["video_id"] for c in board], now)
    rows = []
    for card in board:
        vid = card["video_id"]
        move, cls = memory["moves"].get(vid, ("–", "same"))
        if now - memory["entered"].get(vid, -NEW_FOR_MS) < NEW_FOR_MS:
            move, cls = "NEW", "new"
        author = card.get("author") or card.get("author_id") or ""
        description = card.get("description") or f"video {vid}"
        rows.append(
            Row(
                rank=str(card["rank"]),
                move=move,
                move_class=cls,
                name=fmt.clean_text(description, 70),
                name_full=fmt.clean_text(description, 300),
                sub=fmt.clean_text(f"@{author} · {fmt.compact(card.get('plays'))} plays", 60),
                spark=tuple(data.sparkline("video", vid, market, window, SPARK_BINS)),
                value=fmt.rate(card.get("velocity")),
            )
        )
    return rows, memory


def entity_rows(data: DashboardData, kind: str, view: dict[str, str], n: int) -> list[Row]:
    """Top entities of a kind by trend score, with the engine's rank moves and new entries."""
    market, window = view["market"], view["window"]
    rows = []
    for card in data.entity_board(kind, market, window, n):
        move, cls = fmt.rank_change(
            card.get("rank"), card.get("prev_rank"), bool(card.get("is_new"))
        )
        parts = [str(card.get("stage") or "")]
        if card.get("growth") is not None:
            parts.append(fmt.growth(card["growth"]))
        if card.get("velocity") is not None:
            parts.append(fmt.rate(card["velocity"]))
        label = entity_label(kind, card.get("name"))
        rows.append(
            Row(
                rank=str(card.get("rank") or ""),
                move=move,
                move_class=cls,
                name=fmt.clean_text(label, 40),
                name_full=fmt.clean_text(label, 200),
                sub=" · ".join(p for p in parts if p),
                spark=tuple(data.sparkline(kind, card["entity"], market, window, SPARK_BINS)),
                value=fmt.compact(card.get("score")),
            )
        )
    return rows


def spike_rows(data: DashboardData, view: dict[str, str], n: int) -> list[Row]:
    """The newest spikes in the market (every market's for ``all``)."""
    watermark = data.freshness()["watermark_ms"] or 0
    market = None if view["market"] == "all" else view["market"]
    rows = []
    for spike in data.latest_spikes(n, market=market):
        recent = watermark - spike["detected_ms"] < SPIKE_NEW_MS
        ratio = spike["value"] / spike["baseline"] if spike.get("baseline") else None
        label = entity_label(spike["kind"], spike["name"])
        rows.append(
            Row(
                move="NEW" if recent else "",
                move_class="new" if recent else "same",
                name=fmt.clean_text(label, 40),
                name_full=fmt.clean_text(label, 200),
                sub=f"{spike['severity']} · {spike['kind']} · {spike['market']} · "
                f"{fmt.event_time(spike['detected_ms'], with_date=False)} UTC",
                value=f"×{ratio:.1f}" if ratio else fmt.rate(spike["value"]),
                row_class=f"sev-{spike['severity']}",
            )
        )
    return rows


def next_rows(data: DashboardData, view: dict[str, str], n: int) -> list[Row]:
    """Hashtags and sounds not in their top 20 now, most likely to enter it within 6 hours (the
    latest hour's forecasts), with the backtested hit rate at that chance."""
    rows = []
    for i, r in enumerate(data.next_up(view["market"], n), 1):
        label = entity_label(r["kind"], r["name"])
        hit = r.get("backtest_hit_rate")
        parts = [r["kind"], r["method"]]
        if hit is not None:
            parts.append(f"backtest: {fmt.percent(hit, 0)} made it")
        rows.append(
            Row(
                rank=str(i),
                name=fmt.clean_text(label, 40),
                name_full=fmt.clean_text(label, 200),
                sub=" · ".join(parts),
                value=fmt.percent(r["p_top20"], 0),
            )
        )
    return rows


def read_boards(
    data: DashboardData,
    view: dict[str, str],
    which: set[str],
    n: int,
    memory: dict[str, Any] | None,
) -> tuple[dict[str, list[Row]], dict[str, Any] | None]:
    """Rows of the boards in ``which`` for a view, and the updated videos memory."""
    boards: dict[str, list[Row]] = {}
    if "videos" in which:
        boards["videos"], memory = video_rows(data, view, n, memory)
    for name in ("hashtags", "sounds", "creators"):
        if name in which:
            boards[name] = entity_rows(data, name[:-1], view, n)
    if "spikes" in which:
        boards["spikes"] = spike_rows(data, view, n)
    if "next" in which:
        boards["next"] = next_rows(data, view, n)
    return boards, memory
