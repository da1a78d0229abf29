"""/broadcast, the composer: a topic, the urgency, the texts and a photo (the audience is
audience.py's, when to send it schedule.py's; the steps' table is flow.py's FLOW).

The notice is a row (storage.repos.notices); scheduler.notices sends it when due, the delivery
engine delivers it and keeps the sender's progress message up to date. Every route needs
Role.STAFF; the composer's buttons belong to its steps (a tap in another step is answered by
the fallback as a button no longer active).
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import IncomingMessage, Kind, rows
from bot.core.router import Router
from bot.domain import notices as domain
from bot.domain.errors import Refused
from bot.media.photos import ProcessedPhoto
from bot.media.preload import PhotoProblem
from handlers.broadcast.buttons import (
    NO_ENGLISH,
    NO_PHOTO,
    CancelButton,
    SkipButton,
    TopicButton,
    UrgencyButton,
)
from handlers.broadcast.flow import (
    AT,
    AUDIENCE,
    BUTTON_STEPS,
    CRON,
    FLOW,
    PHOTO,
    PREVIEW,
    REPEAT,
    REPEAT_TIME,
    TEXT_BG,
    TEXT_EN,
    TOPIC,
    UNTIL,
    URGENCY,
    WEEKDAY,
    cancel_button,
    discard_photo,
    refused,
    show_preview,
)
from handlers.menu import main_menu
from handlers.reports.file import PHOTO_PROBLEMS
from storage.models import Role

router = Router("broadcast.compose")


@router.command("broadcast", role=Role.STAFF)
async def on_broadcast(msg: IncomingMessage, ctx: Context) -> None:
    discard_photo(ctx)
    ctx.state.clear()  # a new draft
    FLOW.goto(ctx, TOPIC)


@router.button(CancelButton, role=Role.STAFF, state=FLOW.any)
async def on_cancel(msg: IncomingMessage, ctx: Context) -> None:
    discard_photo(ctx)
    ctx.state.clear()
    ctx.reply(ctx.t("broadcast.cancelled"), main_menu(ctx))


# -- topic --------------------------------------------------------------------------------


@router.button(TopicButton, role=Role.STAFF, state=TOPIC)
async def on_topic(msg: IncomingMessage, ctx: Context) -> None:
    topic = ctx.services.city.topic(TopicButton.of(msg).topic)
    if topic is None:
        return FLOW.ask_again(ctx)
    ctx.state.update(topic=topic.code, urgent=topic.urgent_by_default)
    FLOW.goto(ctx, AUDIENCE)


# -- urgency, texts, photo ----------------------------------------------------------------


@router.button(UrgencyButton, role=Role.STAFF, state=URGENCY)
async def on_urgency(msg: IncomingMessage, ctx: Context) -> None:
    ctx.state.update(urgent=UrgencyButton.of(msg).urgent)
    FLOW.goto(ctx, TEXT_BG)


def _checked_text(ctx: Context, text: str) -> str | None:
    """The text if it can be sent, else None after saying why."""
    try:
        return domain.check_text(text)
    except Refused as refusal:
        refused(ctx, refusal)
        return None


@router.state(TEXT_BG, role=Role.STAFF)
async def on_text_bg(msg: IncomingMessage, ctx: Context) -> None:
    text = _checked_text(ctx, msg.text)
    if text is None:
        return
    ctx.state.update(text_bg=text)
    FLOW.goto(ctx, TEXT_EN)


@router.state(TEXT_EN, role=Role.STAFF)
async def on_text_en(msg: IncomingMessage, ctx: Context) -> None:
    text = _checked_text(ctx, msg.text)
    if text is None:
        return
    ctx.state.update(text_en=text)
    FLOW.goto(ctx, PHOTO)


@router.button(SkipButton, role=Role.STAFF, state=(TEXT_EN, PHOTO))
async def on_skip(msg: IncomingMessage, ctx: Context) -> None:
    step = SkipButton.of(msg).step
    if step == NO_ENGLISH and ctx.state.name == TEXT_EN:
        ctx.state.update(text_en=None)
        return FLOW.goto(ctx, PHOTO)
    if step == NO_PHOTO and ctx.state.name == PHOTO:
        return await show_preview(ctx)
    FLOW.ask_again(ctx)  # the other step's skip button: this step's question again


@router.state(PHOTO, kinds=(Kind.PHOTO,), role=Role.STAFF)
async def on_photo(msg: IncomingMessage, ctx: Context) -> None:
    prepared = ctx.attachment
    if not isinstance(prepared, ProcessedPhoto):
        reason = prepared.reason if isinstance(prepared, PhotoProblem) else "download_failed"
        return FLOW.ask_again(ctx, note=ctx.t(PHOTO_PROBLEMS.get(reason, "report.photo_not_image")))
    store = ctx.services.photos
    assert store is not None, "the photo store is part of the running bot"
    discard_photo(ctx)  # a second photo replaces the first
    name = await store.save(prepared.content)
    ctx.state.update(photo=name)
    await show_preview(ctx)


@router.state(PHOTO, kinds=(Kind.TEXT, Kind.LOCATION, Kind.CONTACT), role=Role.STAFF)
async def on_photo_expected(msg: IncomingMessage, ctx: Context) -> None:
    FLOW.ask_again(ctx, note=ctx.t("broadcast.photo_expected"))


@router.state(
    TEXT_BG,
    TEXT_EN,
    AT,
    REPEAT_TIME,
    CRON,
    UNTIL,
    kinds=(Kind.LOCATION, Kind.PHOTO, Kind.CONTACT),
    role=Role.STAFF,
)
async def on_text_expected(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("broadcast.text_expected"), rows(cancel_button(ctx)))


@router.state(
    *BUTTON_STEPS, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT), role=Role.STAFF
)
async def on_use_buttons(msg: IncomingMessage, ctx: Context) -> None:
    """A step that waits for a button: ask it again."""
    note = ctx.t("broadcast.use_buttons")
    if ctx.state.name == PREVIEW:
        return await show_preview(ctx, note)
    if ctx.state.name == WEEKDAY:  # back to how often, where the weekday came from
        return FLOW.goto(ctx, REPEAT, note=note)
    FLOW.ask_again(ctx, note=note)
