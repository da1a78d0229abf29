"""/mysubs: everything a citizen chose, with a button for each setting; and the switch of the
news about their own and followed reports, which goes on after /stop."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, rows
from bot.core.router import Router
from bot.i18n import N_
from handlers.alerts.buttons import (
    STOP_ASK,
    STOP_RESUME,
    DigestButton,
    MineButton,
    PlacesButton,
    QuietButton,
    ReportNewsButton,
    StopButton,
    TopicsButton,
)
from handlers.alerts.flow import citizen_id, hhmm, leave
from handlers.alerts.places import places_text
from storage.models import AlertSettings
from storage.repos import alerts

router = Router("alerts.mine")


def quiet_text(ctx: Context, settings: AlertSettings) -> str:
    if not settings.quiet_enabled or settings.quiet_from == settings.quiet_to:
        return ctx.t("alerts.quiet_off")
    return ctx.t("alerts.quiet_on", start=hhmm(settings.quiet_from), end=hhmm(settings.quiet_to))


def digest_text(ctx: Context, settings: AlertSettings) -> str:
    if settings.digest_hour is None:
        return ctx.t("alerts.digest_off")
    return ctx.t("alerts.digest_at", time=hhmm(settings.digest_hour * 60))


async def show_mine(ctx: Context, note: str | None = None) -> None:
    leave(ctx)
    cid = citizen_id(ctx)
    chosen = await alerts.topics(ctx.session, citizen_id=cid)
    settings = await alerts.settings(ctx.session, citizen_id=cid)
    lines = [note] if note else []
    if settings.stopped:
        lines.append(ctx.t("alerts.stopped_banner"))
    topics = TopicsButton().button(ctx.t("alerts.btn_topics"))
    if not chosen:
        lines += [ctx.t("alerts.mine_none"), report_news_text(ctx, settings)]
        ctx.reply("\n\n".join(lines), rows(topics, report_news_button(ctx, settings)))
        return
    names = [t.short_name(ctx.language) for t in ctx.services.city.topics if t.code in chosen]
    places = await alerts.places(ctx.session, citizen_id=cid)
    lines.append(
        ctx.t(
            "alerts.mine",
            topics=", ".join(names),
            places=places_text(ctx, places),
            quiet=quiet_text(ctx, settings),
            digest=digest_text(ctx, settings),
        )
    )
    lines.append(report_news_text(ctx, settings))
    if settings.stopped:
        last = StopButton(STOP_RESUME).button(ctx.t("alerts.btn_resume"))
    else:
        last = StopButton(STOP_ASK).button(ctx.t("alerts.btn_stop"))
    ctx.reply(
        "\n\n".join(lines),
        rows(
            topics,
            PlacesButton().button(ctx.t("alerts.btn_places")),
            QuietButton().button(ctx.t("alerts.btn_quiet")),
            DigestButton().button(ctx.t("alerts.btn_digest")),
            last,
            report_news_button(ctx, settings),
            per_row=2,
        ),
    )


@router.command("mysubs")
async def on_mysubs(msg: IncomingMessage, ctx: Context) -> None:
    await show_mine(ctx)


@router.button(MineButton)
async def on_mine_button(msg: IncomingMessage, ctx: Context) -> None:
    await show_mine(ctx)


# -- news about my reports (apart from /stop) ---------------------------------------------


def report_news_text(ctx: Context, settings: AlertSettings) -> str:
    if settings.report_news:
        return ctx.t("alerts.report_news_on")
    return ctx.t("alerts.report_news_off")


def report_news_button(ctx: Context, settings: AlertSettings) -> Button:
    if settings.report_news:
        return ReportNewsButton(False).button(ctx.t("alerts.btn_report_news_off"))
    return ReportNewsButton(True).button(ctx.t("alerts.btn_report_news_on"))


@router.button(ReportNewsButton)
async def on_report_news(msg: IncomingMessage, ctx: Context) -> None:
    on = ReportNewsButton.of(msg).on
    await alerts.set_report_news(ctx.session, citizen_id=citizen_id(ctx), on=on, now=ctx.now)
    note = N_("alerts.report_news_resumed") if on else N_("alerts.report_news_stopped")
    await show_mine(ctx, ctx.t(note))
