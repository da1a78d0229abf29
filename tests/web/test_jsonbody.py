"""JSON request bodies: nesting is bounded before json.loads recurses."""

from __future__ import annotations

import pytest

from bot.web.jsonbody import MAX_DEPTH, depth, loads


def test_depth_counts_brackets_outside_strings_only():
    assert depth('{"a": [1, {"b": "[[[[{{"}], "c": "\\"]]"}') == 3
    assert depth("[]" * 1000) == 1
    assert depth('"unclosed [[[[') == 0


def test_too_deep_is_a_value_error_like_any_bad_json():
    assert loads(b'{"ok": [[1]]}') == {"ok": [[1]]}
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    for body in ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "[" * 100_000, "{" * 10**6):
        with pytest.raises(ValueError, match="deeper"):
            loads(body)
    with pytest.raises(ValueError):
        loads(b"\xff{}")
