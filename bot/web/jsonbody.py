"""JSON from a request body, nested at most MAX_DEPTH deep.

`json.loads` recurses once per level of nesting: `[[[[…` a hundred thousand deep raises
RecursionError (not ValueError), which the webhooks answered with a 500. Every request
body is parsed here; too deep is a ValueError like any other bad JSON.
"""

from __future__ import annotations

import json
import operator
import re
from itertools import accumulate, count
from typing import Any

MAX_DEPTH = 64
"""Far more than any webhook sends (a Telegram update or a Viber callback is under 10)."""

# A string, its closing quote optional: an unclosed one runs to the end in one match (the
# possessive `*+` never backtracks), so stripping strings is one linear pass.
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*+"?', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEPS = str.maketrans({"[": "\x02", "{": "\x02", "]": "\x00", "}": "\x00"})


def depth(text: str) -> int:
    """How deep the arrays and objects of `text` nest, brackets inside strings aside."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    # After i brackets the level is opened - closed = 2 * opened - i: running sums of 2 per
    # opening bracket, less i. Counted in C (accumulate, map, max): megabytes of brackets
    # take milliseconds.
    steps = brackets.translate(_STEPS).encode("ascii")
    return max(map(operator.sub, accumulate(steps), count(1)), default=0)


def loads(data: str | bytes) -> Any:
    """The JSON value of `data` (UTF-8 if bytes); ValueError if it is not JSON or nests
    deeper than MAX_DEPTH. Usable as aiohttp's `request.json(loads=...)`."""
    text = data.decode(json.detect_encoding(data)) if isinstance(data, bytes) else data
    if depth(text) > MAX_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
    return json.loads(text)
