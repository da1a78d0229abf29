"""When alerts come: quiet hours (presets or typed) and the daily digest."""

from __future__ import annotations

import re

from bot.core.context import Context
from bot.core.messages import IncomingMessage, Kind, rows
from bot.core.router import Router
from bot.domain.quiet_hours import next_digest
from handlers.alerts.buttons import (
    DIGEST_OFF,
    QUIET_OFF,
    QUIET_ON,
    QUIET_TYPE,
    DigestButton,
    DigestChoice,
    MineButton,
    QuietButton,
    QuietChoice,
)
from handlers.alerts.flow import QUIET, citizen_id, enter, hhmm, leave, with_note
from handlers.alerts.mine import digest_text, quiet_text
from storage.repos import alerts

router = Router("alerts.hours")

DIGEST_HOURS = (7, 8, 12, 18, 20)
QUIET_PRESETS = ((22 * 60, 7 * 60), (23 * 60, 7 * 60), (23 * 60, 8 * 60), (0, 6 * 60))
_QUIET_TYPED = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–—]\s*(\d{1,2})[:.](\d{2})\s*$")


# -- quiet hours --------------------------------------------------------------------------


async def show_quiet(ctx: Context, note: str | None = None) -> None:
    leave(ctx)
    settings = await alerts.settings(ctx.session, citizen_id=citizen_id(ctx))
    text = ctx.t("alerts.quiet_intro", now=quiet_text(ctx, settings))
    on = settings.quiet_enabled
    current = (settings.quiet_from, settings.quiet_to)
    presets = [
        QuietChoice(f"{preset[0]}-{preset[1]}").button(
            ("✅ " if on and preset == current else "") + f"{hhmm(preset[0])}–{hhmm(preset[1])}"
        )
        for preset in QUIET_PRESETS
    ]
    toggle = (
        QuietChoice(QUIET_OFF).button(ctx.t("alerts.btn_quiet_off"))
        if on
        else QuietChoice(QUIET_ON).button(ctx.t("alerts.btn_quiet_on"))
    )
    ctx.reply(
        with_note(note, text),
        rows(
            *presets,
            (QuietChoice(QUIET_TYPE).button(ctx.t("alerts.btn_quiet_type")), toggle),
            (MineButton().button(ctx.t("alerts.btn_back")),),
            per_row=2,
        ),
    )


@router.button(QuietButton.prefix)
async def on_quiet(msg: IncomingMessage, ctx: Context) -> None:
    tapped = QuietChoice.parse(msg.payload)
    action = tapped.choice if tapped else ""  # "": "aq" itself, the quiet hours
    cid = citizen_id(ctx)
    if action in (QUIET_ON, QUIET_OFF):
        await alerts.set_quiet(ctx.session, citizen_id=cid, enabled=action == QUIET_ON, now=ctx.now)
        return await show_quiet(ctx, ctx.t("alerts.saved"))
    if action == QUIET_TYPE:
        return enter(ctx, QUIET)
    window = _preset(action)
    if window is not None:
        await alerts.set_quiet(
            ctx.session, citizen_id=cid, enabled=True, window=window, now=ctx.now
        )
        return await show_quiet(ctx, ctx.t("alerts.saved"))
    await show_quiet(ctx)


def _preset(arg: str) -> tuple[int, int] | None:
    start, _, end = arg.partition("-")
    if not (start.isdigit() and end.isdigit() and len(start) <= 4 and len(end) <= 4):
        return None
    window = (int(start), int(end))
    return window if all(0 <= m < 24 * 60 for m in window) and window[0] != window[1] else None


def parse_quiet(text: str) -> tuple[int, int] | None:
    """ "22:00-07:00" (or 22.00–7.00) → minutes after midnight; None if it is not that."""
    match = _QUIET_TYPED.match(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        return None
    window = (h1 * 60 + m1, h2 * 60 + m2)
    return window if window[0] != window[1] else None


@router.state(QUIET)
async def on_quiet_typed(msg: IncomingMessage, ctx: Context) -> None:
    window = parse_quiet(msg.text)
    if window is None:
        return _quiet_bad(ctx)
    await alerts.set_quiet(
        ctx.session, citizen_id=citizen_id(ctx), enabled=True, window=window, now=ctx.now
    )
    await show_quiet(ctx, ctx.t("alerts.saved"))


@router.state(QUIET, kinds=(Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_quiet_wrong_kind(msg: IncomingMessage, ctx: Context) -> None:
    _quiet_bad(ctx)


def _quiet_bad(ctx: Context) -> None:
    ctx.reply(ctx.t("alerts.quiet_bad"), rows(QuietButton().button(ctx.t("alerts.btn_back"))))


# -- digest -------------------------------------------------------------------------------


async def show_digest(ctx: Context, note: str | None = None) -> None:
    leave(ctx)
    settings = await alerts.settings(ctx.session, citizen_id=citizen_id(ctx))
    text = ctx.t("alerts.digest_intro", now=digest_text(ctx, settings))
    hours = [
        DigestChoice(str(hour)).button(
            ("✅ " if settings.digest_hour == hour else "") + hhmm(hour * 60)
        )
        for hour in DIGEST_HOURS
    ]
    off = ctx.t("alerts.btn_digest_off")
    off_label = f"✅ {off}" if settings.digest_hour is None else off
    ctx.reply(
        with_note(note, text),
        rows(
            *hours,
            (DigestChoice(DIGEST_OFF).button(off_label),),
            (MineButton().button(ctx.t("alerts.btn_back")),),
            per_row=3,
        ),
    )


@router.button(DigestButton.prefix)
async def on_digest(msg: IncomingMessage, ctx: Context) -> None:
    tapped = DigestChoice.parse(msg.payload)
    arg = tapped.choice if tapped else ""  # "": "ag" itself, the digest
    if arg == DIGEST_OFF or (arg.isdigit() and int(arg) in DIGEST_HOURS):
        hour = None if arg == DIGEST_OFF else int(arg)
        tz = ctx.services.city.timezone
        await alerts.set_digest(
            ctx.session,
            citizen_id=citizen_id(ctx),
            hour=hour,
            next_digest_at=None if hour is None else next_digest(ctx.now, tz, hour),
            now=ctx.now,
        )
        return await show_digest(ctx, ctx.t("alerts.saved"))
    await show_digest(ctx)
