"""Reading and checking city-pack files. Every problem becomes one CityPackError line that
names the file: `<path>: <what is wrong>`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")

LANGUAGES = ("bg", "en")
"""Every text in a pack must exist in each of these (the bot's languages)."""

CODE_MAX = 20
_CODE = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{CODE_MAX - 1}}}")


class CityPackError(Exception):
    """A city pack is missing or invalid; the message is one line naming the file."""


class Invalid(ValueError):
    """A problem inside one pack file; `problems_in` adds the file's path."""


def fail(problem: str) -> NoReturn:
    raise Invalid(problem)


@contextmanager
def problems_in(path: Path) -> Iterator[None]:
    try:
        yield
    except Invalid as exc:
        raise CityPackError(f"{path}: {exc}") from None


def read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CityPackError(f"{path}: file is missing") from None
    except UnicodeDecodeError:
        raise CityPackError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise CityPackError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CityPackError(
            f"{path}: bad JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def as_object(value: Any, where: str, *, keys: set[str], required: set[str]) -> dict[str, Any]:
    """A JSON object with all of `required` and nothing outside `keys` (typos show up)."""
    if not isinstance(value, dict):
        fail(f"{where} must be an object")
    if missing := sorted(required - value.keys()):
        fail(f"{where} has no {', '.join(repr(k) for k in missing)}")
    if unknown := sorted(value.keys() - keys):
        fail(f"{where} has unknown {', '.join(repr(k) for k in unknown)}")
    return value


def as_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        fail(f"{where} must be a non-empty list")
    return value


def as_code(value: Any, where: str) -> str:
    """A stable id: lower-case ASCII letters, digits, '-' and '_', at most CODE_MAX long, so
    it fits in a URL and, with a prefix, in a 64-byte button payload."""
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        fail(f"{where}: code {value!r} is not 1-{CODE_MAX} characters of [a-z0-9_-]")
    return value


def as_text(value: Any, where: str, *, max_len: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        fail(f"{where} must be a non-empty string")
    if max_len is not None and len(value) > max_len:
        fail(f"{where} {value!r} is longer than {max_len} characters")
    return value


def as_texts(value: Any, where: str, *, max_len: int | None = None) -> dict[str, str]:
    """{"bg": ..., "en": ...}: every language in LANGUAGES, others allowed."""
    if not isinstance(value, dict):
        fail(f"{where} must be an object of texts by language")
    if missing := [lang for lang in LANGUAGES if lang not in value]:
        fail(f"{where} has no {', '.join(repr(k) for k in missing)} text")
    return {
        str(lang): as_text(text, f"{where}.{lang}", max_len=max_len) for lang, text in value.items()
    }


def as_keywords(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    """{"bg": [...], "en": [...]}: lists of non-empty strings."""
    if not isinstance(value, dict):
        fail(f"{where} must be an object of keyword lists by language")
    if missing := [lang for lang in LANGUAGES if lang not in value]:
        fail(f"{where} has no {', '.join(repr(k) for k in missing)} keywords")
    return {
        str(lang): tuple(as_text(w, f"{where}.{lang}") for w in as_list(words, f"{where}.{lang}"))
        for lang, words in value.items()
    }


def as_int(value: Any, where: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        fail(f"{where} must be a whole number >= {minimum}, not {value!r}")
    return value


def as_bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        fail(f"{where} must be true or false, not {value!r}")
    return value


def as_lat_lon(value: Any, where: str) -> tuple[float, float]:
    """{"lat": 42.69, "lon": 23.32} (named, so latitude and longitude cannot be swapped)."""
    raw = as_object(value, where, keys={"lat", "lon"}, required={"lat", "lon"})
    lat, lon = (_as_degrees(raw[k], f"{where}.{k}") for k in ("lat", "lon"))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        fail(f"{where} ({lat}, {lon}) is not a latitude/longitude")
    return lat, lon


def _as_degrees(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        fail(f"{where} must be a number of degrees, not {value!r}")
    return float(value)


def optional(value: Any, parse: Callable[[Any, str], T], where: str) -> T | None:
    """None stays None (an absent optional key); anything else must parse."""
    return None if value is None else parse(value, where)


def check_unique(codes: list[str], what: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            fail(f"duplicate {what} {code!r}")
        seen.add(code)


def localized(texts: Mapping[str, str], language: str | None) -> str:
    """The text in `language` ("en", "en-GB" and "en_GB" all find "en"), else the first one
    (the pack's main language, listed first in its files)."""
    if language:
        if text := texts.get(language):
            return text
        base = language.replace("_", "-").split("-", 1)[0].lower()
        if text := texts.get(base):
            return text
    return next(iter(texts.values()))
