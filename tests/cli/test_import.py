"""``trendmon import`` end to end: files in, the embedded log and a JSON summary out."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from trendmon.cli import app
from trendmon.events import DeadLetter, VideoSnapshot, decode_event
from trendmon.log.base import DEAD_LETTERS, SNAPSHOTS
from trendmon.log.embedded import EmbeddedLog
from trendmon.settings import LogSettings

SAMPLES = (Path(__file__).resolve().parents[2] / "../shared/samples").resolve()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty TRENDMON_HOME, run from a folder without .env."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("TRENDMON_"):
            monkeypatch.delenv(name)
    return tmp_path / "home"


def item(n: int, **overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": f"74000000000000{n:05d}", "desc": f"#tag{n}", "createTime": 1735689600,
        "author": {"id": "6800000000000000001", "uniqueId": "someone"},
        "stats": {"playCount": 1000 + n, "diggCount": 1, "commentCount": 1, "shareCount": 1},
        "_collected_at": "2026-01-05T10:00:00Z",
    }
    value.update(overrides)
    return value


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["import", *args])


def one_line(text: str) -> str:
    """Messages as printed, without the console's line wrapping."""
    return " ".join(text.split())


def read_log(home: Path) -> tuple[list[VideoSnapshot], list[DeadLetter]]:
    log = EmbeddedLog(home, LogSettings())
    try:
        snaps = [decode_event(r.value) for r in log.read(SNAPSHOTS)]
        dead = []
        if DEAD_LETTERS in log.topics():
            dead = [decode_event(r.value) for r in log.read(DEAD_LETTERS)]
    finally:
        log.close()
    return (
        [s for s in snaps if isinstance(s, VideoSnapshot)],
        [d for d in dead if isinstance(d, DeadLetter)],
    )


def test_import_publishes_and_reimport_only_finds_duplicates(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_bytes(b"".join(orjson.dumps(item(n)) + b"\n" for n in range(5)))
    result = invoke(str(path), "--home", str(home))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["published"], summary["duplicates"]) == (5, 5, 0)
    assert summary["formats"] == {str(path): "itemstruct"}
    snaps, _ = read_log(home)
    assert [s.video_id for s in snaps] == [item(n)["id"] for n in range(5)]
    assert {s.source for s in snaps} == {"import:itemstruct"}
    again = json.loads(invoke(str(path), "--home", str(home)).stdout)
    assert (again["published"], again["duplicates"]) == (0, 5)


def test_bad_records_are_dead_lettered_and_counted_by_reason(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [orjson.dumps(item(1)), b'{"id": "7", broken}',
             orjson.dumps(item(2, stats={"playCount": -1, "diggCount": 1, "commentCount": 1,
                                         "shareCount": 1})),
             orjson.dumps(item(3))]
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = invoke(str(path), "--home", str(home))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["published"], summary["dead_lettered"]) == (4, 2, 2)
    assert summary["dead_letter_reasons"] == {"invalid JSON": 1, "negative count": 1}
    _, dead = read_log(home)
    assert [(d.origin, d.field) for d in dead] == [
        (f"{path}:2", None), (f"{path}:3", "$.stats.playCount")
    ]
    assert dead[0].raw == '{"id": "7", broken}\n'


def test_every_sample_imports_except_the_user_profile(home: Path) -> None:
    if not SAMPLES.is_dir():
        pytest.skip(f"real TikTok samples not found at {SAMPLES}")
    files = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".json", ".csv"))
    videos = [str(p) for p in files if "user_detail" not in p.name]
    result = invoke(*videos, "--home", str(home), "--market", "US")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["published"], summary["dead_lettered"]) == (74, 74, 0)
    assert any("had no collection time" in note for note in summary["notes"])
    snaps, _ = read_log(home)
    assert len(snaps) == 74 and {s.market for s in snaps} == {"US"}
    profile = [str(p) for p in files if "user_detail" in p.name]
    result = invoke(*profile, "--home", str(home))
    assert result.exit_code == 2
    assert "user profile" in one_line(result.stderr) and "Traceback" not in result.stderr


def test_empty_file_exits_non_zero_with_one_line(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    result = invoke(str(path), "--home", str(home))
    assert result.exit_code == 2
    message = one_line(result.stderr)
    assert "empty.json" in message and "is empty" in message


def test_nothing_readable_exits_non_zero(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "live.json"
    path.write_bytes(orjson.dumps([{"id": "", "liveRoomInfo": {}}, {"id": "0"}]))
    result = invoke(str(path), "--home", str(home))
    assert result.exit_code == 2
    assert "nothing could be read" in one_line(result.stderr)
    assert json.loads(result.stdout)["dead_letter_reasons"] == {"live room or empty id": 2}


def test_flags_are_checked(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "items.json"
    path.write_bytes(orjson.dumps([item(1)]))
    result = invoke(str(path), "--format", "xml", "--home", str(home))
    assert result.exit_code == 2 and "unknown --format 'xml'" in result.stderr
    result = invoke(str(path), "--collected-at", "yesterday", "--home", str(home))
    assert result.exit_code == 2 and "--collected-at" in result.stderr
    result = invoke(str(path), "--market", "usa", "--home", str(home))
    assert result.exit_code == 2 and "--market" in result.stderr


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(app, ["import", "--help"])
    assert result.exit_code == 0 and "Example: trendmon import" in result.stdout


def tikwm_item(n: int, **overrides: Any) -> dict[str, Any]:
    """An item of tikwm's api/user/posts as an archive keeps it: no author, hashtags in desc."""
    value: dict[str, Any] = {
        "id": f"75490000000000{n:05d}", "desc": f"clip {n} | #riderskill sur #Twitch",
        "cover": "https://p19-common-sign-useastred.tiktokcdn-eu.com/o1~tplv.jpeg",
        "play": "https://v16m.tiktokcdn-eu.com/4ad6/68cc/video/tos/oo/?a=1233",
        "create_time": 1757783407,
        "stats": {"digg_count": 3, "comment_count": 2, "share_count": 1, "play_count": 300 + n,
                  "collect_count": 2},
        "_collected_at": "2025-09-17T13:37:48.655Z",
    }
    value.update(overrides)
    return value


def test_tikwm_user_posts_need_the_account_and_report_the_summary(
    home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "posts.jsonl"
    lines = [tikwm_item(0, id=""), tikwm_item(1), tikwm_item(2)]
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    result = invoke(str(path), "--home", str(home))
    assert result.exit_code == 2
    assert "name no author" in one_line(result.stderr) and "--author" in result.stderr
    result = invoke(str(path), "--author", "@riderskill", "--home", str(home))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["published"], summary["dead_lettered"]) == (3, 2, 1)
    assert summary["dead_letter_reasons"] == {"no video id": 1}
    assert summary["formats"] == {str(path): "tikwm"}
    snaps, dead = read_log(home)
    assert [(s.video_id, s.author.unique_id, s.hashtags) for s in snaps] == [
        (f"75490000000000{n:05d}", "riderskill", ("riderskill", "twitch")) for n in (1, 2)
    ]
    assert [(d.origin, d.field) for d in dead] == [(f"{path}:1", "$.id")]


def test_deep_nesting_is_dead_lettered_and_the_rest_published(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    deep = b"[" * 100_000 + b"]" * 100_000
    path.write_bytes(b"\n".join([orjson.dumps(item(1)), deep, orjson.dumps(item(2))]) + b"\n")
    result = invoke(str(path), "--home", str(home))
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["published"], summary["dead_lettered"]) == (3, 2, 1)
    assert summary["dead_letter_reasons"] == {"nested too deeply": 1}
    snaps, dead = read_log(home)
    assert [s.video_id for s in snaps] == [item(1)["id"], item(2)["id"]]
    assert [(d.origin, d.raw) for d in dead] == [(f"{path}:2", deep.decode() + "\n")]
