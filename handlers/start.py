"""Onboarding, language, help, the menu and /cancel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from bot.core.context import Context
from bot.core.messages import IncomingMessage, Kind, MediaRef
from bot.core.router import Router
from bot.i18n import N_
from handlers.menu import (
    MENU_ACTIONS,
    LanguageButton,
    MenuButton,
    language_choice,
    main_menu,
    show_menu,
)

router = Router("start")

# Bump when the privacy notice changes: citizens who agreed to an older one see the new one
# with their next message (show_changed_privacy_notice).
PRIVACY_VERSION = 2
ONBOARDING = "onboarding"
LANGUAGE_COMMANDS = ("language", "lang")

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


async def begin_onboarding(
    ctx: Context,
    deep_link: str | None = None,
    pending: IncomingMessage | None = None,
    *,
    keep_conversation: bool = False,
) -> None:
    """Greet, and ask for the language (the privacy notice comes with the choice). A deep
    link, or the first request of someone who has not seen the notice yet, waits in the
    onboarding state and continues after the choice; with keep_conversation, so does the
    conversation they were in (/start itself starts over)."""
    data: dict[str, Any] = {"deep_link": deep_link} if deep_link else {}
    if pending is not None:
        data["pending"] = _stored(pending)
    if keep_conversation and ctx.state.active and ctx.state.name != ONBOARDING:
        data["resume"] = {"state": ctx.state.name, "data": ctx.state.data}
    ctx.state.set(ONBOARDING, **data)
    city = ctx.services.city.name(ctx.language)
    ctx.reply(ctx.t("start.welcome", city=city), language_choice(ctx))


def privacy_notice(ctx: Context) -> str:
    months = ctx.services.settings.retention_months
    return ctx.tn("privacy.notice", months, months=months)


_NO_NOTICE = frozenset({Kind.STARTED, Kind.STOPPED})


@router.before
async def ask_consent_first(msg: IncomingMessage, ctx: Context) -> bool:
    """No one is served before they have seen the privacy notice and chosen a language: the
    first message of someone new (or forgotten) starts onboarding, whatever it is, and is
    kept to continue once they have chosen (on_language_chosen). /start onboards by itself;
    choosing a language, or asking for the choice, is what onboarding waits for."""
    if ctx.citizen.consent_version is not None or msg.kind in _NO_NOTICE:
        return False
    if msg.kind is Kind.BUTTON and LanguageButton.parse(msg.payload):
        return False
    if msg.kind is Kind.COMMAND and (msg.command or "").lower() in LANGUAGE_COMMANDS:
        return False
    request = msg if _may_wait(msg) else None
    if ctx.state.name == ONBOARDING:
        if request is not None and msg.kind in (Kind.COMMAND, Kind.BUTTON):  # the latest one
            ctx.state.update(pending=_stored(request), deep_link=None)
        ctx.reply(ctx.t("start.choose_language"), language_choice(ctx))
        return True
    # Someone from before consent was recorded may be half-way through a conversation.
    await begin_onboarding(ctx, pending=request, keep_conversation=True)
    return True


def _may_wait(msg: IncomingMessage) -> bool:
    """Whether a request may be served after the language choice. A button only when it is
    a main-menu entry: any other one was offered in a conversation that is gone (a forgotten
    citizen's old keyboard) or never was (a forged payload)."""
    if msg.kind is Kind.BUTTON:
        return MenuButton.parse(msg.payload) is not None
    return True


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


@router.button(LanguageButton)
async def on_language_chosen(msg: IncomingMessage, ctx: Context) -> None:
    code = LanguageButton.of(msg).code
    if code not in ctx.services.translator.languages:
        ctx.reply(ctx.t("start.choose_language"), language_choice(ctx))
        return
    ctx.citizen.language = code
    onboarding = ctx.state.name == ONBOARDING
    waiting = dict(ctx.state.data) if onboarding else {}
    if onboarding:
        resume = waiting.get("resume") or {}
        ctx.state.set(resume.get("state"), **(resume.get("data") or {}))
    if onboarding or ctx.citizen.consent_version != PRIVACY_VERSION:
        ctx.citizen.consent_version = PRIVACY_VERSION
        ctx.citizen.consented_at = ctx.now
        ctx.reply(privacy_notice(ctx))
        if await open_deep_link(ctx, waiting.get("deep_link")):
            return
        if waiting.get("pending") and await _continue(ctx, _recalled(waiting["pending"], msg)):
            return
        ctx.reply(ctx.t("menu.prompt"), main_menu(ctx))
        return
    ctx.reply(ctx.t("language.set"), main_menu(ctx))


async def _continue(ctx: Context, request: IncomingMessage) -> bool:
    """Serve the request that waited for the language choice, as if it came now; False when
    nothing but the fallback would answer it (a greeting, a stray photo): the menu then."""
    from handlers import build_router  # the root router, which includes this one

    route = build_router().resolve(request, ctx.state.name)
    if route is None:
        return False
    ctx.message = request
    if not ctx.role.at_least(route.role):
        ctx.reply(ctx.t("errors.not_allowed"))
        return True
    await route.handler(request, ctx)
    return True


def _stored(msg: IncomingMessage) -> dict[str, Any]:
    """A message as JSON for the conversation state (what _recalled reads back)."""
    fields = {
        "kind": msg.kind.value,
        "text": msg.text,
        "command": msg.command,
        "args": msg.args,
        "payload": msg.payload,
        "location": list(msg.location) if msg.location else None,
        "photo": asdict(msg.photo) if msg.photo else None,
        "phone": msg.phone,
    }
    return {key: value for key, value in fields.items() if value not in (None, "")}


def _recalled(stored: dict[str, Any], now: IncomingMessage) -> IncomingMessage:
    location = stored.get("location")
    photo = stored.get("photo")
    return IncomingMessage(
        address=now.address,
        kind=Kind(stored["kind"]),
        text=stored.get("text", ""),
        command=stored.get("command"),
        args=stored.get("args", ""),
        payload=stored.get("payload"),
        location=(location[0], location[1]) if location else None,
        photo=MediaRef(**photo) if photo else None,
        phone=stored.get("phone"),
        language=now.language,
    )


@router.command(*LANGUAGE_COMMANDS)
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


@router.button(MenuButton)
async def on_menu_button(msg: IncomingMessage, ctx: Context) -> None:
    entry = MenuButton.of(msg).entry
    if entry == "help":
        await on_help(msg, ctx)
    elif entry == "language":
        await on_language_command(msg, ctx)
    elif entry in MENU_ACTIONS:
        await MENU_ACTIONS[entry](ctx)
    else:
        show_menu(ctx, N_("fallback.button"))
