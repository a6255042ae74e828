"""How numbers, times and untrusted text look on screen: pure functions, no Dash.

Counts TikTok rounds are shown to three significant figures (``1.52M``), never with false
precision; untrusted text (descriptions, names) is cleaned of characters that could reorder or
hide the page around it, then truncated with an ellipsis. It is always rendered as text by the
caller: nothing here produces HTML.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Final

ELLIPSIS: Final = "…"

# Bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069) would reorder the text
# after them; zero-width and other format characters can hide content. Marks (LRM, RLM, ALM)
# are harmless inside an isolated element and kept. Emoji ZWJ (U+200D) is kept too.
_BIDI_CONTROLS: Final = re.compile("[\u202a-\u202e\u2066-\u2069]")
_KEEP_FORMAT: Final = {"\u200d", "\u200e", "\u200f", "\u061c", "\ufe0f", "\ufe0e"}
_LINES: Final = {"\t", "\n", "\r", "\u2028", "\u2029"}


def strip_controls(text: str, *, keep_lines: bool = False) -> str:
    """``text`` without what could reorder or hide the text around it: bidi embeddings,
    overrides and isolates and invisible format characters go, control characters (NUL, ESC,
    ...) become spaces. ``keep_lines`` keeps tabs and line breaks (an export keeps a
    description's lines; the screen shows one).

    >>> strip_controls("a\\x00b\\u202ec\\n"), strip_controls("a\\tb\\n", keep_lines=True)
    ('a bc ', 'a\\tb\\n')
    """
    value = _BIDI_CONTROLS.sub("", text)
    chars: list[str] = []
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp"):
            if not (keep_lines and char in _LINES):
                char = " "
        elif category == "Cf" and char not in _KEEP_FORMAT:
            continue
        chars.append(char)
    return "".join(chars)


def clean_text(text: object, limit: int = 120) -> str:
    """Untrusted text made safe to show as text: one line, no bidi overrides, at most ``limit``
    characters (an ellipsis marks a cut).

    >>> clean_text("<b>hi</b>\\n\\u202eevil", 12)
    '<b>hi</b> e…'
    """
    if text is None:
        return ""
    value = " ".join(strip_controls(str(text)).split())
    if len(value) > limit:
        value = value[: max(limit - 1, 0)].rstrip() + ELLIPSIS
    return value


_UNITS: Final = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def compact(value: float | int | None) -> str:
    """A count in three significant figures with a unit: ``1520000`` -> ``1.52M``.

    >>> compact(1520000), compact(999), compact(12345), compact(None)
    ('1.52M', '999', '12.3K', '–')
    """
    if value is None:
        return "–"
    sign = "-" if value < 0 else ""
    value = abs(value)
    for size, unit in _UNITS:
        if value >= size * 0.9995:
            scaled = value / size
            if scaled >= 999.5 and unit != "T":
                continue
            digits = 0 if scaled >= 100 else 1 if scaled >= 10 else 2
            return f"{sign}{scaled:.{digits}f}{unit}"
    if value >= 100 or float(value).is_integer():
        return f"{sign}{value:,.0f}"
    return f"{sign}{value:.3g}"


def count(value: int | None, rounded: bool = False) -> str:
    """A count for a table: exact with separators, or ``≈1.52M`` when TikTok rounded it."""
    if value is None:
        return "–"
    return f"≈{compact(value)}" if rounded and value >= 10_000 else f"{value:,}"


def rate(value: float | None) -> str:
    """Plays per hour: ``12.3K/h``."""
    return "–" if value is None else f"{compact(value)}/h"


def percent(value: float | None, digits: int = 1) -> str:
    """A share or growth as a percentage: ``0.123`` -> ``12.3%``."""
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def growth(value: float | None) -> str:
    """Growth with a sign: ``+45%``; ``new`` when there is no previous window."""
    if value is None:
        return "new"
    return f"{value * 100:+.0f}%"


def event_time(ms: int | None, with_date: bool = True) -> str:
    """Event time in UTC: ``2026-01-05 06:00 UTC``."""
    if ms is None:
        return "–"
    when = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M")


def duration(seconds: float | None) -> str:
    """A short age: ``45 s``, ``2 min``, ``3 h 5 min``, ``2 d 4 h``.

    >>> duration(125), duration(3 * 3600 + 300)
    ('2 min', '3 h 5 min')
    """
    if seconds is None:
        return "–"
    s = max(int(seconds), 0)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86_400:
        hours, minutes = divmod(s // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(s // 3600, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def rank_change(rank: int | None, prev_rank: int | None, is_new: bool) -> tuple[str, str]:
    """The arrow and its CSS class for a rank move: ``("▲3", "up")``, ``("NEW", "new")``."""
    if is_new or (rank and prev_rank is None):
        return "NEW", "new"
    if not rank or not prev_rank or rank == prev_rank:
        return "–", "same"
    if rank < prev_rank:
        return f"▲{prev_rank - rank}", "up"
    return f"▼{rank - prev_rank}", "down"
