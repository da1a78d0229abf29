"""Names of channels, languages, roles, alert topics and circles as the reader's language says
them ("конзола", "английски", "служител", "1 км"), for every place that lists them (/stats,
/find, /staff, the audience of a notice or a survey, alert subscriptions), and the language
choice's buttons."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.context import Context
from bot.i18n import N_
from storage.models import Role

CHANNEL_KEYS = {
    "telegram": N_("channel.telegram"),
    "viber": N_("channel.viber"),
    "console": N_("channel.console"),
}


@dataclass(frozen=True, slots=True)
class LanguageKeys:
    own: str  # its name in itself, on the language choice's button ("Български")
    name: str  # its name in the reader's language ("английски")


LANGUAGE_LABELS = {
    "bg": LanguageKeys(own=N_("language.bg"), name=N_("language_name.bg")),
    "en": LanguageKeys(own=N_("language.en"), name=N_("language_name.en")),
}
ROLE_LABELS = {
    Role.CITIZEN: N_("admin.role_citizen"),
    Role.STAFF: N_("admin.role_staff"),
    Role.ADMIN: N_("admin.role_admin"),
}


def channel_label(ctx: Context, code: str) -> str:
    key = CHANNEL_KEYS.get(code)
    return ctx.t(key) if key else code


def language_label(ctx: Context, code: str) -> str:
    keys = LANGUAGE_LABELS.get(code)
    return ctx.t(keys.name) if keys else code


def role_label(ctx: Context, role: Role | str) -> str:
    return ctx.t(ROLE_LABELS[Role(role)])


def channel_counts(ctx: Context, counts: dict[str, int]) -> str:
    """ "Telegram 3, Viber 2": each channel by its name, in a stable order."""
    return ", ".join(f"{channel_label(ctx, name)} {n}" for name, n in sorted(counts.items()) if n)


def topic_label(ctx: Context, code: str) -> str:
    """An alert topic's short name ("💧 Water supply"); an unknown code as it is."""
    topic = ctx.services.city.topic(code)
    return topic.short_name(ctx.language) if topic else code


def radius_label(ctx: Context, metres: int) -> str:
    """A circle's radius: "500 m", "1 km", "1,5 km"."""
    if metres >= 1000:
        return ctx.t("alerts.radius_km", km=ctx.number(metres / 1000, 1))
    return ctx.t("alerts.radius_m", m=metres)
