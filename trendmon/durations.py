"""Durations as people write them (``90s``, ``10m``, ``1.5h``, ``7d``, ``2w``): the one parser.

Settings (engine windows, spike windows, scrape intervals), target files and the live store's
windows all read durations through :func:`parse_duration`, so that they accept the same forms:
a number (whole or decimal, never negative) followed by an optional unit ``s``, ``m``, ``h``,
``d`` or ``w`` in either case; spaces around it and between number and unit are ignored, and a
bare number is seconds. Whether zero or a fraction is acceptable is the caller's rule.
"""

from __future__ import annotations

import re
from typing import Final

from trendmon.errors import ConfigError

UNIT_S: Final = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DURATION: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
PATTERN: Final = _DURATION.pattern


class DurationError(ConfigError, ValueError):
    """Text that is not a duration. A :class:`ValueError` too, so that validators (pydantic's,
    the target file's) report it as the invalid value it is."""


def parse_duration(text: str) -> float:
    """Seconds in ``text``; :class:`DurationError` naming it and the forms to use otherwise.

    >>> parse_duration("10m"), parse_duration("1.5h"), parse_duration("90")
    (600.0, 5400.0, 90.0)
    """
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise DurationError(
            f"{text!r} is not a duration: write a number and a unit, like 90s, 10m, 1.5h, 7d or "
            "2w (s, m, h, d, w; a bare number is seconds)"
        )
    return float(match.group(1)) * UNIT_S[match.group(2).lower()]


def duration_ms(text: str) -> int:
    """Milliseconds in ``text`` (rounded to the nearest one).

    >>> duration_ms("7d")
    604800000
    """
    return round(parse_duration(text) * 1000)


def whole_seconds(text: str) -> int:
    """Seconds in ``text``, rounded down to a whole second (the engine counts in seconds).

    >>> whole_seconds("5m")
    300
    """
    return duration_ms(text) // 1000
