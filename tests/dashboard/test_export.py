"""CSV and JSON exports: every row, and nothing a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import json

import pytest

from trendmon.dashboard.export import csv_cell, to_csv, to_json


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
