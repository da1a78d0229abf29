"""Onboarding, language, help, the menu and /cancel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.context import Context
from bot.core.messages import IncomingMessage, Kind
from bot.core.router import Router
from bot.i18n import N_
from handlers.menu import MENU_ACTIONS, language_choice, main_menu, show_menu

router = Router("start")

# Bump when the privacy notice changes: citizens who agreed to an older one see the new one
# with their next message (show_changed_privacy_notice).
PRIVACY_VERSION = 2
ONBOARDING = "onboarding"

# Deep links (/start <payload>): a capability registers a payload prefix; the action gets the
# rest and says whether it handled the link. Onboarded citizens go straight there, new ones
# right after choosing their language.
DeepLink = Callable[[Context, str], Awaitable[bool]]
DEEP_LINKS: dict[str, DeepLink] = {}


def deep_link(prefix: str) -> Callable[[DeepLink], DeepLink]:
    def register(action: DeepLink) -> DeepLink:
        DEEP_LINKS[prefix] = action
        return action

    return register


async def open_deep_link(ctx: Context, link: str | None) -> bool:
    for prefix, action in DEEP_LINKS.items():
        if link and link.startswith(prefix):
            return await action(ctx, link.removeprefix(prefix))
    return False


async def begin_onboarding(ctx: Context, deep_link: str | None = None) -> None:
    data = {"deep_link": deep_link} if deep_link else {}
    ctx.state.set(ONBOARDING, **data)
    city = ctx.services.city.name(ctx.language)
    ctx.reply(ctx.t("start.welcome", city=city), language_choice(ctx))


def privacy_notice(ctx: Context) -> str:
    months = ctx.services.settings.retention_months
    return ctx.tn("privacy.notice", months, months=months)


_NO_NOTICE = frozenset({Kind.STARTED, Kind.STOPPED})


@router.before
async def show_changed_privacy_notice(msg: IncomingMessage, ctx: Context) -> bool:
    """A citizen who agreed to an older privacy notice sees the new one first; their message
    is then handled as usual. Not during onboarding (the notice comes with the language),
    nor with /start (onboarding again shows it; a deep link leaves it for the next message)."""
    version = ctx.citizen.consent_version
    if version is None or version >= PRIVACY_VERSION or msg.kind in _NO_NOTICE:
        return False
    ctx.citizen.consent_version = PRIVACY_VERSION
    ctx.citizen.consented_at = ctx.now
    ctx.reply(ctx.t("privacy.updated") + "\n\n" + privacy_notice(ctx))
    return False


@router.on(Kind.STARTED)
async def on_started(msg: IncomingMessage, ctx: Context) -> None:
    ctx.citizen.opted_out = False
    if ctx.citizen.consent_version is not None and await open_deep_link(ctx, msg.payload):
        return
    await begin_onboarding(ctx, deep_link=msg.payload)


@router.command("start")
async def on_start_command(msg: IncomingMessage, ctx: Context) -> None:
    await on_started(msg, ctx)


@router.state(ONBOARDING, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def onboarding_needs_language(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("start.choose_language"), language_choice(ctx))


@router.button("lang")
async def on_language_chosen(msg: IncomingMessage, ctx: Context) -> None:
    code = (msg.payload or "").partition(":")[2]
    if code not in ctx.services.translator.languages:
        ctx.reply(ctx.t("start.choose_language"), language_choice(ctx))
        return
    ctx.citizen.language = code
    onboarding = ctx.state.name == ONBOARDING
    link = ctx.state.data.get("deep_link") if onboarding else None
    if onboarding:
        ctx.state.clear()
    if onboarding or ctx.citizen.consent_version != PRIVACY_VERSION:
        ctx.citizen.consent_version = PRIVACY_VERSION
        ctx.citizen.consented_at = ctx.now
        ctx.reply(privacy_notice(ctx))
        if await open_deep_link(ctx, link):
            return
        ctx.reply(ctx.t("menu.prompt"), main_menu(ctx))
        return
    ctx.reply(ctx.t("language.set"), main_menu(ctx))


@router.command("language", "lang")
async def on_language_command(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("start.choose_language"), language_choice(ctx))


@router.command("help")
async def on_help(msg: IncomingMessage, ctx: Context) -> None:
    city = ctx.services.city.name(ctx.language)
    ctx.reply(ctx.t("help.text", city=city), main_menu(ctx))


@router.command("menu")
async def on_menu(msg: IncomingMessage, ctx: Context) -> None:
    show_menu(ctx)


@router.command("cancel")
async def on_cancel(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.active:
        ctx.state.clear()
        show_menu(ctx, N_("cancel.done"))
    else:
        show_menu(ctx, N_("cancel.nothing"))


@router.button("menu")
async def on_menu_button(msg: IncomingMessage, ctx: Context) -> None:
    entry = (msg.payload or "").partition(":")[2]
    if entry == "help":
        await on_help(msg, ctx)
    elif entry == "language":
        await on_language_command(msg, ctx)
    elif entry in MENU_ACTIONS:
        await MENU_ACTIONS[entry](ctx)
    else:
        show_menu(ctx, N_("fallback.button"))
