"""Texts from a platform made fit for the database and the platforms' APIs.

JSON may carry lone surrogates ("\\ud83d"): no text a messenger sends, so the update is
malformed. NUL characters, which PostgreSQL refuses, are dropped from texts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bot.core.messages import IncomingMessage

_TEXTS = ("text", "args", "command", "payload", "phone")
_NEVER_EMPTY = ("payload", "command")


def storable(
    msg: IncomingMessage, *, ids: Iterable[str | None], malformed: type[Exception]
) -> IncomingMessage:
    """`msg` with its texts cleaned; `malformed` is raised when a text or one of `ids` (file
    ids, language codes: kept as they are) is not valid Unicode."""
    for text in ids:
        if text and not is_unicode(text):
            raise malformed("a text is not valid Unicode")
    cleaned: dict[str, str | None] = {}
    for name in _TEXTS:
        value: str | None = getattr(msg, name)
        if not value:
            continue
        if not is_unicode(value):
            raise malformed("a text is not valid Unicode")
        if "\x00" in value:
            value = value.replace("\x00", "")
            cleaned[name] = value if value or name not in _NEVER_EMPTY else None
    return replace(msg, **cleaned) if cleaned else msg


def is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
