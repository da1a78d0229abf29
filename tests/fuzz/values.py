"""Hypothesis strategies for the scalars and JSON that messengers send: texts in Bulgarian
and English with emoji, empty and huge ones, numbers of every size, random JSON and bodies
that are not JSON at all."""

from __future__ import annotations

import functools
import json
import math
from typing import Any

from hypothesis import strategies as st

CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъьюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЬЮЯѝЍ"
EMOJI = ["👍", "👍🏻", "🇧🇬", "❤️", "🚧", "🗑️", "👨‍👩‍👧", "😀", "🕳", "\u200d", "\ufe0f"]
SAMPLES = [
    "",
    " ",
    "\n\t ",
    "Здравейте",
    "Има дупка на пътя на ул. „Граф Игнатиев“ 5",
    "Благодаря! 👍🏻 Работи 🇧🇬",
    "There is a pothole",
    "1",
    "42",
    "0",
    "-1",
    "да",
    "Отказ",
    "English",
    "Български",
    "SOF-2026-000001",
    "lang:en",
    "menu:help",
    "<b>bold</b> & <i>",
    "*markdown* _x_ `y`",
    "\u202eRTL override",
    "null",
    "{}",
]

# What a citizen types, a letter or an emoji at a time (an emoji may be several code points).
_pieces = st.one_of(
    st.sampled_from(CYRILLIC),
    st.sampled_from("abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789 .,!?:/@_-\n"),
    st.sampled_from(EMOJI),
    st.characters(codec="utf-8"),
)


def _typed(min_size: int = 0, max_size: int = 80) -> st.SearchStrategy[str]:
    return st.lists(_pieces, min_size=min_size, max_size=max_size).map("".join)


@functools.cache
def huge_texts(min_size: int = 4_000, max_size: int = 60_000) -> st.SearchStrategy[str]:
    """Long texts, cheaply: a short piece repeated."""
    return st.builds(
        lambda piece, size: (piece * (size // len(piece) + 1))[:size],
        _typed(min_size=1, max_size=8),
        st.integers(min_size, max_size),
    )


@functools.cache
def texts(*, huge: int = 5, max_size: int = 80) -> st.SearchStrategy[str]:
    """Strings a user could send: samples, Cyrillic with emoji, anything in Unicode, empty,
    and in `huge` percent of the draws a huge one."""
    normal = st.one_of(
        st.sampled_from(SAMPLES), _typed(max_size=max_size), st.text(max_size=max_size)
    )
    if not huge:
        return normal
    return st.integers(0, 99).flatmap(lambda n: huge_texts() if n < huge else normal)


@functools.cache
def lone_surrogates() -> st.SearchStrategy[str]:
    """Valid JSON (`"\\ud83d"`) that is not valid Unicode text."""
    return st.builds(
        lambda head, code, tail: f"{head}{chr(code)}{tail}",
        _typed(max_size=5),
        st.integers(0xD800, 0xDFFF),
        _typed(max_size=5),
    )


@functools.cache
def integers() -> st.SearchStrategy[int]:
    """Small, 32-bit, 64-bit and far beyond."""
    return st.one_of(
        st.integers(-10, 1_000),
        st.integers(-(2**31), 2**31),
        st.integers(-(2**64), 2**64),
        st.sampled_from([2**53 + 1, 2**63, -(2**63) - 1, 10**30, 10**400, -(10**400)]),
    )


@functools.cache
def floats() -> st.SearchStrategy[float]:
    return st.floats(allow_nan=True, allow_infinity=True)


@functools.cache
def json_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.booleans(), integers(), floats(), texts(huge=0), lone_surrogates()
    )


@functools.cache
def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value (and Python's NaN/Infinity extension, which json.loads accepts)."""
    return st.recursive(
        json_scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(texts(huge=0, max_size=12), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON as messengers send it. What json allows beyond the standard comes
    through too: NaN and Infinity, and lone surrogates as escapes ("\\ud83d")."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", errors="backslashreplace")


@functools.cache
def not_json() -> st.SearchStrategy[bytes]:
    """Bodies that are not a JSON document: random bytes, bad UTF-8, cut-off JSON, empty."""
    return st.one_of(
        st.binary(max_size=200),
        st.sampled_from(
            [b"", b" ", b"{", b"}", b'{"update_id": 1', b"\xff\xfe{}", b"\xc3\x28", b"[1,2", b"nul"]
        ),
        st.text(max_size=50).map(lambda s: s.encode()),
    )


def cut(body: bytes) -> st.SearchStrategy[bytes]:
    """`body` cut off somewhere: what a dropped connection leaves."""
    return st.integers(0, max(len(body) - 1, 0)).map(lambda end: body[:end])


def other_json_type(value: Any) -> st.SearchStrategy[Any]:
    """A JSON value of another type than `value` (a string for a number, a list for a
    string, null for an object...)."""
    return _other_than(type(value))


@functools.cache
def _other_than(kind: type) -> st.SearchStrategy[Any]:
    kinds: dict[type, st.SearchStrategy[Any]] = {
        type(None): st.none(),
        bool: st.booleans(),
        int: integers(),
        float: floats(),
        str: st.one_of(texts(huge=0, max_size=12), lone_surrogates()),
        list: st.lists(json_scalars(), max_size=2),
        dict: st.dictionaries(texts(huge=0, max_size=8), json_scalars(), max_size=2),
    }
    return st.one_of([strategy for other, strategy in kinds.items() if other is not kind])


def extreme_like(value: str | int | float) -> st.SearchStrategy[Any]:
    """A value of the same JSON type as `value`, at the edges: a string with a lone surrogate,
    a NUL or a huge one; a number far out of any range, NaN or infinite."""
    if isinstance(value, str):
        return st.one_of(
            lone_surrogates().map(lambda bad: value + bad),
            st.just(value + "\x00"),
            st.just(""),
            huge_texts(),
        )
    return st.one_of(
        st.sampled_from([10**400, -(10**400), 2**63, 2**64 + 1, -1, 0]),
        st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0]),
    )


@st.composite
def mutated(draw: st.DrawFn, value: Any, max_changes: int = 3) -> Any:
    """`value` (a JSON tree) with a few changes inside: a field removed, given a value of
    another type, wrapped in a list, turned into a string, or an unknown field added."""
    value = json.loads(json.dumps(value))
    for _ in range(draw(st.integers(1, max_changes))):
        places = _places(value)
        if not places:
            return draw(json_values())
        node, key = draw(st.sampled_from(places))
        if key is None:  # a new field nobody asked for
            node[draw(texts(huge=0, max_size=12))] = draw(json_values(max_leaves=4))
            continue
        old = node[key]
        scalar = isinstance(old, str | int | float) and not isinstance(old, bool)
        actions = ["remove", "retype", "retype", "wrap", "str"] + ["extreme"] * 3 * scalar
        action = draw(st.sampled_from(actions))
        if action == "remove":
            del node[key]
        elif action == "extreme":
            node[key] = draw(extreme_like(old))
        elif action == "retype":
            node[key] = draw(other_json_type(node[key]))
        elif action == "wrap":
            node[key] = [node[key]]
        else:
            node[key] = json.dumps(node[key], ensure_ascii=False)
    return value


def _places(tree: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in `tree`, and (object, None) for adding a field."""
    places: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            places.extend((node, key) for key in node)
            places.append((node, None))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            places.extend((node, index) for index in range(len(node)))
            for child in node:
                walk(child)

    walk(tree)
    return places
