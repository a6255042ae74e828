"""``trendmon account``: import real exports, then read them back as JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from trendmon.cli import app


def cli(*args: str) -> tuple[int, list[dict], str]:
    result = CliRunner().invoke(app, ["account", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, lines, result.stderr


def test_import_list_and_show(account_exports: Path) -> None:
    files = [str(p) for p in sorted(account_exports.glob("studio2026_haileytupy_*.csv"))]
    code, summaries, _ = cli("import", *files)
    assert code == 0 and len(summaries) == 7
    assert {s["account"] for s in summaries} == {"haileytupy2.0"}
    history = next(s for s in summaries if s["format"] == "studio-follower-history")
    assert history["days_added"] == 365 and "25 cells without data" in history["notes"][0]

    code, again, _ = cli("import", *files)
    assert code == 0 and all(s["days_added"] == s["days_updated"] == 0 for s in again)

    code, accounts, _ = cli("list")
    assert accounts == [{"account": "haileytupy2.0", "first_day": "2025-02-28",
                         "last_day": "2026-02-27", "days": 365, "posts": 13,
                         "followers": 5013, "imported": "2026-02-28"}]  # fmt: skip

    code, days, _ = cli("show", "@HaileyTupy2.0", "--from", "2025-12-31", "--to", "2026-01-01")
    assert code == 0 and [d["date"] for d in days] == ["2025-12-31", "2026-01-01"]
    assert days[1] == {"date": "2026-01-01", "views": 28710, "profile_views": 23, "likes": 13,
                       "comments": 0, "shares": 0, "followers": 4993, "followers_net": -3,
                       "viewers": 8665, "viewers_new": 5525, "viewers_returning": 3140}  # fmt: skip

    _, territories, _ = cli("show", "haileytupy2.0", "--section", "territories")
    assert territories[0] == {"as_of": "2026-02-28", "key": "US", "share": 0.462}
    _, gender, _ = cli("show", "haileytupy2.0", "--section", "gender")
    assert {g["key"]: g["share"] for g in gender}["Female"] == 0.59
    _, activity, _ = cli("show", "haileytupy2.0", "--section", "activity", "--from", "2026-02-21",
                         "--to", "2026-02-21")  # fmt: skip
    assert activity[0] == {"date": "2026-02-21", "hour": 0, "active": 491}
    _, posts, _ = cli("show", "haileytupy2.0", "--section", "posts")
    assert len(posts) == 13 and posts[0]["posted_date"] >= posts[-1]["posted_date"]


def test_files_without_a_handle_need_account(account_exports: Path) -> None:
    path = str(account_exports / "studio2022_corymink_total-followers.csv")
    code, _, stderr = cli("import", path)
    assert code == 2 and "pass --account HANDLE" in stderr and "total-followers.csv" in stderr
    code, summaries, _ = cli("import", path, "--account", "corymink")
    assert code == 0 and summaries[0]["account"] == "corymink"


def test_another_kind_of_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "notes.csv"
    bad.write_text("name,score\nann,3\n")
    code, _, stderr = cli("import", str(bad), "--account", "me")
    assert code == 2 and "notes.csv, line 1" in stderr and "Traceback" not in stderr
    code, _, stderr = cli("show", "nobody")
    assert code == 2 and "trendmon account list" in stderr
