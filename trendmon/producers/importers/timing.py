"""When each imported record was collected: its own time, the page's, the flag's, or the file's.

Event time drives every score, so a record is never given the import's wall-clock time: without
a time of its own it takes ``--collected-at``, and only then the file's modification time, which
the import summary then points out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from trendmon.events import utc
from trendmon.producers.itemstruct import BadItem

RECORD_TIME_KEYS = ("_collected_at", "collected_at", "collectedAt")
"""Keys of a record's own collection time (``_collected_at`` is what trendmon's captures add)."""


class Clock:
    """Picks each record's collection time; counts the records that fell back to the file's."""

    def __init__(
        self,
        given: datetime | None,
        file_time: datetime | None,
        page_time: Callable[[], Any],
        notes: list[str],
    ) -> None:
        self.given = utc(given) if given is not None else None
        self.file_time = utc(file_time) if file_time is not None else None
        self.page_time = page_time
        self.notes = notes
        self.from_file = 0
        self._cache: tuple[Any, datetime] | None = None

    def when(self, record: dict[str, Any]) -> datetime:
        """The collection time of one record; raises :class:`BadItem` when none can be found."""
        raw = None
        for key in RECORD_TIME_KEYS:
            raw = record.get(key)
            if raw is not None:
                break
        if raw is None:
            page = self.page_time()
            if page is not None:
                return self._parse(page, "extra.now", millis=True)
            if self.given is not None:
                return self.given
            if self.file_time is not None:
                self.from_file += 1
                return self.file_time
            raise BadItem(
                "no collection time",
                "the record has no collection time: pass --collected-at",
                "$._collected_at",
            )
        return self._parse(raw, "$._collected_at")

    def _parse(self, raw: Any, field: str, millis: bool = False) -> datetime:
        # Records of one capture share their time: parse each distinct value once.
        cached = self._cache
        if cached is not None and cached[0] == raw:
            return cached[1]
        try:
            value = raw / 1000 if millis and isinstance(raw, int | float) else raw
            parsed = utc(value)
        except (TypeError, ValueError, OverflowError, OSError):
            raise BadItem(
                "invalid time", f"{field} is {str(raw)[:40]!r}, not a time", field
            ) from None
        self._cache = (raw, parsed)
        return parsed

    def finish(self) -> None:
        """Add the note about records that took the file's modification time."""
        if self.from_file and self.file_time is not None:
            self.notes.append(
                f"{self.from_file} record{'s' if self.from_file != 1 else ''} had no collection "
                "time: used the file's modification "
                f"time {self.file_time.isoformat()} (pass --collected-at to set it)"
            )
