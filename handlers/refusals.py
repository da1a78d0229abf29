"""What the domain's refusals (bot.domain.errors.Refused) say to the person who asked: the
refusal's i18n key, its moments in city time and its roles by their names."""

from __future__ import annotations

from datetime import datetime

from bot.core.context import Context
from bot.domain.errors import Refused
from handlers.admin_targets import role_label
from handlers.report_views import local_time
from storage.models import Role


def refusal_text(ctx: Context, refusal: Refused) -> str:
    values: dict[str, object] = {}
    for name, value in refusal.values.items():
        if isinstance(value, Role):
            value = role_label(ctx, value)
        elif isinstance(value, datetime):
            value = local_time(ctx, value)
        values[name] = value
    return ctx.t(refusal.key, **values)
