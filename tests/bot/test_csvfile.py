"""The one CSV writer: text a spreadsheet would run as a formula is quoted, numbers are not."""

from __future__ import annotations

import csv
import io

from bot.csvfile import lines


def test_formula_text_is_quoted_and_numbers_stay_numbers():
    row = [-1.5, 42, None, "-1.5", "@SUM(1)", "＠x", "\tx", "a=b", "", "Обикновен текст"]
    [back] = csv.reader(io.StringIO(lines([row]), newline=""))
    assert back[:5] == ["-1.5", "42", "", "'-1.5", "'@SUM(1)"]
    assert back[5:] == ["'＠x", "'\tx", "a=b", "", "Обикновен текст"]
