"""A domain refusal (bot.domain.errors.Refused) in the member's words: the same catalog
sentence the chat says (handlers/refusals.py), moments in city time."""

from __future__ import annotations

from datetime import datetime

from bot.domain.errors import Refused
from bot.i18n import format_when
from bot.web.console.app import Console


def refusal_text(console: Console, language: str, refusal: Refused) -> str:
    if refusal.key is None:
        return refusal.code
    values: dict[str, object] = {}
    for name, value in refusal.values.items():
        if isinstance(value, datetime):
            value = format_when(value, language, console.services.city.timezone)
        values[name] = value
    if refusal.n is not None:
        return console.tn(language, refusal.key, refusal.n, **values)
    return console.t(language, refusal.key, **values)
