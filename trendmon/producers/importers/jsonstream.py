"""Reading records out of JSON files of any size in constant memory.

Two readers, both yielding ``(label, raw, value)`` where ``label`` is where the record was (a line
number, or ``"#INDEX"``), ``raw`` its original bytes or text, and ``value`` the parsed record or a
:class:`~trendmon.log.dead_letters.Rejected` for what could not be read:

- :func:`read_lines`: JSON Lines, one ``orjson.loads`` per line (the fast path of big imports);
- :class:`DocumentReader`: one JSON document (a list, a page, a ``{"data": ...}`` wrapper),
  streamed: the standard library's C scanner decodes one array element at a time from a text
  buffer refilled in chunks, so a file of several GB is never held whole. A bracket scanner
  finds the end of an element the scanner refused, so one broken element costs only itself.

Records that are pages themselves (``{"itemList": [...]}`` on one line or in a list) are
unwrapped by :func:`unwrap`, in memory since a page is small.

Nesting depth is never a crash: a record nested deeper than the parsers go (orjson stops at 1,024
levels, the standard library's scanner at Python's recursion limit) is rejected as ``nested too
deeply``, with its original bytes, and reading goes on after it. Pages nested in pages are
unwrapped :data:`MAX_PAGE_DEPTH` levels deep at most; deeper, the inner value is a record.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import IO, Any, Final

import orjson

from trendmon.errors import FormatError
from trendmon.log.dead_letters import Rejected

CHUNK: Final = 1 << 20
MAX_RECORD: Final = 1 << 28
"""Largest single record accepted (256 MiB); beyond it the file is not a record list."""

RECORD_LISTS: Final = frozenset(
    {"itemList", "items", "aweme_list", "videos", "collector", "data", "item_list"}
)
"""Keys whose array value holds the records (TikTok-Api pages, mobile feeds, Research API...)."""
WRAPPERS: Final = frozenset({"data", "itemInfo"})
"""Keys whose object value wraps the records (``{"data": {"itemList": [...]}}``)."""
SINGLE: Final = frozenset({"itemStruct"})
KEYED: Final = frozenset({"ItemModule"})
"""Keys whose object value maps ids to records (the page's SIGI_STATE)."""
MAX_PAGE_DEPTH: Final = 16
"""Most levels of pages inside pages (or wrappers) unwrapped; real files nest two or three."""
NESTED: Final = "nested too deeply"
"""The reason of a record nested deeper than the JSON parsers go."""

Label = int | str
Item = tuple[Label, "bytes | str", Any]

_NONWS = re.compile(r"[^ \t\r\n]")
_SURROGATE = re.compile("[\udc80-\udcff]")
# Skips everything up to the next bracket outside a string (strings are consumed whole).
_SKIP = re.compile(r'[^"\[\]{}]*(?:"[^"\\]*(?:\\.[^"\\]*)*"[^"\[\]{}]*)*')
_SCALAR_END = re.compile(r"[,\]}\s]")
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def read_lines(fp: IO[bytes], progress: list[int]) -> Iterator[Item]:
    """JSON Lines: one record per line; ``progress[0]`` counts the bytes consumed.

    A file whose first line is a page (``{"itemList": [...]}``, a raw API response per line)
    has each line unwrapped; decided once, so that item files pay nothing for it.
    """
    loads = orjson.loads
    lineno = 0
    pages: bool | None = None
    for line in fp:
        lineno += 1
        progress[0] += len(line)
        if line.isspace():
            continue
        try:
            value = loads(line)
        except orjson.JSONDecodeError as exc:
            yield lineno, line, line_error(line, exc)
            continue
        if pages is None and type(value) is dict:
            pages = unwrap(value) is not None
        if not pages:
            yield lineno, line, value
            continue
        inner = unwrap(value)
        if inner is None:
            yield lineno, line, value
            continue
        for k, record in enumerate(inner):
            yield f"{lineno}#{k}", _dump(record) or line, record


def line_error(line: bytes, exc: Exception) -> Rejected | Any:
    """Why a line is not JSON: invalid UTF-8, NaN (which the standard library reads), or syntax.

    Returns the parsed value when only orjson's strictness refused it (``NaN``, ``Infinity``), so
    that the mapping can reject exactly the field that holds it.
    """
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as bad:
        return Rejected(
            reason="invalid UTF-8", origin="", raw=line, detail=f"{bad.reason} at byte {bad.start}"
        )
    try:
        return json.loads(text)
    except ValueError:
        pass
    except RecursionError:
        return Rejected(reason=NESTED, origin="", raw=line, detail=_deep_detail(exc))
    stripped = text.rstrip()
    reason = "truncated JSON" if stripped[:1] in "{[" and not stripped.endswith(("}", "]")) else (
        "invalid JSON"
    )
    return Rejected(reason=reason, origin="", raw=line, detail=str(exc))


def unwrap(value: Any, depth: int = 0) -> Iterator[Any] | None:
    """The records inside a page-shaped value, or None when the value is a record itself.

    ``depth`` counts the pages around ``value``; past :data:`MAX_PAGE_DEPTH` a value is a record.
    """
    if depth >= MAX_PAGE_DEPTH:
        return None
    if type(value) is list:
        return _unwrap_list(value, depth + 1)
    if type(value) is not dict:
        return None
    for key in RECORD_LISTS:
        inner = value.get(key)
        if type(inner) is list:
            return _unwrap_list(inner, depth + 1)
    for key in WRAPPERS:
        inner = value.get(key)
        if type(inner) is dict:
            return unwrap(inner, depth + 1) or iter((inner,))
    for key in SINGLE:
        if type(value.get(key)) is dict:
            return iter((value[key],))
    for key in KEYED:
        inner = value.get(key)
        if type(inner) is dict:
            return iter(inner.values())
    if value and all(type(k) is str and k.isdigit() for k in value):
        return iter(value.values())
    return None


def _unwrap_list(values: list[Any], depth: int) -> Iterator[Any]:
    for value in values:
        inner = unwrap(value, depth) if type(value) is dict else None
        if inner is None:
            yield value
        else:
            yield from inner


def _dump(record: Any) -> bytes | None:
    """A record's JSON bytes; None when orjson refuses its depth (more than 255 levels)."""
    try:
        return orjson.dumps(record)
    except orjson.JSONEncodeError:
        return None


def _deep_detail(exc: BaseException) -> str:
    return f"JSON nested deeper than the parser goes ({str(exc).split(':')[0]})"


class _Truncated(Exception):
    pass


class DocumentReader:
    """Streams the records of one JSON document; ``progress[0]`` counts bytes read."""

    def __init__(self, fp: IO[bytes], progress: list[int]) -> None:
        self.fp = fp
        self.progress = progress
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        # The C scanner behind json.loads: decodes one value at an index, returns (value, end).
        self._scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
        self.s = ""
        self.i = 0
        self.eof = False
        self._surrogates = False
        self.index = 0
        self.page_time: Any = None
        """``extra.now`` of the TikTok page being read (milliseconds), a collection time."""
        self.notes: list[str] = []

    # --- buffer ----------------------------------------------------------------------------

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.fp.read(CHUNK)
        self.progress[0] += len(chunk)
        text = self._decoder.decode(chunk, final=not chunk)
        self.eof = not chunk
        if len(self.s) - self.i + len(text) > MAX_RECORD:
            raise FormatError(f"a single JSON value is larger than {MAX_RECORD >> 20} MiB")
        self.s = self.s[self.i :] + text
        self.i = 0
        if _SURROGATE.search(text):
            self._surrogates = True
        return bool(text) or not self.eof

    def _peek(self) -> str:
        """The next non-space character ("" at the end of the file), not consumed."""
        while True:
            match = _NONWS.search(self.s, self.i)
            if match:
                self.i = match.start()
                return self.s[self.i]
            self.i = len(self.s)
            if not self._more():
                return ""

    def _value(self) -> tuple[Any, str]:
        """Decode the value at the cursor: ``(value or Rejected, its text)``."""
        while True:
            start = self.i
            try:
                value, end = self._scan(self.s, start)
            except (StopIteration, ValueError, RecursionError) as exc:
                end_or_none = find_end(self.s, start)
                if end_or_none is None:
                    if self._more():
                        continue
                    self.i = len(self.s)
                    raise _Truncated(self.s[start:]) from None
                self.i = end_or_none
                raw = self.s[start:end_or_none]
                if isinstance(exc, RecursionError):
                    reason, detail = NESTED, _deep_detail(exc)
                else:
                    reason, detail = "invalid JSON", _why(exc)
                return Rejected(reason=reason, origin="", raw=raw, detail=detail), raw
            if end >= len(self.s) and not self.eof and self._more():
                continue  # a number or literal may go on in the next chunk
            self.i = end
            raw = self.s[start:end]
            if self._surrogates and _SURROGATE.search(raw):
                raw_bytes = raw.encode("utf-8", "surrogateescape")
                bad = raw_bytes.decode("utf-8", "replace").find("\ufffd")
                return Rejected(
                    reason="invalid UTF-8", origin="", raw=raw_bytes,
                    detail=f"invalid byte at offset {bad} of the record",
                ), raw
            return value, raw

    def _expect(self, chars: str) -> str:
        c = self._peek()
        if c == "" or c not in chars:
            where = f"at character {self.i} of the current chunk" if c else "at the end of the file"
            raise FormatError(f"broken JSON structure: expected one of {chars!r} {where}")
        self.i += 1
        return c

    # --- structure -------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Item]:
        c = self._peek()
        try:
            if c == "[":
                yield from self._array()
            elif c == "{":
                yield from self._object(top=True)
            else:
                raise FormatError("not a JSON array or object")
        except _Truncated as cut:
            yield self._truncated(str(cut))
            return
        # More values after the first: concatenated JSON, or JSON Lines with a huge first line.
        while self._peek() != "":
            try:
                value, raw = self._value()
            except _Truncated as cut:
                yield self._truncated(str(cut))
                return
            yield from self._emit(value, raw)

    def _truncated(self, raw: str) -> Item:
        return f"#{self.index}", raw.encode("utf-8", "surrogateescape"), Rejected(
            reason="truncated JSON", origin="", raw=raw,
            detail=f"the file ends inside a record ({len(raw):,} characters read)",
        )

    def _emit(self, value: Any, raw: str) -> Iterator[Item]:
        inner = unwrap(value) if type(value) is dict else None
        if inner is None:
            yield f"#{self.index}", raw, value
            self.index += 1
            return
        for record in inner:
            yield f"#{self.index}", _dump(record) or raw, record
            self.index += 1

    def _array(self) -> Iterator[Item]:
        self._expect("[")
        if self._peek() == "]":
            self.i += 1
            return
        while True:
            if self._peek() == "":
                raise _Truncated("")
            value, raw = self._value()
            yield from self._emit(value, raw)
            c = self._peek()
            if c == "":
                self.notes.append("the file ends before the closing ] of the JSON array")
                return
            if self._expect(",]") == "]":
                return

    def _object(self, top: bool = False, depth: int = 0) -> Iterator[Item]:
        """Walk an object member by member, streaming record lists; a record-less object is
        itself one record. ``depth`` counts the wrappers around it (:data:`MAX_PAGE_DEPTH`)."""
        self._expect("{")
        others: dict[str, Any] = {}
        found = False
        first = True
        while (c := self._peek()) != "}":
            if c == "":
                raise _Truncated("")
            if not first:
                self._expect(",")
                self._peek()
            first = False
            key, _ = self._value()
            if type(key) is not str:
                raise FormatError("broken JSON structure: an object key is not a string")
            self._expect(":")
            c = self._peek()
            if key in RECORD_LISTS and c == "[":
                before = self.index
                yield from self._array()
                found = found or self.index > before
            elif key in WRAPPERS and c == "{" and depth < MAX_PAGE_DEPTH:
                before = self.index
                yield from self._object(depth=depth + 1)
                found = found or self.index > before
            elif key in KEYED and c == "{":
                found = True
                yield from self._keyed()
            elif (key in SINGLE or (key.isdigit() and not others)) and c == "{":
                found = True
                value, raw = self._value()
                yield from self._emit(value, raw)
            else:
                value, _ = self._value()
                others[key] = value
                if key == "extra" and type(value) is dict and "now" in value:
                    self.page_time = value["now"]
        self.i += 1
        if not found and others:
            yield from self._emit(others, orjson.dumps(others).decode())
        elif not found and top:
            self.notes.append("the JSON document holds no records")

    def _keyed(self) -> Iterator[Item]:
        self._expect("{")
        first = True
        while self._peek() != "}":
            if not first:
                self._expect(",")
            first = False
            self._value()
            self._expect(":")
            self._peek()
            value, raw = self._value()
            yield from self._emit(value, raw)
        self.i += 1


def find_end(s: str, i: int) -> int | None:
    """Index just past the JSON value starting at ``s[i]``, None if it goes past the buffer.

    Tracks brackets and strings only, so it also delimits a value that is not valid JSON.
    """
    n = len(s)
    if i >= n:
        return None
    if s[i] not in "{[":
        if s[i] == '"':
            string = _STRING.match(s, i)
            return string.end() if string else None
        found = _SCALAR_END.search(s, i)
        return found.start() if found else None
    depth = 0
    pos = i
    skip = _SKIP.match
    while True:
        pos = skip(s, pos).end()  # type: ignore[union-attr]
        if pos >= n or s[pos] == '"':
            return None
        depth += 1 if s[pos] in "{[" else -1
        pos += 1
        if depth == 0:
            return pos


def _why(exc: BaseException) -> str:
    if isinstance(exc, StopIteration):
        return "no JSON value here"
    return str(exc).split(": line ")[0]
