"""File importers: a binary file in, ``(snapshots and rejects, detected format)`` out.

    with open("items.jsonl", "rb") as fp:
        records, fmt = import_file(fp, name="items.jsonl")
        for record in records:          # VideoSnapshot or Rejected, lazily, in constant memory
            ...
        records.position, records.notes

Formats (``--format`` names): ``itemstruct`` (TikTok-Api / web page JSON), ``aweme`` (mobile
feed), ``apify`` (Apify / tiktok-scraper), ``research`` (official Research API), ``flat-csv`` and
``flat-json`` (flattened ``video_*``/``stats_*`` rows), ``tikwm`` (tikwm.com's API; a user's
posts name no author, so ``author=`` names the account). Containers are detected from the first
bytes (JSON Lines, one JSON document, CSV); the format from the first readable record.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import IO, Any, Final

import orjson

from trendmon.errors import ConfigError, FormatError
from trendmon.events import VideoSnapshot
from trendmon.log.dead_letters import Rejected
from trendmon.producers.importers import apify, flat, research, tiktok, tikwm
from trendmon.producers.importers.jsonstream import DocumentReader, Item, read_lines
from trendmon.producers.importers.timing import Clock
from trendmon.producers.itemstruct import BadItem, is_live_or_empty

Parser = Callable[..., VideoSnapshot]


@dataclass(frozen=True)
class Format:
    name: str
    parse: Parser
    looks_like: Callable[[dict[str, Any]], bool]
    help: str
    takes_author: bool = False
    """The parser accepts ``author=`` for records that name none."""


FORMATS: Final = {
    f.name: f
    for f in (
        Format(tiktok.AWEME, tiktok.parse_aweme, tiktok.is_aweme, "mobile feed items (aweme_id)"),
        Format(apify.NAME, apify.parse, apify.looks_like, "Apify / tiktok-scraper (authorMeta)"),
        Format(research.NAME, research.parse, research.looks_like, "TikTok Research API"),
        Format(flat.JSON, flat.parse, flat.looks_like, "flattened rows as JSON (stats_*)"),
        Format(flat.CSV, flat.parse, flat.looks_like, "flattened rows as CSV (stats_*)"),
        Format(tikwm.NAME, tikwm.parse, tikwm.looks_like, "tikwm.com API, user posts (play_count)",
               takes_author=True),
        Format(tiktok.ITEMSTRUCT, tiktok.parse_item, tiktok.is_itemstruct, "TikTok web itemStruct"),
    )
}
"""Every format, in detection order (the most specific first)."""

SNIFF: Final = 1 << 20
"""Most bytes read to find the end of the first line; a JSON Lines file whose first line is
longer is still read, as a sequence of JSON values, by the document reader."""
DETECT_WITHIN: Final = 1000
"""Records read to find one whose format is recognisable before giving up."""


class ImportStream:
    """The records of one file, read lazily: iterate it once.

    ``position`` is the number of bytes consumed so far (for a progress bar), ``size`` the file's
    size when known; ``notes`` says what the reader assumed, complete once iteration ends.
    """

    def __init__(self, records: Iterator[VideoSnapshot | Rejected], progress: list[int],
                 size: int | None, notes: list[str]) -> None:
        self._records = records
        self._progress = progress
        self.size = size
        self.notes = notes

    @property
    def position(self) -> int:
        return self._progress[0]

    def __iter__(self) -> Iterator[VideoSnapshot | Rejected]:
        return self._records


def import_file(
    fp: IO[bytes],
    *,
    name: str = "-",
    format: str | None = None,
    collected_at: datetime | None = None,
    market: str | None = None,
    file_time: datetime | None = None,
    author: str | None = None,
) -> tuple[ImportStream, str]:
    """Read snapshots from an open binary file; return them lazily with the detected format.

    Collection time comes from each record when it has one (``_collected_at``, a page's
    ``extra.now``), else ``collected_at``, else ``file_time`` (the file's modification time; the
    notes then say so). ``author`` is the account (its unique id) of records that name no
    author, as a tikwm user's posts do. Raises :class:`FormatError` for an empty file or an
    unknown format, :class:`ConfigError` for a bad option or a missing ``author``.
    """
    if format is not None and format not in FORMATS:
        raise FormatError(f"unknown format {format!r} for {name}: {_choices()}")
    if market is not None and market != "unknown" and not (
        len(market) == 2 and market.isascii() and market.isalpha() and market.isupper()
    ):
        raise ConfigError(f"--market {market!r}: give a two-letter country code (US) or unknown")
    if author is not None:
        author = _account(author)
    fp, head = _sniff(fp)
    size = _size(fp)
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise FormatError(f"{name} is empty: nothing to import")
    progress = [0]
    notes: list[str] = []
    reader: Iterator[Item]
    page_time: Callable[[], Any] = lambda: None  # noqa: E731
    if start[:1] in (b"{", b"["):
        if _is_json_lines(start):
            reader = read_lines(fp, progress)
        else:
            doc = DocumentReader(fp, progress)
            reader = iter(doc)
            notes = doc.notes
            page_time = lambda: doc.page_time  # noqa: E731
        if format == flat.CSV:
            raise FormatError(f"{name} is JSON, not CSV: use --format flat-json")
    else:
        header = start.split(b"\n", 1)[0].decode("utf-8", "replace")
        if format not in (None, flat.CSV) or not (
            format == flat.CSV or flat.header_looks_flat(header.strip().split(","))
        ):
            raise FormatError(
                f"{name} is neither JSON nor a CSV of flattened TikTok rows "
                f"(first line: {header[:80]!r}): {_choices()}"
            )
        reader = flat.read_csv(fp, progress)
        format = flat.CSV
    pending: list[Item] = []
    if format is None:
        format = _detect(reader, pending, name)
        if format == tikwm.NAME and author is None and tikwm.names_no_author(pending[-1][2]):
            raise ConfigError(
                f"{name} holds tikwm items that name no author (a user's posts): pass --author "
                "with the account's unique id"
            )
    parse = FORMATS[format].parse
    if author is not None:
        if FORMATS[format].takes_author:
            parse = partial(parse, author=author)
        else:
            notes.append(f"--author {author} was not used: {format} records name their author")
    clock = Clock(collected_at, file_time, page_time, notes)
    records = _records(pending, reader, parse, f"import:{format}", market, clock, name)
    return ImportStream(records, progress, size, notes), format


def _account(author: str) -> str:
    """A TikTok account as given on the command line: ``@name`` or ``name``."""
    account = author.strip().removeprefix("@")
    if not account or len(account) > 64 or any(c.isspace() for c in account):
        raise ConfigError(
            f"--author {author!r}: give the account's unique id, as in tiktok.com/@NAME"
        )
    return account


def _records(pending: list[Item], reader: Iterator[Item], parse: Parser, source: str,
             market: str | None, clock: Clock, name: str) -> Iterator[VideoSnapshot | Rejected]:
    when = clock.when
    for items in (pending, reader):
        for label, raw, value in items:
            if type(value) is not dict:
                yield _reject(value, raw, f"{name}:{label}")
                continue
            try:
                yield parse(value, collected_at=when(value), source=source, market=market)
            except BadItem as exc:
                yield Rejected(reason=exc.reason, origin=f"{name}:{label}", raw=raw,
                               detail=str(exc), field=exc.field)
    clock.finish()


def _reject(value: Any, raw: bytes | str, origin: str) -> Rejected:
    if isinstance(value, Rejected):
        return Rejected(reason=value.reason, origin=origin, raw=value.raw or raw,
                        detail=value.detail, field=value.field)
    return Rejected(reason="wrong type", origin=origin, raw=raw,
                    detail=f"a record is a JSON object, not {type(value).__name__}")


def _detect(reader: Iterator[Item], pending: list[Item], name: str) -> str:
    for item in reader:
        pending.append(item)
        value = item[2]
        if type(value) is dict and not _live_room(value):
            return _detect_one(value, name)
        if len(pending) >= DETECT_WITHIN:
            break
    if not pending:
        raise FormatError(f"{name} holds no records: nothing to import")
    # Nothing but LIVE rooms or unreadable records: the itemStruct parser rejects each with its
    # reason, so that they still reach the dead letters.
    return tiktok.ITEMSTRUCT


def _live_room(record: dict[str, Any]) -> bool:
    """A feed entry with an empty video id: says nothing about the file's format."""
    return ("id" in record or "aweme_id" in record) and is_live_or_empty(record)


def _detect_one(record: dict[str, Any], name: str) -> str:
    for fmt in FORMATS.values():
        if fmt.name != flat.CSV and fmt.looks_like(record):
            return fmt.name
    raise FormatError(_unknown(name, record))


def _unknown(name: str, record: dict[str, Any]) -> str:
    if "userInfo" in record:
        return (f"{name} is a TikTok user profile (/api/user/detail/), which holds no videos; "
                "import a post list (/api/post/item_list/) instead")
    if "code" in record and "msg" in record and record.get("code") not in (0, "0"):
        # An API's failure answer (tikwm: {"code": -1, "msg": "Free Api Limit: ..."}).
        return (f"{name} is an API error response, which holds no videos (code "
                f"{record['code']!r}: {str(record['msg'])[:120]!r}); fetch it again")
    keys = ", ".join(list(record)[:12])
    return f"{name}: records of an unknown format (keys: {keys}); {_choices()}"


def _choices() -> str:
    listed = "; ".join(f"{f.name} ({f.help})" for f in FORMATS.values())
    return f"known formats are {listed}; pass --format NAME to choose one"


def _is_json_lines(start: bytes) -> bool:
    """JSON Lines when the first line is a whole JSON value, or looks like one record, and more
    follows it."""
    first, sep, rest = start.partition(b"\n")
    if not sep or not rest.strip():
        return False
    try:
        orjson.loads(first)
        return True
    except orjson.JSONDecodeError:
        pass
    # A broken first record must not turn the whole file into one broken document.
    line = first.strip()
    return line.startswith(b"{") and line.endswith(b"}") and rest.lstrip().startswith(b"{")


def _sniff(fp: IO[bytes]) -> tuple[IO[bytes], bytes]:
    """The first bytes (through the first line break, up to SNIFF), and a file to read from the
    start again: the same one rewound, or one that replays them (pipes cannot seek)."""
    head = fp.read(1 << 16)
    # Only a file starting with an object can be JSON Lines: look for the end of its first line.
    while (
        head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"
        and b"\n" not in head.lstrip()
        and len(head) < SNIFF
    ):
        more = fp.read(1 << 20)
        if not more:
            break
        head += more
    try:
        fp.seek(fp.tell() - len(head))
        return fp, head
    except (OSError, ValueError, io.UnsupportedOperation):
        return io.BufferedReader(_Replay(head, fp)), head  # type: ignore[arg-type]


def _size(fp: IO[bytes]) -> int | None:
    try:
        here = fp.tell()
        end = fp.seek(0, io.SEEK_END)
        fp.seek(here)
        return end
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


class _Replay(io.RawIOBase):
    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


__all__ = ["FORMATS", "Format", "ImportStream", "import_file"]
