"""How surveys are shown, shared by the citizens' and the staff's conversations."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.context import Context
from bot.i18n import N_, shorten
from bot.surveys.lifecycle import Phase, questions_of
from bot.surveys.schema import localized
from handlers.reports.views import district_label
from storage.models import Survey

PHASE_LABELS = {
    Phase.DRAFT: N_("surveys.phase_draft"),
    Phase.SCHEDULED: N_("surveys.phase_scheduled"),
    Phase.OPEN: N_("surveys.phase_open"),
    Phase.CLOSED: N_("surveys.phase_closed"),
}


def title(ctx: Context, survey: Survey, language: str | None = None) -> str:
    return localized(questions_of(survey).title, language or ctx.language)


def local_date(ctx: Context, when: datetime) -> str:
    return ctx.when(when, "date")


def local_moment(ctx: Context, when: datetime, *, closing: bool = False) -> str:
    """A date and time in city time; a closing time at midnight is the end of the day
    before ("31.01.2027", not "01.02.2027 00:00")."""
    local = when.astimezone(ctx.services.city.timezone)
    if local.hour == 0 and local.minute == 0:
        return ctx.when((local - timedelta(days=1) if closing else local).date(), "date")
    return ctx.when(local)


def closes(ctx: Context, survey: Survey) -> str:
    return local_moment(ctx, survey.closes_at, closing=True)


def opens(ctx: Context, survey: Survey) -> str:
    return local_moment(ctx, survey.opens_at)


def districts_text(ctx: Context, codes: list[str]) -> str:
    return ", ".join(district_label(ctx, code) for code in codes)


def phase_label(ctx: Context, phase: Phase) -> str:
    return ctx.t(PHASE_LABELS[phase])


def short(text: str, limit: int = 48) -> str:
    return shorten(text, limit)
