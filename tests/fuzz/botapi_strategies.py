"""Hypothesis strategies for Telegram Bot API objects, built from the published spec.

`BotApiStrategies(spec).object("Message")` draws a JSON object of that type: every required
field, a few optional ones, each value of the type the spec gives it (Integer, String, Boolean,
Float, True, `Array of X`, unions `X or Y`, nested objects, abstract types through one of their
subtypes), nested objects down to `max_depth`, below which only required fields are drawn (no
type requires itself, so this ends). What the spec says in prose is used too: a field that is
"always" some value gets it, one that "can be" one of some quoted values mostly gets one of them,
Unix times are plausible dates and durations plausible seconds (python-telegram-bot turns both
into datetime/timedelta, which have bounds).

`overrides` ("Type.field" or "Type" → strategy) and `favoured` (type → optional fields drawn
more often) steer the objects towards what a bot really receives. A few rules the spec states
only in prose are such overrides by default (`PROSE_RULES`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.values import texts

JSONDict = dict[str, Any]

SPEC_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "telegram-bot-api-10.0.json"

_QUOTED = re.compile(r'["“]([A-Za-z0-9_]+)["”]')
_CONSTANT = re.compile(r'(?:always|must be) ["“]([A-Za-z0-9_]+)["”]')
_ENUM_HINTS = ("can be", "one of", "currently", "type of", "either")
ARRAY = "Array of "


def load_spec(path: Path = SPEC_PATH) -> JSONDict:
    data: JSONDict = json.loads(path.read_text(encoding="utf-8"))
    return data


class BotApiStrategies:
    def __init__(
        self,
        spec: Mapping[str, Any],
        *,
        max_depth: int = 2,
        max_optional: int = 3,
        overrides: Mapping[str, st.SearchStrategy[Any]] | None = None,
        favoured: Mapping[str, Collection[str]] | None = None,
        strings: st.SearchStrategy[str] | None = None,
    ) -> None:
        self.types: Mapping[str, JSONDict] = spec["types"]
        self.max_depth = max_depth
        self.max_optional = max_optional
        self.strings = strings if strings is not None else texts()
        self.overrides = {**prose_rules(self.strings), **(overrides or {})}
        self.favoured = {name: frozenset(fields) for name, fields in (favoured or {}).items()}
        self._objects: dict[tuple[str, int], st.SearchStrategy[JSONDict]] = {}

    # -- objects --------------------------------------------------------------------------

    def object(self, type_name: str, depth: int = 0) -> st.SearchStrategy[JSONDict]:
        """A JSON object of `type_name` (for an abstract type, of one of its subtypes)."""
        override = self.overrides.get(type_name)
        if override is not None:
            return override
        key = (type_name, min(depth, self.max_depth + 1))
        if key not in self._objects:
            self._objects[key] = self._build_object(type_name, depth)
        return self._objects[key]

    def update(self, kinds: Sequence[str] | None = None) -> st.SearchStrategy[JSONDict]:
        """An Update with `update_id` and exactly one of `kinds` (default: any of its fields)."""
        fields = {f["name"]: f for f in self.types["Update"]["fields"]}
        names = list(kinds) if kinds is not None else [n for n in fields if n != "update_id"]
        return st.sampled_from(names).flatmap(
            lambda name: st.fixed_dictionaries(
                {
                    "update_id": st.integers(1, 2**31),
                    name: self.value(fields[name]["types"], owner="Update", field=fields[name]),
                }
            )
        )

    def _build_object(self, type_name: str, depth: int) -> st.SearchStrategy[JSONDict]:
        spec = self.types[type_name]
        if "subtypes" in spec:
            return st.one_of([self.object(sub, depth) for sub in spec["subtypes"]])
        fields: list[JSONDict] = spec.get("fields", [])
        required = [f for f in fields if f["required"]]
        optional = [f for f in fields if not f["required"]] if depth <= self.max_depth else []
        liked = self.favoured.get(type_name, frozenset())
        favoured = [f for f in optional if f["name"] in liked]
        others = [f for f in optional if f["name"] not in liked]

        @st.composite
        def build(draw: st.DrawFn) -> JSONDict:
            obj: JSONDict = {}
            for field in required:
                obj[field["name"]] = draw(self._field(type_name, field, depth))
            for field in favoured:
                if draw(st.integers(0, 9)) < 7:
                    obj[field["name"]] = draw(self._field(type_name, field, depth))
            if others:
                chosen = draw(
                    st.lists(
                        st.sampled_from(others),
                        max_size=self.max_optional,
                        unique_by=lambda f: f["name"],
                    )
                )
                for field in chosen:
                    obj[field["name"]] = draw(self._field(type_name, field, depth))
            return obj

        return build()

    def _field(self, owner: str, field: JSONDict, depth: int) -> st.SearchStrategy[Any]:
        override = self.overrides.get(f"{owner}.{field['name']}")
        if override is not None:
            return override
        return self.value(field["types"], owner=owner, field=field, depth=depth + 1)

    # -- values ---------------------------------------------------------------------------

    def value(
        self, types: Sequence[str], *, owner: str, field: JSONDict, depth: int = 1
    ) -> st.SearchStrategy[Any]:
        """A value of one of `types` (a union "X or Y" is a list of several)."""
        return st.one_of([self._typed(t, field, depth) for t in types])

    def _typed(self, type_name: str, field: JSONDict, depth: int) -> st.SearchStrategy[Any]:
        if type_name.startswith(ARRAY):
            inner = type_name.removeprefix(ARRAY)
            return st.lists(self._typed(inner, field, depth), max_size=3)
        scalar = self._scalar(type_name, field)
        if scalar is not None:
            return scalar
        if type_name not in self.types:
            raise ValueError(f"the spec has no type {type_name!r}")
        return self.object(type_name, depth)

    def _scalar(self, type_name: str, field: JSONDict) -> st.SearchStrategy[Any] | None:
        name: str = field["name"]
        description: str = field.get("description", "")
        if type_name == "Integer":
            return _integers(name, description)
        if type_name == "Float":
            return _floats(name)
        if type_name == "Boolean":
            return st.booleans()
        if type_name == "True":
            return st.just(True)
        if type_name in ("String", "InputFile"):
            return self._string(description)
        return None

    def _string(self, description: str) -> st.SearchStrategy[str]:
        constant = _CONSTANT.search(description)
        if constant:
            return st.just(constant.group(1))
        lowered = description.lower()
        choices = _QUOTED.findall(description)
        if choices and any(hint in lowered for hint in _ENUM_HINTS):
            return st.one_of(st.sampled_from(choices), st.sampled_from(choices), self.strings)
        return self.strings


def prose_rules(strings: st.SearchStrategy[str]) -> dict[str, st.SearchStrategy[Any]]:
    """Objects the spec constrains in words: an inline keyboard button does exactly one thing
    (here: a callback or a link), a reply keyboard button at most one."""
    callback = st.text(min_size=1, max_size=64).filter(lambda s: len(s.encode()) <= 64)
    return {
        "InlineKeyboardButton": st.one_of(
            st.fixed_dictionaries({"text": strings, "callback_data": callback}),
            st.fixed_dictionaries({"text": strings, "url": st.just("https://sofia.bg/")}),
        ),
        "KeyboardButton": st.fixed_dictionaries(
            {"text": strings}, optional={"request_location": st.just(True)}
        ),
    }


def _integers(name: str, description: str) -> st.SearchStrategy[int]:
    if name == "date" or name.endswith("_date") or "unix time" in description.lower():
        return st.one_of(st.integers(1_700_000_000, 1_900_000_000), st.integers(0, 4_000_000_000))
    if name == "id" or name.endswith("_id"):
        return st.one_of(st.integers(1, 10**6), st.integers(-(2**52), 2**52))
    # Counts, sizes, offsets, durations: python-telegram-bot makes timedeltas of durations.
    return st.one_of(st.integers(0, 100), st.integers(-(2**31), 2**31 - 1))


def _floats(name: str) -> st.SearchStrategy[float]:
    if name == "latitude":
        return st.floats(-90, 90)
    if name == "longitude":
        return st.floats(-180, 180)
    return st.floats(-1e6, 1e6, allow_nan=False)
