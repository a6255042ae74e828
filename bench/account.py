"""Account import speed against parse-only speed (issue 19).

Makes, in the real schemas of ``shared/data/account-analytics`` (FORMATS.md), a 365-day Studio
export set (Overview, FollowerHistory, Viewers, FollowerActivity, Content: quoted, with BOM,
year-less dates) and a "Download your data" JSON of about 20 MB (own posts with their signed
links and covers, plus watch history, the bulk of a real archive), then measures:

- parse only: stdlib ``csv`` over each CSV and ``json.loads`` of the JSON (the baseline);
- import: what ``trendmon account import`` does (detect, read every row into records, merge
  them into a fresh SQLite creator store), minus printing.

Rows are the CSV rows plus the archive's posts. Each side runs twice and the faster run is kept.
The last line is the ratio and its target. ``--quick`` makes a 60-day set and a 2 MB archive,
in a few seconds (a check that the benchmark works, not a measurement).

    .venv/bin/python bench/account.py
    .venv/bin/python bench/account.py --quick
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from trendmon.creator.detect import read_exports
from trendmon.sinks.sqlite.creator import SqliteCreator


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    lines = [",".join(f'"{c}"' for c in header)]
    lines += [",".join(f'"{c}"' for c in row) for row in rows]
    return ("\ufeff" + "\n".join(lines)).encode()


def _md(day: date) -> str:
    return f"{day:%B} {day.day}"


def studio_set(days: int, rng: random.Random) -> list[tuple[str, bytes]]:
    end = date(2026, 2, 27)
    span = [end - timedelta(days=days - 1 - i) for i in range(days)]
    overview = _csv(["Date", "Video Views", "Profile Views", "Likes", "Comments", "Shares"],
                    [[_md(d), rng.randint(0, 90000), rng.randint(0, 90), rng.randint(0, 900),
                      rng.randint(-7, 40), rng.randint(0, 60)] for d in span])  # fmt: skip
    total = 4000
    history_rows: list[list[object]] = []
    for d in span:
        net = rng.randint(-5, 9)
        total += net
        history_rows.append([_md(d), total, net])
    history = _csv(["Date", "Followers", "Difference in followers from previous day"],
                   history_rows)  # fmt: skip
    viewers_rows: list[list[object]] = []
    for d in span:
        new, back = rng.randint(0, 20000), rng.randint(0, 9000)
        viewers_rows.append([_md(d), new + back, new, back])
    viewers = _csv(["Date", "Total Viewers", "New Viewers", "Returning Viewers"], viewers_rows)
    activity = _csv(["Date", "Hour", "Active followers"],
                    [[_md(d), h, rng.randint(200, 1300)] for d in span[-7:] for h in range(24)])
    content = _csv(["Time", "Video title", "Video link", "Post time", "Total likes",
                    "Total comments", "Total shares", "Total views"],
                   [["February 28", f"post {i} #tag{i}",
                     f"https://www.tiktok.com/@bench/video/{(1_753_000_000 + i * 86400) << 32}",
                     _md(datetime.fromtimestamp(1_753_000_000 + i * 86400).date()),
                     rng.randint(0, 2000), rng.randint(0, 90), rng.randint(0, 60),
                     rng.randint(1000, 200000)] for i in range(13)])  # fmt: skip
    return [("Overview.csv", overview), ("FollowerHistory.csv", history),
            ("Viewers.csv", viewers), ("FollowerActivity.csv", activity),
            ("Content.csv", content)]  # fmt: skip


def takeout(megabytes: float, rng: random.Random) -> bytes:
    link = "https://video-useast5.tiktokv.us/storage/v1/tos-useast5-v-0068-tx/" + "x" * 900
    cover = "https://p19-common-sign.tiktokcdn-us.com/tos-useast5-p-0068-tx/" + "y" * 300
    posts, watch = [], []
    start = datetime(2024, 1, 1)
    size, n = 0, 0
    while size < megabytes * 1_000_000 * 0.8:
        when = start + timedelta(minutes=97 * n)
        posts.append({"Date": f"{when:%Y-%m-%d %H:%M:%S}", "Link": link, "Likes": str(n % 3000),
                      "WhoCanView": "Everyone", "AllowComments": "Yes", "AllowStitches": "Yes",
                      "AllowDuets": "No", "AllowStickers": "Yes", "AllowSharingToStory": "Yes",
                      "ContentDisclosure": "", "AIGeneratedContent": "", "Sound": f"sound {n}",
                      "Location": "", "Title": "N/A", "AddYoursText": "N/A",
                      "AlternateText": "N/A", "CoverImage": cover,
                      "NumberOfCollections": "N/A"})  # fmt: skip
        size += 1400 + len(link) + len(cover)
        n += 1
    for i in range(int(megabytes * 1_000_000 * 0.2 / 90)):
        watch.append({"Date": f"2025-01-01 00:{i % 60:02d}:00",
                      "Link": f"https://www.tiktokv.com/share/video/{7_000_000_000 + i}/"})
    doc = {"Post": {"Posts": {"VideoList": posts}},
           "Profile": {"Profile Info": {"ProfileMap": {"userName": "bench",
                                                       "emailAddress": "x@example.invalid"}}},
           "Your Activity": {"Watch History": {"VideoList": watch}}}  # fmt: skip
    return json.dumps(doc, indent=2).encode()


def parse_only(files: list[tuple[str, bytes]]) -> tuple[int, float]:
    rows = 0
    t = time.perf_counter()
    for name, data in files:
        if name.endswith(".json"):
            rows += len(json.loads(data)["Post"]["Posts"]["VideoList"])
        else:
            rows += sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig")))) - 1
    return rows, time.perf_counter() - t


def import_all(files: list[tuple[str, bytes]], folder: Path) -> tuple[int, float]:
    store = SqliteCreator(folder)
    t = time.perf_counter()
    exports = read_exports(files, today=date(2026, 3, 1))
    rows = 0
    for e in exports:
        store.save("bench", e)
        rows += len(e.days) + len(e.posts) + len(e.activity) + len(e.audience)
    elapsed = time.perf_counter() - t
    store.close()
    return rows, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="60 days and a 2 MB archive")
    args = parser.parse_args()
    rng = random.Random(19)
    days, megabytes = (60, 2.0) if args.quick else (365, 20.0)
    files = [*studio_set(days, rng), ("user_data_tiktok.json", takeout(megabytes, rng))]
    size = sum(len(d) for _, d in files)
    print(f"files: {len(files)}, {size / 1e6:.1f} MB ({days}-day Studio set + archive)")
    parse_rows, parse_s = min((parse_only(files) for _ in range(2)), key=lambda r: r[1])
    with tempfile.TemporaryDirectory() as tmp:
        runs = [import_all(files, Path(tmp) / str(i)) for i in range(2)]
    import_rows, import_s = min(runs, key=lambda r: r[1])
    parse_rate, import_rate = parse_rows / parse_s, parse_rows / import_s
    print(f"parse only (csv + json): {parse_rows} rows in {parse_s:.3f} s, "
          f"{parse_rate:,.0f} rows/s")
    print(f"import (detect, records, store): {import_rows} records from {parse_rows} rows in "
          f"{import_s:.3f} s, {import_rate:,.0f} rows/s")  # fmt: skip
    print(f"account import/parse speed ratio: {import_rate / parse_rate:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
