"""Typed button payloads: a small class per button family that encodes and parses itself.

Like aiogram's CallbackData: declare the family's prefix and its fields, and the class packs
them into the payload a channel carries back (`"bt:roads"`) and parses a payload into a typed
value again. Fields are `str`, `int` or `bool`, packed in declaration order after the prefix;
a payload that does not parse (a forged or an outdated one) is never given to a handler:
the router treats it as a button that is no longer active.

    class TopicButton(ButtonData, prefix="bt"):
        topic: str

    Button(label, payload=TopicButton("roads").pack())   # or TopicButton("roads").button(label)

    @router.button(TopicButton, role=Role.STAFF, state=TOPIC)
    async def on_topic(msg, ctx):
        topic = TopicButton.of(msg).topic

A family is a frozen value as a frozen dataclass is (keyword or positional fields, defaults,
equality, hashing, repr), with its methods written once here rather than generated for each of
the hundred families: a dataclass's six generated methods cost 9 KB of memory per class, 0.8 MB
of the bot's idle memory in all (bench/README.md).
"""

from __future__ import annotations

import inspect
from dataclasses import FrozenInstanceError
from typing import Any, ClassVar, Self, dataclass_transform

from bot.core.messages import Button, IncomingMessage

SEPARATOR = ":"
# Field annotations as written (strings, under `from __future__ import annotations`) or as types.
_KINDS: dict[Any, type] = {"str": str, "int": int, "bool": bool, str: str, int: int, bool: bool}


@dataclass_transform(frozen_default=True)
class ButtonData:
    """Base class of a button family: its fields are the annotated names of the class body."""

    prefix: ClassVar[str]
    _fields: ClassVar[tuple[tuple[str, type], ...]] = ()
    __signature__: ClassVar[inspect.Signature]

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or SEPARATOR in prefix:
            raise ValueError(f"bad button prefix {prefix!r}")
        cls.prefix = prefix
        fields = list(cls._fields)
        for name, annotation in inspect.get_annotations(cls).items():
            if "ClassVar" in str(annotation):
                continue
            if annotation not in _KINDS:
                raise TypeError(f"{cls.__name__}.{name}: a button field is str, int or bool")
            fields.append((name, _KINDS[annotation]))
        cls._fields = tuple(fields)
        parameters = [
            inspect.Parameter(
                name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=cls.__dict__.get(name, inspect.Parameter.empty),
                annotation=kind,
            )
            for name, kind in fields
        ]
        cls.__signature__ = inspect.Signature(parameters)  # raises for a default before none

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs or len(args) != len(self._fields):  # by name, or with defaults
            bound = self.__signature__.bind(*args, **kwargs)
            bound.apply_defaults()
            args = tuple(bound.arguments.values())
        for (name, _), value in zip(self._fields, args, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name, _ in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name, _ in self._fields)
        return f"{type(self).__name__}({shown})"

    @classmethod
    def fields(cls) -> tuple[tuple[str, type], ...]:
        """The family's fields, (name, str | int | bool), in payload order."""
        return cls._fields

    def pack(self) -> str:
        parts = [self.prefix]
        for name, kind in self._fields:
            value = getattr(self, name)
            text = ("1" if value else "0") if kind is bool else str(value)
            if SEPARATOR in text and name != self._fields[-1][0]:
                raise ValueError(f"{type(self).__name__}.{name} may not contain {SEPARATOR!r}")
            parts.append(text)
        return SEPARATOR.join(parts)

    def button(self, label: str) -> Button:
        return Button(label, payload=self.pack())

    @classmethod
    def parse(cls, payload: str | None) -> Self | None:
        """The typed value of a payload of this family; None if it is not a valid one."""
        fields = cls._fields
        if not payload:
            return None
        head, separator, rest = payload.partition(SEPARATOR)
        if head != cls.prefix or bool(separator) != bool(fields):
            return None
        # The last field takes the rest, so a free-text last field may hold the separator.
        parts = rest.split(SEPARATOR, len(fields) - 1) if fields else []
        if len(parts) != len(fields):
            return None
        values: list[Any] = []
        for (_, kind), text in zip(fields, parts, strict=True):
            if kind is bool:
                if text not in ("0", "1"):
                    return None
                values.append(text == "1")
            elif kind is int:
                if not text.lstrip("-").isdigit() or len(text) > 18:
                    return None
                values.append(int(text))
            else:
                if not text:
                    return None
                values.append(text)
        return cls(*values)

    @classmethod
    def of(cls, msg: IncomingMessage) -> Self:
        """The typed value of the button just tapped (its route checked that it parses)."""
        value = cls.parse(msg.payload)
        if value is None:
            raise ValueError(f"not a {cls.__name__} payload")
        return value
