"""Each quirk of FORMATS.md section 1.4, one test each, on cells made here."""

from __future__ import annotations

from datetime import date

import pytest

from trendmon.creator import text
from trendmon.creator.detect import read_exports
from trendmon.creator.merge import merge_values
from trendmon.creator.territories import territory_code


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("April 12", (4, 12)),
        ("28 August", (8, 28)),
        ("8 de marzo", (3, 8)),
        ("8 de setembro", (9, 8)),
        ("18 tháng Tám", (8, 18)),
        ("9月13日", (9, 13)),
        ("18 января", (1, 18)),
        ("2021-01-15", date(2021, 1, 15)),
        ("2025/10/31 18:19:10", date(2025, 10, 31)),
        ("20/6/2022", date(2022, 6, 20)),
    ],
)
def test_dates_in_every_language_and_vintage(cell: str, expected: object) -> None:
    assert text.parse_date(cell) == expected


def test_excel_date_order_is_detected_not_assumed() -> None:
    assert text.day_first(["5/6/2022", "20/6/2022"]) is True
    assert text.day_first(["6/5/2022", "6/20/2022"]) is False


def test_years_count_back_over_new_year() -> None:
    got = text.place_years([(12, 30), (12, 31), (1, 1), (1, 2)], date(2026, 1, 2))
    assert got == [date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)]


@pytest.mark.parametrize(
    ("cell", "value"),
    [("1591", 1591), ("-7", -7), ("undefined", None), ("NAN", None), ("--", None),
     ("5,431", 5431), ("1.234", 1234), ("1.2K", 1200), ("", None)],
)  # fmt: skip
def test_counts_sentinels_and_separators(cell: str, value: int | None) -> None:
    assert text.count(cell) == value


@pytest.mark.parametrize(("cell", "value"), [("62%", 0.62), ("52", 0.52), ("0.52", 0.52)])
def test_shares_in_three_units(cell: str, value: float) -> None:
    assert text.share(cell) == value


def test_headers_are_normalized() -> None:
    assert text.normalize_header("Total shares\u00a0") == "total shares"
    assert text.normalize_header("Top Territories") == text.normalize_header("Top territories")
    assert text.normalize_header("Phone number clicks ") == "phone number clicks"


def test_a_caption_that_broke_the_quoting_is_re_anchored_on_the_link() -> None:
    head = '"Time","Video title","Video link","Post time","Total likes","Total comments",' \
           '"Total shares","Total views"\n'  # fmt: skip
    link = "https://www.tiktok.com/@me/video/7531345990947851551"
    row = f'"February 28",Hi, "there", friend,"{link}","July 26","10","2","1","500"\n'
    (ex,) = read_exports([("Content.csv", (head + row).encode())], today=date(2026, 3, 1))
    (post,) = ex.posts
    assert post.views == 500 and post.likes == 10 and "friend" in post.caption
    assert any("re-anchored" in n for n in ex.notes)


def test_video_ids_carry_the_upload_time() -> None:
    when = text.video_time("7531345990947851551")
    assert when is not None and text.iso_time(when) == "2025-07-26T11:08:54Z"
    assert text.video_time("12345") is None


def test_header_only_demographics_are_an_empty_snapshot() -> None:
    (ex,) = read_exports([("FollowerGender.csv", b'\xef\xbb\xbf"Gender","Distribution"')],
                         today=date(2026, 3, 1))  # fmt: skip
    assert ex.audience == [] and "100 followers" in ex.notes[0]


def test_territory_names_become_codes() -> None:
    assert territory_code("United Kingdom") == "GB" and territory_code("tr") == "TR"


def test_the_newer_export_wins_and_an_older_one_only_fills_gaps() -> None:
    stored = {"views": (100, "2026-02-01")}
    merged, change = merge_values(stored, {"views": 120, "likes": 5}, "2026-03-01")
    assert merged == {"views": (120, "2026-03-01"), "likes": (5, "2026-03-01")}
    assert change == "updated"
    merged, change = merge_values(merged, {"views": 90, "shares": 1}, "2026-01-15")
    assert merged["views"] == (120, "2026-03-01") and merged["shares"] == (1, "2026-01-15")
    _, change = merge_values(merged, {"views": 120}, "2026-03-01")
    assert change == "unchanged"
