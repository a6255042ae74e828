"""Which export a file is, told by its content, and reading a set of files as one export.

:func:`read_exports` takes ``(name, bytes)`` pairs: CSV and XLSX tables, Studio's section ZIPs
(and any ZIP of them), "Download your data" JSON and its ZIP. Each table is matched by its
headers against :data:`FORMATS` (the most specific match wins: a Business Suite overview also
has Studio's columns). Files of one call are one export: a Content file's video ids and a
ZIP's name tell the year that ``April 12`` lacks, and the last day of FollowerHistory dates the
undated gender and territory snapshots, so the files are read posts first, snapshots last.

    >>> exports = read_exports([("Overview.csv", data)], today=date(2026, 3, 1))  # doctest: +SKIP
    >>> exports[0].format, exports[0].days[-1]                                    # doctest: +SKIP
    ('studio-overview', Day(date='2026-02-27', views=..., ...))
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Final

from trendmon.creator import business, studio, text
from trendmon.creator.records import Export
from trendmon.creator.tables import Context, TableFormat, read_table
from trendmon.creator.takeout import read_takeout
from trendmon.creator.xlsx import is_xlsx, xlsx_rows
from trendmon.errors import ExportFormatError

FORMATS: Final[tuple[TableFormat, ...]] = tuple(
    sorted((*studio.FORMATS, *business.FORMATS), key=lambda f: -len(f.columns))
)
"""Every table format, most columns first."""
KNOWN: Final = (
    "TikTok Studio or Business Suite analytics (CSV, XLSX or their ZIP) or the JSON of "
    "'Download your data'; docs/account.md lists them"
)
_OVERVIEW_ZIP: Final = re.compile(r"Overview_(\d{4}-\d{2}-\d{2})_(\d{9,11})_(.+)\.zip$", re.I)
_SECTION_ZIP: Final = re.compile(r"(?:Overview|Followers|Content|Viewers)_(.+)\.zip$", re.I)
_ORDER: Final = {"posts": 0, "json": 0, "days": 1, "activity": 1, "gender": 2, "territories": 2}


@dataclass
class _Table:
    source: str
    fmt: TableFormat | None
    header: list[str]
    rows: Iterator[tuple[int, list[str]]] | None
    data: bytes = b""
    zip_ctx: Context | None = None


def detect_table(header: Sequence[str]) -> TableFormat | None:
    """The format whose headers these are (None: no export of ours)."""
    names = [text.normalize_header(h) for h in header]
    return next((f for f in FORMATS if f.matches(names)), None)


def read_exports(
    files: Sequence[tuple[str, bytes]],
    *,
    today: date | None = None,
    exported: date | None = None,
) -> list[Export]:
    """Every table of the files, read as one export (see the module's docstring).

    ``exported`` is the day the export was made when the user knows it (the files' own dates
    win where they have them); ``today`` bounds the year of dates that have none.
    """
    today = today or datetime.now(UTC).date()
    base = Context(today=today, exported=exported)
    tables: list[_Table] = []
    for name, data in files:
        tables.extend(_tables(name, data, base))
    tables.sort(key=lambda t: _ORDER[t.fmt.kind if t.fmt else "json"])
    out: list[Export] = []
    learned: date | None = exported
    for table in tables:
        ctx = table.zip_ctx or base
        if learned is not None and ctx.exported is None:
            ctx = replace(ctx, exported=learned)
        if table.fmt is None:
            result = read_takeout(table.data, table.source, ctx)
        else:
            assert table.rows is not None
            result = read_table(table.fmt, table.header, table.rows, table.source, ctx)
        if ctx.account and not result.account:
            result.account = ctx.account
        if exported is None and table.fmt is not None and table.fmt.kind in ("posts", "days"):
            day = date.fromisoformat(result.exported)
            learned = max(learned, day) if learned else day
        out.append(result)
    return out


def _tables(name: str, data: bytes, ctx: Context) -> Iterator[_Table]:
    if data[:4] == b"PK\x03\x04":
        if is_xlsx(data):
            yield _first(name, xlsx_rows(data, name), ctx)
            return
        yield from _archive(name, data, ctx)
        return
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        yield _Table(name, None, [], None, data=data, zip_ctx=ctx)
        return
    yield _first(name, text.csv_rows(text.decode(data, name)), ctx)


def _first(source: str, rows: Iterator[tuple[int, list[str]]], ctx: Context) -> _Table:
    try:
        line, header = next(rows)
    except StopIteration:
        raise ExportFormatError("is empty", source, fix=f"import one of: {KNOWN}") from None
    except (ValueError, UnicodeError) as exc:
        raise ExportFormatError(f"cannot be read as CSV ({exc})", source, 1,
                                f"import one of: {KNOWN}") from None  # fmt: skip
    fmt = detect_table(header)
    if fmt is None:
        shown = ", ".join(repr(h.strip()[:30]) for h in header[:6])
        raise ExportFormatError(
            f"the header ({shown}) is not one of TikTok's analytics exports", source, line,
            f"import one of: {KNOWN}",
        )  # fmt: skip
    return _Table(source, fmt, header, rows, zip_ctx=ctx)


def _archive(name: str, data: bytes, ctx: Context) -> Iterator[_Table]:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if m := _OVERVIEW_ZIP.match(base):
        end = datetime.fromtimestamp(int(m[2]), UTC).date()
        ctx = replace(ctx, first_day=date.fromisoformat(m[1]), account=m[3],
                      exported=ctx.exported or end + timedelta(days=1))  # fmt: skip
    elif m := _SECTION_ZIP.match(base):
        ctx = replace(ctx, account=m[1])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ExportFormatError(f"is a broken ZIP ({exc})", name,
                                fix="download the export again") from None  # fmt: skip
    found = False
    with archive:
        for info in archive.infolist():
            entry = info.filename.rsplit("/", 1)[-1]
            if info.is_dir() or entry.startswith((".", "__MACOSX")):
                continue
            if not entry.lower().endswith((".csv", ".xlsx", ".json", ".zip")):
                continue
            found = True
            yield from _tables(f"{name}!{info.filename}", archive.read(info), ctx)
    if not found:
        raise ExportFormatError("holds no CSV, XLSX or JSON file", name,
                                fix=f"import one of: {KNOWN}")  # fmt: skip
