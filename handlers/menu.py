"""The main menu and the keyboards more than one conversation shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.context import Context
from bot.core.messages import Button, Rows, rows
from bot.i18n import N_

MenuAction = Callable[[Context], Awaitable[None]]

# What each main-menu entry does; capabilities register their entry when imported.
MENU_ACTIONS: dict[str, MenuAction] = {}


def menu_entry(name: str) -> Callable[[MenuAction], MenuAction]:
    def register(action: MenuAction) -> MenuAction:
        MENU_ACTIONS[name] = action
        return action

    return register


LANGUAGE_LABELS = {"bg": N_("language.bg"), "en": N_("language.en")}


def main_menu(ctx: Context) -> Rows:
    t = ctx.t
    return rows(
        Button(t("menu.report"), payload="menu:report"),
        Button(t("menu.myreports"), payload="menu:myreports"),
        Button(t("menu.alerts"), payload="menu:alerts"),
        Button(t("menu.now"), payload="menu:now"),
        Button(t("menu.surveys"), payload="menu:surveys"),
        Button(t("menu.help"), payload="menu:help"),
        Button(t("menu.language"), payload="menu:language"),
        per_row=2,
    )


def language_choice(ctx: Context) -> Rows:
    return rows(
        *(
            Button(ctx.t(key), payload=f"lang:{code}")
            for code, key in LANGUAGE_LABELS.items()
            if code in ctx.services.translator.languages
        ),
        per_row=2,
    )


def show_menu(ctx: Context, text_key: str = "menu.prompt") -> None:
    ctx.reply(ctx.t(text_key), main_menu(ctx))
