"""Typed button payloads: a small class per button family that encodes and parses itself.

Like aiogram's CallbackData: declare the family's prefix and its fields, and the class packs
them into the payload a channel carries back (`"bt:roads"`) and parses a payload into a typed
value again. Fields are `str`, `int` or `bool`, packed in declaration order after the prefix;
a payload that does not parse (a forged or an outdated one) is never given to a handler:
the router treats it as a button that is no longer active.

    @dataclass(frozen=True)
    class TopicButton(ButtonData, prefix="bt"):
        topic: str

    Button(label, payload=TopicButton("roads").pack())   # or TopicButton("roads").button(label)

    @router.button(TopicButton, role=Role.STAFF, state=TOPIC)
    async def on_topic(msg, ctx):
        topic = TopicButton.of(msg).topic
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, ClassVar, Self

from bot.core.messages import Button, IncomingMessage

SEPARATOR = ":"
_CONVERTERS: dict[Any, Any] = {str: str, int: int, bool: None}


class ButtonData:
    """Base class of a button family; subclasses are frozen dataclasses."""

    prefix: ClassVar[str]
    _fields: ClassVar[tuple[tuple[str, Any], ...]]

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or SEPARATOR in prefix:
            raise ValueError(f"bad button prefix {prefix!r}")
        cls.prefix = prefix

    @classmethod
    def _types(cls) -> tuple[tuple[str, Any], ...]:
        # Resolved once the dataclass decorator has run (after __init_subclass__).
        if "_fields" not in cls.__dict__:
            hints = typing.get_type_hints(cls)
            fields = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))  # type: ignore[arg-type]
            for name, kind in fields:
                if kind not in _CONVERTERS:
                    raise TypeError(f"{cls.__name__}.{name}: a button field is str, int or bool")
            cls._fields = fields
        return cls._fields

    def pack(self) -> str:
        parts = [self.prefix]
        for name, kind in self._types():
            value = getattr(self, name)
            text = ("1" if value else "0") if kind is bool else str(value)
            if SEPARATOR in text and name != self._types()[-1][0]:
                raise ValueError(f"{type(self).__name__}.{name} may not contain {SEPARATOR!r}")
            parts.append(text)
        return SEPARATOR.join(parts)

    def button(self, label: str) -> Button:
        return Button(label, payload=self.pack())

    @classmethod
    def parse(cls, payload: str | None) -> Self | None:
        """The typed value of a payload of this family; None if it is not a valid one."""
        fields = cls._types()
        if not payload:
            return None
        head, separator, rest = payload.partition(SEPARATOR)
        if head != cls.prefix or bool(separator) != bool(fields):
            return None
        # The last field takes the rest, so a free-text last field may hold the separator.
        parts = rest.split(SEPARATOR, len(fields) - 1) if fields else []
        if len(parts) != len(fields):
            return None
        values: dict[str, Any] = {}
        for (name, kind), text in zip(fields, parts, strict=True):
            if kind is bool:
                if text not in ("0", "1"):
                    return None
                values[name] = text == "1"
            elif kind is int:
                if not text.lstrip("-").isdigit() or len(text) > 18:
                    return None
                values[name] = int(text)
            else:
                if not text:
                    return None
                values[name] = text
        return cls(**values)

    @classmethod
    def of(cls, msg: IncomingMessage) -> Self:
        """The typed value of the button just tapped (its route checked that it parses)."""
        value = cls.parse(msg.payload)
        if value is None:
            raise ValueError(f"not a {cls.__name__} payload")
        return value
