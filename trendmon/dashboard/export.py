"""Tables as CSV and JSON files, safe to open in a spreadsheet.

Untrusted text ends up in these files (descriptions, names), and a spreadsheet runs a cell that
starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) as a formula:
OWASP's advice is to prefix such a cell with a single quote, which :func:`csv_cell` does. Numbers
are written as numbers (a negative growth stays ``-0.25``, not a text cell).

Text is cleaned as on screen (:func:`~trendmon.dashboard.formatting.strip_controls`): no null
bytes or other control characters, no bidi overrides or invisible format characters; unlike
the screen, an export keeps tabs and line breaks, and never truncates.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from trendmon.dashboard.formatting import strip_controls

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def clean(value: Any) -> Any:
    """``value`` with every string in it (in lists and dicts too) stripped of control and bidi
    override characters; numbers and the rest as they are."""
    if isinstance(value, str):
        return strip_controls(value, keep_lines=True)
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    return value


def csv_cell(value: Any) -> str:
    """One CSV cell: numbers as they are, text defused against formula injection.

    >>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell(-3), csv_cell("-3"), csv_cell(None)
    ('\\'=HYPERLINK("http://x")', '-3', "'-3", '')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, list | tuple | dict):
        text = json.dumps(clean(value), ensure_ascii=False)
    else:
        text = strip_controls(str(value), keep_lines=True)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV text with a header line, columns in the given order (missing: empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(c) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    return out.getvalue()


def to_json(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as a JSON array of objects holding the given columns."""
    return json.dumps(
        [{c: clean(row.get(c)) for c in columns} for row in rows], ensure_ascii=False, indent=1
    )
