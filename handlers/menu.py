"""The main menu and the keyboards more than one conversation shows."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.messages import Rows, rows
from bot.i18n import N_, Translator
from handlers.labels import LANGUAGE_LABELS

MenuAction = Callable[[Context], Awaitable[None]]

# What each main-menu entry does; capabilities register their entry when imported.
MENU_ACTIONS: dict[str, MenuAction] = {}


def menu_entry(name: str) -> Callable[[MenuAction], MenuAction]:
    def register(action: MenuAction) -> MenuAction:
        MENU_ACTIONS[name] = action
        return action

    return register


class MenuButton(ButtonData, prefix="menu"):
    entry: str  # a MENU_ACTIONS name, "help" or "language"


class LanguageButton(ButtonData, prefix="lang"):
    code: str


# The main menu's entries, in their order, and their labels.
MENU = {
    "report": N_("menu.report"),
    "myreports": N_("menu.myreports"),
    "alerts": N_("menu.alerts"),
    "now": N_("menu.now"),
    "surveys": N_("menu.surveys"),
    "help": N_("menu.help"),
    "language": N_("menu.language"),
}


def main_menu(ctx: Context) -> Rows:
    return _main_menu(ctx.services.translator, ctx.language)


@functools.lru_cache(maxsize=16)
def _main_menu(translator: Translator, language: str) -> Rows:
    # The same buttons for everyone who reads the language: built once, not for every reply.
    labels = {entry: translator.translate(language, key) for entry, key in MENU.items()}
    return rows(*(MenuButton(entry).button(label) for entry, label in labels.items()), per_row=2)


def language_choice(ctx: Context) -> Rows:
    return rows(
        *(
            LanguageButton(code).button(ctx.t(keys.own))
            for code, keys in LANGUAGE_LABELS.items()
            if code in ctx.services.translator.languages
        ),
        per_row=2,
    )


def show_menu(ctx: Context, text_key: str = "menu.prompt") -> None:
    ctx.reply(ctx.t(text_key), main_menu(ctx))
