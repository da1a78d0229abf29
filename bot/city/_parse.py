"""Reading and checking city-pack files, one way for every file: each file's shape is a pydantic
model, and every problem becomes one CityPackError line `<file>: <field>: <reason>` (the field
written as in survey files: `[3].names.en`, `features[0].properties.code`)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from bot.i18n import LANGUAGES

T = TypeVar("T")

CODE_MAX = 20
_CODE = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{CODE_MAX - 1}}}")

Where = Sequence[str | int]
"""Where something is in a file: keys and list indexes, as pydantic reports them."""


class CityPackError(Exception):
    """A city pack is missing or invalid; the message is one line naming the file."""


def where(path: Where) -> str:
    """("features", 2, "properties") → "features[2].properties"; () → "the file"."""
    text = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")
    return text or "the file"


def problem(file: Path, path: Where, reason: str) -> NoReturn:
    """Stop with the one line that names the file, the field and what is wrong."""
    raise CityPackError(f"{file}: {where(path)}: {reason}")


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


_REASONS = {
    "missing": "is required",
    "extra_forbidden": "unknown field (a typo?)",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "float_type": "must be a number",
    "too_short": "must not be empty",
}


def _reason(error: Any) -> str:
    kind = error["type"]
    if kind in _REASONS and not (kind == "too_short" and error.get("ctx", {}).get("min_length")):
        reason = _REASONS[kind]
    else:
        reason = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind not in ("missing", "extra_forbidden", "value_error") and "input" in error:
        shown = repr(error["input"])
        if len(shown) <= 60 and not isinstance(error["input"], dict | list):
            reason = f"{reason}, not {shown}"
    return reason


def _location(error: Any, raw: Any) -> tuple[str | int, ...]:
    """pydantic's location of the error in the file's data: the parts it adds that are not in
    the data (the branch of a union it tried, a function validator) are left out."""
    found: list[str | int] = []
    here = raw
    for part in error["loc"]:
        if isinstance(here, dict) and part in here:
            here = here[part]
        elif isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            here = here[part]
        elif error["type"] in ("missing", "extra_forbidden") and part == error["loc"][-1]:
            pass  # a key the data lacks, or one it should not have: named all the same
        else:
            continue
        found.append(part)
    return tuple(found)


def validate(adapter: TypeAdapter[T], raw: Any, file: Path) -> T:
    """`raw` (the file's JSON) as the adapter's type, or the CityPackError of its first
    problem."""
    try:
        return adapter.validate_python(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        problem(file, _location(error, raw), _reason(error))


def load(adapter: TypeAdapter[T], file: Path) -> T:
    return validate(adapter, read_json(file), file)


# -- the types every file uses ---------------------------------------------------------------


class Model(BaseModel):
    """A pack file's object: unknown keys are refused (typos show up), values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _code(value: Any) -> str:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise ValueError(f"code {value!r} is not 1-{CODE_MAX} characters of [a-z0-9_-]")
    return value


Code = Annotated[str, BeforeValidator(_code)]
"""A stable id: lower-case ASCII letters, digits, '-' and '_', at most CODE_MAX long, so it fits
in a URL and, with a prefix, in a 64-byte button payload."""


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must be a non-empty string")
    return value


Text = Annotated[str, AfterValidator(_text)]
Whole = StrictInt
"""A whole number written as one (not "1", not 1.0)."""
Flag = StrictBool


def _texts_checker(max_len: int | None) -> Any:
    def check(value: dict[str, str]) -> dict[str, str]:
        if missing := [lang for lang in LANGUAGES if lang not in value]:
            raise ValueError(f"has no {', '.join(repr(k) for k in missing)} text")
        for lang, text in value.items():
            if not text.strip():
                raise ValueError(f"the {lang} text is empty")
            if max_len is not None and len(text) > max_len:
                raise ValueError(f"the {lang} text {text!r} is longer than {max_len} characters")
        return value

    return AfterValidator(check)


def texts(max_len: int | None = None) -> Any:
    """{"bg": ..., "en": ...}: a text in every language of LANGUAGES (others allowed)."""
    return Annotated[dict[str, str], _texts_checker(max_len)]


Texts = texts()


def _keywords(value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    if missing := [lang for lang in LANGUAGES if lang not in value]:
        raise ValueError(f"has no {', '.join(repr(k) for k in missing)} keywords")
    for lang, words in value.items():
        if not words or not all(w.strip() for w in words):
            raise ValueError(f"the {lang} keywords must be a non-empty list of words")
    return value


Keywords = Annotated[dict[str, tuple[str, ...]], AfterValidator(_keywords)]
"""{"bg": [...], "en": [...]}: a few words per language."""


class Point(Model):
    """{"lat": 42.69, "lon": 23.32} (named, so latitude and longitude cannot be swapped)."""

    lat: float
    lon: float

    @model_validator(mode="after")
    def _degrees(self) -> Point:
        lat, lon = self.lat, self.lon
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise ValueError("lat and lon must be numbers of degrees")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"({lat}, {lon}) is not a latitude/longitude")
        return self

    @property
    def pair(self) -> tuple[float, float]:
        return self.lat, self.lon


def unique(file: Path, values: Sequence[str], at: Callable[[int], Where], what: str) -> None:
    """Each of `values` once: else `<at(i)>: <what> '…' is used twice`."""
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            problem(file, at(i), f"{what} {value!r} is used twice")
        seen.add(value)
