"""The rows of an XLSX export's first sheet, as text (openpyxl, read-only: streamed).

Studio writes its XLSX with SheetJS, every cell text (``t="str"``), numbers included; a file
re-saved by Excel has numbers and dates instead: both come out as the CSV's text would.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

from trendmon.errors import ExportFormatError


def is_xlsx(data: bytes) -> bool:
    """Whether a ZIP's bytes are a workbook rather than an archive of exports."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xlsx_rows(data: bytes, source: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) of the first sheet's non-empty rows."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise ExportFormatError(
            f"is not a readable XLSX workbook ({type(exc).__name__})", source,
            fix="open it in a spreadsheet and save it again as XLSX or CSV",
        ) from None  # fmt: skip
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_text(v) for v in row]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                yield number, cells
    finally:
        book.close()
