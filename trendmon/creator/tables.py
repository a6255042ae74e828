"""Reading one table (CSV text or an XLSX sheet) of a known format into an :class:`Export`.

A :class:`TableFormat` says which headers identify the table and which field each column fills;
:func:`read_table` turns the rows into days, posts, a distribution or hourly activity. What a
file cannot say by itself (the year of ``April 12``, the date of an undated snapshot) comes from
the :class:`Context`: the ZIP's name, a sibling file of the same export, or the export day the
user gives, else the rule that an export's last day is the day before it was made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final, Literal

from trendmon.creator import text
from trendmon.creator.records import Activity, Day, Export, Post, Share
from trendmon.creator.territories import territory_code
from trendmon.errors import ExportFormatError

Kind = Literal["days", "posts", "gender", "territories", "activity"]
_LINK: Final = re.compile(r"https?://(?:www\.)?tiktok\.com/@([^/?#\s]+)/(?:video|photo)/(\d+)")
DATE_FIX: Final = (
    "TikTok writes dates like 2026-02-27, 2025/10/31, 27/2/2026 or February 27; "
    "correct the cell or export the file again"
)


@dataclass(frozen=True)
class TableFormat:
    name: str
    kind: Kind
    columns: Mapping[str, str]
    """Normalized header -> field; every one of them must be present."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Localized header -> the English one."""

    def matches(self, headers: Iterable[str]) -> bool:
        have = {self.aliases.get(h, h) for h in headers}
        return set(self.columns) <= have


@dataclass(frozen=True)
class Context:
    """What the files around a table tell about it."""

    today: date
    """The day of the import: the latest an export can have been made."""
    exported: date | None = None
    """The day the export was made, when known (``--exported``, the ZIP name, a sibling)."""
    first_day: date | None = None
    """The first day of the period (Studio's Overview ZIP name)."""
    account: str | None = None

    @property
    def reference(self) -> date:
        return self.exported or self.today


def read_table(
    fmt: TableFormat, header: Sequence[str], rows: Iterable[tuple[int, list[str]]],
    source: str, ctx: Context,
) -> Export:  # fmt: skip
    """The records of one table whose header ``fmt`` matched."""
    names = [fmt.aliases.get(h, h) for h in (text.normalize_header(c) for c in header)]
    index = {fmt.columns[n]: i for i, n in enumerate(names) if n in fmt.columns}
    reader = {
        "days": _days,
        "posts": _posts,
        "activity": _activity,
        "gender": _shares,
        "territories": _shares,
    }[fmt.kind]
    return reader(fmt, index, len(names), list(rows), source, ctx)


def _cell(fields: list[str], index: Mapping[str, int], key: str) -> str:
    i = index.get(key)
    return fields[i] if i is not None and i < len(fields) else ""


def _count(cell: str, column: str, line: int, source: str) -> int | None:
    try:
        return text.count(cell)
    except ValueError:
        raise ExportFormatError(
            f"{cell[:40]!r} in column {column!r} is not a number",
            source,
            line,
            "TikTok writes counts like 1591 (or undefined for no data); correct the cell",
        ) from None


def _dates(
    cells: list[tuple[int, str]], source: str, ctx: Context, *, after_last: bool
) -> list[date]:
    """Dates of ascending rows; year-less ones placed by the context."""
    first = text.day_first([c for _, c in cells])
    parsed: list[date | text.MonthDay] = []
    for line, cell in cells:
        try:
            value = text.parse_date(cell, first)
        except ValueError:
            value = None
        if value is None:
            raise ExportFormatError(f"{cell[:40]!r} is not a date", source, line, DATE_FIX)
        parsed.append(value)
    if ctx.first_day is not None and parsed and not isinstance(parsed[0], date):
        out: list[date] = []
        prev = ctx.first_day - timedelta(days=1)
        for item in parsed:
            if isinstance(item, date):
                when = item
            else:
                when = text.safe_date(prev.year, *item)
                if when <= prev:
                    when = text.safe_date(prev.year + 1, *item)
            out.append(when)
            prev = when
        return out
    last = ctx.reference - timedelta(days=1) if after_last else ctx.reference
    return text.place_years(parsed, last)


def _days(
    fmt: TableFormat, index: Mapping[str, int], width: int, rows: list[tuple[int, list[str]]],
    source: str, ctx: Context,
) -> Export:  # fmt: skip
    columns = {v: k for k, v in fmt.columns.items()}
    dates = _dates([(ln, _cell(f, index, "date")) for ln, f in rows], source, ctx,
                   after_last=True)  # fmt: skip
    days: list[Day] = []
    missing = 0
    for (line, fields), when in zip(rows, dates, strict=True):
        values: dict[str, int] = {}
        for key in index:
            if key == "date":
                continue
            value = _count(_cell(fields, index, key), columns[key], line, source)
            if value is None:
                missing += 1
            else:
                values[key] = value
        days.append(Day(date=when.isoformat(), **values))  # type: ignore[arg-type]
    exported = (dates[-1] + timedelta(days=1)) if dates else ctx.reference
    notes = [f"{missing} cells without data (undefined, NAN, --) kept as missing"] * bool(missing)
    return Export(source=source, format=fmt.name, exported=exported.isoformat(), days=days,
                  notes=notes)  # fmt: skip


def _activity(
    fmt: TableFormat, index: Mapping[str, int], width: int, rows: list[tuple[int, list[str]]],
    source: str, ctx: Context,
) -> Export:  # fmt: skip
    dates = _dates([(ln, _cell(f, index, "date")) for ln, f in rows], source, ctx,
                   after_last=False)  # fmt: skip
    raw: list[tuple[date, int, int]] = []
    for (line, fields), when in zip(rows, dates, strict=True):
        hour = _count(_cell(fields, index, "hour"), "Hour", line, source)
        active = _count(_cell(fields, index, "active"), "Active followers", line, source)
        if hour is None or active is None:
            continue
        raw.append((when, hour, active))
    notes: list[str] = []
    hours = {h for _, h, _ in raw}
    if hours and (24 in hours or (0 not in hours and min(hours) == 1)):
        raw = [(d, h - 1, a) for d, h, a in raw]  # legacy files count hours 1-24
        notes.append("hours 1-24 read as 0-23")
    if not all(0 <= h <= 23 for _, h, _ in raw):
        raise ExportFormatError(
            "has an hour outside 0-23", source, fix="the Hour column must count 0-23 or 1-24"
        )
    if raw:
        # The export's own day is cut at the time of export: its trailing zeros are not
        # measured yet, not quiet hours.
        last = max(d for d, _, _ in raw)
        tail = sorted((h, a) for d, h, a in raw if d == last)
        cut = len(tail)
        while cut and tail[cut - 1][1] == 0:
            cut -= 1
        dropped = {h for h, _ in tail[cut:]}
        if dropped:
            raw = [(d, h, a) for d, h, a in raw if not (d == last and h in dropped)]
            notes.append(f"{len(dropped)} hours of {last} not measured yet (trailing zeros)")
    activity = [Activity(d.isoformat(), h, a) for d, h, a in raw]
    exported = dates[-1] if dates else ctx.reference
    return Export(source=source, format=fmt.name, exported=exported.isoformat(),
                  activity=activity, notes=notes)  # fmt: skip


def _shares(
    fmt: TableFormat, index: Mapping[str, int], width: int, rows: list[tuple[int, list[str]]],
    source: str, ctx: Context,
) -> Export:  # fmt: skip
    section = "gender" if fmt.kind == "gender" else "territory"
    audience: list[Share] = []
    for line, fields in rows:
        key = _cell(fields, index, "key").strip()
        cell = _cell(fields, index, "share")
        try:
            value = text.share(cell)
        except ValueError:
            raise ExportFormatError(
                f"{cell[:40]!r} is not a share", source, line,
                "TikTok writes shares like 0.59 or 62%; correct the cell",
            ) from None  # fmt: skip
        if value is None or not key:
            continue
        if section == "territory":
            key = territory_code(key)
        audience.append(Share(section, key, value))
    notes = [] if rows else ["no rows: TikTok leaves this out under about 100 followers"]
    return Export(source=source, format=fmt.name, exported=ctx.reference.isoformat(),
                  audience=audience, notes=notes)  # fmt: skip


def _posts(
    fmt: TableFormat, index: Mapping[str, int], width: int, rows: list[tuple[int, list[str]]],
    source: str, ctx: Context,
) -> Export:  # fmt: skip
    columns = {v: k for k, v in fmt.columns.items()}
    link_at = index["url"]
    posts: list[Post] = []
    handles: set[str] = set()
    export_cells: list[tuple[int, str]] = []
    notes: list[str] = []
    for line, fields in rows:
        if len(fields) != width:
            fields = _realign(fields, width, link_at, index.get("caption"), line, source)
            notes.append(f"line {line}: caption quoting broken, columns re-anchored on the link")
        url = _cell(fields, index, "url").strip()
        match = _LINK.search(url)
        video_id = match[2] if match else None
        if match:
            handles.add(match[1])
        counts = {
            key: _count(_cell(fields, index, key), columns[key], line, source)
            for key in ("views", "likes", "comments", "shares", "saves", "views_recent")
            if key in index
        }
        posted_cell = _cell(fields, index, "posted")
        id_time = text.video_time(video_id) if video_id else None
        cell_time = text.parse_time(posted_cell)
        when = id_time or cell_time
        posted_date = _posted_date(posted_cell, when)
        if "exported" in index:
            export_cells.append((line, _cell(fields, index, "exported")))
        posted_at = text.iso_time(when) if when else None
        posts.append(Post(
            key=video_id or f"at:{posted_at or posted_date}",
            video_id=video_id,
            url=url or None,
            caption=_cell(fields, index, "caption"),
            posted_at=posted_at,
            posted_date=posted_date,
            **{k: v for k, v in counts.items() if v is not None},  # type: ignore[arg-type]
        ))  # fmt: skip
    exported = _export_day(export_cells, posts, source, ctx)
    return Export(source=source, format=fmt.name, exported=exported.isoformat(), posts=posts,
                  account=next(iter(handles)) if len(handles) == 1 else None,
                  notes=notes)  # fmt: skip


def _realign(
    fields: list[str], width: int, link_at: int, caption_at: int | None, line: int, source: str
) -> list[str]:
    """A row whose caption broke the quoting, anchored on the video link column."""
    at = next((i for i, f in enumerate(fields) if _LINK.search(f)), None)
    after = width - link_at - 1
    if at is None or caption_at is None or len(fields) - at - 1 != after or at < link_at:
        raise ExportFormatError(
            f"has {len(fields)} fields where the header has {width}", source, line,
            "quote the caption cell or export the file again from TikTok Studio",
        )  # fmt: skip
    caption = ",".join(fields[caption_at : at - (link_at - caption_at - 1)])
    before = fields[:caption_at]
    middle = fields[at - (link_at - caption_at - 1) : at]
    return [*before, caption, *middle, *fields[at:]]


def _posted_date(cell: str, when: object) -> str | None:
    try:
        value = text.parse_date(cell)
    except ValueError:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if value is None or when is None:
        return None
    # The file gives the account's local day, the id the UTC time: the nearest such day.
    from datetime import datetime

    assert isinstance(when, datetime)
    ref = when.date()
    best = min(
        (text.place_years([value], date(y, 12, 31))[0] for y in (ref.year - 1, ref.year,
                                                                  ref.year + 1)),
        key=lambda d: abs((d - ref).days),
    )  # fmt: skip
    return best.isoformat()


def _export_day(
    cells: list[tuple[int, str]], posts: list[Post], source: str, ctx: Context
) -> date:
    if not cells:
        return ctx.reference
    line, cell = cells[0]
    value = text.parse_date(cell)
    if value is None:
        raise ExportFormatError(f"{cell[:40]!r} is not a date", source, line, DATE_FIX)
    if isinstance(value, date):
        return value
    newest = max((p.posted_at[:10] for p in posts if p.posted_at), default=None)
    if newest is None:
        return text.place_years([value], ctx.reference)[0]
    floor = date.fromisoformat(newest)
    when = text.place_years([value], date(floor.year, 12, 31))[0]
    return when if when >= floor else text.place_years([value], date(floor.year + 1, 12, 31))[0]
