"""Bad input: each bad record becomes a Rejected with a short reason, the exact detail, where it
was and its original bytes, and the good records around it are still read."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from trendmon.errors import FormatError
from trendmon.producers.importers import import_file

Run = Callable[..., Any]
Item = Callable[..., dict[str, Any]]


def jsonl(*lines: bytes) -> bytes:
    return b"\n".join(lines) + b"\n"


def test_truncated_json_lines_keep_the_lines_before(run: Run, web_item: Item) -> None:
    good = orjson.dumps(web_item(1))
    result = run(jsonl(good, orjson.dumps(web_item(2))[:60]))
    assert [s.video_id for s in result.snapshots] == [web_item(1)["id"]]
    (bad,) = result.rejects
    assert (bad.reason, bad.origin) == ("truncated JSON", "test.json:2")
    assert bad.raw == orjson.dumps(web_item(2))[:60] + b"\n"


def test_truncated_json_array_keeps_the_elements_before(run: Run, web_item: Item) -> None:
    data = orjson.dumps([web_item(n) for n in range(3)])
    result = run(data[: len(data) - 40])
    assert len(result.snapshots) == 2
    (bad,) = result.rejects
    assert (bad.reason, bad.origin) == ("truncated JSON", "test.json:#2")
    assert "ends inside a record" in bad.detail


def test_invalid_json_in_the_middle_of_an_array_costs_only_itself(run: Run, web_item: Item) -> None:
    broken = b'{"id": "1", "stats": {"playCount": tru}}'
    data = b"[" + orjson.dumps(web_item(1)) + b",\n" + broken + b",\n" + orjson.dumps(
        web_item(2)) + b"]"
    result = run(data)
    assert [s.video_id for s in result.snapshots] == [web_item(1)["id"], web_item(2)["id"]]
    (bad,) = result.rejects
    assert (bad.reason, bad.origin, bad.raw) == ("invalid JSON", "test.json:#1", broken.decode())


def test_wrong_types(run: Run, web_item: Item) -> None:
    result = run(jsonl(
        orjson.dumps(web_item(1, stats="many")),
        orjson.dumps(web_item(2, author=7)),
        orjson.dumps([1, 2]),
        orjson.dumps(web_item(3)),
    ))
    assert [s.video_id for s in result.snapshots] == [web_item(3)["id"]]
    reasons = [(r.reason, r.field, r.origin) for r in result.rejects]
    assert reasons == [
        ("wrong type", "$.stats", "test.json:1"),
        ("wrong type", "$.author", "test.json:2"),
        ("wrong type", None, "test.json:3"),
    ]


def test_negative_count(run: Run, web_item: Item) -> None:
    item = web_item(1, stats={"playCount": 10, "diggCount": -3, "commentCount": 0,
                              "shareCount": 0})
    result = run(jsonl(orjson.dumps(item), orjson.dumps(web_item(2))))
    (bad,) = result.rejects
    assert (bad.reason, bad.field) == ("negative count", "$.stats.diggCount")
    assert "-3" in bad.detail and len(result.snapshots) == 1


def test_non_numeric_count(run: Run, web_item: Item) -> None:
    item = web_item(1, statsV2={"playCount": "1.2M", "diggCount": "1", "commentCount": "1",
                                "shareCount": "1"})
    result = run(jsonl(orjson.dumps(web_item(2)), orjson.dumps(item)))
    (bad,) = result.rejects
    assert (bad.reason, bad.field, bad.origin) == (
        "non-numeric count", "$.statsV2.playCount", "test.json:2"
    )
    assert "'1.2M'" in bad.detail and len(result.snapshots) == 1


def test_nan_count_in_json_lines_and_in_an_array(run: Run, web_item: Item) -> None:
    # NaN is not JSON, but Python's json module writes it: the record is read, the field refused.
    line = orjson.dumps(web_item(1)).replace(b'"playCount":1001', b'"playCount":NaN')
    for data, origin in ((jsonl(line, orjson.dumps(web_item(2))), "test.json:1"),
                         (b"[" + line + b"," + orjson.dumps(web_item(2)) + b"]", "test.json:#0")):
        result = run(data)
        (bad,) = result.rejects
        assert (bad.reason, bad.field, bad.origin) == ("not a number", "$.stats.playCount", origin)
        assert len(result.snapshots) == 1


def test_ten_megabyte_description(run: Run, web_item: Item) -> None:
    huge = orjson.dumps(web_item(1, desc="a" * 10_000_000))
    result = run(jsonl(orjson.dumps(web_item(2)), huge))
    (bad,) = result.rejects
    assert (bad.reason, bad.field) == ("description too long", "$.desc")
    assert "10,000,000 characters" in bad.detail and "limit is 10,000" in bad.detail
    assert bad.raw == huge + b"\n"
    assert len(result.snapshots) == 1


def test_invalid_utf8(run: Run, web_item: Item) -> None:
    line = orjson.dumps(web_item(1)).replace(b"video 1", b"video \xff\xfe")
    result = run(jsonl(orjson.dumps(web_item(2)), line))
    (bad,) = result.rejects
    assert (bad.reason, bad.origin, bad.raw) == ("invalid UTF-8", "test.json:2", line + b"\n")
    assert len(result.snapshots) == 1
    # the same inside a JSON array: the raw bytes are kept exactly
    result = run(b"[" + line + b",\n" + orjson.dumps(web_item(2)) + b"]")
    (bad,) = result.rejects
    assert (bad.reason, bad.origin, bad.raw) == ("invalid UTF-8", "test.json:#0", line)
    assert len(result.snapshots) == 1


def test_invalid_utf8_in_a_csv_row(run: Run) -> None:
    header = b"id,desc,createTime,video_id,author_id,author_uniqueId,stats_playCount," \
             b"stats_diggCount,stats_commentCount,stats_shareCount\n"
    good = b"7400000000000000001,ok,1735689600,7400000000000000001,1,u,10,1,1,1\n"
    bad = b"7400000000000000002,caf\xe9,1735689600,7400000000000000002,1,u,10,1,1,1\n"
    result = run(header + bad + good)
    assert result.format == "flat-csv"
    (rejected,) = result.rejects
    assert (rejected.reason, rejected.origin) == ("invalid UTF-8", "test.json:2")
    assert b"caf\xe9" in rejected.raw
    assert [s.video_id for s in result.snapshots] == ["7400000000000000001"]


@pytest.mark.parametrize("data", [b"", b"  \n\n", b"\xef\xbb\xbf"], ids=["empty", "blank", "bom"])
def test_empty_file_is_a_format_error(data: bytes) -> None:
    with pytest.raises(FormatError, match=r"empty\.json is empty"):
        import_file(io.BytesIO(data), name="empty.json")


def test_live_rooms_and_empty_ids(run: Run, web_item: Item) -> None:
    live = {"id": "", "liveRoomInfo": {"title": "LIVE"}, "author": {"id": "1"}}
    result = run(orjson.dumps([live, web_item(1), web_item(2, id="0")]))
    assert [s.video_id for s in result.snapshots] == [web_item(1)["id"]]
    assert [(r.reason, r.origin) for r in result.rejects] == [
        ("live room or empty id", "test.json:#0"),
        ("live room or empty id", "test.json:#2"),
    ]


def test_a_file_with_nothing_readable_still_dead_letters_everything(run: Run) -> None:
    result = run(b'{"id": 1, nope}\n{"also": broken}\n')
    assert result.snapshots == []
    assert [r.reason for r in result.rejects] == ["invalid JSON", "invalid JSON"]


DEEP = 100_000
NESTINGS = {
    "arrays": b"[" * DEEP + b"]" * DEEP,
    "objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
}


@pytest.mark.parametrize("container", ["json-lines", "json-array"])
@pytest.mark.parametrize("nesting", list(NESTINGS))
def test_any_nesting_depth_costs_only_its_record(
    run: Run, web_item: Item, nesting: str, container: str
) -> None:
    deep = NESTINGS[nesting]
    good = [orjson.dumps(web_item(n)) for n in (1, 2, 3)]
    if container == "json-lines":
        data, origin, raw = jsonl(good[0], good[1], deep, good[2]), "test.json:3", deep + b"\n"
    else:
        data = b"[" + b",\n".join([good[0], good[1], deep, good[2]]) + b"]"
        origin, raw = "test.json:#2", deep
    result = run(data)
    assert [s.video_id for s in result.snapshots] == [web_item(n)["id"] for n in (1, 2, 3)]
    (bad,) = result.rejects
    assert (bad.reason, bad.origin) == ("nested too deeply", origin)
    assert (bad.raw if isinstance(bad.raw, bytes) else bad.raw.encode()) == raw


def test_pages_nested_in_pages_stop_being_unwrapped(run: Run, web_item: Item) -> None:
    # 1000 levels of {"data": ...}: within what orjson reads (1024), deeper than it writes (255),
    # than Python recurses and than pages go: the wrapper left is a record, refused whole.
    line = b'{"data":' * 1000 + orjson.dumps(web_item(1)) + b"}" * 1000
    result = run(jsonl(line, orjson.dumps(web_item(2)), orjson.dumps(web_item(3))),
                 format="itemstruct")
    assert [s.video_id for s in result.snapshots] == [web_item(n)["id"] for n in (2, 3)]
    (bad,) = result.rejects
    assert bad.origin == "test.json:1#0" and bad.raw == line + b"\n"
