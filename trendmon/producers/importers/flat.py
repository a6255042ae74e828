"""Flattened TikTok-Api rows: ``video_*``, ``author_*``, ``music_*``, ``stats_*``,
``authorStats_*`` columns, as CSV (``flat-csv``) or as JSON rows (``flat-json``: a list, or an
object keyed ``"0"``, ``"1"``, ... as pandas writes it).

A row is folded back into an itemStruct and mapped by :func:`~trendmon.producers.itemstruct.
parse_item`, so both shapes mean the same. These exports dropped ``challenges`` and ``textExtra``,
so hashtags are read from the description when no structured list survived.
"""

from __future__ import annotations

import ast
import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any, Final

from trendmon.events import VideoSnapshot
from trendmon.log.dead_letters import Rejected
from trendmon.producers.importers.jsonstream import MAX_RECORD, Item
from trendmon.producers.itemstruct import BadItem, hashtags_in, parse_item

CSV: Final = "flat-csv"
JSON: Final = "flat-json"
PREFIXES: Final = frozenset(
    {"video", "author", "music", "stats", "statsV2", "authorStats", "authorStatsV2"}
)
_LISTS: Final = ("challenges", "textExtra", "effectStickers", "contents")

# A description of 10 MB must reach the mapping to be refused with its length, not break csv.
csv.field_size_limit(MAX_RECORD)


def looks_like(record: dict[str, Any]) -> bool:
    """Flattened rows have prefixed column names such as ``stats_playCount``."""
    return any(key.startswith(("stats_", "author_", "authorStats_")) for key in record)


def header_looks_flat(header: list[str]) -> bool:
    """A CSV header of flattened rows."""
    return "stats_playCount" in header or ("video_id" in header and "author_id" in header)


def unflatten(row: dict[str, Any]) -> dict[str, Any]:
    """``{"stats_playCount": 1}`` -> ``{"stats": {"playCount": 1}}``; list columns that a CSV
    writer stored as Python text (``"[{'name': 'Green Screen', 'ID': '263840'}]"``) are read
    back as literals, never evaluated as code."""
    item: dict[str, Any] = {}
    for key, value in row.items():
        if key is None:
            continue
        prefix, sep, rest = key.partition("_")
        if sep and prefix in PREFIXES:
            item.setdefault(prefix, {})[rest] = value
        else:
            item[key] = value
    for key in _LISTS:
        value = item.get(key)
        if type(value) is str and value.startswith("["):
            try:
                item[key] = ast.literal_eval(value)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                raise BadItem(
                    "wrong type", f"${key} is not a readable list: {value[:60]!r}", f"$.{key}"
                ) from None
    return item


def parse(
    record: dict[str, Any], *, collected_at: datetime, source: str, market: str | None = None
) -> VideoSnapshot:
    """Map one flattened row (CSV or JSON) to a snapshot."""
    item = unflatten(record)
    if not item.get("id"):
        video = item.get("video")
        if type(video) is dict and video.get("id"):
            item["id"] = video["id"]
    if not item.get("challenges") and not item.get("textExtra"):
        desc = item.get("desc")
        if type(desc) is str and "#" in desc:
            item["challenges"] = [{"title": tag} for tag in hashtags_in(desc)]
    return parse_item(item, collected_at=collected_at, source=source, market=market)


def read_csv(fp: IO[bytes], progress: list[int]) -> Iterator[Item]:
    """Rows of a CSV file as ``(line, raw, row dict)``; a row with bytes that are not UTF-8 is
    a :class:`Rejected`."""
    text = io.TextIOWrapper(fp, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        yield from _read_rows(csv.reader(text), fp, progress)
    finally:
        text.detach()  # the caller owns fp: closing the wrapper must not close it


def _read_rows(reader: Any, fp: IO[bytes], progress: list[int]) -> Iterator[Item]:
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        header = []
        yield 1, b"", Rejected(reason="invalid CSV", origin="", raw=b"", detail=str(exc))
    for n, row in enumerate(_rows(reader)):
        if n % 256 == 0:
            progress[0] = _tell(fp, progress[0])
        if isinstance(row, Rejected):
            yield reader.line_num, row.raw, row
            continue
        raw = _as_csv(row)
        if any(_has_surrogate(cell) for cell in row):
            raw_bytes = raw.encode("utf-8", "surrogateescape")
            yield reader.line_num, raw_bytes, Rejected(
                reason="invalid UTF-8", origin="", raw=raw_bytes,
                detail="the row holds bytes that are not UTF-8",
            )
            continue
        if len(row) != len(header):
            yield reader.line_num, raw, Rejected(
                reason="wrong column count", origin="", raw=raw,
                detail=f"{len(row)} columns where the header has {len(header)}",
            )
            continue
        yield reader.line_num, raw, dict(zip(header, row, strict=True))
    progress[0] = _tell(fp, progress[0])


def _rows(reader: Any) -> Iterator[list[str] | Rejected]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Rejected(reason="invalid CSV", origin="", raw=b"", detail=str(exc))
            continue
        if row:
            yield row


def _has_surrogate(cell: str) -> bool:
    try:
        cell.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _as_csv(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(row)
    return out.getvalue()


def _tell(fp: IO[bytes], default: int) -> int:
    try:
        return fp.tell()
    except (OSError, ValueError):
        return default
