"""Names of channels and languages as the reader's language says them ("конзола", "английски"),
for every place that lists them (/stats, /find, the audience of a notice or a survey)."""

from __future__ import annotations

from bot.core.context import Context
from bot.i18n import N_

CHANNEL_KEYS = {
    "telegram": N_("channel.telegram"),
    "viber": N_("channel.viber"),
    "console": N_("channel.console"),
}
LANGUAGE_NAME_KEYS = {"bg": N_("language_name.bg"), "en": N_("language_name.en")}


def channel_label(ctx: Context, code: str) -> str:
    key = CHANNEL_KEYS.get(code)
    return ctx.t(key) if key else code


def language_label(ctx: Context, code: str) -> str:
    key = LANGUAGE_NAME_KEYS.get(code)
    return ctx.t(key) if key else code


def channel_counts(ctx: Context, counts: dict[str, int]) -> str:
    """ "Telegram 3, Viber 2": each channel by its name, in a stable order."""
    return ", ".join(f"{channel_label(ctx, name)} {n}" for name, n in sorted(counts.items()) if n)
