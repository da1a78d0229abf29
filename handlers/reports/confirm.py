"""Closing the loop in the chat: the answer to "Is it fixed?" that comes with a resolution's
news (bot/domain/report_news.py). ✅ closes the report for good; ❌ asks for a short comment,
then a photo or none, and reopens it (bot/domain/confirmation.py holds the rules).

The question's buttons arrive from an older message (the news), so they are not bound to a
step: every tap is checked by the domain (who may answer, one answer per question, the
current resolution only). The comment and photo steps' own buttons belong to their steps.

Buttons: cf:<report id>:<resolution id>:<1|0> the answer, cfs send without a photo, cfx cancel.
"""

from __future__ import annotations

import logging

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.messages import IncomingMessage, Kind, rows
from bot.core.router import Router
from bot.domain import confirmation
from bot.domain.errors import Refused
from bot.domain.report_news import CONFIRM_PREFIX
from bot.domain.reports import COMMENT_MAX, COMMENT_MIN, NewPhoto
from bot.media.photos import ProcessedPhoto
from bot.media.preload import PhotoProblem
from handlers.menu import main_menu
from handlers.refusals import refusal_text
from handlers.reports.file import PHOTO_PROBLEMS
from storage.models import Report
from storage.repos import reports

log = logging.getLogger(__name__)
router = Router("reports_confirm")

COMMENT = "confirm.comment"
PHOTO = "confirm.photo"


class ConfirmButton(ButtonData, prefix=CONFIRM_PREFIX):
    """An answer to the question asked after one resolution of one report."""

    report: int
    resolution: int
    fixed: bool


class SendWithoutPhoto(ButtonData, prefix="cfs"):
    pass


class CancelAnswer(ButtonData, prefix="cfx"):
    pass


@router.button(ConfirmButton)
async def on_answer(msg: IncomingMessage, ctx: Context) -> None:
    answer = ConfirmButton.of(msg)
    report = await reports.get_for_update(ctx.session, report_id=answer.report)
    if report is None:
        ctx.reply(ctx.t("followup.unavailable"), main_menu(ctx))
        return
    work = ctx.work
    if answer.fixed:
        try:
            await confirmation.confirm_fixed(work, report, answer.resolution)
        except Refused as refusal:
            return _refused(ctx, report, refusal)
        ctx.reply(ctx.t("confirm.thanks_fixed", id=report.public_id), main_menu(ctx))
        return
    refusal = await confirmation.answer_refusal(work, report, answer.resolution, fixed=False)
    if refusal is not None:
        return _refused(ctx, report, refusal)
    ctx.state.set(COMMENT, report_id=report.id, resolution=answer.resolution)
    ctx.reply(
        ctx.t("confirm.ask_comment", id=report.public_id, min=COMMENT_MIN, max=COMMENT_MAX),
        rows(CancelAnswer().button(ctx.t("followup.btn_cancel"))),
    )


@router.state(COMMENT)
async def on_comment(msg: IncomingMessage, ctx: Context) -> None:
    try:
        comment = confirmation.check_comment(msg.text)
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, refusal))
        return
    ctx.state.set(PHOTO, **{**ctx.state.data, "comment": comment})
    ctx.reply(
        ctx.t("confirm.ask_photo"),
        rows(
            SendWithoutPhoto().button(ctx.t("confirm.btn_without_photo")),
            CancelAnswer().button(ctx.t("followup.btn_cancel")),
        ),
    )


@router.state(COMMENT, kinds=(Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_comment_wrong_kind(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("confirm.comment_first", min=COMMENT_MIN, max=COMMENT_MAX))


@router.state(PHOTO, kinds=(Kind.PHOTO,))
async def on_photo(msg: IncomingMessage, ctx: Context) -> None:
    prepared = ctx.attachment
    if not isinstance(prepared, ProcessedPhoto):
        reason = prepared.reason if isinstance(prepared, PhotoProblem) else "download_failed"
        ctx.reply(ctx.t(PHOTO_PROBLEMS.get(reason, "report.photo_not_image")))
        return
    store = ctx.services.photos
    assert store is not None, "the photo store is part of the running bot"
    name = await store.save(prepared.content)
    photo = NewPhoto(
        name=name, width=prepared.width, height=prepared.height, size=len(prepared.content)
    )
    if not await _finish(ctx, [photo]):

        async def delete() -> None:
            await store.delete(name)

        ctx.after_commit.append(delete)


@router.state(PHOTO, kinds=(Kind.TEXT, Kind.LOCATION, Kind.CONTACT))
async def on_photo_wrong_kind(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(
        ctx.t("confirm.photo_or_none"),
        rows(
            SendWithoutPhoto().button(ctx.t("confirm.btn_without_photo")),
            CancelAnswer().button(ctx.t("followup.btn_cancel")),
        ),
    )


@router.button(SendWithoutPhoto, state=PHOTO)
async def on_without_photo(msg: IncomingMessage, ctx: Context) -> None:
    await _finish(ctx, [])


@router.button(CancelAnswer, state=(COMMENT, PHOTO))
async def on_cancel(msg: IncomingMessage, ctx: Context) -> None:
    ctx.state.clear()
    ctx.reply(ctx.t("followup.reopen_cancelled"), main_menu(ctx))


async def _finish(ctx: Context, photos: list[NewPhoto]) -> bool:
    """Reopen the report with the comment (and photo) gathered; False when refused now."""
    data = dict(ctx.state.data)
    ctx.state.clear()
    report_id, resolution, comment = (
        data.get("report_id"),
        data.get("resolution"),
        data.get("comment"),
    )
    report = (
        await reports.get_for_update(ctx.session, report_id=report_id)
        if isinstance(report_id, int)
        else None
    )
    if report is None or not isinstance(resolution, int) or not isinstance(comment, str):
        ctx.reply(ctx.t("followup.unavailable"), main_menu(ctx))
        return False
    try:
        await confirmation.not_fixed(ctx.work, report, resolution, comment, photos)
    except Refused as refusal:
        _refused(ctx, report, refusal)
        return False
    ctx.reply(ctx.t("confirm.reopened", id=report.public_id), main_menu(ctx))
    return True


def _refused(ctx: Context, report: Report, refusal: Refused) -> None:
    ctx.reply(refusal_text(ctx, refusal, id=report.public_id), main_menu(ctx))
