"""What the domain's refusals (bot.domain.errors.Refused) say to the person who asked: the
refusal's i18n key, its moments in city time and its roles by their names. Every
interface that talks (the chat handlers) says a refusal through here; Open311 maps its code."""

from __future__ import annotations

from datetime import datetime

from bot.core.context import Context
from bot.domain.errors import Refused
from handlers.labels import role_label
from storage.models import Role


def refusal_text(ctx: Context, refusal: Refused, /, **extra: object) -> str:
    """The refusal in the reader's words; `extra` adds what only the interface knows (the
    report's number as the person wrote or saw it)."""
    assert refusal.key is not None, f"no sentence for the refusal {refusal.code!r}"
    values: dict[str, object] = {}
    for name, value in {**refusal.values, **extra}.items():
        if isinstance(value, Role):
            value = role_label(ctx, value)
        elif isinstance(value, datetime):
            value = ctx.when(value)
        values[name] = value
    if refusal.n is not None:
        return ctx.tn(refusal.key, refusal.n, **values)
    return ctx.t(refusal.key, **values)
