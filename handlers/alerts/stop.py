"""/stop: alerts, notices and survey invitations stop after a confirmation, until the citizen
turns them back on (news about their reports has its own switch in /mysubs)."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, Rows, rows
from bot.core.router import Router
from bot.i18n import N_
from handlers.alerts.buttons import STOP_ASK, STOP_NO, STOP_RESUME, STOP_YES, StopButton
from handlers.alerts.flow import citizen_id, leave
from handlers.alerts.mine import report_news_button, show_mine
from handlers.alerts.subscribe import show_topics
from handlers.menu import main_menu
from storage.repos import alerts

router = Router("alerts.stop")


def stop_question(ctx: Context) -> Rows:
    return rows(
        StopButton(STOP_YES).button(ctx.t("alerts.btn_stop_yes")),
        StopButton(STOP_NO).button(ctx.t("alerts.btn_stop_no")),
        per_row=2,
    )


def resume_button(ctx: Context) -> Button:
    return StopButton(STOP_RESUME).button(ctx.t("alerts.btn_resume"))


@router.command("stop")
async def on_stop_command(msg: IncomingMessage, ctx: Context) -> None:
    await ask_stop(ctx)


async def ask_stop(ctx: Context) -> None:
    leave(ctx)
    settings = await alerts.settings(ctx.session, citizen_id=citizen_id(ctx))
    if settings.stopped:
        ctx.reply(ctx.t("alerts.already_stopped"), rows(resume_button(ctx)))
        return
    ctx.reply(ctx.t("alerts.stop_confirm"), stop_question(ctx))


@router.button(StopButton)
async def on_stop_answer(msg: IncomingMessage, ctx: Context) -> None:
    answer = StopButton.of(msg).answer
    cid = citizen_id(ctx)
    if answer == STOP_ASK:
        return await ask_stop(ctx)
    if answer == STOP_YES:
        await alerts.stop(ctx.session, citizen_id=cid, now=ctx.now)
        settings = await alerts.settings(ctx.session, citizen_id=cid)
        buttons = [resume_button(ctx)]
        if settings.report_news:
            buttons.append(report_news_button(ctx, settings))
        text = N_("alerts.stopped") if settings.report_news else N_("alerts.stopped_no_report_news")
        ctx.reply(ctx.t(text), rows(*buttons))
        return
    if answer == STOP_RESUME:
        await alerts.resume(ctx.session, citizen_id=cid, now=ctx.now)
        if not await alerts.topics(ctx.session, citizen_id=cid):
            return await show_topics(ctx, ctx.t("alerts.resumed"))
        return await show_mine(ctx, ctx.t("alerts.resumed"))
    ctx.reply(ctx.t("alerts.stop_kept"), main_menu(ctx))
