"""Reading the cells of an export: text, headers, numbers, shares and dates in every vintage.

TikTok's exports are inconsistent (see ``shared/data/account-analytics/FORMATS.md``): dates
come as ``2021-01-15``, ``2025/10/31``, ``20/6/2022`` (an Excel re-save), ``April 12`` (no
year), ``8 de marzo`` or ``9月13日`` (the interface's language under English headers); numbers
may carry ``undefined``, ``NAN`` or ``--`` for "no data"; shares come as ``62%``, ``62`` or
``0.62``. Everything here is a pure function of its text.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Final

from trendmon.errors import ExportFormatError

MISSING: Final = frozenset({"", "undefined", "nan", "--", "-", "n/a", "null", "none"})
"""Cells that mean "no data", never zero."""

MONTHS: Final[dict[str, int]] = {}
_NAMES = {
    # English, Spanish, Portuguese, French, German, Italian, Russian (genitive), Swedish
    "en": "january february march april may june july august september october november december",
    "en3": "jan feb mar apr may jun jul aug sep oct nov dec",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
    "dezembro",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
}
for _words in _NAMES.values():
    for _n, _w in enumerate(_words.split(), start=1):
        MONTHS.setdefault(_w, _n)
MONTHS["setiembre"] = 9
_VI_MONTHS: Final = {
    w: n
    for n, w in enumerate(
        ["một", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một",
         "mười hai"],
        start=1,
    )
}  # fmt: skip

_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_CJK = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日")
_VI_DATE = re.compile(r"(\d{1,2}) tháng (\d{1,2}|[^\d]+)")
_WORDS = re.compile(r"[^\W\d_]+\.?")

MonthDay = tuple[int, int]
"""A date without its year: (month, day)."""


def normalize_header(name: str) -> str:
    """A header as the detector compares it: NFKC (the NBSP of ``Total shares\\u00a0`` goes),
    casefolded, whitespace collapsed and trimmed.

    >>> normalize_header("\\ufeffTotal shares\\u00a0"), normalize_header(" New  followers")
    ('total shares', 'new followers')
    """
    text = unicodedata.normalize("NFKC", name).replace("\ufeff", "")
    return " ".join(text.casefold().split())


def decode(data: bytes, source: str) -> str:
    """The text of a file: UTF-8 (with or without BOM), else Windows-1252 (an Excel re-save)."""
    if b"\x00" in data[:4096]:
        raise ExportFormatError(
            "is a binary file, not a CSV, XLSX, ZIP or JSON export",
            source,
            fix="export the analytics from TikTok Studio as CSV or XLSX and import that file",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-empty record; quoting and line ends detected (quoted or
    not, LF or CRLF, comma or semicolon as Excel writes it in some locales)."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for fields in reader:
        if any(f.strip() for f in fields):
            yield line, fields
        line = reader.line_num + 1


def count(text: str) -> int | None:
    """A count, or None for a missing value; separators and ``K``/``M`` suffixes read.

    >>> count("1591"), count("-7"), count("undefined"), count("5,431"), count("1.2K")
    (1591, -7, None, 5431, 1200)
    """
    try:
        return int(text)  # the common case: a plain integer
    except ValueError:
        pass
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if t.casefold() in MISSING:
        return None
    scale = 1
    if t[-1:] in ("K", "k", "M", "m"):
        scale = 1000 if t[-1] in "Kk" else 1_000_000
        t = t[:-1]
        return round(float(t.replace(",", ".")) * scale)
    if re.fullmatch(r"-?\d{1,3}([.,]\d{3})+", t):
        t = t.replace(",", "").replace(".", "")
    try:
        return int(t)
    except ValueError:
        return round(float(t))


def share(text: str) -> float | None:
    """A fraction 0-1 from ``"62%"``, ``"62"`` or ``"0.62"``.

    >>> share("62%"), share("0.59"), share("52"), share("0"), share("--")
    (0.62, 0.59, 0.52, 0.0, None)
    """
    t = text.strip().replace(",", ".")
    if t.casefold() in MISSING:
        return None
    if t.endswith("%"):
        return round(float(t[:-1]) / 100, 6)
    value = float(t)
    return round(value / 100, 6) if value > 1 else value


def _month(word: str) -> int | None:
    return MONTHS.get(word.casefold().rstrip("."))


def parse_date(text: str, day_first: bool = True) -> date | MonthDay | None:
    """A full date, or (month, day) when the cell has no year, or None when it is no date.

    >>> parse_date("2021-01-15"), parse_date("2025/10/31 18:19:10"), parse_date("20/6/2022")
    (datetime.date(2021, 1, 15), datetime.date(2025, 10, 31), datetime.date(2022, 6, 20))
    >>> parse_date("April 12"), parse_date("8 de marzo"), parse_date("9月13日")
    ((4, 12), (3, 8), (9, 13))
    """
    t = unicodedata.normalize("NFKC", text).strip()
    if m := _ISO.match(t):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY.match(t):
        a, b = int(m[1]), int(m[2])
        d, mo = (a, b) if day_first else (b, a)
        return date(int(m[3]), mo, d)
    if m := _CJK.fullmatch(t):
        md = (int(m[2]), int(m[3]))
        return date(int(m[1]), *md) if m[1] else md
    if m := _VI_DATE.fullmatch(t.casefold()):
        vi_month = int(m[2]) if m[2].isdigit() else _VI_MONTHS.get(m[2].strip())
        return None if vi_month is None else (vi_month, int(m[1]))
    words = _WORDS.findall(t)
    numbers = re.findall(r"\d+", t)
    months = [n for w in words if (n := _month(w)) is not None]
    if len(months) != 1 or not numbers or len(numbers) > 2:
        return None
    day_n = int(numbers[0])
    year = next((int(n) for n in numbers if len(n) == 4), None)
    if year is not None and len(numbers) == 2:
        day_n = int(next(n for n in numbers if len(n) != 4))
    if year is not None:
        return date(year, months[0], day_n)
    return months[0], day_n


def day_first(cells: Sequence[str]) -> bool:
    """Whether ``D/M/YYYY`` cells put the day first: yes unless some cell needs M/D."""
    for cell in cells:
        if m := _DMY.match(cell.strip()):
            if int(m[1]) > 12:
                return True
            if int(m[2]) > 12:
                return False
    return True


def parse_time(text: str) -> datetime | None:
    """A ``YYYY-MM-DD HH:MM[:SS]`` (or ``/``) cell as UTC; None when it has no clock time."""
    m = _ISO.match(text.strip())
    if not m or m[4] is None:
        return None
    return datetime(
        int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0), tzinfo=UTC
    )


def place_years(days: Sequence[date | MonthDay], last: date) -> list[date]:
    """Dates for ascending rows without a year, the last row on or before ``last``: a 365-day
    file crosses New Year (``December 31`` then ``January 1``), so years count back.

    >>> place_years([(12, 31), (1, 1)], date(2026, 2, 1))
    [datetime.date(2025, 12, 31), datetime.date(2026, 1, 1)]
    """
    out: list[date] = []
    later: date | None = None
    previous: date | MonthDay | None = None
    for item in reversed(days):
        if isinstance(item, date):
            when = item
        elif item == previous and later is not None:
            when = later  # several rows of one day (hourly activity)
        else:
            limit = later - timedelta(days=1) if later is not None else last
            when = safe_date(limit.year, *item)
            if when > limit:
                when = safe_date(limit.year - 1, *item)
        out.append(when)
        later, previous = when, item
    out.reverse()
    return out


def safe_date(year: int, month: int, day_n: int) -> date:
    if month == 2 and day_n == 29:
        while True:
            try:
                return date(year, 2, 29)
            except ValueError:
                year -= 1
    return date(year, month, day_n)


def video_time(video_id: str) -> datetime | None:
    """The upload time a TikTok video id carries (``id >> 32`` = Unix seconds, UTC).

    >>> video_time("7531345990947851551")
    datetime.datetime(2025, 7, 26, 11, 8, 54, tzinfo=datetime.timezone.utc)
    """
    if not video_id.isdigit():
        return None
    seconds = int(video_id) >> 32
    if seconds < 1_400_000_000:  # before TikTok: not an id of this kind
        return None
    return datetime.fromtimestamp(seconds, UTC)


def iso_time(when: datetime) -> str:
    w = when.astimezone(UTC)
    return f"{w.year:04d}-{w.month:02d}-{w.day:02d}T{w.hour:02d}:{w.minute:02d}:{w.second:02d}Z"
