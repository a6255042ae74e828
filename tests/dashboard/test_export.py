"""CSV and JSON exports: every row, and nothing a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import json
import urllib.request

import pytest

from trendmon.dashboard.export import csv_cell, to_csv, to_json
from trendmon.dashboard.server import DashboardServer

from .world import HOSTILE_DESCRIPTION, HOSTILE_VIDEO


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://evil","x")'],
)
def test_text_that_a_spreadsheet_would_run_gets_a_quote(text: str) -> None:
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["plain", "a=b", " =1", "#dance", "🎉 party", ""])
def test_other_text_is_kept(text: str) -> None:
    assert csv_cell(text) == text


def test_numbers_stay_numbers_and_lists_become_json() -> None:
    assert csv_cell(-0.25) == "-0.25"
    assert csv_cell(-3) == "-3"
    assert csv_cell(True) == "true"
    assert csv_cell(None) == ""
    assert csv_cell(["=cmd", "b"]) == '["=cmd", "b"]'


def test_a_csv_holds_every_row_in_column_order() -> None:
    rows = [
        {"name": "=cmd|' /C calc'!A0", "plays": 10, "extra": "x"},
        {"name": 'quote " and, comma\nnewline', "plays": 2},
    ]
    text = to_csv(rows, ["name", "plays", "missing"])
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed == [
        ["name", "plays", "missing"],
        ["'=cmd|' /C calc'!A0", "10", ""],
        ['quote " and, comma\nnewline', "2", ""],
    ]


def test_json_keeps_the_columns_and_unicode() -> None:
    out = json.loads(to_json([{"a": "🎉", "b": 1, "c": 2}], ["a", "b"]))
    assert out == [{"a": "🎉", "b": 1}]


HIDING = "a\x00b\x1bc\u202ed\u2066e\u200bf\x7fg"
"""Null, escape, right-to-left override, an isolate, a zero-width space, delete."""


def test_exports_strip_what_the_screen_strips() -> None:
    rows = [{"name": HIDING, "tags": [HIDING], "plays": 1}]
    cell = list(csv.reader(io.StringIO(to_csv(rows, ["name", "tags"]))))[1]
    assert cell == ["a b cdef g", '["a b cdef g"]']
    assert json.loads(to_json(rows, ["name", "tags"])) == [
        {"name": "a b cdef g", "tags": ["a b cdef g"]}
    ]
    # what the exports keep and the screen does not: a description's lines
    assert csv_cell("two\nlines\tand a tab") == "two\nlines\tand a tab"


def test_the_dashboards_exports_hold_no_override(server: DashboardServer) -> None:
    assert "\u202e" in HOSTILE_DESCRIPTION
    for kind in ("csv", "json"):
        url = f"{server.url}/export/rankings.{kind}?metric=plays&n=100"
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read().decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(body))) if kind == "csv" else json.loads(body)
        hostile = next(r for r in rows if r["video_id"] == HOSTILE_VIDEO)
        assert hostile["description"].startswith("<script>")  # still the whole text
        assert "evil" in hostile["description"] and "\u202e" not in hostile["description"]
