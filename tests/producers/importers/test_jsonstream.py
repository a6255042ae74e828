"""Streaming: records come out of big JSON documents and JSON Lines in constant memory, whatever
the chunk boundaries, from files that cannot seek, with a byte position for a progress bar."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from trendmon.producers.importers import import_file, jsonstream
from trendmon.producers.importers.jsonstream import find_end

Run = Callable[..., Any]
Item = Callable[..., dict[str, Any]]


class Generated(io.RawIOBase):
    """A file of ``n`` records produced on demand: never whole in memory, cannot seek."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while len(self._pending) < len(buffer):
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._pending += chunk
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def items(web_item: Item, n: int, pad: int) -> Iterator[bytes]:
    for i in range(n):
        yield orjson.dumps(web_item(i, desc="x" * pad))


def test_chunk_boundaries_anywhere(run: Run, web_item: Item, monkeypatch: pytest.MonkeyPatch
                                   ) -> None:
    page = {"extra": {"now": 1760940141000},
            "itemList": [web_item(i, desc=("é " + '\\"]}' + str(i)) * i) for i in range(40)]}
    data = orjson.dumps({"data": page}, option=orjson.OPT_INDENT_2)
    for chunk in (1, 7, 64, 1000):
        monkeypatch.setattr(jsonstream, "CHUNK", chunk)
        result = run(data, collected_at=None)
        assert [s.video_id for s in result.snapshots] == [i["id"] for i in page["itemList"]]
        assert result.snapshots[3].description == page["itemList"][3]["desc"]
        assert result.stream.position == len(data)


@pytest.mark.parametrize("layout", ["array", "jsonl"])
def test_big_files_stream_in_constant_memory(web_item: Item, layout: str) -> None:
    n, pad = 6000, 5000  # about 31 MB
    if layout == "array":
        body = items(web_item, n, pad)
        chunks = iter([b'{"itemList": [', next(body), *(b"," + b for b in body), b"]}"])
    else:
        chunks = (line + b"\n" for line in items(web_item, n, pad))
    tracemalloc.start()
    try:
        stream, fmt = import_file(io.BufferedReader(Generated(chunks)), name="big")
        count = sum(1 for _ in stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (fmt, count) == ("itemstruct", n)
    assert stream.position > 30_000_000
    assert peak < 12_000_000, f"peak {peak:,} bytes for a {stream.position:,}-byte file"


def test_page_with_records_and_other_members_in_any_order(run: Run, web_item: Item) -> None:
    data = orjson.dumps({"cursor": "1", "itemList": [web_item(1)], "hasMore": True,
                         "extra": {"now": 1}})
    result = run(data)
    assert [s.video_id for s in result.snapshots] == [web_item(1)["id"]]


def test_json_lines_with_a_first_line_longer_than_the_sniff(run: Run, web_item: Item) -> None:
    big = web_item(1, video={"duration": 15, "bitrateInfo": "y" * 2_000_000})
    lines = [orjson.dumps(big), orjson.dumps(web_item(2))]
    result = run(b"\n".join(lines) + b"\n")
    assert [s.video_id for s in result.snapshots] == [web_item(1)["id"], web_item(2)["id"]]


def test_keyed_item_module(run: Run, web_item: Item) -> None:
    data = orjson.dumps({"ItemModule": {"a": web_item(1), "b": web_item(2)}})
    assert len(run(data).snapshots) == 2


def test_find_end() -> None:
    text = '{"a": "}]\\"", "b": [1, {"c": 2}]} , 3'
    assert text[: find_end(text, 0)] == '{"a": "}]\\"", "b": [1, {"c": 2}]}'
    assert find_end('{"a": [1, 2', 0) is None
    assert find_end('"abc\\"d", 1', 0) == 8
    assert find_end("123, 4", 0) == 3
    assert find_end('{"a": "unterminated', 0) is None
